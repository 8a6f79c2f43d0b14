//! Child-training throughput: one epoch of a discrete and of a continuous child of the paper's
//! space (7 layers × 12 base layers, 4 embedding modules) on 2,000 samples × 196 features.
//!
//! ```text
//! cargo bench --bench child_training
//! ```

use archinfer::data::Blobs;
use archinfer::encoding::{
    Activation, ArchitectureSpace, EmbeddingSpec, Encoding, LayerChoice,
};
use archinfer::train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, TrainConfig};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
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
    g.bench_function("discrete_196-256-128-64-10", |b| {
        b.iter(|| trainer.train(&discrete, &prepared, 0).expect("train"))
    });
    g.bench_function("continuous_uniform_u", |b| {
        b.iter(|| trainer.train(&continuous, &prepared, 0).expect("train"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
