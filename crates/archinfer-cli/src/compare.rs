//! `archinfer evaluate compare`: the proposal against the fair baselines, leave-one-task-out.
//! The protocol is `archinfer::eval::compare`; this file trains the proposals (resumably) and
//! renders the result.

use std::path::PathBuf;
use std::sync::Arc;

use archinfer::data::Task;
use archinfer::eval::{PoolMatrix, CompareOptions, CompareRun, CompareSettings, Pool, ResumableRuns, TrainedProposal, held_indices, matrix_facts};
use clap::Parser;

use crate::search::{AscentArgs, FitArgs};
use crate::ui::{BoxError, outln};

/// Budgets of the any-time curve.
use archinfer::eval::ANYTIME_BUDGETS as CURVE;

/// Arguments of `archinfer evaluate compare`.
#[derive(Parser, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    /// Only these held-out tasks (comma-separated; default: all).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Option<Vec<String>>,
    /// Budgets K (networks trained on the held-out task) to report.
    #[arg(long, value_delimiter = ',', default_value = "1,3,10")]
    pub budgets: Vec<usize>,
    /// Print one JSON object per task, method and budget instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Random-search orders averaged per task and budget.
    #[arg(long, default_value_t = 1000)]
    pub random_orders: usize,
    /// Seed of the proposals' trainings (candidate j trains from seed + j).
    #[arg(long, default_value_t = 0)]
    pub train_seed: u64,
    /// Parallel leave-one-task-out folds.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Output folder: proposals.jsonl (resumable), rows.jsonl, summary.json, compare.md,
    /// anytime.png (default: results/compare-SUITE).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Instead of running, pool the rows.jsonl of these earlier output folders (e.g. both
    /// suites) and print the summaries over all their tasks.
    #[arg(long, value_delimiter = ',')]
    pub pooled: Option<Vec<PathBuf>>,
    /// The split-half check, for choosing settings without a leave-one-task-out result: the
    /// tasks are split in two halves from this seed; one value network is fitted on each half
    /// and proposes for every task of the other, and the baselines also learn from the other
    /// half only (default folder: results/split-half-SUITE-SEED).
    #[arg(long)]
    pub split_half: Option<u64>,
    #[command(flatten)]
    pub ascent: AscentArgs,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// `archinfer evaluate compare`.
pub fn run(a: CompareArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    if let Some(dirs) = &a.pooled {
        outln!("{}", archinfer::eval::pooled_markdown(dirs)?);
        return Ok(());
    }
    if a.split_half.is_some() && a.tasks.is_some() {
        return Err("--split-half proposes for every task (each from the other half); leave out --tasks".into());
    }
    // The split-half check, for choosing settings, trains only the budgets asked for.
    let curve: &[usize] = if a.split_half.is_some() { &[] } else { &CURVE };
    let options = CompareOptions { budgets: a.budgets.iter().chain(curve).copied().collect(), random_orders: a.random_orders, seed: 0, tie: 1e-6 };
    options.validate()?;
    let (p, store) = crate::search::proposer(&a.src, &suite_tasks, &a.fit, a.ascent.options())?;
    let store = store.as_ref();
    let pool = Pool::load(store)?.ok_or(archinfer::app::AppError::NoPool)?;
    let matrix = PoolMatrix::from_pool(&pool, store, Some(&p.tasks.iter().map(|t| t.name.clone()).collect::<Vec<_>>()))?;
    let in_db = |e: archinfer::eval::EvalError| format!("{}: {e}", a.src.db);
    let held = held_indices(&matrix, a.tasks.as_deref()).map_err(in_db)?;
    let facts = matrix_facts(store, &matrix).map_err(in_db)?;
    let suite = store.tasks()?.first().map_or("db".to_string(), |r| r.suite.clone());
    let out = a.out.clone().unwrap_or_else(|| match a.split_half {
        Some(seed) => PathBuf::from(format!("results/split-half-{suite}-{seed}")),
        None => PathBuf::from(format!("results/compare-{suite}")),
    });
    std::fs::create_dir_all(&out)?;
    let k = options.budgets.iter().copied().max().unwrap_or(1);
    let (fit, ascent) = (format!("{:?}", a.fit), format!("{:?}", a.ascent));
    let settings = CompareSettings { db: a.src.db.to_string(), fit, ascent, train_seed: a.train_seed, candidates: k, split_half: a.split_half };
    archinfer::eval::pin_run_settings(&out.join("settings.json"), &settings)?;
    let log = ResumableRuns::<TrainedProposal>::new(out.join("proposals.jsonl"));
    let setup = p.setup(store, k, a.train_seed);
    let bar = crate::ui::bar(held.len() as u64, "held-out tasks");
    bar.set_position(log.read()?.iter().filter(|p| held.iter().any(|&t| matrix.tasks[t] == p.task)).count() as u64);
    let run = CompareRun { setup, matrix: &matrix, facts: &facts, held, split_half: a.split_half, options };
    let c = run.run(a.workers, &log, &|p| {
        bar.set_message(format!("{}: {} ({:.1} s fit)", p.task, p.candidates.first().map_or("–", |c| c.architecture.as_str()), p.fit_seconds));
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    let (md, lines) = c.write(&out, &a.budgets, pool.size(), run.held.len())?;
    if a.split_half.is_none() && archinfer_plots::init_font() {
        let title = format!("{suite}: mean normalised regret against budget");
        archinfer_plots::lines(&out.join("anytime.png"), &title, &c.curves(&CURVE), "K (networks trained)", "mean normalised regret", true)?;
    }
    if a.json {
        print!("{lines}");
    } else {
        outln!("{md}");
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}
