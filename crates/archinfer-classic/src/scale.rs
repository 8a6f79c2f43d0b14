//! Feature standardisation defined as scikit-learn's `StandardScaler()`.

use serde::{Deserialize, Serialize};

use crate::design::Dense;
use crate::error::{ClassicError, Result, same_len};

/// Per-column centring and scaling learnt from training rows, as scikit-learn's
/// `StandardScaler(with_mean=True, with_std=True)`: the mean and the population standard
/// deviation (`ddof = 0`) of each column, accumulated in `f64`; a constant column (variance
/// within rounding of zero, scikit-learn's `_is_constant_feature`) is scaled by 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StandardizerParts")]
pub struct Standardizer {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

/// The unvalidated form a [`Standardizer`] is read from.
#[derive(Deserialize)]
struct StandardizerParts {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl TryFrom<StandardizerParts> for Standardizer {
    type Error = ClassicError;

    fn try_from(p: StandardizerParts) -> Result<Standardizer> {
        same_len("scales against means", p.mean.len(), p.scale.len())?;
        if p.mean.iter().chain(&p.scale).any(|v| !v.is_finite()) || p.scale.contains(&0.0) {
            return Err(ClassicError::NonFinite);
        }
        Ok(Standardizer {
            mean: p.mean,
            scale: p.scale,
        })
    }
}

impl Standardizer {
    /// Learns the means and scales of the columns of `rows`.
    ///
    /// Errors: [`ClassicError::NoSamples`] on zero rows, [`ClassicError::NonFinite`] on a NaN
    /// or infinite value.
    pub fn fit(rows: &Dense) -> Result<Standardizer> {
        let (n, d) = (rows.rows(), rows.n_cols());
        if n == 0 {
            return Err(ClassicError::NoSamples);
        }
        if rows.data().iter().any(|v| !v.is_finite()) {
            return Err(ClassicError::NonFinite);
        }
        let nf = n as f64;
        let mut mean = vec![0.0f64; d];
        for i in 0..n {
            for (m, &x) in mean.iter_mut().zip(rows.row(i)) {
                *m += f64::from(x);
            }
        }
        mean.iter_mut().for_each(|m| *m /= nf);
        // scikit-learn's `_incremental_mean_and_var` from nothing: the sum of squared
        // deviations, less the square of their (rounding-error) sum over n.
        let (mut sq, mut dev) = (vec![0.0f64; d], vec![0.0f64; d]);
        for i in 0..n {
            for (j, &x) in rows.row(i).iter().enumerate() {
                let t = f64::from(x) - mean[j];
                dev[j] += t;
                sq[j] += t * t;
            }
        }
        let eps = f64::EPSILON;
        let scale = (0..d)
            .map(|j| {
                let var = (sq[j] - dev[j] * dev[j] / nf) / nf;
                let bound = nf * eps * var + (nf * mean[j] * eps).powi(2);
                if var <= bound { 1.0 } else { var.sqrt() }
            })
            .collect();
        Ok(Standardizer { mean, scale })
    }

    /// `(x - mean) / scale` for each row of `rows`, computed in `f64` and stored as `f32`.
    ///
    /// Errors: [`ClassicError::LengthMismatch`] when the column count differs from the fit's.
    pub fn transform(&self, rows: &Dense) -> Result<Dense> {
        same_len("columns to standardise", self.mean.len(), rows.n_cols())?;
        let d = rows.n_cols();
        let data = rows
            .data()
            .iter()
            .enumerate()
            .map(|(at, &x)| {
                let j = at % d;
                ((f64::from(x) - self.mean[j]) / self.scale[j]) as f32
            })
            .collect();
        Dense::new(data, d)
    }

    /// The mean of each column.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The scale of each column (its standard deviation, or 1 for a constant column).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn three_rows() {
        // Columns: (1, 2, 3) with mean 2 and std sqrt(2/3); (5, 5, 5) constant; (0, 0, 6) with
        // mean 2 and std sqrt(8).
        let rows = Dense::new(vec![1.0, 5.0, 0.0, 2.0, 5.0, 0.0, 3.0, 5.0, 6.0], 3).expect("valid");
        let s = Standardizer::fit(&rows).expect("fits");
        assert_relative_eq!(s.mean()[0], 2.0);
        assert_relative_eq!(s.mean()[1], 5.0);
        assert_relative_eq!(s.mean()[2], 2.0);
        assert_relative_eq!(s.scale()[0], (2.0f64 / 3.0).sqrt());
        assert_eq!(s.scale()[1], 1.0);
        assert_relative_eq!(s.scale()[2], 8f64.sqrt());
        let z = s.transform(&rows).expect("same columns");
        assert_relative_eq!(z.row(0)[0], -(1.5f32).sqrt(), epsilon = 1e-6);
        assert_eq!(z.row(0)[1], 0.0);
        assert_relative_eq!(z.row(2)[2], 4.0 / 8f32.sqrt(), epsilon = 1e-6);
        let other = Dense::new(vec![1.0, 2.0], 2).expect("valid");
        assert!(matches!(
            s.transform(&other),
            Err(ClassicError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn constant_column_within_rounding() {
        // 0.1 is not exact; the variance of a constant 0.1 column is rounding error only.
        let rows = Dense::new(vec![0.1; 7], 1).expect("valid");
        assert_eq!(Standardizer::fit(&rows).expect("fits").scale(), [1.0]);
        let empty = Dense::new(vec![], 2).expect("valid");
        assert_eq!(Standardizer::fit(&empty), Err(ClassicError::NoSamples));
    }
}
