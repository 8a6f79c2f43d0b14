//! Errors of the data crate.

/// What can be wrong with a task.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// A task needs at least one feature set (embedding module).
    #[error("task `{0}` has no feature sets")]
    NoFeatures(String),
    /// A feature set of zero dimensions.
    #[error("feature set `{0}` has dimension zero")]
    ZeroDim(String),
    /// Two feature sets with the same name.
    #[error("feature set `{0}` appears twice")]
    DuplicateFeatureSet(String),
    /// A feature matrix whose size is not `samples × dim`.
    #[error("feature set `{name}` holds {got} values, expected {expected} ({samples} samples × {dim})")]
    LengthMismatch {
        /// Feature set.
        name: String,
        /// Values expected.
        expected: usize,
        /// Values present.
        got: usize,
        /// Number of samples (labels).
        samples: usize,
        /// Feature dimension.
        dim: usize,
    },
    /// A NaN or infinite feature value.
    #[error("feature set `{name}`: sample {row}, feature {col} is not finite")]
    NonFinite {
        /// Feature set.
        name: String,
        /// Sample index.
        row: usize,
        /// Feature index.
        col: usize,
    },
    /// Fewer than two classes.
    #[error("a task needs at least two classes, got {0}")]
    TooFewClasses(usize),
    /// A label not below the number of classes.
    #[error("sample {index} has label {label}, but the task has {num_classes} classes")]
    LabelOutOfRange {
        /// Sample index.
        index: usize,
        /// The label.
        label: u32,
        /// Declared number of classes.
        num_classes: usize,
    },
    /// A split without samples.
    #[error("the {0} split is empty")]
    EmptySplit(&'static str),
    /// A split index past the last sample.
    #[error("the {split} split refers to sample {index}, but the task has {samples}")]
    IndexOutOfRange {
        /// Split name.
        split: &'static str,
        /// The index.
        index: usize,
        /// Number of samples.
        samples: usize,
    },
    /// A sample in two splits (or twice in one).
    #[error("sample {0} appears in more than one split position")]
    Overlap(usize),
    /// Bad split fractions.
    #[error("split fractions must be positive and sum to at most 1, got {0:?}")]
    BadFractions([f64; 3]),
    /// A file could not be opened or read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        message: String,
    },
    /// A file that is not a readable image: empty, not an image, corrupt or truncated.
    #[error("{path}: {message}")]
    BadImage {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A folder of images laid out otherwise than one sub-folder per class (an empty class
    /// folder, a single class, loose files), or without images.
    #[error("{path}: {message}")]
    ImageFolder {
        /// The folder or file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A malformed IDX file.
    #[error("{path}: byte {offset}: {message}")]
    Idx {
        /// The file.
        path: String,
        /// Byte offset (in the decompressed stream) where the problem was found.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A malformed CSV file.
    #[error("{path}: line {line}: {message}")]
    Csv {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Pixel values that are neither in [0, 1] nor whole numbers in 0–255.
    #[error("{path}: sample {sample}, pixel {pixel}: value {value} is neither in [0, 1] nor a whole number in 0–255")]
    PixelRange {
        /// The file.
        path: String,
        /// 0-based sample (row) index.
        sample: usize,
        /// 0-based pixel (column) index.
        pixel: usize,
        /// The value found.
        value: f32,
    },
    /// Image and label files that do not match.
    #[error("{0}")]
    Mismatch(String),
    /// Stored task samples that cannot be decoded.
    #[error("task record: {0}")]
    Bundle(String),
    /// A stored image task read through other embedding modules than this build has.
    #[error("task `{task}` was recorded with embedding modules {recorded}; this build has {available}")]
    Modules {
        /// Task name.
        task: String,
        /// The recorded modules and version.
        recorded: String,
        /// This build's modules and version.
        available: String,
    },
    /// A task of a suite could not be made (too few samples of a class, unknown name, …).
    #[error("suite: {0}")]
    Suite(String),
    /// A synthetic-task setting that cannot produce a task.
    #[error("invalid synthetic task setting: {0}")]
    BadSetting(String),
    /// A user's data that cannot make a task or be labelled: the path and what is wrong.
    #[error("{path}: {message}")]
    UserData {
        /// The file or folder.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A reading setting out of range (a split that does not sum to 1, a 0-pixel side, an
    /// unknown modality).
    #[error("invalid setting: {0}")]
    BadSpec(String),
    /// Texts that could not be read.
    #[error(transparent)]
    Text(#[from] archinfer_text::TextError),
}

/// Result alias of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
