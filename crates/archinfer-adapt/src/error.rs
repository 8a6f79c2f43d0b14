//! Errors of the adaptation crate.

/// What can go wrong when adapting to a new task.
#[derive(Debug, thiserror::Error)]
pub enum AdaptError {
    /// No candidates to choose from.
    #[error("no candidates to choose from")]
    NoCandidates,
    /// A budget of zero trainings.
    #[error("a budget of 0 trainings: at least 1 is needed")]
    ZeroBudget,
    /// More trainings than distinct candidates.
    #[error("a budget of {budget} trainings is larger than the {candidates} distinct candidates the space offers for this task")]
    BudgetTooLarge {
        /// Trainings asked for.
        budget: usize,
        /// Distinct candidates.
        candidates: usize,
    },
    /// A candidate index past the candidates.
    #[error("candidate {index} of {candidates}")]
    UnknownCandidate {
        /// The index given.
        index: usize,
        /// How many there are.
        candidates: usize,
    },
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
    /// Candidates described inconsistently (codes of different lengths, a non-finite value).
    #[error("bad candidates: {0}")]
    BadCandidates(String),
    /// An observed accuracy that is not a number in [0, 1].
    #[error("observed accuracy {0} is not in [0, 1]")]
    BadObservation(f64),
    /// The value network failed.
    #[error(transparent)]
    Infer(#[from] archinfer_infer::InferError),
    /// An architecture that does not fit the space.
    #[error(transparent)]
    Encoding(#[from] archinfer_encoding::EncodingError),
    /// A child could not be trained at all.
    #[error(transparent)]
    Train(#[from] archinfer_train::TrainError),
    /// Whoever records or shows the trials refused one (a store failure, say).
    #[error("recording a trial: {0}")]
    Record(String),
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, AdaptError>;
