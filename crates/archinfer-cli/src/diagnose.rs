//! `archinfer evaluate ceiling` and `archinfer evaluate diversity`: the task-awareness
//! diagnostics that need no leave-one-task-out fits (z-swap is part of `evaluate predict`).

use std::path::PathBuf;
use std::sync::Arc;

use archinfer::data::Task;
use archinfer::eval::{CeilingOptions, CeilingRow, CeilingTable, DiversityTable, ResumableRuns, ceiling_runs};
use archinfer::infer::Inferencer;
use clap::Parser;

use crate::ui::BoxError;
use crate::evaluate::load_dvn_tasks;

/// Arguments of `archinfer evaluate ceiling`.
#[derive(Parser, Debug)]
pub struct CeilingArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    #[command(flatten)]
    pub recipe: crate::evaluate::RecipeArgs,
    /// Repeats: each a new split of every task's children and new seeds.
    #[arg(long, default_value_t = 10)]
    pub repeats: usize,
    /// Output folder; runs.jsonl makes it resumable (default: results/ceiling-PRESET).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `archinfer evaluate ceiling`.
pub fn run_ceiling(a: CeilingArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let (space, tasks) = load_dvn_tasks(&a.src.db, &suite_tasks)?;
    let out_dir = a.out.clone().unwrap_or_else(|| PathBuf::from(format!("results/ceiling-{}", a.recipe.preset)));
    std::fs::create_dir_all(&out_dir)?;
    let r = &a.recipe;
    let base = CeilingOptions { preset: r.preset, seed: 0, overrides: r.dvn_set.clone(), sample_module: r.sample_module.clone(), with_learned: true };
    let bar = crate::ui::bar(a.repeats as u64, "splits (3 fits each)");
    let log = ResumableRuns::new(out_dir.join("runs.jsonl"));
    let runs = ceiling_runs(&space, &tasks, &base, a.repeats, &log, &archinfer::default_device(), &mut |run, _| {
        let gain = run.rows.iter().map(CeilingRow::gain).sum::<f64>() / run.rows.len().max(1) as f64;
        bar.set_message(format!("split {}: mean gain {gain:+.3}", run.repeat));
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    let order: Vec<String> = tasks.iter().map(|t| t.name.clone()).collect();
    let table = CeilingTable::of(&r.preset.to_string(), &runs.iter().map(|r| r.rows.clone()).collect::<Vec<_>>(), &order);
    let (ag, id, gain, le, _) = table.means();
    let fields = serde_json::json!({
        "preset": r.preset.to_string(),
        "splits": runs.len(),
        "mean_agnostic": ag, "mean_identity": id, "mean_gain": gain, "mean_learned_seen": le,
        "per_task_gain": table.rows.iter().map(|r| (r.0.clone(), r.3.0)).collect::<Vec<_>>(),
    });
    crate::ui::write_results(&out_dir, &table.markdown(), fields)
}

/// Arguments of `archinfer evaluate diversity`.
#[derive(Parser, Debug)]
pub struct DiversityArgs {
    /// Model directory written by `archinfer train-dvn`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    /// Output folder.
    #[arg(long, default_value = "results/diversity")]
    pub out: PathBuf,
}

/// `archinfer evaluate diversity`: one model's proposal (default options) for every task of the
/// suite, and how many distinct networks they are.
pub fn run_diversity(a: DiversityArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let inf = Inferencer::load(&a.model, &archinfer::default_device())?;
    let tasks: Vec<&Task> = suite_tasks.iter().map(|(t, _)| t.as_ref()).collect();
    let table = DiversityTable::propose(&inf, &tasks, &a.model.display().to_string())?;
    std::fs::create_dir_all(&a.out)?;
    crate::ui::write_results(&a.out, &table.markdown(), table.summary())
}
