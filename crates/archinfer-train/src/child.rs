//! What a child training takes and gives: the child to train, the outcome, and the
//! [`ChildTrainer`] trait.

use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, Encoding};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::prepared::PreparedTask;

/// Which child to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChildSpec {
    /// The plain MLP of a discrete architecture (fast path).
    Discrete(DiscreteArchitecture),
    /// The continuous network of Eq. (4) at a fixed relaxed encoding `u`.
    Continuous {
        /// The space the encoding lives in.
        space: ArchitectureSpace,
        /// The architecture logits; the network is trained at `u = relax(logits)`.
        encoding: Encoding,
    },
}

/// How a training ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    /// Trained for every epoch.
    Done,
    /// Stopped early; the reason says why (for example a NaN loss).
    Failed {
        /// Why the run stopped.
        reason: String,
    },
}

/// The result of one child training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Accuracy on the validation split (the value network's target); 0 for a failed run.
    pub val_accuracy: f32,
    /// Accuracy on the test split; 0 for a failed run.
    pub test_accuracy: f32,
    /// Mean training loss of the last epoch run.
    pub final_loss: f32,
    /// Wall-clock seconds, data preparation excluded.
    pub seconds: f64,
    /// Trainable parameters of the child.
    pub num_params: usize,
    /// Epochs completed.
    pub epochs_run: usize,
    /// Done or failed.
    #[serde(flatten)]
    pub status: Status,
}

impl Outcome {
    /// Whether the run completed.
    pub fn is_done(&self) -> bool {
        self.status == Status::Done
    }
}

/// Trains children. Implementations decide the optimiser and schedule; the experiment
/// database only needs an [`Outcome`] per `(child, task, seed)`.
pub trait ChildTrainer {
    /// Trains `child` on `task` from initial weights and batch order drawn from `seed`.
    ///
    /// # Errors
    /// When the child cannot be trained on the task at all (mismatched modules or classes, bad
    /// settings). Divergence is not an error but an [`Outcome`] with [`Status::Failed`].
    fn train(&self, child: &ChildSpec, task: &PreparedTask, seed: u64) -> Result<Outcome>;
}
