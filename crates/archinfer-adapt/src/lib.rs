//! Few-shot adaptation: after each training on a new task, learn from what it showed.
//!
//! The meta-trained value network proposes without seeing a single training of the new task.
//! A user who can afford N trainings should not spend them on the N best distinct argmaxes of
//! that one guess. [`Adaptive`] treats the network's predictions over a finite set of
//! candidates as the prior mean of a Gaussian process ([`surrogate`]); each observed
//! validation accuracy updates the task's level, spread and the residuals of similar
//! candidates, and the next candidate is the one of highest expected improvement.
//! [`run_trials`] is the loop with any [`ChildTrainer`](archinfer_train::ChildTrainer) and any
//! [`TrialSink`] (a store, a progress line); [`Tpe`] is the optimiser without meta-learning
//! it is compared against.
//!
//! ```
//! use archinfer_adapt::{AccuracyScale, AdaptConfig, Adaptive, Candidates};
//! // The prior is wrong on purpose: it ranks candidate 3 last, and it is the best.
//! let truth = [0.70, 0.72, 0.74, 0.90];
//! let codes = vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]];
//! let c = Candidates { values: vec![1.5, 1.0, 0.5, -1.0], codes };
//! let mut a = Adaptive::new(c, AccuracyScale::default(), AdaptConfig::default()).unwrap();
//! for _ in 0..4 {
//!     let Some(i) = a.propose() else { break };
//!     a.observe(i, truth[i]).unwrap();
//!     if a.best().is_some_and(|b| b.0 == 3) {
//!         break;
//!     }
//! }
//! assert_eq!(a.best().map(|b| b.0), Some(3));
//! ```

mod error;
mod prior;
pub mod surrogate;
mod tpe;
mod trials;

pub use error::{AdaptError, Result};
pub use prior::{AccuracyScale, Acquisition, AdaptConfig};
pub use surrogate::{Adaptive, Belief, Candidates, expected_improvement};
pub use tpe::Tpe;
pub use trials::{Trial, TrialSink, candidates_from_value, check_budget, codes_of, run_trials, run_trials_with};
