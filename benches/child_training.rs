//! Child-training throughput: one epoch of a discrete and of a continuous child of the paper's
//! space (7 layers × 12 base layers, 4 embedding modules) on 2,000 samples × 196 features,
//! the discrete child on both paths (fused CPU trainer, burn), side by side with a JAX `jit`
//! peer of the same network and loop.
//!
//! ```text
//! cargo bench --bench child_training
//! ```
//!
//! Before and after the Rust measurements it runs `benches/peers/child_peer.py` (JAX, and
//! PyTorch if installed) when `python3` is on the PATH, so the ratio comes from one run on one
//! machine. Without JAX the peer says so and is skipped; `ARCHINFER_SKIP_PEER=1` skips it.

#[path = "common/machine.rs"]
mod machine;

use archinfer::data::Blobs;
use archinfer::encoding::{
    Activation, ArchitectureSpace, EmbeddingSpec, Encoding, LayerChoice,
};
use std::process::Command;

use archinfer::train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, TrainConfig, TrainPath};
use criterion::{Criterion, criterion_group, criterion_main};

fn peer(when: &str) {
    if std::env::var_os("ARCHINFER_SKIP_PEER").is_some() {
        println!("peer ({when}): skipped (ARCHINFER_SKIP_PEER)");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/child_peer.py");
    match Command::new("python3").arg(script).output() {
        Ok(o) => {
            for line in String::from_utf8_lossy(&o.stdout).lines() {
                println!("peer ({when}): {line}");
            }
            if !o.status.success() {
                println!("peer ({when}): failed: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or(""));
            }
        }
        Err(e) => println!("peer ({when}): python3 not runnable ({e}); skipping the peer"),
    }
}

fn bench(c: &mut Criterion) {
    peer("before");
    let device = archinfer::default_device();
    // 2,000 training samples (fractions 1/0.1/0.1 of 2,400 would not validate: use 2,500 × 0.8).
    let task = Blobs::new(10, 2500, 196)
        .projection("proj64", 64)
        .projection("proj32", 32)
        .projection("proj16", 16)
        .fractions([0.8, 0.1, 0.1])
        .seed(3)
        .task()
        .expect("synthetic task");
    assert_eq!(task.splits().train.len(), 2000);
    let space = ArchitectureSpace::paper(
        task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect(),
    )
    .expect("space");
    let prepared = PreparedTask::new(&task, &device);
    let trainer = AdamTrainer::new(TrainConfig::new().with_epochs(1), device).expect("trainer");
    let burn = trainer.clone().with_path(TrainPath::Burn);
    println!("discrete children train on: {}", trainer.describe());

    // raw → 256 relu → 128 tanh → 64 relu → softmax: a mid-sized child of the space.
    let mut arch = Encoding::uniform(&space).discretize(&space).expect("arch");
    let picks = [(10, true), (9, true), (6, true)];
    for (l, c) in arch.layers.iter_mut().enumerate() {
        let (base, enabled) = picks.get(l).copied().unwrap_or((0, false));
        let b = space.base_layer(base);
        *c = LayerChoice { enabled, base, width: b.width, activation: b.activation };
    }
    assert_eq!(arch.layers[1].activation, Activation::Tanh);
    let discrete = ChildSpec::Discrete(arch);
    let continuous = ChildSpec::Continuous { space: space.clone(), encoding: Encoding::uniform(&space) };

    let mut g = c.benchmark_group("child_training_1_epoch_2000x196");
    g.sample_size(10);
    g.bench_function("discrete_196-256-128-64-10_fused", |b| {
        b.iter(|| trainer.train(&discrete, &prepared, 0).expect("train"))
    });
    g.bench_function("discrete_196-256-128-64-10_burn", |b| {
        b.iter(|| burn.train(&discrete, &prepared, 0).expect("train"))
    });
    g.bench_function("continuous_uniform_u", |b| {
        b.iter(|| trainer.train(&continuous, &prepared, 0).expect("train"))
    });
    g.finish();
    // GFLOP/s: 3 × the forward multiply-adds for the 2,000 training samples (forward, and the
    // backward's two products), plus one forward pass over validation and test, 2 flops each.
    let macs: f64 = [196.0 * 256.0, 256.0 * 128.0, 128.0 * 64.0, 64.0 * 10.0].iter().sum();
    let eval = (task.splits().validation.len() + task.splits().test.len()) as f64;
    let flops = 2.0 * macs * (3.0 * 2000.0 + eval);
    let peak = machine::Peak::detect();
    println!("peak: {}", peak.describe());
    machine::report("discrete_196-256-128-64-10_fused", flops, &peak, std::time::Duration::from_secs(3), || {
        trainer.train(&discrete, &prepared, 0).expect("train");
    });
    machine::report("discrete_196-256-128-64-10_burn", flops, &peak, std::time::Duration::from_secs(3), || {
        burn.train(&discrete, &prepared, 0).expect("train");
    });
    peer("after");
}

criterion_group!(benches, bench);
criterion_main!(benches);
