//! A held-out task's proposal, trained: the value network fitted on the other tasks
//! ([`propose_held_out`]), its first K distinct candidates trained ([`train_proposal`]), the
//! split-half variant ([`train_proposals_fitted_on`]) and the resumable loop over tasks
//! ([`ProposalSetup::train_missing`]). `evaluate search` and `evaluate compare` share it.

use std::sync::Arc;
use std::time::Instant;

use archinfer_app::{InferencerRecipe, distinct_candidates, dvn_tasks, fit_inferencer, train_candidates};
use archinfer_data::Task;
use archinfer_dvn::DvnTask;
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use archinfer_infer::{InferOptions, Proposal};
use archinfer_store::ExperimentStore;
use archinfer_train::{ChildSpec, ChildTrainer, PreparedTask};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::predict::all_but;
use crate::runner::{ResumableRuns, run_jobs};

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
    /// [`archinfer_app::AppError::Setting`] for a database without a space or recipe; as [`dvn_tasks`];
    /// [`EvalError::Train`] for a recipe the trainer refuses.
    pub fn load(store: &dyn ExperimentStore, tasks: &[Arc<Task>], how: InferencerRecipe, opts: InferOptions, device: &Device) -> Result<Self> {
        let settings = archinfer_app::DbSettings::of(store);
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
    let archs: Vec<DiscreteArchitecture> = distinct_candidates(proposal).into_iter().take(k).collect();
    let candidates = train_candidates(&archs, seed, |_, arch, seed| -> Result<TrainedCandidate> {
        let o = trainer.train(&ChildSpec::Discrete(arch.clone()), &prepared, seed)?;
        Ok(TrainedCandidate { architecture: arch.to_string(), val_accuracy: f64::from(o.val_accuracy), test_accuracy: f64::from(o.test_accuracy), seconds: o.seconds })
    })?;
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

/// Of trainings `(validation, test)` of the first K candidates, the test accuracy of the one
/// with the best validation accuracy (the first on ties); `None` for none.
pub fn keep_best(runs: &[(f32, f32)]) -> Option<f32> {
    runs.iter().copied().reduce(|a, b| if b.0 > a.0 { b } else { a }).map(|r| r.1)
}

impl ProposalSetup<'_> {
    fn index(&self, name: &str) -> Result<usize> {
        self.tasks.iter().position(|t| t.name == name).ok_or_else(|| EvalError::TooFewChildren { task: name.to_string(), got: 0, needed: 1 })
    }

    /// Trains the proposals of the tasks of `names` that `log` lacks, appending each to `log`
    /// as it lands: leave-one-task-out on `workers` threads, or, with `halves`, one value
    /// network per half (in parallel) proposing for the other half's tasks. Returns every
    /// proposal of `log`, by task.
    ///
    /// # Errors
    /// A task without recorded children, fitting, proposing, training or the log failing.
    pub fn train_missing(
        &self,
        names: &[String],
        halves: Option<&[Vec<String>; 2]>,
        workers: usize,
        log: &ResumableRuns<TrainedProposal>,
        on_done: &(dyn Fn(&TrainedProposal) + Sync),
    ) -> Result<std::collections::BTreeMap<String, TrainedProposal>> {
        let have: std::collections::HashSet<String> = log.read()?.into_iter().map(|p| p.task).collect();
        let todo: Vec<String> = names.iter().filter(|n| !have.contains(*n)).cloned().collect();
        match halves {
            Some(halves) => {
                let results: Vec<Result<()>> = std::thread::scope(|s| {
                    let handles: Vec<_> = (0..2)
                        .map(|h| {
                            let todo = &todo;
                            s.spawn(move || -> Result<()> {
                                let held = halves[h].iter().filter(|n| todo.contains(n)).map(|n| self.index(n)).collect::<Result<Vec<_>>>()?;
                                let train = halves[1 - h].iter().map(|n| self.index(n)).collect::<Result<Vec<_>>>()?;
                                train_proposals_fitted_on(self, &train, &held, &mut |p| {
                                    log.append(&p)?;
                                    on_done(&p);
                                    Ok(())
                                })
                            })
                        })
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(EvalError::BadOptions("a fitting thread panicked".into())))).collect()
                });
                results.into_iter().collect::<Result<()>>()?;
            }
            None => {
                let work = |_: &mut (), name: String| -> Result<Option<TrainedProposal>> {
                    let i = self.index(&name)?;
                    Ok(Some(train_proposal(self, i)?))
                };
                let done = |p: Option<&TrainedProposal>| {
                    if let Some(p) = p {
                        on_done(p);
                    }
                };
                let mut jobs = todo;
                jobs.reverse();
                run_jobs(jobs, workers, log, &|| Ok(()), &work, &done)?;
            }
        }
        Ok(log.read()?.into_iter().map(|p| (p.task.clone(), p)).collect())
    }
}

