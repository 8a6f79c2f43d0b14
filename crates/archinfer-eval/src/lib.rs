//! # archinfer-eval
//!
//! The evaluations of archinfer, one module folder each, over the application crate
//! ([`archinfer_app`]: tasks as records, the pool, fitted inferencers):
//!
//! - [`predict`]: the paper's Tables 2 and 3 ([`predict_fold`], [`predict_jobs`],
//!   [`PredictTable`]);
//! - [`search`]: Table 4 and `--candidates K` ([`ProposalSetup::propose_missing`],
//!   [`ProposalSetup::train_search`], [`search_tables`]), on the shared [`proposal`] phase;
//! - [`compare`]: the fair baselines as pure functions over a configs × tasks [`PoolMatrix`],
//!   each a [`Baseline`] registered in [`baselines`], run leave-one-task-out by [`compare()`]
//!   and end to end by [`CompareRun`];
//! - [`ceiling`], [`diversity`], [`tradeoff`], [`zswap`] and [`plots`];
//! - [`stats`]: mean ± std, ranks, wins/ties/losses and the exact Wilcoxon test, one place;
//! - [`runner`]: the resumable run log ([`ResumableRuns`]), the job pool ([`run_jobs`]) and the
//!   settings pin ([`pin_run_settings`]) every evaluation writes its folder with.
//!
//! The application's names (`FittedModel`, `read_user_data`, `Pool`, …) are re-exported here
//! too, so programs written before they moved keep compiling (their errors are
//! [`archinfer_app::AppError`], inside [`EvalError::App`] here).
//!
//! The diagnostics that tell a task-aware value network from a task-agnostic one:
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

pub mod ceiling;
pub mod classic;
pub mod compare;
pub mod diversity;
mod error;
pub mod plots;
pub mod predict;
pub mod proposal;
pub mod runner;
pub mod search;
pub mod stats;
pub mod tradeoff;
pub mod zswap;

pub use error::{EvalError, Result};

// Every evaluation's names, flat, as before the modules were folders: programs written against
// `archinfer_eval::compare`, `archinfer_eval::PredictTable`, … keep compiling.
pub use ceiling::{CeilingOptions, CeilingRow, CeilingRun, CeilingTable, ceiling, ceiling_runs};
pub use archinfer_classic::{ClassicKind, ClassicOptions};
pub use classic::{ClassicJob, ClassicRun, classic_in, classic_runs, export_splits, kinds_for, run_classic, task_bundle};
pub use compare::{
    ANYTIME_BUDGETS, Baseline, Classic, ClassicModel, OutsideScore, CompareDone, CompareJob, CompareOptions, CompareRow, CompareRun, CompareSettings, Comparison, HeldOut, Method, MethodSummary, PoolMatrix, TaskFacts, baselines, compare,
    compare_baselines, compare_with_training, held_indices, matrix_facts, methods, pooled_markdown, summarise_rows, summary_markdown, task_halves, AdaptiveSearch, AdaptiveStep, Coverage,
    PortfolioThenRandom, ReplicateRun, SEED_STRIDE, TaskPrior, TpeSearch, adaptive_priors, compare_with_priors, replicate_comparisons, replicate_curves, replicate_markdown, run_replicates,
};
pub use diversity::{Diversity, DiversityTable, distance, diversity};
pub use plots::{embedding_pca, predicted_vs_actual, spearman_vs_tasks};
pub use predict::{Fold, PredictRun, PredictTable, TaskAwarenessTable, all_but, predict_fold, predict_jobs};
pub use proposal::{HeldOutProposal, ProposalSetup, Proposer, TrainedCandidate, TrainedProposal, keep_best, propose_held_out, train_proposal, train_proposals_fitted_on};
pub use runner::{ResumableRuns, pin_run_settings, run_jobs};
pub use search::{
    CandidatesTable, FixedTable, ProposalRecord, RecordedChildren, RunKind, SEARCH_SEED_BASE, SearchPlan, SearchRow, SearchRun, SearchTable, search_child, search_tables,
};
pub use stats::{Wilcoxon, mean_ranks, mean_std, pm, wilcoxon, wins_ties_losses};
pub use tradeoff::{TradeoffRow, TradeoffTable};
pub use zswap::{TaskScorer, ZSwap, ZSwapSummary, embeddings, z_swap};

// The application moved to `archinfer-app`; its names stay reachable here so that programs
// written against `archinfer_eval::FittedModel`, `read_user_data`, … keep compiling.
pub use archinfer_app::{
    ARCHITECTURE_FILE, AppError, BuildPlan, BuildPrepared, CandidateRow, DataSpec, DbSettings, FITTED_FILE, FitOptions, FitReport, FittedInfo, FittedModel, IMAGE_PATH_COLUMNS, IMAGE_SIDE,
    InferencerRecipe, InputKind, MakeTrainer, Modality, ModuleCost, OnAnyTrial, OnTrial, OpenStore, POOL_FIRST_INDEX, Pool, PoolMember, Predictions, Report, StoredTask, SuiteAdded,
    TextModules, TrainedFit, USER_SPLIT, USER_SPLIT_SEED, UserData, UserSamples, WEIGHTS_FILE, WorkerOptions, WorkerPoolOptions, accuracy, add_suite, add_task, add_user_task, bundle_task,
    check_model_fits, check_planned, child_costs, db_manifest, default_train_config, distinct, distinct_candidates, dvn_tasks, export_image_task, fill_suite, fit_inferencer, fit_settings,
    fits_space, load_task, load_tasks, load_tasks_filled, machine_info, module_indices, parse_label, pin_space, plan_missing, plan_missing_among, prepare_build, process_name, read_user_data,
    record_fit, record_of, run_summary, run_worker, run_workers, space_of, suite_bundles, suite_complete, suite_images, suite_task, train_candidates, widen_space,
};
