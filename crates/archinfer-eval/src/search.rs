//! The training phase of `evaluate search` (paper Table 4) as a typed plan: which trainings
//! ([`RunKind`]) of which held-out task and repeat are still missing from the run log, and
//! what each one trains.

use std::collections::HashSet;
use std::fmt;

use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, Encoding};
use archinfer_infer::Proposal;
use archinfer_train::ChildSpec;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};

/// Training seeds of the search's repeats are `SEARCH_SEED_BASE + repeat`: far from the seeds
/// of the recorded children, so a proposal's trainings are not theirs.
pub const SEARCH_SEED_BASE: u64 = 20_000;

/// What one training of the search trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RunKind {
    /// The proposal, discretised (candidate 0).
    Discrete,
    /// The ascent's continuous `u` of the proposal.
    Continuous,
    /// The j-th best distinct candidate, j ≥ 1 (`cand{j}` in the log).
    Candidate(usize),
    /// The fixed default architecture.
    Fixed,
}

impl RunKind {
    /// The j-th distinct candidate: [`RunKind::Discrete`] for j = 0.
    pub fn candidate(j: usize) -> Self {
        if j == 0 { RunKind::Discrete } else { RunKind::Candidate(j) }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunKind::Discrete => f.write_str("discrete"),
            RunKind::Continuous => f.write_str("continuous"),
            RunKind::Candidate(j) => write!(f, "cand{j}"),
            RunKind::Fixed => f.write_str("fixed"),
        }
    }
}

impl std::str::FromStr for RunKind {
    type Err = EvalError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "discrete" => Ok(RunKind::Discrete),
            "continuous" => Ok(RunKind::Continuous),
            "fixed" => Ok(RunKind::Fixed),
            other => other
                .strip_prefix("cand")
                .and_then(|j| j.parse().ok())
                .filter(|&j| j > 0)
                .map(RunKind::Candidate)
                .ok_or_else(|| EvalError::BadOptions(format!("run kind `{other}`: expected discrete, continuous, fixed or cand1, cand2, …"))),
        }
    }
}

impl Serialize for RunKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RunKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// One training of the search (one line of `runs.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRun {
    /// Held-out task.
    pub task: String,
    /// What was trained.
    pub kind: RunKind,
    /// Repeat (training seed `SEARCH_SEED_BASE + repeat`).
    pub repeat: usize,
    /// Validation accuracy.
    pub val: f32,
    /// Test accuracy.
    pub test: f32,
    /// Training seconds.
    pub seconds: f64,
    /// Whether training completed.
    pub done: bool,
}

/// Which trainings the search runs for each held-out task: the kinds, each `repeats` times.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    /// Kinds, in the order they run (the discretised proposal first: it is the fastest).
    pub kinds: Vec<RunKind>,
    /// Trainings of each kind.
    pub repeats: usize,
}

impl SearchPlan {
    /// The discretised proposal, the continuous `u` unless `no_continuous`, candidates 1 … K−1
    /// for `candidates = K`, and the fixed network if there is one; `repeats` of each.
    pub fn new(repeats: usize, no_continuous: bool, candidates: usize, fixed: bool) -> Self {
        let mut kinds = vec![RunKind::Discrete];
        if !no_continuous {
            kinds.push(RunKind::Continuous);
        }
        kinds.extend((1..candidates).map(RunKind::Candidate));
        if fixed {
            kinds.push(RunKind::Fixed);
        }
        Self { kinds, repeats }
    }

    /// The `(task, kind, repeat)` trainings of `tasks` not in `done`, in the order they should
    /// run when popped from the back (kind by kind, repeat by repeat, task by task).
    pub fn missing(&self, tasks: &[String], done: &[SearchRun]) -> Vec<(String, RunKind, usize)> {
        let have: HashSet<(&str, RunKind, usize)> = done.iter().map(|r| (r.task.as_str(), r.kind, r.repeat)).collect();
        let mut jobs = Vec::new();
        for &kind in &self.kinds {
            for r in 0..self.repeats {
                for t in tasks {
                    if !have.contains(&(t.as_str(), kind, r)) {
                        jobs.push((t.clone(), kind, r));
                    }
                }
            }
        }
        jobs.reverse();
        jobs
    }
}

/// What a training of `kind` trains for `proposal`: `None` for a candidate the proposal does
/// not have (fewer distinct candidates than asked for).
///
/// # Errors
/// [`EvalError::BadOptions`] for [`RunKind::Fixed`] without a fixed architecture; a proposal
/// without candidates; a continuous `u` that does not fit `space`.
pub fn search_child(kind: RunKind, proposal: &Proposal, space: &ArchitectureSpace, fixed: Option<&DiscreteArchitecture>) -> Result<Option<ChildSpec>> {
    let best = proposal.best()?;
    Ok(match kind {
        RunKind::Fixed => Some(ChildSpec::Discrete(fixed.cloned().ok_or_else(|| EvalError::BadOptions("a fixed run without a fixed architecture".into()))?)),
        RunKind::Continuous => Some(ChildSpec::Continuous { space: space.clone(), encoding: Encoding::from_flat(space, &best.solution.logits)? }),
        RunKind::Discrete => Some(ChildSpec::Discrete(best.architecture.clone())),
        RunKind::Candidate(j) => crate::distinct_candidates(proposal).get(j).cloned().map(ChildSpec::Discrete),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_and_write_as_the_log_spells_them() {
        for (k, s) in [(RunKind::Discrete, "discrete"), (RunKind::Continuous, "continuous"), (RunKind::Candidate(3), "cand3"), (RunKind::Fixed, "fixed")] {
            assert_eq!(k.to_string(), s);
            assert_eq!(s.parse::<RunKind>().unwrap(), k);
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{s}\""));
        }
        assert!("cand0".parse::<RunKind>().is_err() && "x".parse::<RunKind>().is_err());
        assert_eq!(RunKind::candidate(0), RunKind::Discrete);
    }

    #[test]
    fn the_plan_lists_what_the_log_lacks() {
        let plan = SearchPlan::new(2, true, 2, true);
        assert_eq!(plan.kinds, vec![RunKind::Discrete, RunKind::Candidate(1), RunKind::Fixed]);
        let tasks = vec!["a".to_string(), "b".to_string()];
        let done = vec![SearchRun { task: "a".into(), kind: RunKind::Discrete, repeat: 0, val: 0.5, test: 0.5, seconds: 1.0, done: true }];
        let jobs = plan.missing(&tasks, &done);
        assert_eq!(jobs.len(), 3 * 2 * 2 - 1);
        // Popped from the back: the discretised proposal of b, repeat 0, runs first.
        assert_eq!(jobs.last(), Some(&("b".to_string(), RunKind::Discrete, 0)));
    }
}
