//! Load a network that `archinfer fit` saved and label samples with it, from Rust, with no
//! command line involved:
//!
//! ```text
//! cargo run --release -- fit --model models/fmnist14-without-dress-coat \
//!     --data data/dress-coat-occluded-noisy --out fitted
//! cargo run --release --example predict_fitted -- fitted data/dress-coat-occluded-noisy test
//! ```
//!
//! The data may be anything `fit` and `predict` read: a folder of class folders of images, a
//! CSV of image paths, an IDX directory, a folder of unlabelled images, texts, tables (with or
//! without their label column, columns in any order: the model's column schema decides).

use std::path::Path;

use archinfer::app::{DataSpec, FittedModel, accuracy, read_user_data};

/// Labels the `split` part (`all`, `train`, `validation`, `test`) of `data` with the model
/// saved in `model_dir`: the class names, and the accuracy where the data are labelled.
pub fn label(model_dir: &Path, data: &Path, split: &str) -> Result<(Vec<String>, Option<f64>), Box<dyn std::error::Error>> {
    let device = archinfer::default_device();
    let model = FittedModel::load(model_dir, &device)?;
    let mut spec = DataSpec::new().with_side(model.info().side).labels_optional(true);
    if let Some(schema) = model.table_schema() {
        // Rows are read as the model's schema reads them: its label column, no column dropped.
        spec = spec.with_modality(Some(archinfer::app::Modality::Tables)).keep_columns(true);
        if let Some(label) = &schema.label {
            spec = spec.with_label(label.clone());
        }
    }
    let samples = read_user_data(data, &spec, &mut |_, _| {})?;
    let idx = model.split_indices(samples.len(), split)?;
    let predicted = model.predict(&samples, Some(&idx), &device)?;
    let acc = accuracy(&samples, &idx, &predicted);
    Ok((predicted, acc))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, data) = match (args.first(), args.get(1)) {
        (Some(m), Some(d)) => (m, d),
        _ => {
            eprintln!("usage: predict_fitted FITTED_DIR DATA [all|train|validation|test]");
            std::process::exit(2);
        }
    };
    let split = args.get(2).map_or("all", String::as_str);
    let (labels, acc) = label(Path::new(model), Path::new(data), split)?;
    println!("{} samples labelled; first: {}", labels.len(), labels.iter().take(5).cloned().collect::<Vec<_>>().join(", "));
    if let Some(acc) = acc {
        println!("accuracy {acc:.4} ({split})");
    }
    Ok(())
}
