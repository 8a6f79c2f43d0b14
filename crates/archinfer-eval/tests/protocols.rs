//! The leave-one-task-out protocols on `MemoryStore` with synthetic tasks: children recorded by
//! the worker become value-network data, a Tables 2 / 3 fold judges a held-out task, and the
//! Table 4 fold proposes for it.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use archinfer_data::{Blobs, Task, TaskBundle};
use archinfer_dvn::{DvnPreset, Recipe};
use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec};
use archinfer_eval::{
    EvalError, InferencerRecipe, ProposalRecord, Proposer, ResumableRuns, SEARCH_SEED_BASE, SearchPlan, SearchRun, WorkerOptions, add_suite, add_task,
    distinct_candidates, dvn_tasks, keep_best, load_tasks, mean_std, plan_missing, predict_fold, propose_held_out, record_of, run_worker, search_tables,
    suite_bundles,
};
use archinfer_infer::{AscentConfig, InferOptions};
use archinfer_metafeatures::MetaFeatures;
use archinfer_store::MemoryStore;
use archinfer_train::{AdamTrainer, TrainConfig};
use burn::tensor::Device;

/// Four synthetic tasks with 10 trained children each.
fn database() -> (MemoryStore, ArchitectureSpace, Vec<Arc<Task>>) {
    let store = MemoryStore::new();
    add_suite(&store, &suite_bundles("synthetic3", None).unwrap()).unwrap();
    let extra = Blobs::new(3, 200, 16).separation(1.2).projection("p8", 8).projection("p4", 4).projection("p2", 2).seed(77).task().unwrap();
    let b = TaskBundle::from_features(&extra, vec!["a".into(), "b".into(), "c".into()]);
    add_task(&store, &record_of("extra", "user", "", &b), &b).unwrap();
    let tasks: Vec<Arc<Task>> = load_tasks(&store).unwrap().into_iter().map(|t| t.task).collect();
    let space = ArchitectureSpace::paper(tasks[0].features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect()).unwrap();
    plan_missing(&store, &space, 10, 0).unwrap();
    let device = Device::default();
    let trainer = AdamTrainer::new(TrainConfig::new().with_learning_rate(1e-2).with_epochs(2), device.clone()).unwrap();
    let by_name: HashMap<String, Arc<Task>> = tasks.iter().map(|t| (t.name().to_string(), t.clone())).collect();
    let options = WorkerOptions { name: "w".into(), stale_after: Duration::from_secs(60), max_trials: None };
    assert_eq!(run_worker(&store, &trainer, &by_name, &device, &options, &mut |_, _, _| {}).unwrap(), 40);
    (store, space, tasks)
}

fn recipe(meta: MetaFeatures) -> Recipe {
    Recipe::new(DvnPreset::TaskAware, meta).with_sample_module("p8").with_overrides("min_steps=0,max_steps=60,eval_every=20").unwrap()
}

#[test]
fn leave_one_task_out_folds_run_on_any_store() {
    let (store, space, tasks) = database();
    let data = dvn_tasks(&store, &space, &tasks).unwrap();
    assert_eq!(data.len(), 4);
    assert!(data.iter().all(|t| t.u.len() == 10 && t.v.len() == 10 && t.u[0].len() == space.dim()));
    let dev = Device::default();

    let learned = predict_fold(&space, &data, 3, &recipe(MetaFeatures::Learned), &dev).unwrap();
    assert!((-1.0..=1.0).contains(&learned.spearman) && learned.r2.is_finite());
    let swap = learned.z_swap.expect("a network with meta-features gets a z-swap");
    assert_eq!(swap.swapped.len(), 3, "one swap per training task");
    let none = predict_fold(&space, &data, 3, &recipe(MetaFeatures::None), &dev).unwrap();
    assert!(none.z_swap.is_none(), "a network without meta-features has no z to swap");
    assert!(matches!(predict_fold(&space, &data[..1], 0, &recipe(MetaFeatures::None), &dev), Err(EvalError::TooFewTasks { .. })));

    let how = InferencerRecipe { recipe: recipe(MetaFeatures::Learned), ensemble: 1, library_best: 2 };
    let opts = InferOptions::new().with_ascent(AscentConfig::new().with_starts(4).with_max_iters(100));
    let held = propose_held_out(&store, &space, &data, 3, &how, &opts, &dev).unwrap();
    assert_eq!(held.proposal.task, "extra");
    let distinct = distinct_candidates(&held.proposal);
    assert!(!distinct.is_empty() && distinct.len() <= 4);
    for (i, a) in distinct.iter().enumerate() {
        assert!(distinct[i + 1..].iter().all(|b| b != a), "candidates are distinct");
        a.one_hot_u(&space).unwrap();
    }
}

#[test]
fn keeping_the_best_by_validation_and_the_one_standard_deviation() {
    assert_eq!(keep_best(&[]), None);
    assert_eq!(keep_best(&[(0.8, 0.7), (0.9, 0.6), (0.9, 0.9)]), Some(0.6), "ties go to the earlier candidate");
    let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
    approx::assert_abs_diff_eq!(m, 2.5);
    approx::assert_abs_diff_eq!(s, (5.0f64 / 3.0).sqrt(), epsilon = 1e-12); // divides by n − 1
    assert_eq!(mean_std(&[3.0]), (3.0, 0.0));
}

#[test]
fn the_search_phases_resume_from_their_logs_on_any_store() {
    let (store, space, tasks) = database();
    let settings = archinfer_eval::DbSettings::of(&store);
    settings.set_space(&space).unwrap();
    let how = InferencerRecipe { recipe: recipe(MetaFeatures::Learned), ensemble: 1, library_best: 2 };
    let opts = InferOptions::new().with_ascent(AscentConfig::new().with_starts(4).with_max_iters(100));
    let dev = Device::default();
    // No recipe pinned yet: a typed error, not a guess.
    assert!(matches!(Proposer::load(&store, &tasks, how.clone(), opts.clone(), &dev), Err(EvalError::App(archinfer_eval::AppError::Setting { .. }))));
    settings.pin_train_config(&TrainConfig::new().with_learning_rate(1e-2).with_epochs(2)).unwrap();
    let p = Proposer::load(&store, &tasks, how, opts, &dev).unwrap();
    assert_eq!((p.tasks.len(), p.train.epochs), (4, 2));
    let setup = p.setup(&store, 2, SEARCH_SEED_BASE);
    let tmp = tempfile::tempdir().unwrap();
    let prop_log = ResumableRuns::<ProposalRecord>::new(tmp.path().join("proposals.jsonl"));
    let mut proposed = Vec::new();
    let proposals = setup.propose_missing(&[3], &prop_log, &mut |r| proposed.push(r.task.clone())).unwrap();
    assert_eq!(proposed, ["extra"]);
    // Resumed: read from the log, not proposed again.
    let again = setup.propose_missing(&[3], &prop_log, &mut |_| panic!("proposed twice")).unwrap();
    assert_eq!(again.keys().collect::<Vec<_>>(), ["extra"]);
    let run_log = ResumableRuns::<SearchRun>::new(tmp.path().join("runs.jsonl"));
    let plan = SearchPlan::new(1, true, 2, false);
    let order = vec!["extra".to_string()];
    let jobs = plan.missing(&order, &[]);
    assert_eq!(jobs.len(), 2, "the discretised proposal and candidate 1");
    let seen = std::sync::atomic::AtomicUsize::new(0);
    setup.train_search(jobs, &proposals, None, 2, &run_log, &|_| _ = seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed)).unwrap();
    assert_eq!(seen.into_inner(), 2, "every job is seen, a missing candidate too");
    let runs = run_log.read().unwrap();
    assert!(!runs.is_empty() && runs.iter().all(|r| r.task == "extra" && r.done && (0.0..=1.0).contains(&r.test)));
    assert!(plan.missing(&order, &runs).len() + runs.len() == 2, "nothing runs twice");
    let (table, summary) = search_tables(&order, &proposals, &runs, &store, 2, None).unwrap();
    assert!(table.contains("extra") && summary.is_object(), "{table}");
}
