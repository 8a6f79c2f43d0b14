//! `evaluate predict`: the paper's Tables 2 and 3. One fold fits the value network on every
//! task but one and judges it on the held-out task's recorded children (Spearman, R², and the
//! z-swap of [`crate::zswap::z_swap`]); [`predict_jobs`] plans what the run log lacks, and
//! [`PredictTable`] / [`TaskAwarenessTable`] render the runs.

mod table;

pub use table::{PredictRun, PredictTable, TaskAwarenessTable};

use std::time::Instant;

use archinfer_dvn::{DvnTask, Recipe, TrainedDvn, r_squared, spearman};
use archinfer_encoding::ArchitectureSpace;
use archinfer_metafeatures::{MetaFeatures, TaskEncoder};
use burn::tensor::Device;

use crate::error::{EvalError, Result};
use crate::stats::mean_std;
use crate::zswap::{TaskScorer, ZSwap, embeddings, z_swap};

/// Every task but `held`.
pub fn all_but(tasks: &[DvnTask], held: usize) -> Vec<DvnTask> {
    tasks.iter().enumerate().filter(|(i, _)| *i != held).map(|(_, t)| t.clone()).collect()
}

/// One leave-one-task-out fold of the paper's Tables 2 and 3.
#[derive(Debug, Clone)]
pub struct Fold {
    /// Spearman rank correlation of predicted and recorded validation accuracy of the held-out
    /// task's children.
    pub spearman: f64,
    /// R² of the predictions against the per-task normalised accuracies.
    pub r2: f64,
    /// Task picks of Algorithm 1 until it stopped.
    pub steps: usize,
    /// Seconds to fit.
    pub fit_seconds: f64,
    /// z-swap of the held-out task (networks with meta-features only).
    pub z_swap: Option<ZSwap>,
}

/// Fits a value network by `recipe` on every task of `tasks` but `held`, then ranks the held-out
/// task's recorded children with it (and, with meta-features, with every training task's `z`
/// in place of its own).
///
/// # Errors
/// Fewer than two tasks, a held-out task with fewer than two children, or a failed fit.
pub fn predict_fold(space: &ArchitectureSpace, tasks: &[DvnTask], held: usize, recipe: &Recipe, device: &Device) -> Result<Fold> {
    if tasks.len() < 2 || held >= tasks.len() {
        return Err(EvalError::TooFewTasks { needed: 2, got: tasks.len() });
    }
    let train = all_but(tasks, held);
    let h = &tasks[held];
    if h.u.len() < 2 || h.u.len() != h.v.len() {
        return Err(EvalError::TooFewChildren { task: h.name.clone(), got: h.u.len().min(h.v.len()), needed: 2 });
    }
    let (cfg, tc) = recipe.configs(space, &train)?;
    let t0 = Instant::now();
    let m = TrainedDvn::fit(cfg, tc, &train, device)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    let own_z = match h.task.as_deref() {
        Some(t) => m.encode_task(t)?,
        None => Vec::new(),
    };
    let swap = if own_z.is_empty() {
        None
    } else {
        let others = embeddings(&m, train.iter().filter_map(|t| t.task.as_deref()))?;
        Some(z_swap(&m, &h.name, &h.u, &h.v, &own_z, &others)?)
    };
    let pred: Vec<f64> = m.score(&h.u, &own_z)?.into_iter().map(f64::from).collect();
    let actual: Vec<f64> = h.v.iter().map(|&x| f64::from(x)).collect();
    let (mu, sd) = mean_std(&actual);
    let norm: Vec<f64> = actual.iter().map(|x| (x - mu) / sd.max(1e-9)).collect();
    Ok(Fold { spearman: spearman(&pred, &actual)?, r2: r_squared(&norm, &pred)?, steps: m.history.last().map_or(0, |h| h.0), fit_seconds, z_swap: swap })
}

impl Fold {
    /// This fold as a line of `evaluate predict`'s run log: held-out `task`, fitted by
    /// `recipe` (its meta-features and preset), repeat `repeat`.
    pub fn run(&self, task: &str, recipe: &Recipe, repeat: usize) -> PredictRun {
        let swap = self.z_swap.as_ref();
        PredictRun {
            task: task.to_string(),
            variant: recipe.meta.to_string(),
            repeat,
            spearman: self.spearman,
            r2: self.r2,
            steps: self.steps,
            fit_seconds: self.fit_seconds,
            preset: recipe.preset.to_string(),
            swapped_spearman: swap.map(ZSwap::others_mean),
            swapped_worse: swap.map(|s| s.swapped.iter().filter(|o| o.1 < s.own).count()),
        }
    }
}

/// The `(task index, variant, repeat)` fits of `evaluate predict` for the tasks at `held` that
/// the run log `done` lacks: every variant, `repeats` times. `done` should hold the runs of the
/// preset to be run only; indices past `tasks` are skipped.
pub fn predict_jobs(
    tasks: &[DvnTask],
    held: &[usize],
    variants: &[MetaFeatures],
    repeats: usize,
    done: &[PredictRun],
) -> Vec<(usize, MetaFeatures, usize)> {
    let have: std::collections::HashSet<(&str, String, usize)> = done.iter().map(|r| (r.task.as_str(), r.variant.clone(), r.repeat)).collect();
    let mut jobs = Vec::new();
    for &k in held.iter().filter(|&&k| k < tasks.len()) {
        for &m in variants {
            jobs.extend((0..repeats).filter(|&r| !have.contains(&(tasks[k].name.as_str(), m.to_string(), r))).map(|r| (k, m, r)));
        }
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str) -> DvnTask {
        DvnTask { name: name.into(), u: Vec::new(), v: Vec::new(), task: None }
    }

    #[test]
    fn predict_jobs_are_what_the_log_lacks() {
        let tasks = [task("a"), task("b")];
        let fold = Fold { spearman: 0.5, r2: 0.25, steps: 7, fit_seconds: 1.0, z_swap: None };
        let done = [fold.run("a", &Recipe::new(archinfer_dvn::DvnPreset::Paper, MetaFeatures::None), 1)];
        let jobs = predict_jobs(&tasks, &[0, 1, 5], &[MetaFeatures::None, MetaFeatures::Learned], 2, &done);
        // 2 tasks × 2 variants × 2 repeats, minus the logged one; index 5 does not exist.
        assert_eq!(jobs.len(), 7);
        assert!(!jobs.contains(&(0, MetaFeatures::None, 1)));
        assert!(jobs.contains(&(0, MetaFeatures::None, 0)) && jobs.contains(&(1, MetaFeatures::Learned, 1)));
    }

    #[test]
    fn a_fold_logs_its_recipe_and_its_z_swap() {
        let swap = ZSwap { task: "a".into(), own: 0.6, swapped: vec![("b".into(), 0.2), ("c".into(), 0.8)] };
        let fold = Fold { spearman: 0.6, r2: 0.3, steps: 4, fit_seconds: 2.0, z_swap: Some(swap) };
        let run = fold.run("a", &Recipe::new(archinfer_dvn::DvnPreset::TaskAware, MetaFeatures::Learned), 3);
        assert_eq!((run.variant.as_str(), run.preset.as_str(), run.repeat), ("learned", "task-aware", 3));
        approx::assert_abs_diff_eq!(run.swapped_spearman.unwrap(), 0.5, epsilon = 1e-12);
        assert_eq!(run.swapped_worse, Some(1), "only b's z ranks worse than the own");
    }
}
