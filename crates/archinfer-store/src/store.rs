//! The [`ExperimentStore`] trait every store implements, its forwarding through `Box` and
//! `Arc`, and the clock stores record times by.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Result;
use crate::summary::{TaskSummary, summarize};
use crate::types::{PlannedTrial, TaskData, TaskRecord, Trial, TrialResult, WorkerInfo};

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
    ///
    /// [`StoreError::TaskConflict`]: crate::error::StoreError::TaskConflict
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
    ///
    /// [`StoreError::UnknownTask`]: crate::error::StoreError::UnknownTask
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
    ///
    /// [`StoreError::DuplicateTask`]: crate::error::StoreError::DuplicateTask
    fn create_task(&self, task: &TaskRecord, data: &TaskData) -> Result<()>;

    /// Attaches samples to an existing task that has none (databases from before tasks carried
    /// their samples). Attaching the same data again is a no-op.
    ///
    /// # Errors
    /// [`StoreError::UnknownTask`], or [`StoreError::TaskConflict`] if it holds other data.
    ///
    /// [`StoreError::UnknownTask`]: crate::error::StoreError::UnknownTask
    /// [`StoreError::TaskConflict`]: crate::error::StoreError::TaskConflict
    fn attach_task_data(&self, task: &str, data: &TaskData) -> Result<()>;

    /// The samples of `task`, if it has any.
    ///
    /// # Errors
    /// [`StoreError::UnknownTask`], or [`StoreError::Corrupt`] if the stored bytes no longer
    /// match their checksum.
    ///
    /// [`StoreError::UnknownTask`]: crate::error::StoreError::UnknownTask
    /// [`StoreError::Corrupt`]: crate::error::StoreError::Corrupt
    fn task_data(&self, task: &str) -> Result<Option<TaskData>>;

    /// Records trainings that were run outside the plan (for example by `archinfer fit`) as
    /// done trials of `task`, at the trial indices given, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::UnknownTask`], or [`StoreError::TrialExists`] if an index is taken
    /// (nothing is written).
    ///
    /// [`StoreError::UnknownTask`]: crate::error::StoreError::UnknownTask
    /// [`StoreError::TrialExists`]: crate::error::StoreError::TrialExists
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
    ///
    /// [`StoreError::UnknownTask`]: crate::error::StoreError::UnknownTask
    /// [`StoreError::TrialExists`]: crate::error::StoreError::TrialExists
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
