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

mod ascent;
mod budget;
mod cost;
mod error;
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

pub use ascent::{AscentConfig, Solution, random_starts};
pub use error::{InferError, Result};
