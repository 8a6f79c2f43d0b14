//! Spearman rank correlation and R², as the paper reports them.

use statrs::statistics::{OrderStatistics, RankTieBreaker};
use statrs::statistics::Data;

use crate::error::{DvnError, Result};

fn check(a: &[f64], b: &[f64]) -> Result<()> {
    if a.len() != b.len() || a.len() < 2 {
        return Err(DvnError::Series { a: a.len(), b: b.len() });
    }
    if a.iter().chain(b).any(|x| !x.is_finite()) {
        return Err(DvnError::Series { a: a.len(), b: b.len() });
    }
    Ok(())
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 { 0.0 } else { cov / (va * vb).sqrt() }
}

/// Spearman's rank correlation: Pearson correlation of the ranks, ties given their average rank.
/// A constant series correlates 0 with anything.
///
/// # Errors
/// Series of different lengths, shorter than 2, or with non-finite values.
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64> {
    check(a, b)?;
    let ra = Data::new(a.to_vec()).ranks(RankTieBreaker::Average);
    let rb = Data::new(b.to_vec()).ranks(RankTieBreaker::Average);
    Ok(pearson(&ra, &rb))
}

/// Coefficient of determination of `predicted` for `actual`: `1 − SS_res / SS_tot` (can be
/// negative; 0 when `actual` is constant and the prediction is not exact).
///
/// # Errors
/// As [`spearman`].
pub fn r_squared(actual: &[f64], predicted: &[f64]) -> Result<f64> {
    check(actual, predicted)?;
    let n = actual.len() as f64;
    let m = actual.iter().sum::<f64>() / n;
    let ss_res: f64 = actual.iter().zip(predicted).map(|(a, p)| (a - p).powi(2)).sum();
    let ss_tot: f64 = actual.iter().map(|a| (a - m).powi(2)).sum();
    Ok(if ss_tot == 0.0 { if ss_res == 0.0 { 1.0 } else { 0.0 } } else { 1.0 - ss_res / ss_tot })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn spearman_by_hand() {
        assert_relative_eq!(spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]).unwrap(), 1.0);
        assert_relative_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap(), -1.0);
        // Monotone but not linear: still 1.
        assert_relative_eq!(spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 4.0, 9.0, 100.0]).unwrap(), 1.0);
        // Ties: a = [1, 2, 2, 3] has ranks [1, 2.5, 2.5, 4]; b = [1, 3, 2, 4] ranks [1, 3, 2, 4].
        // Pearson of the ranks: cov = 4.5 (deviations −1.5, 0, 0, 1.5 and −1.5, 0.5, −0.5, 1.5),
        // var_a = 4.5, var_b = 5 → 4.5 / sqrt(4.5 · 5) = 0.948683.
        assert_relative_eq!(spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]).unwrap(), 0.948_683_3, epsilon = 1e-6);
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).unwrap(), 0.0);
        assert!(spearman(&[1.0], &[1.0]).is_err());
        assert!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]).is_err());
    }

    #[test]
    fn r_squared_by_hand() {
        assert_relative_eq!(r_squared(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).unwrap(), 1.0);
        // mean 2, SS_tot = 2; residuals 0.5, 0, −0.5 → SS_res = 0.5 → R² = 0.75.
        assert_relative_eq!(r_squared(&[1.0, 2.0, 3.0], &[0.5, 2.0, 3.5]).unwrap(), 0.75);
        // Predicting the mean gives 0; worse than the mean is negative.
        assert_relative_eq!(r_squared(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]).unwrap(), 0.0);
        assert!(r_squared(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() < 0.0);
        assert!(r_squared(&[1.0, 2.0], &[1.0]).is_err());
    }
}
