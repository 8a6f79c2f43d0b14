//! Random Fourier features of the RBF kernel, defined as scikit-learn's
//! `RBFSampler(gamma, n_components, random_state)`, and SVC's `gamma='scale'`.
//!
//! The features are `z(x) = sqrt(2 / D) · cos(x · W + b)` with `W` of shape
//! `n_features × D`, entries `sqrt(2 γ) · N(0, 1)`, and offsets `b ~ U(0, 2π)`; then
//! `z(x) · z(y)` approximates `exp(-γ ‖x - y‖²)`. The draws come from [`rand::rngs::StdRng`]
//! seeded with a `u64`, `W` row-major first and the offsets after it: the features are
//! deterministic for a seed but are not NumPy's draws, so they match scikit-learn's in
//! distribution only. As in scikit-learn with `float32` input, `W` and the products are `f32`.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::design::{Dense, for_each_parallel, row_blocks, thread_count};
use crate::error::{ClassicError, Result, bad, same_len};

/// SVC's `gamma='scale'`: `1 / (n_features · var(X))`, the variance taken over every entry of
/// the training matrix (population variance, in `f64`); 1 when that variance is 0.
///
/// Errors: [`ClassicError::NoSamples`] on zero rows, [`ClassicError::NonFinite`] on a NaN or
/// infinite value.
pub fn gamma_scale(rows: &Dense) -> Result<f64> {
    let data = rows.data();
    if data.is_empty() {
        return Err(ClassicError::NoSamples);
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err(ClassicError::NonFinite);
    }
    let n = data.len() as f64;
    let mean = data.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = data
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    Ok(if var != 0.0 {
        1.0 / (rows.n_cols() as f64 * var)
    } else {
        1.0
    })
}

/// A fitted random Fourier feature map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RbfParts")]
pub struct RbfSampler {
    gamma: f64,
    n_features: usize,
    n_components: usize,
    /// `n_features × n_components`, row-major, already times `sqrt(2 γ)`.
    weights: Vec<f32>,
    offsets: Vec<f32>,
}

/// The unvalidated form an [`RbfSampler`] is read from.
#[derive(Deserialize)]
struct RbfParts {
    gamma: f64,
    n_features: usize,
    n_components: usize,
    weights: Vec<f32>,
    offsets: Vec<f32>,
}

impl TryFrom<RbfParts> for RbfSampler {
    type Error = ClassicError;

    fn try_from(p: RbfParts) -> Result<RbfSampler> {
        check(p.gamma, p.n_features, p.n_components)?;
        same_len(
            "RBF weights",
            p.n_features * p.n_components,
            p.weights.len(),
        )?;
        same_len("RBF offsets", p.n_components, p.offsets.len())?;
        if p.weights.iter().chain(&p.offsets).any(|v| !v.is_finite()) {
            return Err(ClassicError::NonFinite);
        }
        Ok(RbfSampler {
            gamma: p.gamma,
            n_features: p.n_features,
            n_components: p.n_components,
            weights: p.weights,
            offsets: p.offsets,
        })
    }
}

fn check(gamma: f64, n_features: usize, n_components: usize) -> Result<()> {
    if !(gamma.is_finite() && gamma > 0.0) {
        return Err(bad("gamma", gamma, "must be positive and finite"));
    }
    if n_features == 0 {
        return Err(bad("n_features", n_features, "must be positive"));
    }
    if n_components == 0 {
        return Err(bad("n_components", n_components, "must be positive"));
    }
    Ok(())
}

impl RbfSampler {
    /// Draws the map for inputs of `n_features` values: `n_components` features of the kernel
    /// `exp(-gamma ‖x - y‖²)`, from the seed `seed`.
    pub fn fit(
        n_features: usize,
        gamma: f64,
        n_components: usize,
        seed: u64,
    ) -> Result<RbfSampler> {
        check(gamma, n_features, n_components)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let s = (2.0 * gamma).sqrt();
        let weights = (0..n_features * n_components)
            .map(|_| (s * rng.sample::<f64, _>(StandardNormal)) as f32)
            .collect();
        let offsets = (0..n_components)
            .map(|_| rng.random_range(0.0..2.0 * std::f64::consts::PI) as f32)
            .collect();
        Ok(RbfSampler {
            gamma,
            n_features,
            n_components,
            weights,
            offsets,
        })
    }

    /// The features of each row of `rows`: a dense matrix of `n_components` columns.
    ///
    /// Errors: [`ClassicError::LengthMismatch`] when the column count is not `n_features`.
    pub fn transform(&self, rows: &Dense) -> Result<Dense> {
        same_len("RBF input columns", self.n_features, rows.n_cols())?;
        let (n, dim) = (rows.rows(), self.n_components);
        let mut out = vec![0.0f32; n * dim];
        let threads = thread_count(0);
        let norm = (2.0 / dim as f64).sqrt();
        let items = row_blocks(&mut out, n, dim, threads.saturating_mul(4));
        for_each_parallel(
            items,
            threads,
            |(range, block): (std::ops::Range<usize>, &mut [f32])| {
                for (i, z) in range.zip(block.chunks_exact_mut(dim)) {
                    for (&x, w) in rows.row(i).iter().zip(self.weights.chunks_exact(dim)) {
                        if x != 0.0 {
                            for (zc, &wc) in z.iter_mut().zip(w) {
                                *zc += x * wc;
                            }
                        }
                    }
                    for (zc, &b) in z.iter_mut().zip(&self.offsets) {
                        *zc = (norm * (f64::from(*zc) + f64::from(b)).cos()) as f32;
                    }
                }
            },
        );
        Dense::new(out, dim)
    }

    /// The kernel width γ.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The number of input columns.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The number of output features `D`.
    pub fn n_components(&self) -> usize {
        self.n_components
    }

    /// The random projection, `n_features × D`, row-major (what a peer needs to compute the
    /// same features).
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The random phases, `D` of them, in `[0, 2π)`.
    pub fn offsets(&self) -> &[f32] {
        &self.offsets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn gamma_scale_two_by_two() {
        // Entries 1, 2, 3, 4: mean 2.5, variance 1.25; gamma = 1 / (2 · 1.25) = 0.4.
        let rows = Dense::new(vec![1.0, 2.0, 3.0, 4.0], 2).expect("valid");
        assert_relative_eq!(gamma_scale(&rows).expect("rows"), 0.4);
        let flat = Dense::new(vec![3.0; 4], 2).expect("valid");
        assert_eq!(gamma_scale(&flat), Ok(1.0));
    }

    #[test]
    fn approximates_the_kernel_and_is_seeded() {
        let rows = Dense::new(vec![0.0, 0.0, 0.3, -0.2, 1.0, 1.0], 2).expect("valid");
        let gamma = 0.7;
        let map = RbfSampler::fit(2, gamma, 4000, 5).expect("valid");
        let z = map.transform(&rows).expect("two columns");
        let dot =
            |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum::<f64>();
        for (i, j) in [(0, 1), (0, 2), (1, 2), (1, 1)] {
            let d2: f64 = rows
                .row(i)
                .iter()
                .zip(rows.row(j))
                .map(|(a, b)| f64::from(a - b).powi(2))
                .sum();
            assert!(
                (dot(z.row(i), z.row(j)) - (-gamma * d2).exp()).abs() < 0.06,
                "pair {i} {j}"
            );
        }
        let again = RbfSampler::fit(2, gamma, 4000, 5)
            .expect("valid")
            .transform(&rows)
            .expect("ok");
        assert_eq!(z, again);
        let other = RbfSampler::fit(2, gamma, 4000, 6)
            .expect("valid")
            .transform(&rows)
            .expect("ok");
        assert_ne!(z, other);
        assert!(RbfSampler::fit(2, 0.0, 10, 0).is_err());
        assert!(RbfSampler::fit(2, 1.0, 0, 0).is_err());
    }
}
