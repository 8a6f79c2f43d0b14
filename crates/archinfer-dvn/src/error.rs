//! Errors of the value-network crate.

use archinfer_encoding::EncodingError;
use archinfer_metafeatures::MetaError;

/// What can go wrong building, training, saving or loading a value network.
#[derive(Debug, thiserror::Error)]
pub enum DvnError {
    /// An invalid setting or input.
    #[error("{0}")]
    Invalid(String),
    /// Meta-features could not be computed.
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// An encoding problem.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// A saved model made for another architecture space.
    #[error("the model was trained for another architecture space ({0})")]
    SpaceMismatch(String),
    /// A model file missing or changed since the model was saved.
    #[error("{path}: {problem}")]
    Tampered {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// File input / output.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = DvnError> = std::result::Result<T, E>;
