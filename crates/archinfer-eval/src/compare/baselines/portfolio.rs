//! The greedy portfolio (Auto-sklearn 2.0, TabRepo): K networks that together cover the
//! training tasks best.

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// The greedy portfolio of K over the training tasks, the best by validation on the task kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct Portfolio;

impl Baseline for Portfolio {
    fn method(&self) -> Method {
        Method::Portfolio
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        // Greedy choices are prefixes of one another: one portfolio of the largest budget.
        let portfolio = held.matrix.greedy_portfolio(held.training, budgets.last().copied().unwrap_or(1));
        budgets.iter().map(|&k| held.keep_best(&portfolio[..k.min(portfolio.len())])).collect()
    }
}
