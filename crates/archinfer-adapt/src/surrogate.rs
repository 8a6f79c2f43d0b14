//! The new task's accuracy over a finite set of candidates as a Gaussian process whose prior
//! is the meta-trained value network, updated by each training on the task.
//!
//! `acc(u) = μ + σ · (ρ v(u) + r(u)) + ε`: `v` the value network's normalised prediction,
//! `μ` and `σ` the task's unknown level and spread (prior from the training tasks,
//! [`AccuracyScale`]), `ρ` how well the network transfers to this task (prior
//! `N(transfer, transfer_sd²)`, [`AdaptConfig`]), `r` what it leaves unexplained (a Gaussian
//! process over the candidates' encodings, correlated between candidates that share choices)
//! and `ε` seed noise. Linearised around the prior means, the prior mean of a candidate is
//! `E μ + E σ · transfer · v` and the covariance of two is
//! `sd(μ)² + (sd(σ)² transfer² + (E σ)² transfer_sd²) v v' + (E σ · residual_sd)² exp(−decay h)`:
//! every observation moves the level, the weight of the network and the residuals of similar
//! candidates, exactly (Gaussian conditioning).

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use crate::error::{AdaptError, Result};
use crate::prior::{AccuracyScale, AdaptConfig, Acquisition};

/// Candidates that the prior knows: the value network's normalised value of each and its
/// choice in every group of the encoding (the argmax of its one-hot `u` per group).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidates {
    /// Predicted normalised value per candidate.
    pub values: Vec<f64>,
    /// Choice per group, per candidate (all of one length).
    pub codes: Vec<Vec<u32>>,
}

impl Candidates {
    /// Checks lengths and values.
    ///
    /// # Errors
    /// [`AdaptError::NoCandidates`]; [`AdaptError::BadCandidates`] for codes of different
    /// lengths, another number of codes than values, or a non-finite value.
    pub fn validate(&self) -> Result<()> {
        if self.values.is_empty() {
            return Err(AdaptError::NoCandidates);
        }
        if self.codes.len() != self.values.len() {
            return Err(AdaptError::BadCandidates(format!("{} codes for {} values", self.codes.len(), self.values.len())));
        }
        let g = self.codes[0].len();
        if let Some(i) = self.codes.iter().position(|c| c.len() != g) {
            return Err(AdaptError::BadCandidates(format!("candidate {i} has {} groups, candidate 0 has {g}", self.codes[i].len())));
        }
        if let Some(i) = self.values.iter().position(|v| !v.is_finite()) {
            return Err(AdaptError::BadCandidates(format!("candidate {i} has value {}", self.values[i])));
        }
        Ok(())
    }

    /// The share of groups where candidates `i` and `j` choose differently.
    fn hamming(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (&self.codes[i], &self.codes[j]);
        if a.is_empty() {
            return if i == j { 0.0 } else { 1.0 };
        }
        a.iter().zip(b).filter(|(x, y)| x != y).count() as f64 / a.len() as f64
    }
}

/// One candidate's posterior: mean and standard deviation of its latent accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Belief {
    /// Posterior mean accuracy.
    pub mean: f64,
    /// Posterior standard deviation of the latent accuracy (seed noise not included).
    pub sd: f64,
}

/// The few-shot loop's state: `propose → observe → propose`.
///
/// ```
/// use archinfer_adapt::{AccuracyScale, AdaptConfig, Adaptive, Candidates};
/// // Three candidates; the value network likes candidate 0 best.
/// let c = Candidates { values: vec![1.0, 0.0, -1.0], codes: vec![vec![0, 0], vec![0, 1], vec![1, 1]] };
/// let mut a = Adaptive::new(c, AccuracyScale::default(), AdaptConfig::default()).unwrap();
/// assert_eq!(a.propose(), Some(0));
/// a.observe(0, 0.55).unwrap(); // far below what the prior expected
/// let next = a.propose().unwrap();
/// assert_ne!(next, 0, "a trained candidate is not proposed again");
/// assert_eq!(a.best(), Some((0, 0.55)));
/// ```
#[derive(Debug, Clone)]
pub struct Adaptive {
    candidates: Candidates,
    scale: AccuracyScale,
    config: AdaptConfig,
    observed: Vec<(usize, f64)>,
    /// Cholesky factor of the observed covariance (row-major, lower).
    chol: Vec<f64>,
    /// `(C_OO + noise)⁻¹ (y − m_O)`.
    alpha: Vec<f64>,
}

impl Adaptive {
    /// The prior over `candidates`.
    ///
    /// # Errors
    /// As [`Candidates::validate`], [`AccuracyScale::validate`] and [`AdaptConfig::validate`].
    pub fn new(candidates: Candidates, scale: AccuracyScale, config: AdaptConfig) -> Result<Self> {
        candidates.validate()?;
        scale.validate()?;
        config.validate()?;
        Ok(Self { candidates, scale, config, observed: Vec::new(), chol: Vec::new(), alpha: Vec::new() })
    }

    /// How many candidates there are.
    pub fn len(&self) -> usize {
        self.candidates.values.len()
    }

    /// Never true: [`new`](Self::new) refuses no candidates.
    pub fn is_empty(&self) -> bool {
        self.candidates.values.is_empty()
    }

    /// The observations so far, `(candidate, accuracy)` in order.
    pub fn observed(&self) -> &[(usize, f64)] {
        &self.observed
    }

    fn prior_mean(&self, i: usize) -> f64 {
        self.scale.level_mean + self.scale.spread_mean * self.config.transfer * self.candidates.values[i]
    }

    fn cov(&self, i: usize, j: usize) -> f64 {
        let (s, c) = (&self.scale, &self.candidates);
        let (t, ts) = (self.config.transfer, self.config.transfer_sd);
        let r = s.spread_mean * self.config.residual_sd;
        let w = s.spread_sd * s.spread_sd * t * t + s.spread_mean * s.spread_mean * ts * ts;
        s.level_sd * s.level_sd + w * c.values[i] * c.values[j] + r * r * (-self.config.decay * c.hamming(i, j)).exp()
    }

    /// Records that candidate `index` trained to validation accuracy `accuracy` (a candidate
    /// may be observed more than once, with other seeds).
    ///
    /// # Errors
    /// [`AdaptError::UnknownCandidate`], [`AdaptError::BadObservation`] for an accuracy outside
    /// [0, 1].
    pub fn observe(&mut self, index: usize, accuracy: f64) -> Result<()> {
        if index >= self.len() {
            return Err(AdaptError::UnknownCandidate { index, candidates: self.len() });
        }
        if !(0.0..=1.0).contains(&accuracy) {
            return Err(AdaptError::BadObservation(accuracy));
        }
        self.observed.push((index, accuracy));
        self.refactor();
        Ok(())
    }

    /// Refactors the observed covariance. The noise on the diagonal keeps it positive
    /// definite; a pivot that still comes out non-positive (rounding) is floored.
    fn refactor(&mut self) {
        let n = self.observed.len();
        let noise = self.config.noise_sd * self.config.noise_sd;
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let mut s = self.cov(self.observed[i].0, self.observed[j].0) + if i == j { noise } else { 0.0 };
                for k in 0..j {
                    s -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = if i == j { s.max(noise * 1e-6).sqrt() } else { s / l[j * n + j] };
            }
        }
        let r: Vec<f64> = self.observed.iter().map(|&(c, y)| y - self.prior_mean(c)).collect();
        self.alpha = solve_upper(&l, n, &solve_lower(&l, n, &r));
        self.chol = l;
    }

    /// The posterior of candidate `i`.
    ///
    /// # Panics
    /// When `i` is not a candidate index.
    pub fn belief(&self, i: usize) -> Belief {
        let n = self.observed.len();
        let k: Vec<f64> = self.observed.iter().map(|&(c, _)| self.cov(i, c)).collect();
        let mean = self.prior_mean(i) + k.iter().zip(&self.alpha).map(|(a, b)| a * b).sum::<f64>();
        let w = solve_lower(&self.chol, n, &k);
        let var = self.cov(i, i) - w.iter().map(|x| x * x).sum::<f64>();
        Belief { mean, sd: var.max(0.0).sqrt() }
    }

    /// The posterior of every candidate.
    pub fn beliefs(&self) -> Vec<Belief> {
        (0..self.len()).map(|i| self.belief(i)).collect()
    }

    /// The trained candidate with the best observed accuracy (the first on ties).
    pub fn best(&self) -> Option<(usize, f64)> {
        self.observed.iter().copied().fold(None, |b: Option<(usize, f64)>, o| if b.is_none_or(|b| o.1 > b.1) { Some(o) } else { b })
    }

    /// The central `level` interval (0.8 for 80 %) of candidate `i`'s next training, seed
    /// noise included.
    ///
    /// # Errors
    /// [`AdaptError::Setting`] for a level outside (0, 1); [`AdaptError::UnknownCandidate`].
    pub fn interval(&self, i: usize, level: f64) -> Result<(f64, f64)> {
        if !(level > 0.0 && level < 1.0) {
            return Err(AdaptError::Setting { setting: "level", value: level.to_string(), expected: "in (0, 1)" });
        }
        if i >= self.len() {
            return Err(AdaptError::UnknownCandidate { index: i, candidates: self.len() });
        }
        let b = self.belief(i);
        let sd = (b.sd * b.sd + self.config.noise_sd * self.config.noise_sd).sqrt();
        let z = std_normal().inverse_cdf(0.5 + level / 2.0);
        Ok((b.mean - z * sd, b.mean + z * sd))
    }

    /// The next candidate to train: before any observation the prior's best (the zero-shot
    /// choice), then the untried candidate with the best acquisition. `None` when every
    /// candidate is tried.
    pub fn propose(&self) -> Option<usize> {
        let tried = |i: usize| self.observed.iter().any(|&(c, _)| c == i);
        let beliefs = self.beliefs();
        // The incumbent is the best posterior mean among trained candidates, not a noisy draw.
        let incumbent = self.observed.iter().map(|&(c, _)| beliefs[c].mean).fold(f64::NEG_INFINITY, f64::max);
        let score = |b: &Belief| -> f64 {
            if self.observed.is_empty() {
                return b.mean;
            }
            match self.config.acquisition {
                Acquisition::ExpectedImprovement => expected_improvement(b.mean, b.sd, incumbent),
                Acquisition::Ucb { beta } => b.mean + beta * b.sd,
            }
        };
        let mut best: Option<(usize, f64)> = None;
        for (i, b) in beliefs.iter().enumerate().filter(|(i, _)| !tried(*i)) {
            let s = score(b);
            if best.is_none_or(|(_, bs)| s > bs) {
                best = Some((i, s));
            }
        }
        best.map(|(i, _)| i)
    }

    /// `q` candidates to train together: each chosen as [`propose`](Self::propose) would after
    /// the ones before it came out at their posterior mean (the kriging believer), so that a
    /// batch spreads instead of piling on one region.
    pub fn propose_batch(&self, q: usize) -> Vec<usize> {
        let mut fantasy = self.clone();
        let mut picks = Vec::new();
        while picks.len() < q {
            let Some(i) = fantasy.propose() else { break };
            let m = fantasy.belief(i).mean.clamp(0.0, 1.0);
            picks.push(i);
            fantasy.observed.push((i, m));
            fantasy.refactor();
        }
        picks
    }
}

fn std_normal() -> Normal {
    // Mean 0 and sd 1 are valid parameters: this cannot fail.
    Normal::standard()
}

/// `E[max(f − best, 0)]` for `f ~ N(mean, sd²)`.
pub fn expected_improvement(mean: f64, sd: f64, best: f64) -> f64 {
    if !best.is_finite() {
        return mean;
    }
    let d = mean - best;
    if sd <= 1e-12 {
        return d.max(0.0);
    }
    let z = d / sd;
    let n = std_normal();
    d * n.cdf(z) + sd * n.pdf(z)
}

/// `L x = b` for lower-triangular `l` (n × n, row-major).
fn solve_lower(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut x = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            x[i] -= l[i * n + k] * x[k];
        }
        x[i] /= l[i * n + i];
    }
    x
}

/// `Lᵀ x = b` for lower-triangular `l`.
fn solve_upper(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut x = b.to_vec();
    for i in (0..n).rev() {
        for k in i + 1..n {
            x[i] -= l[k * n + i] * x[k];
        }
        x[i] /= l[i * n + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn scale() -> AccuracyScale {
        AccuracyScale { level_mean: 0.7, level_sd: 0.1, spread_mean: 0.1, spread_sd: 0.0 }
    }

    #[test]
    fn one_observation_by_hand() {
        // Two candidates, values 1 and −1, differing in their one group: residual
        // correlation exp(−3). Prior means 0.8 and 0.6.
        let c = Candidates { values: vec![1.0, -1.0], codes: vec![vec![0], vec![1]] };
        let cfg = AdaptConfig { transfer: 1.0, transfer_sd: 0.0, residual_sd: 0.5, noise_sd: 0.01, decay: 3.0, acquisition: Acquisition::ExpectedImprovement };
        let mut a = Adaptive::new(c, scale(), cfg).unwrap();
        assert_abs_diff_eq!(a.belief(0).mean, 0.8, epsilon = 1e-12);
        // Prior variance: 0.1² + (0.1 · 0.5)² = 0.0125.
        assert_abs_diff_eq!(a.belief(0).sd, 0.0125f64.sqrt(), epsilon = 1e-12);
        a.observe(0, 0.9).unwrap();
        // Gaussian conditioning: k = cov(1, 0) = 0.01 + 0.0025 e⁻³; gain = k / (0.0125 + 1e-4).
        let k = 0.01 + 0.0025 * (-3.0f64).exp();
        let gain = k / (0.0125 + 1e-4);
        assert_abs_diff_eq!(a.belief(1).mean, 0.6 + gain * 0.1, epsilon = 1e-12);
        assert_abs_diff_eq!(a.belief(1).sd, (0.0125 - k * gain).sqrt(), epsilon = 1e-12);
        assert_eq!(a.best(), Some((0, 0.9)));
        assert!(matches!(a.observe(2, 0.5), Err(AdaptError::UnknownCandidate { index: 2, .. })));
        assert!(matches!(a.observe(1, 1.5), Err(AdaptError::BadObservation(_))));
    }

    #[test]
    fn expected_improvement_by_hand() {
        // At the incumbent with sd 1: φ(0) = 0.39894.
        assert_abs_diff_eq!(expected_improvement(0.0, 1.0, 0.0), 0.398_942_28, epsilon = 1e-8);
        // No spread: the plain improvement.
        assert_abs_diff_eq!(expected_improvement(0.3, 0.0, 0.1), 0.2, epsilon = 1e-12);
        assert_abs_diff_eq!(expected_improvement(0.0, 0.0, 0.1), 0.0);
    }

    #[test]
    fn intervals_and_batches() {
        let c = Candidates { values: vec![1.0, 0.5, 0.0, -1.0], codes: vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]] };
        let a = Adaptive::new(c, scale(), AdaptConfig::default()).unwrap();
        // Prior mean 0.7 + 0.1 · 0.6 · 1 = 0.76, the interval symmetric around it.
        assert_abs_diff_eq!(a.belief(0).mean, 0.76, epsilon = 1e-12);
        let (lo, hi) = a.interval(0, 0.8).unwrap();
        assert!(lo < 0.76 && hi > 0.76 && (0.76 - lo - (hi - 0.76)).abs() < 1e-12);
        assert!(a.interval(0, 1.0).is_err());
        let batch = a.propose_batch(3);
        assert_eq!(batch.len(), 3);
        assert_eq!(batch[0], 0);
        let mut d = batch.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 3, "a batch never repeats a candidate");
        assert_eq!(a.propose_batch(10).len(), 4);
    }
}
