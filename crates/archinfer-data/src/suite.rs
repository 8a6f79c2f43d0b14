//! Named task suites made from a labelled image set (Fashion-MNIST): class groupings, sizes
//! and perturbations that make tasks differ the way the paper's NLP tasks do.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::embed::Embedder;
use crate::error::{DataError, Result};
use crate::idx::ImageSet;
use crate::task::{FeatureSet, Splits, Task};

/// A change applied to a task's samples or labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Perturbation {
    /// Each training label is replaced, with this probability, by a uniformly drawn other
    /// class (validation and test labels stay clean).
    LabelNoise(f32),
    /// Class `c` keeps a share proportional to `ratio^(−c/(k−1))`: the first class is `ratio`
    /// times as frequent as the last.
    Imbalance(f32),
    /// A random `size × size` square of every image is blanked.
    Occlusion(usize),
    /// Gaussian pixel noise of this standard deviation, clamped to [0, 1].
    PixelNoise(f32),
}

/// How to make one task from the image set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecipe {
    /// Task name.
    pub name: String,
    /// One entry per class of the task: the source labels it merges.
    pub classes: Vec<Vec<u8>>,
    /// Training samples.
    pub train: usize,
    /// Validation samples.
    pub validation: usize,
    /// Test samples.
    pub test: usize,
    /// Perturbations, applied in order.
    pub perturbations: Vec<Perturbation>,
    /// Seed of sampling, splitting and perturbations.
    pub seed: u64,
    /// One line on how the task was made.
    pub description: String,
}

/// Fashion-MNIST class names, by label.
pub const FASHION_CLASSES: [&str; 10] =
    ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];

fn recipe(
    name: &str,
    classes: &[&[u8]],
    train: usize,
    perturbations: Vec<Perturbation>,
    seed: u64,
    description: &str,
) -> TaskRecipe {
    let held = (train / 4).clamp(250, 2000);
    TaskRecipe {
        name: name.into(),
        classes: classes.iter().map(|c| c.to_vec()).collect(),
        train,
        validation: held,
        test: held,
        perturbations,
        seed,
        description: description.into(),
    }
}

/// The names of the suites [`suite`] knows.
pub const SUITES: [&str; 2] = ["fmnist14", "fmnist-extra"];

/// The recipes of a named suite.
///
/// `fmnist14`: 14 Fashion-MNIST tasks with 2 to 10 classes, 500 to 10,000 training samples,
/// easy and confusable groupings, and four perturbations (label noise, class imbalance,
/// occlusion, pixel noise).
///
/// `fmnist-extra`: 16 more, added to the same database so the suite spans what users bring:
/// 100 to 8,000 training samples (seven tasks of at most 300), 2 to 10 classes, heavy label
/// noise, strong occlusion and pixel noise, imbalance up to 20:1. (Pixel noise is stored as
/// noisy pixels, which do not compress: one such task of 600 images keeps the database under
/// 64 MiB.)
///
/// # Errors
/// [`DataError::Suite`] for an unknown name.
pub fn suite(name: &str) -> Result<Vec<TaskRecipe>> {
    use Perturbation::*;
    let all: &[&[u8]] = &[&[0], &[1], &[2], &[3], &[4], &[5], &[6], &[7], &[8], &[9]];
    match name {
        "fmnist14" => Ok(vec![
            recipe("trouser-bag", &[&[1], &[8]], 1000, vec![], 101, "trouser vs bag: easy binary"),
            recipe("shirt-tshirt", &[&[6], &[0]], 2000, vec![], 102, "shirt vs T-shirt: confusable binary"),
            recipe("tops4", &[&[0], &[2], &[4], &[6]], 4000, vec![], 103, "T-shirt / pullover / coat / shirt: confusable"),
            recipe("footwear3", &[&[5], &[7], &[9]], 1500, vec![], 104, "sandal / sneaker / boot"),
            recipe("all10-500", all, 500, vec![], 105, "all ten classes, small"),
            recipe("all10-10k", all, 10000, vec![], 106, "all ten classes, large"),
            recipe("all10-noisy-labels", all, 3000, vec![LabelNoise(0.3)], 107, "ten classes, 30 % of training labels flipped"),
            recipe("bag-footwear-imbalanced", &[&[8], &[5, 7, 9]], 2000, vec![Imbalance(9.0)], 108, "bag vs any footwear, 9:1 imbalance"),
            recipe("clothes5-occluded", &[&[0], &[1], &[2], &[3], &[4]], 3000, vec![Occlusion(12)], 109, "five garment classes, a 12×12 square blanked"),
            recipe("all10-pixel-noise", all, 2000, vec![PixelNoise(0.4)], 110, "ten classes, Gaussian pixel noise σ = 0.4"),
            recipe("tops-shoes-bags", &[&[0, 2, 3, 4, 6], &[5, 7, 9], &[8]], 1500, vec![], 111, "three super-classes: garments, footwear, bags"),
            recipe("pullover-coat-imbalanced", &[&[2], &[4]], 800, vec![Imbalance(4.0)], 112, "pullover vs coat, 4:1 imbalance"),
            recipe("all10-imbalanced", all, 5000, vec![Imbalance(10.0)], 113, "ten classes, geometric 10:1 imbalance"),
            recipe("dress-coat-occluded-noisy", &[&[3], &[4]], 600, vec![Occlusion(10), LabelNoise(0.15)], 114, "dress vs coat, occluded, 15 % label noise"),
        ]),
        "fmnist-extra" => Ok(vec![
            recipe("trouser-dress-100", &[&[1], &[3]], 100, vec![], 201, "trouser vs dress, 100 training images"),
            recipe("all10-150", all, 150, vec![], 202, "all ten classes, 150 training images"),
            recipe("sandal-sneaker-120", &[&[5], &[7]], 120, vec![], 203, "sandal vs sneaker, 120 training images"),
            recipe("tops3-300", &[&[6], &[2], &[4]], 300, vec![], 204, "shirt / pullover / coat, 300 training images: confusable and small"),
            recipe("all10-noisy-50", all, 1000, vec![LabelNoise(0.5)], 205, "ten classes, half of the training labels flipped"),
            recipe("tops4-8k", &[&[0], &[2], &[4], &[6]], 8000, vec![], 206, "T-shirt / pullover / coat / shirt, 8,000 training images"),
            recipe("pullover-coat-occluded-150", &[&[2], &[4]], 150, vec![Occlusion(8)], 207, "pullover vs coat, 150 images, an 8×8 square blanked"),
            recipe("all10-occluded-16", all, 3000, vec![Occlusion(16)], 208, "ten classes, a 16×16 square blanked"),
            recipe("bag-boot-imbalanced", &[&[8], &[9]], 1500, vec![Imbalance(20.0)], 209, "bag vs boot, 20:1 imbalance"),
            recipe("tshirt-shirt-noisy-200", &[&[0], &[6]], 200, vec![LabelNoise(0.2)], 210, "T-shirt vs shirt, 200 images, 20 % label noise"),
            recipe("all10-pixel-noise-600", all, 600, vec![PixelNoise(0.6)], 211, "ten classes, 600 images, pixel noise σ = 0.6"),
            recipe("tops-vs-dress", &[&[0, 2, 4, 6], &[3]], 1200, vec![Imbalance(4.0)], 212, "any top vs dress, 4:1"),
            recipe("footwear3-occluded-400", &[&[5], &[7], &[9]], 400, vec![Occlusion(14)], 213, "sandal / sneaker / boot, 400 images, a 14×14 square blanked"),
            recipe("clothes7-5k", &[&[0], &[1], &[2], &[3], &[4], &[6], &[8]], 5000, vec![], 214, "seven classes without footwear, 5,000 images"),
            recipe("super3-imbalanced-300", &[&[0, 2, 3, 4, 6], &[5, 7, 9], &[8]], 300, vec![Imbalance(8.0)], 215, "garments / footwear / bags, 300 images, 8:1 imbalance"),
            recipe("all10-250-imbalanced", all, 250, vec![Imbalance(5.0)], 216, "ten classes, 250 images, 5:1 imbalance"),
        ]),
        other => Err(DataError::Suite(format!("unknown suite `{other}` (known: {})", SUITES.join(", ")))),
    }
}

/// Per-class sample counts for `total` samples over `k` classes (imbalance `ratio`, 1 = even).
fn class_counts(total: usize, k: usize, ratio: f32) -> Vec<usize> {
    let w: Vec<f64> = (0..k)
        .map(|c| if k > 1 { f64::from(ratio).powf(-(c as f64) / (k - 1) as f64) } else { 1.0 })
        .collect();
    let s: f64 = w.iter().sum();
    let mut counts: Vec<usize> = w.iter().map(|x| (x / s * total as f64).floor() as usize).collect();
    let mut c = 0;
    while counts.iter().sum::<usize>() < total {
        counts[c % k] += 1;
        c += 1;
    }
    counts
}

/// Makes the task of `recipe` from `images`, with one feature set per embedder.
///
/// # Errors
/// [`DataError::Suite`] if a class has too few source images, or any [`Task`] error.
pub fn build_task(images: &ImageSet, recipe: &TaskRecipe, embedders: &[Box<dyn Embedder>]) -> Result<Task> {
    let (set, train_end) = task_images(images, recipe)?;
    let px = set.side * set.side;
    let features = embedders
        .iter()
        .map(|e| FeatureSet::new(e.name(), e.dim(), e.embed_all(&set.pixels, px)))
        .collect();
    let total = set.len();
    let splits = Splits {
        train: (0..train_end).collect(),
        validation: (train_end..train_end + recipe.validation).collect(),
        test: (train_end + recipe.validation..total).collect(),
    };
    let labels = set.labels.iter().map(|&l| u32::from(l)).collect();
    Task::new(recipe.name.clone(), features, labels, recipe.classes.len(), splits)
}

/// The images of a recipe's task before embedding, perturbations applied: training images
/// first (their count is returned), then validation, then test; labels are the recipe's
/// class indices.
///
/// # Errors
/// A class the image set cannot fill, or more than 256 classes.
pub fn task_images(images: &ImageSet, recipe: &TaskRecipe) -> Result<(ImageSet, usize)> {
    if recipe.classes.len() > 256 {
        return Err(DataError::Suite(format!("{}: more than 256 classes", recipe.name)));
    }
    let k = recipe.classes.len();
    let mut rng = StdRng::seed_from_u64(recipe.seed);
    let ratio = recipe
        .perturbations
        .iter()
        .find_map(|p| if let Perturbation::Imbalance(r) = p { Some(*r) } else { None })
        .unwrap_or(1.0);
    let total = recipe.train + recipe.validation + recipe.test;
    let counts = class_counts(total, k, ratio);
    let mut chosen: Vec<(usize, u32)> = Vec::with_capacity(total);
    for (c, sources) in recipe.classes.iter().enumerate() {
        let mut pool: Vec<usize> = (0..images.len()).filter(|&i| sources.contains(&images.labels[i])).collect();
        if pool.len() < counts[c] {
            return Err(DataError::Suite(format!(
                "{}: class {c} needs {} images, the image set has {}",
                recipe.name,
                counts[c],
                pool.len()
            )));
        }
        pool.shuffle(&mut rng);
        chosen.extend(pool[..counts[c]].iter().map(|&i| (i, c as u32)));
    }
    chosen.shuffle(&mut rng);
    let px = images.side * images.side;
    let mut pixels = Vec::with_capacity(total * px);
    for &(i, _) in &chosen {
        pixels.extend_from_slice(images.image(i));
    }
    let mut labels: Vec<u32> = chosen.iter().map(|&(_, l)| l).collect();
    let train_end = recipe.train;
    for p in &recipe.perturbations {
        match *p {
            Perturbation::LabelNoise(q) => {
                for l in labels.iter_mut().take(train_end) {
                    if rng.random_bool(f64::from(q.clamp(0.0, 1.0))) {
                        let other = rng.random_range(0..k as u32 - 1);
                        *l = if other >= *l { other + 1 } else { other };
                    }
                }
            }
            Perturbation::Occlusion(s) => {
                let s = s.min(images.side);
                for img in pixels.chunks_exact_mut(px) {
                    let y0 = rng.random_range(0..=images.side - s);
                    let x0 = rng.random_range(0..=images.side - s);
                    for y in y0..y0 + s {
                        img[y * images.side + x0..y * images.side + x0 + s].fill(0.0);
                    }
                }
            }
            Perturbation::PixelNoise(sigma) => {
                let n = Normal::new(0.0f32, sigma.max(0.0))
                    .map_err(|e| DataError::Suite(format!("{}: {e}", recipe.name)))?;
                for v in pixels.iter_mut() {
                    *v = (*v + n.sample(&mut rng)).clamp(0.0, 1.0);
                }
            }
            Perturbation::Imbalance(_) => {}
        }
    }
    let labels = labels.into_iter().map(|l| l as u8).collect();
    Ok((ImageSet { pixels, labels, side: images.side }, train_end))
}

/// Name of the small synthetic suite that needs no downloaded data (tests, demos).
pub const SYNTHETIC_SUITE: &str = "synthetic3";

/// The tasks of the [`SYNTHETIC_SUITE`]: three small Gaussian-blob tasks (2, 3 and 4 classes)
/// with the same four feature sets, each paired with a description.
///
/// # Errors
/// Never in practice (the settings are fixed and valid).
pub fn synthetic_suite_tasks() -> Result<Vec<(Task, String)>> {
    let mut out = Vec::new();
    for (i, (classes, samples, sep)) in [(2usize, 240usize, 1.5f32), (3, 300, 1.0), (4, 360, 0.8)].into_iter().enumerate() {
        let t = crate::synthetic::Blobs::new(classes, samples, 16)
            .separation(sep)
            .projection("p8", 8)
            .projection("p4", 4)
            .projection("p2", 2)
            .seed(100 + i as u64)
            .task()?;
        out.push((t, format!("Gaussian blobs, {classes} classes, separation {sep}")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::AvgPool;

    fn images(n: usize) -> ImageSet {
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let l = (i % 10) as u8;
            labels.push(l);
            pixels.extend((0..16).map(|p| ((p + l as usize) % 16) as f32 / 16.0));
        }
        ImageSet { pixels, labels, side: 4 }
    }

    #[test]
    fn counts_and_imbalance() {
        assert_eq!(class_counts(10, 2, 1.0), vec![5, 5]);
        let c = class_counts(100, 2, 9.0);
        assert_eq!(c, vec![90, 10]);
        assert_eq!(class_counts(7, 3, 1.0).iter().sum::<usize>(), 7);
    }

    #[test]
    fn builds_disjoint_splits_with_grouped_classes() {
        let imgs = images(400);
        let r = TaskRecipe {
            name: "t".into(),
            classes: vec![vec![0, 1], vec![2]],
            train: 40,
            validation: 10,
            test: 10,
            perturbations: vec![Perturbation::LabelNoise(0.5), Perturbation::Occlusion(2)],
            seed: 1,
            description: String::new(),
        };
        let emb: Vec<Box<dyn Embedder>> = vec![Box::new(AvgPool::new(4, 2).unwrap())];
        let t = build_task(&imgs, &r, &emb).unwrap();
        assert_eq!(t.samples(), 60);
        assert_eq!(t.num_classes(), 2);
        assert_eq!(t.features()[0].dim, 4);
        assert_eq!(build_task(&imgs, &r, &emb).unwrap(), t, "deterministic");
        let mut big = r.clone();
        big.train = 1000;
        assert!(matches!(build_task(&imgs, &big, &emb), Err(DataError::Suite(_))));
    }

    #[test]
    fn the_default_suite_is_varied() {
        let s = suite("fmnist14").unwrap();
        assert!(s.len() >= 12);
        assert!(s.iter().any(|r| r.classes.len() == 2) && s.iter().any(|r| r.classes.len() == 10));
        assert!(s.iter().map(|r| r.train).min() <= Some(500));
        assert!(s.iter().map(|r| r.train).max() >= Some(10000));
        assert!(suite("nope").is_err());
    }
}
