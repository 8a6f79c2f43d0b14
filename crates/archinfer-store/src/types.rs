//! The records a store keeps: tasks and their samples, planned trials, trials with their
//! state and result, workers, and the metadata keys.

use serde::{Deserialize, Serialize};

use archinfer_checksum::fnv1a_hex;

use crate::error::{Result, StoreError};

/// A task as the store knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Unique name.
    pub name: String,
    /// The suite it belongs to.
    pub suite: String,
    /// Number of classes.
    pub num_classes: usize,
    /// Training samples.
    pub train: usize,
    /// Validation samples.
    pub validation: usize,
    /// Test samples.
    pub test: usize,
    /// How the task was made.
    pub description: String,
}

impl TaskRecord {
    /// A record with sizes and description left empty.
    pub fn new(name: impl Into<String>, suite: impl Into<String>, num_classes: usize) -> Self {
        Self { name: name.into(), suite: suite.into(), num_classes, train: 0, validation: 0, test: 0, description: String::new() }
    }
}

/// A task's samples as the store keeps them: the name of their encoding and its bytes. The
/// store does not read them; it checks them with a content hash on every read, so a damaged
/// record is an error rather than different training data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskData {
    /// Encoding of `bytes`, e.g. `archinfer-data/images-v1`.
    pub format: String,
    /// The encoded samples.
    pub bytes: Vec<u8>,
}

impl TaskData {
    /// Data of `format` holding `bytes`.
    pub fn new(format: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self { format: format.into(), bytes }
    }

    /// The 64-bit FNV-1a hash of the format and the bytes, as 16 hex digits.
    pub fn checksum(&self) -> String {
        fnv1a_hex([self.format.as_bytes(), &[0u8], &self.bytes])
    }
}

/// The database-wide settings a store keeps in its metadata, by key: typed values are read
/// and pinned through `archinfer_eval::DbSettings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaKey {
    /// The architecture space (JSON).
    Space,
    /// The child training recipe (JSON).
    TrainConfig,
    /// Seed of the random children's plan and of the pool.
    PlanSeed,
    /// The suite the database was built from.
    Suite,
    /// The common pool (JSON).
    Pool,
}

impl MetaKey {
    /// The key as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetaKey::Space => "space",
            MetaKey::TrainConfig => "train_config",
            MetaKey::PlanSeed => "plan_seed",
            MetaKey::Suite => "suite",
            MetaKey::Pool => "pool",
        }
    }
}

/// A trial to run: which architecture (opaque JSON to the store) with which seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedTrial {
    /// Position in the task's plan; `(task, trial_index)` is unique.
    pub trial_index: usize,
    /// The architecture, as JSON.
    pub architecture: String,
    /// Training seed.
    pub seed: u64,
}

/// State of a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialStatus {
    /// Not yet claimed.
    Pending,
    /// Claimed by a worker.
    Running,
    /// Trained; result recorded.
    Done,
    /// Training failed; error recorded.
    Failed,
}

impl TrialStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TrialStatus::Pending => "pending",
            TrialStatus::Running => "running",
            TrialStatus::Done => "done",
            TrialStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for an unknown name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => TrialStatus::Pending,
            "running" => TrialStatus::Running,
            "done" => TrialStatus::Done,
            "failed" => TrialStatus::Failed,
            other => {
                return Err(StoreError::Corrupt(format!("unknown trial status `{other}`")));
            }
        })
    }
}

/// What a finished training reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// Validation accuracy.
    pub val_accuracy: f32,
    /// Test accuracy.
    pub test_accuracy: f32,
    /// Training wall time.
    pub seconds: f64,
    /// Parameters of the child.
    pub num_params: usize,
    /// Epochs run.
    pub epochs_run: usize,
}

/// A trial with its state and, once done, its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Store-wide id.
    pub id: i64,
    /// Task name.
    pub task: String,
    /// Position in the task's plan.
    pub trial_index: usize,
    /// Architecture JSON.
    pub architecture: String,
    /// Training seed.
    pub seed: u64,
    /// State.
    pub status: TrialStatus,
    /// Worker that claimed it last.
    pub worker: Option<String>,
    /// Result, for done trials.
    pub result: Option<TrialResult>,
    /// Error, for failed trials.
    pub error: Option<String>,
    /// When it was claimed (ms since the Unix epoch).
    pub claimed_at: Option<i64>,
    /// When it finished (ms since the Unix epoch).
    pub finished_at: Option<i64>,
}

/// A worker as the store last heard of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// The worker's name (`host:pid:thread` for `build-db`).
    pub name: String,
    /// Milliseconds since its last heartbeat or claim, by the store's clock.
    pub silent_ms: i64,
}
