//! `archinfer evaluate ceiling` and `archinfer evaluate diversity`: the task-awareness
//! diagnostics that need no leave-one-task-out fits (z-swap is part of `evaluate predict`).

use std::path::PathBuf;
use std::sync::Arc;

use archinfer::data::Task;
use archinfer::eval::{CeilingOptions, CeilingRow, CeilingTable, DiversityTable, ceiling, diversity};
use archinfer::infer::{InferOptions, Inferencer};
use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::evaluate::load_dvn_tasks;
use crate::{BoxError, outln};

/// Arguments of `archinfer evaluate ceiling`.
#[derive(Parser, Debug)]
pub struct CeilingArgs {
    #[command(flatten)]
    pub src: crate::records::SuiteArgs,
    #[command(flatten)]
    pub recipe: crate::evaluate::RecipeArgs,
    /// Repeats: each a new split of every task's children and new seeds.
    #[arg(long, default_value_t = 10)]
    pub repeats: usize,
    /// Output folder; runs.jsonl makes it resumable (default: results/ceiling-PRESET).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// One repeat of the ceiling.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CeilingRun {
    preset: String,
    repeat: usize,
    rows: Vec<CeilingRow>,
}

/// `archinfer evaluate ceiling`.
pub fn run_ceiling(a: CeilingArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let (space, tasks) = load_dvn_tasks(&a.src.db, &suite_tasks)?;
    let out_dir = a.out.clone().unwrap_or_else(|| PathBuf::from(format!("results/ceiling-{}", a.recipe.preset)));
    std::fs::create_dir_all(&out_dir)?;
    let path = out_dir.join("runs.jsonl");
    let mut runs: Vec<CeilingRun> = archinfer::eval::ResumableRuns::new(&path).read()?;
    runs.retain(|r| r.preset == a.recipe.preset.to_string());
    let device = archinfer::default_device();
    let bar = crate::bar(a.repeats as u64, "splits (3 fits each)");
    for r in 0..a.repeats {
        if runs.iter().any(|x| x.repeat == r) {
            bar.inc(1);
            continue;
        }
        let opts = CeilingOptions {
            preset: a.recipe.preset,
            seed: r as u64,
            overrides: a.recipe.dvn_set.clone(),
            sample_module: a.recipe.sample_module.clone(),
            with_learned: true,
        };
        let rows = ceiling(&space, &tasks, &opts, &device)?;
        let run = CeilingRun { preset: a.recipe.preset.to_string(), repeat: r, rows };
        archinfer::eval::ResumableRuns::new(&path).append(&run)?;
        let gain = run.rows.iter().map(CeilingRow::gain).sum::<f64>() / run.rows.len() as f64;
        bar.set_message(format!("split {r}: mean gain {gain:+.3}"));
        runs.push(run);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let order: Vec<String> = tasks.iter().map(|t| t.name.clone()).collect();
    let table = CeilingTable::of(&a.recipe.preset.to_string(), &runs.iter().map(|r| r.rows.clone()).collect::<Vec<_>>(), &order);
    let t = table.markdown();
    let (ag, id, gain, le, _) = table.means();
    std::fs::write(out_dir.join("table.md"), &t)?;
    let summary = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": archinfer::eval::machine_info(),
        "preset": a.recipe.preset.to_string(),
        "splits": runs.len(),
        "mean_agnostic": ag, "mean_identity": id, "mean_gain": gain, "mean_learned_seen": le,
        "per_task_gain": table.rows.iter().map(|r| (r.0.clone(), r.3.0)).collect::<Vec<_>>(),
    });
    std::fs::write(out_dir.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    outln!("{t}");
    Ok(())
}

/// Arguments of `archinfer evaluate diversity`.
#[derive(Parser, Debug)]
pub struct DiversityArgs {
    /// Model directory written by `archinfer train-dvn`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub src: crate::records::SuiteArgs,
    /// Output folder.
    #[arg(long, default_value = "results/diversity")]
    pub out: PathBuf,
}

/// `archinfer evaluate diversity`: one model's proposal (default options) for every task of the
/// suite, and how many distinct networks they are.
pub fn run_diversity(a: DiversityArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let device = archinfer::default_device();
    let inf = Inferencer::load(&a.model, &device)?;
    let mut rows = Vec::new();
    let mut archs = Vec::new();
    for (task, _) in &suite_tasks {
        let p = inf.propose(task, &InferOptions::new())?;
        let best = p.best()?;
        rows.push((task.name().to_string(), best.architecture.to_string(), best.params, best.value));
        archs.push((best.architecture.clone(), task.num_classes()));
    }
    let table = DiversityTable { model: a.model.display().to_string(), rows, diversity: diversity(&archs) };
    let t = table.markdown();
    std::fs::create_dir_all(&a.out)?;
    std::fs::write(a.out.join("table.md"), &t)?;
    let summary = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": archinfer::eval::machine_info(),
        "diversity": table.diversity,
        "proposals": table.rows.iter().map(|r| serde_json::json!({"task": r.0, "architecture": r.1, "params": r.2, "predicted": r.3})).collect::<Vec<_>>(),
    });
    std::fs::write(a.out.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    outln!("{t}");
    Ok(())
}
