//! TPE over a finite set of candidates: the Bayesian optimiser without meta-learning that
//! the comparison sets against [`Adaptive`](crate::Adaptive).
//!
//! The `tpe` crate (crates.io) keeps one optimiser per parameter and samples each value from
//! its own range; it cannot rank a fixed set of candidates (the pool of the comparison, as in
//! HPO-B) and may ask for a combination outside it. This is TPE's categorical form (Bergstra
//! et al., 2011) with Optuna's defaults, scored over the untried candidates instead of sampled.

use rand::seq::SliceRandom;

use crate::error::{AdaptError, Result};

/// Tree-structured Parzen estimator over candidates described by their choice per group.
#[derive(Debug, Clone)]
pub struct Tpe {
    codes: Vec<Vec<u32>>,
    arity: Vec<usize>,
    observed: Vec<(usize, f64)>,
    /// Random trainings before the model is used (Optuna: 10).
    pub startup: usize,
    /// Weight of the uniform prior in each group's histogram (Optuna: 1).
    pub prior_weight: f64,
}

impl Tpe {
    /// TPE over candidates with these codes (one per group, all of one length).
    ///
    /// # Errors
    /// [`AdaptError::NoCandidates`]; [`AdaptError::BadCandidates`] for codes of different
    /// lengths.
    pub fn new(codes: Vec<Vec<u32>>) -> Result<Self> {
        let g = codes.first().ok_or(AdaptError::NoCandidates)?.len();
        if let Some(i) = codes.iter().position(|c| c.len() != g) {
            return Err(AdaptError::BadCandidates(format!("candidate {i} has {} groups, candidate 0 has {g}", codes[i].len())));
        }
        let arity = (0..g).map(|k| codes.iter().map(|c| c[k] as usize + 1).max().unwrap_or(1)).collect();
        Ok(Self { codes, arity, observed: Vec::new(), startup: 10, prior_weight: 1.0 })
    }

    /// Records a training.
    ///
    /// # Errors
    /// [`AdaptError::UnknownCandidate`]; [`AdaptError::BadObservation`] for a non-finite value.
    pub fn observe(&mut self, index: usize, accuracy: f64) -> Result<()> {
        if index >= self.codes.len() {
            return Err(AdaptError::UnknownCandidate { index, candidates: self.codes.len() });
        }
        if !accuracy.is_finite() {
            return Err(AdaptError::BadObservation(accuracy));
        }
        self.observed.push((index, accuracy));
        Ok(())
    }

    /// The next untried candidate: at random for the first [`startup`](Self::startup)
    /// trainings, then the one with the largest `l(x) / g(x)`, `l` and `g` the smoothed
    /// per-group histograms of the best `⌈0.1 n⌉` (at most 25) trainings and of the rest.
    /// Ties go to a random one. `None` when every candidate is tried.
    pub fn propose<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        let mut untried: Vec<usize> = (0..self.codes.len()).filter(|i| !self.observed.iter().any(|o| o.0 == *i)).collect();
        if untried.is_empty() {
            return None;
        }
        untried.shuffle(rng);
        if self.observed.len() < self.startup.max(1) {
            return untried.first().copied();
        }
        let mut order = self.observed.clone();
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        let n_good = (order.len().div_ceil(10)).clamp(1, 25);
        let (good, bad) = order.split_at(n_good);
        let density = |set: &[(usize, f64)], k: usize, c: u32| -> f64 {
            let count = set.iter().filter(|o| self.codes[o.0][k] == c).count() as f64;
            (count + self.prior_weight / self.arity[k] as f64) / (set.len() as f64 + self.prior_weight)
        };
        let score = |i: usize| -> f64 { (0..self.arity.len()).map(|k| (density(good, k, self.codes[i][k]) / density(bad, k, self.codes[i][k])).ln()).sum() };
        untried.into_iter().map(|i| (i, score(i))).fold(None, |b: Option<(usize, f64)>, (i, s)| if b.is_none_or(|b| s > b.1) { Some((i, s)) } else { b }).map(|b| b.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn after_startup_the_good_groups_win() {
        // Eight candidates over two binary groups plus a spare; observed: code 1 in group 0
        // is good. Of the untried, candidate 7 (1, 1, 1) and 5 (1, 0, 1) share it.
        let codes = vec![vec![0, 0, 0], vec![0, 1, 0], vec![1, 0, 0], vec![1, 1, 0], vec![0, 0, 1], vec![1, 0, 1], vec![0, 1, 1], vec![1, 1, 1]];
        let mut t = Tpe::new(codes).unwrap();
        t.startup = 4;
        for (i, y) in [(0, 0.1), (1, 0.2), (2, 0.9), (3, 0.3)] {
            t.observe(i, y).unwrap();
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        // l puts weight on (1, 0, 0) = candidate 2 alone; 5 = (1, 0, 1) matches it in two groups.
        assert_eq!(t.propose(&mut rng), Some(5));
        assert!(matches!(t.observe(9, 0.1), Err(AdaptError::UnknownCandidate { .. })));
        assert!(Tpe::new(vec![]).is_err());
        assert!(Tpe::new(vec![vec![0], vec![0, 1]]).is_err());
    }

    #[test]
    fn startup_is_random_without_repeats() {
        let mut t = Tpe::new((0..5).map(|i| vec![i]).collect()).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut seen = Vec::new();
        while let Some(i) = t.propose(&mut rng) {
            assert!(!seen.contains(&i));
            seen.push(i);
            t.observe(i, 0.5).unwrap();
        }
        assert_eq!(seen.len(), 5);
    }
}
