//! `archinfer fit` as one library call: read a user's data, propose with a value network,
//! train the first candidates, keep the best, save it and, if asked, record the trainings.
//! A program (or the command line) fills a [`FitJob`], calls [`FitJob::run`] and renders
//! what [`FitEvents`] reports on the way and the [`FitDone`] it returns.

use std::path::PathBuf;

use archinfer_data::{DataSpec, TaskBundle, USER_SPLIT, UserData, default_embedders, read_user_data};
use archinfer_infer::Inferencer;
use archinfer_store::Location;
use archinfer_train::TrainConfig;
use burn::tensor::Device;

use super::model::{FitReport, FittedModel};
use super::options::FitOptions;
use super::record::{ensure_task, fit_settings, record_fit, record_trainings};
use crate::error::{AppError, Result};
use crate::records::{TextModules, bundle_task, check_model_fits};

/// Everything one fit needs: the value network, the data, where the model goes and how the
/// candidates are trained and recorded.
#[derive(Debug, Clone)]
pub struct FitJob {
    /// The value network's directory (written by `archinfer train-dvn`).
    pub model: PathBuf,
    /// The data (any input [`read_user_data`] reads).
    pub data: PathBuf,
    /// How to read it.
    pub spec: DataSpec,
    /// The task's name (`None`: the data's file or folder name).
    pub name: Option<String>,
    /// Where the fitted model is saved.
    pub out: PathBuf,
    /// Distinct candidates to train (at least 1); the best by validation is kept.
    pub candidates: usize,
    /// Hard budget on the candidates' parameters.
    pub max_params: Option<usize>,
    /// Training seed of the first candidate (the k-th uses seed + k).
    pub seed: u64,
    /// Epochs in place of the recipe's (candidates without a recipe of their own).
    pub epochs: Option<usize>,
    /// A database whose child-training recipe is used, when it exists (`record` wins).
    pub settings: Option<Location>,
    /// A database to record the task and the trainings in (created if missing). With
    /// `candidates`, after every candidate is trained: a refused or failed fit writes nothing.
    /// With `trials`, each training as it finishes, exactly once: a run stopped before a
    /// training finished writes nothing, one stopped later keeps the finished ones.
    pub record: Option<Location>,
    /// Few-shot adaptation instead of the first `candidates`: this many trainings, each
    /// chosen after the ones before it were observed ([`FittedModel::fit_trials`]).
    pub trials: Option<usize>,
}

/// What a fit reports on its way, for progress bars and notes. Every method does nothing by
/// default.
pub trait FitEvents {
    /// `done` of `total` image files read.
    fn images_read(&mut self, _done: usize, _total: usize) {}
    /// The data were read (their conversion and notes are in `data`).
    fn data_read(&mut self, _data: &UserData) {}
    /// Training starts: the task `name`, its split, the recipe and the model's space version.
    fn training(&mut self, _name: &str, _bundle: &TaskBundle, _config: &TrainConfig, _space_version: u32) {}
    /// Candidate `k` of `total` (architecture `arch`) is about to be trained.
    fn candidate(&mut self, _k: usize, _total: usize, _arch: &str) {}
    /// A training of `fit --trials` finished (with the best so far).
    fn trial(&mut self, _trial: &archinfer_adapt::Trial, _budget: usize) {}
}

/// Reports nothing.
impl FitEvents for () {}

/// What a fit did.
pub struct FitDone {
    /// The task's name.
    pub name: String,
    /// The kept model, every candidate's training and the task's samples.
    pub report: FitReport,
    /// Trainings recorded in [`FitJob::record`], if one was given.
    pub recorded: Option<usize>,
}

impl std::fmt::Debug for FitDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitDone").field("name", &self.name).field("kept", &self.report.kept).field("recorded", &self.recorded).finish_non_exhaustive()
    }
}

/// `path: error`, so that an error from a step names what it was about.
fn at(path: impl std::fmt::Display, e: impl std::fmt::Display) -> AppError {
    AppError::UserData { path: path.to_string(), message: e.to_string() }
}

impl FitJob {
    /// A fit of `data` with the value network at `model`, saved to `out`: one candidate,
    /// seed 0, no database.
    pub fn new(model: impl Into<PathBuf>, data: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        Self {
            model: model.into(),
            data: data.into(),
            spec: DataSpec::new(),
            name: None,
            out: out.into(),
            candidates: 1,
            max_params: None,
            seed: 0,
            epochs: None,
            settings: None,
            record: None,
            trials: None,
        }
    }

    /// The task's name: the one given, else the data's file or folder name.
    pub fn task_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.data.file_stem().map_or_else(|| "task".to_string(), |s| s.to_string_lossy().into_owned()))
    }

    /// Runs the fit: reads and checks everything first (the data, the model's fit to it, the
    /// database's recipe and space), trains, saves, then records (with `trials`, each
    /// training is recorded as it finishes, before the model is saved).
    ///
    /// # Errors
    /// [`AppError::BadOptions`] for no candidates, [`archinfer_adapt::AdaptError::ZeroBudget`]
    /// for `trials` of 0 (before anything is read) and
    /// [`archinfer_adapt::AdaptError::BudgetTooLarge`] for more trials than candidates; every reading, checking, training, saving
    /// and recording error, each naming the data or the database it is about.
    pub fn run(&self, device: &Device, events: &mut dyn FitEvents) -> Result<FitDone> {
        if self.candidates == 0 {
            return Err(AppError::BadOptions("a fit needs at least one candidate".into()));
        }
        if let Some(n) = self.trials {
            archinfer_adapt::check_budget(n, usize::MAX)?;
        }
        let inf = Inferencer::load(&self.model, device)?;
        let name = self.task_name();
        let data = read_user_data(&self.data, &self.spec, &mut |done, total| events.images_read(done, total))?;
        events.data_read(&data);
        let embedders = default_embedders()?;
        let bundle = data.bundle_with(USER_SPLIT, &embedders)?;
        let task = bundle_task(&bundle, &name, &embedders, &mut TextModules::default())?;
        let space = &inf.dvn.config.space;
        check_model_fits(&task, space).map_err(|e| at(self.data.display(), e))?;
        let record = self.record.as_ref().filter(|d| d.exists()).map(Location::open_existing).transpose()?;
        let other = if record.is_some() { None } else { self.settings.as_ref().filter(|d| d.exists()).map(Location::open_existing).transpose()? };
        let about = self.record.as_ref().map_or_else(|| self.data.display().to_string(), ToString::to_string);
        let (config, record_space) =
            fit_settings(record.as_deref().or(other.as_deref()), record.as_deref(), self.epochs, &task, space).map_err(|e| at(&about, e))?;
        drop((record, other));
        let options = FitOptions::new(config.clone()).with_candidates(self.candidates).with_max_params(self.max_params).with_seed(self.seed).with_record_space(record_space);
        events.training(&name, &bundle, &config, space.version());
        let worker = format!("fit:{}", std::process::id());
        let source = self.data.display().to_string();
        let (report, recorded) = match self.trials {
            Some(n) => {
                let scale = super::trials::load_scale(&self.model)?;
                let mut store: Option<Box<dyn archinfer_store::ExperimentStore>> = None;
                let mut recorded = 0;
                let report = FittedModel::fit_trials(&inf, bundle, &task, &options, n, scale, device, &mut |bundle, fit, trial| {
                    if let Some(db) = &self.record {
                        if store.is_none() {
                            let s = db.open_or_create()?;
                            ensure_task(s.as_ref(), &name, &source, bundle, space, &config)?;
                            store = Some(s);
                        }
                        if let Some(s) = &store {
                            recorded += record_trainings(s.as_ref(), &name, &[fit], &worker)?;
                        }
                    }
                    events.trial(trial, n);
                    Ok(())
                })?;
                report.model.save(&self.out)?;
                (report, self.record.as_ref().map(|_| recorded))
            }
            None => {
                let report = FittedModel::fit_task(&inf, bundle, &task, &options, device, &mut |k, total, arch| events.candidate(k, total, arch))?;
                report.model.save(&self.out)?;
                let recorded = match &self.record {
                    Some(db) => {
                        let store = db.open_or_create()?;
                        Some(record_fit(store.as_ref(), &name, &source, &report, space, &config, &worker)?)
                    }
                    None => None,
                };
                (report, recorded)
            }
        };
        Ok(FitDone { name, report, recorded })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_refuses_no_candidates_before_reading_anything() {
        let mut job = FitJob::new("no-model", "no-data", "out");
        job.candidates = 0;
        assert!(matches!(job.run(&Device::default(), &mut ()), Err(AppError::BadOptions(_))));
        assert_eq!(FitJob::new("m", "some/where/cats.csv", "o").task_name(), "cats");
    }
}
