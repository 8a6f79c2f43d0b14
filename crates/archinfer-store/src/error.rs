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
    /// A copy between stores that cannot go on: another database at the destination, schema
    /// versions that differ, or a failed verification.
    #[error("copy: {0}")]
    Copy(String),
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
    /// PostgreSQL refused an operation (the message and SQLSTATE code).
    #[error("postgres: {0}")]
    Postgres(String),
    /// No PostgreSQL server answered within the connect timeout.
    #[error("cannot reach the PostgreSQL server {server}: {reason}")]
    Unreachable {
        /// `user@host:port/database`.
        server: String,
        /// What the driver said.
        reason: String,
    },
    /// The server refused the user or password.
    #[error("the PostgreSQL server {server} refused the login: {reason}")]
    Authentication {
        /// `user@host:port/database`.
        server: String,
        /// What the server said.
        reason: String,
    },
    /// The server has no database of that name.
    #[error("the PostgreSQL server {server} has no such database: {reason}")]
    NoSuchDatabase {
        /// `user@host:port/database`.
        server: String,
        /// What the server said.
        reason: String,
    },
    /// The connection was lost and did not come back in time.
    #[error("lost the connection to {server} and could not reconnect in {seconds:.0} s: {reason}")]
    ConnectionLost {
        /// `user@host:port/database`.
        server: String,
        /// How long reconnection was tried.
        seconds: f64,
        /// The last failure.
        reason: String,
    },
    /// A location (`--db`) that names no store this build knows.
    #[error("unknown database scheme `{scheme}://` in `{location}`: use a SQLite file path or a postgres:// URL")]
    UnknownScheme {
        /// The scheme.
        scheme: String,
        /// The whole location, password removed.
        location: String,
    },
    /// A `postgres://` location in a build without the `postgres` feature.
    #[error("this build of archinfer has no PostgreSQL support (the `postgres` cargo feature of archinfer-store)")]
    PostgresNotBuilt,
    /// A location that cannot be parsed.
    #[error("bad database location: {0}")]
    BadLocation(String),
    /// A SQLite file that should exist (opening would create an empty one).
    #[error("{0}: no such database")]
    NoDatabase(String),
    /// A SQLite file's folder that cannot be created.
    #[error("{path}: cannot create the database's folder: {reason}")]
    CreateFolder {
        /// The folder.
        path: String,
        /// Why.
        reason: String,
    },
    /// A stored value that cannot be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
