//! Errors of the value-network crate.

use archinfer_encoding::EncodingError;
use archinfer_metafeatures::MetaError;

/// What can go wrong building, training, saving or loading a value network.
#[derive(Debug, thiserror::Error)]
pub enum DvnError {
    /// A setting out of range, named.
    #[error("{setting} = {value}: expected {expected}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// A preset name that does not exist.
    #[error("unknown preset `{0}` (expected paper or task-aware)")]
    UnknownPreset(String),
    /// An override (`--dvn-set`) that cannot be applied.
    #[error("override `{setting}`: {problem}")]
    Override {
        /// The setting (or the whole pair, when it has no `=`).
        setting: String,
        /// What is wrong.
        problem: String,
    },
    /// Fitting without any training task.
    #[error("no training tasks")]
    NoTasks,
    /// A training task with too few recorded children.
    #[error("task `{task}` has {got} children with values; at least {needed} are needed")]
    TooFewChildren {
        /// The task.
        task: String,
        /// Children it has (with as many values).
        got: usize,
        /// Children needed.
        needed: usize,
    },
    /// Encodings of another length than the space's.
    #[error("encoding of length {got} for a space of {expected}")]
    ULength {
        /// The space's length.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// An input the network's meta-features need is missing (the task, its samples, its
    /// statistics).
    #[error("this network needs {0}")]
    Needs(&'static str),
    /// A task embedding or statistics of another width than the network reads.
    #[error("{what} of width {got} for a network reading {expected}")]
    Width {
        /// What was given.
        what: &'static str,
        /// The width the network reads.
        expected: usize,
        /// The width given.
        got: usize,
    },
    /// The tasks' samples lack the embedding module the meta-features read.
    #[error("task `{task}` has no embedding module `{module}` for the meta-features (it has: {have})")]
    NoSampleModule {
        /// The task.
        task: String,
        /// The module asked for.
        module: String,
        /// The modules it has.
        have: String,
    },
    /// More training tasks than the task identity has slots, or an identity out of range.
    #[error("task identity {index} for a network with {width} identities")]
    TaskIdentity {
        /// The identity (or the number of tasks).
        index: usize,
        /// Identities the network has.
        width: usize,
    },
    /// Two series that cannot be compared (lengths, fewer than two values, non-finite values).
    #[error("series of lengths {a} and {b} (need equal lengths ≥ 2 and finite values)")]
    Series {
        /// First length.
        a: usize,
        /// Second length.
        b: usize,
    },
    /// The tensor backend failed (values not f32): a bug, not a problem of the input.
    #[error("backend: {0}")]
    Backend(String),
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
