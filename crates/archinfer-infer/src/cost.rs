//! The differentiable size of a relaxed architecture: its expected parameter count.
//!
//! Read `u` as a product distribution (each softmax group picks independently). The parameter
//! count of a dense chain is a sum of products of *different* groups' choices (layer `l`'s
//! width, whether it is on, the width reaching it), so its expectation is the same recursion
//! run on expected widths — exact, not an approximation, and equal to
//! [`DiscreteArchitecture::num_params`] at every one-hot `u`.
//!
//! [`DiscreteArchitecture::num_params`]: archinfer_encoding::DiscreteArchitecture::num_params

use archinfer_encoding::ArchitectureSpace;
use burn::tensor::{Tensor, TensorData};

use crate::error::InferError;
use crate::error::Result;

/// Expected parameter count of relaxed architectures of one space for a task with
/// `num_classes` classes.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamCost {
    layers: usize,
    base: usize,
    base_widths: Vec<f32>,
    embedding_dims: Vec<f32>,
    num_classes: f32,
    alpha0: usize,
    beta0: usize,
    gamma0: usize,
}

impl ParamCost {
    /// The cost for `space` and a task of `num_classes` classes.
    ///
    /// # Errors
    /// Fewer than two classes.
    pub fn new(space: &ArchitectureSpace, num_classes: usize) -> Result<Self> {
        if num_classes < 2 {
            return Err(InferError::TooFewClasses(num_classes));
        }
        Ok(Self {
            layers: space.num_layers(),
            base: space.num_base_layers(),
            base_widths: space.base_layers().iter().map(|b| b.width as f32).collect(),
            embedding_dims: space.embeddings().iter().map(|e| e.dim as f32).collect(),
            num_classes: num_classes as f32,
            alpha0: space.alpha_range(0).start,
            beta0: space.beta_range(0).start,
            gamma0: space.gamma_range().start,
        })
    }

    /// Number of classes of the task.
    pub fn num_classes(&self) -> usize {
        self.num_classes as usize
    }

    fn widths(&self, u: &[f32], l: usize) -> f32 {
        let a = &u[self.alpha0 + l * self.base..self.alpha0 + (l + 1) * self.base];
        a.iter().zip(&self.base_widths).map(|(p, w)| p * w).sum()
    }

    /// Expected parameter count of one relaxed `u` (flat, the space's length).
    ///
    /// # Panics
    /// If `u` is shorter than the space's `u`.
    pub fn expected(&self, u: &[f32]) -> f32 {
        let g = &u[self.gamma0..self.gamma0 + self.embedding_dims.len()];
        let mut d = g.iter().zip(&self.embedding_dims).map(|(p, e)| p * e).sum::<f32>();
        let mut total = 0.0;
        for l in 0..self.layers {
            let w = self.widths(u, l);
            let b = u[self.beta0 + 2 * l];
            total += b * (d * w + w);
            d = b * w + (1.0 - b) * d;
        }
        total + d * self.num_classes + self.num_classes
    }

    /// [`expected`](Self::expected) and its gradient with respect to `u`, written into `grad`
    /// (overwritten).
    ///
    /// # Panics
    /// If `u` or `grad` is shorter than the space's `u`.
    pub fn expected_and_grad(&self, u: &[f32], grad: &mut [f32]) -> f32 {
        let g0 = self.gamma0;
        let gamma = &u[g0..g0 + self.embedding_dims.len()];
        let mut d_in = Vec::with_capacity(self.layers);
        let mut ws = Vec::with_capacity(self.layers);
        let mut d = gamma.iter().zip(&self.embedding_dims).map(|(p, e)| p * e).sum::<f32>();
        let mut total = 0.0;
        for l in 0..self.layers {
            let w = self.widths(u, l);
            let b = u[self.beta0 + 2 * l];
            d_in.push(d);
            ws.push(w);
            total += b * (d * w + w);
            d = b * w + (1.0 - b) * d;
        }
        total += d * self.num_classes + self.num_classes;
        grad.fill(0.0);
        let mut gd = self.num_classes;
        for l in (0..self.layers).rev() {
            let (dp, w, b) = (d_in[l], ws[l], u[self.beta0 + 2 * l]);
            grad[self.beta0 + 2 * l] = dp * w + w + gd * (w - dp);
            let gw = b * (dp + 1.0) + gd * b;
            let a0 = self.alpha0 + l * self.base;
            for (g, bw) in grad[a0..a0 + self.base].iter_mut().zip(&self.base_widths) {
                *g = gw * bw;
            }
            gd = b * w + gd * (1.0 - b);
        }
        for (g, e) in grad[g0..g0 + self.embedding_dims.len()].iter_mut().zip(&self.embedding_dims) {
            *g = gd * e;
        }
        total
    }

    /// The same expectation on a batch of `u` `[B, dim]` → `[B]`, differentiable (for the
    /// generic burn path).
    pub fn tensor(&self, u: Tensor<2>) -> Tensor<1> {
        let [b, _] = u.dims();
        let dev = u.device();
        let (p, l, e) = (self.base, self.layers, self.embedding_dims.len());
        let wb = Tensor::<1>::from_data(TensorData::new(self.base_widths.clone(), [p]), &dev).reshape([1, 1, p]);
        let omega = (u.clone().slice([0..b, self.alpha0..self.alpha0 + l * p]).reshape([b, l, p]) * wb)
            .sum_dim(2)
            .reshape([b, l]);
        let on = u.clone().slice([0..b, self.beta0..self.beta0 + 2 * l]).reshape([b, l, 2]).slice([0..b, 0..l, 0..1]).reshape([b, l]);
        let ed = Tensor::<1>::from_data(TensorData::new(self.embedding_dims.clone(), [e]), &dev).reshape([1, e]);
        let mut d = (u.slice([0..b, self.gamma0..self.gamma0 + e]) * ed).sum_dim(1);
        let mut total = Tensor::<2>::zeros([b, 1], &dev);
        for i in 0..l {
            let w = omega.clone().slice([0..b, i..i + 1]);
            let bo = on.clone().slice([0..b, i..i + 1]);
            total = total + bo.clone() * (d.clone() * w.clone() + w.clone());
            d = bo.clone() * w + (bo.neg() + 1.0) * d;
        }
        (total + d * self.num_classes + self.num_classes).reshape([b])
    }
}

/// The cost-aware objective `v(u, z) − λ · E[params(u)] / 10⁶`: `lambda` is the predicted
/// (normalised) value one million expected parameters are worth giving up.
#[derive(Debug, Clone, PartialEq)]
pub struct Penalty {
    /// The size measure.
    pub cost: ParamCost,
    /// Value per million expected parameters (≥ 0).
    pub lambda: f32,
}

impl Penalty {
    /// A parameter-count penalty for `space`, a task of `num_classes` classes and weight
    /// `lambda` per million parameters.
    ///
    /// # Errors
    /// Fewer than two classes, or a negative or non-finite `lambda`.
    pub fn params(space: &ArchitectureSpace, num_classes: usize, lambda: f64) -> Result<Self> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(InferError::Setting { setting: "lambda", value: lambda.to_string(), expected: "a finite number ≥ 0" });
        }
        Ok(Self { cost: ParamCost::new(space, num_classes)?, lambda: lambda as f32 })
    }

    /// `λ / 10⁶`, the factor on the raw parameter count.
    pub fn scale(&self) -> f32 {
        self.lambda * 1e-6
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use archinfer_encoding::{Activation, DiscreteArchitecture, EmbeddingSpec, relax_flat};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn space() -> ArchitectureSpace {
        ArchitectureSpace::new(vec![4, 8], vec![Activation::Relu, Activation::Tanh], 2, vec![
            EmbeddingSpec::new("a", 3),
            EmbeddingSpec::new("b", 5),
        ])
        .unwrap()
    }

    #[test]
    fn one_hot_cost_is_the_parameter_count() {
        let s = space();
        let c = ParamCost::new(&s, 3).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..20 {
            let a = DiscreteArchitecture::sample(&s, &mut rng);
            assert_relative_eq!(c.expected(&a.one_hot_u(&s).unwrap()), a.num_params(3) as f32);
        }
    }

    #[test]
    fn uniform_cost_by_hand() {
        // u uniform: E[width] = 6, P(on) = ½, E[input] = 4.
        // layer 1: ½·(4·6 + 6) = 15, d1 = ½·6 + ½·4 = 5
        // layer 2: ½·(5·6 + 6) = 18, d2 = ½·6 + ½·5 = 5.5; output 5.5·3 + 3 = 19.5
        let s = space();
        let u = relax_flat(&s, &vec![0.0; s.dim()]).unwrap();
        assert_relative_eq!(ParamCost::new(&s, 3).unwrap().expected(&u), 15.0 + 18.0 + 19.5, epsilon = 1e-4);
    }

    #[test]
    fn gradient_matches_finite_differences_and_the_tensor_version() {
        let s = space();
        let c = ParamCost::new(&s, 4).unwrap();
        let logits: Vec<f32> = (0..s.dim()).map(|i| ((i * 37) % 11) as f32 / 5.0 - 1.0).collect();
        let u = relax_flat(&s, &logits).unwrap();
        let mut g = vec![0.0; s.dim()];
        let v = c.expected_and_grad(&u, &mut g);
        assert_relative_eq!(v, c.expected(&u));
        // The cost is multilinear in u, so central differences in f64-sized steps are exact up
        // to rounding.
        for i in 0..s.dim() {
            let (mut up, mut dn) = (u.clone(), u.clone());
            up[i] += 1e-2;
            dn[i] -= 1e-2;
            let fd = (c.expected(&up) - c.expected(&dn)) / 2e-2;
            assert!((fd - g[i]).abs() <= 1e-2 * (1.0 + g[i].abs()), "coordinate {i}: {fd} vs {}", g[i]);
        }
        let dev = burn::tensor::Device::flex();
        let t = c.tensor(Tensor::from_data(TensorData::new(u.clone(), [1, s.dim()]), &dev));
        assert_relative_eq!(t.into_scalar::<f32>(), v, max_relative = 1e-5);
    }

    #[test]
    fn bad_settings_are_errors() {
        let s = space();
        assert!(matches!(ParamCost::new(&s, 1), Err(InferError::TooFewClasses(1))));
        assert!(matches!(Penalty::params(&s, 3, -1.0), Err(InferError::Setting { setting: "lambda", .. })));
        assert!(matches!(Penalty::params(&s, 3, f64::NAN), Err(InferError::Setting { setting: "lambda", .. })));
        assert!(Penalty::params(&s, 3, 2.0).is_ok());
    }
}
