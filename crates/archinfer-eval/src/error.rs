//! Errors of the diagnostics crate.

use archinfer_dvn::DvnError;

/// What can go wrong running a diagnostic.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// An input the diagnostic cannot use (too few tasks or children, mismatched lengths).
    #[error("{0}")]
    Invalid(String),
    /// A task recorded without its samples.
    #[error("task `{0}` has no samples in the database; add them with `archinfer suite add` (for a suite task) or re-add the task")]
    NoSamples(String),
    /// Task samples in an encoding this build cannot read.
    #[error("task `{task}` is stored as `{format}`, which this build cannot read")]
    Format {
        /// Task name.
        task: String,
        /// The stored format.
        format: String,
    },
    /// The experiment store failed.
    #[error(transparent)]
    Store(#[from] archinfer_store::StoreError),
    /// Task data could not be read or built.
    #[error(transparent)]
    Data(#[from] archinfer_data::DataError),
    /// A child could not be trained.
    #[error(transparent)]
    Train(#[from] archinfer_train::TrainError),
    /// An architecture could not be encoded.
    #[error(transparent)]
    Encoding(#[from] archinfer_encoding::EncodingError),
    /// Fitting or running a value network failed.
    #[error(transparent)]
    Dvn(#[from] DvnError),
}

/// Result alias of this crate.
pub type Result<T, E = EvalError> = std::result::Result<T, E>;
