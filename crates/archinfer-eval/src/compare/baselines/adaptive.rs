//! Few-shot adaptation over the pool ([`archinfer_adapt::Adaptive`]): the value network
//! fitted without the task as the prior, each pool member's validation accuracy on the task
//! observed as it is "trained", the next one chosen by expected improvement.

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// The `adaptive` method: needs the held-out task's [`TaskPrior`](crate::compare::TaskPrior)
/// (`evaluate compare --adaptive`); without one it names no network.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdaptiveSearch;

impl AdaptiveSearch {
    /// The pool members it trains on `held`, in order, up to `k` (empty without a prior).
    pub fn order(held: &HeldOut<'_>, k: usize) -> Vec<usize> {
        let Some(prior) = held.prior.filter(|p| p.values.len() == held.matrix.configs.len()) else { return Vec::new() };
        let Ok(mut a) = prior.adaptive() else { return Vec::new() };
        let mut tried = Vec::new();
        while tried.len() < k {
            let Some(i) = a.propose() else { break };
            if a.observe(i, held.matrix.val[held.task][i].clamp(0.0, 1.0)).is_err() {
                break;
            }
            tried.push(i);
        }
        tried
    }
}

impl Baseline for AdaptiveSearch {
    fn method(&self) -> Method {
        Method::Adaptive
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let order = Self::order(held, budgets.last().copied().unwrap_or(1));
        budgets.iter().map(|&k| if order.is_empty() { None } else { held.keep_best(&order[..k.min(order.len())]) }).collect()
    }
}
