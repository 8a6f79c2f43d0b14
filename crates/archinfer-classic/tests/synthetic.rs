//! End-to-end baselines on small synthetic tasks, with shuffled-label negative controls.

use archinfer_classic::{ClassicKind, ClassicOptions, run_dense, run_text};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

/// Three Gaussian blobs in 16 dimensions (means ±1.5 on a few axes), `n` rows.
fn blobs(n: usize, rng: &mut StdRng) -> (Vec<f32>, Vec<u32>) {
    let noise = Normal::new(0.0f32, 1.0).expect("valid");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..n {
        let class = (i % 3) as u32;
        for j in 0..16 {
            let centre = match (class, j) {
                (0, 0) | (1, 1) | (2, 2) => 1.5,
                (0, 3) | (1, 4) | (2, 5) => -1.5,
                _ => 0.0,
            };
            x.push(centre + noise.sample(rng));
        }
        y.push(class);
    }
    (x, y)
}

/// Short "reviews": two sentiment words per text drawn from the class's word list, plus filler.
fn reviews(n: usize, rng: &mut StdRng) -> (Vec<String>, Vec<u32>) {
    let words: [&[&str]; 2] = [
        &["awful", "boring", "dreadful", "dull", "poor"],
        &["great", "superb", "lovely", "brilliant", "fun"],
    ];
    let filler = [
        "the", "movie", "plot", "actors", "scenes", "was", "and", "really", "film", "story",
    ];
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for i in 0..n {
        let class = (i % 2) as u32;
        let mut t: Vec<&str> = (0..6)
            .map(|_| filler[rng.random_range(0..filler.len())])
            .collect();
        for _ in 0..2 {
            let w = words[class as usize][rng.random_range(0..5)];
            t.insert(rng.random_range(0..=t.len()), w);
        }
        texts.push(t.join(" "));
        labels.push(class);
    }
    (texts, labels)
}

fn options() -> ClassicOptions {
    ClassicOptions {
        rbf_components: 256,
        c_grid: vec![0.25, 1.0, 4.0],
        ..ClassicOptions::default()
    }
}

#[test]
fn dense_blobs_beat_chance_and_shuffled_labels_do_not() {
    let mut rng = StdRng::seed_from_u64(7);
    let (xt, yt) = blobs(300, &mut rng);
    let (xv, yv) = blobs(150, &mut rng);
    let (xs, ys) = blobs(300, &mut rng);
    for kind in ClassicKind::IMAGE {
        let score = run_dense(kind, 16, &xt, &yt, &xv, &yv, &xs, &ys, 3, &options()).expect("runs");
        assert_eq!(score.kind_name, kind.name());
        assert!(score.test > 0.8, "{score:?}");
        assert!(score.converged, "{score:?}");
        let mut shuffled = yt.clone();
        shuffled.shuffle(&mut rng);
        let mut shuffled_test = ys.clone();
        shuffled_test.shuffle(&mut rng);
        let control = run_dense(
            kind,
            16,
            &xt,
            &shuffled,
            &xv,
            &yv,
            &xs,
            &shuffled_test,
            3,
            &options(),
        )
        .expect("runs");
        eprintln!("{kind}: {score:?} control {control:?}");
        assert!(control.test < 0.45, "{control:?}");
    }
}

#[test]
fn text_words_decide_the_class_and_shuffled_labels_do_not() {
    let mut rng = StdRng::seed_from_u64(11);
    let (tt, yt) = reviews(200, &mut rng);
    let (tv, yv) = reviews(100, &mut rng);
    let (ts, ys) = reviews(200, &mut rng);
    for kind in ClassicKind::TEXT {
        let score = run_text(kind, &tt, &yt, &tv, &yv, &ts, &ys, 2, &options()).expect("runs");
        assert!(score.test > 0.95, "{score:?}");
        assert!(score.features > 10, "{score:?}");
        let mut shuffled = yt.clone();
        shuffled.shuffle(&mut rng);
        let mut shuffled_test = ys.clone();
        shuffled_test.shuffle(&mut rng);
        let control = run_text(
            kind,
            &tt,
            &shuffled,
            &tv,
            &yv,
            &ts,
            &shuffled_test,
            2,
            &options(),
        )
        .expect("runs");
        eprintln!("{kind}: {score:?} control {control:?}");
        assert!(control.test < 0.62, "{control:?}");
    }
}

#[test]
fn same_result_twice() {
    let mut rng = StdRng::seed_from_u64(3);
    let (xt, yt) = blobs(90, &mut rng);
    let run = || {
        run_dense(
            ClassicKind::PixelsRbf,
            16,
            &xt,
            &yt,
            &xt,
            &yt,
            &xt,
            &yt,
            3,
            &options(),
        )
        .expect("runs")
    };
    assert_eq!(run(), run());
}
