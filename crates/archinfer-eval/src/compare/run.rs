//! `evaluate compare` end to end on a database: which held-out tasks, what is known of each,
//! the proposals trained resumably ([`ProposalSetup::train_missing`]), the comparison
//! ([`compare`] / [`compare_with_training`]), its output folder, and pooling several folders.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use archinfer_store::ExperimentStore;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use super::leave_one_out::{compare_with_priors, compare_with_training, task_halves};
use super::prior::TaskPrior;
use super::matrix::{PoolMatrix, TaskFacts};
use super::options::CompareOptions;
use super::report::{CompareRow, Comparison, summarise_rows, summary_markdown};
use crate::proposal::{ProposalSetup, TrainedProposal};
use crate::runner::{ResumableRuns, io};

/// What the proposals of an output folder were made with ([`crate::runner::pin_run_settings`]): a rerun
/// with other settings is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareSettings {
    /// The database.
    pub db: String,
    /// How the value network is fitted (its `Debug` form).
    pub fit: String,
    /// The ascent (its `Debug` form).
    pub ascent: String,
    /// Training seed of the first candidate.
    pub train_seed: u64,
    /// Candidates trained per task.
    pub candidates: usize,
    /// Seed of the split-half check, if it is one.
    #[serde(default)]
    pub split_half: Option<u64>,
}

/// The indices into `matrix.tasks` of `names` (every task without names).
///
/// # Errors
/// [`EvalError::UnknownTask`] for a name the matrix lacks.
pub fn held_indices(matrix: &PoolMatrix, names: Option<&[String]>) -> Result<Vec<usize>> {
    match names {
        Some(names) => names.iter().map(|n| matrix.tasks.iter().position(|t| t == n.trim()).ok_or_else(|| EvalError::UnknownTask(n.clone()))).collect(),
        None => Ok((0..matrix.tasks.len()).collect()),
    }
}

/// The [`TaskFacts`] of every task of `matrix`, from the store's records.
///
/// # Errors
/// [`EvalError::UnknownTask`] for a task the store lacks; store failures.
pub fn matrix_facts(store: &dyn ExperimentStore, matrix: &PoolMatrix) -> Result<Vec<TaskFacts>> {
    let records = store.tasks()?;
    matrix.tasks.iter().map(|n| records.iter().find(|r| &r.name == n).map(TaskFacts::of).ok_or_else(|| EvalError::UnknownTask(n.clone()))).collect()
}

/// One `evaluate compare` run: the proposals of `setup` for the `held` tasks of `matrix`,
/// leave-one-task-out, or with `split_half` one value network per seeded half proposing for the
/// other half (the baselines then also learn from the other half only).
pub struct CompareRun<'a> {
    /// How proposals are fitted, proposed and trained (`k` is the largest budget).
    pub setup: ProposalSetup<'a>,
    /// The pool's results.
    pub matrix: &'a PoolMatrix,
    /// One per task of the matrix.
    pub facts: &'a [TaskFacts],
    /// Indices of the held-out tasks.
    pub held: Vec<usize>,
    /// Seed of the split-half check.
    pub split_half: Option<u64>,
    /// Budgets, random-search orders, ties.
    pub options: CompareOptions,
    /// The value network's prior of held-out tasks, by name (`adaptive` and `tpe` run on
    /// the tasks that have one).
    pub priors: std::collections::BTreeMap<String, TaskPrior>,
}

impl CompareRun<'_> {
    /// Trains the proposals `log` lacks on `workers` threads (`on_done` sees each), then
    /// compares every method.
    ///
    /// # Errors
    /// [`EvalError::BadOptions`] for bad options, a held-out index past the matrix, or a
    /// split-half run on part of the tasks; as
    /// [`ProposalSetup::train_missing`] and [`compare`].
    pub fn run(&self, workers: usize, log: &ResumableRuns<TrainedProposal>, on_done: &(dyn Fn(&TrainedProposal) + Sync)) -> Result<Comparison> {
        self.options.validate()?;
        let m = self.matrix;
        if let Some(bad) = self.held.iter().find(|&&t| t >= m.tasks.len()) {
            return Err(EvalError::BadOptions(format!("held-out task index {bad} of {}", m.tasks.len())));
        }
        let halves = self.split_half.map(|seed| task_halves(m.tasks.len(), seed));
        if halves.is_some() && self.held.len() != m.tasks.len() {
            return Err(EvalError::BadOptions("the split-half check proposes for every task (each from the other half)".into()));
        }
        let names: Vec<String> = self.held.iter().map(|&t| m.tasks[t].clone()).collect();
        let half_names = halves.as_ref().map(|h| h.clone().map(|half| half.iter().map(|&t| m.tasks[t].clone()).collect::<Vec<_>>()));
        let found = self.setup.train_missing(&names, half_names.as_ref(), workers, log, on_done)?;
        let proposals: Vec<Option<Vec<(f64, f64)>>> = names.iter().map(|n| found.get(n).map(TrainedProposal::runs)).collect();
        match &halves {
            Some(h) => {
                let training: Vec<Vec<usize>> = self.held.iter().map(|t| if h[0].contains(t) { h[1].clone() } else { h[0].clone() }).collect();
                compare_with_training(m, self.facts, &self.held, &training, &proposals, &self.options)
            }
            None => {
                let training: Vec<Vec<usize>> = self.held.iter().map(|&t| (0..m.tasks.len()).filter(|&x| x != t).collect()).collect();
                let priors: Vec<Option<TaskPrior>> = names.iter().map(|n| self.priors.get(n).cloned()).collect();
                compare_with_priors(m, self.facts, &self.held, &training, &proposals, &priors, &self.options)
            }
        }
    }
}

impl Comparison {
    /// Writes the output folder of `evaluate compare`: `rows.jsonl` (the rows at the `asked`
    /// budgets, one JSON object per line), `summary.json`, `headroom.json` and `compare.md`
    /// ([`Comparison::markdown`]). Returns the markdown and the JSON lines.
    ///
    /// # Errors
    /// [`EvalError::RunLog`] naming a file that cannot be written.
    pub fn write(&self, dir: &Path, asked: &[usize], pool: usize, tasks: usize) -> Result<(String, String)> {
        let asked: BTreeSet<usize> = asked.iter().copied().collect();
        let mut lines = String::new();
        for r in self.rows.iter().filter(|r| asked.contains(&r.k)) {
            lines += &serde_json::to_string(r).map_err(|e| io(dir, e))?;
            lines.push('\n');
        }
        let md = self.markdown(&asked.iter().copied().collect::<Vec<_>>(), pool, tasks);
        let headroom = serde_json::json!({ "headroom_points": 100.0 * self.headroom, "tasks": tasks });
        for (file, text) in
            [("rows.jsonl", lines.clone()), ("summary.json", json(dir, &self.summary)?), ("headroom.json", json(dir, &headroom)?), ("compare.md", md.clone())]
        {
            let path = dir.join(file);
            std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        }
        Ok((md, lines))
    }
}

fn json<T: Serialize>(dir: &Path, v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| io(dir, e))
}

/// The summaries over every task of several `evaluate compare` output folders (their
/// `rows.jsonl`, task names made unique by their folder), one markdown table per budget.
///
/// # Errors
/// [`EvalError::RunLog`] for a folder without rows or a log that does not parse.
pub fn pooled_markdown(dirs: &[PathBuf]) -> Result<String> {
    let mut rows = Vec::new();
    for d in dirs {
        let mine: Vec<CompareRow> = ResumableRuns::new(d.join("rows.jsonl")).read()?;
        if mine.is_empty() {
            return Err(io(d, "no rows.jsonl (run evaluate compare with --out there first)"));
        }
        rows.extend(mine.into_iter().map(|mut r| {
            r.task = format!("{}/{}", d.display(), r.task);
            r
        }));
    }
    let summary = summarise_rows(&rows, super::CompareOptions::TIE);
    let mut ks: Vec<usize> = summary.iter().map(|s| s.k).collect();
    ks.dedup();
    Ok(ks.into_iter().map(|k| summary_markdown(&summary, k)).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::super::method::Method;

    fn matrix() -> PoolMatrix {
        let names = |p: &str, n: usize| (0..n).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
        PoolMatrix::new(names("t", 3), names("c", 2), vec![vec![0.5, 0.6]; 3], vec![vec![0.5, 0.7], vec![0.6, 0.5], vec![0.4, 0.8]]).unwrap()
    }

    #[test]
    fn held_tasks_are_found_by_name_and_unknown_ones_named() {
        let m = matrix();
        assert_eq!(held_indices(&m, None).unwrap(), vec![0, 1, 2]);
        assert_eq!(held_indices(&m, Some(&["t2".into(), " t0".into()])).unwrap(), vec![2, 0]);
        assert!(matches!(held_indices(&m, Some(&["x".into()])), Err(EvalError::UnknownTask(n)) if n == "x"));
    }

    #[test]
    fn a_comparison_writes_its_folder_and_folders_pool() {
        let m = matrix();
        let facts = vec![TaskFacts { train: 100, classes: 2, dim: 0, modality: String::new(), ..Default::default() }; 3];
        let opts = CompareOptions { budgets: vec![1, 2], random_orders: 10, seed: 0, tie: 1e-6 };
        let c = super::super::leave_one_out::compare(&m, &facts, &[0, 1, 2], &[None, None, None], &opts).unwrap();
        // Curves hold the budgets computed; the proposal, without runs, has none.
        let curves = c.curves(&[1, 2, 3]);
        assert!(curves.iter().all(|(m, p)| m != "proposal" && p.iter().map(|q| q.0).collect::<Vec<_>>() == [1.0, 2.0]));
        assert_eq!(curves[0].1[0].1, c.summary_of(Method::SingleBest, 1).unwrap().mean_regret);
        let tmp = tempfile::tempdir().unwrap();
        let (md, lines) = c.write(tmp.path(), &[1], 2, 3).unwrap();
        assert!(md.contains("**K = 1**") && !md.contains("**K = 2**"));
        // Only K = 1 rows, one per task and method that has one.
        assert!(lines.lines().all(|l| serde_json::from_str::<CompareRow>(l).unwrap().k == 1));
        assert_eq!(lines.lines().count(), c.rows.iter().filter(|r| r.k == 1).count());
        for f in ["rows.jsonl", "summary.json", "headroom.json", "compare.md"] {
            assert!(tmp.path().join(f).exists(), "{f}");
        }
        let pooled = pooled_markdown(&[tmp.path().to_path_buf(), tmp.path().to_path_buf()]).unwrap();
        // Six tasks: the same three from two folders.
        let single = pooled.lines().find(|l| l.starts_with(&format!("| {} |", Method::SingleBest))).unwrap();
        assert!(single.contains("| 6 |"), "{single}");
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(pooled_markdown(&[empty.path().to_path_buf()]), Err(EvalError::RunLog { .. })));
    }
}
