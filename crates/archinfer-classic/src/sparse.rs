//! Compressed sparse row matrices: the TF-IDF design.

use crate::error::{ClassicError, Result, bad, same_len};

/// A sparse matrix in compressed sparse row form: `f32` values, `u32` column indices sorted and
/// unique within each row, `usize` row pointers.
///
/// Row `i` holds the entries `indptr[i]..indptr[i + 1]` of `indices` and `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    n_cols: usize,
}

impl Csr {
    /// A CSR matrix from its parts, validated: `indptr` starts at 0, never decreases and ends at
    /// `indices.len() == values.len()`; each row's columns are strictly increasing and below
    /// `n_cols`; every value is finite ([`ClassicError::NonFinite`] otherwise).
    pub fn new(
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f32>,
        n_cols: usize,
    ) -> Result<Csr> {
        same_len("CSR values against indices", indices.len(), values.len())?;
        let bad_matrix = |why: String| Err(ClassicError::BadMatrix { why });
        if indptr.first() != Some(&0) {
            return bad_matrix("the row pointers must start with 0".into());
        }
        if indptr.last() != Some(&indices.len()) {
            return bad_matrix(format!(
                "the last row pointer must be the number of entries, {}",
                indices.len()
            ));
        }
        if n_cols > u32::MAX as usize + 1 {
            return Err(bad("n_cols", n_cols, "column indices are u32"));
        }
        for (row, w) in indptr.windows(2).enumerate() {
            if w[1] < w[0] {
                return bad_matrix(format!("row pointers decrease at row {row}"));
            }
            let cols = &indices[w[0]..w[1]];
            if cols.windows(2).any(|p| p[1] <= p[0]) {
                return bad_matrix(format!("columns of row {row} are not strictly increasing"));
            }
            if let Some(&last) = cols.last()
                && last as usize >= n_cols
            {
                return bad_matrix(format!("column {last} of row {row} is not below {n_cols}"));
            }
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ClassicError::NonFinite);
        }
        Ok(Csr {
            indptr,
            indices,
            values,
            n_cols,
        })
    }

    /// Trusted constructor for matrices built inside the crate.
    pub(crate) fn from_parts_unchecked(
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f32>,
        n_cols: usize,
    ) -> Csr {
        debug_assert_eq!(indptr.last().copied(), Some(indices.len()));
        Csr {
            indptr,
            indices,
            values,
            n_cols,
        }
    }

    /// The sparse form of a dense row-major matrix of `n_cols` columns: zeros are left out.
    ///
    /// `rows.len()` must be a multiple of `n_cols`, and `n_cols` positive.
    pub fn from_dense(rows: &[f32], n_cols: usize) -> Result<Csr> {
        if n_cols == 0 {
            return Err(bad("n_cols", n_cols, "must be positive"));
        }
        if !rows.len().is_multiple_of(n_cols) {
            return Err(ClassicError::LengthMismatch {
                what: "dense values (a multiple of n_cols)",
                expected: rows.len().div_ceil(n_cols) * n_cols,
                found: rows.len(),
            });
        }
        let mut indptr = vec![0];
        let mut indices = Vec::new();
        let mut values = Vec::new();
        for row in rows.chunks_exact(n_cols) {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    indices.push(j as u32);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Csr::new(indptr, indices, values, n_cols)
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// The number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// The number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row `i`'s column indices (increasing) and values. Panics if `i >= self.rows()`.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// The row pointers (`rows() + 1` of them).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// The column index of every stored entry.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// The value of every stored entry.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The dense row-major form (`rows() * n_cols()` values).
    pub fn to_dense(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.rows() * self.n_cols];
        for i in 0..self.rows() {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                out[i * self.n_cols + j as usize] = v;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_round_trip() {
        let dense = [0.0, 1.5, 0.0, 2.0, 0.0, 0.0];
        let m = Csr::from_dense(&dense, 3).expect("valid");
        assert_eq!(m.rows(), 2);
        assert_eq!(m.nnz(), 2);
        assert_eq!(m.row(0), (&[1u32][..], &[1.5f32][..]));
        assert_eq!(m.row(1), (&[0u32][..], &[2.0f32][..]));
        assert_eq!(m.to_dense(), dense);
    }

    #[test]
    fn rejects_invalid_parts() {
        assert!(matches!(
            Csr::new(vec![0, 2], vec![1, 1], vec![1.0, 1.0], 3),
            Err(ClassicError::BadMatrix { .. })
        ));
        assert!(matches!(
            Csr::new(vec![0, 1], vec![3], vec![1.0], 3),
            Err(ClassicError::BadMatrix { .. })
        ));
        assert!(matches!(
            Csr::new(vec![0, 1], vec![0], vec![1.0, 2.0], 3),
            Err(ClassicError::LengthMismatch { .. })
        ));
        assert!(matches!(
            Csr::new(vec![1, 1], vec![0], vec![1.0], 3),
            Err(ClassicError::BadMatrix { .. })
        ));
        assert_eq!(
            Csr::new(vec![0, 1], vec![0], vec![f32::NAN], 3),
            Err(ClassicError::NonFinite)
        );
        assert!(matches!(
            Csr::from_dense(&[1.0; 5], 2),
            Err(ClassicError::LengthMismatch { .. })
        ));
        assert!(matches!(
            Csr::from_dense(&[], 0),
            Err(ClassicError::BadParameter { .. })
        ));
    }
}
