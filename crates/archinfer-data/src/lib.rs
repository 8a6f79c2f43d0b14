//! # archinfer-data
//!
//! Tasks for archinfer: a [`Task`] holds the same samples seen through several embedding
//! modules ([`FeatureSet`]s), their labels, the number of classes and disjoint
//! train / validation / test [`Splits`]. Every invariant is validated once, in [`Task::new`],
//! and reported as a typed [`DataError`].
//!
//! [`Blobs`] makes small synthetic tasks for tests and examples.
//!
//! ```
//! use archinfer_data::Blobs;
//! let task = Blobs::new(3, 120, 4).projection("proj2", 2).seed(3).task().unwrap();
//! assert_eq!(task.features().len(), 2);
//! assert_eq!(task.splits().train.len(), 72);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod error;
mod synthetic;
mod task;

pub use error::{DataError, Result};
pub use synthetic::Blobs;
pub use task::{FeatureSet, Splits, Task};
