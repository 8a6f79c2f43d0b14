//! How a child is trained: the recipe ([`TrainConfig`]) and which implementation runs it
//! ([`TrainPath`]). Both training paths read these, so they live apart from either.

use std::fmt;

use burn::config::Config;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// Salt of the batch-order generator (`seed ^ SHUFFLE_SALT`), shared by both paths so they
/// visit the batches in the same order.
pub(crate) const SHUFFLE_SALT: u64 = 0x9e37_79b9_7f4a_7c15;

/// Which implementation trains a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainPath {
    /// The fused host trainer for discrete children when the trainer's device is a CPU
    /// backend; burn for continuous children and GPU devices.
    #[default]
    Auto,
    /// burn's autodiff and optimiser on the trainer's device: the reference, and the path
    /// for GPUs.
    Burn,
    /// The fused host trainer (`fused` module docs). Continuous children still use burn.
    Fused,
}

impl fmt::Display for TrainPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrainPath::Auto => "auto",
            TrainPath::Burn => "burn",
            TrainPath::Fused => "fused",
        })
    }
}

impl std::str::FromStr for TrainPath {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(TrainPath::Auto),
            "burn" => Ok(TrainPath::Burn),
            "fused" => Ok(TrainPath::Fused),
            other => Err(TrainError::Config { setting: "path", value: other.to_string(), expected: "auto, burn or fused" }),
        }
    }
}

/// Whether `device` computes on the host CPU (burn's `flex` or `ndarray` backend), where the
/// fused trainer is the faster path.
///
/// Settings of one child training (paper defaults: Adam, learning rate 1e-4, 20 epochs).
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// Adam learning rate.
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    /// Passes over the training split.
    #[config(default = 20)]
    pub epochs: usize,
    /// Mini-batch size.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Batch size of the accuracy evaluation on the burn path (memory only; no effect on
    /// results). The fused path evaluates 256 rows at a time whatever this says.
    #[config(default = 2048)]
    pub eval_batch_size: usize,
    /// L2 penalty added to the gradient before Adam's moments (burn's `WeightDecayConfig`);
    /// `None` (the default, and what configs written before it mean) is no decay.
    pub weight_decay: Option<f64>,
    /// Probability of dropping each hidden unit of a discrete child during training (inverted
    /// dropout, nothing dropped at evaluation); `None` is no dropout. Continuous children
    /// ignore it.
    pub dropout: Option<f64>,
}

impl TrainConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`TrainError::Config`] for a non-positive or non-finite learning rate, zero epochs, a
    /// zero batch size, a negative weight decay or a dropout outside `[0, 1)`.
    pub fn validate(&self) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(TrainError::Config { setting: "learning_rate", value: self.learning_rate.to_string(), expected: "a finite number > 0" });
        }
        if self.epochs == 0 {
            return Err(TrainError::Config { setting: "epochs", value: "0".into(), expected: "at least 1" });
        }
        if self.batch_size == 0 || self.eval_batch_size == 0 {
            let setting = if self.batch_size == 0 { "batch_size" } else { "eval_batch_size" };
            return Err(TrainError::Config { setting, value: "0".into(), expected: "at least 1" });
        }
        if let Some(wd) = self.weight_decay.filter(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(TrainError::Config { setting: "weight_decay", value: wd.to_string(), expected: "a finite number ≥ 0" });
        }
        if let Some(p) = self.dropout.filter(|p| !(p.is_finite() && (0.0..1.0).contains(p))) {
            return Err(TrainError::Config { setting: "dropout", value: p.to_string(), expected: "a probability in [0, 1)" });
        }
        Ok(())
    }
}

