//! The settings of a comparison.

use crate::error::{EvalError, Result};

/// Settings of [`compare`](super::compare()).
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Budgets K (trainings a user spends on the task) to report, e.g. `[1, 3, 10]`.
    pub budgets: Vec<usize>,
    /// Random orders averaged for random search (≥ 100 recommended).
    pub random_orders: usize,
    /// Seed of random search.
    pub seed: u64,
    /// Test-accuracy differences up to this count as ties (wins / ties / losses);
    /// [`TIE`](Self::TIE) in the written protocol.
    pub tie: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self { budgets: vec![1, 3, 10], random_orders: 1_000, seed: 0, tie: Self::TIE }
    }
}

impl CompareOptions {
    /// The protocol's tie: test accuracies within 0.1 point (0.001) tie. Seed noise alone moves a
    /// child by more, so a smaller difference is no win.
    pub const TIE: f64 = 1e-3;

    /// Checks the settings: at least one budget, none zero, at least one random order.
    ///
    /// # Errors
    /// [`EvalError::BadOptions`].
    pub fn validate(&self) -> Result<()> {
        if self.budgets.is_empty() || self.budgets.contains(&0) {
            return Err(EvalError::BadOptions(format!("budgets must be ≥ 1, got {:?}", self.budgets)));
        }
        if self.random_orders == 0 {
            return Err(EvalError::BadOptions("random_orders must be ≥ 1".into()));
        }
        if !(self.tie.is_finite() && self.tie >= 0.0) {
            return Err(EvalError::BadOptions(format!("tie must be finite and ≥ 0, got {}", self.tie)));
        }
        Ok(())
    }
}


