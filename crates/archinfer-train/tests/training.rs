//! Child training end to end on small synthetic tasks.

#![allow(clippy::unwrap_used)]

use archinfer_data::Blobs;
use archinfer_encoding::{
    Activation, ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec, Encoding, LayerChoice,
};
use archinfer_train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, Status, TrainConfig, TrainError};
use burn::tensor::Device;
use rand::SeedableRng;

fn space(dim: usize) -> ArchitectureSpace {
    ArchitectureSpace::paper(vec![EmbeddingSpec::new("raw", dim), EmbeddingSpec::new("proj", 4)]).unwrap()
}

/// raw → 32 relu → softmax.
fn small_arch(space: &ArchitectureSpace) -> DiscreteArchitecture {
    let mut a = Encoding::uniform(space).discretize(space).unwrap();
    for (l, c) in a.layers.iter_mut().enumerate() {
        *c = LayerChoice { enabled: l == 0, base: 4, width: 32, activation: Activation::Relu };
    }
    a
}

#[test]
fn separable_three_class_task_reaches_95_percent() {
    let dev = Device::flex();
    let task = Blobs::new(3, 600, 10).projection("proj", 4).separation(3.0).seed(11).task().unwrap();
    let prepared = PreparedTask::new(&task, &dev);
    let s = space(10);
    let trainer = AdamTrainer::new(TrainConfig::new().with_learning_rate(1e-2).with_epochs(10), dev).unwrap();
    let out = trainer.train(&ChildSpec::Discrete(small_arch(&s)), &prepared, 1).unwrap();
    assert_eq!(out.status, Status::Done);
    assert_eq!(out.epochs_run, 10);
    assert!(out.test_accuracy >= 0.95, "test accuracy {}", out.test_accuracy);
    assert!(out.val_accuracy >= 0.95, "val accuracy {}", out.val_accuracy);
    assert_eq!(out.num_params, 10 * 32 + 32 + 32 * 3 + 3);
}

#[test]
fn untrained_children_do_worse_than_trained_ones() {
    // Guards the accuracy test: one epoch at a tiny learning rate must not already be at 95 %.
    let dev = Device::flex();
    let task = Blobs::new(3, 600, 10).projection("proj", 4).separation(3.0).seed(11).task().unwrap();
    let prepared = PreparedTask::new(&task, &dev);
    let s = space(10);
    let trainer =
        AdamTrainer::new(TrainConfig::new().with_learning_rate(1e-6).with_epochs(1), dev).unwrap();
    let out = trainer.train(&ChildSpec::Discrete(small_arch(&s)), &prepared, 1).unwrap();
    assert!(out.test_accuracy < 0.95, "test accuracy {}", out.test_accuracy);
}

#[test]
fn continuous_child_trains_too() {
    let dev = Device::flex();
    let task = Blobs::new(3, 300, 6).projection("proj", 4).separation(3.0).seed(2).task().unwrap();
    let prepared = PreparedTask::new(&task, &dev);
    let s = ArchitectureSpace::new(
        vec![8, 32],
        vec![Activation::Relu, Activation::Tanh],
        2,
        vec![EmbeddingSpec::new("raw", 6), EmbeddingSpec::new("proj", 4)],
    )
    .unwrap();
    let trainer = AdamTrainer::new(TrainConfig::new().with_learning_rate(1e-2).with_epochs(8), dev).unwrap();
    let child = ChildSpec::Continuous { space: s.clone(), encoding: Encoding::uniform(&s) };
    let out = trainer.train(&child, &prepared, 3).unwrap();
    assert!(out.is_done());
    assert!(out.test_accuracy >= 0.9, "test accuracy {}", out.test_accuracy);
}

#[test]
fn same_seed_same_accuracy() {
    let dev = Device::flex();
    let task = Blobs::new(4, 400, 10).projection("proj", 4).separation(1.0).seed(5).task().unwrap();
    let prepared = PreparedTask::new(&task, &dev);
    let s = space(10);
    let arch = DiscreteArchitecture::sample(&s, &mut rand::rngs::StdRng::seed_from_u64(9));
    let trainer = AdamTrainer::new(TrainConfig::new().with_learning_rate(3e-3).with_epochs(3), dev).unwrap();
    let child = ChildSpec::Discrete(arch);
    let a = trainer.train(&child, &prepared, 42).unwrap();
    let b = trainer.train(&child, &prepared, 42).unwrap();
    assert_eq!(a.val_accuracy, b.val_accuracy);
    assert_eq!(a.test_accuracy, b.test_accuracy);
    assert_eq!(a.final_loss, b.final_loss);
    let c = trainer.train(&child, &prepared, 43).unwrap();
    assert_ne!(a.final_loss, c.final_loss, "a different seed should change the run");
}

#[test]
fn diverging_loss_is_a_failed_outcome() {
    let dev = Device::flex();
    let task = Blobs::new(3, 200, 10).projection("proj", 4).seed(1).task().unwrap();
    let prepared = PreparedTask::new(&task, &dev);
    let s = space(10);
    let trainer = AdamTrainer::new(TrainConfig::new().with_learning_rate(1e36).with_epochs(5), dev).unwrap();
    let out = trainer.train(&ChildSpec::Discrete(small_arch(&s)), &prepared, 0).unwrap();
    match &out.status {
        Status::Failed { reason } => assert!(reason.contains("non-finite"), "{reason}"),
        Status::Done => panic!("expected a failure, got {out:?}"),
    }
    assert!(out.epochs_run < 5);
}

#[test]
fn bad_settings_and_mismatches_are_typed_errors() {
    let dev = Device::flex();
    assert!(matches!(
        AdamTrainer::new(TrainConfig::new().with_epochs(0), dev.clone()),
        Err(TrainError::Config { setting: "epochs", .. })
    ));
    assert!(matches!(
        AdamTrainer::new(TrainConfig::new().with_learning_rate(f64::NAN), dev.clone()),
        Err(TrainError::Config { setting: "learning_rate", .. })
    ));
    assert!(matches!(
        AdamTrainer::new(TrainConfig::new().with_batch_size(0), dev.clone()),
        Err(TrainError::Config { setting: "batch_size", .. })
    ));
    let task = Blobs::new(3, 60, 10).seed(1).task().unwrap(); // no `proj` module
    let prepared = PreparedTask::new(&task, &dev);
    let trainer = AdamTrainer::new(TrainConfig::new().with_epochs(1), dev).unwrap();
    let s = space(10);
    let mut arch = small_arch(&s);
    arch.embedding = archinfer_encoding::EmbeddingChoice { index: 1, name: "proj".into(), dim: 4 };
    assert!(matches!(
        trainer.train(&ChildSpec::Discrete(arch), &prepared, 0),
        Err(TrainError::MissingModule { .. })
    ));
    let wrong_dim = space(12);
    assert!(matches!(
        trainer.train(&ChildSpec::Discrete(small_arch(&wrong_dim)), &prepared, 0),
        Err(TrainError::ModuleDim { expected: 12, got: 10, .. })
    ));
}
