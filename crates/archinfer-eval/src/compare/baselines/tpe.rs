//! TPE over the pool ([`archinfer_adapt::Tpe`]): Bayesian optimisation without meta-learning.

use rand::SeedableRng;

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// TPE (Optuna's defaults: 10 random trainings, then the best `l/g`), the best by validation
/// kept, averaged over up to [`TpeSearch::RUNS`] seeded runs. It reads the pool members'
/// choices from the task's prior, so it runs where `adaptive` does.
#[derive(Debug, Clone, Copy, Default)]
pub struct TpeSearch;

impl TpeSearch {
    /// Seeded runs averaged (fewer when the comparison asks for fewer random orders).
    pub const RUNS: usize = 100;
}

impl Baseline for TpeSearch {
    fn method(&self) -> Method {
        Method::Tpe
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let none = vec![None; budgets.len()];
        let Some(prior) = held.prior.filter(|p| p.codes.len() == held.matrix.configs.len()) else { return none };
        let k = budgets.last().copied().unwrap_or(1);
        let runs = Self::RUNS.min(held.options.random_orders).max(1);
        let mut sums = vec![0.0; budgets.len()];
        for r in 0..runs {
            let Ok(mut tpe) = archinfer_adapt::Tpe::new(prior.codes.clone()) else { return none };
            let seed = held.options.seed.wrapping_add(held.task as u64).wrapping_mul(1_000_003).wrapping_add(r as u64);
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut tried = Vec::new();
            while tried.len() < k {
                let Some(i) = tpe.propose(&mut rng) else { break };
                if tpe.observe(i, held.matrix.val[held.task][i]).is_err() {
                    break;
                }
                tried.push(i);
            }
            for (s, &b) in sums.iter_mut().zip(budgets) {
                *s += held.keep_best(&tried[..b.min(tried.len())]).unwrap_or(0.0);
            }
        }
        sums.into_iter().map(|s| Some(s / runs as f64)).collect()
    }
}
