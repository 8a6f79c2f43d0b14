//! A module migration on `MemoryStore`: image tasks recorded with the first four modules get
//! `raw` and `hog144` from a newer build, the space grows, old children and pool members keep
//! their rows, and new draws pick only the new modules.

#![allow(clippy::unwrap_used)]

use archinfer_data::{ImageSet, TaskBundle, default_embedders};
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
use archinfer_app::{AppError, Pool, add_task, fits_space, load_tasks, module_indices, plan_missing, plan_missing_among, record_of, widen_space};
use archinfer_store::{ExperimentStore, MemoryStore};

/// Two classes of 28 × 28 images: a bright left or right half, with a little seeded texture.
fn images(n: usize, seed: u32) -> ImageSet {
    let mut pixels = Vec::with_capacity(n * 784);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = (i % 2) as u8;
        for p in 0..784u32 {
            let bright = ((p % 28) < 14) == (c == 0);
            let jitter = ((p.wrapping_mul(2_654_435_761) ^ (i as u32 + seed).wrapping_mul(40_503)) % 100) as f32 / 400.0;
            pixels.push(if bright { 0.7 + jitter } else { jitter });
        }
        labels.push(c);
    }
    ImageSet { pixels, labels, side: 28 }
}

#[test]
fn old_tasks_get_new_modules_and_the_space_grows_without_touching_a_row() {
    let store = MemoryStore::new();
    let all = default_embedders().unwrap();
    // Recorded by an older build: the first four modules only.
    let old: Vec<_> = default_embedders().unwrap().into_iter().take(4).collect();
    for (k, name) in ["left-right", "right-left"].iter().enumerate() {
        let set = images(40, k as u32);
        let labels = set.labels.iter().map(|&l| u32::from(l)).collect();
        let b = TaskBundle::from_images(&set, labels, vec!["a".into(), "b".into()], [24, 8, 8], &old).unwrap();
        add_task(&store, &record_of(name, "test", "", &b), &b).unwrap();
    }
    let tasks = load_tasks(&store).unwrap();
    let names: Vec<&str> = tasks[0].task.features().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, all.iter().map(|e| e.name()).collect::<Vec<_>>(), "a newer build reads the new modules too");
    let v1 = ArchitectureSpace::paper(old.iter().map(|e| EmbeddingSpec::new(e.name(), e.dim())).collect()).unwrap();
    for t in &tasks {
        fits_space(&t.task, &v1).unwrap();
    }
    plan_missing(&store, &v1, 6, 3).unwrap();
    let pool = Pool::ensure(&store, &v1, 4, 3).unwrap();
    pool.plan(&store).unwrap();
    let before = store.trials(None).unwrap();

    let refs: Vec<_> = tasks.iter().map(|t| t.task.as_ref()).collect();
    let wide = widen_space(&v1, &refs, &["raw".into(), "hog144".into()]).unwrap();
    assert_eq!(&wide.embeddings()[4..], &[EmbeddingSpec::new("raw", 784), EmbeddingSpec::new("hog144", 144)]);
    let new = module_indices(&wide, &["raw".into(), "hog144".into()]).unwrap();
    assert_eq!(new, vec![4, 5]);
    assert!(matches!(widen_space(&wide, &refs, &["raw".into()]), Err(AppError::ModuleMigration { .. })));

    let added = plan_missing_among(&store, &wide, 10, 3, Some(&new)).unwrap();
    let grown = Pool::ensure_among(&store, &wide, 6, 3, Some(&new)).unwrap();
    assert_eq!(&grown.members[..4], &pool.members[..], "a pool grows; its first members stay");
    let added = added + grown.plan(&store).unwrap();
    assert_eq!(added, 2 * (4 + 2));
    let after = store.trials(None).unwrap();
    for t in &before {
        assert_eq!(after.iter().find(|a| a.id == t.id), Some(t), "trial {} is untouched", t.id);
    }
    for t in after.iter().filter(|a| !before.iter().any(|b| b.id == a.id)) {
        let arch = DiscreteArchitecture::from_json(&wide, &t.architecture).unwrap();
        assert!(["raw", "hog144"].contains(&arch.embedding.name.as_str()), "trial {} draws {}", t.trial_index, arch.embedding.name);
    }
    // A pool never shrinks, and another seed is another pool.
    assert!(matches!(Pool::check(&store, 4, 3), Err(AppError::PoolConflict { .. })));
    assert!(matches!(Pool::check(&store, 6, 4), Err(AppError::PoolConflict { .. })));
    assert_eq!(Pool::check(&store, 8, 3).unwrap().unwrap().size(), 6);
}
