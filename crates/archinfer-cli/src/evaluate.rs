//! `archinfer evaluate predict`: leave-one-task-out judgement of the value network (paper
//! Tables 2 and 3).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use archinfer::data::Task;
use archinfer::dvn::{DvnPreset, DvnTask, Recipe};
use archinfer::encoding::ArchitectureSpace;
use archinfer::eval::{PredictRun, PredictTable, ResumableRuns, TaskAwarenessTable, predict_jobs, run_jobs};
use archinfer::metafeatures::MetaFeatures;
use archinfer::store::Location;
use clap::Parser;

use crate::ui::BoxError;

/// How every command configures the value networks it fits: one set of flags, one recipe.
#[derive(clap::Args, Debug, Clone)]
pub struct RecipeArgs {
    /// Value-network preset: `task-aware` (FiLM, gated input, size feature, ranking loss,
    /// Adam, longer fits) or `paper` (the paper's network and recipe).
    #[arg(long, default_value_t = DvnPreset::default())]
    pub preset: DvnPreset,
    /// Learning rate of Algorithm 1 (default: the preset's; the paper's 1e-4 fits in minutes,
    /// see docs/results.md).
    #[arg(long = "lr", alias = "dvn-lr")]
    pub lr: Option<f64>,
    /// Embedding module the learned tower and the statistics read.
    #[arg(long, default_value = archinfer::dvn::AUTO_SAMPLE_MODULE)]
    pub sample_module: String,
    /// Settings changed on top of the preset, `field=value,…` (fields of the network or
    /// training configuration, values in JSON), e.g. `optimizer=sgd,rank_weight=0`.
    #[arg(long, default_value = "")]
    pub dvn_set: String,
}

impl RecipeArgs {
    /// The recipe for meta-features `meta` and seed `seed`.
    pub fn recipe(&self, meta: MetaFeatures, seed: u64) -> archinfer::dvn::Result<Recipe> {
        Recipe::new(self.preset, meta).with_seed(seed).with_learning_rate(self.lr).with_sample_module(self.sample_module.clone()).with_overrides(&self.dvn_set)
    }
}

/// Arguments of `archinfer evaluate predict`.
#[derive(Parser, Debug)]
pub struct PredictArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    /// Repeats (seeds) per held-out task and variant.
    #[arg(long, default_value_t = 10)]
    pub repeats: usize,
    /// Comma-separated variants: none, statistical, learned, both.
    #[arg(long, value_delimiter = ',', default_value = "none,statistical,learned,both")]
    pub variants: Vec<MetaFeatures>,
    /// Only these held-out tasks (comma-separated; default: all).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<String>,
    #[command(flatten)]
    pub recipe: RecipeArgs,
    /// Parallel folds.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Output folder; runs.jsonl is appended to and makes the evaluation resumable (default:
    /// results/predict for the paper preset, results/predict-task-aware for task-aware).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The database's space and the recorded children of every task as value-network training data.
pub(crate) fn load_dvn_tasks(db: &Location, suite_tasks: &[(Arc<Task>, String)]) -> Result<(ArchitectureSpace, Vec<DvnTask>), BoxError> {
    let store = db.open_existing()?;
    let space = archinfer::eval::DbSettings::of(store.as_ref()).require_space()?;
    let tasks: Vec<Arc<Task>> = suite_tasks.iter().map(|(t, _)| t.clone()).collect();
    let dvn_tasks = archinfer::eval::dvn_tasks(&store, &space, &tasks)?;
    Ok((space, dvn_tasks))
}

/// Indices of the tasks named in a comma-separated `--tasks` list (all without one).
pub(crate) fn held_tasks(list: &[String], tasks: &[DvnTask]) -> Vec<usize> {
    (0..tasks.len()).filter(|&i| list.is_empty() || list.iter().any(|w| w.trim() == tasks[i].name)).collect()
}

/// `archinfer evaluate predict`: the missing (task, variant, repeat) fits on `--threads`
/// threads, logged to runs.jsonl (resumable), then table.md and summary.json.
pub fn predict(a: PredictArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let (space, dvn_tasks) = load_dvn_tasks(&a.src.db, &suite_tasks)?;
    let out_dir = crate::ui::default_out(a.out.clone(), "results/predict", a.recipe.preset);
    std::fs::create_dir_all(&out_dir)?;
    let log = ResumableRuns::<PredictRun>::new(out_dir.join("runs.jsonl"));
    let done: Vec<PredictRun> = log.read()?.into_iter().filter(|r| r.preset == a.recipe.preset.to_string()).collect();
    let jobs = predict_jobs(&dvn_tasks, &held_tasks(&a.tasks, &dvn_tasks), &a.variants, a.repeats, &done);
    eprintln!("{} fits to run ({} already in {})", jobs.len(), done.len(), log.path().display());
    let bar = crate::ui::bar(jobs.len() as u64, "fits");
    let started = Instant::now();
    let device = archinfer::default_device();
    let work = |_: &mut (), (k, meta, repeat): (usize, MetaFeatures, usize)| -> archinfer::eval::Result<Option<PredictRun>> {
        let recipe = a.recipe.recipe(meta, repeat as u64)?;
        Ok(Some(archinfer::eval::predict_fold(&space, &dvn_tasks, k, &recipe, &device)?.run(&dvn_tasks[k].name, &recipe, repeat)))
    };
    let on_done = |r: Option<&PredictRun>| {
        if let Some(r) = r {
            bar.set_message(format!("{} {} ρ={:.3}", r.task, r.variant, r.spearman));
        }
        bar.inc(1);
    };
    run_jobs(jobs, a.threads, &log, &|| Ok(()), &work, &on_done)?;
    bar.finish_and_clear();
    let runs: Vec<PredictRun> = log.read()?.into_iter().filter(|r| r.preset == a.recipe.preset.to_string()).collect();
    let order = dvn_tasks.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    let names: Vec<String> = a.variants.iter().map(ToString::to_string).collect();
    let table = PredictTable::of(&runs, &order, &names).markdown() + &TaskAwarenessTable::of(&runs, &order, &names).markdown();
    let fit_total: f64 = runs.iter().map(|r| r.fit_seconds).sum();
    let fields = serde_json::json!({
        "runs": runs.len(),
        "wall_seconds_this_invocation": started.elapsed().as_secs_f64(),
        "total_fit_seconds": fit_total,
        "mean_fit_seconds": fit_total / runs.len().max(1) as f64,
        "settings": { "preset": a.recipe.preset.to_string(), "lr": a.recipe.lr, "sample_module": a.recipe.sample_module, "dvn_set": a.recipe.dvn_set, "repeats": a.repeats },
    });
    crate::ui::write_results(&out_dir, &table, fields)
}

/// Arguments of `archinfer evaluate plots`.
#[derive(Parser, Debug)]
pub struct PlotArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    #[command(flatten)]
    pub recipe: RecipeArgs,
    /// Held-out task of the "more training tasks" curve.
    #[arg(long, default_value = "tops4")]
    pub held: String,
    /// Random task orderings per point of that curve.
    #[arg(long, default_value_t = 3)]
    pub orderings: usize,
    /// Output folder (default: results/predict for the paper preset, results/predict-task-aware
    /// for task-aware).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Draws predicted-vs-actual panels, the PCA of learned task embeddings, and Spearman against
/// the number of training tasks.
pub fn plots(a: PlotArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    if !archinfer_plots::init_font() {
        return Err("no TTF font found for the plots (set ARCHINFER_FONT to a .ttf file)".into());
    }
    let (space, tasks) = load_dvn_tasks(&a.src.db, &suite_tasks)?;
    let out_dir = crate::ui::default_out(a.out.clone(), "results/predict", a.recipe.preset);
    std::fs::create_dir_all(&out_dir)?;
    let device = archinfer::default_device();
    let recipe = |seed: u64| -> archinfer::eval::Result<Recipe> { Ok(a.recipe.recipe(MetaFeatures::Learned, seed)?) };
    let panels: Vec<archinfer_plots::Panel> = archinfer::eval::predicted_vs_actual(&space, &tasks, &recipe, &device)?
        .into_iter()
        .map(|(name, rho, points)| {
            eprintln!("predicted vs actual: {name} ρ = {rho:.3}");
            archinfer_plots::Panel { title: format!("{name} (ρ = {rho:.2})"), points }
        })
        .collect();
    archinfer_plots::scatter_grid(&out_dir.join("pred_vs_actual.png"), &panels, "actual validation accuracy", "predicted (normalised)", 4)?;
    let series = archinfer::eval::embedding_pca(&space, &tasks, &recipe, 10, &device)?;
    let title = "Learned task embeddings, 10 batches of 256 samples per task (PCA)";
    archinfer_plots::lines(&out_dir.join("embeddings_pca.png"), title, &series, "PC 1", "PC 2", false)?;
    let each = &mut |n: usize, mu: f64, sd: f64| eprintln!("{n} training tasks: Spearman {mu:.3} ± {sd:.3}");
    let curve = archinfer::eval::spearman_vs_tasks(&space, &tasks, &recipe, &a.held, a.orderings, &device, each)?;
    archinfer_plots::line_with_std(
        &out_dir.join("spearman_vs_tasks.png"),
        &format!("Held-out {}: Spearman vs number of training tasks", a.held),
        &curve,
        "training tasks",
        "Spearman (mean ± std)",
    )?;
    std::fs::write(out_dir.join("spearman_vs_tasks.json"), serde_json::to_string_pretty(&curve)?)?;
    Ok(())
}
