//! The settings of Algorithm 1 and what a fit reports at each convergence check.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use crate::error::{DvnError, Result};

/// The optimizer of Algorithm 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DvnOptimizer {
    /// SGD with momentum (the paper).
    #[default]
    Sgd,
    /// Adam (β = 0.9, 0.999), with optional L2 weight decay.
    Adam,
}

/// Settings of Algorithm 1 (paper: SGD, learning rate 1e-4, momentum 0.5, kOuterIters 1,
/// kInnerIters 2) and of the convergence test.
#[derive(Config, Debug)]
pub struct DvnTrainConfig {
    /// SGD learning rate.
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    /// SGD momentum.
    #[config(default = 0.5)]
    pub momentum: f64,
    /// Mini-batches of one task's triplets per task pick (kOuterIters).
    #[config(default = 1)]
    pub outer_iters: usize,
    /// Sample batches (and SGD steps) per mini-batch (kInnerIters).
    #[config(default = 2)]
    pub inner_iters: usize,
    /// Triplets per mini-batch.
    #[config(default = 32)]
    pub minibatch: usize,
    /// Columns per training batch of a column-pooled tower, drawn at random (0: all). The mean
    /// over columns of a random subset estimates the mean over all of them, at a fraction of
    /// the cost; a task is embedded from all its columns.
    #[config(default = 0)]
    pub sample_columns: usize,
    /// Task samples per batch fed to the tower.
    #[config(default = 256)]
    pub sample_batch: usize,
    /// Embedding module whose features the tower and the statistics read.
    #[config(default = "String::from(\"pool4\")")]
    pub sample_module: String,
    /// Fraction of every training task's triplets held out to judge convergence.
    #[config(default = 0.1)]
    pub holdout: f64,
    /// Task picks between two convergence checks.
    #[config(default = 250)]
    pub eval_every: usize,
    /// Checks without improvement before stopping.
    #[config(default = 8)]
    pub patience: usize,
    /// Upper bound on task picks.
    #[config(default = 100_000)]
    pub max_steps: usize,
    /// Samples used to embed a task at evaluation and inference time.
    #[config(default = 1024)]
    pub eval_samples: usize,
    /// Seed of task picks, batches and the holdout split.
    #[config(default = 0)]
    pub seed: u64,
    /// Weight of a within-task pairwise ranking loss added to the paper's L2 loss (0: L2
    /// only): the mean of `softplus(−(p_i − p_j))` over the mini-batch's pairs with `v_i > v_j`.
    /// The L2 loss rewards getting a task's level right; this rewards getting its order right,
    /// which is what the ascent and the Spearman use.
    #[config(default = 0.0)]
    pub rank_weight: f64,
    /// Task picks before early stopping may stop the fit.
    #[config(default = 0)]
    pub min_steps: usize,
    /// The optimizer (paper: SGD with momentum).
    #[config(default = "DvnOptimizer::Sgd")]
    pub optimizer: DvnOptimizer,
    /// L2 weight decay (Adam only; 0: none).
    #[config(default = 0.0)]
    pub weight_decay: f64,
}

impl DvnTrainConfig {
    /// Checks every setting; [`TrainedDvn::fit`](crate::train::TrainedDvn::fit) calls it before
    /// any work.
    ///
    /// # Errors
    /// [`DvnError::Setting`] naming the first setting out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |setting: &'static str, value: String, expected: &'static str| Err(DvnError::Setting { setting, value, expected });
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning_rate", self.learning_rate.to_string(), "a finite number > 0");
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad("weight_decay", self.weight_decay.to_string(), "a finite number ≥ 0");
        }
        if !(self.rank_weight.is_finite() && self.rank_weight >= 0.0) {
            return bad("rank_weight", self.rank_weight.to_string(), "a finite number ≥ 0");
        }
        if !(self.holdout.is_finite() && (0.0..1.0).contains(&self.holdout)) {
            return bad("holdout", self.holdout.to_string(), "a fraction in [0, 1)");
        }
        for (setting, v) in [("minibatch", self.minibatch), ("inner_iters", self.inner_iters), ("outer_iters", self.outer_iters), ("sample_batch", self.sample_batch)] {
            if v == 0 {
                return bad(setting, "0".into(), "at least 1");
            }
        }
        Ok(())
    }
}

/// One convergence check of
/// [`TrainedDvn::fit_observed`](crate::train::TrainedDvn::fit_observed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitCheck {
    /// Task picks so far.
    pub step: usize,
    /// Upper bound on task picks.
    pub max_steps: usize,
    /// Mean squared error on the training tasks' held-out children.
    pub heldout_mse: f32,
}
