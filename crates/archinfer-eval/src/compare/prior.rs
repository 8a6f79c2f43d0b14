//! What the `adaptive` method knows of a held-out task before its first training: the value
//! network fitted on the other tasks, its prediction for every pool member on the held-out
//! task, the accuracy scale of the training tasks' children and the network's held-out error.
//! One JSON line per task in `adaptive-priors.jsonl`, resumable.

use std::collections::BTreeMap;
use std::time::Instant;

use archinfer_adapt::{AccuracyScale, AdaptConfig, Adaptive, Candidates, codes_of};
use archinfer_app::{Pool, fit_inferencer};
use archinfer_encoding::DiscreteArchitecture;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::predict::all_but;
use crate::proposal::ProposalSetup;
use crate::runner::ResumableRuns;

/// The prior of one held-out task over the pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPrior {
    /// The held-out task.
    pub task: String,
    /// The value network's normalised value of each pool member on it, in pool order.
    pub values: Vec<f64>,
    /// Each pool member's choice per group of the encoding.
    pub codes: Vec<Vec<u32>>,
    /// The training tasks' accuracy scale.
    pub scale: AccuracyScale,
    /// The network's held-out mean squared error (normalised units).
    pub holdout_mse: f64,
    /// Seconds to fit the network.
    pub fit_seconds: f64,
}

impl TaskPrior {
    /// The adaptive model over the pool this prior describes.
    ///
    /// # Errors
    /// A prior whose values, codes or scale are malformed.
    pub fn adaptive(&self) -> archinfer_adapt::Result<Adaptive> {
        let config = AdaptConfig::default().with_holdout_mse(self.holdout_mse);
        Adaptive::new(Candidates { values: self.values.clone(), codes: self.codes.clone() }, self.scale, config)
    }
}

/// The priors of the tasks of `names` that `log` lacks, fitted leave-one-task-out as the
/// proposals are (the same recipe and seed), each appended as it lands; returns every prior of
/// the log by task. `on_done` sees each.
///
/// # Errors
/// A task without recorded children, an unreadable pool member, fitting or scoring failures,
/// the log failing.
pub fn adaptive_priors(setup: &ProposalSetup, pool: &Pool, names: &[String], log: &ResumableRuns<TaskPrior>, on_done: &mut dyn FnMut(&TaskPrior)) -> Result<BTreeMap<String, TaskPrior>> {
    let space = setup.space;
    let archs = pool
        .members
        .iter()
        .map(|m| DiscreteArchitecture::from_json(space, &m.architecture).map_err(|e| EvalError::from(archinfer_app::AppError::BadPool(e.to_string()))))
        .collect::<Result<Vec<_>>>()?;
    let codes = archs.iter().map(|a| codes_of(space, a)).collect::<archinfer_adapt::Result<Vec<_>>>()?;
    let u = archs.iter().map(|a| a.one_hot_u(space)).collect::<std::result::Result<Vec<_>, _>>()?;
    let have: std::collections::HashSet<String> = log.read()?.into_iter().map(|p| p.task).collect();
    for name in names.iter().filter(|n| !have.contains(*n)) {
        let held = setup.tasks.iter().position(|t| &t.name == name).ok_or_else(|| EvalError::TooFewChildren { task: name.clone(), got: 0, needed: 1 })?;
        let task = setup.tasks[held].task.clone().ok_or_else(|| EvalError::NoSamples(name.clone()))?;
        let train = all_but(setup.tasks, held);
        let t0 = Instant::now();
        let inf = fit_inferencer(setup.store, space, &train, setup.how, setup.device)?;
        let fit_seconds = t0.elapsed().as_secs_f64();
        let value = inf.task_value(&task)?;
        let values = archinfer_infer::TaskValue::values(&value, &u)?.into_iter().map(f64::from).collect();
        let scale = AccuracyScale::from_tasks(&train.iter().map(|t| t.v.clone()).collect::<Vec<_>>())?;
        let prior = TaskPrior { task: name.clone(), values, codes: codes.clone(), scale, holdout_mse: inf.holdout_mse(), fit_seconds };
        log.append(&prior)?;
        on_done(&prior);
    }
    Ok(log.read()?.into_iter().map(|p| (p.task.clone(), p)).collect())
}
