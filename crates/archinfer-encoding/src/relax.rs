//! The relaxation `u = softmax per group (logits)` on tensors, and the [`ContinuousSpace`]
//! trait that inference and value models use to stay generic over the architecture space.

use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

use crate::encoding::DiscreteArchitecture;
use crate::error::Result;
use crate::space::ArchitectureSpace;

/// A continuous relaxation of a discrete architecture space.
pub trait ContinuousSpace {
    /// The discrete architectures of the space.
    type Discrete;

    /// Length of a relaxed encoding `u` (and of its logits).
    fn dim(&self) -> usize;

    /// Relaxes a batch of logits `[B, dim]` into encodings `u` `[B, dim]`; differentiable.
    fn relax(&self, logits: Tensor<2>) -> Tensor<2>;

    /// Argmax discretisation of one relaxed encoding (or its logits).
    ///
    /// # Errors
    /// If `u` does not fit the space.
    fn discretize(&self, u: &[f32]) -> Result<Self::Discrete>;

    /// The exactly one-hot `u` of a discrete architecture.
    ///
    /// # Errors
    /// If `arch` does not fit the space.
    fn one_hot(&self, arch: &Self::Discrete) -> Result<Vec<f32>>;
}

/// Per-group softmax of a batch of logits in `space`'s layout: `[B, dim]` → `[B, dim]`.
///
/// Differentiable; each `alpha`, `beta` and `gamma` group of every row sums to one.
///
/// # Panics
/// If the second dimension of `logits` is not `space.dim()`.
pub fn relax(space: &ArchitectureSpace, logits: Tensor<2>) -> Tensor<2> {
    let [b, d] = logits.dims();
    assert_eq!(d, space.dim(), "logits have {d} columns, the space needs {}", space.dim());
    let l = space.num_layers();
    let p = space.num_base_layers();
    let ab = l * p;
    let alpha = softmax(logits.clone().slice([0..b, 0..ab]).reshape([b, l, p]), 2).reshape([b, ab]);
    let beta = softmax(logits.clone().slice([0..b, ab..ab + 2 * l]).reshape([b, l, 2]), 2).reshape([b, 2 * l]);
    let gamma = softmax(logits.slice([0..b, space.gamma_range()]), 1);
    Tensor::cat(vec![alpha, beta, gamma], 1)
}

impl ContinuousSpace for ArchitectureSpace {
    type Discrete = DiscreteArchitecture;

    fn dim(&self) -> usize {
        ArchitectureSpace::dim(self)
    }

    fn relax(&self, logits: Tensor<2>) -> Tensor<2> {
        relax(self, logits)
    }

    fn discretize(&self, u: &[f32]) -> Result<DiscreteArchitecture> {
        DiscreteArchitecture::from_flat(self, u)
    }

    fn one_hot(&self, arch: &DiscreteArchitecture) -> Result<Vec<f32>> {
        arch.one_hot_u(self)
    }
}
