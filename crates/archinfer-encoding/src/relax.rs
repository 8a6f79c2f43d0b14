//! The relaxation `u = softmax per group (logits)` on tensors.

use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

use crate::space::ArchitectureSpace;

/// Per-group softmax of a batch of logits in `space`'s layout: `[B, dim]` → `[B, dim]`.
///
/// Differentiable; each `alpha`, `beta`, `gamma` (and recipe) group of every row sums to one.
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
    let gamma = softmax(logits.clone().slice([0..b, space.gamma_range()]), 1);
    let mut parts = vec![alpha, beta, gamma];
    parts.extend((0..crate::recipe::RECIPE_GROUPS).filter_map(|g| space.delta_range(g)).map(|r| softmax(logits.clone().slice([0..b, r]), 1)));
    Tensor::cat(parts, 1)
}
