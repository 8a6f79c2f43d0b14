//! The hindsight default: a reference no user could pick, not a baseline to beat.

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// The pool member best on all tasks by test accuracy, the held-out task included.
#[derive(Debug, Clone, Copy, Default)]
pub struct HindsightDefault;

impl Baseline for HindsightDefault {
    fn method(&self) -> Method {
        Method::HindsightDefault
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let best = held.matrix.hindsight_default();
        vec![Some(held.matrix.test[held.task][best]); budgets.len()]
    }
}
