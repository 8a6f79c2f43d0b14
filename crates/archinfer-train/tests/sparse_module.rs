//! A child on a sparse module (the TF-IDF text modules): its first layer reads the task's own
//! columns, on the fused path (sparse × dense, lazy Adam) and on the burn path (each batch
//! written out dense, Adam over every row).

#![allow(clippy::unwrap_used)]

use archinfer_data::{Csr, FeatureSet, Splits, Task};
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingChoice, EmbeddingSpec, Encoding, LayerChoice};
use archinfer_train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, Status, TrainConfig, TrainError, TrainPath};
use burn::tensor::Device;

/// Declared width of the sparse module; the task uses 50 columns of it.
const DECLARED: usize = 4096;

/// 600 samples in 3 classes: each row has its class's column among 0..3 and three of 47 noise
/// columns, L2-normalised, with 10 % of the class columns swapped for another class's.
fn task() -> Task {
    let n = 600;
    let (mut indptr, mut cols, mut vals, mut labels) = (vec![0], Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let k = (i % 3) as u32;
        let shown = if i % 10 == 7 { (k + 1) % 3 } else { k };
        let mut c = vec![shown, 3 + (i * 7 % 47) as u32, 3 + (i * 13 % 47) as u32, 3 + (i * 29 % 47) as u32];
        c.sort_unstable();
        c.dedup();
        let w = 1.0 / (c.len() as f32).sqrt();
        vals.extend(std::iter::repeat_n(w, c.len()));
        cols.extend(c);
        indptr.push(cols.len());
        labels.push(k);
    }
    let rows = Csr::new(indptr, cols, vals, 50).unwrap();
    let dense = FeatureSet::new("small", 2, (0..2 * n).map(|i| (i % 5) as f32).collect());
    let splits = Splits::random(n, [0.6, 0.2, 0.2], 1).unwrap();
    Task::new("sparse", vec![dense, FeatureSet::new_sparse("tfidf-word", DECLARED, rows)], labels, 3, splits).unwrap()
}

fn arch(hidden: &[usize]) -> (ArchitectureSpace, DiscreteArchitecture) {
    let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("small", 2), EmbeddingSpec::new("tfidf-word", DECLARED)]).unwrap();
    let mut a = Encoding::uniform(&space).discretize(&space).unwrap();
    a.embedding = EmbeddingChoice { index: 1, name: "tfidf-word".into(), dim: DECLARED };
    for (l, c) in a.layers.iter_mut().enumerate() {
        let (base, enabled) = hidden.get(l).map_or((0, false), |&b| (b, true));
        let b = space.base_layer(base);
        *c = LayerChoice { enabled, base, width: b.width, activation: b.activation };
    }
    (space, a)
}

#[test]
fn both_paths_train_a_sparse_child_to_the_same_accuracy() {
    let dev = Device::flex();
    let task = task();
    let prepared = PreparedTask::new(&task, &dev);
    assert_eq!(prepared.input_width("tfidf-word"), Some(50));
    let config = TrainConfig::new().with_epochs(15).with_batch_size(32).with_learning_rate(1e-2);
    for hidden in [&[][..], &[7][..]] {
        let (_, a) = arch(hidden);
        let mut acc = Vec::new();
        for path in [TrainPath::Fused, TrainPath::Burn] {
            let t = AdamTrainer::new(config.clone(), dev.clone()).unwrap().with_path(path);
            let o = t.train(&ChildSpec::Discrete(a.clone()), &prepared, 3).unwrap();
            assert_eq!(o.status, Status::Done);
            // The first layer has the task's 50 rows, not the declared 4,096.
            assert_eq!(o.num_params, a.clone().with_input_dim(50).num_params(3), "{path:?}");
            acc.push((o.val_accuracy, o.test_accuracy));
        }
        // 90 % of the labels can be read off one column.
        for (v, t) in &acc {
            assert!(*v > 0.8 && *t > 0.8, "{hidden:?}: {acc:?}");
        }
        // Lazy Adam on one path and dense Adam on the other: close, not equal.
        assert!((acc[0].0 - acc[1].0).abs() <= 0.05, "{hidden:?}: {acc:?}");
    }
}

#[test]
fn a_relaxed_child_refuses_a_sparse_module() {
    let dev = Device::flex();
    let prepared = PreparedTask::new(&task(), &dev);
    let (space, _) = arch(&[]);
    let child = ChildSpec::Continuous { space: space.clone(), encoding: Encoding::uniform(&space) };
    let t = AdamTrainer::new(TrainConfig::new().with_epochs(1), dev).unwrap();
    let e = t.train(&child, &prepared, 0).unwrap_err();
    assert!(matches!(e, TrainError::SparseModule { ref module, .. } if module == "tfidf-word"), "{e}");
}
