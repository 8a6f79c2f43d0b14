//! What a child costs on each embedding module: one epoch of the same network
//! (`module → 256 relu → 128 tanh → 64 relu → softmax`) on 2,000 training samples, with the
//! module's width as the input, for every width of the default image and text modules. A
//! module is computed once per task (`image_modules`, `text_embedding`); its width is paid by
//! every child, in the first layer.
//!
//! ```text
//! cargo bench --bench child_by_module
//! ```

use archinfer::data::Blobs;
use archinfer::encoding::{ArchitectureSpace, EmbeddingSpec, Encoding, LayerChoice};
use archinfer::train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, TrainConfig};
use criterion::{Criterion, criterion_group, criterion_main};

/// Widths of the default modules: `pca32`, `pool4`, `rf64`/`wl64`, `wl128`/`hash128`, `hog144`,
/// `pool2`, `wl256`, `raw`, `lex1024`/`char1024`.
const WIDTHS: [usize; 9] = [32, 49, 64, 128, 144, 196, 256, 784, 1024];

fn bench(c: &mut Criterion) {
    let device = archinfer::default_device();
    let mut blobs = Blobs::new(10, 2500, 16).fractions([0.8, 0.1, 0.1]).seed(3);
    for w in WIDTHS {
        blobs = blobs.projection(format!("w{w}"), w);
    }
    let task = blobs.task().expect("synthetic task");
    let mods: Vec<EmbeddingSpec> = task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect();
    let space = ArchitectureSpace::paper(mods.clone()).expect("space");
    let prepared = PreparedTask::new(&task, &device);
    let trainer = AdamTrainer::new(TrainConfig::new().with_epochs(1), device).expect("trainer");
    let mut g = c.benchmark_group("child_1_epoch_2000_by_module_width");
    g.sample_size(10);
    for w in WIDTHS {
        let mut arch = Encoding::uniform(&space).discretize(&space).expect("arch");
        let index = mods.iter().position(|m| m.name == format!("w{w}")).expect("module");
        arch.embedding.index = index;
        arch.embedding.name = mods[index].name.clone();
        arch.embedding.dim = w;
        for (l, c) in arch.layers.iter_mut().enumerate() {
            let (base, enabled) = [(10, true), (9, true), (6, true)].get(l).copied().unwrap_or((0, false));
            let b = space.base_layer(base);
            *c = LayerChoice { enabled, base, width: b.width, activation: b.activation };
        }
        let child = ChildSpec::Discrete(arch);
        g.bench_function(format!("width_{w}"), |b| b.iter(|| trainer.train(&child, &prepared, 0).expect("train")));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
