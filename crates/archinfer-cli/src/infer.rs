//! `archinfer train-dvn` (fit a value network on the database's tasks) and `archinfer infer`
//! (propose an architecture for a user's data with a saved model).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use archinfer::data::Task;
use archinfer::dvn::DvnTask;
use archinfer::infer::{Inferencer, Ranking};
use clap::Parser;

use crate::evaluate::load_dvn_tasks;
use crate::search::{AscentArgs, FitArgs};
use crate::ui::{BoxError, outln};

/// Arguments of `archinfer train-dvn`.
#[derive(Parser, Debug)]
pub struct TrainDvnArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    /// Output model directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Tasks to leave out (comma-separated), e.g. to infer on them afterwards.
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Only write the training tasks' accuracy scale (prior.json, the prior of `fit
    /// --trials`) into --out, an existing model fitted on the same tasks, without fitting.
    #[arg(long)]
    pub scale_only: bool,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// `archinfer train-dvn`.
pub fn train_dvn(a: TrainDvnArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let (space, tasks) = load_dvn_tasks(&a.src.db, &suite_tasks)?;
    let skip: HashSet<&str> = a.exclude.iter().map(|s| s.trim()).collect();
    let train: Vec<DvnTask> = tasks.into_iter().filter(|t| !skip.contains(t.name.as_str())).collect();
    // Tasks without two recorded accuracies have no scale: `fit --trials` then uses the default.
    let scale = archinfer::adapt::AccuracyScale::from_tasks(&train.iter().map(|t| t.v.clone()).collect::<Vec<_>>());
    let write_scale = || -> Result<(), BoxError> {
        let Ok(scale) = &scale else {
            eprintln!("note: no task with two recorded accuracies; {} not written", archinfer::app::PRIOR_FILE);
            return Ok(());
        };
        let path = a.out.join(archinfer::app::PRIOR_FILE);
        std::fs::write(&path, serde_json::to_string_pretty(scale)? + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(())
    };
    if a.scale_only {
        write_scale()?;
        if scale.is_ok() {
            eprintln!("wrote the accuracy scale of {} tasks to {}", train.len(), a.out.join(archinfer::app::PRIOR_FILE).display());
        }
        return Ok(());
    }
    let store = a.src.db.open_existing()?;
    let t0 = Instant::now();
    let inf = archinfer::eval::fit_inferencer(store.as_ref(), &space, &train, &a.fit.inferencer_recipe()?, &archinfer::default_device())?;
    inf.save(&a.out)?;
    write_scale()?;
    eprintln!(
        "fitted on {} tasks in {:.1} s ({} task picks); saved to {}",
        train.len(),
        t0.elapsed().as_secs_f64(),
        inf.dvn.history.last().map_or(0, |h| h.0),
        a.out.display()
    );
    Ok(())
}

/// Arguments of `archinfer infer`.
#[derive(Parser, Debug)]
pub struct InferArgs {
    /// Model directory written by `archinfer train-dvn`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub input: crate::data::DataArgs,
    /// Hard budget on the proposed architecture's parameters.
    #[arg(long)]
    pub max_params: Option<usize>,
    /// Size penalty λ, in predicted value per million expected parameters.
    #[arg(long, default_value_t = 0.0)]
    pub lambda: f64,
    #[command(flatten)]
    pub ascent: AscentArgs,
    /// Seed of the random starts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run the generic burn path instead of the fused one.
    #[arg(long)]
    pub generic: bool,
    /// Rank candidates by the predicted value of their discretised architecture (`discrete`)
    /// or by the ascent's objective at the continuous u (`continuous`, the paper's rule).
    #[arg(long, default_value = "discrete")]
    pub rank: Ranking,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `archinfer infer`.
pub fn infer(a: InferArgs) -> Result<(), BoxError> {
    let device = archinfer::default_device();
    let t0 = Instant::now();
    let inf = Inferencer::load(&a.model, &device)?;
    let load_model_ms = t0.elapsed().as_secs_f64() * 1e3;
    let t1 = Instant::now();
    let task = crate::data::read_task_for(&a.input, &a.input.stem(), &inf.dvn.config.space, &inf.task_modules())?;
    let load_task_ms = t1.elapsed().as_secs_f64() * 1e3;
    let mut opts = a.ascent.options().with_lambda(a.lambda).with_max_params(a.max_params).with_generic(a.generic).with_ranking(a.rank);
    opts.ascent.seed = a.seed;
    let p = inf.propose(&task, &opts)?;
    let best = p.best()?;
    if a.json {
        let mut out = p.to_json(task.samples())?;
        out["load_model_ms"] = load_model_ms.into();
        out["load_task_ms"] = load_task_ms.into();
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let (s, shrunk) = (&best.solution, if best.shrunk { " (shrunk to the budget)" } else { "" });
        outln!("task        {} ({} samples, {} classes)", p.task, task.samples(), p.num_classes);
        outln!("proposed    {}\nparameters  {}{shrunk}", best.architecture, best.params);
        outln!("predicted   {:.3} (normalised: σ above the mean child of a task); continuous u {:.3}, its argmax {:.3}", best.value, s.value, s.discrete_value);
        let (starts, iters) = (a.ascent.starts, a.ascent.iters);
        outln!("time        meta-features {:.1} ms, ascent {:.1} ms ({}; {starts} starts × ≤ {iters} iterations)", p.meta_ms, p.ascent_ms, p.path);
        outln!("            (loading: model {load_model_ms:.0} ms, task and embedding modules {load_task_ms:.0} ms)");
    }
    Ok(())
}
