//! The diagnostics on value networks fitted to synthetic tasks whose best architectures depend
//! on the task: a network that ignores `z` fails z-swap, one that uses it passes; the ceiling
//! sees the task-specific part.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use archinfer_data::{FeatureSet, Splits, Task};
use archinfer_dvn::{DvnPreset, DvnTask, Recipe, TrainedDvn};
use archinfer_encoding::{Activation, ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
use archinfer_eval::{CeilingOptions, TaskScorer, ZSwapSummary, ceiling, z_swap};
use archinfer_metafeatures::MetaFeatures;
use burn::tensor::Device;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn space() -> ArchitectureSpace {
    ArchitectureSpace::new(vec![8, 16, 32], vec![Activation::Relu, Activation::Tanh], 2, vec![EmbeddingSpec::new("s", 4)]).unwrap()
}

/// Box–Muller.
fn normal(rng: &mut StdRng) -> f32 {
    let (a, b): (f32, f32) = (rng.random_range(1e-7..1.0), rng.random_range(0.0..1.0));
    (-2.0 * a.ln()).sqrt() * (std::f32::consts::TAU * b).cos()
}

/// A task whose samples reveal `theta` through their mean.
fn task(theta: f32, seed: u64) -> Task {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = 300;
    let values: Vec<f32> = (0..n * 4).map(|_| theta + 0.3 * normal(&mut rng)).collect();
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 2).collect();
    let splits = Splits { train: (0..200).collect(), validation: (200..250).collect(), test: (250..300).collect() };
    Task::new(format!("theta{theta}"), vec![FeatureSet::new("s", 4, values)], labels, 2, splits).unwrap()
}

/// Tasks on which the value of `u` is `theta · a·u + 0.1 · b·u`: the sign of `theta` flips the
/// ranking, so only a model that reads the task can rank well everywhere.
fn tasks(thetas: &[f32]) -> Vec<DvnTask> {
    let s = space();
    let mut rng = StdRng::seed_from_u64(7);
    let a: Vec<f32> = (0..s.dim()).map(|_| rng.random_range(-1.0..1.0)).collect();
    let b: Vec<f32> = (0..s.dim()).map(|_| rng.random_range(-1.0..1.0)).collect();
    thetas
        .iter()
        .enumerate()
        .map(|(k, &theta)| {
            let mut rng = StdRng::seed_from_u64(100 + k as u64);
            let u: Vec<Vec<f32>> = (0..60).map(|_| DiscreteArchitecture::sample(&s, &mut rng).one_hot_u(&s).unwrap()).collect();
            let v = u
                .iter()
                .map(|x| {
                    let au: f32 = x.iter().zip(&a).map(|(p, q)| p * q).sum();
                    let bu: f32 = x.iter().zip(&b).map(|(p, q)| p * q).sum();
                    theta * au + 0.1 * bu
                })
                .collect();
            DvnTask { name: format!("t{k}"), u, v, task: Some(Arc::new(task(theta, k as u64))) }
        })
        .collect()
}

fn fit(meta: MetaFeatures, train: &[DvnTask]) -> TrainedDvn {
    let (cfg, tc) = Recipe::new(DvnPreset::TaskAware, meta)
        .with_sample_module("s")
        .with_overrides("sample_batch=64,eval_samples=200,min_steps=1500,max_steps=3000,eval_every=100")
        .unwrap()
        .configs(&space(), train)
        .unwrap();
    TrainedDvn::fit(cfg.with_max_classes(2), tc, train, &Device::flex()).unwrap()
}

/// z-swap on two held-out tasks of opposite sign, with every training task's `z` swapped in.
fn z_swap_summary(model: &TrainedDvn, embedder: &TrainedDvn, train: &[DvnTask]) -> ZSwapSummary {
    let held = tasks(&[-0.7, 0.7]);
    let others: Vec<(String, Vec<f32>)> =
        train.iter().map(|t| (t.name.clone(), embedder.embed_host(t.task.as_deref()).unwrap())).collect();
    let rows: Vec<_> = held
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let own = embedder.embed_host(Some(&task([-0.7, 0.7][i], 900 + i as u64))).unwrap();
            z_swap(model, &h.name, &h.u, &h.v, &own, &others).unwrap()
        })
        .collect();
    ZSwapSummary::of(&rows)
}

#[test]
fn a_value_network_that_ignores_z_fails_z_swap_and_one_that_uses_it_passes() {
    let train = tasks(&[-1.0, -0.8, -0.5, 0.5, 0.8, 1.0]);
    let learned = fit(MetaFeatures::Learned, &train);
    let agnostic = fit(MetaFeatures::None, &train);
    // The task-agnostic network is handed the same embeddings; it cannot use them.
    assert_eq!(agnostic.score(&train[0].u, &[]).unwrap(), agnostic.score(&train[0].u, &[1.0, 2.0]).unwrap());
    let a = z_swap_summary(&agnostic, &learned, &train);
    eprintln!("agnostic: {a:?}");
    assert_eq!(a.wins, 0);
    assert!(a.mean_gap.abs() < 1e-12);
    assert!(!a.passes(1, 0.0));
    let l = z_swap_summary(&learned, &learned, &train);
    eprintln!("learned: {l:?}");
    assert!(l.passes(2, 0.3), "{l:?}");
}

#[test]
fn the_ceiling_sees_task_specific_rankings() {
    let train = tasks(&[-1.0, -0.6, 0.6, 1.0]);
    let opts = CeilingOptions {
        preset: DvnPreset::TaskAware,
        seed: 0,
        with_learned: false,
        sample_module: "s".into(),
        overrides: "sample_batch=64,eval_samples=200,min_steps=1500,max_steps=3000,eval_every=100,max_classes=2".into(),
    };
    let rows = ceiling(&space(), &train, &opts, &Device::flex()).unwrap();
    let gain = rows.iter().map(|r| r.gain()).sum::<f64>() / rows.len() as f64;
    eprintln!("{rows:?}");
    // Half the tasks rank the opposite way: without the task's identity the best a model can do
    // is near zero on average; with it, near one.
    assert!(gain > 0.5, "mean gain {gain:.3}");
    assert!(matches!(ceiling(&space(), &train[..1], &opts, &Device::flex()), Err(archinfer_eval::EvalError::TooFewTasks { needed: 2, got: 1 })));
}
