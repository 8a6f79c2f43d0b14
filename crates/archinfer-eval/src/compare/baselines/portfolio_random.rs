//! The greedy portfolio, then random search: what a meta-learned warm start without a model
//! of the task does once its portfolio is spent.

use rand::SeedableRng;
use rand::seq::SliceRandom;

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// The first [`PortfolioThenRandom::FIRST`] members of the greedy portfolio over the training
/// tasks, then pool members at random; the best by validation kept, averaged over the
/// comparison's random orders.
#[derive(Debug, Clone, Copy, Default)]
pub struct PortfolioThenRandom;

impl PortfolioThenRandom {
    /// Portfolio members tried before random search takes over (the initial design size of
    /// FSBO's and HPO-B's warm-started runs).
    pub const FIRST: usize = 5;
}

impl Baseline for PortfolioThenRandom {
    fn method(&self) -> Method {
        Method::PortfolioRandom
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let n = held.matrix.configs.len();
        let first = held.matrix.greedy_portfolio(held.training, Self::FIRST);
        let mut rest: Vec<usize> = (0..n).filter(|c| !first.contains(c)).collect();
        let orders = held.options.random_orders.max(1);
        let mut rng = rand::rngs::StdRng::seed_from_u64(held.options.seed.wrapping_add(held.task as u64) ^ 0x706f_7274);
        let mut sums = vec![0.0; budgets.len()];
        let mut order = first.clone();
        for _ in 0..orders {
            rest.shuffle(&mut rng);
            order.truncate(first.len());
            order.extend_from_slice(&rest);
            for (s, &k) in sums.iter_mut().zip(budgets) {
                *s += held.keep_best(&order[..k.min(order.len())]).unwrap_or(0.0);
            }
        }
        sums.into_iter().map(|s| Some(s / orders as f64)).collect()
    }
}
