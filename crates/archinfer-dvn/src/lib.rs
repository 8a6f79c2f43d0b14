//! # archinfer-dvn
//!
//! The deep value network `v(u, z)` of the paper (sections 3.1–3.2): a regressor `ρ` over an
//! architecture encoding `u` and a task embedding `z` (learned by a DeepSets tower from the
//! task's samples, statistical, both or none), trained by Algorithm 1 on per-task normalised
//! validation accuracies, stopped by held-out triplets of the training tasks, saved and loaded
//! together with the space it was trained for. [`spearman`] and [`r_squared`] judge it.
//!
//! ```
//! use archinfer_dvn::{DvnConfig, ValueModel};
//! use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec};
//! use archinfer_metafeatures::MetaFeatures;
//! use burn::tensor::{Device, Tensor};
//! let device = Device::default();
//! let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("pool4", 49)]).unwrap();
//! let dvn = DvnConfig::new(space.clone(), MetaFeatures::None, 49).init(&device).unwrap();
//! let v = dvn.value(Tensor::<2>::zeros([3, space.dim()], &device), None);
//! assert_eq!(v.dims(), [3]);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod batch;
mod checksum;
mod error;
mod metrics;
mod model;
mod recipe;
mod train;
mod train_config;

pub use batch::DvnTask;
pub use checksum::{CHECKSUM_FILE, verify_checksums, write_checksums};
pub use error::{DvnError, Result};
pub use metrics::{r_squared, spearman};
pub use model::{Dvn, DvnConfig, GateLayout, HostDense, Interaction, ValueModel};
pub use recipe::{AUTO_SAMPLE_MODULE, DEFAULT_SAMPLE_MODULE, DvnPreset, Recipe};
pub use train::TrainedDvn;
pub use train_config::{DvnOptimizer, DvnTrainConfig, FitCheck};
