//! The one error type of the crate.

/// What can go wrong when fitting or applying a classic model.
///
/// Every check on user input returns one of these; nothing in the crate panics on bad input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassicError {
    /// No term occurs in at least `min_df` training documents (all texts empty, or all terms
    /// different), so the TF-IDF design would have no column.
    #[error("empty vocabulary: no term occurs in at least {min_df} training documents")]
    EmptyVocabulary {
        /// The minimum document frequency asked for.
        min_df: usize,
    },
    /// The fitted vocabulary holds more terms than the configured limit.
    #[error("vocabulary too large: {terms} terms kept, the limit is {limit}")]
    VocabularyTooLarge {
        /// Terms kept after the document-frequency cut.
        terms: usize,
        /// The configured `max_terms`.
        limit: usize,
    },
    /// Two inputs that must agree in length do not.
    #[error("length mismatch in {what}: expected {expected}, found {found}")]
    LengthMismatch {
        /// Which quantity disagrees.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A fit, a selection or an accuracy was asked of zero samples.
    #[error("no samples")]
    NoSamples,
    /// A parameter is out of its domain.
    #[error("bad parameter {name} = {value}: {why}")]
    BadParameter {
        /// The parameter's name.
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// The rule it breaks.
        why: &'static str,
    },
    /// A feature value is NaN or infinite.
    #[error("a feature value is NaN or infinite")]
    NonFinite,
    /// A label is not below the number of classes.
    #[error("label {label} is out of range for {classes} classes")]
    BadLabel {
        /// The label found.
        label: u32,
        /// The number of classes.
        classes: usize,
    },
    /// The parts of a sparse matrix do not form a valid CSR matrix.
    #[error("invalid CSR matrix: {why}")]
    BadMatrix {
        /// What is wrong, with the row where there is one.
        why: String,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, ClassicError>;

/// A [`ClassicError::BadParameter`] for `name = value`.
pub(crate) fn bad(
    name: &'static str,
    value: impl std::fmt::Display,
    why: &'static str,
) -> ClassicError {
    ClassicError::BadParameter {
        name,
        value: value.to_string(),
        why,
    }
}

/// Checks that `found == expected`, naming `what` otherwise.
pub(crate) fn same_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(ClassicError::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}
