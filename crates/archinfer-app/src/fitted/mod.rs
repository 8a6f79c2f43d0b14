//! A trained network for a user's task, as a program uses it: [`FittedModel::fit`] infers,
//! trains the best distinct candidates and keeps the best by validation accuracy;
//! [`FittedModel::save`] writes a checksummed directory (what `archinfer fit` writes);
//! [`FittedModel::load`] reads one back; [`FittedModel::predict`] labels samples.
//!
//! The directory holds [`FITTED_FILE`] (what the network reads and how it was trained),
//! `architecture.json`, the weights (`model.bpk`) and the checksum list the value network's
//! directories use too ([`archinfer_dvn::write_checksums`]).


mod info;
mod job;
mod model;
mod options;
mod record;
mod trials;

pub use job::{FitDone, FitEvents, FitJob};
pub use info::{ARCHITECTURE_FILE, CandidateRow, FITTED_FILE, FittedInfo, SCHEMA_FILE, VOCABULARY_FILE, WEIGHTS_FILE};
pub use model::{FitReport, FittedModel, Predictions, TrainedFit, accuracy};
pub use options::{FitOptions, default_train_config};
pub use record::{ensure_task, fit_settings, record_fit, record_trainings};
pub use trials::{PRIOR_FILE, TRIAL_STARTS, load_scale, trial_candidates};
