//! The value network learns task-dependent rankings from samples, and survives save / load.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use archinfer_data::{FeatureSet, Splits, Task};
use archinfer_dvn::{DvnConfig, DvnError, DvnTask, DvnTrainConfig, TrainedDvn, spearman};
use archinfer_encoding::{Activation, ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
use archinfer_metafeatures::MetaFeatures;
use burn::tensor::Device;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr_free::normal;

mod rand_distr_free {
    use rand::RngExt;
    /// Box–Muller, so the test needs no extra crate.
    pub fn normal(rng: &mut rand::rngs::StdRng) -> f32 {
        let (a, b): (f32, f32) = (rng.random_range(1e-7..1.0), rng.random_range(0.0..1.0));
        (-2.0 * a.ln()).sqrt() * (std::f32::consts::TAU * b).cos()
    }
}

fn space() -> ArchitectureSpace {
    ArchitectureSpace::new(vec![8, 16, 32], vec![Activation::Relu, Activation::Tanh], 2, vec![EmbeddingSpec::new("s", 4)])
        .unwrap()
}

/// A task whose samples reveal `theta` only through their mean.
fn task(theta: f32, seed: u64) -> Task {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = 300;
    let values: Vec<f32> = (0..n * 4).map(|_| theta + 0.3 * normal(&mut rng)).collect();
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 2).collect();
    let splits = Splits { train: (0..200).collect(), validation: (200..250).collect(), test: (250..300).collect() };
    Task::new(format!("theta{theta}"), vec![FeatureSet::new("s", 4, values)], labels, 2, splits).unwrap()
}

/// Value of architecture `u` on task `theta`: the task decides which half of `u` is good.
fn value(u: &[f32], theta: f32, a: &[f32], b: &[f32]) -> f32 {
    let au: f32 = u.iter().zip(a).map(|(x, y)| x * y).sum();
    let bu: f32 = u.iter().zip(b).map(|(x, y)| x * y).sum();
    theta * au + 0.1 * bu
}

fn dvn_tasks(thetas: &[f32], s: &ArchitectureSpace, a: &[f32], b: &[f32]) -> Vec<DvnTask> {
    thetas
        .iter()
        .enumerate()
        .map(|(k, &theta)| {
            let mut rng = StdRng::seed_from_u64(100 + k as u64);
            let u: Vec<Vec<f32>> =
                (0..80).map(|_| DiscreteArchitecture::sample(s, &mut rng).one_hot_u(s).unwrap()).collect();
            let v = u.iter().map(|x| value(x, theta, a, b)).collect();
            DvnTask { name: format!("t{k}"), u, v, task: Some(Arc::new(task(theta, k as u64))) }
        })
        .collect()
}

fn train_config() -> DvnTrainConfig {
    DvnTrainConfig::new()
        .with_learning_rate(0.02)
        .with_momentum(0.5)
        .with_sample_module("s".into())
        .with_sample_batch(64)
        .with_eval_samples(200)
        .with_eval_every(100)
        .with_patience(6)
        .with_max_steps(6000)
}

#[test]
fn learned_meta_features_rank_a_held_out_task_better() {
    let dev = Device::flex();
    let s = space();
    let mut rng = StdRng::seed_from_u64(7);
    let a: Vec<f32> = (0..s.dim()).map(|_| rng.random_range(-1.0..1.0)).collect();
    let b: Vec<f32> = (0..s.dim()).map(|_| rng.random_range(-1.0..1.0)).collect();
    let thetas = [-1.0, -0.8, -0.6, -0.4, 0.4, 0.6, 0.8, 1.0, -0.9, 0.9];
    let train = dvn_tasks(&thetas, &s, &a, &b);
    // Held out: theta = -0.7, whose ranking is the opposite of the average training task's.
    let held = &dvn_tasks(&[-0.7], &s, &a, &b)[0];
    let held_task = task(-0.7, 999);
    let mut scores = Vec::new();
    for meta in [MetaFeatures::None, MetaFeatures::Learned] {
        let cfg = DvnConfig::new(s.clone(), meta, 4).with_max_classes(2).with_seed(3);
        let m = TrainedDvn::fit(cfg, train_config(), &train, &dev).unwrap();
        let z = m.embed_task(Some(&held_task)).unwrap();
        let pred = m.predict(&held.u, z).unwrap();
        let p: Vec<f64> = pred.iter().map(|&x| f64::from(x)).collect();
        let v: Vec<f64> = held.v.iter().map(|&x| f64::from(x)).collect();
        scores.push(spearman(&p, &v).unwrap());
    }
    let (none, learned) = (scores[0], scores[1]);
    eprintln!("held-out Spearman: none {none:.3}, learned {learned:.3}");
    assert!(learned > 0.8, "learned meta-features: Spearman {learned:.3}");
    assert!(learned > none + 0.3, "learned {learned:.3} vs none {none:.3}");
}

#[test]
fn save_then_load_gives_identical_predictions() {
    let dev = Device::flex();
    let s = space();
    let a = vec![0.5; s.dim()];
    let b = vec![-0.2; s.dim()];
    let train = dvn_tasks(&[-1.0, 0.5, 1.0], &s, &a, &b);
    for meta in [MetaFeatures::Learned, MetaFeatures::Both, MetaFeatures::None] {
        let cfg = DvnConfig::new(s.clone(), meta, 4).with_max_classes(2);
        let m = TrainedDvn::fit(cfg, train_config().with_max_steps(200), &train, &dev).unwrap();
        let dir = tempfile::tempdir().unwrap();
        m.save(dir.path()).unwrap();
        let back = TrainedDvn::load(dir.path(), Some(&s), &dev).unwrap();
        let t = task(0.3, 5);
        let p1 = m.predict(&train[0].u, m.embed_task(Some(&t)).unwrap()).unwrap();
        let p2 = back.predict(&train[0].u, back.embed_task(Some(&t)).unwrap()).unwrap();
        assert_eq!(p1, p2, "{meta}");
        let other = ArchitectureSpace::paper(vec![EmbeddingSpec::new("s", 4)]).unwrap();
        assert!(matches!(TrainedDvn::load(dir.path(), Some(&other), &dev), Err(DvnError::SpaceMismatch(_))));
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let dev = Device::flex();
    let s = space();
    let cfg = DvnConfig::new(s.clone(), MetaFeatures::Learned, 4).with_max_classes(2);
    assert!(matches!(TrainedDvn::fit(cfg.clone(), train_config(), &[], &dev), Err(DvnError::NoTasks)));
    let no_task = DvnTask { name: "x".into(), u: vec![vec![0.0; s.dim()]; 3], v: vec![0.1, 0.2, 0.3], task: None };
    assert!(matches!(TrainedDvn::fit(cfg.clone(), train_config(), std::slice::from_ref(&no_task), &dev), Err(DvnError::Needs(_))));
    let bad_lr = train_config().with_learning_rate(-1.0);
    assert!(matches!(
        TrainedDvn::fit(cfg.clone(), bad_lr, std::slice::from_ref(&no_task), &dev),
        Err(DvnError::Setting { setting: "learning_rate", .. })
    ));
    let one = DvnTask { u: vec![vec![0.0; s.dim()]], v: vec![0.1], ..no_task.clone() };
    assert!(matches!(TrainedDvn::fit(cfg.clone(), train_config(), &[one], &dev), Err(DvnError::TooFewChildren { got: 1, .. })));
    let short = DvnTask { u: vec![vec![0.0; 3]; 3], ..no_task };
    assert!(matches!(TrainedDvn::fit(cfg, train_config(), &[short], &dev), Err(DvnError::ULength { got: 3, .. })));
}
