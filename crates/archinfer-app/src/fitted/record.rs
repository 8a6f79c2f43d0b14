//! A fit and the database: the recipe and space a fit takes from it, and recording its
//! trainings in it.

use archinfer_encoding::ArchitectureSpace;
use archinfer_store::{ExperimentStore, PlannedTrial, TrialResult};
use archinfer_train::TrainConfig;

use super::model::FitReport;
use super::options::default_train_config;
use crate::error::{AppError, Result};

/// The recipe and record space of a fit: the recipe of `settings` (a database; build-db's
/// defaults without one), with `epochs` in place of its epochs; and, where the trainings are
/// recorded in `record`, that database's space, after checking that `task` fits it, that the
/// model's space is not newer and that `epochs` agrees with the recorded children's recipe.
///
/// # Errors
/// [`AppError::Setting`] for `epochs` that differ from `record`'s recipe;
/// [`AppError::DoesNotFit`]; a model space newer than `record`'s; store failures.
pub fn fit_settings(
    settings: Option<&dyn ExperimentStore>,
    record: Option<&dyn ExperimentStore>,
    epochs: Option<usize>,
    task: &archinfer_data::Task,
    model_space: &ArchitectureSpace,
) -> Result<(TrainConfig, Option<ArchitectureSpace>)> {
    let pinned = settings.map(|s| crate::settings::DbSettings::of(s).train_config()).transpose()?.flatten();
    let mut config = pinned.clone().unwrap_or_else(default_train_config);
    if let Some(e) = epochs {
        // A recorded child without a recipe stands for the database's recipe: another length
        // would be recorded under the wrong one.
        if let (Some(_), Some(p)) = (record, &pinned)
            && p.epochs != e
        {
            let message = format!("--epochs {e}: the database's children train {} epochs, and recorded trainings must too", p.epochs);
            return Err(AppError::Setting { key: archinfer_store::MetaKey::TrainConfig.as_str(), message });
        }
        config = config.with_epochs(e);
    }
    let Some(space) = record.map(|r| crate::settings::DbSettings::of(r).space()).transpose()?.flatten() else { return Ok((config, None)) };
    crate::records::fits_space(task, &space)?;
    // A recipe-carrying child cannot be read back by a version-1 database.
    if model_space.version() > space.version() {
        let what = "the model".to_string();
        return Err(archinfer_encoding::EncodingError::SpaceVersion { what, found: model_space.version(), expected: space.version() }.into());
    }
    Ok((config, Some(space)))
}


/// Adds task `name` (its samples `bundle`, from `source`) to `store` if missing, with a new
/// database's space and recipe: what the first recorded training of a fit needs.
///
/// # Errors
/// Store failures.
pub fn ensure_task(store: &dyn ExperimentStore, name: &str, source: &str, bundle: &archinfer_data::TaskBundle, model_space: &ArchitectureSpace, train: &TrainConfig) -> Result<()> {
    if !store.tasks()?.iter().any(|t| t.name == name) {
        crate::records::add_task(store, &crate::records::record_of(name, "user", &format!("recorded by fit from {source}"), bundle), bundle)?;
        let settings = crate::settings::DbSettings::of(store);
        if settings.space()?.is_none() {
            settings.set_space(model_space)?;
        }
        if settings.train_config()?.is_none() {
            settings.pin_train_config(train)?;
        }
    }
    Ok(())
}

/// Records the completed trainings of `trained` under task `name` (which must exist), in one
/// transaction, at the indices after the task's random children, below the pool's. Returns
/// how many were recorded (diverged ones are not).
///
/// # Errors
/// Store failures.
pub fn record_trainings(store: &dyn ExperimentStore, name: &str, trained: &[&super::model::TrainedFit], worker: &str) -> Result<usize> {
    let next = store.trials(Some(name))?.iter().filter(|t| t.trial_index < crate::pool::POOL_FIRST_INDEX).map(|t| t.trial_index + 1).max().unwrap_or(0);
    let mut rows = Vec::new();
    for t in trained.iter().filter(|t| t.outcome.is_done()) {
        let o = &t.outcome;
        rows.push((
            PlannedTrial { trial_index: next + rows.len(), architecture: t.architecture.to_json()?, seed: t.seed },
            TrialResult {
                val_accuracy: o.val_accuracy,
                test_accuracy: o.test_accuracy,
                seconds: o.seconds,
                num_params: o.num_params,
                epochs_run: o.epochs_run,
            },
        ));
    }
    if !rows.is_empty() {
        store.record_trials(name, worker, &rows)?;
    }
    Ok(rows.len())
}

/// Records a fit's completed trainings under task `name` in `store` (adding the task, and a
/// new database's space and recipe, if missing): what `archinfer fit --record` does, so the
/// database grows with use. The trials take the indices after the task's random children,
/// below the pool's. Returns how many were recorded.
///
/// # Errors
/// Store failures.
pub fn record_fit(
    store: &dyn ExperimentStore,
    name: &str,
    source: &str,
    report: &FitReport,
    model_space: &ArchitectureSpace,
    train: &TrainConfig,
    worker: &str,
) -> Result<usize> {
    ensure_task(store, name, source, &report.bundle, model_space, train)?;
    record_trainings(store, name, &report.trained.iter().collect::<Vec<_>>(), worker)
}
