//! # archinfer-app
//!
//! What a program that embeds archinfer uses, and what the evaluations build on: a user's data
//! as a task, a fitted model, and the life-long database around them.
//!
//! - **a user's data**: [`read_user_data`] reads any input the command line takes (image
//!   folders, CSVs of image paths, IDX, pixel CSVs, texts) into [`UserData`], which splits into
//!   a task with [`UserData::bundle`];
//! - **fitted models**: [`FittedModel::fit`] proposes for a task, trains the first candidates
//!   and keeps the best by validation; [`FittedModel::save`] / [`FittedModel::load`] /
//!   [`FittedModel::predict`] make it a model a program keeps; [`record_fit`] puts its
//!   trainings into the database;
//! - **the value network a program proposes with**: [`dvn_tasks`] (recorded children as
//!   training data), [`fit_inferencer`], [`distinct`] candidates and the one candidate-training
//!   loop [`train_candidates`];
//! - **the life-long database**: tasks as records ([`add_task`], [`add_suite`],
//!   [`load_tasks`], [`fits_space`]), its settings ([`DbSettings`]), the common [`Pool`], module
//!   migrations ([`widen_space`]), building it ([`plan_missing`], [`prepare_build`],
//!   [`run_worker`], [`run_workers`]) and its manifest ([`db_manifest`]).
//!
//! Everything takes `&dyn ExperimentStore`, so any store plugs in, and `&Device`, so any burn
//! backend does.
//!
//! ```
//! use archinfer_app::Pool;
//! use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec};
//! let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("pca", 4)]).unwrap();
//! // The same seed draws the same pool; a grown pool keeps its first members.
//! let pool = Pool::draw(&space, 8, 7).unwrap();
//! assert_eq!(pool, Pool::draw(&space, 8, 7).unwrap());
//! let grown = pool.grown(&space, 4, None).unwrap();
//! assert_eq!(grown.size(), 12);
//! assert_eq!(grown.members[..8], pool.members[..]);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod error;
mod fitted;
mod inferencer;
mod manifest;
mod modules;
mod pool;
mod records;
mod settings;
mod worker;

pub use error::{AppError, Result};
pub use fitted::{
    ARCHITECTURE_FILE, FitDone, FitEvents, FitJob, CandidateRow, FITTED_FILE, FitOptions, FitReport, FittedInfo, FittedModel, Predictions, SCHEMA_FILE, TrainedFit, VOCABULARY_FILE, WEIGHTS_FILE, accuracy, default_train_config, fit_settings,
    record_fit, ensure_task, record_trainings, PRIOR_FILE, TRIAL_STARTS, load_scale, trial_candidates,
};
pub use inferencer::{InferencerRecipe, distinct, distinct_candidates, dvn_tasks, fit_inferencer, train_candidates};
pub use manifest::{db_manifest, machine_info, run_summary};
pub use modules::{ModuleCost, child_costs, module_indices, widen_space};
pub use pool::{POOL_FIRST_INDEX, Pool, PoolMember};
pub use records::{
    StoredTask, SuiteAdded, TextModules, add_suite, add_task, add_user_task, bundle_task, bundle_task_for_model, check_model_fits, export_image_task, fill_suite, fits_space, load_task, load_tasks,
    load_tasks_filled, pin_space, record_of, space_of, suite_bundles, suite_complete, suite_images, suite_task,
};
pub use settings::DbSettings;
// The one reader lives in `archinfer-data`; its names stay reachable here.
pub use archinfer_data::{DataSpec, IMAGE_PATH_COLUMNS, IMAGE_SIDE, InputKind, Modality, USER_SPLIT, USER_SPLIT_SEED, UserData, UserSamples, parse_label, read_user_data};
pub use worker::{
    BuildPlan, BuildPrepared, MakeTrainer, OnAnyTrial, OnTrial, OpenStore, Report, WorkerOptions, WorkerPoolOptions, check_planned, plan_missing, plan_missing_among, prepare_build,
    process_name, run_worker, run_workers,
};
