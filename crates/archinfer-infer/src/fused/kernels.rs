//! The numeric kernels of the fused path: lane-padded matrix-vector products, the four-start
//! first layer, the branch-free exponential and the per-group softmax, generic over how a
//! multiply-add is done ([`Plain`] or fused [`Fma`]), and run-time detection of AVX2 + FMA.

use std::ops::Range;

pub(super) const LANES: usize = 8;

pub(super) fn pad(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

pub(super) fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Multiply-add, fused where the kernel is compiled for FMA (plain `a * b + c` otherwise: a
/// software `fma` would be slow).
pub(super) trait Madd {
    fn madd(a: f32, b: f32, c: f32) -> f32;
}

pub(super) struct Plain;
impl Madd for Plain {
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

pub(super) struct Fma;
impl Madd for Fma {
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

#[inline(always)]
pub(super) fn lanes(x: &[f32], at: usize) -> &[f32; LANES] {
    x[at..at + LANES].try_into().unwrap_or(&[0.0; LANES])
}

/// [`block`] for four starts and two lane-vectors: `ys[s] = init + Σ_k us[s][k] · rows[k]` on
/// columns `c0 .. c0 + 16` — eight named accumulators, each weight load used four times.
/// (Named variables, not a nested array: LLVM keeps them in registers.)
#[inline(always)]
pub(super) fn block2_x4<M: Madd>(ys: &mut [&mut Vec<f32>; 4], init: &[f32], rows: &[f32], stride: usize, us: [&[f32]; 4], c0: usize) {
    let (i0, i1) = (*lanes(init, c0), *lanes(init, c0 + LANES));
    let (mut a00, mut a01, mut a10, mut a11, mut a20, mut a21, mut a30, mut a31) = (i0, i1, i0, i1, i0, i1, i0, i1);
    let n = us[0].len();
    let [u0, u1, u2, u3] = us;
    let (u1, u2, u3) = (&u1[..n], &u2[..n], &u3[..n]);
    for k in 0..n {
        let off = k * stride + c0;
        let (r0, r1) = (lanes(rows, off), lanes(rows, off + LANES));
        a00 = fma8::<M>(u0[k], r0, a00);
        a01 = fma8::<M>(u0[k], r1, a01);
        a10 = fma8::<M>(u1[k], r0, a10);
        a11 = fma8::<M>(u1[k], r1, a11);
        a20 = fma8::<M>(u2[k], r0, a20);
        a21 = fma8::<M>(u2[k], r1, a21);
        a30 = fma8::<M>(u3[k], r0, a30);
        a31 = fma8::<M>(u3[k], r1, a31);
    }
    for (y, (a, b)) in ys.iter_mut().zip([(a00, a01), (a10, a11), (a20, a21), (a30, a31)]) {
        y[c0..c0 + LANES].copy_from_slice(&a);
        y[c0 + LANES..c0 + 2 * LANES].copy_from_slice(&b);
    }
}

/// [`block2_x4`] for one lane-vector.
#[inline(always)]
pub(super) fn block1_x4<M: Madd>(ys: &mut [&mut Vec<f32>; 4], init: &[f32], rows: &[f32], stride: usize, us: [&[f32]; 4], c0: usize) {
    let i0 = *lanes(init, c0);
    let (mut a0, mut a1, mut a2, mut a3) = (i0, i0, i0, i0);
    let n = us[0].len();
    let [u0, u1, u2, u3] = us;
    let (u1, u2, u3) = (&u1[..n], &u2[..n], &u3[..n]);
    for k in 0..n {
        let r = lanes(rows, k * stride + c0);
        a0 = fma8::<M>(u0[k], r, a0);
        a1 = fma8::<M>(u1[k], r, a1);
        a2 = fma8::<M>(u2[k], r, a2);
        a3 = fma8::<M>(u3[k], r, a3);
    }
    for (y, a) in ys.iter_mut().zip([a0, a1, a2, a3]) {
        y[c0..c0 + LANES].copy_from_slice(&a);
    }
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

