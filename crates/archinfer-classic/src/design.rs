//! Design matrices the logistic regression reads, dense or sparse, and the fixed-order
//! parallel loops over them.

use std::ops::Range;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{ClassicError, Result, bad};
use crate::sparse::Csr;

/// A design matrix as the logistic regression reads it: row by row.
///
/// Weights are laid out feature-major: the `k` weights of column `j` are
/// `w[j * k..(j + 1) * k]`, so that a sparse row touches `k` adjacent weights per entry.
pub trait Design: Sync {
    /// The number of rows (samples).
    fn n_rows(&self) -> usize;
    /// The number of columns (features).
    fn n_cols(&self) -> usize;
    /// `out[c] = Σ_j x_ij · w[j * k + c]` for `c < k = out.len()`; `w` holds at least
    /// `n_cols() * k` weights.
    fn row_dots(&self, i: usize, w: &[f64], out: &mut [f64]);
    /// `grad[(j - cols.start) * k + c] += x_ij · scale[c]` for the columns `j` of row `i` in
    /// `cols`, with `k = scale.len()`; `grad` holds `cols.len() * k` values.
    fn add_row(&self, i: usize, cols: Range<usize>, scale: &[f64], grad: &mut [f64]);
    /// Whether every value is finite.
    fn all_finite(&self) -> bool;
}

/// A dense row-major matrix of `f32` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    data: Vec<f32>,
    n_cols: usize,
}

impl Dense {
    /// A dense matrix of `n_cols` columns from its row-major values; `data.len()` must be a
    /// multiple of `n_cols`, and `n_cols` positive. Zero rows are allowed.
    pub fn new(data: Vec<f32>, n_cols: usize) -> Result<Dense> {
        if n_cols == 0 {
            return Err(bad("n_cols", n_cols, "must be positive"));
        }
        if !data.len().is_multiple_of(n_cols) {
            return Err(ClassicError::LengthMismatch {
                what: "dense values (a multiple of n_cols)",
                expected: data.len().div_ceil(n_cols) * n_cols,
                found: data.len(),
            });
        }
        Ok(Dense { data, n_cols })
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.data.len() / self.n_cols
    }

    /// The number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Row `i`. Panics if `i >= self.rows()`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// All values, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The row-major values, taken out.
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }
}

impl Design for Dense {
    fn n_rows(&self) -> usize {
        self.rows()
    }

    fn n_cols(&self) -> usize {
        self.n_cols
    }

    fn row_dots(&self, i: usize, w: &[f64], out: &mut [f64]) {
        let k = out.len();
        out.fill(0.0);
        for (j, &x) in self.row(i).iter().enumerate() {
            if x != 0.0 {
                let x = f64::from(x);
                for (o, &wj) in out.iter_mut().zip(&w[j * k..(j + 1) * k]) {
                    *o += x * wj;
                }
            }
        }
    }

    fn add_row(&self, i: usize, cols: Range<usize>, scale: &[f64], grad: &mut [f64]) {
        let k = scale.len();
        let row = &self.row(i)[cols];
        for (&x, g) in row.iter().zip(grad.chunks_exact_mut(k)) {
            if x != 0.0 {
                let x = f64::from(x);
                for (gc, &s) in g.iter_mut().zip(scale) {
                    *gc += x * s;
                }
            }
        }
    }

    fn all_finite(&self) -> bool {
        self.data.iter().all(|v| v.is_finite())
    }
}

impl Design for Csr {
    fn n_rows(&self) -> usize {
        self.rows()
    }

    fn n_cols(&self) -> usize {
        Csr::n_cols(self)
    }

    fn row_dots(&self, i: usize, w: &[f64], out: &mut [f64]) {
        let k = out.len();
        out.fill(0.0);
        let (cols, vals) = self.row(i);
        for (&j, &x) in cols.iter().zip(vals) {
            let j = j as usize;
            let x = f64::from(x);
            for (o, &wj) in out.iter_mut().zip(&w[j * k..(j + 1) * k]) {
                *o += x * wj;
            }
        }
    }

    fn add_row(&self, i: usize, range: Range<usize>, scale: &[f64], grad: &mut [f64]) {
        let k = scale.len();
        let (cols, vals) = self.row(i);
        let from = cols.partition_point(|&j| (j as usize) < range.start);
        for (&j, &x) in cols[from..].iter().zip(&vals[from..]) {
            let j = j as usize;
            if j >= range.end {
                break;
            }
            let x = f64::from(x);
            let at = (j - range.start) * k;
            for (gc, &s) in grad[at..at + k].iter_mut().zip(scale) {
                *gc += x * s;
            }
        }
    }

    fn all_finite(&self) -> bool {
        self.values().iter().all(|v| v.is_finite())
    }
}

/// The number of worker threads: `requested`, or the machine's available parallelism when 0.
pub(crate) fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Runs `work` on each of the disjoint `items` (handed out whole, in any order, to up to
/// `threads` scoped threads). Each item is touched by one thread only, so the result does not
/// depend on the thread count or on timing as long as `work` on one item is deterministic.
pub(crate) fn for_each_parallel<T: Send>(items: Vec<T>, threads: usize, work: impl Fn(T) + Sync) {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        items.into_iter().for_each(work);
        return;
    }
    let queue = Mutex::new(items.into_iter());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let item = match queue.lock() {
                        Ok(mut q) => q.next(),
                        Err(poisoned) => poisoned.into_inner().next(),
                    };
                    let Some(item) = item else { break };
                    work(item);
                }
            });
        }
    });
}

/// `buf` (`n` rows of `width` values) cut into the row blocks of [`split_range`]`(n, parts)`:
/// each block's rows and its part of `buf`, in order, for [`for_each_parallel`].
pub(crate) fn row_blocks<T>(buf: &mut [T], n: usize, width: usize, parts: usize) -> Vec<(Range<usize>, &mut [T])> {
    let mut rest = buf;
    let mut out = Vec::new();
    for r in split_range(n, parts) {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(r.len() * width);
        out.push((r, head));
        rest = tail;
    }
    out
}

/// Splits `0..n` into about `parts` contiguous ranges of near-equal length (none empty).
pub(crate) fn split_range(n: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|p| p * n / parts..(p + 1) * n / parts)
        .filter(|r| !r.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_agree() {
        let data = vec![1.0, 0.0, 2.0, 0.0, -3.0, 0.5];
        let dense = Dense::new(data.clone(), 3).expect("valid");
        let sparse = Csr::from_dense(&data, 3).expect("valid");
        let w: Vec<f64> = (0..6).map(|v| f64::from(v) * 0.5 - 1.0).collect();
        for i in 0..2 {
            let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
            dense.row_dots(i, &w, &mut a);
            sparse.row_dots(i, &w, &mut b);
            assert_eq!(a, b);
            let (mut ga, mut gb) = (vec![0.0; 4], vec![0.0; 4]);
            dense.add_row(i, 1..3, &[1.0, -2.0], &mut ga);
            sparse.add_row(i, 1..3, &[1.0, -2.0], &mut gb);
            assert_eq!(ga, gb);
        }
        let mut g = vec![0.0; 4];
        sparse.add_row(1, 1..3, &[1.0, -2.0], &mut g);
        assert_eq!(g, vec![-3.0, 6.0, 0.5, -1.0]);
    }

    #[test]
    fn ranges_cover() {
        let r = split_range(10, 3);
        assert_eq!(r, vec![0..3, 3..6, 6..10]);
        assert_eq!(split_range(2, 8), vec![0..1, 1..2]);
        assert!(split_range(0, 4).is_empty());
    }
}
