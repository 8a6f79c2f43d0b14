//! Errors of the inference crate.

/// What can go wrong in inference.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// A setting out of range, named (an ascent setting, λ, a ranking …).
    #[error("{setting} = {value}: expected {expected}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// Encodings, a model or a space of different `u` lengths.
    #[error("u of length {got} where {expected} is needed")]
    ULength {
        /// The length needed.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A task with fewer than two classes.
    #[error("a task needs at least 2 classes, got {0}")]
    TooFewClasses(usize),
    /// A network the fused path cannot pack (weights of the wrong shape, non-finite weights
    /// or task embedding).
    #[error("cannot pack the value network: {0}")]
    Pack(String),
    /// Value networks that cannot be climbed together.
    #[error("incompatible ensemble: {0}")]
    Ensemble(&'static str),
    /// A proposal without candidates.
    #[error("a proposal without candidates")]
    NoCandidates,
    /// A budget scorer that returned another number of values than asked for.
    #[error("the scorer returned {got} scores for {expected} architectures")]
    ScoreCount {
        /// Architectures scored.
        expected: usize,
        /// Scores returned.
        got: usize,
    },
    /// The tensor backend failed (values not f32, no gradient, a thread lost): a bug, not a
    /// problem of the input.
    #[error("backend: {0}")]
    Backend(String),
    /// No architecture of the space fits the parameter budget.
    #[error("no architecture fits {max_params} parameters (the smallest has {smallest})")]
    Budget {
        /// The budget asked for.
        max_params: usize,
        /// Parameters of the smallest architecture of the space.
        smallest: usize,
    },
    /// An encoding problem.
    #[error(transparent)]
    Encoding(#[from] archinfer_encoding::EncodingError),
    /// A value-network problem (embedding a task, loading a model).
    #[error(transparent)]
    Dvn(#[from] archinfer_dvn::DvnError),
    /// Reading or writing a file.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = InferError> = std::result::Result<T, E>;
