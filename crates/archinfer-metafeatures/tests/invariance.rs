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
