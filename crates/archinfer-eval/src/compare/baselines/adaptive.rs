//! Few-shot adaptation ([`archinfer_adapt::Adaptive`]), the loop of `fit --trials`: the value
//! network fitted without the task as the prior over the pool and the ascent's argmaxes, each
//! training observed, the next chosen by expected improvement. The runs are made before the
//! comparison ([`adaptive_priors`](crate::compare::adaptive_priors), which trains candidates
//! outside the pool); this reads them.

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// The `adaptive` method: the best by validation of the first K trainings of the held-out
/// task's run (`evaluate compare --adaptive`); without a run it names no network.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdaptiveSearch;

impl Baseline for AdaptiveSearch {
    fn method(&self) -> Method {
        Method::Adaptive
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let Some(steps) = held.prior.map(|p| &p.steps).filter(|s| !s.is_empty()) else { return vec![None; budgets.len()] };
        budgets
            .iter()
            .map(|&k| steps[..k.min(steps.len())].iter().fold(None, |b: Option<(f64, f64)>, s| if b.is_none_or(|b| s.val > b.0) { Some((s.val, s.test)) } else { b }).map(|b| b.1))
            .collect()
    }
}
