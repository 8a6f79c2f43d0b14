//! `archinfer evaluate compare`: the proposal against the fair baselines, leave-one-task-out.
//! The whole run is the library's `CompareJob`; this file parses, draws the chart and prints.

use std::path::PathBuf;
use std::sync::Arc;

use archinfer::data::Task;
use archinfer::eval::{ClassicJob, ClassicOptions, ClassicRun, CompareJob};
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
    /// Leave out the classic defaults outside the space (TF-IDF or pixels with logistic
    /// regression, an RBF kernel approximation), which are otherwise trained on each held-out
    /// task first and compared too (a task they cannot be fitted on, such as texts without a
    /// word in two documents, stops the run: leave them out with this flag).
    #[arg(long)]
    pub no_classic: bool,
    /// Scores of models outside the space measured by a peer on the same splits (JSONL:
    /// task, model, valid, test, …; `benches/peers/table_peer.py` writes gradient-boosted
    /// trees), compared beside the classic defaults.
    #[arg(long)]
    pub outside: Option<PathBuf>,
    /// Also compare few-shot adaptation (`adaptive`: the value network fitted without the
    /// task as the prior, each training observed, expected improvement for the next) and TPE
    /// over the pool, at budgets 1–20. Fits the value network once more per held-out task
    /// (adaptive-priors.jsonl, resumable).
    #[arg(long)]
    pub adaptive: bool,
    /// The protocol's R (with --adaptive): repeat every training of each held-out task on
    /// R − 1 further seeds, shared by the pool and every method, and write compare-rR.md
    /// (mean ± standard error across replicates) and anytime-rR.png (replicates.jsonl,
    /// resumable).
    #[arg(long, default_value_t = 1)]
    pub replicates: usize,
    #[command(flatten)]
    pub ascent: AscentArgs,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// `archinfer evaluate compare`: one library call ([`CompareJob::run`]), then the chart and
/// the table.
pub fn run(a: CompareArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    if let Some(dirs) = &a.pooled {
        outln!("{}", archinfer::eval::pooled_markdown(dirs)?);
        return Ok(());
    }
    // The split-half check, for choosing settings, trains only the budgets asked for.
    let curve: &[usize] = if a.split_half.is_some() { &[] } else { &CURVE };
    let (how, ascent, fit_name, ascent_name) = (a.fit.inferencer_recipe()?, a.ascent.options(), format!("{:?}", a.fit), format!("{:?}", a.ascent));
    let (db, tasks, budgets, curve, out) = (a.src.db.clone(), a.tasks.clone(), a.budgets.clone(), curve.to_vec(), a.out.clone());
    let classic = (!a.no_classic).then(ClassicOptions::default);
    let job = CompareJob { db, how, ascent, fit_name, ascent_name, tasks, budgets, curve, random_orders: a.random_orders, split_half: a.split_half, train_seed: a.train_seed, workers: a.workers, out, classic, outside: a.outside.clone(), adaptive: a.adaptive, replicates: a.replicates };
    let tasks: Vec<Arc<Task>> = suite_tasks.into_iter().map(|(t, _)| t).collect();
    let bar = crate::ui::bar(0, "held-out tasks");
    let done = job.run(
        &tasks,
        &archinfer::default_device(),
        &mut |held, done| {
            bar.set_length(held as u64);
            bar.set_position(done as u64);
        },
        &|p| {
            bar.set_message(format!("{}: {} ({:.1} s fit)", p.task, p.candidates.first().map_or("–", |c| c.architecture.as_str()), p.fit_seconds));
            bar.inc(1);
        },
        &mut |c| bar.suspend(|| eprintln!("{}", classic_line(c))),
        &mut |p| {
            let best = p.steps.iter().map(|s| s.val).fold(0.0, f64::max);
            let (c0, c5) = (p.coverage.prior, p.coverage.after_five);
            bar.suspend(|| eprintln!("{}: adaptive over {} candidates, best validation {:.4} in {} trainings; 80 % interval holds {}/{} before, {}/{} after five ({:.1} s fit)", p.task, p.candidates, best, p.steps.len(), c0.0, c0.1, c5.0, c5.1, p.fit_seconds))
        },
        &|r| eprintln!("{}: replicate {} trained ({:.1} s)", r.task, r.replicate, r.seconds),
    )?;
    bar.finish_and_clear();
    if a.split_half.is_none() && archinfer_plots::init_font() {
        let title = format!("{}: mean normalised regret against budget", done.suite);
        archinfer_plots::lines(&done.out.join("anytime.png"), &title, &done.comparison.curves(&CURVE), "K (networks trained)", "mean normalised regret", true)?;
    }
    if !done.replicates.is_empty() && archinfer_plots::init_font() {
        let title = format!("{}: mean normalised regret against budget, R = {}", done.suite, done.replicates.len());
        let curves = archinfer::eval::replicate_curves(&done.replicates, &CURVE);
        archinfer_plots::lines(&done.out.join(format!("anytime-r{}.png", done.replicates.len())), &title, &curves, "K (networks trained)", "mean normalised regret", true)?;
    }
    if let Some(md) = &done.replicate_markdown {
        eprintln!("{md}");
    }
    if a.json {
        print!("{}", done.json_lines);
    } else {
        outln!("{}", done.markdown);
        eprintln!("wrote {}", done.out.display());
    }
    Ok(())
}

fn classic_line(c: &ClassicRun) -> String {
    format!("{}: {} C = {} valid {:.2} % test {:.2} % ({} features, {:.1} s)", c.task, c.model, c.c, 100.0 * c.valid, 100.0 * c.test, c.features, c.seconds)
}

/// Arguments of `archinfer evaluate classic`.
#[derive(Parser, Debug)]
pub struct ClassicArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    /// Only these tasks (comma-separated; default: all).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Option<Vec<String>>,
    /// Output folder: classic.jsonl (resumable) and classic-settings.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write each task's splits here (NAME.json, and NAME.f32 for images) for the
    /// scikit-learn peer, `benches/peers/classic_peer.py`.
    #[arg(long)]
    pub export: Option<PathBuf>,
}

/// `archinfer evaluate classic`: the classic defaults on the database's tasks, one line each.
pub fn classic(a: ClassicArgs) -> Result<(), BoxError> {
    let job = ClassicJob { db: a.src.db, tasks: a.tasks, options: ClassicOptions::default(), out: a.out, export: a.export };
    for c in job.run(&mut |c| eprintln!("{}", classic_line(c)))? {
        outln!("{}", serde_json::to_string(&c)?);
    }
    Ok(())
}
