//! The fused network itself: its layers on the host, padded, with `z` folded into the first
//! layer's bias, and which compiled kernel runs it.

use archinfer_dvn::GateLayout;

use super::kernels::simd_available;

/// One dense layer on the host: `y = x · weight + bias`, `weight` row-major `[n_in, n_out]`
/// (the value network crate's [`HostDense`](archinfer_dvn::HostDense)).
pub type HostLayer = archinfer_dvn::HostDense;

/// Which compiled kernel the fused path runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernel {
    /// AVX2 + FMA where the CPU has them, else portable.
    #[default]
    Auto,
    /// The portable build only (for comparisons).
    Portable,
}

/// An MLP value network `v(u) = w_L · relu(… relu(W_1 [u, z] + b_1) …) + b_L` with `z` fixed,
/// ready for the fused ascent.
#[derive(Debug, Clone)]
pub struct FusedMlp {
    pub(super) u_dim: usize,
    pub(super) h1: usize,
    /// `[u_dim, pad(h1)]`: rows of the `u` half of the first layer.
    pub(super) w1u: Vec<f32>,
    /// `[h1, pad(u_dim)]`: its transpose.
    pub(super) w1u_t: Vec<f32>,
    /// `b_1 + z · W_1z`, `[pad(h1)]`.
    pub(super) c1: Vec<f32>,
    pub(super) rest: Vec<Packed>,
    pub(super) kernel: Kernel,
    /// The gate applied to `u` before the first layer ([`Dvn::gate`]), if any.
    pub(super) gate: Option<GateLayout>,
}

impl FusedMlp {
    /// The same network, running `kernel`.
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// Length of `u`.
    pub fn u_dim(&self) -> usize {
        self.u_dim
    }

    /// Whether the AVX2 + FMA kernel runs (the CPU has them and [`Kernel::Auto`] is set).
    pub fn uses_simd(&self) -> bool {
        self.kernel == Kernel::Auto && simd_available()
    }
}

/// A dense layer after the first, stored both ways round (rows of `weight` for the forward
/// pass, rows of its transpose for the backward pass), each row padded to whole lanes.
#[derive(Debug, Clone)]
pub(super) struct Packed {
    pub(super) n_in: usize,
    pub(super) n_out: usize,
    /// `[n_in, pad(n_out)]`.
    pub(super) w: Vec<f32>,
    /// `[n_out, pad(n_in)]`.
    pub(super) wt: Vec<f32>,
    /// `[pad(n_out)]`.
    pub(super) b: Vec<f32>,
}
