//! `fit --trials N`: the few-shot loop on a user's task. The value network's prior over a
//! set of candidates is updated after each training ([`archinfer_adapt`]); the best by
//! validation is kept and saved like any fit.

use std::path::Path;

use archinfer_adapt::{AccuracyScale, AdaptConfig, Adaptive, Trial, candidates_from_value, check_budget, run_trials_with};
use archinfer_encoding::DiscreteArchitecture;
use archinfer_infer::{AscentConfig, InferOptions, Inferencer};
use archinfer_train::{AdamTrainer, PreparedTask};
use burn::tensor::Device;

use super::info::CandidateRow;
use super::model::{FitReport, FittedModel, TrainedFit, keep_better, modality_of};
use super::options::FitOptions;
use crate::error::{AppError, Result};

/// Starts of the ascent whose distinct argmaxes are the loop's candidates (beside the
/// model's library of best recorded architectures).
pub const TRIAL_STARTS: usize = 100;

/// The file of a model directory that holds its training tasks' [`AccuracyScale`]
/// (written by `archinfer train-dvn`).
pub const PRIOR_FILE: &str = "prior.json";

/// The accuracy scale saved with the model in `dir` ([`PRIOR_FILE`]), or
/// [`AccuracyScale::default`] for a model without one.
///
/// # Errors
/// [`AppError::FittedModel`] for a file that exists but cannot be read or parsed.
pub fn load_scale(dir: &Path) -> Result<AccuracyScale> {
    let path = dir.join(PRIOR_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| AppError::FittedModel { path: path.display().to_string(), message: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AccuracyScale::default()),
        Err(e) => Err(AppError::FittedModel { path: path.display().to_string(), message: e.to_string() }),
    }
}

/// The candidates of the loop on `task`: the distinct argmaxes of an ascent from
/// [`TRIAL_STARTS`] starts (within `max_params`), then the best recorded architectures of the
/// model's training tasks (within `max_params` by their declared widths), without repeats.
///
/// # Errors
/// As [`Inferencer::propose`].
pub fn trial_candidates(inferencer: &Inferencer, task: &archinfer_data::Task, max_params: Option<usize>) -> Result<Vec<DiscreteArchitecture>> {
    let opts = InferOptions::new().with_ascent(AscentConfig::new().with_starts(TRIAL_STARTS)).with_max_params(max_params);
    let p = inferencer.propose(task, &opts)?;
    let mut seen = std::collections::HashSet::new();
    let mut archs: Vec<DiscreteArchitecture> = crate::inferencer::distinct(&p).into_iter().map(|c| c.architecture.clone()).collect();
    archs.retain(|a| seen.insert(a.to_string()));
    if let Some(lib) = &inferencer.library {
        for a in lib.tasks.iter().flat_map(|t| &t.best) {
            if max_params.is_none_or(|m| a.num_params(task.num_classes()) <= m) && seen.insert(a.to_string()) {
                archs.push(a.clone());
            }
        }
    }
    Ok(archs)
}

impl FittedModel {
    /// Runs `trials` trainings on `task` chosen by few-shot adaptation over
    /// [`trial_candidates`], the prior the value network's on the model's `scale`, and keeps
    /// the one with the best validation accuracy. Training `t` (from 0) uses seed
    /// `options.seed + t`. `on_trial(bundle, training, trial)` sees each training as it
    /// finishes (to record and show it); an error there stops the loop.
    ///
    /// # Errors
    /// [`archinfer_adapt::AdaptError::ZeroBudget`] and
    /// [`archinfer_adapt::AdaptError::BudgetTooLarge`] (more trainings than candidates), a
    /// candidate outside [`FitOptions::record_space`] — all before anything is trained; as
    /// [`fit_task`](Self::fit_task); the first error of `on_trial`.
    #[allow(clippy::too_many_arguments)]
    pub fn fit_trials(
        inferencer: &Inferencer,
        bundle: archinfer_data::TaskBundle,
        task: &archinfer_data::Task,
        options: &FitOptions,
        trials: usize,
        scale: AccuracyScale,
        device: &Device,
        on_trial: &mut dyn FnMut(&archinfer_data::TaskBundle, &TrainedFit, &Trial) -> Result<()>,
    ) -> Result<FitReport> {
        check_budget(trials, usize::MAX)?;
        let (modality, side) = modality_of(&bundle)?;
        let space = &inferencer.dvn.config.space;
        crate::records::check_model_fits(task, space)?;
        let archs = trial_candidates(inferencer, task, options.max_params)?;
        check_budget(trials, archs.len())?;
        if let Some(rs) = &options.record_space {
            for a in &archs {
                a.check(rs).map_err(|e| AppError::BadOptions(format!("candidate `{a}` cannot be recorded in the database's space: {e}")))?;
            }
        }
        let value = inferencer.task_value(task)?;
        let candidates = candidates_from_value(&value, space, &archs)?;
        let predicted: Vec<f32> = candidates.values.iter().map(|&v| v as f32).collect();
        let config = AdaptConfig::default().with_holdout_mse(inferencer.holdout_mse());
        let mut adaptive = Adaptive::new(candidates, scale, config)?;
        let trainer = AdamTrainer::new(options.train.clone(), device.clone())?;
        let prep = PreparedTask::new(task, device);
        let mut best: Option<(usize, f32, archinfer_encoding::DiscreteNetwork)> = None;
        let mut rows = Vec::new();
        let mut trained: Vec<TrainedFit> = Vec::new();
        let mut train = |c: usize, arch: &DiscreteArchitecture, seed: u64| -> archinfer_adapt::Result<archinfer_train::Outcome> {
            let (o, net) = trainer.train_network(arch, &prep, seed)?;
            rows.push(CandidateRow::trained(arch, arch.num_params(task.num_classes()), predicted[c], &o));
            keep_better(&mut best, rows.len() - 1, o.val_accuracy, net);
            Ok(o)
        };
        let mut sink = |t: &Trial| -> archinfer_adapt::Result<()> {
            let fit = TrainedFit { architecture: t.architecture.clone(), seed: t.seed, outcome: t.outcome.clone() };
            // The loop's error type carries the sink's failure as text (a store error, say).
            on_trial(&bundle, &fit, t).map_err(|e| archinfer_adapt::AdaptError::Record(e.to_string()))?;
            trained.push(fit);
            Ok(())
        };
        run_trials_with(&mut adaptive, &archs, trials, options.seed, &mut train, &mut sink)?;
        let (kept, _, net) = best.ok_or_else(|| AppError::BadOptions("every trial's training failed (non-finite loss)".into()))?;
        Self::assemble(&trainer, bundle, task, modality, side, trained, rows, kept, net)
    }
}
