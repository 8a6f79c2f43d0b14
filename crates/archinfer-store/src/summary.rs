//! Summaries of a store's trials: counts per state and the validation-accuracy spread per task.

use serde::{Deserialize, Serialize};

use crate::types::{TaskRecord, Trial, TrialStatus};

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
/// [`ExperimentStore::summary`](crate::store::ExperimentStore::summary) returns, for a caller that
/// has the trials already).
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
