//! The common pool and the fair comparison on `MemoryStore`: synthetic tasks whose pool results
//! are written by hand so the best member is known, then every method leave-one-task-out.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use approx::assert_abs_diff_eq;
use archinfer_data::Task;
use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec};
use archinfer_eval::{AppError, PoolMatrix, ProposalSetup, 
    CompareOptions, CompareRow, EvalError, InferencerRecipe, Method, POOL_FIRST_INDEX, Pool, TaskFacts, WorkerOptions, add_suite,
    compare, dvn_tasks, load_tasks, plan_missing, run_worker, suite_bundles, train_proposal,
};
use archinfer_infer::{AscentConfig, InferOptions};
use archinfer_store::{ExperimentStore, MemoryStore, TaskRecord, TrialResult};
use archinfer_train::{AdamTrainer, TrainConfig};
use burn::tensor::Device;

fn space() -> ArchitectureSpace {
    ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 4), EmbeddingSpec::new("b", 8)]).unwrap()
}

/// `tasks` tasks with a pool of 6 whose results are written by hand: member 4 is best on every
/// task but the last, where member 1 is; member 0 is worst everywhere.
fn synthetic(tasks: usize) -> (MemoryStore, Pool) {
    let store = MemoryStore::new();
    for t in 0..tasks {
        let mut r = TaskRecord::new(format!("t{t}"), "synthetic", 2 + t % 3);
        r.train = 100 * (t + 1);
        store.add_task(&r).unwrap();
    }
    let pool = Pool::ensure(&store, &space(), 6, 11).unwrap();
    assert_eq!(pool.plan(&store).unwrap(), 6 * tasks);
    // Planning again adds nothing.
    assert_eq!(pool.plan(&store).unwrap(), 0);
    while let Some(trial) = store.claim("w").unwrap() {
        let t: usize = trial.task[1..].parse().unwrap();
        let m = trial.trial_index - POOL_FIRST_INDEX;
        let mut acc = 0.5 + 0.05 * m as f32;
        if m == 4 {
            acc = 0.9;
        }
        if t == tasks - 1 && m == 1 {
            acc = 0.95;
        }
        let r = TrialResult { val_accuracy: acc, test_accuracy: acc - 0.01, seconds: 0.1, num_params: 10, epochs_run: 1 };
        assert!(store.complete(trial.id, "w", Ok(r)).unwrap());
    }
    (store, pool)
}

fn facts(store: &dyn ExperimentStore) -> Vec<TaskFacts> {
    store.tasks().unwrap().iter().map(TaskFacts::of).collect()
}

#[test]
fn pool_is_the_same_on_every_task_and_stored_with_the_database() {
    let (store, pool) = synthetic(4);
    // The stored pool is the one planned; a smaller size or another seed is refused.
    assert_eq!(Pool::load(&store).unwrap().unwrap(), pool);
    assert!(matches!(Pool::ensure(&store, &space(), 4, 11), Err(AppError::PoolConflict { stored: 6, asked: 4, .. })));
    assert!(matches!(Pool::ensure(&store, &space(), 6, 12), Err(AppError::PoolConflict { .. })));
    let trials = store.trials(None).unwrap();
    for m in 0..6 {
        let same: Vec<_> = trials.iter().filter(|t| t.trial_index == POOL_FIRST_INDEX + m).collect();
        assert_eq!(same.len(), 4);
        assert!(same.iter().all(|t| t.architecture == same[0].architecture && t.seed == same[0].seed));
    }
    // A task added later gets the same pool.
    store.add_task(&TaskRecord::new("late", "synthetic", 2)).unwrap();
    assert_eq!(pool.plan(&store).unwrap(), 6);
    // Random children stay below the pool's indices and are planned as before.
    assert_eq!(plan_missing(&store, &space(), 3, 0).unwrap(), 15);
    assert!(matches!(PoolMatrix::from_pool(&pool, &store, None), Err(EvalError::App(AppError::PoolIncomplete { task, missing: 6, size: 6 })) if task == "late"));
    assert!(matches!(PoolMatrix::from_pool(&pool, &store, Some(&["nope".into()])), Err(EvalError::UnknownTask(t)) if t == "nope"));
    let m = PoolMatrix::from_pool(&pool, &store, Some(&["t0".into(), "t3".into()])).unwrap();
    assert_eq!(m.tasks, vec!["t0", "t3"]);
    assert_abs_diff_eq!(m.val[0][4], 0.9, epsilon = 1e-6);
    assert_abs_diff_eq!(m.val[1][1], 0.95, epsilon = 1e-6);
}

#[test]
fn every_method_finds_what_it_should_on_known_pools() {
    let (store, pool) = synthetic(5);
    let m = PoolMatrix::from_pool(&pool, &store, None).unwrap();
    let f = facts(&store);
    let held: Vec<usize> = (0..5).collect();
    // A proposal that trains member 4 first, then member 1.
    let prop: Vec<Option<Vec<(f64, f64)>>> = (0..5).map(|t| Some(vec![(m.val[t][4], m.test[t][4]), (m.val[t][1], m.test[t][1])])).collect();
    let opts = CompareOptions { budgets: vec![1, 3], random_orders: 200, seed: 0, tie: 1e-6 };
    let c = compare(&m, &f, &held, &prop, &opts).unwrap();
    let row = |task: &str, method: Method, k: usize| c.rows.iter().find(|r| r.task == task && r.method == method && r.k == k).unwrap().clone();
    // Every method at every budget on every task, but adaptive and TPE, which need the
    // held-out tasks' priors (`--adaptive`).
    assert_eq!(c.rows.len(), 5 * 2 * (Method::ALL.len() - 2));
    assert!(c.rows.iter().all(|r| r.method != Method::Adaptive && r.method != Method::Tpe));
    // The single best of the others is member 4 everywhere, whose test accuracy is 0.89.
    assert_abs_diff_eq!(row("t0", Method::SingleBest, 1).test_accuracy, 0.89, epsilon = 1e-6);
    assert_abs_diff_eq!(row("t0", Method::SingleBest, 1).normalized_regret, 0.0, epsilon = 1e-6);
    // On t4 member 1 is best; the single best (4) misses it, the proposal's second candidate
    // and a portfolio of 3 (4, then 1 — which covers t4 best) find it by validation.
    assert!(row("t4", Method::SingleBest, 1).normalized_regret > 0.0);
    assert_abs_diff_eq!(row("t4", Method::Proposal, 3).test_accuracy, 0.94, epsilon = 1e-6);
    assert_abs_diff_eq!(row("t4", Method::Proposal, 3).normalized_regret, 0.0, epsilon = 1e-6);
    // Trained on t0..t3 only, the portfolio's second pick covers nothing new: it is still ≥ member 4.
    assert!(row("t4", Method::Portfolio, 3).test_accuracy >= 0.89 - 1e-6);
    // t3's nearest training task by size and classes is t4, whose best member (1) is poor on t3.
    assert_abs_diff_eq!(row("t3", Method::NearestTask, 1).test_accuracy, 0.54, epsilon = 1e-6);
    // Random search is between the pool's median and its best.
    let r = row("t1", Method::Random, 3);
    assert!(r.normalized_regret > 0.0 && r.normalized_regret < 1.0);
    // The hindsight default is member 4 (best on 4 of 5 tasks).
    assert_abs_diff_eq!(row("t4", Method::HindsightDefault, 1).test_accuracy, 0.89, epsilon = 1e-6);
    // Headroom: member 4 is the pool best on t0..t3 (0 gap); on t4 member 1 (0.94) beats it (0.89).
    assert_abs_diff_eq!(c.headroom, 0.05 / 5.0, epsilon = 1e-6);
    // Summaries: the proposal ties single-best on 4 tasks and wins on t4 at K = 3.
    let s = c.summary_of(Method::SingleBest, 3).unwrap();
    assert_eq!(s.proposal_wtl, Some((1, 4, 0)));
    assert_eq!(s.tasks, 5);
    assert!(s.wilcoxon_p.unwrap() > 0.05, "one win in five is no evidence");
    assert!(c.summary_of(Method::Proposal, 1).unwrap().proposal_wtl.is_none());
    assert_eq!(c.curve(Method::Proposal, &[1, 3, 10]).len(), 3);
    assert!(c.curve(Method::Proposal, &[1, 3, 10])[2].is_none());
    // The --json lines parse back, with the method names of the issue.
    for r in &c.rows {
        let line = serde_json::to_string(r).unwrap();
        let back: CompareRow = serde_json::from_str(&line).unwrap();
        assert_eq!((&back.task, back.method, back.k), (&r.task, r.method, r.k));
        assert_abs_diff_eq!(back.normalized_regret, r.normalized_regret, epsilon = 1e-12);
    }
    let json = serde_json::to_value(&c.rows[0]).unwrap();
    for key in ["task", "method", "k", "test_accuracy", "normalized_regret"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    let names: Vec<String> = Method::ALL.iter().map(|m| serde_json::to_value(m).unwrap().as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["proposal", "adaptive", "single-best", "portfolio", "portfolio-random", "nearest-task", "random", "tpe", "hindsight-default"]);
    // Bad options are typed errors.
    let bad = CompareOptions { budgets: vec![0], ..CompareOptions::default() };
    assert!(matches!(compare(&m, &f, &held, &prop, &bad), Err(EvalError::BadOptions(_))));
    assert!(matches!(compare(&m, &f, &[9], &[None], &opts), Err(EvalError::BadOptions(_))));
}

#[test]
fn a_held_out_proposal_is_trained_on_its_task() {
    let store = MemoryStore::new();
    add_suite(&store, &suite_bundles("synthetic3", None).unwrap()).unwrap();
    let tasks: Vec<Arc<Task>> = load_tasks(&store).unwrap().into_iter().map(|t| t.task).collect();
    let space = ArchitectureSpace::paper(tasks[0].features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect()).unwrap();
    plan_missing(&store, &space, 6, 0).unwrap();
    let pool = Pool::ensure(&store, &space, 4, 0).unwrap();
    pool.plan(&store).unwrap();
    let device = Device::default();
    let trainer = AdamTrainer::new(TrainConfig::new().with_learning_rate(1e-2).with_epochs(2), device.clone()).unwrap();
    let by_name: HashMap<String, Arc<Task>> = tasks.iter().map(|t| (t.name().to_string(), t.clone())).collect();
    let options = WorkerOptions { name: "w".into(), stale_after: Duration::from_secs(60), max_trials: None };
    assert_eq!(run_worker(&store, &trainer, &by_name, &device, &options, &mut |_, _, _| {}).unwrap(), 3 * 10);
    let dvn = dvn_tasks(&store, &space, &tasks).unwrap();
    let how = InferencerRecipe {
        recipe: archinfer_dvn::Recipe::new(archinfer_dvn::DvnPreset::TaskAware, archinfer_metafeatures::MetaFeatures::Learned)
            .with_sample_module("p8")
            .with_overrides("min_steps=0,max_steps=40,eval_every=20")
            .unwrap(),
        ensemble: 1,
        library_best: 2,
    };
    let opts = InferOptions::new().with_ascent(AscentConfig::new().with_starts(4).with_max_iters(30));
    let setup = ProposalSetup { store: &store, space: &space, tasks: &dvn, how: &how, opts: &opts, trainer: &trainer, k: 2, seed: 5, device: &device };
    let p = train_proposal(&setup, 0).unwrap();
    assert_eq!(p.task, tasks[0].name());
    assert!(!p.candidates.is_empty() && p.candidates.len() <= 2);
    assert!(p.candidates.iter().all(|c| (0.0..=1.0).contains(&c.val_accuracy) && c.seconds > 0.0));
    // The pool matrix of this store feeds compare with the trained proposal.
    let m = PoolMatrix::from_pool(&pool, &store, None).unwrap();
    let f = facts(&store);
    let c = compare(&m, &f, &[0], &[Some(p.runs())], &CompareOptions::default()).unwrap();
    assert!(c.rows.iter().any(|r| r.method == Method::Proposal && r.k == 1));
}

#[test]
fn a_stored_trial_with_a_recipe_the_space_lacks_is_an_error_naming_it() {
    let store = MemoryStore::new();
    add_suite(&store, &suite_bundles("synthetic3", None).unwrap()).unwrap();
    let tasks: Vec<Arc<Task>> = load_tasks(&store).unwrap().into_iter().map(|t| t.task).collect();
    let v1 = ArchitectureSpace::paper(tasks[0].features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect()).unwrap();
    let v2 = v1.clone().with_recipes(archinfer_encoding::RecipeSpace::around(1e-3, 20, 64).unwrap()).unwrap();
    let arch = archinfer_encoding::DiscreteArchitecture::parse(&v2, &format!("{} → softmax · lr 3e-3 · 40 ep", v2.embeddings()[0].name)).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&arch.to_json().unwrap()).unwrap();
    json["recipe"]["index"][3] = serde_json::json!(17);
    let planned = archinfer_store::PlannedTrial { trial_index: 0, architecture: json.to_string(), seed: 1 };
    let result = TrialResult { val_accuracy: 0.5, test_accuracy: 0.5, seconds: 0.1, num_params: 1, epochs_run: 1 };
    store.record_trials(tasks[0].name(), "w", &[(planned, result)]).unwrap();
    let id = store.trials(Some(tasks[0].name())).unwrap()[0].id;
    let e = dvn_tasks(&store, &v2, &tasks).unwrap_err();
    assert!(matches!(&e, AppError::BadArchitecture { trial, message } if *trial == id && message.contains("epochs")), "{e}");
    // In the version-1 space the same trial names both versions.
    let e = dvn_tasks(&store, &v1, &tasks).unwrap_err();
    assert!(e.to_string().contains("version 2") && e.to_string().contains("version 1"), "{e}");
}
