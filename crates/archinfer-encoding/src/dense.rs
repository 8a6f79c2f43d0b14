//! Dense layers shared by the child networks: the burn [`DenseLayer`], its host copy
//! [`HostDense`], their seeded initialisation and the activations; and which build the host
//! kernels over [`HostDense`] layers run ([`host_simd_available`]).

use burn::module::{Module, Param};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand::RngExt;
use rand::rngs::StdRng;

use crate::error::{EncodingError, Result};
use crate::space::Activation;

/// Uniform `U(-k, k)`, `k = 1/sqrt(fan_in)` (the usual dense-layer init), drawn on the host from
/// a seeded RNG so that a child's initial weights depend on its seed only, not on a backend's
/// global RNG state shared by concurrent trainings.
fn uniform_host(n: usize, fan_in: usize, rng: &mut StdRng) -> Vec<f32> {
    let k = 1.0 / (fan_in.max(1) as f32).sqrt();
    (0..n).map(|_| rng.random_range(-k..k)).collect()
}

pub(crate) fn uniform_tensor<const D: usize>(
    shape: [usize; D],
    fan_in: usize,
    rng: &mut StdRng,
    device: &Device,
) -> Tensor<D> {
    let v = uniform_host(shape.iter().product(), fan_in, rng);
    Tensor::from_data(TensorData::new(v, shape), device)
}

pub(crate) fn apply_activation<const D: usize>(a: Activation, x: Tensor<D>) -> Tensor<D> {
    match a {
        Activation::Relu => relu(x),
        Activation::Tanh => x.tanh(),
    }
}

/// A dense affine layer `x · W + b` with weights `[in, out]`.
#[derive(Module, Debug)]
pub struct DenseLayer {
    /// `[in, out]`.
    pub weight: Param<Tensor<2>>,
    /// `[out]`.
    pub bias: Param<Tensor<1>>,
}

impl DenseLayer {
    /// A `[d_in, d_out]` layer with weights and bias drawn from `U(-k, k)`, `k = 1/sqrt(d_in)`,
    /// from `rng` (host side, so initialisation depends on the seed only).
    pub fn seeded(d_in: usize, d_out: usize, rng: &mut StdRng, device: &Device) -> Self {
        HostDense::seeded(d_in, d_out, rng).to_dense(device)
    }

    /// `[N, in]` → `[N, out]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.weight.val()) + self.bias.val().unsqueeze::<2>()
    }
}

/// One dense layer on the host, `y = x · weight + bias` with `weight` row-major `[n_in, n_out]`:
/// what host-side code (the fused trainer, the fused ascent) works on.
#[derive(Debug, Clone, PartialEq)]
pub struct HostDense {
    /// Input width.
    pub n_in: usize,
    /// Output width.
    pub n_out: usize,
    /// Row-major `[n_in, n_out]`.
    pub weight: Vec<f32>,
    /// `[n_out]`.
    pub bias: Vec<f32>,
}

impl HostDense {
    /// Weights then bias drawn from `U(-k, k)`, `k = 1/sqrt(n_in)`, in the order
    /// [`DenseLayer::seeded`] draws them (it calls this).
    pub fn seeded(n_in: usize, n_out: usize, rng: &mut StdRng) -> Self {
        let weight = uniform_host(n_in * n_out, n_in, rng);
        let bias = uniform_host(n_out, n_in, rng);
        Self { n_in, n_out, weight, bias }
    }

    /// Copies a burn [`DenseLayer`] to the host.
    ///
    /// # Errors
    /// [`EncodingError::Backend`] if the tensors cannot be read as `f32`.
    pub fn from_dense(layer: &DenseLayer) -> Result<Self> {
        let [n_in, n_out] = layer.weight.val().dims();
        let read = |d: TensorData| d.try_to_vec::<f32>().map_err(|e| EncodingError::Backend(format!("tensor is not f32: {e:?}")));
        Ok(Self { n_in, n_out, weight: read(layer.weight.val().into_data())?, bias: read(layer.bias.val().into_data())? })
    }

    /// Uploads the layer to `device`.
    pub fn to_dense(&self, device: &Device) -> DenseLayer {
        DenseLayer {
            weight: Param::from_tensor(Tensor::from_data(TensorData::new(self.weight.clone(), [self.n_in, self.n_out]), device)),
            bias: Param::from_tensor(Tensor::from_data(TensorData::new(self.bias.clone(), [self.n_out]), device)),
        }
    }
}

/// Whether the fused host kernels (the value network's ascent, the child trainer's loops) run
/// their AVX2 + FMA build: the CPU has both, and `ARCHINFER_NO_SIMD` is unset or `0`. The
/// variable switches archinfer's own AVX2 code off, to run and test the portable build on a CPU
/// that has AVX2 (the `gemm` crate the trainer calls picks its own kernels). Read once.
pub fn host_simd_available() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        if std::env::var_os("ARCHINFER_NO_SIMD").is_some_and(|v| v != "0") {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}
