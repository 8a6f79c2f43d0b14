//! Errors of the training crate.

use archinfer_data::DataError;
use archinfer_encoding::EncodingError;

/// What can stop a training before it starts. (A loss that turns NaN during training is not an
/// error: it ends the run as a failed [`Outcome`](crate::Outcome).)
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A training setting out of range, named.
    #[error("training setting {setting} = {value}: expected {expected}")]
    Config {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// The architecture does not fit the space or the task.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// The task is invalid.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The task has no feature set for an embedding module the child reads.
    #[error("task `{task}` has no feature set for embedding module `{module}`")]
    MissingModule {
        /// Task name.
        task: String,
        /// Embedding module name.
        module: String,
    },
    /// The task's feature set has another dimension than the space's embedding module.
    #[error("task `{task}`: module `{module}` has {got} features, the space says {expected}")]
    ModuleDim {
        /// Task name.
        task: String,
        /// Module name.
        module: String,
        /// Dimension the space declares.
        expected: usize,
        /// Dimension the task has.
        got: usize,
    },
    /// A sparse module (`tfidf-*`) asked for where only dense input works: a continuous
    /// (relaxed) child mixes every module's first layer, which at a sparse module's declared
    /// width would not fit in memory.
    #[error("task `{task}`: module `{module}` is sparse; a relaxed child over every module cannot read it (train discrete children, or leave the module out of the space)")]
    SparseModule {
        /// Task name.
        task: String,
        /// Module name.
        module: String,
    },
    /// The task has more classes than the network was built for, or fewer than two.
    #[error("task `{task}` has {got} classes, the child needs {expected}")]
    Classes {
        /// Task name.
        task: String,
        /// Classes expected.
        expected: usize,
        /// Classes present.
        got: usize,
    },
}

/// Result alias of this crate.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;
