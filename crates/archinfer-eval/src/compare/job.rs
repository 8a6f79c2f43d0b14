//! `archinfer evaluate compare` as one library call: the database's pool and tasks, the
//! proposals trained resumably into the output folder (its settings pinned), every baseline
//! beside them, and the folder written. The command renders what [`CompareJob::run`] returns.

use std::path::PathBuf;
use std::sync::Arc;

use archinfer_app::{AppError, InferencerRecipe, Pool};
use archinfer_classic::ClassicOptions;
use archinfer_data::Task;
use archinfer_infer::InferOptions;
use archinfer_store::{ExperimentStore, Location};
use burn::tensor::Device;

use super::matrix::{OutsideScore, PoolMatrix};
use super::options::CompareOptions;
use super::prior::{TaskPrior, adaptive_priors};
use super::replicate::{ReplicateRun, replicate_comparisons, replicate_markdown, run_replicates};
use super::report::Comparison;
use super::run::{CompareRun, CompareSettings, held_indices, matrix_facts};
use crate::classic::{ClassicRun, classic_in};
use crate::error::{EvalError, Result};
use crate::proposal::{Proposer, TrainedProposal};
use crate::runner::{ResumableRuns, pin_run_settings};

/// One `evaluate compare` on a database.
#[derive(Debug, Clone)]
pub struct CompareJob {
    /// The database (its pool, tasks and recorded children).
    pub db: Location,
    /// How the value network is fitted.
    pub how: InferencerRecipe,
    /// The ascent.
    pub ascent: InferOptions,
    /// How `how` and `ascent` are named in the pinned settings (their command-line form).
    pub fit_name: String,
    /// As `fit_name`, for the ascent.
    pub ascent_name: String,
    /// Held-out tasks (`None`: every task).
    pub tasks: Option<Vec<String>>,
    /// Budgets K reported in the tables.
    pub budgets: Vec<usize>,
    /// Budgets computed too, for the any-time curve.
    pub curve: Vec<usize>,
    /// Orders averaged for random search.
    pub random_orders: usize,
    /// Seed of the split-half check (one value network per half proposes for the other).
    pub split_half: Option<u64>,
    /// Training seed of the first candidate.
    pub train_seed: u64,
    /// Worker threads.
    pub workers: usize,
    /// The output folder (`None`: `results/compare-SUITE`, or `results/split-half-SUITE-SEED`).
    pub out: Option<PathBuf>,
    /// The classic defaults outside the space, trained on each held-out task and compared
    /// too (`classic.jsonl` in the folder, resumable, pinned to these options in
    /// `classic-settings.json`); `None` leaves them out. `archinfer evaluate compare` sets
    /// `Some(ClassicOptions::default())` unless `--no-classic`. They are fitted before the
    /// proposals, one task at a time, each fit on every core (not `workers`).
    pub classic: Option<ClassicOptions>,
    /// Scores of models outside the space measured elsewhere on the same splits (JSONL of
    /// [`ClassicRun`] lines, such as `benches/peers/table_peer.py`'s gradient-boosted trees),
    /// added as outside scores beside the classic defaults.
    pub outside: Option<PathBuf>,
    /// Also run few-shot adaptation (`adaptive`) and TPE over the pool: the value network
    /// is fitted once more per held-out task, leave-one-task-out, for its prior over the pool
    /// (`adaptive-priors.jsonl` in the folder, resumable).
    pub adaptive: bool,
    /// The protocol's R: with more than 1 (and `adaptive`), every training of each held-out
    /// task is repeated on R − 1 further seeds ([`run_replicates`], `replicates.jsonl`,
    /// resumable) and `compare-rR.md` reports the mean ± standard error across them.
    pub replicates: usize,
}

/// What a comparison did.
#[derive(Debug, Clone)]
pub struct CompareDone {
    /// Every row and summary.
    pub comparison: Comparison,
    /// The folder written.
    pub out: PathBuf,
    /// The suite of the database's first task.
    pub suite: String,
    /// `compare.md`.
    pub markdown: String,
    /// `rows.jsonl`.
    pub json_lines: String,
    /// One comparison per replicate (empty without `replicates` > 1).
    pub replicates: Vec<Comparison>,
    /// `compare-rR.md`, if written.
    pub replicate_markdown: Option<String>,
}

impl CompareJob {
    /// Runs the comparison on `suite_tasks` (the database's tasks with their samples):
    /// `on_start(held, done)` is told how many held-out tasks there are and how many the log
    /// already holds, `on_done` sees each proposal trained, `on_classic` each classic model
    /// fitted (all of them before `on_start` is called), `on_prior` each held-out task's
    /// adaptive run (before the proposals), `on_replicate` each task's replicate.
    ///
    /// # Errors
    /// [`EvalError::BadOptions`] for bad options or `--tasks` with the split-half check; a
    /// database without a pool ([`AppError::NoPool`]); an unknown task, named with the database;
    /// a folder pinned to other settings; [`EvalError::Classic`] naming a task a classic model
    /// cannot be fitted on (an empty vocabulary, say: leave them out with `classic: None`);
    /// fitting, training and writing failures.
    pub fn run(
        &self,
        suite_tasks: &[Arc<Task>],
        device: &Device,
        on_start: &mut dyn FnMut(usize, usize),
        on_done: &(dyn Fn(&TrainedProposal) + Sync),
        on_classic: &mut dyn FnMut(&ClassicRun),
        on_prior: &mut dyn FnMut(&TaskPrior),
        on_replicate: &(dyn Fn(&ReplicateRun) + Sync),
    ) -> Result<CompareDone> {
        if self.replicates == 0 || (self.replicates > 1 && (!self.adaptive || self.split_half.is_some())) {
            return Err(EvalError::BadOptions(format!("--replicates {}: at least 1, and more only with --adaptive (leave-one-task-out)", self.replicates)));
        }
        if self.split_half.is_some() && self.tasks.is_some() {
            return Err(EvalError::BadOptions("--split-half proposes for every task (each from the other half); leave out --tasks".into()));
        }
        let options = CompareOptions { budgets: self.budgets.iter().chain(&self.curve).copied().collect(), random_orders: self.random_orders, seed: 0, tie: CompareOptions::TIE };
        options.validate()?;
        let owned = self.db.open_existing()?;
        let store: &dyn ExperimentStore = owned.as_ref();
        let p = Proposer::load(store, suite_tasks, self.how.clone(), self.ascent.clone(), device)?;
        let pool = Pool::load(store)?.ok_or(AppError::NoPool)?;
        let matrix = PoolMatrix::from_pool(&pool, store, Some(&p.tasks.iter().map(|t| t.name.clone()).collect::<Vec<_>>()))?;
        let in_db = |e: EvalError| EvalError::In { db: self.db.to_string(), source: Box::new(e) };
        let held = held_indices(&matrix, self.tasks.as_deref()).map_err(in_db)?;
        let mut facts = matrix_facts(store, &matrix).map_err(in_db)?;
        let suite = store.tasks()?.first().map_or("db".to_string(), |r| r.suite.clone());
        let out = self.out.clone().unwrap_or_else(|| match self.split_half {
            Some(seed) => PathBuf::from(format!("results/split-half-{suite}-{seed}")),
            None => PathBuf::from(format!("results/compare-{suite}")),
        });
        std::fs::create_dir_all(&out).map_err(|e| crate::runner::io(&out, e))?;
        // An ascent of n starts has at most n distinct candidates: the proposal's curve stops there.
        let k = options.budgets.iter().copied().max().unwrap_or(1).min(self.ascent.ascent.starts.max(1));
        let settings = CompareSettings {
            db: self.db.to_string(),
            fit: self.fit_name.clone(),
            ascent: self.ascent_name.clone(),
            train_seed: self.train_seed,
            candidates: k,
            split_half: self.split_half,
        };
        pin_run_settings(&out.join("settings.json"), &settings)?;
        if let Some(options) = &self.classic {
            let names: Vec<String> = held.iter().map(|&t| matrix.tasks[t].clone()).collect();
            for r in classic_in(store, &names, options, &out, on_classic).map_err(in_db)? {
                if let Some(t) = matrix.tasks.iter().position(|n| *n == r.task) {
                    facts[t].outside.push(OutsideScore { method: r.model, valid: r.valid, test: r.test });
                }
            }
        }
        if let Some(path) = &self.outside {
            for r in ResumableRuns::<ClassicRun>::new(path.clone()).read()? {
                if let Some(t) = matrix.tasks.iter().position(|n| *n == r.task) {
                    facts[t].outside.push(OutsideScore { method: r.model, valid: r.valid, test: r.test });
                }
            }
        }
        let log = ResumableRuns::<TrainedProposal>::new(out.join("proposals.jsonl"));
        on_start(held.len(), log.read()?.iter().filter(|p| held.iter().any(|&t| matrix.tasks[t] == p.task)).count());
        let setup = p.setup(store, k, self.train_seed);
        let priors = if self.adaptive && self.split_half.is_none() {
            let names: Vec<String> = held.iter().map(|&t| matrix.tasks[t].clone()).collect();
            let log = ResumableRuns::<TaskPrior>::new(out.join("adaptive-priors.jsonl"));
            let budget = options.budgets.iter().copied().max().unwrap_or(1);
            adaptive_priors(&setup, &pool, &matrix, &names, budget, &log, on_prior)?
        } else {
            Default::default()
        };
        let run = CompareRun { setup, matrix: &matrix, facts: &facts, held, split_half: self.split_half, options, priors };
        let comparison = run.run(self.workers, &log, on_done)?;
        let (markdown, json_lines) = comparison.write(&out, &self.budgets, pool.size(), run.held.len())?;
        let (mut replicates, mut replicate_md) = (Vec::new(), None);
        if self.replicates > 1 && !run.priors.is_empty() {
            let names: Vec<String> = run.held.iter().map(|&t| matrix.tasks[t].clone()).collect();
            let rlog = ResumableRuns::<ReplicateRun>::new(out.join("replicates.jsonl"));
            let runs = run_replicates(&setup, &pool, &matrix, &run.priors, &names, self.replicates, self.workers, &rlog, on_replicate)?;
            replicates = replicate_comparisons(&matrix, &facts, &run.held, &run.priors, &runs, self.replicates, &run.options)?;
            let mut ks = self.budgets.clone();
            ks.sort_unstable();
            ks.dedup();
            let md = replicate_markdown(&replicates, super::method::Method::Adaptive, &ks, &self.curve, run.options.tie);
            let path = out.join(format!("compare-r{}.md", self.replicates));
            std::fs::write(&path, &md).map_err(|e| crate::runner::io(&path, e))?;
            replicate_md = Some(md);
        }
        Ok(CompareDone { comparison, out, suite, markdown, json_lines, replicates, replicate_markdown: replicate_md })
    }
}
