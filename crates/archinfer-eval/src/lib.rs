//! # archinfer-eval
//!
//! The library behind archinfer's commands, written against the store, trainer and encoder
//! traits so any `ExperimentStore`, `ChildTrainer` or `TaskEncoder` plugs in:
//!
//! - **tasks as records** of the store: [`add_task`], [`add_suite`] / [`suite_bundles`],
//!   [`load_tasks`], [`fits_space`];
//! - **building the database**: [`plan_missing`] plans what each task lacks, [`run_worker`]
//!   trains claimed trials and records each outcome exactly once;
//! - **the paper's leave-one-task-out protocols**: [`dvn_tasks`] (recorded children as training
//!   data), [`predict_fold`] (Tables 2 and 3), [`fit_inferencer`] / [`propose_held_out`] (Table 4)
//!   and [`keep_best`] (`--candidates K`), with the one value-network fitting recipe
//!   ([`archinfer_dvn::Recipe`]);
//! - **the fair baselines**, as pure functions over a configs × tasks [`PoolMatrix`]
//!   (single-best default, greedy portfolio, nearest task, random search, normalised regret,
//!   [`wins_ties_losses`], [`mean_ranks`], an exact [`wilcoxon`] signed-rank test), read from
//!   the store's common [`Pool`] and run leave-one-task-out by [`compare`];
//! - **every evaluation's phases**, resumable from their run logs ([`ResumableRuns`]): the
//!   missing fits of `evaluate predict` ([`predict_jobs`], [`Fold::run`]), the proposals and
//!   trainings of `evaluate search` ([`Proposer`], [`ProposalSetup::propose_missing`],
//!   [`ProposalSetup::train_search`], [`search_tables`]), a whole `evaluate compare`
//!   ([`CompareRun`], [`Comparison::write`], [`pooled_markdown`]) and the ceiling's repeats
//!   ([`ceiling_runs`]); the command line only parses, calls these and renders;
//!
//! and the diagnostics that tell a task-aware value network from a task-agnostic one:
//!
//! - [`z_swap`]: rank a task's recorded children with its own embedding `z` and with every other
//!   task's `z` in its place; a model that ignores `z` scores the same either way.
//! - [`ceiling`]: how much of a suite's ranking is task-specific at all, from a model that knows
//!   each task's identity against one that does not, fitted on half of every task's children
//!   and scored on the other half.
//! - [`diversity`]: how many distinct networks one model proposes across a suite's tasks.
//!
//! ```
//! use archinfer_eval::{ZSwapSummary, z_swap};
//! // A "model" that ignores z: its ranking cannot depend on the task.
//! let agnostic = |u: &[Vec<f32>], _z: &[f32]| u.iter().map(|r| r[0]).collect::<Vec<f32>>();
//! let u = vec![vec![0.0], vec![1.0], vec![2.0]];
//! let v = [0.1, 0.3, 0.2];
//! let others = vec![("b".to_string(), vec![1.0]), ("c".to_string(), vec![-1.0])];
//! let row = z_swap(&agnostic, "a", &u, &v, &[0.5], &others).unwrap();
//! assert_eq!(row.gap(), 0.0);
//! assert!(!ZSwapSummary::of(&[row]).passes(1, 0.0));
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod ceiling;
mod compare;
mod compare_run;
mod diversity;
mod error;
mod fitted;
mod manifest;
mod modules;
mod plots;
mod pool;
mod protocol;
mod records;
mod runs;
mod search;
mod settings;
mod tables;
mod user;
mod worker;
mod zswap;

pub use ceiling::{CeilingOptions, CeilingRow, CeilingRun, ceiling, ceiling_runs};
pub use compare::{
    ANYTIME_BUDGETS, CompareOptions, CompareRow, Comparison, Method, MethodSummary, PoolMatrix, TaskFacts, Wilcoxon, compare, compare_with_training,
    mean_ranks, summarise_rows, summary_markdown, task_halves, wilcoxon, wins_ties_losses,
};
pub use compare_run::{CompareRun, CompareSettings, held_indices, matrix_facts, pooled_markdown};
pub use diversity::{Diversity, distance, diversity};
pub use error::{EvalError, Result};
pub use fitted::{
    ARCHITECTURE_FILE, CandidateRow, FITTED_FILE, FitOptions, FitReport, FittedInfo, FittedModel, Predictions, TrainedFit, WEIGHTS_FILE, accuracy, default_train_config, fit_settings,
    record_fit,
};
pub use manifest::{db_manifest, machine_info, run_summary};
pub use modules::{ModuleCost, child_costs, module_indices, widen_space};
pub use plots::{embedding_pca, predicted_vs_actual, spearman_vs_tasks};
pub use pool::{POOL_FIRST_INDEX, Pool, PoolMember};
pub use protocol::{
    Fold, HeldOutProposal, InferencerRecipe, TrainedCandidate, TrainedProposal, all_but, distinct, distinct_candidates, ProposalSetup, Proposer, dvn_tasks, fit_inferencer, keep_best, mean_std,
    predict_fold, predict_jobs, propose_held_out, train_proposal, train_proposals_fitted_on,
};
pub use records::{
    StoredTask, SuiteAdded, TextModules, add_suite, add_task, add_user_task, bundle_task, check_model_fits, export_image_task, fill_suite, fits_space, load_task, load_tasks, load_tasks_filled, pin_space, record_of,
    space_of, suite_bundles, suite_complete, suite_images, suite_task,
};
pub use runs::{ResumableRuns, pin_run_settings, run_jobs};
pub use search::{RunKind, SEARCH_SEED_BASE, SearchPlan, SearchRun, search_child, search_tables};
pub use settings::DbSettings;
pub use tables::{CeilingTable, DiversityTable, TradeoffRow, TradeoffTable, CandidatesTable, FixedTable, PredictRun, PredictTable, ProposalRecord, RecordedChildren, SearchRow, SearchTable, TaskAwarenessTable, pm};
pub use user::{
    DataSpec, IMAGE_PATH_COLUMNS, IMAGE_SIDE, InputKind, Modality, USER_SPLIT, USER_SPLIT_SEED, UserData, UserSamples, parse_label, read_user_data,
};
pub use worker::{
    BuildPlan, BuildPrepared, MakeTrainer, OnAnyTrial, OnTrial, OpenStore, Report, WorkerOptions, WorkerPoolOptions, check_planned, plan_missing, plan_missing_among, prepare_build, process_name, run_worker,
    run_workers,
};
pub use zswap::{TaskScorer, ZSwap, ZSwapSummary, embeddings, z_swap};
