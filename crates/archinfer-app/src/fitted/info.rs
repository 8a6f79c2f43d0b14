//! What a fitted model's directory says of it: [`FITTED_FILE`] with the task, the modality,
//! the module, the split, the recipe and every candidate trained.

use archinfer_data::Modality;
use archinfer_encoding::DiscreteArchitecture;
use archinfer_train::TrainConfig;
use serde::{Deserialize, Serialize};

/// What a fitted model's directory says about it.
pub const FITTED_FILE: &str = "fitted.json";
/// The kept network's architecture.
pub const ARCHITECTURE_FILE: &str = "architecture.json";
/// The kept network's weights.
pub const WEIGHTS_FILE: &str = "model.bpk";
/// The vocabulary and idf of a sparse text module (`tfidf-*`), when the network reads one.
pub const VOCABULARY_FILE: &str = "vocabulary.json";
/// The column schema of a model fitted on a table (names, types, kept levels, training
/// statistics): `predict` prepares new rows with it exactly as in training.
pub const SCHEMA_FILE: &str = "schema.json";

/// What [`FITTED_FILE`] holds: the network, what it reads and how it was trained.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedInfo {
    /// Task name.
    pub task: String,
    /// The network.
    pub architecture: DiscreteArchitecture,
    /// What it reads (files written before texts existed: images).
    #[serde(default = "images")]
    pub modality: Modality,
    /// The embedding module it reads (one of the default image or text modules, at
    /// `modules_version`).
    pub module: String,
    /// Version of the embedding modules.
    pub modules_version: u32,
    /// Image side the module reads.
    pub side: usize,
    /// Output index → class name, as the training data spelled it.
    pub class_names: Vec<String>,
    /// Validation accuracy of the kept network.
    pub val_accuracy: f32,
    /// Test accuracy of the kept network.
    pub test_accuracy: f32,
    /// Train / validation / test fractions and seed of the split it was trained on.
    pub split: ([f64; 3], u64),
    /// The child training settings of the kept network.
    pub train_config: TrainConfig,
    /// Every candidate trained.
    pub candidates: Vec<CandidateRow>,
}

fn images() -> Modality {
    Modality::Images
}

/// One trained candidate, as [`FITTED_FILE`] lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateRow {
    /// One-line architecture.
    pub architecture: String,
    /// Parameters for the task.
    pub params: usize,
    /// The value network's prediction.
    pub predicted: f32,
    /// Validation accuracy.
    pub val_accuracy: f32,
    /// Test accuracy.
    pub test_accuracy: f32,
    /// Training seconds.
    pub seconds: f64,
    /// Whether training completed.
    pub done: bool,
}

impl CandidateRow {
    /// The row of `arch` (with `params` parameters and predicted value `predicted`) trained to
    /// `outcome`.
    pub fn trained(arch: &archinfer_encoding::DiscreteArchitecture, params: usize, predicted: f32, outcome: &archinfer_train::Outcome) -> Self {
        Self {
            architecture: arch.to_string(),
            params,
            predicted,
            val_accuracy: outcome.val_accuracy,
            test_accuracy: outcome.test_accuracy,
            seconds: outcome.seconds,
            done: outcome.is_done(),
        }
    }
}

