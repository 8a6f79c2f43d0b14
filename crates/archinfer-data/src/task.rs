//! The [`Task`] type: features per embedding module, labels, classes and splits, validated once.

use std::collections::HashSet;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use archinfer_classic::Csr;

use crate::error::{DataError, Result};

/// One embedding module's features for every sample of a task: row-major `[samples, dim]`,
/// or, for a sparse module (the `tfidf-*` text modules), sparse rows.
///
/// A sparse set's `dim` is the module's declared width, the same on every task (what the
/// architecture space records); its rows have [`Csr::n_cols`] `<= dim` columns, the task's own
/// vocabulary. A child reads only those columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSet {
    /// Name of the embedding module that produced the features (matches the architecture
    /// space's embedding names).
    pub name: String,
    /// Features per sample (for a sparse set: the module's declared width).
    pub dim: usize,
    /// `samples × dim` values, row-major (empty for a sparse set).
    pub values: Vec<f32>,
    /// The rows of a sparse set (not serialised: a sparse module is recomputed from the
    /// task's samples).
    #[serde(skip)]
    pub sparse: Option<Csr>,
}

impl FeatureSet {
    /// A dense feature set; its shape is checked when it is put into a [`Task`].
    pub fn new(name: impl Into<String>, dim: usize, values: Vec<f32>) -> Self {
        Self { name: name.into(), dim, values, sparse: None }
    }

    /// A sparse feature set of declared width `dim`; [`Task::new`] checks that the rows have
    /// at most `dim` columns.
    pub fn new_sparse(name: impl Into<String>, dim: usize, rows: Csr) -> Self {
        Self { name: name.into(), dim, values: Vec::new(), sparse: Some(rows) }
    }

    /// Whether the rows are sparse.
    pub fn is_sparse(&self) -> bool {
        self.sparse.is_some()
    }

    /// Columns a child's first layer reads: `dim` for a dense set, the task's own columns
    /// ([`Csr::n_cols`]) for a sparse one.
    pub fn input_width(&self) -> usize {
        self.sparse.as_ref().map_or(self.dim, Csr::n_cols)
    }

    /// Number of samples (rows).
    pub fn samples(&self) -> usize {
        match &self.sparse {
            Some(c) => c.rows(),
            None => self.values.len().checked_div(self.dim).unwrap_or(0),
        }
    }

    /// Row `i` of a dense set.
    ///
    /// # Panics
    /// If `i` is not a valid row, or the set is sparse (use [`gather`](Self::gather) or
    /// [`gather_sparse`](Self::gather_sparse)).
    pub fn row(&self, i: usize) -> &[f32] {
        assert!(self.sparse.is_none(), "FeatureSet::row on the sparse set `{}`", self.name);
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// The rows `indices`, stacked row-major, [`input_width`](Self::input_width) values each
    /// (a sparse set's rows are written out dense).
    ///
    /// # Panics
    /// If an index is not a valid row (a [`Task`] guarantees its split indices are).
    pub fn gather(&self, indices: &[usize]) -> Vec<f32> {
        if let Some(c) = &self.sparse {
            return dense_rows(c, indices.iter().copied());
        }
        let mut out = Vec::with_capacity(indices.len() * self.dim);
        for &i in indices {
            out.extend_from_slice(self.row(i));
        }
        out
    }

    /// The rows `indices` of a sparse set, as a sparse matrix of the same columns; `None` for
    /// a dense set.
    ///
    /// # Panics
    /// If an index is not a valid row.
    pub fn gather_sparse(&self, indices: &[usize]) -> Option<Csr> {
        self.sparse.as_ref().map(|c| gather_rows(c, indices))
    }
}

/// Rows `rows` of `c` written out dense, `n_cols` values each, row-major.
///
/// # Panics
/// If a row is out of range.
pub fn dense_rows(c: &Csr, rows: impl ExactSizeIterator<Item = usize>) -> Vec<f32> {
    let w = c.n_cols();
    let mut out = vec![0.0; rows.len() * w];
    for (o, i) in out.chunks_exact_mut(w.max(1)).zip(rows) {
        let (cols, vals) = c.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            o[j as usize] = v;
        }
    }
    out
}

/// Rows `indices` of `c`, in that order.
///
/// # Panics
/// If an index is not a valid row.
pub fn gather_rows(c: &Csr, indices: &[usize]) -> Csr {
    let mut indptr = Vec::with_capacity(indices.len() + 1);
    indptr.push(0);
    let nnz: usize = indices.iter().map(|&i| c.indptr()[i + 1] - c.indptr()[i]).sum();
    let (mut cols, mut vals) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
    for &i in indices {
        let (j, v) = c.row(i);
        cols.extend_from_slice(j);
        vals.extend_from_slice(v);
        indptr.push(cols.len());
    }
    // The rows of a valid matrix stay valid in any order.
    Csr::new(indptr, cols, vals, c.n_cols()).unwrap_or_else(|e| unreachable!("rows of a valid matrix: {e}"))
}

/// Sample indices of the train, validation and test splits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Splits {
    /// Training samples.
    pub train: Vec<usize>,
    /// Validation samples (model selection; the value network's target).
    pub validation: Vec<usize>,
    /// Test samples (reported only).
    pub test: Vec<usize>,
}

impl Splits {
    /// Shuffles `0..samples` with `seed` and cuts it into train / validation / test by the
    /// given fractions, each rounded. Fractions that sum to 1 keep every sample: the test
    /// split takes what rounding left (1,797 samples at 0.6 / 0.2 / 0.2 are 1,078 + 359 +
    /// 360); below 1, the rest of the samples is left out.
    ///
    /// # Errors
    /// [`DataError::BadFractions`] for non-positive fractions or a sum above 1, and
    /// [`DataError::EmptySplit`] if a split would get no sample.
    pub fn random(samples: usize, fractions: [f64; 3], seed: u64) -> Result<Self> {
        let sum: f64 = fractions.iter().sum();
        if fractions.iter().any(|f| f.is_nan() || *f <= 0.0) || sum > 1.0 + 1e-9 {
            return Err(DataError::BadFractions(fractions));
        }
        let mut idx: Vec<usize> = (0..samples).collect();
        idx.shuffle(&mut StdRng::seed_from_u64(seed));
        let n_train = ((samples as f64 * fractions[0]).round() as usize).min(samples);
        let n_val = ((samples as f64 * fractions[1]).round() as usize).min(samples - n_train);
        let rest = samples - n_train - n_val;
        let n_test = if (sum - 1.0).abs() <= 1e-9 { rest } else { ((samples as f64 * fractions[2]).round() as usize).min(rest) };
        let splits = Self {
            train: idx[..n_train].to_vec(),
            validation: idx[n_train..n_train + n_val].to_vec(),
            test: idx[n_train + n_val..n_train + n_val + n_test].to_vec(),
        };
        splits.check(samples)?;
        Ok(splits)
    }

    /// The splits by name, in order.
    pub fn named(&self) -> [(&'static str, &[usize]); 3] {
        [("train", &self.train), ("validation", &self.validation), ("test", &self.test)]
    }

    fn check(&self, samples: usize) -> Result<()> {
        let mut seen = HashSet::with_capacity(samples);
        for (split, idx) in self.named() {
            if idx.is_empty() {
                return Err(DataError::EmptySplit(split));
            }
            for &index in idx {
                if index >= samples {
                    return Err(DataError::IndexOutOfRange { split, index, samples });
                }
                if !seen.insert(index) {
                    return Err(DataError::Overlap(index));
                }
            }
        }
        Ok(())
    }
}

/// A classification task: several feature sets (one per embedding module) of the same samples,
/// their labels, the number of classes, and disjoint non-empty splits.
///
/// Every invariant is checked by [`Task::new`], so code that receives a `Task` can index it
/// without further checks.
///
/// ```
/// use archinfer_data::{FeatureSet, Splits, Task, DataError};
/// let features = FeatureSet::new("raw", 2, vec![0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 1.0, 1.0]);
/// let splits = Splits { train: vec![0, 1], validation: vec![2], test: vec![3] };
/// let task = Task::new("xor-ish", vec![features.clone()], vec![0, 1, 0, 1], 2, splits.clone()).unwrap();
/// assert_eq!(task.samples(), 4);
/// let err = Task::new("bad", vec![features], vec![0, 1, 0, 2], 2, splits).unwrap_err();
/// assert!(matches!(err, DataError::LabelOutOfRange { index: 3, label: 2, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    name: String,
    features: Vec<FeatureSet>,
    labels: Vec<u32>,
    num_classes: usize,
    splits: Splits,
    descriptors: Vec<f32>,
}

impl Task {
    /// A validated task.
    ///
    /// # Errors
    /// No feature sets, a zero-dimensional or duplicate feature set, a feature matrix whose size
    /// is not `labels.len() × dim`, a NaN or infinite feature, fewer than two classes, a label
    /// out of range, an empty split, a split index out of range, or a sample in two splits.
    pub fn new(
        name: impl Into<String>,
        features: Vec<FeatureSet>,
        labels: Vec<u32>,
        num_classes: usize,
        splits: Splits,
    ) -> Result<Self> {
        let name = name.into();
        if features.is_empty() {
            return Err(DataError::NoFeatures(name));
        }
        let n = labels.len();
        let mut names = HashSet::new();
        for f in &features {
            if f.dim == 0 {
                return Err(DataError::ZeroDim(f.name.clone()));
            }
            if !names.insert(f.name.as_str()) {
                return Err(DataError::DuplicateFeatureSet(f.name.clone()));
            }
            if let Some(c) = &f.sparse {
                if c.rows() != n || c.n_cols() > f.dim {
                    return Err(DataError::SparseShape { name: f.name.clone(), rows: c.rows(), cols: c.n_cols(), samples: n, dim: f.dim });
                }
                continue;
            }
            if f.values.len() != n * f.dim {
                return Err(DataError::LengthMismatch {
                    name: f.name.clone(),
                    expected: n * f.dim,
                    got: f.values.len(),
                    samples: n,
                    dim: f.dim,
                });
            }
            if let Some(pos) = f.values.iter().position(|v| !v.is_finite()) {
                return Err(DataError::NonFinite {
                    name: f.name.clone(),
                    row: pos / f.dim,
                    col: pos % f.dim,
                });
            }
        }
        if num_classes < 2 {
            return Err(DataError::TooFewClasses(num_classes));
        }
        if let Some((index, &label)) =
            labels.iter().enumerate().find(|(_, l)| **l as usize >= num_classes)
        {
            return Err(DataError::LabelOutOfRange { index, label, num_classes });
        }
        splits.check(n)?;
        Ok(Self { name, features, labels, num_classes, splits, descriptors: Vec::new() })
    }

    /// With numbers that describe the task beyond its feature sets (a table's
    /// [`TABLE_DESCRIPTORS`](crate::table::TABLE_DESCRIPTORS): what a value network reads next
    /// to its learned task embedding).
    pub fn with_descriptors(mut self, descriptors: Vec<f32>) -> Self {
        self.descriptors = descriptors;
        self
    }

    /// The task's descriptors (empty for images and texts).
    pub fn descriptors(&self) -> &[f32] {
        &self.descriptors
    }

    /// Task name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of samples.
    pub fn samples(&self) -> usize {
        self.labels.len()
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// Labels of all samples.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// The feature sets, one per embedding module.
    pub fn features(&self) -> &[FeatureSet] {
        &self.features
    }

    /// The feature set called `name`, if any.
    pub fn feature_set(&self, name: &str) -> Option<&FeatureSet> {
        self.features.iter().find(|f| f.name == name)
    }

    /// The splits.
    pub fn splits(&self) -> &Splits {
        &self.splits
    }

    /// Labels of the samples `indices`.
    ///
    /// # Panics
    /// If an index is out of range (split indices never are).
    pub fn gather_labels(&self, indices: &[usize]) -> Vec<u32> {
        indices.iter().map(|&i| self.labels[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs(n: usize) -> FeatureSet {
        FeatureSet::new("raw", 2, (0..2 * n).map(|i| i as f32).collect())
    }

    fn splits() -> Splits {
        Splits { train: vec![0, 1], validation: vec![2], test: vec![3] }
    }

    #[test]
    fn valid_task() {
        let t = Task::new("t", vec![fs(4)], vec![0, 1, 1, 0], 2, splits()).unwrap();
        assert_eq!(t.features()[0].row(2), &[4.0, 5.0]);
        assert_eq!(t.features()[0].gather(&[3, 0]), vec![6.0, 7.0, 0.0, 1.0]);
        assert_eq!(t.gather_labels(&t.splits().train), vec![0, 1]);
    }

    #[test]
    fn label_out_of_range() {
        let e = Task::new("t", vec![fs(4)], vec![0, 1, 3, 0], 3, splits()).unwrap_err();
        assert_eq!(e, DataError::LabelOutOfRange { index: 2, label: 3, num_classes: 3 });
    }

    #[test]
    fn empty_split() {
        let s = Splits { train: vec![0, 1], validation: vec![], test: vec![3] };
        let e = Task::new("t", vec![fs(4)], vec![0, 1, 1, 0], 2, s).unwrap_err();
        assert_eq!(e, DataError::EmptySplit("validation"));
    }

    #[test]
    fn nan_feature() {
        let mut f = fs(4);
        f.values[5] = f32::NAN;
        let e = Task::new("t", vec![f], vec![0, 1, 1, 0], 2, splits()).unwrap_err();
        assert_eq!(e, DataError::NonFinite { name: "raw".into(), row: 2, col: 1 });
        let mut f = fs(4);
        f.values[0] = f32::INFINITY;
        assert!(Task::new("t", vec![f], vec![0, 1, 1, 0], 2, splits()).is_err());
    }

    #[test]
    fn mismatched_lengths() {
        let e = Task::new("t", vec![fs(3)], vec![0, 1, 1, 0], 2, splits()).unwrap_err();
        assert!(matches!(e, DataError::LengthMismatch { expected: 8, got: 6, .. }));
    }

    #[test]
    fn overlap_and_range() {
        let s = Splits { train: vec![0, 1], validation: vec![1], test: vec![3] };
        assert_eq!(
            Task::new("t", vec![fs(4)], vec![0, 1, 1, 0], 2, s).unwrap_err(),
            DataError::Overlap(1)
        );
        let s = Splits { train: vec![0, 9], validation: vec![2], test: vec![3] };
        assert!(matches!(
            Task::new("t", vec![fs(4)], vec![0, 1, 1, 0], 2, s),
            Err(DataError::IndexOutOfRange { index: 9, .. })
        ));
    }

    #[test]
    fn too_few_classes_and_no_features() {
        assert_eq!(
            Task::new("t", vec![fs(4)], vec![0; 4], 1, splits()).unwrap_err(),
            DataError::TooFewClasses(1)
        );
        assert!(matches!(
            Task::new("t", vec![], vec![0, 1, 1, 0], 2, splits()),
            Err(DataError::NoFeatures(_))
        ));
        assert!(matches!(
            Task::new("t", vec![fs(4), fs(4)], vec![0, 1, 1, 0], 2, splits()),
            Err(DataError::DuplicateFeatureSet(_))
        ));
    }

    #[test]
    fn random_splits_are_disjoint_and_seeded() {
        let a = Splits::random(100, [0.6, 0.2, 0.2], 7).unwrap();
        let b = Splits::random(100, [0.6, 0.2, 0.2], 7).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.train.len(), a.validation.len(), a.test.len()), (60, 20, 20));
        let all: HashSet<_> = a.train.iter().chain(&a.validation).chain(&a.test).collect();
        assert_eq!(all.len(), 100);
        assert!(Splits::random(100, [0.9, 0.2, 0.1], 0).is_err());
        assert!(matches!(Splits::random(3, [0.5, 0.1, 0.1], 0), Err(DataError::EmptySplit(_))));
    }

    #[test]
    fn a_split_of_fractions_summing_to_one_keeps_every_sample() {
        // 1,797 × 0.6 = 1,078.2 and × 0.2 = 359.4: rounding each part would lose one.
        let s = Splits::random(1797, [0.6, 0.2, 0.2], 0).unwrap();
        assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (1078, 359, 360));
        for n in [5, 7, 10, 101, 1797, 2001] {
            let s = Splits::random(n, [0.6, 0.2, 0.2], 1).unwrap();
            let all: HashSet<_> = s.train.iter().chain(&s.validation).chain(&s.test).collect();
            assert_eq!(all.len(), n, "{n} samples");
        }
        // Nothing left for the test split: an error naming it, not a panic.
        assert!(matches!(Splits::random(3, [0.5, 0.499, 0.001], 0), Err(DataError::EmptySplit("test"))));
        // Below 1 the rest stays out, as documented.
        assert_eq!(Splits::random(100, [0.5, 0.2, 0.1], 0).unwrap().test.len(), 10);
    }
}
