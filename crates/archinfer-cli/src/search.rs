//! `archinfer train-dvn`, `archinfer infer` and `archinfer evaluate search` (paper Table 4).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use archinfer::data::Task;
use archinfer::dvn::DvnTask;
use archinfer::encoding::DiscreteArchitecture;
use archinfer::eval::{
    DbSettings, ProposalRecord, Proposer, ResumableRuns, SEARCH_SEED_BASE, SearchPlan, SearchRun, TradeoffRow, TradeoffTable, pm, search_tables,
};
use archinfer::infer::{AscentConfig, InferOptions, Ranking};
use archinfer::metafeatures::MetaFeatures;
use archinfer::store::ExperimentStore;
use archinfer::train::AdamTrainer;
use clap::Parser;

use crate::ui::BoxError;
use crate::evaluate::{held_tasks, load_dvn_tasks};
use crate::db::SuiteArgs;

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

impl AscentArgs {
    /// The inference options of these settings.
    pub fn options(&self) -> InferOptions {
        InferOptions::new().with_ascent(AscentConfig::new().with_starts(self.starts).with_max_iters(self.iters)).with_seeded(self.seeded)
    }
}

/// The library's [`Proposer`] for the database of `src` (whose tasks are `suite_tasks`), and the
/// database.
pub fn proposer(src: &SuiteArgs, tasks: &[(Arc<Task>, String)], fit: &FitArgs, opts: InferOptions) -> Result<(Proposer, Box<dyn ExperimentStore>), BoxError> {
    let store = src.db.open_existing()?;
    let tasks: Vec<Arc<Task>> = tasks.iter().map(|(t, _)| t.clone()).collect();
    Ok((Proposer::load(store.as_ref(), &tasks, fit.inferencer_recipe()?, opts, &archinfer::default_device())?, store))
}

/// Arguments of `archinfer evaluate search`.
#[derive(Parser, Debug)]
pub struct SearchArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
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
    let (p, store) = proposer(&a.src, &suite_tasks, &a.fit, a.ascent.options().with_ranking(a.rank))?;
    let held = held_tasks(&a.tasks, &p.tasks);
    // A bad --fixed string is refused before anything is written or fitted.
    let fixed = a.fixed.as_deref().map(|f| DiscreteArchitecture::parse(&p.space, f)).transpose()?;
    let out_dir = crate::ui::default_out(a.out.clone(), "results/search", a.fit.recipe.preset);
    std::fs::create_dir_all(&out_dir)?;
    let prop_log = ResumableRuns::<ProposalRecord>::new(out_dir.join("proposals.jsonl"));
    let run_log = ResumableRuns::<SearchRun>::new(out_dir.join("runs.jsonl"));
    let setup = p.setup(store.as_ref(), a.candidates, SEARCH_SEED_BASE);
    let proposals = setup.propose_missing(&held, &prop_log, &mut |r| {
        let q = &r.proposal;
        let best = q.candidates.first().map_or(String::new(), |b| format!("{} (predicted {:.2})", b.architecture, b.value));
        eprintln!("{}: {best}; fit {:.1} s, meta {:.1} ms, ascent {:.1} ms", r.task, r.fit_seconds, q.meta_ms, q.ascent_ms);
    })?;
    let order: Vec<String> = held.iter().map(|&k| p.tasks[k].name.clone()).collect();
    let jobs = SearchPlan::new(a.repeats, a.no_continuous, a.candidates, fixed.is_some()).missing(&order, &run_log.read()?);
    eprintln!("{} trainings to run (log: {})", jobs.len(), run_log.path().display());
    let bar = crate::ui::bar(jobs.len() as u64, "trainings");
    setup.train_search(jobs, &proposals, fixed.as_ref(), a.workers, &run_log, &|r| {
        if let Some(r) = r {
            bar.set_message(format!("{} {} test {:.3}", r.task, r.kind, r.test));
        }
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    let (table, summary) = search_tables(&order, &proposals, &run_log.read()?, store.as_ref(), a.candidates, a.fixed.as_deref())?;
    let fields = serde_json::json!({
        "wall_seconds_this_invocation": started.elapsed().as_secs_f64(),
        "settings": { "repeats": a.repeats, "starts": a.ascent.starts, "iters": a.ascent.iters, "seeded": a.ascent.seeded,
                      "variant": a.fit.variant.to_string(), "preset": a.fit.recipe.preset.to_string(), "dvn_lr": a.fit.recipe.lr, "dvn_set": a.fit.recipe.dvn_set, "rank": format!("{:?}", a.rank), "ensemble": a.fit.ensemble,
                      "train_config": p.train },
        "summary": summary,
    });
    crate::ui::write_results(&out_dir, &table, fields)
}

/// Arguments of `archinfer evaluate tradeoff`.
#[derive(Parser, Debug)]
pub struct TradeoffArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
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
    let store = a.src.db.open_existing()?;
    let train_config = DbSettings::of(store.as_ref()).require_train_config()?;
    let k = dvn_tasks.iter().position(|t| t.name == a.task).ok_or_else(|| format!("no task `{}` in the database", a.task))?;
    let train: Vec<DvnTask> = dvn_tasks.iter().enumerate().filter(|(i, _)| *i != k).map(|(_, t)| t.clone()).collect();
    let inf = archinfer::eval::fit_inferencer(store.as_ref(), &space, &train, &a.fit.inferencer_recipe()?, &archinfer::default_device())?;
    let task = dvn_tasks[k].task.as_deref().ok_or("a task without samples")?;
    let device = archinfer::default_device();
    let trainer = AdamTrainer::new(train_config, device.clone())?;
    let settings: Vec<(f64, Option<usize>)> = a.lambdas.iter().map(|&l| (l, None)).chain(a.budgets.iter().map(|&b| (0.0, Some(b)))).collect();
    let out_dir = crate::ui::default_out(a.out.clone(), "results/tradeoff", a.fit.recipe.preset);
    std::fs::create_dir_all(&out_dir)?;
    let each = &mut |r: &TradeoffRow| eprintln!("λ {} budget {:?}: {} ({} params) test {}", r.lambda, r.budget, r.architecture, r.params, pm(&r.test));
    let rows = TradeoffTable::run(&inf, task, &trainer, &device, &settings, a.repeats, a.rank, each)?;
    let table = TradeoffTable { task: a.task.clone(), training_tasks: train.len(), repeats: a.repeats, rows };
    crate::ui::write_results(&out_dir, &table.markdown(), serde_json::json!({ "rows": table.rows }))
}
