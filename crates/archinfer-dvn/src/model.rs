//! The deep value network `v(u, z) = ρ([u, z])`, with `z` either concatenated into `ρ`'s first
//! layer (the paper) or also modulating every hidden layer of `ρ` (FiLM).

use archinfer_encoding::{ArchitectureSpace, DenseLayer};
use archinfer_metafeatures::{DeepSets, DeepSetsConfig, MetaFeatures, STAT_DIM};
use burn::config::Config;
use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::error::{DvnError, Result};

/// How the task embedding `z` enters the regressor `ρ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interaction {
    /// `ρ([u, z])`: `z` concatenated to `u` into the first layer only (the paper). `z` can
    /// shift a hidden unit's threshold but not how strongly it responds to `u`.
    #[default]
    Concat,
    /// Feature-wise linear modulation: every hidden layer `h = relu((W x + b) ⊙ (1 + γ(z)) +
    /// β(z))`, with `γ`, `β` linear in `z`. `z` rescales and shifts each unit, so the ranking of
    /// architectures can change with the task. For a fixed `z` it is still a plain MLP in `u`
    /// ([`Dvn::folded_layers`]), so the fused ascent runs it unchanged.
    Film,
}

impl std::fmt::Display for Interaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interaction::Concat => "concat",
            Interaction::Film => "film",
        })
    }
}

/// One dense layer of a value network on the host, `y = x · weight + bias` with `weight`
/// row-major `[n_in, n_out]`: what [`Dvn::folded_layers`] returns.
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
    /// Copies a burn [`DenseLayer`] to the host.
    ///
    /// # Errors
    /// [`DvnError::Invalid`] if the tensors cannot be read as `f32`.
    pub fn from_dense(layer: &DenseLayer) -> Result<Self> {
        let [n_in, n_out] = layer.weight.val().dims();
        Ok(Self { n_in, n_out, weight: host(layer.weight.val())?, bias: host(layer.bias.val())? })
    }
}

pub(crate) fn host<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data().try_to_vec::<f32>().map_err(|e| DvnError::Invalid(format!("tensor is not f32: {e:?}")))
}

/// Predicts how well architectures do on a task.
pub trait ValueModel {
    /// Length of the encodings `u` it takes.
    fn u_dim(&self) -> usize;

    /// Predicted (per-task normalised) values of architectures `u` `[B, u_dim]` on the task
    /// whose embedding is `z` `[1, z_dim]` (`None` for a model without meta-features) → `[B]`.
    fn value(&self, u: Tensor<2>, z: Option<Tensor<2>>) -> Tensor<1>;
}

/// Configuration of a [`Dvn`].
#[derive(Config, Debug)]
pub struct DvnConfig {
    /// The architecture space of `u`.
    pub space: ArchitectureSpace,
    /// Which meta-features feed `ρ`.
    pub meta: MetaFeatures,
    /// Feature dimension of the embedding module the DeepSets tower reads.
    pub sample_dim: usize,
    /// One-hot label width of the tower (largest class count).
    #[config(default = 10)]
    pub max_classes: usize,
    /// Width of `φ`'s hidden layer (paper 50).
    #[config(default = 50)]
    pub phi_hidden: usize,
    /// Width of the learned embedding (paper 50).
    #[config(default = 50)]
    pub z_dim: usize,
    /// Width of `ρ`'s first layer (paper 50).
    #[config(default = 50)]
    pub rho_hidden1: usize,
    /// Width of `ρ`'s second layer (paper 10).
    #[config(default = 10)]
    pub rho_hidden2: usize,
    /// Seed of the initial weights.
    #[config(default = 0)]
    pub seed: u64,
    /// How `z` enters `ρ` (paper: concatenation).
    #[config(default = "Interaction::Concat")]
    pub interaction: Interaction,
    /// Append `log10` of the task's number of training samples to the learned embedding. The
    /// paper's Eq. (1) pools by a sum, which carries the set's size; the tower here pools by a
    /// mean (so `z` is on one scale for any batch) and this restores the size as one number.
    #[config(default = false)]
    pub log_size: bool,
    /// Width of a one-hot task identity appended to `z` (0: none). The `i`-th training task
    /// gets identity `i`; no new task has one, so this serves the ceiling diagnostic only.
    #[config(default = 0)]
    pub task_id_dim: usize,
}

impl DvnConfig {
    /// Width of `z` that `ρ` sees: the learned embedding and / or the statistical features.
    pub fn z_width(&self) -> usize {
        let mut w = self.extra_width();
        if self.meta.learned() {
            w += self.z_dim;
        }
        w
    }

    /// Width of the host-computed part of `z` that follows the tower's output: the size
    /// feature, the statistical features and the task identity, in that order.
    pub fn extra_width(&self) -> usize {
        let mut w = self.task_id_dim;
        if self.meta.learned() && self.log_size {
            w += 1;
        }
        if self.meta.statistical() {
            w += STAT_DIM;
        }
        w
    }

    /// Builds the network.
    ///
    /// # Errors
    /// [`DvnError::Invalid`] for zero-width layers.
    pub fn init(&self, device: &Device) -> Result<Dvn> {
        if [self.phi_hidden, self.z_dim, self.rho_hidden1, self.rho_hidden2, self.sample_dim, self.max_classes]
            .contains(&0)
        {
            return Err(DvnError::Invalid(format!("zero-width layer in {self:?}")));
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let phi = self.meta.learned().then(|| {
            DeepSetsConfig::new(self.sample_dim, self.max_classes)
                .with_hidden(self.phi_hidden)
                .with_out(self.z_dim)
                .with_seed(self.seed ^ 0xdee9_5e75)
                .init(device)
        });
        let zw = self.z_width();
        let d_in = self.space.dim() + zw;
        let l1 = DenseLayer::seeded(d_in, self.rho_hidden1, &mut rng, device);
        let l2 = DenseLayer::seeded(self.rho_hidden1, self.rho_hidden2, &mut rng, device);
        let out = DenseLayer::seeded(self.rho_hidden2, 1, &mut rng, device);
        let film = |width: usize, rng: &mut StdRng| {
            (self.interaction == Interaction::Film && zw > 0).then(|| DenseLayer::seeded(zw, 2 * width, rng, device))
        };
        let film1 = film(self.rho_hidden1, &mut rng);
        let film2 = film(self.rho_hidden2, &mut rng);
        Ok(Dvn { phi, l1, l2, out, film1, film2, meta: self.meta, u_dim: self.space.dim(), extra: self.extra_width() })
    }
}

/// The deep value network: an optional DeepSets tower `φ` and the regressor `ρ`
/// (dense 50 → ReLU → dense 10 → ReLU → dense 1 with the paper's widths).
#[derive(Module, Debug)]
pub struct Dvn {
    /// The learned task tower, when [`MetaFeatures::learned`].
    pub phi: Option<DeepSets>,
    /// First layer of `ρ`.
    pub l1: DenseLayer,
    /// Second layer of `ρ`.
    pub l2: DenseLayer,
    /// Output layer of `ρ`.
    pub out: DenseLayer,
    /// `z → [γ₁, β₁]` modulating the first hidden layer ([`Interaction::Film`]).
    pub film1: Option<DenseLayer>,
    /// `z → [γ₂, β₂]` modulating the second hidden layer ([`Interaction::Film`]).
    pub film2: Option<DenseLayer>,
    #[module(skip)]
    meta: MetaFeatures,
    #[module(skip)]
    u_dim: usize,
    #[module(skip)]
    extra: usize,
}

impl Dvn {
    /// Which meta-features the network uses.
    pub fn meta(&self) -> MetaFeatures {
        self.meta
    }

    /// The task embedding `z` `[1, z_width]` from a batch of samples `[N, sample_dim +
    /// max_classes]` (needed for learned meta-features) and the host-computed rest of `z`
    /// `[1, extra_width]` (the size feature, standardised statistical features and task
    /// identity, as [`DvnConfig::extra_width`] lists them); `None` for a network without
    /// meta-features.
    ///
    /// # Errors
    /// [`DvnError::Invalid`] when an input the variant needs is missing.
    pub fn embed(&self, samples: Option<Tensor<2>>, extra: Option<Tensor<2>>) -> Result<Option<Tensor<2>>> {
        let mut parts = Vec::new();
        if let Some(phi) = &self.phi {
            let s = samples.ok_or_else(|| DvnError::Invalid("learned meta-features need task samples".into()))?;
            parts.push(phi.forward(s));
        }
        if self.extra > 0 {
            let e = extra.ok_or_else(|| DvnError::Invalid("this network needs task statistics in z".into()))?;
            if e.dims()[1] != self.extra {
                return Err(DvnError::Invalid(format!("{} task statistics for a network taking {}", e.dims()[1], self.extra)));
            }
            parts.push(e);
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Tensor::cat(parts, 1)),
        })
    }

    /// `ρ([u, z])`: `u` `[B, u_dim]`, `z` `[1, z_width]` (broadcast over the batch) → `[B]`.
    /// With [`Interaction::Film`], each hidden pre-activation `a` `[B, h]` becomes
    /// `a ⊙ (1 + γ(z)) + β(z)` before the ReLU.
    pub fn forward(&self, u: Tensor<2>, z: Option<Tensor<2>>) -> Tensor<1> {
        let b = u.dims()[0];
        let (x, zz) = match z {
            Some(z) => {
                let w = z.dims()[1];
                (Tensor::cat(vec![u, z.clone().expand([b, w])], 1), Some(z))
            }
            None => (u, None),
        };
        let modulate = |a: Tensor<2>, film: &Option<DenseLayer>| match (film, &zz) {
            (Some(f), Some(z)) => {
                let h = a.dims()[1];
                let gb = f.forward(z.clone());
                let gamma = gb.clone().slice([0..1, 0..h]).add_scalar(1.0);
                let beta = gb.slice([0..1, h..2 * h]);
                a * gamma.expand([b, h]) + beta.expand([b, h])
            }
            _ => a,
        };
        let h1 = relu(modulate(self.l1.forward(x), &self.film1));
        let h2 = relu(modulate(self.l2.forward(h1), &self.film2));
        self.out.forward(h2).reshape([b])
    }

    /// `ρ` for one fixed task embedding `z` (`None` without meta-features) as a plain ReLU MLP
    /// over `u` alone: the `z` columns of the first layer folded into its bias, and FiLM's
    /// `γ`, `β` folded into each hidden layer's weights and bias (`W' = W diag(1 + γ)`,
    /// `b' = b ⊙ (1 + γ) + β`). Its value equals [`forward`](Self::forward) for that `z`.
    ///
    /// # Errors
    /// [`DvnError::Invalid`] for a `z` of the wrong width or weights that are not `f32`.
    pub fn folded_layers(&self, z: Option<&[f32]>) -> Result<Vec<HostDense>> {
        let z = z.unwrap_or(&[]);
        let mut first = HostDense::from_dense(&self.l1)?;
        if first.n_in != self.u_dim + z.len() {
            return Err(DvnError::Invalid(format!("z of width {} for a network reading {}", z.len(), first.n_in - self.u_dim)));
        }
        let h1 = first.n_out;
        let mut bias = first.bias.clone();
        for (i, zi) in z.iter().enumerate() {
            for (j, b) in bias.iter_mut().enumerate() {
                *b += zi * first.weight[(self.u_dim + i) * h1 + j];
            }
        }
        first.weight.truncate(self.u_dim * h1);
        first.bias = bias;
        first.n_in = self.u_dim;
        let mut second = HostDense::from_dense(&self.l2)?;
        for (layer, film) in [(&mut first, &self.film1), (&mut second, &self.film2)] {
            let Some(f) = film else { continue };
            let f = HostDense::from_dense(f)?;
            let n = layer.n_out;
            let gb: Vec<f32> =
                (0..2 * n).map(|o| f.bias[o] + z.iter().enumerate().map(|(i, zi)| zi * f.weight[i * 2 * n + o]).sum::<f32>()).collect();
            for j in 0..n {
                let s = 1.0 + gb[j];
                for i in 0..layer.n_in {
                    layer.weight[i * n + j] *= s;
                }
                layer.bias[j] = layer.bias[j] * s + gb[n + j];
            }
        }
        Ok(vec![first, second, HostDense::from_dense(&self.out)?])
    }
}

impl ValueModel for Dvn {
    fn u_dim(&self) -> usize {
        self.u_dim
    }

    fn value(&self, u: Tensor<2>, z: Option<Tensor<2>>) -> Tensor<1> {
        self.forward(u, z)
    }
}
