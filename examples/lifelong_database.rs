//! The life-long database from Rust, no command line and no downloaded data: a store of task
//! records, children planned and trained by the worker, a value network fitted on what was
//! recorded, a proposal for a new task, and a value model of your own plugged into the same
//! proposal machinery.
//!
//! ```text
//! cargo run --release --example lifelong_database
//! # the same on a PostgreSQL server (any empty archinfer schema), or on a SQLite file:
//! cargo run --release --features postgres --example lifelong_database -- 'postgres://me:pw@host/db?schema=demo'
//! cargo run --release --example lifelong_database -- /tmp/demo.sqlite
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use archinfer::data::{Blobs, Task, TaskBundle};
use archinfer::dvn::{DvnPreset, DvnTask, Recipe, TrainedDvn};
use archinfer::encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
use archinfer::app::{WorkerOptions, add_suite, add_task, fits_space, load_tasks, plan_missing, record_of, run_worker, suite_bundles};
use archinfer::infer::{InferOptions, Inferencer, TaskValue, propose_with};
use archinfer::metafeatures::MetaFeatures;
use archinfer::store::{ExperimentStore, MemoryStore, Location};
use archinfer::train::{AdamTrainer, TrainConfig};

type BoxError = Box<dyn std::error::Error>;

/// A value model of your own: prefers few layers on the `p8` module (a stand-in for any model
/// a downstream crate has; only values and gradients with respect to `u` are needed).
struct PreferSmall {
    space: ArchitectureSpace,
}

impl TaskValue for PreferSmall {
    fn u_dim(&self) -> usize {
        self.space.dim()
    }
    fn values(&self, u: &[Vec<f32>]) -> archinfer::infer::Result<Vec<f32>> {
        u.iter().map(|r| self.value_and_grad(r).map(|(v, _)| v)).collect()
    }
    fn value_and_grad(&self, u: &[f32]) -> archinfer::infer::Result<(f32, Vec<f32>)> {
        // v(u) = u[p8] − 0.1 · Σ (layer on): linear, so the gradient is the weights.
        let mut w = vec![0.0; u.len()];
        let p8 = self.space.embeddings().iter().position(|e| e.name == "p8").unwrap_or(0);
        w[self.space.gamma_range().start + p8] = 1.0;
        for l in 0..self.space.num_layers() {
            w[self.space.beta_range(l).start] = -0.1; // β = [on, off]
        }
        Ok((u.iter().zip(&w).map(|(a, b)| a * b).sum(), w))
    }
}

fn main() -> Result<(), BoxError> {
    let device = archinfer::default_device();
    // 1. Tasks are records of the store: the synthetic suite, then a task of "yours".
    // Any store: in memory by default, or the location given (a SQLite path or a postgres://
    // URL; `Location::open` picks the store, the rest of the program does not change).
    let store: Box<dyn ExperimentStore> = match std::env::args().nth(1) {
        Some(location) => location.parse::<Location>()?.open()?,
        None => Box::new(MemoryStore::new()),
    };
    if !store.tasks()?.is_empty() {
        return Err("use an empty database (this example adds its own tasks)".into());
    }
    add_suite(&store, &suite_bundles("synthetic3", None)?)?;
    let mine = Blobs::new(3, 240, 16).separation(0.9).projection("p8", 8).projection("p4", 4).projection("p2", 2).seed(42).task()?;
    let bundle = TaskBundle::from_features(&mine, vec!["a".into(), "b".into(), "c".into()]);
    add_task(&store, &record_of("mine", "user", "three blobs", &bundle), &bundle)?;

    // 2. Plan what the database lacks and train it (any ExperimentStore, any ChildTrainer).
    let tasks = load_tasks(&store)?;
    let space = ArchitectureSpace::paper(tasks[0].task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect())?;
    for t in &tasks {
        fits_space(&t.task, &space)?;
    }
    let planned = plan_missing(&store, &space, 12, 0)?;
    let trainer = AdamTrainer::new(TrainConfig::new().with_learning_rate(1e-2).with_epochs(5), device.clone())?;
    let by_name: HashMap<String, Arc<Task>> = tasks.iter().map(|t| (t.record.name.clone(), t.task.clone())).collect();
    let options = WorkerOptions { name: "example".into(), stale_after: Duration::from_secs(60), max_trials: None };
    let mut failed = 0;
    let trained = run_worker(&store, &trainer, &by_name, &device, &options, &mut |_, r, _| failed += usize::from(r.is_err()))?;
    assert_eq!(failed, 0);
    println!("planned {planned} children, trained {trained}");

    // 3. Fit a value network on the three suite tasks' records; propose for `mine`.
    let mut train = Vec::new();
    for t in tasks.iter().filter(|t| t.record.name != "mine") {
        let (mut u, mut v) = (Vec::new(), Vec::new());
        for trial in store.trials(Some(&t.record.name))? {
            if let Some(r) = trial.result {
                u.push(serde_json::from_str::<DiscreteArchitecture>(&trial.architecture)?.one_hot_u(&space)?);
                v.push(r.val_accuracy);
            }
        }
        train.push(DvnTask { name: t.record.name.clone(), u, v, task: Some(t.task.clone()) });
    }
    let recipe = Recipe::new(DvnPreset::TaskAware, MetaFeatures::Learned).with_overrides("min_steps=0,max_steps=300")?.with_sample_module("p8");
    let (cfg, tc) = recipe.configs(&space, &train)?;
    let inferencer = Inferencer::new(TrainedDvn::fit(cfg, tc, &train, &device)?, None, &device);
    let p = inferencer.propose(&mine, &InferOptions::new())?;
    println!("value network proposes {} for `mine` ({} ms)", p.best()?.architecture, (p.meta_ms + p.ascent_ms).round());

    // 4. The same proposal machinery over a value model of your own.
    let own = PreferSmall { space: space.clone() };
    let p = propose_with(&own, &space, "mine", 3, Vec::new(), &InferOptions::new())?;
    println!("your own model proposes {} ({} path)", p.best()?.architecture, p.path);
    Ok(())
}
