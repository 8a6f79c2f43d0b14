//! The leave-one-task-out protocols of the paper's evaluation, written against
//! [`ExperimentStore`]: the recorded children as training data, one fold of Tables 2 and 3
//! (fit on every task but one, judge on its children), and the value network plus task library
//! that inference on a held-out task uses (Table 4). The command line runs these folds in
//! threads, resumably, and writes the tables.

use std::sync::Arc;
use std::time::Instant;

use archinfer_data::Task;
use archinfer_dvn::{DvnTask, Recipe, TrainedDvn, r_squared, spearman};
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use archinfer_infer::{InferOptions, Inferencer, KnownTask, Proposal, TaskLibrary};
use archinfer_metafeatures::{MetaFeatures, TaskEncoder};
use archinfer_store::ExperimentStore;
use archinfer_train::{ChildSpec, ChildTrainer, PreparedTask};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::zswap::{TaskScorer, ZSwap, embeddings, z_swap};

/// Mean and sample standard deviation (divided by `n − 1`; 0 for fewer than two values): the
/// one definition every table of the evaluation uses.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = if v.len() > 1 { (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
    (m, s)
}

/// The recorded children of `tasks` (done trials only) as value-network training data: each
/// child's one-hot `u` in `space` and its validation accuracy, with the task's samples.
///
/// # Errors
/// Storage failures, or a recorded architecture that does not parse or fit `space`.
pub fn dvn_tasks(store: &dyn ExperimentStore, space: &ArchitectureSpace, tasks: &[Arc<Task>]) -> Result<Vec<DvnTask>> {
    tasks
        .iter()
        .map(|task| {
            let (mut u, mut v) = (Vec::new(), Vec::new());
            for t in store.trials(Some(task.name()))? {
                if let Some(r) = t.result {
                    let arch: DiscreteArchitecture =
                        serde_json::from_str(&t.architecture).map_err(|e| EvalError::BadArchitecture { trial: t.id, message: e.to_string() })?;
                    // A recipe or module the space lacks names the stored trial.
                    u.push(arch.one_hot_u(space).map_err(|e| EvalError::BadArchitecture { trial: t.id, message: e.to_string() })?);
                    v.push(r.val_accuracy);
                }
            }
            Ok(DvnTask { name: task.name().to_string(), u, v, task: Some(task.clone()) })
        })
        .collect()
}

/// Every task but `held`.
pub fn all_but(tasks: &[DvnTask], held: usize) -> Vec<DvnTask> {
    tasks.iter().enumerate().filter(|(i, _)| *i != held).map(|(_, t)| t.clone()).collect()
}

/// One leave-one-task-out fold of the paper's Tables 2 and 3.
#[derive(Debug, Clone)]
pub struct Fold {
    /// Spearman rank correlation of predicted and recorded validation accuracy of the held-out
    /// task's children.
    pub spearman: f64,
    /// R² of the predictions against the per-task normalised accuracies.
    pub r2: f64,
    /// Task picks of Algorithm 1 until it stopped.
    pub steps: usize,
    /// Seconds to fit.
    pub fit_seconds: f64,
    /// z-swap of the held-out task (networks with meta-features only).
    pub z_swap: Option<ZSwap>,
}

/// Fits a value network by `recipe` on every task of `tasks` but `held`, then ranks the held-out
/// task's recorded children with it (and, with meta-features, with every training task's `z`
/// in place of its own).
///
/// # Errors
/// Fewer than two tasks, a held-out task with fewer than two children, or a failed fit.
pub fn predict_fold(space: &ArchitectureSpace, tasks: &[DvnTask], held: usize, recipe: &Recipe, device: &Device) -> Result<Fold> {
    if tasks.len() < 2 || held >= tasks.len() {
        return Err(EvalError::TooFewTasks { needed: 2, got: tasks.len() });
    }
    let train = all_but(tasks, held);
    let h = &tasks[held];
    if h.u.len() < 2 || h.u.len() != h.v.len() {
        return Err(EvalError::TooFewChildren { task: h.name.clone(), got: h.u.len().min(h.v.len()), needed: 2 });
    }
    let (cfg, tc) = recipe.configs(space, &train)?;
    let t0 = Instant::now();
    let m = TrainedDvn::fit(cfg, tc, &train, device)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    let own_z = match h.task.as_deref() {
        Some(t) => m.encode_task(t)?,
        None => Vec::new(),
    };
    let swap = if own_z.is_empty() {
        None
    } else {
        let others = embeddings(&m, train.iter().filter_map(|t| t.task.as_deref()))?;
        Some(z_swap(&m, &h.name, &h.u, &h.v, &own_z, &others)?)
    };
    let pred: Vec<f64> = m.score(&h.u, &own_z)?.into_iter().map(f64::from).collect();
    let actual: Vec<f64> = h.v.iter().map(|&x| f64::from(x)).collect();
    let (mu, sd) = mean_std(&actual);
    let norm: Vec<f64> = actual.iter().map(|x| (x - mu) / sd.max(1e-9)).collect();
    Ok(Fold { spearman: spearman(&pred, &actual)?, r2: r_squared(&norm, &pred)?, steps: m.history.last().map_or(0, |h| h.0), fit_seconds, z_swap: swap })
}

/// How the value network that inference uses is fitted.
#[derive(Debug, Clone)]
pub struct InferencerRecipe {
    /// The fitting recipe of the first network (the others of an ensemble use seeds
    /// `seed + 1`, `seed + 2`, …).
    pub recipe: Recipe,
    /// Value networks to fit; with more than one, the ascent climbs their mean.
    pub ensemble: usize,
    /// Best recorded architectures kept per training task, for seeded starts.
    pub library_best: usize,
}

/// Fits the value network(s) of `how` on `train` and builds the task library from the store's
/// best recorded children of each training task.
///
/// # Errors
/// No training tasks, a failed fit, storage failures, or an unreadable recorded architecture.
pub fn fit_inferencer(
    store: &dyn ExperimentStore,
    space: &ArchitectureSpace,
    train: &[DvnTask],
    how: &InferencerRecipe,
    device: &Device,
) -> Result<Inferencer> {
    if train.is_empty() {
        return Err(EvalError::TooFewTasks { needed: 1, got: 0 });
    }
    let fit = |seed: u64| -> Result<TrainedDvn> {
        let (cfg, tc) = how.recipe.clone().with_seed(seed).configs(space, train)?;
        Ok(TrainedDvn::fit(cfg, tc, train, device)?)
    };
    let first = fit(how.recipe.seed)?;
    let members = (1..how.ensemble.max(1) as u64).map(|i| fit(how.recipe.seed + i)).collect::<Result<Vec<_>>>()?;
    let mut inf = Inferencer::new(first, None, device).with_members(members);
    let mut known = Vec::new();
    for t in train {
        let z = match &t.task {
            Some(task) => inf.embed(task)?,
            None => Vec::new(),
        };
        let mut done: Vec<(f32, DiscreteArchitecture)> = Vec::new();
        for tr in store.trials(Some(&t.name))? {
            if let Some(r) = tr.result {
                let arch = serde_json::from_str(&tr.architecture).map_err(|e| EvalError::BadArchitecture { trial: tr.id, message: e.to_string() })?;
                done.push((r.val_accuracy, arch));
            }
        }
        done.sort_by(|a, b| b.0.total_cmp(&a.0));
        known.push(KnownTask { name: t.name.clone(), z, best: done.into_iter().take(how.library_best).map(|d| d.1).collect() });
    }
    inf.library = Some(TaskLibrary { tasks: known });
    Ok(inf)
}

impl Fold {
    /// This fold as a line of `evaluate predict`'s run log: held-out `task`, fitted by
    /// `recipe` (its meta-features and preset), repeat `repeat`.
    pub fn run(&self, task: &str, recipe: &Recipe, repeat: usize) -> crate::PredictRun {
        let swap = self.z_swap.as_ref();
        crate::PredictRun {
            task: task.to_string(),
            variant: recipe.meta.to_string(),
            repeat,
            spearman: self.spearman,
            r2: self.r2,
            steps: self.steps,
            fit_seconds: self.fit_seconds,
            preset: recipe.preset.to_string(),
            swapped_spearman: swap.map(ZSwap::others_mean),
            swapped_worse: swap.map(|s| s.swapped.iter().filter(|o| o.1 < s.own).count()),
        }
    }
}

/// The `(task index, variant, repeat)` fits of `evaluate predict` for the tasks at `held` that
/// the run log `done` lacks: every variant, `repeats` times. `done` should hold the runs of the
/// preset to be run only; indices past `tasks` are skipped.
pub fn predict_jobs(
    tasks: &[DvnTask],
    held: &[usize],
    variants: &[MetaFeatures],
    repeats: usize,
    done: &[crate::PredictRun],
) -> Vec<(usize, MetaFeatures, usize)> {
    let have: std::collections::HashSet<(&str, String, usize)> = done.iter().map(|r| (r.task.as_str(), r.variant.clone(), r.repeat)).collect();
    let mut jobs = Vec::new();
    for &k in held.iter().filter(|&&k| k < tasks.len()) {
        for &m in variants {
            jobs.extend((0..repeats).filter(|&r| !have.contains(&(tasks[k].name.as_str(), m.to_string(), r))).map(|r| (k, m, r)));
        }
    }
    jobs
}

/// A proposal for one held-out task of the Table 4 analogue.
#[derive(Debug, Clone)]
pub struct HeldOutProposal {
    /// The proposal (candidates best first).
    pub proposal: Proposal,
    /// Seconds to fit the value network on the other tasks.
    pub fit_seconds: f64,
}

/// Leaves task `held` out, fits on the rest ([`fit_inferencer`]) and proposes for it.
///
/// # Errors
/// As [`fit_inferencer`], a held-out task without samples, or a failed proposal.
pub fn propose_held_out(
    store: &dyn ExperimentStore,
    space: &ArchitectureSpace,
    tasks: &[DvnTask],
    held: usize,
    how: &InferencerRecipe,
    opts: &InferOptions,
    device: &Device,
) -> Result<HeldOutProposal> {
    let task = tasks.get(held).and_then(|t| t.task.clone()).ok_or(EvalError::TooFewTasks { needed: held + 1, got: tasks.len() })?;
    let t0 = Instant::now();
    let inf = fit_inferencer(store, space, &all_but(tasks, held), how, device)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    Ok(HeldOutProposal { proposal: inf.propose(&task, opts)?, fit_seconds })
}

/// One of a proposal's candidates, trained on the held-out task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedCandidate {
    /// The architecture (one-line form).
    pub architecture: String,
    /// Validation accuracy (0 for a failed training).
    pub val_accuracy: f64,
    /// Test accuracy (0 for a failed training).
    pub test_accuracy: f64,
    /// Training seconds.
    pub seconds: f64,
}

/// The first K distinct candidates of a held-out task's proposal, trained there: what a user
/// who runs `archinfer fit --candidates K` gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedProposal {
    /// The held-out task.
    pub task: String,
    /// The candidates in proposal order, each trained once.
    pub candidates: Vec<TrainedCandidate>,
    /// Seconds to fit the value network(s) on the other tasks.
    pub fit_seconds: f64,
    /// Milliseconds of inference (meta-features and ascent).
    pub infer_ms: f64,
}

impl TrainedProposal {
    /// `(validation, test)` of the candidates, in order: the input of [`crate::compare()`].
    pub fn runs(&self) -> Vec<(f64, f64)> {
        self.candidates.iter().map(|c| (c.val_accuracy, c.test_accuracy)).collect()
    }
}

/// What the trained proposals of `evaluate compare` are made with: the database, its space and
/// recorded children, the value network's recipe, the ascent, the trainer, K candidates and
/// the first training seed.
#[derive(Clone, Copy)]
pub struct ProposalSetup<'a> {
    /// The database.
    pub store: &'a dyn ExperimentStore,
    /// Its space.
    pub space: &'a ArchitectureSpace,
    /// Every task's recorded children.
    pub tasks: &'a [DvnTask],
    /// How the value network is fitted.
    pub how: &'a InferencerRecipe,
    /// The ascent.
    pub opts: &'a InferOptions,
    /// Trains the candidates.
    pub trainer: &'a (dyn ChildTrainer + Sync),
    /// Candidates trained per task.
    pub k: usize,
    /// Training seed of the first candidate.
    pub seed: u64,
    /// Where the value network and the children run.
    pub device: &'a Device,
}

/// What a [`ProposalSetup`] borrows, owned: a database's space and the recorded children of its
/// tasks, the value network's recipe, the ascent, and a trainer with the database's recipe
/// (`evaluate search` and `evaluate compare` start from one).
pub struct Proposer {
    /// The database's space.
    pub space: ArchitectureSpace,
    /// Every task's recorded children.
    pub tasks: Vec<DvnTask>,
    /// How the value network is fitted.
    pub how: InferencerRecipe,
    /// The ascent.
    pub opts: InferOptions,
    /// The database's children's recipe.
    pub train: archinfer_train::TrainConfig,
    /// Trains with it.
    pub trainer: archinfer_train::AdamTrainer,
    /// Where everything runs.
    pub device: Device,
}

impl Proposer {
    /// Reads `store`'s space and training recipe and the recorded children of `tasks`.
    ///
    /// # Errors
    /// [`EvalError::Setting`] for a database without a space or recipe; as [`dvn_tasks`];
    /// [`EvalError::Train`] for a recipe the trainer refuses.
    pub fn load(store: &dyn ExperimentStore, tasks: &[Arc<Task>], how: InferencerRecipe, opts: InferOptions, device: &Device) -> Result<Self> {
        let settings = crate::DbSettings::of(store);
        let (space, train) = (settings.require_space()?, settings.require_train_config()?);
        let tasks = dvn_tasks(store, &space, tasks)?;
        let trainer = archinfer_train::AdamTrainer::new(train.clone(), device.clone())?;
        Ok(Self { space, tasks, how, opts, train, trainer, device: device.clone() })
    }

    /// The setup on `store` (the one loaded from): `k` candidates per task, the first trained
    /// from `seed` (as [`train_proposal`] uses them).
    pub fn setup<'a>(&'a self, store: &'a dyn ExperimentStore, k: usize, seed: u64) -> ProposalSetup<'a> {
        let (space, tasks, how, opts, device) = (&self.space, &self.tasks[..], &self.how, &self.opts, &self.device);
        ProposalSetup { store, space, tasks, how, opts, trainer: &self.trainer, k, seed, device }
    }
}

/// Leaves task `held` out ([`propose_held_out`]) and trains the proposal's first `k` distinct
/// candidates on it with `trainer`, candidate `j` from seed `seed + j`.
///
/// # Errors
/// As [`propose_held_out`]; a candidate the trainer cannot train at all. A diverged training
/// counts as accuracy 0, as a user would see it.
pub fn train_proposal(setup: &ProposalSetup, held: usize) -> Result<TrainedProposal> {
    let ProposalSetup { store, space, tasks, how, opts, .. } = *setup;
    let p = propose_held_out(store, space, tasks, held, how, opts, setup.device)?;
    let task = tasks.get(held).and_then(|t| t.task.clone()).ok_or(EvalError::TooFewTasks { needed: held + 1, got: tasks.len() })?;
    trained(setup, &tasks[held].name, &task, &p.proposal, p.fit_seconds)
}

/// The first `k` distinct candidates of `proposal`, trained on `task`.
fn trained(setup: &ProposalSetup, name: &str, task: &Arc<Task>, proposal: &Proposal, fit_seconds: f64) -> Result<TrainedProposal> {
    let (trainer, k, seed) = (setup.trainer, setup.k, setup.seed);
    let prepared = PreparedTask::new(task, setup.device);
    let mut candidates = Vec::new();
    for (j, arch) in distinct_candidates(proposal).into_iter().take(k).enumerate() {
        let o = trainer.train(&ChildSpec::Discrete(arch.clone()), &prepared, seed.wrapping_add(j as u64))?;
        candidates.push(TrainedCandidate {
            architecture: arch.to_string(),
            val_accuracy: f64::from(o.val_accuracy),
            test_accuracy: f64::from(o.test_accuracy),
            seconds: o.seconds,
        });
    }
    Ok(TrainedProposal { task: name.to_string(), candidates, fit_seconds, infer_ms: proposal.meta_ms + proposal.ascent_ms })
}

/// Fits one inferencer on the tasks at `train` ([`fit_inferencer`]) and, for each task at
/// `held` (none of them in `train`), proposes and trains the first `k` distinct candidates
/// (candidate `j` from seed `seed + j`), handing each result to `done` as it comes: the
/// split-half check, where one half of a suite's tasks is fitted on and the other proposed for.
///
/// # Errors
/// [`EvalError::BadOptions`] for a held task that is also a training task or an index out of
/// range; as [`train_proposal`]; the first error `done` returns.
pub fn train_proposals_fitted_on(setup: &ProposalSetup, train: &[usize], held: &[usize], done: &mut dyn FnMut(TrainedProposal) -> Result<()>) -> Result<()> {
    let ProposalSetup { store, space, tasks, how, opts, device, .. } = *setup;
    if let Some(bad) = held.iter().chain(train).find(|&&i| i >= tasks.len()) {
        return Err(EvalError::BadOptions(format!("task index {bad} of {}", tasks.len())));
    }
    if let Some(both) = held.iter().find(|h| train.contains(h)) {
        return Err(EvalError::BadOptions(format!("task `{}` is both fitted on and held out", tasks[*both].name)));
    }
    if held.is_empty() {
        return Ok(());
    }
    let t0 = Instant::now();
    let fitted: Vec<DvnTask> = train.iter().map(|&i| tasks[i].clone()).collect();
    let inf = fit_inferencer(store, space, &fitted, how, device)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    for &h in held {
        let task = tasks[h].task.clone().ok_or_else(|| EvalError::NoSamples(tasks[h].name.clone()))?;
        let proposal = inf.propose(&task, opts)?;
        done(trained(setup, &tasks[h].name, &task, &proposal, fit_seconds)?)?;
    }
    Ok(())
}

/// The distinct architectures of a proposal's candidates, best first: what `--candidates K`
/// trains the first K of.
pub fn distinct_candidates(p: &Proposal) -> Vec<DiscreteArchitecture> {
    distinct(p).into_iter().map(|c| c.architecture.clone()).collect()
}

/// The candidates of a proposal with distinct architectures, best first (with their parameters
/// and predicted values).
pub fn distinct(p: &Proposal) -> Vec<&archinfer_infer::Candidate> {
    let mut seen = std::collections::HashSet::new();
    p.candidates.iter().filter(|c| seen.insert(c.architecture.to_string())).collect()
}

/// Of trainings `(validation, test)` of the first K candidates, the test accuracy of the one
/// with the best validation accuracy (the first on ties); `None` for none.
pub fn keep_best(runs: &[(f32, f32)]) -> Option<f32> {
    runs.iter().copied().reduce(|a, b| if b.0 > a.0 { b } else { a }).map(|r| r.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str) -> DvnTask {
        DvnTask { name: name.into(), u: Vec::new(), v: Vec::new(), task: None }
    }

    #[test]
    fn predict_jobs_are_what_the_log_lacks() {
        let tasks = [task("a"), task("b")];
        let fold = Fold { spearman: 0.5, r2: 0.25, steps: 7, fit_seconds: 1.0, z_swap: None };
        let done = [fold.run("a", &Recipe::new(archinfer_dvn::DvnPreset::Paper, MetaFeatures::None), 1)];
        let jobs = predict_jobs(&tasks, &[0, 1, 5], &[MetaFeatures::None, MetaFeatures::Learned], 2, &done);
        // 2 tasks × 2 variants × 2 repeats, minus the logged one; index 5 does not exist.
        assert_eq!(jobs.len(), 7);
        assert!(!jobs.contains(&(0, MetaFeatures::None, 1)));
        assert!(jobs.contains(&(0, MetaFeatures::None, 0)) && jobs.contains(&(1, MetaFeatures::Learned, 1)));
    }

    #[test]
    fn a_fold_logs_its_recipe_and_its_z_swap() {
        let swap = ZSwap { task: "a".into(), own: 0.6, swapped: vec![("b".into(), 0.2), ("c".into(), 0.8)] };
        let fold = Fold { spearman: 0.6, r2: 0.3, steps: 4, fit_seconds: 2.0, z_swap: Some(swap) };
        let run = fold.run("a", &Recipe::new(archinfer_dvn::DvnPreset::TaskAware, MetaFeatures::Learned), 3);
        assert_eq!((run.variant.as_str(), run.preset.as_str(), run.repeat), ("learned", "task-aware", 3));
        approx::assert_abs_diff_eq!(run.swapped_spearman.unwrap(), 0.5, epsilon = 1e-12);
        assert_eq!(run.swapped_worse, Some(1), "only b's z ranks worse than the own");
    }
}
