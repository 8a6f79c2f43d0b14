//! `archinfer evaluate compare`: the proposal against the fair baselines, leave-one-task-out.
//! The protocol is `archinfer::eval::compare`; this file trains the proposals (resumably) and
//! renders the result.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use archinfer::data::Task;
use archinfer::eval::{CompareOptions, Method, Pool, ProposalSetup, TaskFacts, TrainedProposal};
use archinfer::infer::{AscentConfig, InferOptions};
use archinfer::train::AdamTrainer;
use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::search::{AscentArgs, FitArgs};
use crate::{BoxError, outln};
use archinfer::eval::ResumableRuns;

/// Budgets of the any-time curve.
use archinfer::eval::ANYTIME_BUDGETS as CURVE;

/// Arguments of `archinfer evaluate compare`.
#[derive(Parser, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub src: crate::records::SuiteArgs,
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

/// `--pooled`: the summaries over every task of several comparisons.
fn pooled(dirs: &[PathBuf]) -> Result<(), BoxError> {
    let mut rows = Vec::new();
    for d in dirs {
        let mine: Vec<archinfer::eval::CompareRow> = ResumableRuns::new(d.join("rows.jsonl")).read()?;
        if mine.is_empty() {
            return Err(format!("{}: no rows.jsonl (run evaluate compare with --out there first)", d.display()).into());
        }
        // Task names stay unique across folders.
        rows.extend(mine.into_iter().map(|mut r| {
            r.task = format!("{}/{}", d.display(), r.task);
            r
        }));
    }
    let summary = archinfer::eval::summarise_rows(&rows, 1e-6);
    let mut ks: Vec<usize> = summary.iter().map(|s| s.k).collect();
    ks.dedup();
    for k in ks {
        outln!("{}", archinfer::eval::summary_markdown(&summary, k));
    }
    Ok(())
}

/// What the proposals of an output folder were made with; a rerun with other settings is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Settings {
    db: String,
    fit: String,
    ascent: String,
    train_seed: u64,
    candidates: usize,
    #[serde(default)]
    split_half: Option<u64>,
}

/// `archinfer evaluate compare`.
pub fn run(a: CompareArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    if let Some(dirs) = &a.pooled {
        return pooled(dirs);
    }
    // The split-half check, for choosing settings, trains only the budgets asked for.
    let curve: &[usize] = if a.split_half.is_some() { &[] } else { &CURVE };
    let opts = CompareOptions { budgets: a.budgets.iter().chain(curve).copied().collect(), random_orders: a.random_orders, seed: 0, tie: 1e-6 };
    opts.validate()?;
    let (space, dvn_tasks) = crate::evaluate::load_dvn_tasks(&a.src.db, &suite_tasks)?;
    let store = crate::db::open_existing(&a.src.db)?;
    let pool = Pool::load(&store)?.ok_or(archinfer::eval::EvalError::NoPool)?;
    let matrix = pool.matrix(&store, Some(&dvn_tasks.iter().map(|t| t.name.clone()).collect::<Vec<_>>()))?;
    let held: Vec<usize> = match &a.tasks {
        Some(names) => names
            .iter()
            .map(|n| matrix.tasks.iter().position(|t| t == n.trim()).ok_or_else(|| format!("{}: no task `{n}`", a.src.db)))
            .collect::<Result<_, _>>()?,
        None => (0..matrix.tasks.len()).collect(),
    };
    let records = store.tasks()?;
    let facts: Vec<TaskFacts> = matrix
        .tasks
        .iter()
        .map(|n| records.iter().find(|r| &r.name == n).map(TaskFacts::of).ok_or_else(|| format!("{}: no task `{n}`", a.src.db)))
        .collect::<Result<_, _>>()?;
    let suite = records.first().map_or("db".to_string(), |r| r.suite.clone());
    if a.split_half.is_some() && a.tasks.is_some() {
        return Err("--split-half proposes for every task (each from the other half); leave out --tasks".into());
    }
    let halves = a.split_half.map(|seed| archinfer::eval::task_halves(matrix.tasks.len(), seed));
    let out = a.out.clone().unwrap_or_else(|| match a.split_half {
        Some(seed) => PathBuf::from(format!("results/split-half-{suite}-{seed}")),
        None => PathBuf::from(format!("results/compare-{suite}")),
    });
    std::fs::create_dir_all(&out)?;
    let k_max = opts.budgets.iter().copied().max().unwrap_or(1);
    let settings = Settings {
        db: a.src.db.to_string(),
        fit: format!("{:?}", a.fit),
        ascent: format!("{:?}", a.ascent),
        train_seed: a.train_seed,
        candidates: k_max,
        split_half: a.split_half,
    };
    archinfer::eval::pin_run_settings(&out.join("settings.json"), &settings)?;
    let log = ResumableRuns::<TrainedProposal>::new(out.join("proposals.jsonl"));
    let config = archinfer::eval::DbSettings::of(store.as_ref()).require_train_config()?;
    let device = archinfer::default_device();
    let trainer = AdamTrainer::new(config, device.clone())?;
    let how = a.fit.inferencer_recipe()?;
    let infer = InferOptions::new().with_ascent(AscentConfig::new().with_starts(a.ascent.starts).with_max_iters(a.ascent.iters)).with_seeded(a.ascent.seeded);
    let setup = ProposalSetup {
        store: store.as_ref(),
        space: &space,
        tasks: &dvn_tasks,
        how: &how,
        opts: &infer,
        trainer: &trainer,
        k: k_max,
        seed: a.train_seed,
        device: &device,
    };
    let names: Vec<String> = held.iter().map(|&t| matrix.tasks[t].clone()).collect();
    let half_names = halves.as_ref().map(|h| h.clone().map(|half| half.iter().map(|&t| matrix.tasks[t].clone()).collect::<Vec<_>>()));
    let bar = crate::bar(names.len() as u64, "held-out tasks");
    bar.set_position(log.read()?.iter().filter(|p| names.contains(&p.task)).count() as u64);
    let on_done = |p: &TrainedProposal| {
        bar.set_message(format!("{}: {} ({:.1} s fit)", p.task, p.candidates.first().map_or("–", |c| c.architecture.as_str()), p.fit_seconds));
        bar.inc(1);
    };
    let found = setup.train_missing(&names, half_names.as_ref(), a.workers, &log, &on_done)?;
    bar.finish_and_clear();
    let proposals: Vec<Option<Vec<(f64, f64)>>> = held.iter().map(|&t| found.get(&matrix.tasks[t]).map(TrainedProposal::runs)).collect();
    let c = match &halves {
        Some(h) => {
            let training: Vec<Vec<usize>> = held.iter().map(|t| if h[0].contains(t) { h[1].clone() } else { h[0].clone() }).collect();
            archinfer::eval::compare_with_training(&matrix, &facts, &held, &training, &proposals, &opts)?
        }
        None => archinfer::eval::compare(&matrix, &facts, &held, &proposals, &opts)?,
    };
    let asked: BTreeSet<usize> = a.budgets.iter().copied().collect();
    let rows: Vec<_> = c.rows.iter().filter(|r| asked.contains(&r.k)).collect();
    let mut lines = String::new();
    for r in &rows {
        lines.push_str(&serde_json::to_string(r)?);
        lines.push('\n');
    }
    std::fs::write(out.join("rows.jsonl"), &lines)?;
    std::fs::write(out.join("summary.json"), serde_json::to_string_pretty(&c.summary)?)?;
    let md = c.markdown(&asked.iter().copied().collect::<Vec<_>>(), pool.size(), held.len());
    std::fs::write(
        out.join("headroom.json"),
        serde_json::to_string_pretty(&serde_json::json!({ "headroom_points": 100.0 * c.headroom, "tasks": held.len() }))?,
    )?;
    std::fs::write(out.join("compare.md"), &md)?;
    if a.split_half.is_none() && crate::plots::init_font() {
        let series: Vec<(String, Vec<(f64, f64)>)> = Method::ALL
            .iter()
            .map(|&m| (m.to_string(), CURVE.iter().zip(c.curve(m, &CURVE)).filter_map(|(&k, v)| v.map(|v| (k as f64, v))).collect()))
            .filter(|(_, p): &(String, Vec<(f64, f64)>)| !p.is_empty())
            .collect();
        crate::plots::lines(
            &out.join("anytime.png"),
            &format!("{suite}: mean normalised regret against budget"),
            &series,
            "K (networks trained)",
            "mean normalised regret",
        )?;
    }
    if a.json {
        print!("{lines}");
    } else {
        outln!("{md}");
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}
