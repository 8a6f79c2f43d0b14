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
    /// A sparse text module that cannot be fitted on a task's training texts.
    #[error("task `{task}`: text module `{module}`: {}", crate::tfidf_modules::vocabulary_reason(source))]
    Vocabulary {
        /// The task.
        task: String,
        /// The module (`tfidf-word` or `tfidf-char`).
        module: String,
        /// What the TF-IDF fit said.
        source: archinfer_classic::ClassicError,
    },
    /// A sparse feature set whose rows are not one per sample, or wider than the module.
    #[error("sparse feature set `{name}` has {rows} rows of {cols} columns; expected {samples} rows of at most {dim}")]
    SparseShape {
        /// Feature set.
        name: String,
        /// Rows present.
        rows: usize,
        /// Columns present.
        cols: usize,
        /// Number of samples (labels).
        samples: usize,
        /// The module's declared width.
        dim: usize,
    },
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
    /// A file that is not a readable image: missing, empty, not an image, corrupt or truncated
    /// (a JPEG without its end-of-image marker, a PNG without its `IEND` chunk, a GIF without
    /// its trailer, a WebP shorter than its RIFF header says, a BMP without all its rows).
    #[error("{path}: {message}")]
    BadImage {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A path read as an image that is not a regular file: a FIFO, a device (`/dev/zero`,
    /// `/dev/urandom`, possibly through a symbolic link), a socket or a directory. It is refused
    /// before it is opened, so reading neither blocks nor runs without end.
    #[error("{path}: not a regular file but {kind}; only regular files are read as images: remove it from the folder or the list, or copy the image into a file")]
    NotAFile {
        /// The path.
        path: String,
        /// What it is instead, e.g. "a FIFO (named pipe)", "a character device".
        kind: &'static str,
    },
    /// An image file larger than [`ImageLimits::max_file_bytes`](crate::ImageLimits::max_file_bytes).
    #[error("{path}: the file has {} bytes, more than the limit of {} bytes for an image file; if it is a genuine image, raise the limit (`ImageLimits::max_file_bytes`)", grouped(*.bytes), grouped(*.limit))]
    FileTooLarge {
        /// The file.
        path: String,
        /// Its size in bytes (at least `limit + 1`; a file that grew while read may be larger).
        bytes: u64,
        /// The limit it exceeds.
        limit: u64,
    },
    /// An image whose header declares more pixels than
    /// [`ImageLimits::max_pixels`](crate::ImageLimits::max_pixels); found from the header,
    /// before anything is decoded (a decompression bomb declares billions in a few bytes).
    #[error("{path}: the image is {} × {} = {} pixels, more than the limit of {} pixels; if it is a genuine image, raise the limit (`ImageLimits::max_pixels`) or scale the image down first", grouped(u64::from(*.width)), grouped(u64::from(*.height)), grouped(u64::from(*.width) * u64::from(*.height)), grouped(*.limit))]
    TooManyPixels {
        /// The file.
        path: String,
        /// Width its header declares.
        width: u32,
        /// Height its header declares.
        height: u32,
        /// The limit on width × height it exceeds.
        limit: u64,
    },
    /// An image whose decoded pixels would take more memory than
    /// [`ImageLimits::max_decode_bytes`](crate::ImageLimits::max_decode_bytes) (many pixels of
    /// 16-bit colour with alpha, say), found from the header before anything is decoded.
    #[error("{path}: decoding the {} × {} image would take {} bytes of memory, more than the limit of {} bytes; if it is a genuine image, raise the limit (`ImageLimits::max_decode_bytes`) or scale the image down first", grouped(u64::from(*.width)), grouped(u64::from(*.height)), grouped(*.bytes), grouped(*.limit))]
    DecodeTooLarge {
        /// The file.
        path: String,
        /// Width its header declares.
        width: u32,
        /// Height its header declares.
        height: u32,
        /// Bytes the decoded pixels would take.
        bytes: u64,
        /// The limit they exceed.
        limit: u64,
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
    /// A table that cannot be read or used: names the file and, where it applies, the line
    /// and the column.
    #[error("{path}{}{}: {message}", line.map(|l| format!(": line {l}")).unwrap_or_default(), column.as_ref().map(|c| format!(": column `{c}`")).unwrap_or_default())]
    Table {
        /// The file.
        path: String,
        /// 1-based line, where the problem is on one.
        line: Option<usize>,
        /// The column, where the problem is in one.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A table whose columns differ from the ones a model was fitted on.
    #[error("the table's columns differ from the model's: {0}")]
    Columns(String),
    /// A reading setting out of range (a split that does not sum to 1, a 0-pixel side, an
    /// unknown modality).
    #[error("invalid setting: {0}")]
    BadSpec(String),
    /// Texts that could not be read.
    #[error(transparent)]
    Text(#[from] archinfer_text::TextError),
}

/// `n` with a comma between groups of three digits (3,600,000,000): sizes in messages.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Result alias of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
