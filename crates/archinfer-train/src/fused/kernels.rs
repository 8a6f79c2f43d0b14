//! Element-wise inner loops of the fused trainer, written so that they vectorise: the Adam
//! step, the activations and their derivatives, dropout masks, and softmax cross-entropy.
//!
//! Every function is `#[inline(always)]`: they are inlined into the training loop, which is
//! compiled twice (portable, and AVX2 + FMA picked at run time; see `super::train`).

use archinfer_encoding::Activation;

/// Adam's constants (burn's defaults, so both paths take the same steps).
pub(crate) const BETA_1: f32 = 0.9;
pub(crate) const BETA_2: f32 = 0.999;
pub(crate) const EPSILON: f32 = 1e-5;

/// Per-step scalars of Adam with bias correction, written as burn writes them:
/// `w -= lr · m · (√(1−β₂ᵗ)/(1−β₁ᵗ)) / (√v + ε·√(1−β₂ᵗ))`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamStep {
    /// `lr · √(1−β₂ᵗ)/(1−β₁ᵗ)`.
    pub scale: f32,
    /// `ε · √(1−β₂ᵗ)`.
    pub eps: f32,
    /// L2 penalty added to the gradient (burn's `WeightDecayConfig`).
    pub weight_decay: f32,
}

impl AdamStep {
    /// The scalars of step `t` (1-based).
    pub fn new(lr: f32, t: i32, weight_decay: f32) -> Self {
        let bc2 = (1.0 - BETA_2.powi(t)).sqrt();
        Self { scale: lr * bc2 / (1.0 - BETA_1.powi(t)), eps: EPSILON * bc2, weight_decay }
    }
}

/// One Adam step of `w` with gradient `g` and moments `m`, `v`.
#[inline(always)]
pub(crate) fn adam(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: AdamStep) {
    let n = w.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = g[i] + s.weight_decay * w[i];
        let mi = BETA_1 * m[i] + (1.0 - BETA_1) * gi;
        let vi = BETA_2 * v[i] + (1.0 - BETA_2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] -= s.scale * mi / (vi.sqrt() + s.eps);
    }
}

/// `tanh` as a rational function (Eigen's `generic_fast_tanh_float`, what XLA and JAX run on
/// CPUs): within a few ulp of `f32::tanh`, and it vectorises where the libm call does not.
#[inline(always)]
pub(crate) fn fast_tanh(x: f32) -> f32 {
    const C: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_672e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_6e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    let x = x.clamp(-C, C);
    let x2 = x * x;
    let mut p = x2.mul_add(A13, A11);
    p = x2.mul_add(p, A9);
    p = x2.mul_add(p, A7);
    p = x2.mul_add(p, A5);
    p = x2.mul_add(p, A3);
    p = x2.mul_add(p, A1);
    p *= x;
    let mut q = x2.mul_add(B6, B4);
    q = x2.mul_add(q, B2);
    q = x2.mul_add(q, B0);
    p / q
}

/// Applies `act` in place.
#[inline(always)]
pub(crate) fn activate(act: Activation, x: &mut [f32]) {
    match act {
        Activation::Relu => x.iter_mut().for_each(|v| *v = v.max(0.0)),
        Activation::Tanh => x.iter_mut().for_each(|v| *v = fast_tanh(*v)),
    }
}

/// `d ← d · act'(pre)` given the activation's output `h`, with dropout folded in: `h` holds
/// `act(pre) · keep`, `keep` ∈ {0, 1/(1−p)} (or no mask), and `d` the gradient with respect to
/// that product. Where a unit was dropped the gradient is 0; elsewhere
/// `act(pre) = h · (1−p)`.
#[inline(always)]
pub(crate) fn backprop_activation(act: Activation, d: &mut [f32], h: &[f32], keep: Option<&[f32]>) {
    let n = d.len();
    let h = &h[..n];
    match (act, keep) {
        (Activation::Relu, None) => {
            for i in 0..n {
                d[i] = if h[i] > 0.0 { d[i] } else { 0.0 };
            }
        }
        (Activation::Tanh, None) => {
            for i in 0..n {
                d[i] *= 1.0 - h[i] * h[i];
            }
        }
        (Activation::Relu, Some(k)) => {
            let k = &k[..n];
            for i in 0..n {
                d[i] = if h[i] > 0.0 { d[i] * k[i] } else { 0.0 };
            }
        }
        (Activation::Tanh, Some(k)) => {
            let k = &k[..n];
            for i in 0..n {
                // k[i] = 1/(1−p) or 0: the undropped output is h/k.
                let a = if k[i] > 0.0 { h[i] / k[i] } else { 0.0 };
                d[i] *= k[i] * (1.0 - a * a);
            }
        }
    }
}

/// Softmax cross-entropy of `logits` `[rows, classes]` against `labels`: returns the summed loss
/// and writes `d loss_mean / d logits` (`(softmax − one_hot) / rows`) into `grad`.
#[inline(always)]
pub(crate) fn softmax_xent(logits: &[f32], labels: &[u32], classes: usize, grad: &mut [f32]) -> f64 {
    let rows = labels.len();
    let inv = 1.0 / rows as f32;
    let mut loss = 0.0f64;
    for (r, &y) in labels.iter().enumerate() {
        let z = &logits[r * classes..(r + 1) * classes];
        let g = &mut grad[r * classes..(r + 1) * classes];
        let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f32;
        for (gi, &zi) in g.iter_mut().zip(z) {
            *gi = (zi - max).exp();
            sum += *gi;
        }
        let y = y as usize;
        loss += f64::from(sum.ln() + max - z[y]);
        let s = inv / sum;
        g.iter_mut().for_each(|gi| *gi *= s);
        g[y] -= inv;
    }
    loss
}

/// Index of the largest logit of each row (the first on ties), counted against `labels`.
#[inline(always)]
pub(crate) fn count_hits(logits: &[f32], labels: &[u32], classes: usize) -> usize {
    labels
        .iter()
        .enumerate()
        .filter(|&(r, &y)| {
            let z = &logits[r * classes..(r + 1) * classes];
            let mut best = 0;
            for (c, &v) in z.iter().enumerate() {
                if v > z[best] {
                    best = c;
                }
            }
            best == y as usize
        })
        .count()
}

/// A small, fast generator for dropout masks (splitmix64), seeded from the child's seed so
/// a training is reproducible.
#[derive(Debug, Clone)]
pub struct MaskRng(u64);

impl MaskRng {
    /// The generator of the child trained from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0xd1b5_4a32_d192_ed03)
    }

    #[inline(always)]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fills `keep` with `1/(1−p)` (kept, probability `1−p`) or 0, one draw per entry in
    /// order (the burn path draws its masks with this too, so both drop the same units).
    #[inline(always)]
    pub fn fill_keep(&mut self, p: f32, keep: &mut [f32]) {
        let threshold = (f64::from(p) * (1u64 << 32) as f64) as u64;
        let scale = 1.0 / (1.0 - p);
        for k in keep.iter_mut() {
            let r = self.next() >> 32;
            *k = if r >= threshold { scale } else { 0.0 };
        }
    }

    /// [`fill_keep`](Self::fill_keep) for `h.len()` entries, then multiplies `h` by them.
    #[inline(always)]
    pub fn dropout(&mut self, p: f32, h: &mut [f32], keep: &mut [f32]) {
        let keep = &mut keep[..h.len()];
        self.fill_keep(p, keep);
        h.iter_mut().zip(keep.iter()).for_each(|(v, k)| *v *= k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn fast_tanh_is_within_a_few_ulp_of_libm() {
        let mut worst = 0.0f32;
        for i in -20_000..=20_000 {
            let x = i as f32 * 1e-3;
            worst = worst.max((fast_tanh(x) - x.tanh()).abs());
        }
        assert!(worst < 2e-6, "max |fast_tanh − tanh| = {worst}");
        assert_eq!(fast_tanh(100.0), fast_tanh(7.905_311));
        assert_abs_diff_eq!(fast_tanh(100.0), 1.0, epsilon = 1e-6);
    }

    #[test]
    fn adam_first_step_moves_each_weight_by_lr() {
        // Step 1: m = 0.1 g, v = 0.001 g², scale = lr·√0.001/0.1, so w moves by lr·sign(g)
        // (up to ε).
        let mut w = [1.0f32, -2.0];
        let (mut m, mut v) = ([0.0; 2], [0.0; 2]);
        adam(&mut w, &[0.5, -3.0], &mut m, &mut v, AdamStep::new(0.01, 1, 0.0));
        assert_abs_diff_eq!(w[0], 0.99, epsilon = 1e-4);
        assert_abs_diff_eq!(w[1], -1.99, epsilon = 1e-4);
        assert_abs_diff_eq!(m[0], 0.05, epsilon = 1e-7);
        assert_abs_diff_eq!(v[1], 0.009, epsilon = 1e-6);
        // Weight decay adds penalty · w to the gradient: g = 0 + 1 · 1.0 > 0, so w drops.
        let mut w = [1.0f32];
        adam(&mut w, &[0.0], &mut [0.0], &mut [0.0], AdamStep::new(0.01, 1, 1.0));
        assert_abs_diff_eq!(w[0], 0.99, epsilon = 1e-4);
    }

    #[test]
    fn softmax_xent_matches_hand_values() {
        // Two classes, logits (0, 0): p = ½, loss = ln 2 per row; grad (½ − 1, ½)/rows.
        let mut g = [0.0; 4];
        let loss = softmax_xent(&[0.0, 0.0, 1.0, 1.0], &[0, 1], 2, &mut g);
        assert_abs_diff_eq!(loss, 2.0 * std::f64::consts::LN_2, epsilon = 1e-6);
        for (a, b) in g.iter().zip([-0.25, 0.25, 0.25, -0.25]) {
            assert_abs_diff_eq!(*a, b, epsilon = 1e-7);
        }
        assert_eq!(count_hits(&[0.0, 1.0, 2.0, 1.0, 3.0, 3.0], &[1, 0, 0], 2), 3);
    }

    #[test]
    fn activation_gradients_match_finite_differences() {
        for act in [Activation::Relu, Activation::Tanh] {
            for &x in &[-1.3f32, -0.2, 0.4, 2.1] {
                let f = |x: f32| {
                    let mut v = [x];
                    activate(act, &mut v);
                    v[0]
                };
                let h = 1e-3;
                let fd = (f(x + h) - f(x - h)) / (2.0 * h);
                let mut d = [1.0];
                backprop_activation(act, &mut d, &[f(x)], None);
                assert_abs_diff_eq!(d[0], fd, epsilon = 1e-3);
                // With a kept unit (scale 2): d(2·act)/dx = 2·act'.
                let mut d = [1.0];
                backprop_activation(act, &mut d, &[2.0 * f(x)], Some(&[2.0]));
                assert_abs_diff_eq!(d[0], 2.0 * fd, epsilon = 2e-3);
                let mut d = [1.0];
                backprop_activation(act, &mut d, &[0.0], Some(&[0.0]));
                assert_eq!(d[0], 0.0);
            }
        }
    }

    #[test]
    fn dropout_keeps_about_one_minus_p_and_rescales() {
        let mut rng = MaskRng::new(3);
        let mut h = vec![1.0f32; 10_000];
        let mut keep = vec![0.0; 10_000];
        rng.dropout(0.25, &mut h, &mut keep);
        let kept = keep.iter().filter(|&&k| k > 0.0).count();
        assert!((7_300..7_700).contains(&kept), "kept {kept}");
        let mean = h.iter().sum::<f32>() / h.len() as f32;
        assert_abs_diff_eq!(mean, 1.0, epsilon = 0.04);
    }
}
