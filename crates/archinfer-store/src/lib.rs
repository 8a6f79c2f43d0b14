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
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use error::{Result, StoreError};
pub use location::{Location, open};
pub use memory::MemoryStore;
pub use ops::{CopyReport, DbStatus, WorkerRate, copy, hms, status, status_text, trials_checksum, worker_rates};
#[cfg(feature = "postgres")]
pub use postgres::{POSTGRES_SCHEMA_VERSION, PostgresOptions, PostgresStore};
pub use sqlite::{SCHEMA_VERSION, SqliteStore};

/// A task as the store knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Unique name.
    pub name: String,
    /// The suite it belongs to.
    pub suite: String,
    /// Number of classes.
    pub num_classes: usize,
    /// Training samples.
    pub train: usize,
    /// Validation samples.
    pub validation: usize,
    /// Test samples.
    pub test: usize,
    /// How the task was made.
    pub description: String,
}

impl TaskRecord {
    /// A record with sizes and description left empty.
    pub fn new(name: impl Into<String>, suite: impl Into<String>, num_classes: usize) -> Self {
        Self { name: name.into(), suite: suite.into(), num_classes, train: 0, validation: 0, test: 0, description: String::new() }
    }
}

/// A task's samples as the store keeps them: the name of their encoding and its bytes. The
/// store does not read them; it checks them with a content hash on every read, so a damaged
/// record is an error rather than different training data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskData {
    /// Encoding of `bytes`, e.g. `archinfer-data/images-v1`.
    pub format: String,
    /// The encoded samples.
    pub bytes: Vec<u8>,
}

impl TaskData {
    /// Data of `format` holding `bytes`.
    pub fn new(format: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self { format: format.into(), bytes }
    }

    /// The 64-bit FNV-1a hash of the format and the bytes, as 16 hex digits.
    pub fn checksum(&self) -> String {
        fnv1a_hex([self.format.as_bytes(), &[0u8], &self.bytes])
    }
}

/// The database-wide settings a store keeps in its metadata, by key: typed values are read
/// and pinned through `archinfer_eval::DbSettings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaKey {
    /// The architecture space (JSON).
    Space,
    /// The child training recipe (JSON).
    TrainConfig,
    /// Seed of the random children's plan and of the pool.
    PlanSeed,
    /// The suite the database was built from.
    Suite,
    /// The common pool (JSON).
    Pool,
}

impl MetaKey {
    /// The key as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetaKey::Space => "space",
            MetaKey::TrainConfig => "train_config",
            MetaKey::PlanSeed => "plan_seed",
            MetaKey::Suite => "suite",
            MetaKey::Pool => "pool",
        }
    }
}

/// The 64-bit FNV-1a hash of the concatenated `parts`, as 16 hex digits (the checksum of task
/// samples, and of copied trials in `db copy`): the workspace's one FNV-1a, from the leaf crate.
pub use archinfer_checksum::fnv1a_hex;

/// A trial to run: which architecture (opaque JSON to the store) with which seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedTrial {
    /// Position in the task's plan; `(task, trial_index)` is unique.
    pub trial_index: usize,
    /// The architecture, as JSON.
    pub architecture: String,
    /// Training seed.
    pub seed: u64,
}

/// State of a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialStatus {
    /// Not yet claimed.
    Pending,
    /// Claimed by a worker.
    Running,
    /// Trained; result recorded.
    Done,
    /// Training failed; error recorded.
    Failed,
}

impl TrialStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TrialStatus::Pending => "pending",
            TrialStatus::Running => "running",
            TrialStatus::Done => "done",
            TrialStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for an unknown name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => TrialStatus::Pending,
            "running" => TrialStatus::Running,
            "done" => TrialStatus::Done,
            "failed" => TrialStatus::Failed,
            other => {
                return Err(StoreError::Corrupt(format!("unknown trial status `{other}`")));
            }
        })
    }
}

/// What a finished training reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// Validation accuracy.
    pub val_accuracy: f32,
    /// Test accuracy.
    pub test_accuracy: f32,
    /// Training wall time.
    pub seconds: f64,
    /// Parameters of the child.
    pub num_params: usize,
    /// Epochs run.
    pub epochs_run: usize,
}

/// A trial with its state and, once done, its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Store-wide id.
    pub id: i64,
    /// Task name.
    pub task: String,
    /// Position in the task's plan.
    pub trial_index: usize,
    /// Architecture JSON.
    pub architecture: String,
    /// Training seed.
    pub seed: u64,
    /// State.
    pub status: TrialStatus,
    /// Worker that claimed it last.
    pub worker: Option<String>,
    /// Result, for done trials.
    pub result: Option<TrialResult>,
    /// Error, for failed trials.
    pub error: Option<String>,
    /// When it was claimed (ms since the Unix epoch).
    pub claimed_at: Option<i64>,
    /// When it finished (ms since the Unix epoch).
    pub finished_at: Option<i64>,
}

/// Per-task counts and validation-accuracy spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSummary {
    /// Task name.
    pub task: String,
    /// Trials per state.
    pub counts: StateCounts,
    /// Min, median and max validation accuracy of done trials.
    pub val_accuracy: Option<[f32; 3]>,
    /// Standard deviation of the validation accuracy of done trials.
    pub val_std: Option<f32>,
    /// Summed training seconds of done trials.
    pub train_seconds: f64,
}

/// A worker as the store last heard of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// The worker's name (`host:pid:thread` for `build-db`).
    pub name: String,
    /// Milliseconds since its last heartbeat or claim, by the store's clock.
    pub silent_ms: i64,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A life-long store of child trainings.
pub trait ExperimentStore: Send + Sync {
    /// Adds a task, or checks that an existing task of that name has the same settings.
    ///
    /// # Errors
    /// [`StoreError::TaskConflict`] if it exists with other settings.
    fn add_task(&self, task: &TaskRecord) -> Result<()>;

    /// All tasks, in the order they were added.
    ///
    /// # Errors
    /// On storage failure.
    fn tasks(&self) -> Result<Vec<TaskRecord>>;

    /// Plans trials for `task`; trials whose `(task, trial_index)` already exists are left as
    /// they are. Returns how many were new.
    ///
    /// # Errors
    /// [`StoreError::UnknownTask`] or a storage failure.
    fn plan(&self, task: &str, trials: &[PlannedTrial]) -> Result<usize>;

    /// Atomically claims the next pending trial for `worker` (marks it running).
    ///
    /// # Errors
    /// On storage failure.
    fn claim(&self, worker: &str) -> Result<Option<Trial>>;

    /// Records the outcome of a claimed trial: `Ok` → done, `Err(reason)` → failed. Returns
    /// false (and records nothing) if `worker` no longer holds the claim, so a trial is
    /// recorded exactly once.
    ///
    /// # Errors
    /// On storage failure.
    fn complete(&self, trial_id: i64, worker: &str, outcome: std::result::Result<TrialResult, String>) -> Result<bool>;

    /// Marks `worker` alive now.
    ///
    /// # Errors
    /// On storage failure.
    fn heartbeat(&self, worker: &str) -> Result<()>;

    /// Puts back to pending every running trial whose worker has not sent a heartbeat for
    /// `stale_after` (or never did). Returns how many.
    ///
    /// # Errors
    /// On storage failure.
    fn requeue_stale(&self, stale_after: Duration) -> Result<usize>;

    /// Trials of one task, or of all tasks, ordered by task and trial index.
    ///
    /// # Errors
    /// On storage failure.
    fn trials(&self, task: Option<&str>) -> Result<Vec<Trial>>;

    /// Adds a new task with its samples in one transaction.
    ///
    /// # Errors
    /// [`StoreError::DuplicateTask`] if a task of that name exists (nothing is written).
    fn create_task(&self, task: &TaskRecord, data: &TaskData) -> Result<()>;

    /// Attaches samples to an existing task that has none (databases from before tasks carried
    /// their samples). Attaching the same data again is a no-op.
    ///
    /// # Errors
    /// [`StoreError::UnknownTask`], or [`StoreError::TaskConflict`] if it holds other data.
    fn attach_task_data(&self, task: &str, data: &TaskData) -> Result<()>;

    /// The samples of `task`, if it has any.
    ///
    /// # Errors
    /// [`StoreError::UnknownTask`], or [`StoreError::Corrupt`] if the stored bytes no longer
    /// match their checksum.
    fn task_data(&self, task: &str) -> Result<Option<TaskData>>;

    /// Records trainings that were run outside the plan (for example by `archinfer fit`) as
    /// done trials of `task`, at the trial indices given, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::UnknownTask`], or [`StoreError::TrialExists`] if an index is taken
    /// (nothing is written).
    fn record_trials(&self, task: &str, worker: &str, trials: &[(PlannedTrial, TrialResult)]) -> Result<()>;

    /// Stores a metadata value (space, training settings, manifest …).
    ///
    /// # Errors
    /// On storage failure.
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;

    /// Reads a metadata value.
    ///
    /// # Errors
    /// On storage failure.
    fn meta(&self, key: &str) -> Result<Option<String>>;

    /// Every metadata entry, ordered by key.
    ///
    /// # Errors
    /// On storage failure.
    fn meta_entries(&self) -> Result<Vec<(String, String)>>;

    /// Every worker that ever claimed a trial or sent a heartbeat, ordered by name.
    ///
    /// # Errors
    /// On storage failure.
    fn workers(&self) -> Result<Vec<WorkerInfo>>;

    /// Writes trials of `task` exactly as given (ids, states, workers, times, results), for
    /// copying a database. A trial whose `(task, trial_index)` exists and is identical is
    /// skipped, so an interrupted copy resumes; returns how many were new.
    ///
    /// # Errors
    /// [`StoreError::UnknownTask`], [`StoreError::TrialExists`] if an index holds a different
    /// trial (nothing is written), or a storage failure (an id taken by another trial).
    fn import_trials(&self, task: &str, trials: &[Trial]) -> Result<usize>;

    /// The schema version of the database.
    ///
    /// # Errors
    /// On storage failure.
    fn schema_version(&self) -> Result<i64>;

    /// Per-task counts and min / median / max validation accuracy.
    ///
    /// # Errors
    /// On storage failure.
    fn summary(&self) -> Result<Vec<TaskSummary>> {
        Ok(summarize(&self.tasks()?, &self.trials(None)?))
    }
}

/// Trials per state (one task's, or a whole database's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    /// Not yet claimed.
    pub pending: usize,
    /// Claimed by a worker.
    pub running: usize,
    /// Trained; result recorded.
    pub done: usize,
    /// Training failed.
    pub failed: usize,
}

impl StateCounts {
    /// Counts one more trial in `status`.
    pub fn add(&mut self, status: TrialStatus) {
        match status {
            TrialStatus::Pending => self.pending += 1,
            TrialStatus::Running => self.running += 1,
            TrialStatus::Done => self.done += 1,
            TrialStatus::Failed => self.failed += 1,
        }
    }
    /// The sum of `self` and `other`, state by state.
    pub fn plus(self, other: StateCounts) -> StateCounts {
        StateCounts {
            pending: self.pending + other.pending,
            running: self.running + other.running,
            done: self.done + other.done,
            failed: self.failed + other.failed,
        }
    }
    /// Trials still to train (pending or running).
    pub fn open(&self) -> usize {
        self.pending + self.running
    }
    /// Trials finished (done or failed).
    pub fn finished(&self) -> usize {
        self.done + self.failed
    }
}

/// Per-task counts and validation-accuracy spread of `trials`, in the order of `tasks` (what
/// [`ExperimentStore::summary`] returns, for a caller that has the trials already).
pub fn summarize(tasks: &[TaskRecord], trials: &[Trial]) -> Vec<TaskSummary> {
    let mut out = Vec::new();
    for t in tasks {
        let mine: Vec<&Trial> = trials.iter().filter(|x| x.task == t.name).collect();
        let mut counts = StateCounts::default();
        for x in &mine {
            counts.add(x.status);
        }
        let mut acc: Vec<f32> = mine.iter().filter_map(|x| x.result.as_ref().map(|r| r.val_accuracy)).collect();
        acc.sort_by(f32::total_cmp);
        let val_accuracy = (!acc.is_empty()).then(|| {
            let n = acc.len();
            let median = if n % 2 == 1 { acc[n / 2] } else { 0.5 * (acc[n / 2 - 1] + acc[n / 2]) };
            [acc[0], median, acc[n - 1]]
        });
        let val_std = (acc.len() > 1).then(|| {
            let n = acc.len() as f32;
            let mean = acc.iter().sum::<f32>() / n;
            (acc.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / (n - 1.0)).sqrt()
        });
        let train_seconds = mine.iter().filter_map(|x| x.result.as_ref().map(|r| r.seconds)).sum();
        out.push(TaskSummary { task: t.name.clone(), counts, val_accuracy, val_std, train_seconds });
    }
    out
}

/// Boxed and shared stores are stores (`archinfer_store::open` returns a box).
macro_rules! forward_store {
    ($($ptr:ident),*) => {$(
        impl<S: ExperimentStore + ?Sized> ExperimentStore for $ptr<S> {
            fn add_task(&self, task: &TaskRecord) -> Result<()> {
                (**self).add_task(task)
            }
            fn tasks(&self) -> Result<Vec<TaskRecord>> {
                (**self).tasks()
            }
            fn plan(&self, task: &str, trials: &[PlannedTrial]) -> Result<usize> {
                (**self).plan(task, trials)
            }
            fn claim(&self, worker: &str) -> Result<Option<Trial>> {
                (**self).claim(worker)
            }
            fn complete(&self, trial_id: i64, worker: &str, outcome: std::result::Result<TrialResult, String>) -> Result<bool> {
                (**self).complete(trial_id, worker, outcome)
            }
            fn heartbeat(&self, worker: &str) -> Result<()> {
                (**self).heartbeat(worker)
            }
            fn requeue_stale(&self, stale_after: Duration) -> Result<usize> {
                (**self).requeue_stale(stale_after)
            }
            fn trials(&self, task: Option<&str>) -> Result<Vec<Trial>> {
                (**self).trials(task)
            }
            fn create_task(&self, task: &TaskRecord, data: &TaskData) -> Result<()> {
                (**self).create_task(task, data)
            }
            fn attach_task_data(&self, task: &str, data: &TaskData) -> Result<()> {
                (**self).attach_task_data(task, data)
            }
            fn task_data(&self, task: &str) -> Result<Option<TaskData>> {
                (**self).task_data(task)
            }
            fn record_trials(&self, task: &str, worker: &str, trials: &[(PlannedTrial, TrialResult)]) -> Result<()> {
                (**self).record_trials(task, worker, trials)
            }
            fn set_meta(&self, key: &str, value: &str) -> Result<()> {
                (**self).set_meta(key, value)
            }
            fn meta(&self, key: &str) -> Result<Option<String>> {
                (**self).meta(key)
            }
            fn meta_entries(&self) -> Result<Vec<(String, String)>> {
                (**self).meta_entries()
            }
            fn workers(&self) -> Result<Vec<WorkerInfo>> {
                (**self).workers()
            }
            fn import_trials(&self, task: &str, trials: &[Trial]) -> Result<usize> {
                (**self).import_trials(task, trials)
            }
            fn schema_version(&self) -> Result<i64> {
                (**self).schema_version()
            }
            fn summary(&self) -> Result<Vec<TaskSummary>> {
                (**self).summary()
            }
        }
    )*};
}

forward_store!(Box, Arc);
