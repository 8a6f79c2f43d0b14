//! Errors of the diagnostics crate.

use archinfer_dvn::DvnError;

/// What can go wrong running a diagnostic.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// An input the diagnostic cannot use (too few tasks or children, mismatched lengths).
    #[error("{0}")]
    Invalid(String),
    /// Fitting or running a value network failed.
    #[error(transparent)]
    Dvn(#[from] DvnError),
}

/// Result alias of this crate.
pub type Result<T, E = EvalError> = std::result::Result<T, E>;
