//! An in-memory store with the same semantics as the SQLite one, for tests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::error::Result;
use crate::error::StoreError;
use crate::store::ExperimentStore;
use crate::store::now_ms;
use crate::types::{PlannedTrial, TaskData, TaskRecord, Trial, TrialResult, TrialStatus, WorkerInfo};

#[derive(Debug, Default)]
struct Inner {
    tasks: Vec<TaskRecord>,
    trials: Vec<Trial>,
    workers: HashMap<String, i64>,
    data: HashMap<String, TaskData>,
    meta: HashMap<String, String>,
}

impl Inner {
    /// One past the largest id (imported trials bring their own ids).
    fn next_id(&self) -> i64 {
        self.trials.iter().map(|t| t.id).max().unwrap_or(0) + 1
    }
}

/// A pending trial of `task` planned as `p`.
fn new_trial(id: i64, task: &str, p: &PlannedTrial) -> Trial {
    Trial {
        id,
        task: task.to_string(),
        trial_index: p.trial_index,
        architecture: p.architecture.clone(),
        seed: p.seed,
        status: TrialStatus::Pending,
        worker: None,
        result: None,
        error: None,
        claimed_at: None,
        finished_at: None,
    }
}

/// An [`ExperimentStore`] held in memory behind a mutex (nothing persists).
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ExperimentStore for MemoryStore {
    fn add_task(&self, task: &TaskRecord) -> Result<()> {
        let mut g = self.lock();
        match g.tasks.iter().find(|t| t.name == task.name) {
            Some(t) if t == task => Ok(()),
            Some(_) => Err(StoreError::TaskConflict(task.name.clone())),
            None => {
                g.tasks.push(task.clone());
                Ok(())
            }
        }
    }

    fn tasks(&self) -> Result<Vec<TaskRecord>> {
        Ok(self.lock().tasks.clone())
    }

    fn plan(&self, task: &str, trials: &[PlannedTrial]) -> Result<usize> {
        let mut g = self.lock();
        if !g.tasks.iter().any(|t| t.name == task) {
            return Err(StoreError::UnknownTask(task.to_string()));
        }
        let mut added = 0;
        for p in trials {
            if g.trials.iter().any(|t| t.task == task && t.trial_index == p.trial_index) {
                continue;
            }
            let id = g.next_id();
            g.trials.push(new_trial(id, task, p));
            added += 1;
        }
        Ok(added)
    }

    fn claim(&self, worker: &str) -> Result<Option<Trial>> {
        let mut g = self.lock();
        let now = now_ms();
        g.workers.insert(worker.to_string(), now);
        Ok(g.trials.iter_mut().find(|t| t.status == TrialStatus::Pending).map(|t| {
            t.status = TrialStatus::Running;
            t.worker = Some(worker.to_string());
            t.claimed_at = Some(now);
            t.clone()
        }))
    }

    fn complete(&self, trial_id: i64, worker: &str, outcome: std::result::Result<TrialResult, String>) -> Result<bool> {
        let mut g = self.lock();
        let Some(t) = g.trials.iter_mut().find(|t| {
            t.id == trial_id && t.status == TrialStatus::Running && t.worker.as_deref() == Some(worker)
        }) else {
            return Ok(false);
        };
        t.finished_at = Some(now_ms());
        match outcome {
            Ok(r) => {
                t.status = TrialStatus::Done;
                t.result = Some(r);
            }
            Err(e) => {
                t.status = TrialStatus::Failed;
                t.error = Some(e);
            }
        }
        Ok(true)
    }

    fn heartbeat(&self, worker: &str) -> Result<()> {
        self.lock().workers.insert(worker.to_string(), now_ms());
        Ok(())
    }

    fn requeue_stale(&self, stale_after: Duration) -> Result<usize> {
        let mut g = self.lock();
        let cutoff = now_ms() - stale_after.as_millis() as i64;
        let alive: Vec<String> = g.workers.iter().filter(|(_, h)| **h >= cutoff).map(|(w, _)| w.clone()).collect();
        let mut n = 0;
        for t in g.trials.iter_mut() {
            if t.status == TrialStatus::Running && !t.worker.as_ref().is_some_and(|w| alive.contains(w)) {
                t.status = TrialStatus::Pending;
                t.worker = None;
                t.claimed_at = None;
                n += 1;
            }
        }
        Ok(n)
    }

    fn trials(&self, task: Option<&str>) -> Result<Vec<Trial>> {
        let g = self.lock();
        let order: HashMap<&str, usize> = g.tasks.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
        let mut v: Vec<Trial> = g.trials.iter().filter(|t| task.is_none_or(|n| t.task == n)).cloned().collect();
        v.sort_by_key(|t| (order.get(t.task.as_str()).copied().unwrap_or(usize::MAX), t.trial_index));
        Ok(v)
    }

    fn create_task(&self, task: &TaskRecord, data: &TaskData) -> Result<()> {
        let mut g = self.lock();
        if g.tasks.iter().any(|t| t.name == task.name) {
            return Err(StoreError::DuplicateTask(task.name.clone()));
        }
        g.tasks.push(task.clone());
        g.data.insert(task.name.clone(), data.clone());
        Ok(())
    }

    fn attach_task_data(&self, task: &str, data: &TaskData) -> Result<()> {
        let mut g = self.lock();
        if !g.tasks.iter().any(|t| t.name == task) {
            return Err(StoreError::UnknownTask(task.to_string()));
        }
        match g.data.get(task) {
            Some(d) if d == data => Ok(()),
            Some(_) => Err(StoreError::TaskConflict(task.to_string())),
            None => {
                g.data.insert(task.to_string(), data.clone());
                Ok(())
            }
        }
    }

    fn task_data(&self, task: &str) -> Result<Option<TaskData>> {
        let g = self.lock();
        if !g.tasks.iter().any(|t| t.name == task) {
            return Err(StoreError::UnknownTask(task.to_string()));
        }
        Ok(g.data.get(task).cloned())
    }

    fn record_trials(&self, task: &str, worker: &str, trials: &[(PlannedTrial, TrialResult)]) -> Result<()> {
        let mut g = self.lock();
        if !g.tasks.iter().any(|t| t.name == task) {
            return Err(StoreError::UnknownTask(task.to_string()));
        }
        for (i, (p, _)) in trials.iter().enumerate() {
            let taken = g.trials.iter().any(|t| t.task == task && t.trial_index == p.trial_index)
                || trials[..i].iter().any(|(q, _)| q.trial_index == p.trial_index);
            if taken {
                return Err(StoreError::TrialExists { task: task.to_string(), trial_index: p.trial_index });
            }
        }
        let now = now_ms();
        for (p, r) in trials {
            let id = g.next_id();
            g.trials.push(Trial {
                status: TrialStatus::Done,
                worker: Some(worker.to_string()),
                result: Some(r.clone()),
                claimed_at: Some(now),
                finished_at: Some(now),
                ..new_trial(id, task, p)
            });
        }
        Ok(())
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.lock().meta.insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lock().meta.get(key).cloned())
    }

    fn meta_entries(&self) -> Result<Vec<(String, String)>> {
        let mut v: Vec<(String, String)> = self.lock().meta.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort();
        Ok(v)
    }

    fn workers(&self) -> Result<Vec<WorkerInfo>> {
        let now = now_ms();
        let mut v: Vec<WorkerInfo> =
            self.lock().workers.iter().map(|(w, h)| WorkerInfo { name: w.clone(), silent_ms: now - h }).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    fn import_trials(&self, task: &str, trials: &[Trial]) -> Result<usize> {
        let mut g = self.lock();
        if !g.tasks.iter().any(|t| t.name == task) {
            return Err(StoreError::UnknownTask(task.to_string()));
        }
        let mut new = Vec::new();
        for t in trials {
            match g.trials.iter().find(|x| x.task == task && x.trial_index == t.trial_index) {
                Some(h) if h == t => {}
                Some(_) => return Err(StoreError::TrialExists { task: task.to_string(), trial_index: t.trial_index }),
                None if g.trials.iter().chain(&new).any(|x: &Trial| x.id == t.id) => {
                    return Err(StoreError::Corrupt(format!("trial id {} is taken", t.id)));
                }
                None => new.push(Trial { task: task.to_string(), ..t.clone() }),
            }
        }
        let n = new.len();
        g.trials.extend(new);
        Ok(n)
    }

    fn schema_version(&self) -> Result<i64> {
        Ok(crate::sqlite::SCHEMA_VERSION)
    }
}
