//! `FittedModel` without the command line: fit on the shipped example task with the shipped
//! model, save, load, and predict the same labels and accuracy; tampered files and bad inputs
//! are typed errors.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use archinfer_app::{DataSpec, AppError, FitOptions, FittedModel, USER_SPLIT, accuracy, read_user_data};
use archinfer_infer::Inferencer;
use archinfer_train::TrainConfig;
use burn::tensor::Device;

fn root(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

#[test]
fn a_fitted_model_saves_loads_and_predicts_what_it_reported() {
    let device = Device::default();
    let inf = Inferencer::load(&root("models/fmnist14-without-dress-coat"), &device).unwrap();
    let data = read_user_data(&root("data/dress-coat-occluded-noisy"), &DataSpec::new(), &mut |_, _| {}).unwrap();
    let options = FitOptions::new(TrainConfig::new().with_epochs(2)).with_candidates(2);
    let mut seen = Vec::new();
    let report = FittedModel::fit(&inf, &data, "dress-coat", &options, &device, &mut |k, total, _| seen.push((k, total))).unwrap();
    assert!(!report.trained.is_empty() && report.trained.len() <= 2);
    assert_eq!(seen.len(), report.trained.len(), "progress before each training");
    // The kept candidate is the best by validation accuracy.
    let best = report.trained.iter().map(|t| t.outcome.val_accuracy).fold(f32::NEG_INFINITY, f32::max);
    assert_eq!(report.trained[report.kept].outcome.val_accuracy, best);
    let info = report.model.info().clone();
    assert_eq!(info.class_names.len(), 2);
    assert_eq!(info.split.0, USER_SPLIT);

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fitted");
    report.model.save(&dir).unwrap();
    let loaded = FittedModel::load(&dir, &device).unwrap();
    assert_eq!(serde_json::to_value(loaded.info()).unwrap(), serde_json::to_value(&info).unwrap());

    // The test part of the split it was fitted on gives back its reported test accuracy, and
    // the loaded model labels every sample as the fitted one does.
    let test = loaded.predict_split(&data, "test", &device).unwrap();
    approx::assert_abs_diff_eq!(test.accuracy.unwrap(), f64::from(info.test_accuracy), epsilon = 1e-6);
    assert_eq!(test.samples, report.bundle.split[2]);
    let all = loaded.predict(&data, None, &device).unwrap();
    assert_eq!(all, report.model.predict(&data, None, &device).unwrap());
    let idx: Vec<usize> = (0..data.len()).collect();
    assert_eq!(accuracy(&data, &idx, &all), loaded.predict_split(&data, "all", &device).unwrap().accuracy);

    // The split's parts partition the samples.
    let mut parts: Vec<usize> = ["train", "validation", "test"].iter().flat_map(|p| loaded.split_indices(data.len(), p).unwrap()).collect();
    parts.sort_unstable();
    assert_eq!(parts, idx);
    assert!(matches!(loaded.split_indices(data.len(), "dev"), Err(AppError::BadOptions(_))));
    assert!(matches!(loaded.predict(&data, Some(&[data.len()]), &device), Err(AppError::UserData { .. })));

    // Texts are not what an image network reads.
    let texts_dir = tmp.path().join("texts");
    for (class, words) in [("a", "apples and pears"), ("b", "boats on the river")] {
        std::fs::create_dir_all(texts_dir.join(class)).unwrap();
        for i in 0..3 {
            std::fs::write(texts_dir.join(class).join(format!("{i}.txt")), format!("{words} {i}")).unwrap();
        }
    }
    let texts = read_user_data(&texts_dir, &DataSpec::new(), &mut |_, _| {}).unwrap();
    assert!(matches!(loaded.predict(&texts, None, &device), Err(AppError::UserData { .. })));

    // A changed file is refused; a folder that is not a fitted model is named.
    std::fs::write(dir.join(archinfer_app::FITTED_FILE), serde_json::to_string(&info).unwrap() + " ").unwrap();
    assert!(FittedModel::load(&dir, &device).is_err(), "tampered fitted.json");
    let e = FittedModel::load(tmp.path(), &device).map(|_| ()).unwrap_err();
    assert!(matches!(e, AppError::FittedModel { .. }) && e.to_string().contains("missing"), "{e}");
    assert!(matches!(
        FittedModel::fit(&inf, &data, "x", &FitOptions::new(TrainConfig::new()).with_candidates(0), &device, &mut |_, _, _| {}),
        Err(AppError::BadOptions(_))
    ));
}

#[test]
fn a_table_model_saves_its_schema_and_predicts_new_rows_as_in_training() {
    let device = Device::default();
    let inf = Inferencer::load(&root("models/tab40-without-mlbench-soybean"), &device).unwrap();
    let path = root("data/tables/mlbench-soybean.csv");
    let data = read_user_data(&path, &DataSpec::new(), &mut |_, _| {}).unwrap();
    assert_eq!(data.modality(), archinfer_data::Modality::Tables);
    let options = FitOptions::new(TrainConfig::new().with_epochs(3)).with_candidates(1);
    let report = FittedModel::fit(&inf, &data, "soybean", &options, &device, &mut |_, _, _| {}).unwrap();
    let info = report.model.info().clone();
    assert_eq!((info.modality, info.class_names.len()), (archinfer_data::Modality::Tables, 19));
    assert!(info.module.starts_with("tab-"), "{}", info.module);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fitted");
    report.model.save(&dir).unwrap();
    assert!(dir.join(archinfer_app::SCHEMA_FILE).exists());
    let loaded = FittedModel::load(&dir, &device).unwrap();
    assert_eq!(loaded.table_schema().unwrap().label.as_deref(), Some("label"));
    let test = loaded.predict_split(&data, "test", &device).unwrap();
    approx::assert_abs_diff_eq!(test.accuracy.unwrap(), f64::from(info.test_accuracy), epsilon = 1e-6);
    // The same rows without their label, columns reversed, read as a fitted model reads them.
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let reversed: String = rows.iter().map(|r| r[..r.len() - 1].iter().rev().copied().collect::<Vec<_>>().join(",") + "\n").collect();
    let new = tmp.path().join("new.csv");
    std::fs::write(&new, reversed).unwrap();
    let spec = DataSpec::new().with_label("label").labels_optional(true).keep_columns(true);
    let unlabelled = read_user_data(&new, &spec, &mut |_, _| {}).unwrap();
    assert!(unlabelled.labels.is_none());
    assert_eq!(loaded.predict(&unlabelled, None, &device).unwrap(), loaded.predict(&data, None, &device).unwrap());
    // Tampering with the schema is refused.
    std::fs::write(dir.join(archinfer_app::SCHEMA_FILE), "{}").unwrap();
    assert!(FittedModel::load(&dir, &device).is_err());
}
