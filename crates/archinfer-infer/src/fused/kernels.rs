//! The numeric kernels of the fused path: lane-padded matrix-vector products, the matrix
//! product over a block of starts, the branch-free exponential and the per-group softmax, generic over how a
//! multiply-add is done ([`Plain`] or fused [`Fma`]), and run-time detection of AVX2 + FMA.

use std::ops::Range;

pub(super) const LANES: usize = 8;

pub(super) fn pad(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

pub(super) fn simd_available() -> bool {
    archinfer_encoding::host_simd_available()
}

/// Multiply-add, fused where the kernel is compiled for FMA (plain `a * b + c` otherwise: a
/// software `fma` would be slow).
pub(super) trait Madd {
    /// Whether sixteen 256-bit registers hold a vector of [`LANES`] each (AVX2), so that wide
    /// tiles fit; the portable build may have 128-bit registers and half as many vectors.
    const WIDE: bool;
    fn madd(a: f32, b: f32, c: f32) -> f32;
}

pub(super) struct Plain;
impl Madd for Plain {
    const WIDE: bool = false;
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

pub(super) struct Fma;
impl Madd for Fma {
    const WIDE: bool = true;
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// `y = init + Σ_n coef[n] · rows[idx[n]]` over rows of length `stride` (a multiple of
/// [`LANES`]); up to four lane-vectors of `y` are accumulated at once so that the multiply-adds
/// of one row form independent chains.
#[inline(always)]
pub(super) fn gemv_rows<M: Madd>(y: &mut [f32], init: Option<&[f32]>, rows: &[f32], stride: usize, idx: &[u32], coef: &[f32]) {
    let nv = stride / LANES;
    let mut v0 = 0;
    while v0 < nv {
        let n = (nv - v0).min(4);
        match n {
            4 => block::<M, 4>(y, init, rows, stride, idx, coef, v0),
            3 => block::<M, 3>(y, init, rows, stride, idx, coef, v0),
            2 => block::<M, 2>(y, init, rows, stride, idx, coef, v0),
            _ => block::<M, 1>(y, init, rows, stride, idx, coef, v0),
        }
        v0 += n;
    }
}

#[inline(always)]
pub(super) fn block<M: Madd, const NV: usize>(y: &mut [f32], init: Option<&[f32]>, rows: &[f32], stride: usize, idx: &[u32], coef: &[f32], v0: usize) {
    let c0 = v0 * LANES;
    let mut acc = [[0.0f32; LANES]; NV];
    if let Some(init) = init {
        for (q, a) in acc.iter_mut().enumerate() {
            a.copy_from_slice(&init[c0 + q * LANES..c0 + (q + 1) * LANES]);
        }
    }
    for (&i, &c) in idx.iter().zip(coef) {
        let off = i as usize * stride + c0;
        let r = &rows[off..off + NV * LANES];
        for (q, a) in acc.iter_mut().enumerate() {
            let rq = &r[q * LANES..(q + 1) * LANES];
            for j in 0..LANES {
                a[j] = M::madd(c, rq[j], a[j]);
            }
        }
    }
    for (q, a) in acc.iter().enumerate() {
        y[c0 + q * LANES..c0 + (q + 1) * LANES].copy_from_slice(a);
    }
}

/// `a + c · r` lane-wise, written out so that it compiles to one vector multiply-add.
#[inline(always)]
pub(super) fn fma8<M: Madd>(c: f32, r: &[f32; LANES], a: [f32; LANES]) -> [f32; LANES] {
    [
        M::madd(c, r[0], a[0]),
        M::madd(c, r[1], a[1]),
        M::madd(c, r[2], a[2]),
        M::madd(c, r[3], a[3]),
        M::madd(c, r[4], a[4]),
        M::madd(c, r[5], a[5]),
        M::madd(c, r[6], a[6]),
        M::madd(c, r[7], a[7]),
    ]
}

/// `e^x` for `x ≤ 0`, branch-free so that loops over it vectorise; relative error below
/// 2·10⁻⁷ (Cody–Waite reduction, degree-6 Taylor polynomial on |r| ≤ ln2/2); `e^x` for
/// `x < −87` is taken as `e^−87`, far below anything a softmax over a few options can use.
#[inline(always)]
pub(super) fn exp_nonpositive<M: Madd>(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2²³: adding it rounds to an integer
    // Comparisons, not `f32::max`, whose NaN rules cost a blend per element.
    let x = if x < -87.0 { -87.0 } else { x };
    let t = x * LOG2E + MAGIC;
    let n = t - MAGIC;
    let r = M::madd(-n, LN2_LO, M::madd(-n, LN2_HI, x));
    let mut p = 1.0 / 720.0;
    p = M::madd(p, r, 1.0 / 120.0);
    p = M::madd(p, r, 1.0 / 24.0);
    p = M::madd(p, r, 1.0 / 6.0);
    p = M::madd(p, r, 0.5);
    p = M::madd(p, r, 1.0);
    p = M::madd(p, r, 1.0);
    // The integer n sits in the low mantissa bits of t; 2ⁿ is (n + 127) << 23. Integer
    // operations on the bits, not a float-to-int conversion, so that the loop vectorises.
    let n_bits = t.to_bits().wrapping_sub(0x4B40_0000);
    p * f32::from_bits(n_bits.wrapping_add(127) << 23)
}

/// Per-group softmax of `l` into `u` (`u` may be longer; its tail is left alone).
#[inline(always)]
pub(super) fn relax_into<M: Madd>(groups: &[Range<usize>], l: &[f32], u: &mut [f32]) {
    let d = l.len();
    let u = &mut u[..d];
    for g in groups {
        let seg = &l[g.clone()];
        let mut m = seg[0];
        for &x in seg {
            m = if x > m { x } else { m };
        }
        for (o, &x) in u[g.clone()].iter_mut().zip(seg) {
            *o = x - m;
        }
    }
    for x in u.iter_mut() {
        *x = exp_nonpositive::<M>(*x);
    }
    for g in groups {
        let seg = &mut u[g.clone()];
        let mut sum = 0.0;
        for &x in seg.iter() {
            sum += x;
        }
        let inv = 1.0 / sum;
        for x in seg.iter_mut() {
            *x *= inv;
        }
    }
}



/// Eight starts side by side: one value per start, a start per lane.
pub(super) type Lanes = [f32; LANES];

/// `out[o] = init[o] + Σ_k a[k] · w[k·ws + o]` for `o < n`, where each `a[k]` and `out[o]`
/// holds one value per start (a block of starts, one per lane) and `w` is a row-major weight
/// matrix with rows `ws` apart. One pass is a matrix product over the block: a weight is
/// broadcast once and multiplies all the starts.
///
/// Outputs go in tiles of up to twelve (six in the portable build), each accumulated in a register over `k` in order, as
/// [`gemv_rows`] does, so a block's step gives the bits a start-by-start one gives.
#[inline(always)]
pub(super) fn gemm_lanes<M: Madd>(out: &mut [Lanes], init: Option<&[f32]>, a: &[Lanes], w: &[f32], ws: usize, n: usize) {
    let mut o0 = 0;
    while o0 < n {
        let left = n - o0;
        let t = TileL { out: &mut *out, init, a, w, ws, o0 };
        o0 += match left {
            12.. if M::WIDE => t.run::<M, 12>(),
            8.. if M::WIDE => t.run::<M, 8>(),
            6.. => t.run::<M, 6>(),
            4.. => t.run::<M, 4>(),
            2.. => t.run::<M, 2>(),
            _ => t.run::<M, 1>(),
        };
    }
}

struct TileL<'a> {
    out: &'a mut [Lanes],
    init: Option<&'a [f32]>,
    a: &'a [Lanes],
    w: &'a [f32],
    ws: usize,
    o0: usize,
}

impl TileL<'_> {
    #[inline(always)]
    fn run<M: Madd, const J: usize>(self) -> usize {
        let TileL { out, init, a, w, ws, o0 } = self;
        let mut acc = [[0.0f32; LANES]; J];
        if let Some(init) = init {
            for (v, &c) in acc.iter_mut().zip(&init[o0..o0 + J]) {
                *v = [c; LANES];
            }
        }
        for (k, x) in a.iter().enumerate() {
            let wk: &[f32; J] = w[k * ws + o0..k * ws + o0 + J].try_into().unwrap_or(&[0.0; J]);
            for (v, &c) in acc.iter_mut().zip(wk) {
                *v = fma8::<M>(c, x, *v);
            }
        }
        out[o0..o0 + J].copy_from_slice(&acc);
        J
    }
}
