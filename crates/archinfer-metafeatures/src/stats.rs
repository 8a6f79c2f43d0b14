//! Statistical meta-features of a task (paper section 3.1) and their standardisation.

use archinfer_data::Task;
use serde::{Deserialize, Serialize};

use crate::error::{MetaError, Result};

/// Names of the statistical meta-features, in order.
pub const STAT_NAMES: [&str; 10] = [
    "log10 training samples",
    "classes",
    "class entropy / log(classes)",
    "smallest class share",
    "largest class share",
    "mean feature minimum",
    "mean feature maximum",
    "mean feature median",
    "mean mutual information (features; label), nats",
    "max mutual information (features; label), nats",
];

/// Number of statistical meta-features.
pub const STAT_DIM: usize = STAT_NAMES.len();

/// Quantile bins per feature for the mutual-information estimate.
const MI_BINS: usize = 8;

fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The [`STAT_NAMES`] features of `task`'s training split seen through feature set `module`.
/// Mutual information is estimated per feature from `MI_BINS` (8) quantile bins.
///
/// # Errors
/// [`MetaError::MissingModule`].
pub fn statistical_features(task: &Task, module: &str) -> Result<Vec<f32>> {
    statistical_features_impl(task, module)
}

/// The statistical meta-features ([`statistical_features`]) of one feature set as a
/// [`TaskEncoder`](crate::deepsets::TaskEncoder): the task embedding of a model without learned parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatisticalEncoder {
    /// The feature set the statistics are computed on.
    pub module: String,
}

impl crate::deepsets::TaskEncoder for StatisticalEncoder {
    type Error = crate::error::MetaError;
    fn z_dim(&self) -> usize {
        STAT_DIM
    }
    fn encode_task(&self, task: &Task) -> Result<Vec<f32>> {
        statistical_features(task, &self.module)
    }
}

fn statistical_features_impl(task: &Task, module: &str) -> Result<Vec<f32>> {
    let f = task.feature_set(module).ok_or_else(|| MetaError::MissingModule {
        task: task.name().to_string(),
        module: module.to_string(),
    })?;
    if f.input_width() > archinfer_data::TABLE_MAX_WIDTH {
        return Err(MetaError::SparseModule { task: task.name().to_string(), module: module.to_string() });
    }
    let train = &task.splits().train;
    // A narrow sparse set (a table module) is read as dense rows of its own width.
    let dense;
    let (values, width, rows): (&[f32], usize, Vec<usize>) = if f.is_sparse() {
        dense = f.gather(train);
        (&dense, f.input_width(), (0..train.len()).collect())
    } else {
        (&f.values, f.dim, train.clone())
    };
    let n = train.len();
    let k = task.num_classes();
    let labels = task.gather_labels(train);
    let mut counts = vec![0usize; k];
    for &y in &labels {
        counts[y as usize] += 1;
    }
    let shares: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
    let entropy: f64 = shares.iter().filter(|&&p| p > 0.0).map(|&p| -p * p.ln()).sum();
    let mut mins = 0.0f64;
    let mut maxs = 0.0f64;
    let mut medians = 0.0f64;
    let mut mi_sum = 0.0f64;
    let mut mi_max = 0.0f64;
    let mut col = vec![0.0f32; n];
    for d in 0..width {
        for (c, &i) in col.iter_mut().zip(&rows) {
            *c = values[i * width + d];
        }
        let mut sorted = col.clone();
        let med = median(&mut sorted);
        mins += f64::from(sorted[0]);
        maxs += f64::from(sorted[n - 1]);
        medians += f64::from(med);
        // Quantile bin edges; equal values share a bin.
        let edges: Vec<f32> = (1..MI_BINS).map(|b| sorted[(b * n / MI_BINS).min(n - 1)]).collect();
        let mut joint = vec![0usize; MI_BINS * k];
        let mut marg = [0usize; MI_BINS];
        for (&x, &y) in col.iter().zip(&labels) {
            let b = edges.partition_point(|&e| e <= x).min(MI_BINS - 1);
            joint[b * k + y as usize] += 1;
            marg[b] += 1;
        }
        let mut mi = 0.0f64;
        for b in 0..MI_BINS {
            for c in 0..k {
                let j = joint[b * k + c];
                if j > 0 {
                    let pj = j as f64 / n as f64;
                    mi += pj * (pj / (marg[b] as f64 / n as f64 * shares[c])).ln();
                }
            }
        }
        mi_sum += mi;
        mi_max = mi_max.max(mi);
    }
    let dims = width.max(1) as f64;
    let smallest = shares.iter().copied().fold(f64::INFINITY, f64::min);
    let largest = shares.iter().copied().fold(0.0, f64::max);
    Ok(vec![
        (n as f64).log10() as f32,
        k as f32,
        (entropy / (k as f64).ln()) as f32,
        smallest as f32,
        largest as f32,
        (mins / dims) as f32,
        (maxs / dims) as f32,
        (medians / dims) as f32,
        (mi_sum / dims) as f32,
        mi_max as f32,
    ])
}

/// Per-feature standardisation `(x − mean) / std`, fitted on training tasks only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Means.
    pub mean: Vec<f32>,
    /// Standard deviations (1 where a feature is constant across tasks).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Fits on rows of equal length.
    ///
    /// # Errors
    /// [`MetaError::Rows`] for no rows or rows of different lengths.
    pub fn fit(rows: &[Vec<f32>]) -> Result<Self> {
        let d = rows.first().map(Vec::len).ok_or(MetaError::Rows)?;
        if rows.iter().any(|r| r.len() != d) {
            return Err(MetaError::Rows);
        }
        let n = rows.len() as f32;
        let mean: Vec<f32> = (0..d).map(|j| rows.iter().map(|r| r[j]).sum::<f32>() / n).collect();
        let std = (0..d)
            .map(|j| {
                let v = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f32>() / n;
                if v > 1e-12 { v.sqrt() } else { 1.0 }
            })
            .collect();
        Ok(Self { mean, std })
    }

    /// Standardises one row.
    ///
    /// # Errors
    /// [`MetaError::Dim`] for a row of the wrong length.
    pub fn apply(&self, row: &[f32]) -> Result<Vec<f32>> {
        if row.len() != self.mean.len() {
            return Err(MetaError::Dim { expected: self.mean.len(), got: row.len() });
        }
        Ok(row.iter().zip(&self.mean).zip(&self.std).map(|((x, m), s)| (x - m) / s).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use archinfer_data::{FeatureSet, Splits, Task};

    #[test]
    fn hand_computed_features() {
        // 4 training samples, 2 classes (3:1), one feature that equals the label.
        let f = FeatureSet::new("raw", 1, vec![0.0, 0.0, 0.0, 1.0, 5.0, 6.0]);
        let splits = Splits { train: vec![0, 1, 2, 3], validation: vec![4], test: vec![5] };
        let t = Task::new("t", vec![f], vec![0, 0, 0, 1, 0, 1], 2, splits).unwrap();
        let s = statistical_features(&t, "raw").unwrap();
        assert_relative_eq!(s[0], 4f32.log10());
        assert_eq!(s[1], 2.0);
        let h = -(0.75f64 * 0.75f64.ln() + 0.25 * 0.25f64.ln()) / 2f64.ln();
        assert_relative_eq!(s[2], h as f32, epsilon = 1e-6);
        assert_eq!((s[3], s[4]), (0.25, 0.75));
        assert_eq!((s[5], s[6], s[7]), (0.0, 1.0, 0.0));
        // The feature determines the label: MI = H(label) in nats.
        let hy = -(0.75f64 * 0.75f64.ln() + 0.25 * 0.25f64.ln());
        assert_relative_eq!(s[8], hy as f32, epsilon = 1e-6);
        assert_relative_eq!(s[9], hy as f32, epsilon = 1e-6);
        assert!(statistical_features(&t, "nope").is_err());
    }

    #[test]
    fn standardizer() {
        let s = Standardizer::fit(&[vec![1.0, 5.0], vec![3.0, 5.0]]).unwrap();
        assert_eq!(s.apply(&[2.0, 5.0]).unwrap(), vec![0.0, 0.0]);
        assert_eq!(s.apply(&[3.0, 6.0]).unwrap(), vec![1.0, 1.0]);
        assert!(s.apply(&[1.0]).is_err());
        assert_eq!(Standardizer::fit(&[]), Err(MetaError::Rows));
    }
}
