//! A model fitted in the version-1 space (no training-recipe block, four image modules: the
//! model shipped until issue 30, kept here as a fixture) still loads and proposes on a task of
//! today's modules; the shipped model is a version-2 one.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use archinfer_app::{DataSpec, TextModules, USER_SPLIT, bundle_task, read_user_data};
use archinfer_data::default_embedders;
use archinfer_infer::{InferOptions, Inferencer};
use burn::tensor::Device;

fn root(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn a_version_1_model_still_loads_and_proposes() {
    let device = Device::default();
    let old = Inferencer::load(&root("tests/fixtures/v1-fmnist14-model"), &device).unwrap();
    assert_eq!(old.dvn.config.space.version(), 1);
    assert!(old.dvn.config.space.recipes().is_none());
    let data = read_user_data(&root("../../data/dress-coat-occluded-noisy"), &DataSpec::new(), &mut |_, _| {}).unwrap();
    let task = bundle_task(&data.bundle(USER_SPLIT).unwrap(), "dress-coat", &default_embedders().unwrap(), &mut TextModules::default()).unwrap();
    let p = old.propose(&task, &InferOptions::new()).unwrap();
    let best = p.best().unwrap();
    assert!(best.architecture.recipe.is_none(), "a version-1 proposal has no recipe");
    assert!(["pool4", "pool2", "pca32", "rf64"].contains(&best.architecture.embedding.name.as_str()));

    let shipped = Inferencer::load(&root("../../models/fmnist14-without-dress-coat"), &device).unwrap();
    assert_eq!(shipped.dvn.config.space.version(), 2, "the shipped model is fitted in today's space");
    assert!(shipped.propose(&task, &InferOptions::new()).unwrap().best().unwrap().architecture.recipe.is_some());
}
