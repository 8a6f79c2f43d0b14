//! The loop a user runs on a new task: propose, train, observe, until the budget is spent;
//! the trainer and whoever records the trainings (a store, a progress line) are parameters.

use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use archinfer_infer::TaskValue;
use archinfer_train::{ChildSpec, ChildTrainer, Outcome, PreparedTask};

use crate::error::{AdaptError, Result};
use crate::surrogate::{Adaptive, Belief, Candidates};

/// Each group's choice of a discrete architecture (the argmax of its one-hot `u` per group).
///
/// # Errors
/// An architecture that does not fit `space`.
pub fn codes_of(space: &ArchitectureSpace, arch: &DiscreteArchitecture) -> Result<Vec<u32>> {
    let u = arch.one_hot_u(space)?;
    Ok(space.groups().into_iter().map(|g| u[g].iter().enumerate().fold((0, f32::NEG_INFINITY), |b, (i, &x)| if x > b.1 { (i, x) } else { b }).0 as u32).collect())
}

/// The candidates `archs` as the value network `value` (bound to the new task) sees them: its
/// value of each one-hot encoding, and each group's choice.
///
/// # Errors
/// [`AdaptError::NoCandidates`]; an architecture outside `space`; a failure of the model.
pub fn candidates_from_value<V: TaskValue + ?Sized>(value: &V, space: &ArchitectureSpace, archs: &[DiscreteArchitecture]) -> Result<Candidates> {
    if archs.is_empty() {
        return Err(AdaptError::NoCandidates);
    }
    let u = archs.iter().map(|a| a.one_hot_u(space)).collect::<std::result::Result<Vec<_>, _>>()?;
    let values = value.values(&u)?.into_iter().map(f64::from).collect();
    let codes = archs.iter().map(|a| codes_of(space, a)).collect::<Result<Vec<_>>>()?;
    Ok(Candidates { values, codes })
}

/// One finished training of the loop.
#[derive(Debug, Clone)]
pub struct Trial {
    /// 1 for the first training.
    pub number: usize,
    /// The candidate trained (an index into the loop's architectures).
    pub candidate: usize,
    /// Its architecture.
    pub architecture: DiscreteArchitecture,
    /// Its training seed (the loop's seed + number − 1).
    pub seed: u64,
    /// How training went.
    pub outcome: Outcome,
    /// What the model expected of it before it was trained.
    pub predicted: Belief,
    /// The trial (number) with the best validation accuracy so far (the first on ties; a
    /// diverged training counts 0), and that accuracy.
    pub best: (usize, f32),
}

/// Receives each trial as it finishes: records it, shows it. An error stops the loop.
pub trait TrialSink {
    /// Called once per finished training, in order.
    ///
    /// # Errors
    /// Whatever stops the loop (a store that refuses the write, say).
    fn trial(&mut self, trial: &Trial) -> Result<()>;
}

impl<F: FnMut(&Trial) -> Result<()>> TrialSink for F {
    fn trial(&mut self, trial: &Trial) -> Result<()> {
        self(trial)
    }
}

/// Checks a budget against the candidates (of an [`Adaptive`] with no observations yet: the
/// loop stops early when every candidate is tried).
///
/// # Errors
/// [`AdaptError::ZeroBudget`], [`AdaptError::BudgetTooLarge`].
pub fn check_budget(budget: usize, candidates: usize) -> Result<()> {
    if budget == 0 {
        return Err(AdaptError::ZeroBudget);
    }
    if budget > candidates {
        return Err(AdaptError::BudgetTooLarge { budget, candidates });
    }
    Ok(())
}

/// Runs `budget` trainings of the candidates `archs` (those `adaptive` was built over, in
/// order): [`Adaptive::propose`], `train(candidate, seed)`, [`Adaptive::observe`] the
/// validation accuracy (0 for a diverged training), `sink` sees the trial. Training `t`
/// (from 0) uses seed `seed + t`. Returns every trial.
///
/// # Errors
/// [`AdaptError::ZeroBudget`], [`AdaptError::BudgetTooLarge`], [`AdaptError::BadCandidates`]
/// for another number of architectures than candidates, all before anything is trained; the
/// first error of `train` or `sink`.
pub fn run_trials_with(
    adaptive: &mut Adaptive,
    archs: &[DiscreteArchitecture],
    budget: usize,
    seed: u64,
    train: &mut dyn FnMut(usize, &DiscreteArchitecture, u64) -> Result<Outcome>,
    sink: &mut dyn TrialSink,
) -> Result<Vec<Trial>> {
    if archs.len() != adaptive.len() {
        return Err(AdaptError::BadCandidates(format!("{} architectures for {} candidates", archs.len(), adaptive.len())));
    }
    check_budget(budget, archs.len())?;
    let mut trials: Vec<Trial> = Vec::with_capacity(budget);
    for t in 0..budget {
        let Some(c) = adaptive.propose() else { break };
        let predicted = adaptive.belief(c);
        let s = seed.wrapping_add(t as u64);
        let outcome = train(c, &archs[c], s)?;
        let acc = if outcome.is_done() && outcome.val_accuracy.is_finite() { f64::from(outcome.val_accuracy).clamp(0.0, 1.0) } else { 0.0 };
        adaptive.observe(c, acc)?;
        // The best so far by what was observed (a diverged or non-finite training counts 0).
        let seen = |o: &Outcome| if o.is_done() && o.val_accuracy.is_finite() { o.val_accuracy.clamp(0.0, 1.0) } else { 0.0 };
        let best = trials.iter().map(|x| (x.number, seen(&x.outcome))).chain([(t + 1, seen(&outcome))]).fold((t + 1, f32::NEG_INFINITY), |b, x| if x.1 > b.1 { x } else { b });
        let trial = Trial { number: t + 1, candidate: c, architecture: archs[c].clone(), seed: s, outcome, predicted, best };
        sink.trial(&trial)?;
        trials.push(trial);
    }
    Ok(trials)
}

/// [`run_trials_with`] with `trainer` training each candidate on `task`.
///
/// # Errors
/// As [`run_trials_with`]; a child the trainer cannot train at all.
pub fn run_trials(
    adaptive: &mut Adaptive,
    archs: &[DiscreteArchitecture],
    budget: usize,
    trainer: &dyn ChildTrainer,
    task: &PreparedTask,
    seed: u64,
    sink: &mut dyn TrialSink,
) -> Result<Vec<Trial>> {
    run_trials_with(adaptive, archs, budget, seed, &mut |_, arch, s| Ok(trainer.train(&ChildSpec::Discrete(arch.clone()), task, s)?), sink)
}
