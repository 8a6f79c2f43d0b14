//! The `adaptive` method run on each held-out task, the loop of `archinfer fit --trials`: the
//! value network fitted on the other tasks is the prior over the candidates (the pool, then
//! the distinct argmaxes of a [`TRIAL_STARTS`]-start ascent; `fit` has no pool and takes the
//! model's library of best recorded architectures instead), each training observed,
//! the next chosen by expected improvement. A pool member's training is read from the pool's
//! recorded results; any other candidate is trained on the task (seed: the comparison's
//! training seed + the step) and its result kept in the log. One JSON line per task in
//! `adaptive-priors.jsonl`, resumable.

use std::collections::BTreeMap;
use std::time::Instant;

use archinfer_adapt::{AccuracyScale, AdaptConfig, Adaptive, Candidates, codes_of};
use archinfer_app::{Pool, TRIAL_STARTS, distinct, fit_inferencer};
use archinfer_encoding::DiscreteArchitecture;
use archinfer_infer::AscentConfig;
use archinfer_train::{ChildSpec, PreparedTask};
use serde::{Deserialize, Serialize};

use super::matrix::PoolMatrix;
use crate::error::{EvalError, Result};
use crate::predict::all_but;
use crate::proposal::ProposalSetup;
use crate::runner::ResumableRuns;

/// One training of the adaptive run on a held-out task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveStep {
    /// The architecture (one-line form).
    pub architecture: String,
    /// Its index in the pool, if it is a pool member (its recorded result is read).
    pub pool_member: Option<usize>,
    /// Validation accuracy (what the loop observes).
    pub val: f64,
    /// Test accuracy (what the comparison reports).
    pub test: f64,
    /// The posterior mean and standard deviation before it was trained.
    pub predicted: (f64, f64),
}

/// How often a held-out pool member's validation accuracy fell inside the model's central
/// 80 % interval for its next training.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// Before any training of the task: inside, of all pool members.
    pub prior: (usize, usize),
    /// After the first five trainings: inside, of the pool members not yet trained.
    pub after_five: (usize, usize),
}

/// The adaptive run of one held-out task and what it was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPrior {
    /// The held-out task.
    pub task: String,
    /// The value network's normalised value of each pool member on it, in pool order.
    pub values: Vec<f64>,
    /// Each pool member's choice per group of the encoding (what TPE models).
    pub codes: Vec<Vec<u32>>,
    /// The training tasks' accuracy scale.
    pub scale: AccuracyScale,
    /// The network's held-out mean squared error (normalised units).
    pub holdout_mse: f64,
    /// Candidates the loop chose from (ascent argmaxes and pool members, distinct).
    pub candidates: usize,
    /// The candidates outside the pool (JSON architectures, after the pool's in the loop's
    /// order) and the network's value of each: what replays the loop on other seeds.
    #[serde(default)]
    pub extra: Vec<(String, f64)>,
    /// The first distinct candidates of the comparison's own ascent (JSON, best first): the
    /// zero-shot proposal of this fit, retrained on other seeds for the protocol's R.
    #[serde(default)]
    pub zero_shot: Vec<String>,
    /// The trainings, in order, up to the largest budget.
    pub steps: Vec<AdaptiveStep>,
    /// The 80 % interval's coverage on the task's pool members.
    pub coverage: Coverage,
    /// Seconds to fit the network.
    pub fit_seconds: f64,
    /// Seconds of the loop's choices (posterior updates and acquisition), trainings excluded.
    pub adapt_seconds: f64,
}

/// The adaptive runs of the tasks of `names` that `log` lacks, up to `budget` trainings each,
/// fitted leave-one-task-out as the proposals are (the same recipe and seed), each appended
/// as it lands; returns every run of the log by task. `on_done` sees each.
///
/// # Errors
/// A task without recorded children or outside `matrix`, an unreadable pool member,
/// fitting, scoring or training failures, the log failing.
pub fn adaptive_priors(
    setup: &ProposalSetup,
    pool: &Pool,
    matrix: &PoolMatrix,
    names: &[String],
    budget: usize,
    log: &ResumableRuns<TaskPrior>,
    on_done: &mut dyn FnMut(&TaskPrior),
) -> Result<BTreeMap<String, TaskPrior>> {
    let space = setup.space;
    let pool_archs = pool
        .members
        .iter()
        .map(|m| DiscreteArchitecture::from_json(space, &m.architecture).map_err(|e| EvalError::from(archinfer_app::AppError::BadPool(e.to_string()))))
        .collect::<Result<Vec<_>>>()?;
    let have: std::collections::HashSet<String> = log.read()?.into_iter().map(|p| p.task).collect();
    for name in names.iter().filter(|n| !have.contains(*n)) {
        let held = setup.tasks.iter().position(|t| &t.name == name).ok_or_else(|| EvalError::UnknownTask(name.clone()))?;
        let t = matrix.tasks.iter().position(|n| n == name).ok_or_else(|| EvalError::UnknownTask(name.clone()))?;
        let task = setup.tasks[held].task.clone().ok_or_else(|| EvalError::NoSamples(name.clone()))?;
        let train = all_but(setup.tasks, held);
        let t0 = Instant::now();
        let inf = fit_inferencer(setup.store, space, &train, setup.how, setup.device)?;
        let fit_seconds = t0.elapsed().as_secs_f64();
        // The candidates: the pool, then the ascent's distinct argmaxes that are not members.
        let mut archs = pool_archs.clone();
        let opts = setup.opts.clone().with_ascent(AscentConfig { starts: TRIAL_STARTS, ..setup.opts.ascent.clone() });
        let proposal = inf.propose(&task, &opts)?;
        let mut seen: std::collections::HashSet<String> = archs.iter().map(ToString::to_string).collect();
        for c in distinct(&proposal) {
            if seen.insert(c.architecture.to_string()) {
                archs.push(c.architecture.clone());
            }
        }
        let zero_shot = distinct(&inf.propose(&task, setup.opts)?).into_iter().take(setup.k).map(|c| c.architecture.to_json()).collect::<std::result::Result<Vec<_>, _>>()?;
        let value = inf.task_value(&task)?;
        let u = archs.iter().map(|a| a.one_hot_u(space)).collect::<std::result::Result<Vec<_>, _>>()?;
        let values: Vec<f64> = value.values(&u)?.into_iter().map(f64::from).collect();
        let codes = archs.iter().map(|a| codes_of(space, a)).collect::<archinfer_adapt::Result<Vec<_>>>()?;
        let scale = AccuracyScale::from_tasks(&train.iter().map(|t| t.v.clone()).collect::<Vec<_>>())?;
        let config = AdaptConfig::default().with_holdout_mse(inf.holdout_mse());
        let n_pool = pool_archs.len();
        let mut a = Adaptive::new(Candidates { values: values.clone(), codes: codes.clone() }, scale, config)?;
        let inside = |a: &Adaptive, tried: &[usize]| -> Result<(usize, usize)> {
            let mut hit = 0;
            let mut total = 0;
            for i in (0..n_pool).filter(|i| !tried.contains(i)) {
                let (lo, hi) = a.interval(i, 0.8)?;
                total += 1;
                hit += usize::from((lo..=hi).contains(&matrix.val[t][i]));
            }
            Ok((hit, total))
        };
        let mut coverage = Coverage { prior: inside(&a, &[])?, after_five: (0, 0) };
        let prepared = PreparedTask::new(&task, setup.device);
        let (mut steps, mut tried, mut adapt_seconds) = (Vec::new(), Vec::new(), 0.0);
        while steps.len() < budget {
            let t1 = Instant::now();
            let Some(c) = a.propose() else { break };
            let b = a.belief(c);
            adapt_seconds += t1.elapsed().as_secs_f64();
            let (val, test) = if c < n_pool {
                (matrix.val[t][c], matrix.test[t][c])
            } else {
                let o = setup.trainer.train(&ChildSpec::Discrete(archs[c].clone()), &prepared, setup.seed.wrapping_add(steps.len() as u64))?;
                (f64::from(o.val_accuracy), f64::from(o.test_accuracy))
            };
            let t2 = Instant::now();
            a.observe(c, if val.is_finite() { val.clamp(0.0, 1.0) } else { 0.0 })?;
            adapt_seconds += t2.elapsed().as_secs_f64();
            tried.push(c);
            steps.push(AdaptiveStep { architecture: archs[c].to_string(), pool_member: (c < n_pool).then_some(c), val, test, predicted: (b.mean, b.sd) });
            if steps.len() == 5 {
                coverage.after_five = inside(&a, &tried)?;
            }
        }
        let prior = TaskPrior {
            task: name.clone(),
            values: values[..n_pool].to_vec(),
            codes: codes[..n_pool].to_vec(),
            scale,
            holdout_mse: inf.holdout_mse(),
            candidates: archs.len(),
            extra: archs[n_pool..].iter().zip(&values[n_pool..]).map(|(a, &v)| a.to_json().map(|j| (j, v))).collect::<std::result::Result<Vec<_>, _>>()?,
            zero_shot,
            steps,
            coverage,
            fit_seconds,
            adapt_seconds,
        };
        log.append(&prior)?;
        on_done(&prior);
    }
    Ok(log.read()?.into_iter().map(|p| (p.task.clone(), p)).collect())
}
