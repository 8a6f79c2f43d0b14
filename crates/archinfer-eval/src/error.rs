//! Errors of the evaluations crate.

use archinfer_dvn::DvnError;

/// What can go wrong running an evaluation or a diagnostic.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Too few tasks for the diagnostic.
    #[error("need at least {needed} tasks, got {got}")]
    TooFewTasks {
        /// Tasks needed.
        needed: usize,
        /// Tasks given.
        got: usize,
    },
    /// A task with too few recorded children (or encodings and values of different counts).
    #[error("task `{task}` has {got} children with one value each; at least {needed} are needed")]
    TooFewChildren {
        /// The task.
        task: String,
        /// Children with a value.
        got: usize,
        /// Children needed.
        needed: usize,
    },
    /// z-swap without another task's embedding.
    #[error("z-swap needs at least one other task's embedding")]
    NoOtherTasks,
    /// A task recorded without its samples.
    #[error("task `{0}` has no samples in the database; add them with `archinfer suite add` (for a suite task) or re-add the task")]
    NoSamples(String),
    /// A row of a pool matrix that is missing, of the wrong length or not finite.
    #[error("pool results of task `{task}`: expected {expected} finite validation and test accuracies")]
    PoolRow {
        /// Task name.
        task: String,
        /// Configs in the pool.
        expected: usize,
    },
    /// A task name the store does not know.
    #[error("no task `{0}` in the database")]
    UnknownTask(String),
    /// A run log that cannot be read or written.
    #[error("{path}: {message}")]
    RunLog {
        /// The log file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A comparison setting out of range.
    #[error("invalid comparison setting: {0}")]
    BadOptions(String),
    /// The experiment store failed.
    #[error(transparent)]
    Store(#[from] archinfer_store::StoreError),
    /// Task data could not be read or built.
    #[error(transparent)]
    Data(#[from] archinfer_data::DataError),
    /// An architecture could not be encoded.
    #[error(transparent)]
    Encoding(#[from] archinfer_encoding::EncodingError),
    /// A child could not be trained.
    #[error(transparent)]
    Train(#[from] archinfer_train::TrainError),
    /// Inference failed.
    #[error(transparent)]
    Infer(#[from] archinfer_infer::InferError),
    /// Meta-features could not be computed.
    #[error(transparent)]
    Meta(#[from] archinfer_metafeatures::MetaError),
    /// Fitting or running a value network failed.
    #[error(transparent)]
    Dvn(#[from] DvnError),
    /// Few-shot adaptation failed.
    #[error(transparent)]
    Adapt(#[from] archinfer_adapt::AdaptError),
    /// A classic model outside the space could not be trained on a task (an empty vocabulary,
    /// one over the limit, a bad label).
    #[error("task `{task}`: {source}")]
    Classic {
        /// The task.
        task: String,
        /// What went wrong.
        source: archinfer_classic::ClassicError,
    },
    /// An error about a database, named with it.
    #[error("{db}: {source}")]
    In {
        /// The database.
        db: String,
        /// What went wrong.
        source: Box<EvalError>,
    },
    /// The application failed: reading data, records, settings, the pool, a fitted model.
    #[error(transparent)]
    App(#[from] archinfer_app::AppError),
}

/// Result alias of this crate.
pub type Result<T, E = EvalError> = std::result::Result<T, E>;
