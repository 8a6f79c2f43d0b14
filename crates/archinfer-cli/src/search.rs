//! `archinfer train-dvn`, `archinfer infer` and `archinfer evaluate search` (paper Table 4).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use archinfer::data::Task;
use archinfer::dvn::DvnTask;
use archinfer::encoding::{ArchitectureSpace, DiscreteArchitecture};
use archinfer::eval::{
    CandidatesTable, DbSettings, FixedTable, ProposalRecord, ResumableRuns, RunKind, SEARCH_SEED_BASE, SearchPlan, SearchRun, SearchTable, TradeoffRow,
    TradeoffTable, pm, run_jobs, search_child,
};
use archinfer::infer::{AscentConfig, InferOptions, Inferencer, Ranking};
use archinfer::metafeatures::MetaFeatures;
use archinfer::store::ExperimentStore;
use archinfer::train::{AdamTrainer, ChildTrainer, PreparedTask};
use clap::Parser;

use crate::evaluate::{held_tasks, load_dvn_tasks};
use crate::{BoxError, outln};

/// How a value network is fitted (shared by `train-dvn` and `evaluate search`).
#[derive(Parser, Debug, Clone)]
pub struct FitArgs {
    /// Meta-features: none, statistical, learned or both.
    #[arg(long, default_value = "learned")]
    pub variant: MetaFeatures,
    /// Seed of the network and of Algorithm 1.
    #[arg(long, default_value_t = 0)]
    pub dvn_seed: u64,
    #[command(flatten)]
    pub recipe: crate::evaluate::RecipeArgs,
    /// Best recorded architectures kept per training task for seeded starts.
    #[arg(long, default_value_t = 5)]
    pub library_best: usize,
    /// Value networks to fit (seeds dvn-seed, dvn-seed + 1, …); with more than one, the ascent
    /// climbs their mean.
    #[arg(long, default_value_t = 1)]
    pub ensemble: usize,
}

impl FitArgs {
    /// The library's description of this fit.
    pub fn inferencer_recipe(&self) -> Result<archinfer::eval::InferencerRecipe, BoxError> {
        Ok(archinfer::eval::InferencerRecipe {
            recipe: self.recipe.recipe(self.variant, self.dvn_seed)?,
            ensemble: self.ensemble,
            library_best: self.library_best,
        })
    }
}

/// Fits a value network on `train` and builds its task library from the recorded children.
pub fn fit_inferencer(space: &ArchitectureSpace, train: &[DvnTask], fit: &FitArgs, store: &dyn ExperimentStore) -> Result<Inferencer, BoxError> {
    Ok(archinfer::eval::fit_inferencer(store, space, train, &fit.inferencer_recipe()?, &archinfer::default_device())?)
}

/// Settings of the ascent shared by `infer` and `evaluate search`.
#[derive(Parser, Debug, Clone)]
pub struct AscentArgs {
    /// Starting points.
    #[arg(long, default_value_t = 10)]
    pub starts: usize,
    /// Iterations at most.
    #[arg(long, default_value_t = 1000)]
    pub iters: usize,
    /// Starts seeded from the nearest training tasks' best architectures (0: all random, as
    /// in the paper).
    #[arg(long, default_value_t = 0)]
    pub seeded: usize,
}

/// Arguments of `archinfer evaluate search`.
#[derive(Parser, Debug)]
pub struct SearchArgs {
    #[command(flatten)]
    pub src: crate::records::SuiteArgs,
    /// Only these held-out tasks (comma-separated; default: all).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<String>,
    /// Trainings of each proposed architecture (continuous and discretised).
    #[arg(long, default_value_t = 10)]
    pub repeats: usize,
    #[command(flatten)]
    pub ascent: AscentArgs,
    /// Candidate ranking: `continuous` (the paper's: the ascent's objective at u) or
    /// `discrete` (the predicted value of the discretised architecture).
    #[arg(long, default_value = "continuous")]
    pub rank: Ranking,
    /// Skip training the continuous `u` (much slower than the discretised architecture).
    #[arg(long)]
    pub no_continuous: bool,
    /// Also train the 2nd … K-th best distinct candidates (each `repeats` times) and report
    /// keeping the best of the first 1, 3 and 5 by validation accuracy, as `archinfer fit
    /// --candidates K` does.
    #[arg(long, default_value_t = 1)]
    pub candidates: usize,
    /// A fixed default architecture to train beside the proposals on every task (the trivial
    /// baseline: what a hand-picked network scores), e.g. `wl256 → 256 relu → softmax`.
    #[arg(long)]
    pub fixed: Option<String>,
    /// Parallel trainings.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Output folder; proposals.jsonl and runs.jsonl make it resumable (default: results/search
    /// for the paper preset, results/search-task-aware for task-aware).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// `archinfer evaluate search`: phase 1 fits and proposes for each held-out task
/// (`proposals.jsonl`), phase 2 trains what the [`SearchPlan`] lacks (`runs.jsonl`); both
/// resume from their logs.
pub fn search(a: SearchArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let started = Instant::now();
    let (space, dvn_tasks) = load_dvn_tasks(&a.src.db, &suite_tasks)?;
    let store = crate::db::open_existing(&a.src.db)?;
    let train_config = DbSettings::of(store.as_ref()).require_train_config()?;
    let held = held_tasks(&a.tasks, &dvn_tasks);
    // A bad --fixed string is refused before anything is written or fitted.
    let fixed = a.fixed.as_deref().map(|f| DiscreteArchitecture::parse(&space, f)).transpose()?;
    let out_dir = crate::default_out(a.out.clone(), "results/search", a.fit.recipe.preset);
    std::fs::create_dir_all(&out_dir)?;
    let prop_log = ResumableRuns::<ProposalRecord>::new(out_dir.join("proposals.jsonl"));
    let run_log = ResumableRuns::<SearchRun>::new(out_dir.join("runs.jsonl"));
    let mut proposals: BTreeMap<String, ProposalRecord> = prop_log.read()?.into_iter().map(|p| (p.task.clone(), p)).collect();
    let device = archinfer::default_device();
    for &k in &held {
        let name = &dvn_tasks[k].name;
        if proposals.contains_key(name) {
            continue;
        }
        let opts = InferOptions::new()
            .with_ascent(AscentConfig::new().with_starts(a.ascent.starts).with_max_iters(a.ascent.iters))
            .with_seeded(a.ascent.seeded)
            .with_ranking(a.rank);
        let h = archinfer::eval::propose_held_out(store.as_ref(), &space, &dvn_tasks, k, &a.fit.inferencer_recipe()?, &opts, &device)?;
        let best = h.proposal.best()?;
        eprintln!(
            "{name}: {} (predicted {:.2}); fit {:.1} s, meta {:.1} ms, ascent {:.1} ms",
            best.architecture, best.value, h.fit_seconds, h.proposal.meta_ms, h.proposal.ascent_ms
        );
        let rec = ProposalRecord { task: name.clone(), fit_seconds: h.fit_seconds, proposal: h.proposal };
        prop_log.append(&rec)?;
        proposals.insert(name.clone(), rec);
    }
    let order: Vec<String> = held.iter().map(|&k| dvn_tasks[k].name.clone()).collect();
    let plan = SearchPlan::new(a.repeats, a.no_continuous, a.candidates, fixed.is_some());
    let jobs = plan.missing(&order, &run_log.read()?);
    eprintln!("{} trainings to run (log: {})", jobs.len(), run_log.path().display());
    let bar = crate::bar(jobs.len() as u64, "trainings");
    let by_name: HashMap<&str, &Task> = dvn_tasks.iter().filter_map(|t| Some((t.name.as_str(), t.task.as_deref()?))).collect();
    let init = || -> archinfer::eval::Result<(AdamTrainer, HashMap<String, PreparedTask>)> {
        Ok((AdamTrainer::new(train_config.clone(), device.clone())?, HashMap::new()))
    };
    let work = |(trainer, prepared): &mut (AdamTrainer, HashMap<String, PreparedTask>),
                (task, kind, repeat): (String, RunKind, usize)|
     -> archinfer::eval::Result<Option<SearchRun>> {
        let t = by_name.get(task.as_str()).ok_or_else(|| archinfer::eval::EvalError::NoSamples(task.clone()))?;
        let proposal = &proposals.get(&task).ok_or_else(|| archinfer::eval::EvalError::UnknownTask(task.clone()))?.proposal;
        let Some(spec) = search_child(kind, proposal, &space, fixed.as_ref())? else {
            return Ok(None);
        };
        let prep = prepared.entry(task.clone()).or_insert_with(|| PreparedTask::new(t, &device));
        let o = trainer.train(&spec, prep, SEARCH_SEED_BASE + repeat as u64)?;
        Ok(Some(SearchRun { task, kind, repeat, val: o.val_accuracy, test: o.test_accuracy, seconds: o.seconds, done: o.is_done() }))
    };
    let done = |r: Option<&SearchRun>| {
        if let Some(r) = r {
            bar.set_message(format!("{} {} test {:.3}", r.task, r.kind, r.test));
        }
        bar.inc(1);
    };
    run_jobs(jobs, a.workers, &run_log, &init, &work, &done)?;
    bar.finish_and_clear();
    let runs = run_log.read()?;
    let search = SearchTable::of(&order, &proposals, &runs, store.as_ref())?;
    let (mut table, mut summary) = (search.markdown(), search.summary());
    if a.candidates > 1 {
        let c = CandidatesTable::of(&order, &runs, store.as_ref(), a.candidates)?;
        table += &format!("\n{}", c.markdown());
        summary["candidates"] = c.summary();
    }
    if let Some(f) = &a.fixed {
        let t = FixedTable::of(f, &order, &runs, store.as_ref())?;
        table += &format!("\n{}", t.markdown());
        summary["fixed"] = t.summary();
    }
    std::fs::write(out_dir.join("table.md"), &table)?;
    let summary = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": archinfer::eval::machine_info(),
        "wall_seconds_this_invocation": started.elapsed().as_secs_f64(),
        "settings": { "repeats": a.repeats, "starts": a.ascent.starts, "iters": a.ascent.iters, "seeded": a.ascent.seeded,
                      "variant": a.fit.variant.to_string(), "preset": a.fit.recipe.preset.to_string(), "dvn_lr": a.fit.recipe.lr, "dvn_set": a.fit.recipe.dvn_set, "rank": format!("{:?}", a.rank), "ensemble": a.fit.ensemble,
                      "train_config": train_config },
        "summary": summary,
    });
    std::fs::write(out_dir.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    outln!("{table}");
    Ok(())
}

/// Arguments of `archinfer evaluate tradeoff`.
#[derive(Parser, Debug)]
pub struct TradeoffArgs {
    #[command(flatten)]
    pub src: crate::records::SuiteArgs,
    /// The held-out task.
    #[arg(long, default_value = "all10-pixel-noise")]
    pub task: String,
    /// Size penalties λ to try (value per million expected parameters).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,5,10,20,50")]
    pub lambdas: Vec<f64>,
    /// Hard budgets to try (parameters), with λ = 0.
    #[arg(long, value_delimiter = ',', default_value = "50000,20000,5000")]
    pub budgets: Vec<usize>,
    /// Trainings of each proposed (discretised) architecture.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Candidate ranking (`discrete` or `continuous`).
    #[arg(long, default_value = "discrete")]
    pub rank: Ranking,
    /// Output folder (default: results/tradeoff for the paper preset, results/tradeoff-task-aware
    /// for task-aware).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// `archinfer evaluate tradeoff`: accuracy against size on one held-out task, as the size
/// penalty λ and the hard budget vary.
pub fn tradeoff(a: TradeoffArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let (space, dvn_tasks) = load_dvn_tasks(&a.src.db, &suite_tasks)?;
    let store = crate::db::open_existing(&a.src.db)?;
    let train_config = DbSettings::of(store.as_ref()).require_train_config()?;
    let k = dvn_tasks.iter().position(|t| t.name == a.task).ok_or_else(|| format!("no task `{}` in the database", a.task))?;
    let train: Vec<DvnTask> = dvn_tasks.iter().enumerate().filter(|(i, _)| *i != k).map(|(_, t)| t.clone()).collect();
    let inf = fit_inferencer(&space, &train, &a.fit, &store)?;
    let task = dvn_tasks[k].task.as_deref().ok_or("a task without samples")?;
    let device = archinfer::default_device();
    let trainer = AdamTrainer::new(train_config, device.clone())?;
    let settings: Vec<(f64, Option<usize>)> = a.lambdas.iter().map(|&l| (l, None)).chain(a.budgets.iter().map(|&b| (0.0, Some(b)))).collect();
    let out_dir = crate::default_out(a.out.clone(), "results/tradeoff", a.fit.recipe.preset);
    std::fs::create_dir_all(&out_dir)?;
    let each = &mut |r: &TradeoffRow| eprintln!("λ {} budget {:?}: {} ({} params) test {}", r.lambda, r.budget, r.architecture, r.params, pm(&r.test));
    let rows = TradeoffTable::run(&inf, task, &trainer, &device, &settings, a.repeats, a.rank, each)?;
    let table = TradeoffTable { task: a.task.clone(), training_tasks: train.len(), repeats: a.repeats, rows };
    let t = table.markdown();
    std::fs::write(out_dir.join("table.md"), &t)?;
    let summary = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": archinfer::eval::machine_info(),
        "rows": table.rows,
    });
    std::fs::write(out_dir.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    outln!("{t}");
    Ok(())
}
