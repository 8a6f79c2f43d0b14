//! # archinfer-store
//!
//! The life-long database of child trainings: tasks, planned trials (task, trial index,
//! architecture, seed) and their outcomes. The [`ExperimentStore`] trait is what the database
//! builder and the value-network trainer use; [`SqliteStore`] is the embedded default (WAL mode,
//! safe for several processes and threads on one file), `PostgresStore` (cargo feature
//! `postgres`) serves workers on many machines, [`MemoryStore`] serves tests. [`open`] takes a
//! location string (a SQLite path or a `postgres://` URL) and returns whichever store it names;
//! the contract every store must meet is exported as `testing` (cargo feature `testing`).
//!
//! A trial is recorded once: `(task, trial_index)` is unique, workers [`claim`] pending trials
//! atomically, and only the worker holding a claim can [`complete`] it. A worker that dies
//! leaves its trials `running`; [`requeue_stale`] puts them back once its heartbeat is old.
//!
//! [`claim`]: ExperimentStore::claim
//! [`complete`]: ExperimentStore::complete
//! [`requeue_stale`]: ExperimentStore::requeue_stale
//!
//! ```
//! use archinfer_store::{ExperimentStore, MemoryStore, PlannedTrial, TaskRecord, TrialResult};
//! let store = MemoryStore::new();
//! store.add_task(&TaskRecord::new("t", "demo", 2)).unwrap();
//! store.plan("t", &[PlannedTrial { trial_index: 0, architecture: "{}".into(), seed: 7 }]).unwrap();
//! let trial = store.claim("worker-1").unwrap().unwrap();
//! let r = TrialResult { val_accuracy: 0.9, test_accuracy: 0.88, seconds: 1.0, num_params: 10, epochs_run: 20 };
//! assert!(store.complete(trial.id, "worker-1", Ok(r)).unwrap());
//! assert!(store.claim("worker-1").unwrap().is_none());
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod error;
mod location;
mod memory;
mod ops;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
mod store;
mod summary;
#[cfg(feature = "testing")]
pub mod testing;
mod types;

pub use error::{Result, StoreError};
pub use location::{Location, open};
pub use memory::MemoryStore;
pub use ops::{CopyReport, DbStatus, WorkerRate, copy, hms, status, status_text, trials_checksum, worker_rates};
#[cfg(feature = "postgres")]
pub use postgres::{POSTGRES_SCHEMA_VERSION, PostgresOptions, PostgresStore};
pub use sqlite::{SCHEMA_VERSION, SqliteStore};
pub use store::{ExperimentStore, now_ms};
pub use summary::{StateCounts, TaskSummary, summarize};
pub use types::{MetaKey, PlannedTrial, TaskData, TaskRecord, Trial, TrialResult, TrialStatus, WorkerInfo};

/// The 64-bit FNV-1a hash of the concatenated `parts`, as 16 hex digits (the checksum of task
/// samples, and of copied trials in `db copy`): the workspace's one FNV-1a, from the leaf crate.
pub use archinfer_checksum::fnv1a_hex;
