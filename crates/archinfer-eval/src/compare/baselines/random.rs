//! Random search over the pool.

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// K random pool members, the best by validation kept: the expectation over
/// `options.random_orders` orders, seeded by the comparison's seed and the task.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomSearch;

impl Baseline for RandomSearch {
    fn method(&self) -> Method {
        Method::Random
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let seed = held.options.seed.wrapping_add(held.task as u64);
        budgets.iter().map(|&k| Some(held.matrix.random_search(held.task, k, held.options.random_orders, seed))).collect()
    }
}
