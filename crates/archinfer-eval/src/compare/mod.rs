//! The fair baselines of issue 17, as small pure functions over a configs × tasks matrix of
//! recorded results (the shape of TabRepo and HPO-B): a single-best default and a greedy
//! portfolio chosen without hindsight, the nearest task's best, random search; normalised
//! regret, wins/ties/losses, mean ranks and a Wilcoxon test over tasks ([`crate::stats`]).
//!
//! Every choice for a held-out task is made from the *training* tasks' rows only; the
//! held-out task's validation scores then pick among the K members (as a user who trains
//! the K networks would), and its test scores are what is reported.
//!
//! - [`PoolMatrix::from_pool`] reads the matrix from a store;
//! - the [`Baseline`] trait, and [`baselines`] the registered ones, a file each;
//! - [`compare()`] runs every method leave-one-task-out; the report summarises and renders;
//! - `evaluate compare` end to end on a database: [`CompareRun`].

mod baseline;
mod baselines;
mod job;
mod leave_one_out;
mod matrix;
mod method;
mod options;
mod prior;
mod replicate;
mod report;
mod run;

pub use baseline::{Baseline, HeldOut};
pub use job::{CompareDone, CompareJob};
pub use baselines::{AdaptiveSearch, Classic, ClassicModel, HindsightDefault, NearestTask, Portfolio, PortfolioThenRandom, RandomSearch, SingleBest, TpeSearch, baselines, methods};
pub use matrix::{OutsideScore, PoolMatrix, TaskFacts};
pub use leave_one_out::{compare, compare_baselines, compare_with_priors, compare_with_training, task_halves};
pub use prior::{AdaptiveStep, Coverage, TaskPrior, adaptive_priors};
pub use replicate::{ReplicateRun, SEED_STRIDE, replicate_comparisons, replicate_curves, replicate_markdown, run_replicates};
pub use method::Method;
pub use options::CompareOptions;
pub use report::{ANYTIME_BUDGETS, CompareRow, Comparison, MethodSummary, summarise_rows, summary_markdown};
pub use run::{CompareRun, CompareSettings, held_indices, matrix_facts, pooled_markdown};
