//! The single-best default: one network for every task, chosen on the training tasks.

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// The pool member with the best mean normalised validation score over the training tasks,
/// whatever the budget.
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleBest;

impl Baseline for SingleBest {
    fn method(&self) -> Method {
        Method::SingleBest
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let single = held.matrix.single_best(held.training);
        vec![Some(held.matrix.test[held.task][single]); budgets.len()]
    }
}
