//! Errors of the encoding crate.

/// Everything that can go wrong when building a space, an encoding or a child network.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodingError {
    /// The space was given no base-layer widths.
    #[error("the architecture space needs at least one base-layer width")]
    NoWidths,
    /// A base-layer width of zero.
    #[error("base-layer width {index} is zero")]
    ZeroWidth {
        /// Position of the offending width in the list.
        index: usize,
    },
    /// The same width listed twice, which would make two base layers indistinguishable.
    #[error("base-layer width {width} is listed twice")]
    DuplicateWidth {
        /// The repeated width.
        width: usize,
    },
    /// The space was given no activation functions.
    #[error("the architecture space needs at least one activation")]
    NoActivations,
    /// The same activation listed twice.
    #[error("activation {0} is listed twice")]
    DuplicateActivation(String),
    /// Zero parametrized layers.
    #[error("the architecture space needs at least one parametrized layer")]
    NoLayers,
    /// No embedding module to choose from.
    #[error("the architecture space needs at least one embedding module")]
    NoEmbeddings,
    /// An embedding module of zero dimensions.
    #[error("embedding module `{name}` has dimension zero")]
    ZeroEmbeddingDim {
        /// Name of the module.
        name: String,
    },
    /// An embedding module without a name, or two with the same name.
    #[error("embedding module names must be non-empty and unique (got `{0}`)")]
    BadEmbeddingName(String),
    /// A flat vector whose length does not match the space.
    #[error("expected a vector of length {expected} for this space, got {got}")]
    DimMismatch {
        /// Length the space requires.
        expected: usize,
        /// Length that was given.
        got: usize,
    },
    /// An encoding or architecture whose shape does not match the space.
    #[error("{what} does not fit the space: {detail}")]
    ShapeMismatch {
        /// What was checked (`alpha`, `beta`, `gamma`, `architecture`).
        what: &'static str,
        /// Human-readable detail.
        detail: String,
    },
    /// A logit or relaxed value that is NaN or infinite.
    #[error("{what} holds a non-finite value at index {index}")]
    NonFinite {
        /// Which vector.
        what: &'static str,
        /// Position of the first bad value.
        index: usize,
    },
    /// A network asked for zero output classes.
    #[error("a child network needs at least two classes, got {0}")]
    TooFewClasses(usize),
    /// Inputs handed to a child network that do not match its embedding modules.
    #[error("child network input mismatch: {0}")]
    InputMismatch(String),
    /// A training recipe (block, choice or text) the space does not have.
    #[error("bad training recipe: {0}")]
    BadRecipe(String),
    /// Something made for one space version used with another.
    #[error("{what} is for space version {found}; this space is version {expected}")]
    SpaceVersion {
        /// What was checked.
        what: String,
        /// Its version.
        found: u32,
        /// The space's version.
        expected: u32,
    },
    /// An architecture written as text that does not parse in the space.
    #[error("architecture `{text}`: {problem}")]
    Parse {
        /// The text.
        text: String,
        /// What is wrong.
        problem: String,
    },
    /// A tensor could not be read back from the backend.
    #[error("backend: {0}")]
    Backend(String),
    /// JSON (de)serialisation failed.
    #[error("JSON: {0}")]
    Json(String),
}

/// Result alias of this crate.
pub type Result<T, E = EncodingError> = std::result::Result<T, E>;
