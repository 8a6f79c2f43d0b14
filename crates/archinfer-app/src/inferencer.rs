//! The value network a program proposes with: the recorded children of a store's tasks as its
//! training data ([`dvn_tasks`]), the fitted network(s) plus the task library of seeded starts
//! ([`fit_inferencer`]), the distinct candidates of a proposal ([`distinct`]) and the one loop
//! that trains candidates ([`train_candidates`]).

use std::sync::Arc;

use archinfer_data::Task;
use archinfer_dvn::{DvnTask, Recipe, TrainedDvn};
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use archinfer_infer::{Inferencer, KnownTask, Proposal, TaskLibrary};
use archinfer_store::ExperimentStore;
use burn::tensor::Device;

use crate::error::{AppError, Result};

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
                        serde_json::from_str(&t.architecture).map_err(|e| AppError::BadArchitecture { trial: t.id, message: e.to_string() })?;
                    // A recipe or module the space lacks names the stored trial.
                    u.push(arch.one_hot_u(space).map_err(|e| AppError::BadArchitecture { trial: t.id, message: e.to_string() })?);
                    v.push(r.val_accuracy);
                }
            }
            Ok(DvnTask { name: task.name().to_string(), u, v, task: Some(task.clone()) })
        })
        .collect()
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
        return Err(AppError::TooFewTasks { needed: 1, got: 0 });
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
                let arch = serde_json::from_str(&tr.architecture).map_err(|e| AppError::BadArchitecture { trial: tr.id, message: e.to_string() })?;
                done.push((r.val_accuracy, arch));
            }
        }
        done.sort_by(|a, b| b.0.total_cmp(&a.0));
        known.push(KnownTask { name: t.name.clone(), z, best: done.into_iter().take(how.library_best).map(|d| d.1).collect() });
    }
    inf.library = Some(TaskLibrary { tasks: known });
    Ok(inf)
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

/// The one candidate-training loop: candidate `j` of `candidates` is trained from seed
/// `seed + j` (wrapping) by `train`, in order; the first error stops the loop. `fit`, the
/// comparison's proposals and the trade-off table all train their candidates through it, so
/// a candidate's seed means the same everywhere.
///
/// # Errors
/// The first error `train` returns.
pub fn train_candidates<'a, T, E>(
    candidates: impl IntoIterator<Item = &'a DiscreteArchitecture>,
    seed: u64,
    mut train: impl FnMut(usize, &'a DiscreteArchitecture, u64) -> std::result::Result<T, E>,
) -> std::result::Result<Vec<T>, E> {
    candidates.into_iter().enumerate().map(|(j, arch)| train(j, arch, seed.wrapping_add(j as u64))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_j_is_trained_from_seed_plus_j() {
        let space = ArchitectureSpace::paper(vec![archinfer_encoding::EmbeddingSpec::new("a", 2)]).unwrap();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
        let archs: Vec<DiscreteArchitecture> = (0..3).map(|_| DiscreteArchitecture::sample(&space, &mut rng)).collect();
        let seen = train_candidates(&archs, u64::MAX, |j, a, seed| Ok::<_, ()>((j, a.to_string(), seed))).unwrap();
        assert_eq!(seen.iter().map(|s| s.2).collect::<Vec<_>>(), vec![u64::MAX, 0, 1]);
        assert_eq!(seen[2].1, archs[2].to_string());
        let stopped = train_candidates(&archs, 0, |j, _, _| if j == 1 { Err(j) } else { Ok(j) });
        assert_eq!(stopped, Err(1));
    }
}
