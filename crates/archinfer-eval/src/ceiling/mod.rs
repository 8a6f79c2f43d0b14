//! The ceiling: how much of a suite's ranking of architectures is specific to the task at all.
//!
//! Every task's children are split in half. Two value networks are fitted on the first halves
//! of all tasks: one that knows each task's identity (a one-hot id in `z`) and one that knows
//! nothing of the task. Both rank the second halves. What the first gains over the second is the
//! most any meta-feature could add on that suite: a `z` computed from samples can at best tell
//! the tasks apart as well as their names do. A third network with learned meta-features, fitted
//! on the same halves, shows how much of that the samples recover on tasks it has seen.

mod table;

pub use table::{CeilingRow, CeilingTable};

use archinfer_dvn::{DvnPreset, DvnTask, Recipe, TrainedDvn, spearman};
use archinfer_encoding::ArchitectureSpace;
use archinfer_metafeatures::MetaFeatures;
use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};

/// Settings of [`ceiling`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeilingOptions {
    /// Network and recipe of all fitted models (the identity enters `z` as any meta-feature).
    pub preset: DvnPreset,
    /// Seed of the split and of the fits.
    pub seed: u64,
    /// Also fit a model with learned meta-features on the same halves.
    pub with_learned: bool,
    /// Embedding module the learned tower reads.
    pub sample_module: String,
    /// Settings changed on top of the preset (see [`Recipe::with_overrides`]).
    pub overrides: String,
}

impl Default for CeilingOptions {
    fn default() -> Self {
        Self { preset: DvnPreset::default(), seed: 0, with_learned: true, sample_module: archinfer_dvn::AUTO_SAMPLE_MODULE.into(), overrides: String::new() }
    }
}

/// Splits each task's children in half (seeded), returning the first halves as training tasks
/// and the second halves' indices.
fn halves(tasks: &[DvnTask], seed: u64) -> (Vec<DvnTask>, Vec<Vec<usize>>) {
    let mut firsts = Vec::with_capacity(tasks.len());
    let mut seconds = Vec::with_capacity(tasks.len());
    for (k, t) in tasks.iter().enumerate() {
        let mut idx: Vec<usize> = (0..t.u.len()).collect();
        idx.shuffle(&mut StdRng::seed_from_u64(seed.wrapping_mul(7919).wrapping_add(k as u64)));
        let (a, b) = idx.split_at(t.u.len() / 2);
        firsts.push(DvnTask {
            name: t.name.clone(),
            u: a.iter().map(|&i| t.u[i].clone()).collect(),
            v: a.iter().map(|&i| t.v[i]).collect(),
            task: t.task.clone(),
        });
        seconds.push(b.to_vec());
    }
    (firsts, seconds)
}

/// Runs the ceiling diagnostic on `tasks` (at least two, each with at least 8 children).
///
/// # Errors
/// Too few tasks or children, or a failed fit.
pub fn ceiling(space: &ArchitectureSpace, tasks: &[DvnTask], opts: &CeilingOptions, device: &Device) -> Result<Vec<CeilingRow>> {
    if tasks.len() < 2 {
        return Err(EvalError::TooFewTasks { needed: 2, got: tasks.len() });
    }
    if let Some(t) = tasks.iter().find(|t| t.u.len() < 8 || t.u.len() != t.v.len()) {
        return Err(EvalError::TooFewChildren { task: t.name.clone(), got: t.u.len().min(t.v.len()), needed: 8 });
    }
    let (firsts, seconds) = halves(tasks, opts.seed);
    let recipe = |meta| Recipe::new(opts.preset, meta).with_seed(opts.seed).with_sample_module(opts.sample_module.clone()).with_overrides(&opts.overrides);
    let (cfg, tc) = recipe(MetaFeatures::None)?.configs(space, &firsts)?;
    let agnostic = TrainedDvn::fit(cfg.clone(), tc.clone(), &firsts, device)?;
    let identity = TrainedDvn::fit(cfg.with_task_id_dim(tasks.len()), tc, &firsts, device)?;
    let learned = if opts.with_learned {
        let (cfg, tc) = recipe(MetaFeatures::Learned)?.configs(space, &firsts)?;
        Some(TrainedDvn::fit(cfg, tc, &firsts, device)?)
    } else {
        None
    };
    let mut rows = Vec::with_capacity(tasks.len());
    for (k, (t, idx)) in tasks.iter().zip(&seconds).enumerate() {
        let u: Vec<Vec<f32>> = idx.iter().map(|&i| t.u[i].clone()).collect();
        let actual: Vec<f64> = idx.iter().map(|&i| f64::from(t.v[i])).collect();
        let rho = |m: &TrainedDvn, id: Option<usize>| -> Result<f64> {
            let z = m.embed_task_with_id(t.task.as_deref(), id)?;
            let p: Vec<f64> = m.predict(&u, z)?.into_iter().map(f64::from).collect();
            Ok(spearman(&p, &actual)?)
        };
        rows.push(CeilingRow {
            task: t.name.clone(),
            agnostic: rho(&agnostic, None)?,
            identity: rho(&identity, Some(k))?,
            learned: learned.as_ref().map(|m| rho(m, None)).transpose()?,
        });
    }
    Ok(rows)
}

/// One repeat of `evaluate ceiling` (one line of its run log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeilingRun {
    /// Value-network preset.
    pub preset: String,
    /// Repeat: the split's and the fits' seed.
    pub repeat: usize,
    /// Every task's row.
    pub rows: Vec<CeilingRow>,
}

/// Repeats `0 .. repeats` of [`ceiling`] with `base`'s settings (repeat `r` from seed `r`),
/// running only those `log` lacks for `base.preset` and appending each as it lands;
/// `on_each(run, ran)` sees every repeat, `ran` false for one read from the log. Returns the
/// runs of this preset, in repeat order.
///
/// # Errors
/// As [`ceiling`]; the log failing.
pub fn ceiling_runs(
    space: &ArchitectureSpace,
    tasks: &[DvnTask],
    base: &CeilingOptions,
    repeats: usize,
    log: &crate::runner::ResumableRuns<CeilingRun>,
    device: &Device,
    on_each: &mut dyn FnMut(&CeilingRun, bool),
) -> Result<Vec<CeilingRun>> {
    let preset = base.preset.to_string();
    let mut runs: Vec<CeilingRun> = log.read()?.into_iter().filter(|r| r.preset == preset).collect();
    for repeat in 0..repeats {
        if let Some(r) = runs.iter().find(|x| x.repeat == repeat) {
            on_each(r, false);
            continue;
        }
        let rows = ceiling(space, tasks, &CeilingOptions { seed: repeat as u64, ..base.clone() }, device)?;
        let run = CeilingRun { preset: preset.clone(), repeat, rows };
        log.append(&run)?;
        on_each(&run, true);
        runs.push(run);
    }
    runs.sort_by_key(|r| r.repeat);
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_partition_every_task() {
        let t = DvnTask { name: "a".into(), u: (0..9).map(|i| vec![i as f32]).collect(), v: (0..9).map(|i| i as f32).collect(), task: None };
        let (firsts, seconds) = halves(std::slice::from_ref(&t), 3);
        assert_eq!(firsts[0].u.len(), 4);
        assert_eq!(seconds[0].len(), 5);
        let mut all: Vec<usize> = firsts[0].v.iter().map(|&x| x as usize).chain(seconds[0].iter().copied()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..9).collect::<Vec<_>>());
        // The same seed gives the same split.
        assert_eq!(halves(std::slice::from_ref(&t), 3).1, seconds);
    }

    #[test]
    fn logged_repeats_of_the_preset_are_not_run_again() {
        let tmp = tempfile::tempdir().unwrap();
        let log = crate::runner::ResumableRuns::new(tmp.path().join("runs.jsonl"));
        let row = CeilingRow { task: "t".into(), agnostic: 0.1, identity: 0.2, learned: None };
        for (preset, repeat) in [("task-aware", 1), ("task-aware", 0), ("paper", 2)] {
            log.append(&CeilingRun { preset: preset.into(), repeat, rows: vec![row.clone()] }).unwrap();
        }
        let space =
            ArchitectureSpace::new(vec![8], vec![archinfer_encoding::Activation::Relu], 1, vec![archinfer_encoding::EmbeddingSpec::new("m", 4)]).unwrap();
        let mut seen = Vec::new();
        let opts = CeilingOptions { preset: DvnPreset::TaskAware, ..CeilingOptions::default() };
        // No tasks: a repeat that had to run would fail, so both come from the log.
        let runs = ceiling_runs(&space, &[], &opts, 2, &log, &Device::default(), &mut |r, ran| seen.push((r.repeat, ran))).unwrap();
        assert_eq!(runs.iter().map(|r| r.repeat).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(seen, vec![(0, false), (1, false)]);
        assert!(ceiling_runs(&space, &[], &opts, 3, &log, &Device::default(), &mut |_, _| {}).is_err(), "repeat 2 of task-aware is not logged");
    }

    #[test]
    fn gain_is_identity_minus_agnostic() {
        let r = CeilingRow { task: "t".into(), agnostic: 0.25, identity: 0.75, learned: None };
        approx::assert_abs_diff_eq!(r.gain(), 0.5);
    }
}
