//! Errors of the application crate.

/// What can go wrong reading a user's data, fitting or loading a model, recording tasks and
/// trainings, or running the database's workers.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Too few tasks (a value network needs at least one to fit on).
    #[error("need at least {needed} tasks, got {got}")]
    TooFewTasks {
        /// Tasks needed.
        needed: usize,
        /// Tasks given.
        got: usize,
    },
    /// A trial whose architecture does not parse.
    #[error("trial {trial}: {message}")]
    BadArchitecture {
        /// Store id of the trial.
        trial: i64,
        /// What the parser said.
        message: String,
    },
    /// A task whose embedding modules are not the database's space's.
    #[error("task `{task}` does not fit the database's space: it has modules {have}, the space expects {want}")]
    DoesNotFit {
        /// The task.
        task: String,
        /// Its modules (name and width).
        have: String,
        /// The space's modules.
        want: String,
    },
    /// A module migration that cannot be done: the module is already in the space, or some
    /// task does not carry it.
    #[error("cannot add module `{module}` to the space: {reason}")]
    ModuleMigration {
        /// The module.
        module: String,
        /// Why not.
        reason: String,
    },
    /// A suite cut from images that were not loaded.
    #[error("suite {0} is cut from Fashion-MNIST, which is not loaded")]
    NeedsImages(String),
    /// A task recorded without its samples.
    #[error("task `{0}` has no samples in the database; add them with `archinfer suite add` (for a suite task) or re-add the task")]
    NoSamples(String),
    /// Task samples in an encoding this build cannot read.
    #[error("task `{task}` is stored as `{format}`, which this build cannot read")]
    Format {
        /// Task name.
        task: String,
        /// The stored format.
        format: String,
    },
    /// The stored pool does not parse.
    #[error("the database's pool does not parse: {0}")]
    BadPool(String),
    /// A pool of another size or seed than the one stored.
    #[error(
        "the database's pool has {stored} members drawn with seed {stored_seed}; this run asks for {asked} with seed {asked_seed} (a pool grows but never shrinks: use another --db, or --pool {stored} or more with --seed {stored_seed})"
    )]
    PoolConflict {
        /// Members of the stored pool.
        stored: usize,
        /// Its seed.
        stored_seed: u64,
        /// Members asked for.
        asked: usize,
        /// Seed asked for.
        asked_seed: u64,
    },
    /// A task where the pool is not fully trained.
    #[error("task `{task}`: {missing} of the {size} pool members are not trained (run `archinfer build-db` on the database)")]
    PoolIncomplete {
        /// Task name.
        task: String,
        /// Members without a result.
        missing: usize,
        /// Pool size.
        size: usize,
    },
    /// The database has no pool.
    #[error("the database has no pool; train one with `archinfer build-db --pool 64`")]
    NoPool,
    /// A task asked for as images that holds other samples.
    #[error("task `{0}` is not an image task")]
    NotImages(String),
    /// A task stored without samples whose suite could not supply them.
    #[error("task `{task}` has no samples, and suite {suite} could not supply them: {reason}")]
    SuiteFill {
        /// The task.
        task: String,
        /// Its suite.
        suite: String,
        /// Why not.
        reason: String,
    },
    /// A task name the store does not know.
    #[error("no task `{0}` in the database")]
    UnknownTask(String),
    /// A user's data that cannot make a task or be labelled: the path and what is wrong.
    #[error("{path}: {message}")]
    UserData {
        /// The file or folder.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A model directory written by `FittedModel::save` that cannot be loaded.
    #[error("{path}: {message}")]
    FittedModel {
        /// The directory or file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A database setting that is missing, does not parse, or differs from the one asked for.
    #[error("the database's {key}: {message}")]
    Setting {
        /// The metadata key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Data a model cannot read: what it reads, and what the data are.
    #[error("the model reads {model}; these data are {data}")]
    ModelMismatch {
        /// What the model reads.
        model: String,
        /// What the data are.
        data: String,
    },
    /// A setting out of range (no candidates, a bad module index, a bad split).
    #[error("invalid setting: {0}")]
    BadOptions(String),
    /// The experiment store failed.
    #[error(transparent)]
    Store(#[from] archinfer_store::StoreError),
    /// Task data could not be read or built.
    #[error(transparent)]
    Data(#[from] archinfer_data::DataError),
    /// Text could not be read or embedded.
    #[error(transparent)]
    Text(#[from] archinfer_text::TextError),
    /// A child could not be trained.
    #[error(transparent)]
    Train(#[from] archinfer_train::TrainError),
    /// An architecture could not be encoded.
    #[error(transparent)]
    Encoding(#[from] archinfer_encoding::EncodingError),
    /// Inference failed.
    #[error(transparent)]
    Infer(#[from] archinfer_infer::InferError),
    /// Few-shot adaptation failed (a budget of 0, a budget larger than the candidates, …).
    #[error(transparent)]
    Adapt(#[from] archinfer_adapt::AdaptError),
    /// Meta-features could not be computed.
    #[error(transparent)]
    Meta(#[from] archinfer_metafeatures::MetaError),
    /// Fitting or running a value network failed.
    #[error(transparent)]
    Dvn(#[from] archinfer_dvn::DvnError),
}

/// Result alias of this crate.
pub type Result<T, E = AppError> = std::result::Result<T, E>;
