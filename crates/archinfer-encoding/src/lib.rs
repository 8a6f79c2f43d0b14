//! # archinfer-encoding
//!
//! The continuous architecture encoding of Kokiopoulou et al., "Fast Task-Aware Architecture
//! Inference", section 3.4, and the child networks it describes.
//!
//! - [`ArchitectureSpace`]: base layers (widths × activations), number of parametrized layers,
//!   embedding modules, and the stable flat layout of the relaxed encoding `u`.
//! - [`Encoding`]: logits `alpha` `[L×P]`, `beta` `[L×2]`, `gamma` `[E]`; relaxation by per-group
//!   softmax ([`Encoding::relaxed`] on the host, [`relax`] on tensors), random one-hot
//!   sampling, argmax discretisation to a [`DiscreteArchitecture`].
//! - [`ChildNetwork`]: the soft network of Eq. (4), differentiable in `u`;
//!   [`DiscreteNetwork`]: the plain MLP of a one-hot architecture.
//!
//! Every network takes a burn [`Device`](burn::tensor::Device): the crate never names a backend.
//!
//! ```
//! use archinfer_encoding::{ArchitectureSpace, DiscreteNetworkConfig, EmbeddingSpec, Encoding};
//! use burn::tensor::{Device, Tensor};
//! use rand::SeedableRng;
//!
//! let space = ArchitectureSpace::paper(vec![
//!     EmbeddingSpec::new("pool7", 16),
//!     EmbeddingSpec::new("pool14", 49),
//! ]).unwrap();
//! let mut rng = rand::rngs::StdRng::seed_from_u64(42);
//! let arch = Encoding::sample_one_hot(&space, &mut rng).discretize(&space).unwrap();
//! println!("{arch} ({} parameters)", arch.num_params(10));
//!
//! let device = Device::default();
//! let net = DiscreteNetworkConfig::new(arch.clone(), 10).with_seed(1).init(&device).unwrap();
//! let x = Tensor::<2>::zeros([8, arch.embedding.dim], &device);
//! assert_eq!(net.forward(x).unwrap().dims(), [8, 10]);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod architecture;
mod child;
mod dense;
mod discrete_network;
mod encoding;
mod error;
mod recipe;
mod relax;
mod space;

pub use architecture::{DiscreteArchitecture, EmbeddingChoice, LayerChoice};
pub use child::{ChildNetwork, ChildNetworkConfig, ParametrizedLayer};
pub use dense::{DenseLayer, HostDense, host_simd_available};
pub use discrete_network::{DiscreteNetwork, DiscreteNetworkConfig};
pub use encoding::{Encoding, ONE_HOT_OFF_LOGIT, relax_flat, softmax_into};
pub use error::{EncodingError, Result};
pub use recipe::{RECIPE_GROUP_NAMES, RECIPE_GROUPS, RecipeChoice, RecipeSpace};
pub use relax::relax;
pub use space::{
    Activation, ArchitectureSpace, BaseLayer, EmbeddingSpec, PAPER_LAYERS, PAPER_WIDTHS,
};
