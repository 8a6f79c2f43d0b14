//! `archinfer evaluate ceiling` and `archinfer evaluate diversity`: the task-awareness
//! diagnostics that need no leave-one-task-out fits (z-swap is part of `evaluate predict`).

use std::path::PathBuf;
use std::sync::Arc;

use archinfer::data::Task;
use archinfer::eval::{CeilingOptions, CeilingRow, ceiling, diversity};
use archinfer::infer::{InferOptions, Inferencer};
use archinfer::store::Location;
use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::evaluate::{load_dvn_tasks, mean_std};
use crate::{BoxError, outln};

/// Arguments of `archinfer evaluate ceiling`.
#[derive(Parser, Debug)]
pub struct CeilingArgs {
    /// The experiment database: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Fashion-MNIST directory (default: $ARCHINFER_FASHION_MNIST, else Debian's location).
    #[arg(long)]
    pub data: Option<PathBuf>,
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
    let (space, tasks) = load_dvn_tasks(&a.db, &suite_tasks)?;
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
    let mut t = format!(
        "Split-half ceiling, preset `{}`, {} splits: every task's children halved at random; three value networks \
         fitted on the first halves of all {} tasks (no meta-features; a one-hot task identity in z; learned \
         meta-features), Spearman on the second halves (mean ± std over splits).\n\n\
         | task | task-agnostic | task identity | gain (ceiling) | learned z (tasks seen) |\n|---|---|---|---|---|\n",
        a.recipe.preset,
        runs.len(),
        tasks.len()
    );
    let (mut gains, mut ag, mut id, mut le) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for task in &tasks {
        let rows: Vec<&CeilingRow> = runs.iter().flat_map(|r| r.rows.iter().filter(|x| x.task == task.name)).collect();
        let col = |f: &dyn Fn(&CeilingRow) -> Option<f64>| -> Vec<f64> { rows.iter().filter_map(|r| f(r)).collect() };
        let (a0, a1) = mean_std(&col(&|r| Some(r.agnostic)));
        let (i0, i1) = mean_std(&col(&|r| Some(r.identity)));
        let (g0, g1) = mean_std(&col(&|r| Some(r.gain())));
        let (l0, l1) = mean_std(&col(&|r| r.learned));
        t += &format!("| {} | {a0:.3} ± {a1:.3} | {i0:.3} ± {i1:.3} | {g0:+.3} ± {g1:.3} | {l0:.3} ± {l1:.3} |\n", task.name);
        gains.push(g0);
        ag.push(a0);
        id.push(i0);
        le.push(l0);
    }
    let m = |v: &[f64]| mean_std(v).0;
    let positive = gains.iter().filter(|g| **g > 0.0).count();
    t +=
        &format!("| **mean** | **{:.3}** | **{:.3}** | **{:+.3}** (positive on {positive}/{}) | **{:.3}** |\n", m(&ag), m(&id), m(&gains), gains.len(), m(&le));
    std::fs::write(out_dir.join("table.md"), &t)?;
    let summary = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": archinfer::eval::machine_info(),
        "preset": a.recipe.preset.to_string(),
        "splits": runs.len(),
        "mean_agnostic": m(&ag), "mean_identity": m(&id), "mean_gain": m(&gains), "mean_learned_seen": m(&le),
        "per_task_gain": tasks.iter().map(|t| t.name.clone()).zip(gains.iter().copied()).collect::<Vec<_>>(),
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
    /// The experiment database (names the suite whose tasks are proposed for).
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Fashion-MNIST directory (default: $ARCHINFER_FASHION_MNIST, else Debian's location).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "results/diversity")]
    pub out: PathBuf,
}

/// `archinfer evaluate diversity`: one model's proposal (default options) for every task of the
/// suite, and how many distinct networks they are.
pub fn run_diversity(a: DiversityArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let device = archinfer::default_device();
    let inf = Inferencer::load(&a.model, &device)?;
    let mut t = format!(
        "Proposals of `{}` (default options: 10 random starts × 1,000 iterations) for every task of the suite.\n\n\
         | task | proposed | parameters | predicted |\n|---|---|---|---|\n",
        a.model.display()
    );
    let mut archs = Vec::new();
    let mut rows = Vec::new();
    for (task, _) in &suite_tasks {
        let p = inf.propose(task, &InferOptions::new())?;
        let best = p.best()?;
        t += &format!("| {} | {} | {} | {:.2} |\n", task.name(), best.architecture, best.params, best.value);
        rows.push(serde_json::json!({"task": task.name(), "architecture": best.architecture.to_string(), "params": best.params, "predicted": best.value}));
        archs.push((best.architecture.clone(), task.num_classes()));
    }
    let d = diversity(&archs);
    t += &format!(
        "\n{} distinct networks over {} tasks; modules {:?}; {}–{} parameters; {}–{} hidden layers; mean pairwise distance {:.2}.\n",
        d.distinct, d.proposals, d.modules, d.params.0, d.params.1, d.depth.0, d.depth.1, d.mean_distance
    );
    std::fs::create_dir_all(&a.out)?;
    std::fs::write(a.out.join("table.md"), &t)?;
    let summary = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": archinfer::eval::machine_info(),
        "diversity": d,
        "proposals": rows,
    });
    std::fs::write(a.out.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    outln!("{t}");
    Ok(())
}
