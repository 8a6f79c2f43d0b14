//! # archinfer-metafeatures
//!
//! Task meta-features `z` (paper section 3.1):
//!
//! - [`DeepSets`], the learned tower: `φ` (two dense layers, 50 units each in the paper) is
//!   applied to every sample's features *and* one-hot label, and the results are averaged, so
//!   the embedding does not depend on the order of the samples. The mean, not the sum of Eq. (1),
//!   keeps `z` on the same scale for tasks of 500 and of 10,000 samples and for batches of any
//!   size, so a batch is an unbiased estimate of the whole task's embedding.
//! - [`statistical_features`]: samples, classes, class distribution and entropy, feature
//!   statistics, mutual information of features with the label; [`Standardizer`] scales them
//!   across training tasks.
//!
//! [`TaskEncoder`] turns a task into its embedding `z` ([`StatisticalEncoder`] here, a trained
//! value network in `archinfer-dvn`); [`MetaFeatures`] says which kinds a value network uses.
//!
//! ```
//! use archinfer_data::Blobs;
//! use archinfer_metafeatures::{DeepSetsConfig, SampleBatch, StatisticalEncoder, TaskEncoder};
//! use burn::tensor::Device;
//! use rand::SeedableRng;
//! let device = Device::default();
//! let task = Blobs::new(3, 90, 4).task().unwrap();
//! let tower = DeepSetsConfig::new(4, 10).init(&device);
//! let mut rng = rand::rngs::StdRng::seed_from_u64(0);
//! let batch = SampleBatch::sample(&task, "raw", 10, 32, &mut rng).unwrap();
//! let z = tower.forward(batch.to_tensor(&device));
//! assert_eq!(z.dims(), [1, 50]);
//! let stats = StatisticalEncoder { module: "raw".into() };
//! assert_eq!(stats.encode_task(&task).unwrap().len(), stats.z_dim());
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod deepsets;
mod error;
mod stats;

pub use deepsets::{DeepSets, DeepSetsConfig, SampleBatch, TaskEncoder};
pub use error::{MetaError, Result};
pub use stats::{STAT_DIM, STAT_NAMES, Standardizer, StatisticalEncoder, statistical_features};

use serde::{Deserialize, Serialize};

/// Which meta-features a value network sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetaFeatures {
    /// None: `v(u)` only.
    None,
    /// Precomputed statistical meta-features.
    Statistical,
    /// The learned DeepSets embedding.
    Learned,
    /// Both, concatenated.
    Both,
}

impl MetaFeatures {
    /// Whether the learned tower is used.
    pub fn learned(self) -> bool {
        matches!(self, MetaFeatures::Learned | MetaFeatures::Both)
    }

    /// Whether statistical features are used.
    pub fn statistical(self) -> bool {
        matches!(self, MetaFeatures::Statistical | MetaFeatures::Both)
    }

    /// All variants, in the order results tables list them.
    pub const ALL: [MetaFeatures; 4] =
        [MetaFeatures::None, MetaFeatures::Statistical, MetaFeatures::Learned, MetaFeatures::Both];
}

impl std::fmt::Display for MetaFeatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MetaFeatures::None => "none",
            MetaFeatures::Statistical => "statistical",
            MetaFeatures::Learned => "learned",
            MetaFeatures::Both => "learned+statistical",
        })
    }
}

impl std::str::FromStr for MetaFeatures {
    type Err = MetaError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "none" => MetaFeatures::None,
            "statistical" | "stats" => MetaFeatures::Statistical,
            "learned" => MetaFeatures::Learned,
            "both" | "learned+statistical" => MetaFeatures::Both,
            other => return Err(MetaError::UnknownVariant(other.to_string())),
        })
    }
}
