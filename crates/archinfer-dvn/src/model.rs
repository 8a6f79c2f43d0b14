//! The deep value network `v(u, z) = ρ([u, z])`.

use archinfer_encoding::{ArchitectureSpace, DenseLayer};
use archinfer_metafeatures::{DeepSets, DeepSetsConfig, MetaFeatures, STAT_DIM};
use burn::config::Config;
use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::error::{DvnError, Result};

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
}

impl DvnConfig {
    /// Width of `z` that `ρ` sees: the learned embedding and / or the statistical features.
    pub fn z_width(&self) -> usize {
        let mut w = 0;
        if self.meta.learned() {
            w += self.z_dim;
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
        let d_in = self.space.dim() + self.z_width();
        Ok(Dvn {
            phi,
            l1: DenseLayer::seeded(d_in, self.rho_hidden1, &mut rng, device),
            l2: DenseLayer::seeded(self.rho_hidden1, self.rho_hidden2, &mut rng, device),
            out: DenseLayer::seeded(self.rho_hidden2, 1, &mut rng, device),
            meta: self.meta,
            u_dim: self.space.dim(),
        })
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
    #[module(skip)]
    meta: MetaFeatures,
    #[module(skip)]
    u_dim: usize,
}

impl Dvn {
    /// Which meta-features the network uses.
    pub fn meta(&self) -> MetaFeatures {
        self.meta
    }

    /// The task embedding `z` `[1, z_width]` from a batch of samples `[N, sample_dim +
    /// max_classes]` (needed for learned meta-features) and standardised statistical features
    /// `[1, STAT_DIM]` (needed for statistical ones); `None` for a network without
    /// meta-features.
    ///
    /// # Errors
    /// [`DvnError::Invalid`] when an input the variant needs is missing.
    pub fn embed(&self, samples: Option<Tensor<2>>, stats: Option<Tensor<2>>) -> Result<Option<Tensor<2>>> {
        let mut parts = Vec::new();
        if let Some(phi) = &self.phi {
            let s = samples.ok_or_else(|| DvnError::Invalid("learned meta-features need task samples".into()))?;
            parts.push(phi.forward(s));
        }
        if self.meta.statistical() {
            parts.push(stats.ok_or_else(|| DvnError::Invalid("statistical meta-features need task statistics".into()))?);
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Tensor::cat(parts, 1)),
        })
    }

    /// `ρ([u, z])`: `u` `[B, u_dim]`, `z` `[1, z_width]` (broadcast over the batch) → `[B]`.
    pub fn forward(&self, u: Tensor<2>, z: Option<Tensor<2>>) -> Tensor<1> {
        let b = u.dims()[0];
        let x = match z {
            Some(z) => {
                let w = z.dims()[1];
                Tensor::cat(vec![u, z.expand([b, w])], 1)
            }
            None => u,
        };
        let h = relu(self.l2.forward(relu(self.l1.forward(x))));
        self.out.forward(h).reshape([b])
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
