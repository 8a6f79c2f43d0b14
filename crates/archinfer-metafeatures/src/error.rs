//! Errors of the meta-features crate.

/// What can go wrong computing meta-features.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetaError {
    /// The task has no feature set of that name.
    #[error("task `{task}` has no feature set `{module}`")]
    MissingModule {
        /// Task.
        task: String,
        /// Requested module.
        module: String,
    },
    /// The sample module is sparse (a `tfidf-*` text module): meta-features read a dense one.
    #[error("task `{task}`: module `{module}` is sparse; meta-features read a dense module (a smaller one of the space)")]
    SparseModule {
        /// Task.
        task: String,
        /// Requested module.
        module: String,
    },
    /// The task has more classes than the tower's one-hot label width.
    #[error("task `{task}` has {classes} classes; the tower takes at most {max}")]
    TooManyClasses {
        /// Task.
        task: String,
        /// Its classes.
        classes: usize,
        /// The tower's maximum.
        max: usize,
    },
    /// A feature dimension that does not match the tower.
    #[error("feature dimension {got} does not match the tower's {expected}")]
    Dim {
        /// Tower input.
        expected: usize,
        /// Given.
        got: usize,
    },
    /// A meta-features variant name that does not exist.
    #[error("unknown meta-features `{0}` (expected none, statistical, learned or both)")]
    UnknownVariant(String),
    /// Rows to standardise: none, or of different lengths.
    #[error("need at least one row, all of one length, to standardise")]
    Rows,
}

/// Result alias of this crate.
pub type Result<T, E = MetaError> = std::result::Result<T, E>;
