//! The records of `evaluate search`'s run log: what one training trains, and its result.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};

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

