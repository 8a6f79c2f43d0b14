//! # archinfer-infer
//!
//! Algorithm 2 of the paper: multi-start gradient ascent of a value model `v(u, z)` over the
//! architecture logits, with `u = relax(logits)` (softmax per group) so every iterate is a valid
//! relaxed architecture. A start stops once its objective changes by less than the tolerance.
//! The result lists every start's solution, best first, with its continuous value and the value
//! of its argmax discretisation (the gap between them is worth watching).
//!
//! Two paths run the same rules:
//! - [`ascend`], generic: any [`ValueModel`] that is a burn [`Module`], on any device; all
//!   starts move together in one `[starts, dim]` tensor.
//! - [`FusedMlp::ascend`], for MLP-shaped value networks such as the paper's DVN, on the CPU:
//!   forward and backward written out on `f32` slices, starts split over threads. Tests check
//!   that it matches the generic path.
//!
//! Beyond the paper: a cost-aware objective `v − λ · E[params(u)]` ([`Penalty`]), a hard
//! parameter budget on the discretised architecture ([`fit_budget`]), starts seeded from the
//! best architectures of the nearest known tasks ([`TaskLibrary`]), and [`Inferencer`], which
//! goes from a task's samples to a proposal.
//!
//! ```
//! use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec};
//! use archinfer_infer::{AscentConfig, FusedMlp, HostLayer, random_starts};
//!
//! let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("pool4", 49)]).unwrap();
//! let d = space.dim();
//! // A toy value network: v(u) = Σ relu(u) · w, w favouring the first option of every group.
//! let w: Vec<f32> = (0..d).map(|i| if space.groups().iter().any(|g| g.start == i) { 1.0 } else { 0.0 }).collect();
//! let layers = [
//!     HostLayer { n_in: d, n_out: 1, weight: w, bias: vec![0.0] },
//!     HostLayer { n_in: 1, n_out: 1, weight: vec![1.0], bias: vec![0.0] },
//! ];
//! let net = FusedMlp::new(&layers, d, &[]).unwrap();
//! let cfg = AscentConfig::new().with_starts(4).with_max_iters(200).with_step(1.0);
//! let best = &net.ascend(&space, &random_starts(&space, &cfg), &cfg, None).unwrap()[0];
//! assert!(best.discrete_value > best.trace[0]);
//! println!("{} (predicted {:.2})", best.architecture, best.discrete_value);
//! ```
//!
//! [`Module`]: burn::module::Module
//! [`ValueModel`]: archinfer_dvn::ValueModel

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod budget;
mod cost;
mod fused;
mod generic;
mod library;
mod propose;
mod value;

pub use budget::fit_budget;
pub use cost::{ParamCost, Penalty};
pub use fused::{FusedMlp, HostLayer, Kernel};
pub use generic::ascend;
pub use value::{BurnValue, TaskValue, host_ascend};
pub use library::{KnownTask, TaskLibrary};
pub use propose::{Candidate, Inferencer, InferOptions, Proposal, Ranking, propose_with};

use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use burn::config::Config;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::fused::StartRun;

/// What can go wrong in inference.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// A setting out of range, named (an ascent setting, λ, a ranking …).
    #[error("{setting} = {value}: expected {expected}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// Encodings, a model or a space of different `u` lengths.
    #[error("u of length {got} where {expected} is needed")]
    ULength {
        /// The length needed.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A task with fewer than two classes.
    #[error("a task needs at least 2 classes, got {0}")]
    TooFewClasses(usize),
    /// A network the fused path cannot pack (weights of the wrong shape, non-finite weights
    /// or task embedding).
    #[error("cannot pack the value network: {0}")]
    Pack(String),
    /// Value networks that cannot be climbed together.
    #[error("incompatible ensemble: {0}")]
    Ensemble(&'static str),
    /// A proposal without candidates.
    #[error("a proposal without candidates")]
    NoCandidates,
    /// A budget scorer that returned another number of values than asked for.
    #[error("the scorer returned {got} scores for {expected} architectures")]
    ScoreCount {
        /// Architectures scored.
        expected: usize,
        /// Scores returned.
        got: usize,
    },
    /// The tensor backend failed (values not f32, no gradient, a thread lost): a bug, not a
    /// problem of the input.
    #[error("backend: {0}")]
    Backend(String),
    /// No architecture of the space fits the parameter budget.
    #[error("no architecture fits {max_params} parameters (the smallest has {smallest})")]
    Budget {
        /// The budget asked for.
        max_params: usize,
        /// Parameters of the smallest architecture of the space.
        smallest: usize,
    },
    /// An encoding problem.
    #[error(transparent)]
    Encoding(#[from] archinfer_encoding::EncodingError),
    /// A value-network problem (embedding a task, loading a model).
    #[error(transparent)]
    Dvn(#[from] archinfer_dvn::DvnError),
    /// Reading or writing a file.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = InferError> = std::result::Result<T, E>;

/// Settings of the ascent (paper: 10 starts, 1,000 iterations).
#[derive(Config, Debug)]
pub struct AscentConfig {
    /// Starting points.
    #[config(default = 10)]
    pub starts: usize,
    /// Iterations at most.
    #[config(default = 1000)]
    pub max_iters: usize,
    /// Step size on the logits.
    #[config(default = 0.1)]
    pub step: f64,
    /// A start stops once its objective changes by less than this in one step (0: never).
    #[config(default = 1e-6)]
    pub tolerance: f64,
    /// Standard deviation of the random starting logits.
    #[config(default = 1.0)]
    pub init_scale: f64,
    /// Seed of the starting points.
    #[config(default = 0)]
    pub seed: u64,
    /// Threads of the fused CPU path (0: one per core).
    #[config(default = 0)]
    pub threads: usize,
}

impl AscentConfig {
    /// Threads the fused path uses.
    pub fn worker_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map(usize::from).unwrap_or(1)
        }
    }
}

/// One start's solution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// Final logits.
    pub logits: Vec<f32>,
    /// Final relaxed encoding `u`.
    pub u: Vec<f32>,
    /// Predicted value of `u`.
    pub value: f32,
    /// The objective at `u`: `value`, less the size penalty when there is one.
    pub objective: f32,
    /// Expected parameter count of `u` (with a penalty only).
    pub expected_params: Option<f32>,
    /// Argmax discretisation of `u`.
    pub architecture: DiscreteArchitecture,
    /// Predicted value of the discretised architecture's one-hot `u`.
    pub discrete_value: f32,
    /// Iterations this start moved.
    pub iterations: usize,
    /// Objective after each iteration (for monotonicity checks and plots).
    pub trace: Vec<f32>,
}

/// Random starting logits, `starts × dim`, `N(0, init_scale²)` from the seed.
pub fn random_starts(space: &ArchitectureSpace, cfg: &AscentConfig) -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    (0..cfg.starts)
        .map(|_| {
            (0..space.dim())
                .map(|_| {
                    let z: f32 = StandardNormal.sample(&mut rng);
                    z * cfg.init_scale as f32
                })
                .collect()
        })
        .collect()
}

/// Validates what both paths need.
fn check_inputs(space: &ArchitectureSpace, u_dim: usize, starts: &[Vec<f32>], cfg: &AscentConfig) -> Result<()> {
    if starts.is_empty() || cfg.max_iters == 0 || !(cfg.step.is_finite() && cfg.step > 0.0) || cfg.tolerance.is_nan() {
        let (setting, value, expected) = if starts.is_empty() {
            ("starts", "0".to_string(), "at least 1")
        } else if cfg.max_iters == 0 {
            ("max_iters", "0".to_string(), "at least 1")
        } else if !(cfg.step.is_finite() && cfg.step > 0.0) {
            ("step", cfg.step.to_string(), "a finite number > 0")
        } else {
            ("tolerance", cfg.tolerance.to_string(), "a number ≥ 0")
        };
        return Err(InferError::Setting { setting, value, expected });
    }
    if u_dim != space.dim() {
        return Err(InferError::ULength { expected: space.dim(), got: u_dim });
    }
    for s in starts {
        space.check_flat("starting logits", s)?;
    }
    Ok(())
}

/// Assembles solutions, best (highest objective) first.
fn finish(runs: Vec<StartRun>, archs: Vec<DiscreteArchitecture>, discrete_values: Vec<f32>, penalty: Option<&Penalty>) -> Vec<Solution> {
    let mut out: Vec<Solution> = runs
        .into_iter()
        .zip(archs)
        .zip(discrete_values)
        .map(|((r, architecture), discrete_value)| Solution {
            objective: r.value - penalty.map_or(0.0, |p| p.scale() * r.expected_params.unwrap_or(0.0)),
            logits: r.logits,
            u: r.u,
            value: r.value,
            expected_params: r.expected_params,
            architecture,
            discrete_value,
            iterations: r.iterations,
            trace: r.trace,
        })
        .collect();
    out.sort_by(|a, b| b.objective.total_cmp(&a.objective));
    out
}
