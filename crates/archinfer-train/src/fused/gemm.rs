//! The one matrix product of the fused trainer: a bounds-checked, safe wrapper over the `gemm`
//! crate (the kernel burn's CPU backend uses too, so it adds nothing to the build).

/// A row-major matrix view: `rows × cols`, element `(i, j)` at `data[i * row_stride + j *
/// col_stride]`. A transpose is the same data with the strides swapped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A dense row-major `rows × cols` matrix.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self { data, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Self { data: self.data, rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride }
    }

    /// Index one past the last element read.
    fn extent(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            0
        } else {
            (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride + 1
        }
    }
}

/// `dst[m × n] (row-major) = (accumulate ? dst : 0) + a · b`.
///
/// # Panics
/// If the shapes do not chain or a slice is too short (callers size every buffer from the
/// same layer widths, so this is a bug, not an input error).
pub(crate) fn matmul(dst: &mut [f32], a: View<'_>, b: View<'_>, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "inner dimensions differ");
    assert!(dst.len() >= m * n && a.data.len() >= a.extent() && b.data.len() >= b.extent(), "matrix slice too short");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the asserts above keep every element `gemm` reads (a, b: up to `extent`) and
    // writes (dst: m × n with row stride n) inside the slices; strides fit in isize because
    // they index allocated slices; `dst` does not alias `a` or `b` (a `&mut` borrow).
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn products_and_transposes_match_hand_values() {
        // a = [[1, 2, 3], [4, 5, 6]], b = [[1, 0], [0, 1], [1, 1]]
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let mut c = [0.0; 4];
        matmul(&mut c, View::new(&a, 2, 3), View::new(&b, 3, 2), false);
        assert_eq!(c, [4.0, 5.0, 10.0, 11.0]);
        // accumulate: c += a · b
        matmul(&mut c, View::new(&a, 2, 3), View::new(&b, 3, 2), true);
        assert_eq!(c, [8.0, 10.0, 20.0, 22.0]);
        // aᵀ · a = [[17, 22, 27], [22, 29, 36], [27, 36, 45]]
        let mut g = [0.0; 9];
        matmul(&mut g, View::new(&a, 2, 3).t(), View::new(&a, 2, 3), false);
        for (x, y) in g.iter().zip([17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]) {
            assert_abs_diff_eq!(*x, y);
        }
        // a · aᵀ = [[14, 32], [32, 77]]
        let mut h = [0.0; 4];
        matmul(&mut h, View::new(&a, 2, 3), View::new(&a, 2, 3).t(), false);
        assert_eq!(h, [14.0, 32.0, 32.0, 77.0]);
    }

    #[test]
    #[should_panic(expected = "inner dimensions differ")]
    fn mismatched_shapes_panic() {
        let a = [0.0; 6];
        matmul(&mut [0.0; 4], View::new(&a, 2, 3), View::new(&a, 2, 3), false);
    }
}
