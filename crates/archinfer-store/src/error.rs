//! Errors of the store crate.

/// What can go wrong with an experiment store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer archinfer.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// A trial refers to a task that was never added.
    #[error("unknown task `{0}`")]
    UnknownTask(String),
    /// A task added again with different contents.
    #[error("task `{0}` already exists with different settings")]
    TaskConflict(String),
    /// A task created under a name that is taken.
    #[error("a task named `{0}` already exists")]
    DuplicateTask(String),
    /// A recorded trial at an index that is taken.
    #[error("task `{task}` already has a trial {trial_index}")]
    TrialExists {
        /// Task name.
        task: String,
        /// The index.
        trial_index: usize,
    },
    /// A stored value that cannot be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
