//! Tasks as store records and the database-building worker, on `MemoryStore` with synthetic
//! tasks (and, when Fashion-MNIST is installed, the shipped database against the suite code).

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use archinfer_data::{Blobs, Task, TaskBundle};
use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec};
use archinfer_app::{
    Report, WorkerOptions, WorkerPoolOptions, add_suite, add_task, load_tasks, plan_missing, record_of, run_worker, run_workers, suite_bundles,
};
use archinfer_store::{ExperimentStore, MemoryStore, StoreError, TrialStatus};
use archinfer_train::{AdamTrainer, ChildSpec, ChildTrainer, Outcome, PreparedTask, TrainConfig};
use burn::tensor::Device;

fn space(task: &Task) -> ArchitectureSpace {
    ArchitectureSpace::paper(task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect()).unwrap()
}

fn same_splits(a: &Task, b: &Task) {
    assert_eq!(a.num_classes(), b.num_classes());
    for (fa, fb) in a.features().iter().zip(b.features()) {
        assert_eq!(fa.name, fb.name);
        for (sa, sb) in [(&a.splits().train, &b.splits().train), (&a.splits().validation, &b.splits().validation), (&a.splits().test, &b.splits().test)] {
            assert_eq!(fa.gather(sa), fb.gather(sb), "feature set {} of {}", fa.name, a.name());
            assert_eq!(a.gather_labels(sa), b.gather_labels(sb));
        }
    }
}

fn drain(store: &dyn ExperimentStore, tasks: &[archinfer_app::StoredTask]) -> usize {
    let device = Device::default();
    let trainer = AdamTrainer::new(TrainConfig::new().with_epochs(1), device.clone()).unwrap();
    let by_name: HashMap<String, Arc<Task>> = tasks.iter().map(|t| (t.record.name.clone(), t.task.clone())).collect();
    let options = WorkerOptions { name: "w".into(), stale_after: Duration::from_secs(60), max_trials: None };
    let mut seen = 0;
    let n = run_worker(store, &trainer, &by_name, &device, &options, &mut |_, r, report| {
        assert!(r.is_ok());
        assert_eq!(report, Report::Recorded);
        seen += 1;
    })
    .unwrap();
    assert_eq!(n, seen);
    n
}

#[test]
fn suite_in_tasks_out_then_a_new_task_joins_without_touching_the_others() {
    let store = MemoryStore::new();
    let bundles = suite_bundles("synthetic3", None).unwrap();
    let r = add_suite(&store, &bundles).unwrap();
    assert_eq!((r.created, r.filled, r.unchanged), (3, 0, 0));
    assert_eq!(add_suite(&store, &bundles).unwrap().unchanged, 3, "adding a suite twice changes nothing");

    let tasks = load_tasks(&store).unwrap();
    for ((t, _), stored) in archinfer_data::synthetic_suite_tasks().unwrap().iter().zip(&tasks) {
        same_splits(t, &stored.task);
    }
    let space = space(&tasks[0].task);
    assert_eq!(plan_missing(&store, &space, 4, 0).unwrap(), 12);
    assert_eq!(plan_missing(&store, &space, 4, 0).unwrap(), 0, "a full plan is left alone");
    assert_eq!(drain(&store, &tasks), 12);
    let before = store.trials(None).unwrap();

    // A user's task joins: only its own children are planned and trained.
    let blobs = Blobs::new(2, 90, 16).projection("p8", 8).projection("p4", 4).projection("p2", 2).seed(9).task().unwrap();
    archinfer_app::fits_space(&blobs, &space).unwrap();
    let partial = Task::new("partial", blobs.features()[1..].to_vec(), blobs.labels().to_vec(), 2, blobs.splits().clone()).unwrap();
    assert!(matches!(archinfer_app::fits_space(&partial, &space), Err(archinfer_app::AppError::DoesNotFit { .. })));
    let b = TaskBundle::from_features(&blobs, vec!["a".into(), "b".into()]);
    add_task(&store, &record_of("mine", "user", "", &b), &b).unwrap();
    let err = add_task(&store, &record_of("mine", "user", "", &b), &b).unwrap_err();
    assert!(matches!(err, archinfer_app::AppError::Store(StoreError::DuplicateTask(_))));
    assert_eq!(plan_missing(&store, &space, 4, 0).unwrap(), 4);
    let tasks = load_tasks(&store).unwrap();
    assert_eq!(drain(&store, &tasks), 4);
    let after = store.trials(None).unwrap();
    assert_eq!(&after[..12], &before[..], "the other tasks' trials are untouched");
    assert!(after[12..].iter().all(|t| t.task == "mine" && t.status == TrialStatus::Done));
}

#[test]
fn max_trials_stops_a_worker() {
    let store = MemoryStore::new();
    add_suite(&store, &suite_bundles("synthetic3", None).unwrap()).unwrap();
    let tasks = load_tasks(&store).unwrap();
    plan_missing(&store, &space(&tasks[0].task), 2, 0).unwrap();
    let device = Device::default();
    let trainer = AdamTrainer::new(TrainConfig::new().with_epochs(1), device.clone()).unwrap();
    let by_name: HashMap<String, Arc<Task>> = tasks.iter().map(|t| (t.record.name.clone(), t.task.clone())).collect();
    let options = WorkerOptions { name: "w".into(), stale_after: Duration::from_secs(60), max_trials: Some(2) };
    assert_eq!(run_worker(&store, &trainer, &by_name, &device, &options, &mut |_, _, _| {}).unwrap(), 2);
    assert_eq!(store.summary().unwrap().iter().map(|s| s.counts.pending).sum::<usize>(), 4);
}

/// The shipped database's tasks, read from their records alone, are the suite's tasks bit for
/// bit. Needs Fashion-MNIST to rebuild the suite; skipped (with a note) without it.
#[test]
fn shipped_records_equal_the_suite_code() {
    let dir = archinfer_data::fashion_mnist_dir(None);
    let Ok(images) = archinfer_data::load_mnist_dir(&dir) else {
        eprintln!("skipped: Fashion-MNIST is not installed at {}", dir.display());
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("db.sqlite");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/fmnist14.sqlite"), &copy).unwrap();
    let store = archinfer_store::SqliteStore::open(&copy).unwrap();
    let all = load_tasks(&store).unwrap();
    assert_eq!(all.len(), archinfer_data::SUITES.iter().map(|s| archinfer_data::suite(s).unwrap().len()).sum::<usize>());
    for suite in archinfer_data::SUITES {
        let stored: Vec<_> = all.iter().filter(|t| t.record.suite == suite).collect();
        let recipes = archinfer_data::suite(suite).unwrap();
        assert_eq!(stored.len(), recipes.len(), "{suite}");
        for (r, s) in recipes.iter().zip(&stored) {
            let t = archinfer_app::suite_task(&images, r).unwrap();
            assert_eq!(t.splits(), s.task.splits());
            assert_eq!(t.labels(), s.task.labels());
            assert_eq!(t.features(), s.task.features(), "{}", r.name);
        }
    }
}

/// Trains with Adam, but the first time it is asked it also declares its own worker dead
/// mid-training (its heartbeat is older than the stale window), as a partition or a pause would.
struct LosesItsClaimOnce {
    inner: AdamTrainer,
    store: Arc<MemoryStore>,
    done: std::sync::atomic::AtomicBool,
}

impl ChildTrainer for LosesItsClaimOnce {
    fn train(&self, child: &ChildSpec, task: &PreparedTask, seed: u64) -> archinfer_train::Result<Outcome> {
        let out = self.inner.train(child, task, seed);
        if !self.done.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(30));
            assert_eq!(self.store.requeue_stale(Duration::from_millis(10)).unwrap(), 1);
        }
        out
    }
}

#[test]
fn a_worker_that_lost_its_claim_sees_its_report_refused_and_the_trial_runs_again() {
    let store = Arc::new(MemoryStore::new());
    add_suite(store.as_ref(), &suite_bundles("synthetic3", None).unwrap()).unwrap();
    let tasks = load_tasks(store.as_ref()).unwrap();
    assert_eq!(plan_missing(store.as_ref(), &space(&tasks[0].task), 1, 0).unwrap(), 3);
    let device = Device::default();
    let trainer = LosesItsClaimOnce {
        inner: AdamTrainer::new(TrainConfig::new().with_epochs(1), device.clone()).unwrap(),
        store: store.clone(),
        done: std::sync::atomic::AtomicBool::new(false),
    };
    let by_name: HashMap<String, Arc<Task>> = tasks.iter().map(|t| (t.record.name.clone(), t.task.clone())).collect();
    let options = WorkerOptions { name: "w".into(), stale_after: Duration::from_secs(60), max_trials: None };
    let mut reports = Vec::new();
    let n = run_worker(store.as_ref(), &trainer, &by_name, &device, &options, &mut |t, _, report| reports.push((t.id, report))).unwrap();
    assert_eq!(n, 3, "every trial recorded once");
    assert_eq!(reports.len(), 4);
    assert_eq!(reports[0].1, Report::Refused, "the first report came after the claim was lost");
    assert!(reports[1..].iter().all(|r| r.1 == Report::Recorded));
    assert!(reports[1..].iter().any(|r| r.0 == reports[0].0), "the requeued trial ran again");
    assert!(store.trials(None).unwrap().iter().all(|t| t.status == TrialStatus::Done));
}

#[test]
fn a_worker_pool_shares_the_trial_budget_and_records_every_trial_once() {
    let store = Arc::new(MemoryStore::new());
    add_suite(store.as_ref(), &suite_bundles("synthetic3", None).unwrap()).unwrap();
    let tasks = load_tasks(store.as_ref()).unwrap();
    assert_eq!(plan_missing(store.as_ref(), &space(&tasks[0].task), 2, 0).unwrap(), 6);
    let device = Device::default();
    let by_name: HashMap<String, Arc<Task>> = tasks.iter().map(|t| (t.record.name.clone(), t.task.clone())).collect();
    let open = || -> archinfer_app::Result<Box<dyn ExperimentStore>> { Ok(Box::new(store.clone())) };
    let trainer = || -> archinfer_app::Result<Box<dyn ChildTrainer>> { Ok(Box::new(AdamTrainer::new(TrainConfig::new().with_epochs(1), device.clone())?)) };
    let on_trial = |_: &archinfer_store::Trial, r: &Result<archinfer_store::TrialResult, String>, report: Report| {
        assert!(r.is_ok() && report == Report::Recorded);
    };
    // Three trials between two workers (2 + 1), then the rest.
    let options = WorkerPoolOptions { prefix: "p".into(), max_trials: Some(3), ..WorkerPoolOptions::new(2, Duration::from_secs(60)) };
    assert_eq!(run_workers(&open, &trainer, &by_name, &device, &options, &on_trial).unwrap(), 3);
    let trials = store.trials(None).unwrap();
    assert_eq!(trials.iter().filter(|t| t.status == TrialStatus::Done).count(), 3);
    let mut names: std::collections::BTreeSet<String> = trials.iter().filter_map(|t| t.worker.clone()).collect();
    let options = WorkerPoolOptions { max_trials: None, ..options };
    assert_eq!(run_workers(&open, &trainer, &by_name, &device, &options, &on_trial).unwrap(), 3);
    let trials = store.trials(None).unwrap();
    assert!(trials.iter().all(|t| t.status == TrialStatus::Done), "every trial recorded");
    names.extend(trials.iter().filter_map(|t| t.worker.clone()));
    assert!(!names.is_empty() && names.iter().all(|w| w == "p:0" || w == "p:1"), "{names:?}");
    // Every worker heard from is named after the pool.
    assert!(store.workers().unwrap().iter().all(|w| w.name.starts_with("p:")));
    // A store that cannot be opened is the pool's error.
    let broken = || -> archinfer_app::Result<Box<dyn ExperimentStore>> { Err(archinfer_app::AppError::NoPool) };
    assert!(matches!(run_workers(&broken, &trainer, &by_name, &device, &options, &on_trial), Err(archinfer_app::AppError::NoPool)));
    assert!(archinfer_app::process_name().ends_with(&format!(":{}", std::process::id())));
}
