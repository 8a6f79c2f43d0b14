//! Gradient-ascent throughput (Algorithm 2) in start-iterations per second, side by side with
//! a JIT-compiled JAX peer of the same loop.
//!
//! The paper's setting: the default space's `u` (102 = 7 layers × (12 + 2) + 4 modules), the
//! paper's DVN shapes (`[u, z]` with a 50-wide learned `z` → 50 → 10 → 1), 10 starts × 1,000
//! iterations; and 100 starts × 1,000. The tolerance is 0 so every start runs all iterations,
//! as the peer's loop does.
//!
//! ```text
//! cargo bench --bench gradient_ascent
//! ```
//!
//! Before and after the Rust measurements it runs `benches/peers/ascent_peer.py` (JAX, and
//! PyTorch if installed) when `python3` is on the PATH, so both sides are measured in one run on
//! one machine. `ARCHINFER_SKIP_PEER=1` skips the peer.

#[path = "common/machine.rs"]
mod machine;

use std::process::Command;

use archinfer::dvn::{DvnConfig, Interaction};
use archinfer::encoding::{ArchitectureSpace, EmbeddingSpec};
use archinfer::infer::{AscentConfig, FusedMlp, Kernel, ascend, random_starts};
use archinfer::metafeatures::MetaFeatures;
use burn::tensor::{Tensor, TensorData};
use criterion::{BenchmarkId, Criterion, Throughput};

fn peer(starts: usize) {
    if std::env::var_os("ARCHINFER_SKIP_PEER").is_some() {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/ascent_peer.py");
    let out = Command::new("python3")
        .args([script, "--starts", &starts.to_string(), "--iters", "1000", "--udim", "102", "--zdim", "50"])
        .output();
    match out {
        Ok(o) => {
            for line in String::from_utf8_lossy(&o.stdout).lines() {
                println!("peer: {line}");
            }
        }
        Err(e) => println!("peer: python3 not runnable ({e})"),
    }
}

fn bench(c: &mut Criterion) {
    let device = archinfer::default_device();
    let space = ArchitectureSpace::paper(vec![
        EmbeddingSpec::new("pool4", 49),
        EmbeddingSpec::new("pool2", 196),
        EmbeddingSpec::new("pca32", 32),
        EmbeddingSpec::new("rf64", 64),
    ])
    .expect("space");
    let dvn = DvnConfig::new(space.clone(), MetaFeatures::Learned, 49).init(&device).expect("dvn");
    let z: Vec<f32> = (0..50).map(|i| ((i * 37) % 17) as f32 / 17.0 - 0.5).collect();
    let z = Tensor::<2>::from_data(TensorData::new(z, [1, 50]), &device);
    let fused = FusedMlp::from_dvn(&dvn, Some(z.clone())).expect("fused");
    println!("fused kernel: {}", if fused.uses_simd() { "avx2+fma" } else { "portable" });
    let portable = fused.clone().with_kernel(Kernel::Portable);
    // The task-aware preset's network: FiLM (folded into the weights for a fixed z) and the
    // gated input (applied to u on every iteration), with z one wider for the size feature.
    let aware = DvnConfig::new(space.clone(), MetaFeatures::Learned, 49)
        .with_interaction(Interaction::Film)
        .with_gated_input(true)
        .with_log_size(true)
        .init(&device)
        .expect("task-aware dvn");
    let za: Vec<f32> = (0..51).map(|i| ((i * 37) % 17) as f32 / 17.0 - 0.5).collect();
    let fused_aware = FusedMlp::from_dvn(&aware, Some(Tensor::<2>::from_data(TensorData::new(za, [1, 51]), &device))).expect("fused");
    let mut g = c.benchmark_group("gradient_ascent");
    g.sample_size(20);
    for starts in [10usize, 100] {
        let cfg = AscentConfig::new().with_starts(starts).with_max_iters(1000).with_tolerance(0.0);
        let s0 = random_starts(&space, &cfg);
        g.throughput(Throughput::Elements((starts * 1000) as u64));
        let id = |name: &str| BenchmarkId::new(name, format!("{starts}x1000"));
        g.bench_function(id("fused"), |b| b.iter(|| fused.ascend(&space, &s0, &cfg, None).expect("ascent")));
        g.bench_function(id("fused-task-aware"), |b| b.iter(|| fused_aware.ascend(&space, &s0, &cfg, None).expect("ascent")));
        let one = cfg.clone().with_threads(1);
        g.bench_function(id("fused-1-thread"), |b| b.iter(|| fused.ascend(&space, &s0, &one, None).expect("ascent")));
        g.bench_function(id("fused-portable-1-thread"), |b| b.iter(|| portable.ascend(&space, &s0, &one, None).expect("ascent")));
        if starts == 10 {
            g.bench_function(id("burn-autodiff"), |b| {
                b.iter(|| ascend(&dvn, &space, Some(z.clone()), &s0, &cfg, None, &device).expect("ascent"))
            });
        }
    }
    g.finish();
    // GFLOP/s: per start and iteration a forward pass of ρ over u (z folded into the first
    // layer's bias for a fixed task: 102 → 50 → 10 → 1) and the backward pass to u (the same
    // products transposed), 2 flops per multiply-add.
    let macs = 102.0 * 50.0 + 50.0 * 10.0 + 10.0;
    let peak = machine::Peak::detect();
    println!("peak: {}", peak.describe());
    for starts in [10usize, 100] {
        let cfg = AscentConfig::new().with_starts(starts).with_max_iters(1000).with_tolerance(0.0);
        let s0 = random_starts(&space, &cfg);
        let flops = 2.0 * 2.0 * macs * (starts * 1000) as f64;
        let budget = std::time::Duration::from_secs(2);
        machine::report(&format!("fused/{starts}x1000"), flops, &peak, budget, || {
            fused.ascend(&space, &s0, &cfg, None).expect("ascent");
        });
        machine::report(&format!("fused-task-aware/{starts}x1000"), flops, &peak, budget, || {
            fused_aware.ascend(&space, &s0, &cfg, None).expect("ascent");
        });
    }
}

fn main() {
    peer(10);
    peer(100);
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    peer(10);
    peer(100);
}
