//! What the meta-trained value network says before the new task is seen: the scale that maps
//! its per-task normalised values to accuracies, and how far to trust it.

use serde::{Deserialize, Serialize};

use crate::error::{AdaptError, Result};

/// How accuracies spread over the training tasks' recorded children.
///
/// The value network predicts a child's validation accuracy normalised per task,
/// `(acc − μ_t) / σ_t`, over each training task's children. For a new task μ and σ are unknown;
/// their distribution over the training tasks is the prior:
/// `μ ~ N(level_mean, level_sd²)`, `σ ~ N(spread_mean, spread_sd²)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AccuracyScale {
    /// Mean over tasks of the task's mean child accuracy.
    pub level_mean: f64,
    /// Standard deviation over tasks of the task's mean child accuracy.
    pub level_sd: f64,
    /// Mean over tasks of the task's standard deviation of child accuracies.
    pub spread_mean: f64,
    /// Standard deviation over tasks of that standard deviation.
    pub spread_sd: f64,
}

impl Default for AccuracyScale {
    /// A scale for a model saved without one: the shipped image model's 29 training tasks
    /// (`data/fmnist14.sqlite` without `dress-coat-occluded-noisy`, every recorded child),
    /// rounded, as `archinfer train-dvn --scale-only` measures it.
    fn default() -> Self {
        Self { level_mean: 0.72, level_sd: 0.18, spread_mean: 0.11, spread_sd: 0.05 }
    }
}

impl AccuracyScale {
    /// The scale of tasks whose children's accuracies are `tasks[t]` (tasks with fewer than two
    /// children are skipped; a single task gives a spread of zero across tasks).
    ///
    /// # Errors
    /// [`AdaptError::BadCandidates`] when no task has two finite accuracies.
    pub fn from_tasks<T: AsRef<[f32]>>(tasks: &[T]) -> Result<Self> {
        let mut levels = Vec::new();
        let mut spreads = Vec::new();
        for t in tasks {
            let v: Vec<f64> = t.as_ref().iter().map(|&x| f64::from(x)).filter(|x| x.is_finite()).collect();
            if v.len() < 2 {
                continue;
            }
            let (m, s) = mean_sd(&v);
            levels.push(m);
            spreads.push(s);
        }
        if levels.is_empty() {
            return Err(AdaptError::BadCandidates("no task with two recorded accuracies to take a scale from".into()));
        }
        let (level_mean, level_sd) = mean_sd(&levels);
        let (spread_mean, spread_sd) = mean_sd(&spreads);
        Ok(Self { level_mean, level_sd, spread_mean, spread_sd })
    }

    /// Checks that every field is finite, the deviations ≥ 0 and the spread > 0.
    ///
    /// # Errors
    /// [`AdaptError::Setting`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |setting, value: f64, expected| Err(AdaptError::Setting { setting, value: value.to_string(), expected });
        if !self.level_mean.is_finite() {
            return bad("level_mean", self.level_mean, "a finite accuracy");
        }
        if !(self.spread_mean.is_finite() && self.spread_mean > 0.0) {
            return bad("spread_mean", self.spread_mean, "> 0");
        }
        for (name, v) in [("level_sd", self.level_sd), ("spread_sd", self.spread_sd)] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, v, "≥ 0");
            }
        }
        Ok(())
    }
}

/// Mean and population standard deviation.
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt())
}

/// How the next candidate is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Acquisition {
    /// Expected improvement of the latent accuracy over the best so far (the posterior mean at
    /// the trained candidates, so that one lucky seed does not stop the search).
    ExpectedImprovement,
    /// Upper confidence bound `μ + β σ`.
    Ucb {
        /// Standard deviations of optimism.
        beta: f64,
    },
}

/// Settings of [`Adaptive`](crate::Adaptive).
///
/// How well the value network transfers to a task it was not fitted on is the prior's main
/// uncertainty: `transfer` is the expected rank correlation between its predictions and the
/// new task's accuracies, `transfer_sd` its spread over tasks. The defaults are what
/// `archinfer evaluate predict` measured leave-one-task-out on the image suite before this
/// method existed (`results/predict-task-aware`: mean Spearman 0.595 over 14 held-out tasks,
/// from −0.26 to 0.86): round 0.6 and 0.3, not tuned on any comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdaptConfig {
    /// Expected correlation of the network's values with the new task's accuracies.
    pub transfer: f64,
    /// Its standard deviation over tasks: at 0.3 around 0.6, a reversed ranking is a
    /// two-sigma event that a few trainings can reveal.
    pub transfer_sd: f64,
    /// Standard deviation, in the network's normalised units, of what a correlation of
    /// `transfer` leaves unexplained: `sqrt(1 − transfer²)` by default, never below the
    /// network's own held-out error ([`with_holdout_mse`](Self::with_holdout_mse)).
    pub residual_sd: f64,
    /// Seed noise of one training, in accuracy (0.6–0.9 points measured on the image suite).
    pub noise_sd: f64,
    /// How fast the residuals of two candidates decorrelate: their correlation is
    /// `exp(−decay · h)`, `h` the share of the encoding's groups where they differ.
    pub decay: f64,
    /// How the next candidate is chosen.
    pub acquisition: Acquisition,
}

impl Default for AdaptConfig {
    fn default() -> Self {
        Self { transfer: 0.6, transfer_sd: 0.3, residual_sd: 0.8, noise_sd: 0.008, decay: 3.0, acquisition: Acquisition::ExpectedImprovement }
    }
}

impl AdaptConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AdaptError::Setting`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |setting, value: f64, expected| Err(AdaptError::Setting { setting, value: value.to_string(), expected });
        if !(self.transfer.is_finite() && (-1.0..=1.0).contains(&self.transfer)) {
            return bad("transfer", self.transfer, "in [−1, 1]");
        }
        for (name, v) in [("transfer_sd", self.transfer_sd), ("residual_sd", self.residual_sd), ("decay", self.decay)] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, v, "≥ 0");
            }
        }
        if !(self.noise_sd.is_finite() && self.noise_sd > 0.0) {
            return bad("noise_sd", self.noise_sd, "> 0");
        }
        if let Acquisition::Ucb { beta } = self.acquisition
            && !(beta.is_finite() && beta >= 0.0)
        {
            return bad("beta", beta, "≥ 0");
        }
        Ok(())
    }

    /// With a residual no smaller than the error of a value network whose held-out mean
    /// squared error (normalised units, within its training tasks) is `mse`; a non-finite or
    /// negative `mse` changes nothing.
    pub fn with_holdout_mse(mut self, mse: f64) -> Self {
        if mse.is_finite() && mse >= 0.0 {
            self.residual_sd = self.residual_sd.max(mse.sqrt());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn scale_by_hand() {
        // Task means 0.5 and 0.7 (sds 0.1 and 0.3): level 0.6 ± 0.1, spread 0.2 ± 0.1.
        let s = AccuracyScale::from_tasks(&[vec![0.4, 0.6], vec![0.4, 1.0], vec![0.9]]).unwrap();
        assert_abs_diff_eq!(s.level_mean, 0.6, epsilon = 1e-7);
        assert_abs_diff_eq!(s.level_sd, 0.1, epsilon = 1e-7);
        assert_abs_diff_eq!(s.spread_mean, 0.2, epsilon = 1e-7);
        assert_abs_diff_eq!(s.spread_sd, 0.1, epsilon = 1e-7);
        assert!(AccuracyScale::from_tasks(&[vec![0.5f32]]).is_err());
        assert!(AccuracyScale { spread_mean: 0.0, ..s }.validate().is_err());
        assert_abs_diff_eq!(AdaptConfig::default().with_holdout_mse(0.25).residual_sd, 0.8);
        assert_abs_diff_eq!(AdaptConfig::default().with_holdout_mse(1.0).residual_sd, 1.0);
        assert!(AdaptConfig { transfer: 1.5, ..AdaptConfig::default() }.validate().is_err());
        assert!(AdaptConfig { noise_sd: 0.0, ..AdaptConfig::default() }.validate().is_err());
    }
}
