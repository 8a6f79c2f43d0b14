//! What the tower promises about sample order and labels.

#![allow(clippy::unwrap_used)]

use archinfer_data::Blobs;
use archinfer_metafeatures::{DeepSetsConfig, SampleBatch};
use burn::tensor::Device;

fn z(tower: &archinfer_metafeatures::DeepSets, b: &SampleBatch, dev: &Device) -> Vec<f32> {
    tower.forward(b.to_tensor(dev)).into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn shuffling_samples_changes_z_by_less_than_1e_5() {
    let dev = Device::flex();
    let task = Blobs::new(4, 400, 6).seed(3).task().unwrap();
    let tower = DeepSetsConfig::new(6, 10).with_seed(1).init(&dev);
    let idx = task.splits().train.clone();
    let mut rev = idx.clone();
    rev.reverse();
    let mut rot = idx.clone();
    rot.rotate_left(37);
    let a = z(&tower, &SampleBatch::from_indices(&task, "raw", 10, &idx).unwrap(), &dev);
    for other in [rev, rot] {
        let b = z(&tower, &SampleBatch::from_indices(&task, "raw", 10, &other).unwrap(), &dev);
        let diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert!(diff < 1e-5, "max |Δz| = {diff}");
    }
}

#[test]
fn labels_matter_and_renaming_classes_is_not_promised_invariant() {
    // The tower sees labels as one-hot columns, so permuting class names changes z: the promise
    // is invariance to sample order only. Same samples with labels permuted → different z.
    let dev = Device::flex();
    let task = Blobs::new(3, 300, 5).seed(4).task().unwrap();
    let tower = DeepSetsConfig::new(5, 10).with_seed(2).init(&dev);
    let b = SampleBatch::from_indices(&task, "raw", 10, &task.splits().train).unwrap();
    let mut relabelled = b.clone();
    for y in relabelled.labels.iter_mut() {
        *y = (*y + 1) % 3;
    }
    let (za, zb) = (z(&tower, &b, &dev), z(&tower, &relabelled, &dev));
    let diff = za.iter().zip(&zb).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(diff > 1e-4, "relabelling should move z (max |Δz| = {diff})");
    // But a batch is a batch: duplicating every sample (same empirical distribution) keeps z.
    let mut doubled = b.clone();
    doubled.features.extend(b.features.clone());
    doubled.labels.extend(b.labels.clone());
    let zd = z(&tower, &doubled, &dev);
    let diff = za.iter().zip(&zd).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(diff < 1e-5, "mean pooling: duplicating the set keeps z (max |Δz| = {diff})");
}

#[test]
fn bad_requests_are_typed_errors() {
    let task = Blobs::new(3, 60, 5).task().unwrap();
    assert!(SampleBatch::from_indices(&task, "nope", 10, &[0]).is_err());
    assert!(SampleBatch::from_indices(&task, "raw", 0, &[0]).is_err());
    // More classes than the label block: labels fold modulo its width.
    let idx: Vec<usize> = (0..task.samples()).collect();
    let folded = SampleBatch::from_indices(&task, "raw", 2, &idx).unwrap();
    let labels = task.gather_labels(&idx);
    assert!(folded.labels.iter().zip(&labels).all(|(f, l)| *f == l % 2));
    assert!(labels.contains(&2), "the task has a third class to fold");
}

/// A table task of 5 columns (3 numeric, 2 categorical, one with gaps), its columns in `order`.
fn table_task(order: &[usize]) -> archinfer_data::Task {
    use archinfer_data::{Column, ColumnData, Splits, Table, TableSchema, Task};
    let n = 120;
    let mut cols: Vec<Column> = (0..3)
        .map(|c| Column {
            name: format!("x{c}"),
            data: ColumnData::Numeric((0..n).map(|i| if c == 2 && i % 7 == 0 { f32::NAN } else { ((i * (c + 3)) % 17) as f32 * 0.3 + c as f32 }).collect()),
        })
        .collect();
    for c in 0..2 {
        cols.push(Column {
            name: format!("k{c}"),
            data: ColumnData::Categorical { codes: (0..n).map(|i| ((i / (c + 2)) % 3) as u32).collect(), levels: vec!["a".into(), "b".into(), "c".into()] },
        });
    }
    let table = Table::new(order.iter().map(|&i| cols[i].clone()).collect()).unwrap();
    let labels: Vec<u32> = (0..n).map(|i| ((i % 17) > 8) as u32).collect();
    let splits = Splits { train: (0..80).collect(), validation: (80..100).collect(), test: (100..n).collect() };
    let schema = TableSchema::fit(&table, &splits.train);
    Task::new("t", schema.feature_sets(&table, "t").unwrap(), labels, 2, splits).unwrap()
}

#[test]
fn a_column_pooled_tower_ignores_row_and_column_order() {
    let dev = Device::flex();
    let tower = DeepSetsConfig::new(1, 10).with_per_column(true).with_seed(5).init(&dev);
    let task = table_task(&[0, 1, 2, 3, 4]);
    let idx = task.splits().train.clone();
    let b = SampleBatch::columns_from_indices(&task, "tab-quantile", 10, &idx).unwrap();
    // 3 numbers, one with a missing indicator, and 2 × (3 levels + other): 12 columns.
    assert_eq!((b.dim, b.width()), (12, 12 * 11));
    let a = z(&tower, &b, &dev);
    let mut rev = idx.clone();
    rev.reverse();
    let shuffled_rows = z(&tower, &SampleBatch::columns_from_indices(&task, "tab-quantile", 10, &rev).unwrap(), &dev);
    let other = table_task(&[4, 2, 0, 3, 1]);
    let shuffled_cols = z(&tower, &SampleBatch::columns_from_indices(&other, "tab-quantile", 10, &idx).unwrap(), &dev);
    for zz in [shuffled_rows, shuffled_cols] {
        let diff = a.iter().zip(&zz).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert!(diff < 1e-5, "max |Δz| = {diff}");
    }
    // Any number of columns: a task with fewer columns still embeds to the same width.
    let few = table_task(&[0, 3]);
    assert_eq!(z(&tower, &SampleBatch::columns_from_indices(&few, "tab-quantile", 10, &idx).unwrap(), &dev).len(), a.len());
    // The statistics read the same narrow sparse set, and the descriptors are column-free too.
    let s1 = archinfer_metafeatures::statistical_features(&task, "tab-quantile").unwrap();
    let s2 = archinfer_metafeatures::statistical_features(&other, "tab-quantile").unwrap();
    let diff = s1.iter().zip(&s2).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(diff < 1e-5, "statistics moved by {diff}");
}

#[test]
fn the_column_pooled_tower_by_hand() {
    // One row, two columns, labels one-hot in 1: the mean over rows is the row itself, so
    // z = mean_c relu(ψ(φ(cell_c))) can be checked against the layers applied one cell at a time.
    use burn::tensor::{Tensor, TensorData};
    let dev = Device::flex();
    let tower = DeepSetsConfig::new(1, 1).with_per_column(true).with_hidden(3).with_out(2).with_seed(9).init(&dev);
    let x = Tensor::<2>::from_data(TensorData::new(vec![0.5f32, 1.0, -1.0, 1.0], [1, 4]), &dev);
    let got = tower.forward(x).into_data().try_to_vec::<f32>().unwrap();
    let cell = |a: f32| {
        let t = Tensor::<2>::from_data(TensorData::new(vec![a, 1.0], [1, 2]), &dev);
        let h = burn::tensor::activation::relu(tower.l2.forward(burn::tensor::activation::relu(tower.l1.forward(t))));
        burn::tensor::activation::relu(tower.column.as_ref().unwrap().forward(h)).into_data().try_to_vec::<f32>().unwrap()
    };
    let (c1, c2) = (cell(0.5), cell(-1.0));
    for k in 0..2 {
        approx::assert_abs_diff_eq!(got[k], 0.5 * (c1[k] + c2[k]), epsilon = 1e-6);
    }
}
