//! The nearest task's best (FLAML zero-shot, Auto-sklearn 1.0 meta-learning).

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// The K best members of the training task nearest by simple meta-features, the best by
/// validation on the task kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct NearestTask;

impl Baseline for NearestTask {
    fn method(&self) -> Method {
        Method::NearestTask
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let order = held.matrix.nearest_task(held.facts, held.task, held.training, held.matrix.configs.len());
        budgets.iter().map(|&k| held.keep_best(&order[..k.min(order.len())])).collect()
    }
}
