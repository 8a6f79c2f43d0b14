//! # archinfer-train
//!
//! Trains child networks on tasks: the [`ChildTrainer`] trait and its default
//! implementation [`AdamTrainer`] (Adam, softmax cross-entropy, seeded shuffling; the paper
//! uses learning rate 1e-4 for 20 epochs). A training returns an [`Outcome`]: validation and
//! test accuracy, wall time, parameter count and epochs run, or a failure with its reason when
//! the loss diverges.
//!
//! Tasks are uploaded to the device once as a [`PreparedTask`] and shared by every child.
//!
//! Two paths train a discrete child ([`TrainPath`]): a fused CPU trainer (matrix products by
//! `gemm`, everything else in loops over preallocated buffers, AVX2 + FMA where the CPU has
//! them; the default on a CPU device) and burn's autodiff and optimiser on any device (the
//! reference, and the path for GPUs and continuous children). Both start from the same
//! weights and batch order and run the same Adam; a test holds their accuracies within 0.03.
//! The recipe ([`TrainConfig`]: learning rate, epochs, batch size, weight decay, dropout) runs
//! on both.
//!
//! ```
//! use archinfer_data::Blobs;
//! use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
//! use archinfer_train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, TrainConfig};
//! use burn::tensor::Device;
//! use rand::SeedableRng;
//!
//! let device = Device::default();
//! let task = Blobs::new(3, 300, 8).separation(4.0).seed(1).task().unwrap();
//! let prepared = PreparedTask::new(&task, &device);
//! let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("raw", 8)]).unwrap();
//! let arch = DiscreteArchitecture::sample(&space, &mut rand::rngs::StdRng::seed_from_u64(4));
//! let trainer = AdamTrainer::new(TrainConfig::new().with_learning_rate(1e-2).with_epochs(5), device).unwrap();
//! assert_eq!(trainer.discrete_path(), archinfer_train::TrainPath::Fused);
//! let outcome = trainer.train(&ChildSpec::Discrete(arch), &prepared, 7).unwrap();
//! println!("val {:.3} test {:.3} in {:.2}s", outcome.val_accuracy, outcome.test_accuracy, outcome.seconds);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod child;
mod config;
mod error;
mod fused;
mod prepared;
mod trainer;

pub use error::{Result, TrainError};
pub use fused::simd_available;
pub use config::{TrainConfig, TrainPath};
pub use child::{ChildSpec, ChildTrainer, Outcome, Status};
pub use prepared::PreparedTask;
pub use trainer::AdamTrainer;
