//! Small synthetic tasks made in code, for tests, benches and examples.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::error::{DataError, Result};
use crate::task::{FeatureSet, Splits, Task};

/// Gaussian blobs: each class has a random mean in `dim` dimensions (coordinates drawn from
/// `N(0, separation²)`), and samples are the class mean plus standard normal noise. Large
/// separations give linearly separable tasks.
///
/// The `raw` feature set holds the samples; each [`projection`](Self::projection) adds a feature
/// set that is a fixed random linear map of them, standing in for an embedding module.
///
/// ```
/// use archinfer_data::Blobs;
/// let task = Blobs::new(3, 300, 8).separation(6.0).seed(1).task().unwrap();
/// assert_eq!(task.num_classes(), 3);
/// assert_eq!(task.features()[0].dim, 8);
/// ```
#[derive(Debug, Clone)]
pub struct Blobs {
    classes: usize,
    samples: usize,
    dim: usize,
    separation: f32,
    seed: u64,
    projections: Vec<(String, usize)>,
    fractions: [f64; 3],
}

impl Blobs {
    /// `samples` samples of `classes` classes in `dim` dimensions (separation 4, seed 0,
    /// splits 60 / 20 / 20 %).
    pub fn new(classes: usize, samples: usize, dim: usize) -> Self {
        Self {
            classes,
            samples,
            dim,
            separation: 4.0,
            seed: 0,
            projections: Vec::new(),
            fractions: [0.6, 0.2, 0.2],
        }
    }

    /// Standard deviation of the class-mean coordinates.
    pub fn separation(mut self, s: f32) -> Self {
        self.separation = s;
        self
    }

    /// Seed of means, samples, projections and splits.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Adds a feature set `name` of `dim` features: a fixed random projection of `raw`.
    pub fn projection(mut self, name: impl Into<String>, dim: usize) -> Self {
        self.projections.push((name.into(), dim));
        self
    }

    /// Train / validation / test fractions.
    pub fn fractions(mut self, f: [f64; 3]) -> Self {
        self.fractions = f;
        self
    }

    /// Generates the task.
    ///
    /// # Errors
    /// Zero dimensions or samples, a non-finite separation, or any [`Task`] validation error.
    pub fn task(&self) -> Result<Task> {
        if self.dim == 0 || self.samples == 0 || !self.separation.is_finite() {
            return Err(DataError::BadSetting(format!("{self:?}")));
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let means: Vec<f32> = (0..self.classes * self.dim)
            .map(|_| { let z: f32 = StandardNormal.sample(&mut rng); self.separation * z })
            .collect();
        let mut labels = Vec::with_capacity(self.samples);
        let mut raw = Vec::with_capacity(self.samples * self.dim);
        for i in 0..self.samples {
            // Round-robin labels keep the classes balanced.
            let c = i % self.classes.max(1);
            labels.push(c as u32);
            for d in 0..self.dim {
                let z: f32 = StandardNormal.sample(&mut rng);
                raw.push(means[c * self.dim + d] + z);
            }
        }
        let mut features = vec![FeatureSet::new("raw", self.dim, raw)];
        for (name, k) in &self.projections {
            let scale = 1.0 / (self.dim as f32).sqrt();
            let proj: Vec<f32> =
                (0..self.dim * k).map(|_| rng.random_range(-1.0f32..1.0) * scale).collect();
            let raw = &features[0].values;
            let mut out = vec![0.0f32; self.samples * k];
            for i in 0..self.samples {
                for d in 0..self.dim {
                    let x = raw[i * self.dim + d];
                    for j in 0..*k {
                        out[i * k + j] += x * proj[d * k + j];
                    }
                }
            }
            features.push(FeatureSet::new(name.clone(), *k, out));
        }
        let splits = Splits::random(self.samples, self.fractions, self.seed ^ 0x5eed)?;
        Task::new(format!("blobs{}x{}", self.classes, self.dim), features, labels, self.classes, splits)
    }
}
