//! Errors of the text crate.

/// What can be wrong with text input or a text embedding module.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TextError {
    /// A file or directory that cannot be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        message: String,
    },
    /// Bytes that are not UTF-8.
    #[error("{path}: line {line}: not valid UTF-8")]
    Utf8 {
        /// The file.
        path: String,
        /// 1-based line of the first invalid byte.
        line: usize,
    },
    /// A CSV without the text or label column asked for.
    #[error("{path}: no column `{column}` (columns: {available})")]
    MissingColumn {
        /// The file.
        path: String,
        /// The column asked for.
        column: String,
        /// The header's columns.
        available: String,
    },
    /// A sample whose text is empty (or only white space).
    #[error("{path}: line {line}: empty text")]
    EmptyText {
        /// The file.
        path: String,
        /// 1-based line where the record starts.
        line: usize,
    },
    /// A sample without a label.
    #[error("{path}: line {line}: empty label")]
    EmptyLabel {
        /// The file.
        path: String,
        /// 1-based line where the record starts.
        line: usize,
    },
    /// Data with fewer than two classes.
    #[error("{path}: only {classes} class(es) ({names}); a task needs at least two")]
    SingleClass {
        /// The file or directory.
        path: String,
        /// Classes found.
        classes: usize,
        /// Their names.
        names: String,
    },
    /// A malformed CSV record (unequal field counts, an unclosed quote …).
    #[error("{path}: line {line}: {message}")]
    Csv {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file without any sample.
    #[error("{path}: no samples")]
    NoSamples {
        /// The file or directory.
        path: String,
    },
    /// Embedding weights or a tokenizer that cannot be used.
    #[error("{path}: {message}")]
    Asset {
        /// The asset file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A module setting that cannot work (a width above the weights').
    #[error("module {module}: {message}")]
    Setting {
        /// The module.
        module: String,
        /// What is wrong.
        message: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = TextError> = std::result::Result<T, E>;
