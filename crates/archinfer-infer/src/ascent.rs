//! The ascent's settings, one start's solution, and the seeded starting points.

use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use burn::config::Config;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::cost::Penalty;
use crate::error::{InferError, Result};

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

/// One start's finished ascent, before discretisation (every path of the ascent makes these;
/// [`finish`] turns them into [`Solution`]s).
#[derive(Debug, Clone, Default)]
pub(crate) struct StartRun {
    pub logits: Vec<f32>,
    pub u: Vec<f32>,
    pub value: f32,
    pub expected_params: Option<f32>,
    pub iterations: usize,
    pub trace: Vec<f32>,
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
pub(crate) fn check_inputs(space: &ArchitectureSpace, u_dim: usize, starts: &[Vec<f32>], cfg: &AscentConfig) -> Result<()> {
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
pub(crate) fn finish(runs: Vec<StartRun>, archs: Vec<DiscreteArchitecture>, discrete_values: Vec<f32>, penalty: Option<&Penalty>) -> Vec<Solution> {
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
