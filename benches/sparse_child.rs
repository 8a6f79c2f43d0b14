//! A child on the sparse TF-IDF modules against the same child on `lex1024` (issue 27's cost
//! goal: at most 2× the time at the same depth). One epoch on a real text task of the shipped
//! database (`brown-15-genres`: 1,800 training texts, 15 classes), for a child with no hidden
//! layer (logistic regression) and one with `256 relu → 128 tanh → 64 relu`, on the fused
//! trainer (sparse × dense first layer, lazy Adam over the rows a batch touches).
//!
//! ```text
//! cargo bench --bench sparse_child
//! ```
//!
//! Loading the task fits both TF-IDF modules once (not timed).

use archinfer::app::load_task;
use archinfer::data::default_embedders;
use archinfer::encoding::{ArchitectureSpace, EmbeddingSpec, Encoding, LayerChoice};
use archinfer::store::{ExperimentStore, SqliteStore};
use archinfer::train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, TrainConfig};
use criterion::{Criterion, criterion_group, criterion_main};

const TASK: &str = "brown-15-genres";

fn bench(c: &mut Criterion) {
    let db = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/text14.sqlite");
    let store = SqliteStore::open(&db).expect("the shipped text database");
    let record = store.tasks().expect("tasks").into_iter().find(|t| t.name == TASK).expect("the task");
    let task = load_task(&store, &record, &default_embedders().expect("image modules")).expect("load").task;
    let device = archinfer::default_device();
    let mods: Vec<EmbeddingSpec> = task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect();
    let space = ArchitectureSpace::paper(mods.clone()).expect("space");
    let prepared = PreparedTask::new(&task, &device);
    let trainer = AdamTrainer::new(TrainConfig::new().with_epochs(1), device).expect("trainer");
    let mut g = c.benchmark_group("child_1_epoch_brown-15-genres_sparse_vs_lex1024");
    g.sample_size(10);
    for (depth, hidden) in [("depth0", &[][..]), ("256-128-64", &[(10, true), (9, true), (6, true)][..])] {
        for module in ["lex1024", "tfidf-word", "tfidf-char"] {
            let mut arch = Encoding::uniform(&space).discretize(&space).expect("arch");
            let index = mods.iter().position(|m| m.name == module).expect("module");
            arch.embedding.index = index;
            arch.embedding.name = module.to_string();
            arch.embedding.dim = mods[index].dim;
            for (l, c) in arch.layers.iter_mut().enumerate() {
                let (base, enabled) = hidden.get(l).copied().unwrap_or((0, false));
                let b = space.base_layer(base);
                *c = LayerChoice { enabled, base, width: b.width, activation: b.activation };
            }
            let width = prepared.input_width(module).unwrap_or(0);
            eprintln!("{module}: {width} input columns");
            let child = ChildSpec::Discrete(arch);
            g.bench_function(format!("{depth}_{module}"), |b| b.iter(|| trainer.train(&child, &prepared, 0).expect("train")));
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
