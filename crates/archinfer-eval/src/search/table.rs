//! The tables of `evaluate search` as typed values, rendered to markdown: [`SearchTable`]
//! (paper Table 4), [`CandidatesTable`] (`--candidates K`) and [`FixedTable`] (a fixed
//! default beside the proposals), from [`SearchRun`]s and the recorded children of each task.
//!
//! Recorded children are read from any [`ExperimentStore`]: "Random" is the mean test accuracy
//! of a task's first 10 children (by trial index), "best of N by val" the test accuracy of the
//! child with the best validation accuracy among the first N.

use std::collections::{BTreeMap, HashSet};

use archinfer_infer::Proposal;
use archinfer_store::{ExperimentStore, Trial};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::proposal::keep_best;
use crate::search::run::{RunKind, SearchRun};
use crate::stats::{mean_std, pm};

/// What a task's recorded children score: the baselines every search table sets beside the
/// proposals.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedChildren {
    /// Test accuracies of the first 10 children (Random).
    pub first10: Vec<f64>,
    /// Test accuracy of the best of the first 10 by validation, and their training seconds.
    pub best_of_10: (f64, f64),
    /// Test accuracy of the best of all by validation, and their training seconds.
    pub best_of_all: (f64, f64),
    /// Children recorded.
    pub n: usize,
}

impl RecordedChildren {
    /// The done children of `task` in `store`, by trial index; `None` for a task without any.
    ///
    /// # Errors
    /// Store failures.
    pub fn of(store: &dyn ExperimentStore, task: &str) -> Result<Option<Self>> {
        let mut trials: Vec<Trial> = store.trials(Some(task))?.into_iter().filter(|t| t.result.is_some()).collect();
        if trials.is_empty() {
            return Ok(None);
        }
        trials.sort_by_key(|t| t.trial_index);
        let acc = |t: &Trial| t.result.as_ref().map_or((0.0, 0.0, 0.0), |r| (r.val_accuracy, f64::from(r.test_accuracy), r.seconds));
        let pick = |ts: &[Trial]| -> (f64, f64) {
            let best = ts.iter().max_by(|a, b| acc(a).0.total_cmp(&acc(b).0)).map_or(0.0, |t| acc(t).1);
            (best, ts.iter().map(|t| acc(t).2).sum())
        };
        let ten = &trials[..trials.len().min(10)];
        Ok(Some(Self { first10: ten.iter().map(|t| acc(t).1).collect(), best_of_10: pick(ten), best_of_all: pick(&trials), n: trials.len() }))
    }

    /// Mean test accuracy of the first 10 (Random).
    pub fn random(&self) -> f64 {
        mean_std(&self.first10).0
    }
}

/// What inference proposed for one held-out task (one line of `proposals.jsonl`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposalRecord {
    /// Held-out task.
    pub task: String,
    /// Seconds to fit the value network on the other tasks.
    pub fit_seconds: f64,
    /// The proposal.
    pub proposal: Proposal,
}

fn tests_of(runs: &[SearchRun], task: &str, kind: RunKind) -> Vec<f64> {
    runs.iter().filter(|r| r.task == task && r.kind == kind).map(|r| f64::from(r.test)).collect()
}

/// One task of the Table 4 analogue.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRow {
    /// Held-out task.
    pub task: String,
    /// The proposal (one line).
    pub architecture: String,
    /// Meta-features and ascent milliseconds.
    pub inference_ms: f64,
    /// Test accuracies of the continuous `u`'s trainings.
    pub continuous: Vec<f64>,
    /// Test accuracies of the discretised proposal's trainings.
    pub discrete: Vec<f64>,
    /// The recorded children.
    pub children: RecordedChildren,
}

/// The Table 4 analogue: proposals against the recorded children.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchTable {
    /// One row per task with a proposal and children.
    pub rows: Vec<SearchRow>,
}

impl SearchTable {
    /// The table for the tasks of `order` that have a proposal and recorded children.
    ///
    /// # Errors
    /// Store failures; a proposal without candidates.
    pub fn of(order: &[String], proposals: &BTreeMap<String, ProposalRecord>, runs: &[SearchRun], store: &dyn ExperimentStore) -> Result<Self> {
        let mut rows = Vec::new();
        for name in order {
            let (Some(p), Some(children)) = (proposals.get(name), RecordedChildren::of(store, name)?) else {
                continue;
            };
            rows.push(SearchRow {
                task: name.clone(),
                architecture: p.proposal.best()?.architecture.to_string(),
                inference_ms: p.proposal.meta_ms + p.proposal.ascent_ms,
                continuous: tests_of(runs, name, RunKind::Continuous),
                discrete: tests_of(runs, name, RunKind::Discrete),
                children,
            });
        }
        Ok(Self { rows })
    }

    /// For the continuous (`false`: discretised) proposals: tasks where they beat Random, tasks
    /// with trainings, and the mean gap to the best of all in points (`None` without any).
    pub fn score(&self, continuous: bool) -> (usize, usize, Option<f64>) {
        let mut gaps = Vec::new();
        let mut beats = 0;
        for r in &self.rows {
            let v = if continuous { &r.continuous } else { &r.discrete };
            if v.is_empty() {
                continue;
            }
            let m = mean_std(v).0;
            beats += usize::from(m > r.children.random());
            gaps.push(100.0 * (r.children.best_of_all.0 - m));
        }
        let n = gaps.len();
        (beats, n, (n > 0).then(|| mean_std(&gaps).0))
    }

    fn n_all(&self) -> usize {
        self.rows.iter().map(|r| r.children.n).max().unwrap_or(0)
    }

    /// The markdown table and its closing lines.
    pub fn markdown(&self) -> String {
        let mut t = String::from(
            "| task | proposed architecture | inference ms | proposed, continuous u | proposed, discretised | Random (first 10) | best of first 10 by val | best of all by val |\n|---|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            t += &format!(
                "| {} | {} | {:.0} | {} | {} | {} | {:.2} | {:.2} |\n",
                r.task,
                r.architecture,
                r.inference_ms,
                pm(&r.continuous),
                pm(&r.discrete),
                pm(&r.children.first10),
                100.0 * r.children.best_of_10.0,
                100.0 * r.children.best_of_all.0
            );
        }
        let ((bc, nc, gc), (bd, nd, gd)) = (self.score(true), self.score(false));
        let gap = |g: Option<f64>| g.map_or("–".to_string(), |g| format!("{g:.2}"));
        let mean = |f: &dyn Fn(&SearchRow) -> f64| mean_std(&self.rows.iter().map(f).collect::<Vec<_>>()).0;
        let n_all = self.n_all();
        t += &format!(
            "\nProposed beats Random (mean test accuracy): continuous {bc}/{nc}, discretised {bd}/{nd}. \
             Mean gap to the best of {n_all} recorded children (points, positive = proposal worse): continuous {}, discretised {}.\n\
             Mean time per task: inference {:.0} ms; best of first 10: {:.0} s of training; best of {n_all}: {:.0} s of training.\n",
            gap(gc),
            gap(gd),
            mean(&|r| r.inference_ms),
            mean(&|r| r.children.best_of_10.1),
            mean(&|r| r.children.best_of_all.1),
        );
        t
    }

    /// The numbers the table's goal is judged by, as JSON.
    pub fn summary(&self) -> serde_json::Value {
        let ((bc, nc, gc), (bd, nd, gd)) = (self.score(true), self.score(false));
        let mean = |f: &dyn Fn(&SearchRow) -> f64| mean_std(&self.rows.iter().map(f).collect::<Vec<_>>()).0;
        serde_json::json!({
            "beats_random_continuous": [bc, nc], "beats_random_discrete": [bd, nd],
            "mean_gap_to_best_continuous_points": gc, "mean_gap_to_best_discrete_points": gd,
            "mean_inference_ms": mean(&|r| r.inference_ms), "mean_train_seconds_first10": mean(&|r| r.children.best_of_10.1),
            "mean_train_seconds_all": mean(&|r| r.children.best_of_all.1),
        })
    }
}

/// Keeping the best of the first K candidates by validation accuracy, K = 1, 3, 5, 10 (and
/// the largest asked for): per repeat, the candidate with the best validation accuracy among
/// the first K is kept and its test accuracy counts; K trainings are spent.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidatesTable {
    /// The K columns.
    pub ks: Vec<usize>,
    /// Per task: per K, the kept test accuracy of each repeat; and the recorded children.
    pub rows: Vec<(String, Vec<Vec<f64>>, RecordedChildren)>,
}

impl CandidatesTable {
    /// The table for the tasks of `order` with discretised trainings, up to `max_k` candidates.
    ///
    /// # Errors
    /// Store failures.
    pub fn of(order: &[String], runs: &[SearchRun], store: &dyn ExperimentStore, max_k: usize) -> Result<Self> {
        let ks: Vec<usize> = [1, 3, 5, 10].into_iter().filter(|&k| k <= max_k).chain((max_k > 10).then_some(max_k)).collect();
        let mut rows = Vec::new();
        for name in order {
            let repeats: HashSet<usize> = runs.iter().filter(|r| &r.task == name && r.kind == RunKind::Discrete).map(|r| r.repeat).collect();
            let (false, Some(children)) = (repeats.is_empty(), RecordedChildren::of(store, name)?) else {
                continue;
            };
            let mut repeats: Vec<usize> = repeats.into_iter().collect();
            repeats.sort_unstable();
            let per_k = ks
                .iter()
                .map(|&k| {
                    repeats
                        .iter()
                        .filter_map(|&r| {
                            let trained: Vec<(f32, f32)> = (0..k)
                                .filter_map(|j| runs.iter().find(|x| &x.task == name && x.kind == RunKind::candidate(j) && x.repeat == r))
                                .map(|x| (x.val, x.test))
                                .collect();
                            keep_best(&trained).map(f64::from)
                        })
                        .collect()
                })
                .collect();
            rows.push((name.clone(), per_k, children));
        }
        Ok(Self { ks, rows })
    }

    /// Per K: tasks where keeping the best of K beats Random, and the mean gap to the best of
    /// all (points).
    pub fn score(&self) -> Vec<(usize, f64)> {
        (0..self.ks.len())
            .map(|i| {
                let beats = self.rows.iter().filter(|(_, k, c)| mean_std(&k[i]).0 > c.random()).count();
                let gaps: Vec<f64> = self.rows.iter().map(|(_, k, c)| 100.0 * (c.best_of_all.0 - mean_std(&k[i]).0)).collect();
                (beats, mean_std(&gaps).0)
            })
            .collect()
    }

    /// The markdown: per-task table, then the summary by K.
    pub fn markdown(&self) -> String {
        let n_all = self.rows.iter().map(|r| r.2.n).max().unwrap_or(0);
        let mut t = format!(
            "| task | {} | Random (first 10) | best of first 10 by val | best of {n_all} by val |\n|---|{}---|---|---|\n",
            self.ks.iter().map(|k| format!("K = {k}")).collect::<Vec<_>>().join(" | "),
            "---|".repeat(self.ks.len())
        );
        for (name, per_k, c) in &self.rows {
            let cells: Vec<String> = per_k.iter().map(|v| pm(v)).collect();
            t += &format!("| {name} | {} | {:.2} | {:.2} | {:.2} |\n", cells.join(" | "), 100.0 * c.random(), 100.0 * c.best_of_10.0, 100.0 * c.best_of_all.0);
        }
        let n = self.rows.len();
        t += &format!("\n| K (trainings spent) | beats Random | mean gap to best of {n_all} (points) |\n|---|---|---|\n");
        for (k, (beats, g)) in self.ks.iter().zip(self.score()) {
            t += &format!("| {k} | {beats}/{n} | {g:.2} |\n");
        }
        let beats10 = self.rows.iter().filter(|(_, _, c)| c.best_of_10.0 > c.random()).count();
        let g10 = mean_std(&self.rows.iter().map(|(_, _, c)| 100.0 * (c.best_of_all.0 - c.best_of_10.0)).collect::<Vec<_>>()).0;
        t += &format!("| best of first 10 (10 trainings) | {beats10}/{n} | {g10:.2} |\n| best of {n_all} ({n_all} trainings) | | 0 |\n");
        t
    }

    /// The summary by K, as JSON.
    pub fn summary(&self) -> serde_json::Value {
        let n = self.rows.len();
        let mut s = serde_json::Map::new();
        for (k, (beats, g)) in self.ks.iter().zip(self.score()) {
            s.insert(format!("k{k}"), serde_json::json!({ "beats_random": [beats, n], "mean_gap_points": g, "trainings": k }));
        }
        serde_json::Value::Object(s)
    }
}

/// A fixed default architecture against Random, the proposal and the best of all children: the
/// trivial baseline the proposals must beat to show that inference helps.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedTable {
    /// The fixed architecture (one line).
    pub name: String,
    /// Per task with fixed trainings: its test accuracies, the proposal's, the children.
    pub rows: Vec<(String, Vec<f64>, Vec<f64>, RecordedChildren)>,
}

impl FixedTable {
    /// The table for the tasks of `order` with trainings of the fixed architecture.
    ///
    /// # Errors
    /// Store failures.
    pub fn of(name: &str, order: &[String], runs: &[SearchRun], store: &dyn ExperimentStore) -> Result<Self> {
        let mut rows = Vec::new();
        for task in order {
            let fixed = tests_of(runs, task, RunKind::Fixed);
            let (false, Some(c)) = (fixed.is_empty(), RecordedChildren::of(store, task)?) else {
                continue;
            };
            rows.push((task.clone(), fixed, tests_of(runs, task, RunKind::Discrete), c));
        }
        Ok(Self { name: name.to_string(), rows })
    }

    /// Tasks where the fixed network beats Random, its mean gap to the best of all (points),
    /// and tasks where the proposal beats it.
    pub fn score(&self) -> (usize, f64, usize) {
        let beats = self.rows.iter().filter(|(_, f, _, c)| mean_std(f).0 > c.random()).count();
        let gap = mean_std(&self.rows.iter().map(|(_, f, _, c)| 100.0 * (c.best_of_all.0 - mean_std(f).0)).collect::<Vec<_>>()).0;
        let wins = self.rows.iter().filter(|(_, f, p, _)| mean_std(p).0 > mean_std(f).0).count();
        (beats, gap, wins)
    }

    /// The markdown table and its closing line.
    pub fn markdown(&self) -> String {
        let mut t = format!("| task | fixed `{}` | proposal (K = 1) | Random (first 10) | best of all by val |\n|---|---|---|---|---|\n", self.name);
        for (task, f, p, c) in &self.rows {
            t += &format!("| {task} | {} | {} | {:.2} | {:.2} |\n", pm(f), pm(p), 100.0 * c.random(), 100.0 * c.best_of_all.0);
        }
        let (beats, g, wins) = self.score();
        let n = self.rows.len();
        t += &format!(
            "\nThe fixed architecture beats Random on {beats}/{n} tasks, is {g:.2} points short of the best of all on average; the proposal beats it on {wins}/{n}.\n"
        );
        t
    }

    /// The summary, as JSON.
    pub fn summary(&self) -> serde_json::Value {
        let (beats, g, wins) = self.score();
        let n = self.rows.len();
        serde_json::json!({ "architecture": self.name, "beats_random": [beats, n], "mean_gap_points": g, "proposal_beats_fixed": [wins, n] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use archinfer_store::{MemoryStore, PlannedTrial, TaskData, TaskRecord, TrialResult};

    /// A store with task `t` whose 12 children score val = test = 0.50, 0.51, …, 0.61 (the
    /// best of the first 10 is 0.59, of all 0.61; Random is 0.545).
    fn store() -> MemoryStore {
        let s = MemoryStore::new();
        s.create_task(&TaskRecord::new("t", "s", 2), &TaskData::new("x", vec![])).unwrap();
        let rows: Vec<_> = (0..12)
            .map(|i| {
                let a = 0.5 + 0.01 * i as f32;
                (
                    PlannedTrial { trial_index: i, architecture: "{}".into(), seed: 0 },
                    TrialResult { val_accuracy: a, test_accuracy: a, seconds: 1.0, num_params: 1, epochs_run: 1 },
                )
            })
            .collect();
        s.record_trials("t", "w", &rows).unwrap();
        s
    }

    fn run(kind: RunKind, repeat: usize, val: f32, test: f32) -> SearchRun {
        SearchRun { task: "t".into(), kind, repeat, val, test, seconds: 1.0, done: true }
    }

    #[test]
    fn recorded_children_are_read_by_trial_index() {
        let c = RecordedChildren::of(&store(), "t").unwrap().unwrap();
        assert_relative_eq!(c.random(), 0.545, epsilon = 1e-6);
        assert_relative_eq!(c.best_of_10.0, 0.59, epsilon = 1e-6);
        assert_relative_eq!(c.best_of_all.0, 0.61, epsilon = 1e-6);
        assert_eq!((c.n, c.best_of_10.1, c.best_of_all.1), (12, 10.0, 12.0));
        assert!(RecordedChildren::of(&store(), "other").unwrap().is_none());
    }

    #[test]
    fn candidates_keep_the_best_by_validation() {
        // Repeat 0: candidate 0 (val 0.6, test 0.70), candidate 1 (val 0.9, test 0.80), 2 (val
        // 0.1, test 0.99): K = 1 keeps 0.70, K = 3 keeps 0.80.
        let runs = vec![run(RunKind::Discrete, 0, 0.6, 0.7), run(RunKind::Candidate(1), 0, 0.9, 0.8), run(RunKind::Candidate(2), 0, 0.1, 0.99)];
        let t = CandidatesTable::of(&["t".to_string()], &runs, &store(), 3).unwrap();
        assert_eq!(t.ks, vec![1, 3]);
        assert_eq!(t.rows[0].1, vec![vec![f64::from(0.7f32)], vec![f64::from(0.8f32)]]);
        let score = t.score();
        assert_eq!((score[0].0, score[1].0), (1, 1));
        assert_relative_eq!(score[1].1, 100.0 * (f64::from(0.61f32) - f64::from(0.8f32)), epsilon = 1e-9);
        assert!(t.markdown().contains("| t | 70.00 ± 0.00 | 80.00 ± 0.00 | 54.50 | 59.00 | 61.00 |"), "{}", t.markdown());
    }

    #[test]
    fn fixed_and_search_tables_score_against_random() {
        let runs = vec![
            run(RunKind::Fixed, 0, 0.5, 0.5),
            run(RunKind::Fixed, 1, 0.5, 0.6),
            run(RunKind::Discrete, 0, 0.5, 0.58),
            run(RunKind::Continuous, 0, 0.5, 0.40),
        ];
        let f = FixedTable::of("a → softmax", &["t".to_string()], &runs, &store()).unwrap();
        // Fixed: mean 0.55 > Random 0.545; gap 6 points; the proposal (0.58) beats it.
        let (beats, gap, wins) = f.score();
        assert_eq!((beats, wins), (1, 1));
        assert_relative_eq!(gap, 6.0, epsilon = 1e-4);
        assert!(f.markdown().contains("beats Random on 1/1 tasks"));
        let mut proposals = BTreeMap::new();
        let proposal: Proposal = serde_json::from_value(serde_json::json!({
            "task": "t", "num_classes": 2, "candidates": [], "meta_ms": 1.0, "ascent_ms": 2.0, "path": "fused"
        }))
        .unwrap_or_else(|_| panic!("a proposal parses"));
        proposals.insert("t".to_string(), ProposalRecord { task: "t".into(), fit_seconds: 0.0, proposal });
        // A proposal without candidates cannot be tabled.
        assert!(SearchTable::of(&["t".to_string()], &proposals, &runs, &store()).is_err());
        // A row as SearchTable::of builds it: the discretised proposal (0.58) beats Random
        // (0.545), 3 points short of the best of all; the continuous u (0.40) does not.
        let children = RecordedChildren::of(&store(), "t").unwrap().unwrap();
        let row =
            SearchRow { task: "t".into(), architecture: "a → softmax".into(), inference_ms: 12.0, continuous: vec![0.40], discrete: vec![0.58], children };
        let t = SearchTable { rows: vec![row] };
        let (bd, nd, gd) = t.score(false);
        assert_eq!((bd, nd, t.score(true).0), (1, 1, 0));
        assert_relative_eq!(gd.unwrap(), 100.0 * (f64::from(0.61f32) - 0.58), epsilon = 1e-4);
        let md = t.markdown();
        assert!(md.contains("| t | a → softmax | 12 | 40.00 ± 0.00 | 58.00 ± 0.00 | 54.50 ± 3.03 | 59.00 | 61.00 |"), "{md}");
        assert!(md.contains("continuous 0/1, discretised 1/1") && md.contains("best of 12 recorded children"), "{md}");
        assert_eq!(t.summary()["beats_random_discrete"], serde_json::json!([1, 1]));
    }

}
