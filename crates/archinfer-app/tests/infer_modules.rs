//! `infer` computes of an image task only the modules the model's task encoders read
//! ([`Inferencer::task_modules`], [`bundle_task_for_model`]); the ascent reads the others'
//! widths. This checks that the proposal is the one a task with every module gets, bit for bit.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use archinfer_app::{DataSpec, TextModules, USER_SPLIT, bundle_task, bundle_task_for_model, read_user_data};
use archinfer_data::default_embedders;
use archinfer_infer::{InferOptions, Inferencer};
use burn::tensor::Device;

fn root(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

#[test]
fn a_task_with_only_the_encoders_modules_gets_the_same_proposal() {
    let device = Device::default();
    let inf = Inferencer::load(&root("models/fmnist14-without-dress-coat"), &device).unwrap();
    let needed = inf.task_modules();
    assert_eq!(needed, vec!["pool4".to_string()], "the shipped model's tower reads pool4");
    let data = read_user_data(&root("data/dress-coat-occluded-noisy"), &DataSpec::new(), &mut |_, _| {}).unwrap();
    let full_bundle = data.bundle(USER_SPLIT).unwrap();
    let full = bundle_task(&full_bundle, "dress-coat", &default_embedders().unwrap(), &mut TextModules::default()).unwrap();
    let narrow = bundle_task_for_model(data.bundle(USER_SPLIT).unwrap(), "dress-coat", &inf.dvn.config.space, &needed).unwrap();
    assert_eq!(narrow.features().len(), 1);
    assert!(full.features().len() > 4);
    let opts = InferOptions::new();
    let (a, b) = (inf.propose(&full, &opts).unwrap(), inf.propose(&narrow, &opts).unwrap());
    assert_eq!(a.candidates.len(), b.candidates.len());
    for (x, y) in a.candidates.iter().zip(&b.candidates) {
        assert_eq!(x.architecture, y.architecture);
        assert_eq!(x.params, y.params);
        assert_eq!(x.value.to_bits(), y.value.to_bits());
        assert_eq!(x.solution.logits, y.solution.logits);
    }
}
