//! Fixed embedding modules: deterministic feature maps from a 28×28 image to a vector, the
//! counterpart of the paper's pretrained text embeddings. `gamma` soft-selects among them.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{DataError, Result};

/// A fixed feature map of square grey images.
pub trait Embedder: Send + Sync {
    /// Short name, used as the feature-set and embedding-module name.
    fn name(&self) -> &str;
    /// Output dimension.
    fn dim(&self) -> usize;
    /// Pixels per image it reads, when fixed.
    fn input_len(&self) -> Option<usize> {
        None
    }
    /// Embeds one image (`side × side` pixels in [0, 1]) into `out` (`dim()` values).
    fn embed_into(&self, image: &[f32], out: &mut [f32]);

    /// Embeds many images stored back to back; returns `n × dim()` values.
    fn embed_all(&self, images: &[f32], pixels_per_image: usize) -> Vec<f32> {
        let n = images.len() / pixels_per_image.max(1);
        let d = self.dim();
        let mut out = vec![0.0; n * d];
        for (img, o) in images.chunks_exact(pixels_per_image).zip(out.chunks_exact_mut(d)) {
            self.embed_into(img, o);
        }
        out
    }
}

/// `k × k` average pooling of a `side × side` image: `(side / k)²` features.
#[derive(Debug, Clone)]
pub struct AvgPool {
    name: String,
    side: usize,
    k: usize,
}

impl AvgPool {
    /// Pooling with window `k` over `side × side` images.
    ///
    /// # Errors
    /// If `k` is zero or does not divide `side`.
    pub fn new(side: usize, k: usize) -> Result<Self> {
        if k == 0 || !side.is_multiple_of(k) {
            return Err(DataError::BadSetting(format!("pool window {k} does not divide image side {side}")));
        }
        Ok(Self { name: format!("pool{k}"), side, k })
    }
}

impl Embedder for AvgPool {
    fn input_len(&self) -> Option<usize> {
        Some(self.side * self.side)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        (self.side / self.k).pow(2)
    }
    fn embed_into(&self, image: &[f32], out: &mut [f32]) {
        let o = self.side / self.k;
        let inv = 1.0 / (self.k * self.k) as f32;
        for (oy, row) in out.chunks_exact_mut(o).enumerate() {
            for (ox, v) in row.iter_mut().enumerate() {
                let mut s = 0.0;
                for y in oy * self.k..(oy + 1) * self.k {
                    let line = &image[y * self.side + ox * self.k..y * self.side + (ox + 1) * self.k];
                    s += line.iter().sum::<f32>();
                }
                *v = s * inv;
            }
        }
    }
}

/// Random ReLU features `max(0, W x + b)` with `W`, `b` drawn once from a fixed seed
/// (`W ~ N(0, 1/input)`, `b ~ N(0, 1)`), scaled so features are O(1).
#[derive(Debug, Clone)]
pub struct RandomFeatures {
    name: String,
    input: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

impl RandomFeatures {
    /// `dim` random features of `input`-dimensional vectors from `seed`.
    pub fn new(input: usize, dim: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let scale = 1.0 / (input.max(1) as f32).sqrt();
        let w = (0..input * dim)
            .map(|_| {
                let z: f32 = StandardNormal.sample(&mut rng);
                z * scale * 4.0
            })
            .collect();
        let b = (0..dim).map(|_| StandardNormal.sample(&mut rng)).collect();
        Self { name: format!("rf{dim}"), input, w, b }
    }
}

impl Embedder for RandomFeatures {
    fn input_len(&self) -> Option<usize> {
        Some(self.input)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        self.b.len()
    }
    fn embed_into(&self, image: &[f32], out: &mut [f32]) {
        let d = self.b.len();
        out.copy_from_slice(&self.b);
        for (i, &x) in image.iter().take(self.input).enumerate() {
            if x != 0.0 {
                for (o, w) in out.iter_mut().zip(&self.w[i * d..(i + 1) * d]) {
                    *o += x * w;
                }
            }
        }
        for o in out.iter_mut() {
            *o = o.max(0.0);
        }
    }
}

/// A frozen PCA projection: `(x − mean) · components`, components as columns `[input, k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    name: String,
    input: usize,
    k: usize,
    mean: Vec<f32>,
    components: Vec<f32>,
}

impl Pca {
    /// Fits `k` principal components of `data` (`n × input`, row-major) by subspace iteration
    /// on the covariance matrix, deterministically from `seed`.
    ///
    /// # Errors
    /// If `k` is zero or larger than `input`, or `data` holds no complete row.
    pub fn fit(data: &[f32], input: usize, k: usize, seed: u64) -> Result<Self> {
        let n = data.len() / input.max(1);
        if k == 0 || k > input || n == 0 {
            return Err(DataError::BadSetting(format!("PCA with k = {k} of {input} inputs on {n} rows")));
        }
        let mut mean = vec![0.0f64; input];
        for row in data.chunks_exact(input) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += f64::from(x);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut cov = vec![0.0f64; input * input];
        let mut c = vec![0.0f64; input];
        for row in data.chunks_exact(input) {
            for (ci, (&x, m)) in c.iter_mut().zip(row.iter().zip(&mean)) {
                *ci = f64::from(x) - m;
            }
            for i in 0..input {
                let ci = c[i];
                if ci != 0.0 {
                    let r = &mut cov[i * input..(i + 1) * input];
                    for (v, cj) in r.iter_mut().zip(&c) {
                        *v += ci * cj;
                    }
                }
            }
        }
        cov.iter_mut().for_each(|v| *v /= n as f64);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut q: Vec<f64> = (0..input * k).map(|_| StandardNormal.sample(&mut rng)).collect();
        orthonormalize(&mut q, input, k);
        for _ in 0..100 {
            let mut z = vec![0.0f64; input * k];
            for i in 0..input {
                for j in 0..input {
                    let cij = cov[i * input + j];
                    for t in 0..k {
                        z[i * k + t] += cij * q[j * k + t];
                    }
                }
            }
            orthonormalize(&mut z, input, k);
            q = z;
        }
        Ok(Self {
            name: format!("pca{k}"),
            input,
            k,
            mean: mean.iter().map(|&m| m as f32).collect(),
            components: q.iter().map(|&v| v as f32).collect(),
        })
    }

    /// Serialises to little-endian bytes: `input`, `k` as u32, then the mean and the
    /// components as f32.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(8 + 4 * (self.mean.len() + self.components.len()));
        b.extend((self.input as u32).to_le_bytes());
        b.extend((self.k as u32).to_le_bytes());
        for v in self.mean.iter().chain(&self.components) {
            b.extend(v.to_le_bytes());
        }
        b
    }

    /// Reads what [`to_bytes`](Self::to_bytes) wrote.
    ///
    /// # Errors
    /// [`DataError::BadSetting`] if the bytes are not a PCA of the stated size.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        let bad = || DataError::BadSetting("malformed PCA asset".into());
        if b.len() < 8 {
            return Err(bad());
        }
        let input = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let k = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        if b.len() != 8 + 4 * (input + input * k) || k == 0 {
            return Err(bad());
        }
        let vals: Vec<f32> =
            b[8..].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        Ok(Self { name: format!("pca{k}"), input, k, mean: vals[..input].to_vec(), components: vals[input..].to_vec() })
    }
}

fn orthonormalize(q: &mut [f64], rows: usize, cols: usize) {
    for t in 0..cols {
        for s in 0..t {
            let dot: f64 = (0..rows).map(|i| q[i * cols + t] * q[i * cols + s]).sum();
            for i in 0..rows {
                q[i * cols + t] -= dot * q[i * cols + s];
            }
        }
        let norm = (0..rows).map(|i| q[i * cols + t].powi(2)).sum::<f64>().sqrt().max(1e-12);
        for i in 0..rows {
            q[i * cols + t] /= norm;
        }
    }
}

impl Embedder for Pca {
    fn input_len(&self) -> Option<usize> {
        Some(self.input)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        self.k
    }
    fn embed_into(&self, image: &[f32], out: &mut [f32]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (i, (&x, m)) in image.iter().zip(&self.mean).enumerate() {
            let c = x - m;
            for (o, w) in out.iter_mut().zip(&self.components[i * self.k..(i + 1) * self.k]) {
                *o += c * w;
            }
        }
    }
}

/// The PCA shipped with archinfer: 32 components of Fashion-MNIST's first 10,000 training
/// images, fitted once by `archinfer fit-pca` and frozen.
pub const SHIPPED_PCA: &[u8] = include_bytes!("../assets/pca32.bin");

/// The pixels themselves (`side²` features): the module a network that wants every detail reads.
#[derive(Debug, Clone)]
pub struct Raw {
    name: String,
    side: usize,
}

impl Raw {
    /// Raw pixels of `side × side` images, named `raw`.
    ///
    /// # Errors
    /// [`DataError::BadSetting`] for `side == 0`.
    pub fn new(side: usize) -> Result<Self> {
        if side == 0 {
            return Err(DataError::BadSetting("raw pixels of 0 × 0 images".into()));
        }
        Ok(Self { name: "raw".into(), side })
    }
}

impl Embedder for Raw {
    fn input_len(&self) -> Option<usize> {
        Some(self.side * self.side)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        self.side * self.side
    }
    fn embed_into(&self, image: &[f32], out: &mut [f32]) {
        out.copy_from_slice(&image[..out.len()]);
    }
}

/// Fixed random convolutional features: `filters` random 5 × 5 filters (zero mean, unit norm,
/// drawn from a seed), convolved with the image without padding, each response split into its
/// positive and negative parts (ReLU of ±), then averaged over a 4 × 4 grid of cells:
/// `4 · 4 · 2 · filters` features (512 for the shipped 16 filters, `rconv512`).
///
/// What a small convolutional stem gives a linear model, without training it: measured before
/// choosing (docs/results.md, issue 27), these features with logistic regression beat the
/// pixels on 26 of 30 image tasks (82.33 % against 79.02 %).
#[derive(Debug, Clone)]
pub struct RandConv {
    name: String,
    side: usize,
    filters: usize,
    /// `filters × 25`, row-major.
    w: Vec<f32>,
}

/// The smallest image side [`RandConv`] reads: a 5 × 5 filter leaves `side − 4` positions,
/// and the 4 × 4 pooling grid needs at least one per cell.
pub const RAND_CONV_MIN_SIDE: usize = 8;

impl RandConv {
    /// `filters` filters drawn from `seed`, for `side × side` images, named `rconv{dim}`.
    ///
    /// # Errors
    /// [`DataError::BadSetting`] for no filter, or images under [`RAND_CONV_MIN_SIDE`] on a
    /// side (too small for the filter and the pooling grid).
    pub fn new(side: usize, filters: usize, seed: u64) -> Result<Self> {
        if side < RAND_CONV_MIN_SIDE {
            return Err(DataError::BadSetting(format!(
                "random convolutional features of {side} × {side} images: a 5 × 5 filter and a 4 × 4 pooling grid need at least {RAND_CONV_MIN_SIDE} × {RAND_CONV_MIN_SIDE}"
            )));
        }
        if filters == 0 {
            return Err(DataError::BadSetting("random convolutional features with no filter".into()));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut w = Vec::with_capacity(filters * 25);
        for _ in 0..filters {
            let mut f: Vec<f64> = (0..25).map(|_| StandardNormal.sample(&mut rng)).collect();
            let mean = f.iter().sum::<f64>() / 25.0;
            f.iter_mut().for_each(|v| *v -= mean);
            let norm = f.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
            w.extend(f.iter().map(|v| (v / norm) as f32));
        }
        Ok(Self { name: format!("rconv{}", 32 * filters), side, filters, w })
    }
}

impl Embedder for RandConv {
    fn input_len(&self) -> Option<usize> {
        Some(self.side * self.side)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        32 * self.filters
    }
    fn embed_into(&self, image: &[f32], out: &mut [f32]) {
        let (side, f) = (self.side, self.filters);
        let positions = side - 4;
        let cell = positions / 4;
        out.fill(0.0);
        let scale = 1.0 / (cell * cell) as f32;
        let mut patch = [0.0f32; 25];
        // Positions past the last whole cell are left out (as the probe did).
        for y in 0..4 * cell {
            for x in 0..4 * cell {
                for dy in 0..5 {
                    patch[dy * 5..dy * 5 + 5].copy_from_slice(&image[(y + dy) * side + x..(y + dy) * side + x + 5]);
                }
                let c = (y / cell) * 4 + x / cell;
                let o = &mut out[c * 2 * f..(c + 1) * 2 * f];
                for (k, wk) in self.w.chunks_exact(25).enumerate() {
                    let r: f32 = wk.iter().zip(&patch).map(|(a, b)| a * b).sum();
                    o[2 * k] += r.max(0.0) * scale;
                    o[2 * k + 1] += (-r).max(0.0) * scale;
                }
            }
        }
    }
}

/// Histograms of oriented gradients (Dalal and Triggs, without block overlap): central-
/// difference gradients, each pixel's magnitude voted into one of `bins` unsigned orientations
/// (0 … π) of its `cell × cell` cell, each cell's histogram scaled to unit length. Shape and
/// edge direction without the pixels' exact position: `(side / cell)² · bins` features.
#[derive(Debug, Clone)]
pub struct Hog {
    name: String,
    side: usize,
    cell: usize,
    bins: usize,
}

impl Hog {
    /// HOG of `side × side` images with `cell × cell` cells and `bins` orientations, named
    /// `hog{dim}`.
    ///
    /// # Errors
    /// [`DataError::BadSetting`] if `cell` is zero or does not divide `side`, or `bins` is zero.
    pub fn new(side: usize, cell: usize, bins: usize) -> Result<Self> {
        if cell == 0 || !side.is_multiple_of(cell) || bins == 0 {
            return Err(DataError::BadSetting(format!("HOG cell {cell} must divide image side {side}, with at least one bin (got {bins})")));
        }
        let dim = (side / cell).pow(2) * bins;
        Ok(Self { name: format!("hog{dim}"), side, cell, bins })
    }
}

impl Embedder for Hog {
    fn input_len(&self) -> Option<usize> {
        Some(self.side * self.side)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        (self.side / self.cell).pow(2) * self.bins
    }
    fn embed_into(&self, image: &[f32], out: &mut [f32]) {
        let (n, c) = (self.side, self.cell);
        let px = |x: usize, y: usize| image[y * n + x];
        out.iter_mut().for_each(|v| *v = 0.0);
        let cells = n / c;
        for y in 0..n {
            for x in 0..n {
                // Central differences, one-sided at the border.
                let gx = px((x + 1).min(n - 1), y) - px(x.saturating_sub(1), y);
                let gy = px(x, (y + 1).min(n - 1)) - px(x, y.saturating_sub(1));
                let mag = (gx * gx + gy * gy).sqrt();
                if mag == 0.0 {
                    continue;
                }
                // Unsigned orientation in [0, π).
                let mut a = gy.atan2(gx);
                if a < 0.0 {
                    a += std::f32::consts::PI;
                }
                if a >= std::f32::consts::PI {
                    a -= std::f32::consts::PI;
                }
                let bin = ((a / std::f32::consts::PI * self.bins as f32) as usize).min(self.bins - 1);
                out[((y / c) * cells + x / c) * self.bins + bin] += mag;
            }
        }
        for h in out.chunks_exact_mut(self.bins) {
            let norm = h.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                h.iter_mut().for_each(|v| *v /= norm);
            }
        }
    }
}

/// The default embedding modules for 28×28 images: 4×4 pooling (49), 2×2 pooling (196), the
/// shipped PCA (32), 64 seeded random ReLU features, then the raw pixels (784) and HOG
/// (`hog144`: 7×7-pixel cells on a 4×4 grid, 9 orientations).
///
/// The last two came later: a database migrated with `build-db --add-modules raw,hog144` reads
/// them on its old tasks too (see [`TaskBundle::to_task`](crate::bundle::TaskBundle::to_task)).
///
/// # Errors
/// Only if the shipped PCA asset is corrupt.
pub fn default_embedders() -> Result<Vec<Box<dyn Embedder>>> {
    Ok(vec![
        Box::new(AvgPool::new(28, 4)?),
        Box::new(AvgPool::new(28, 2)?),
        Box::new(Pca::from_bytes(SHIPPED_PCA)?),
        Box::new(RandomFeatures::new(784, 64, 0xa1c4_1f0e)),
        Box::new(Raw::new(28)?),
        Box::new(Hog::new(28, 7, 9)?),
        Box::new(RandConv::new(28, 16, RAND_CONV_SEED)?),
    ])
}

/// Seed of the shipped random convolutional module's filters.
const RAND_CONV_SEED: u64 = 0x0c0e_5eed;

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn random_conv_by_hand() {
        let c = RandConv::new(8, 1, 3).unwrap();
        assert_eq!((c.name(), c.dim()), ("rconv32", 32));
        let w = &c.w;
        approx::assert_abs_diff_eq!(w.iter().sum::<f32>(), 0.0, epsilon = 1e-5);
        approx::assert_abs_diff_eq!(w.iter().map(|v| v * v).sum::<f32>(), 1.0, epsilon = 1e-5);
        // A constant image: every zero-mean filter responds 0.
        let mut out = vec![1.0; 32];
        c.embed_into(&[0.7; 64], &mut out);
        assert!(out.iter().all(|v| v.abs() < 1e-5), "{out:?}");
        // One bright pixel at (4, 4): 8 × 8 gives 4 × 4 positions, one per cell. The patch at
        // position (y, x) holds the pixel at offset (4 − y, 4 − x) when that is inside it.
        let mut img = [0.0f32; 64];
        img[4 * 8 + 4] = 1.0;
        c.embed_into(&img, &mut out);
        for cy in 0..4 {
            for cx in 0..4 {
                let r = w[(4 - cy) * 5 + (4 - cx)];
                let cell = (cy * 4 + cx) * 2;
                assert_relative_eq!(out[cell], r.max(0.0));
                assert_relative_eq!(out[cell + 1], (-r).max(0.0));
            }
        }
        assert!(RandConv::new(7, 16, 0).is_err() && RandConv::new(28, 0, 0).is_err());
        assert_eq!(RandConv::new(28, 16, 1).unwrap().dim(), 512);
    }

    #[test]
    fn pooling_by_hand() {
        let img: Vec<f32> = (0..16).map(|i| i as f32).collect();
        let p = AvgPool::new(4, 2).unwrap();
        let mut out = vec![0.0; 4];
        p.embed_into(&img, &mut out);
        assert_eq!(out, vec![2.5, 4.5, 10.5, 12.5]);
        assert!(AvgPool::new(28, 3).is_err());
    }

    #[test]
    fn pca_finds_the_dominant_direction_and_round_trips() {
        // Points along (1, 1, 0) with small noise on the third axis.
        let mut data = Vec::new();
        for i in 0..50 {
            let t = i as f32 - 25.0;
            data.extend([t, t, 0.01 * ((i % 3) as f32 - 1.0)]);
        }
        let p = Pca::fit(&data, 3, 1, 0).unwrap();
        let c = &p.components;
        assert_relative_eq!(c[0].abs(), std::f32::consts::FRAC_1_SQRT_2, epsilon = 1e-3);
        assert_relative_eq!(c[1].abs(), std::f32::consts::FRAC_1_SQRT_2, epsilon = 1e-3);
        assert!(c[2].abs() < 1e-3);
        assert_eq!(Pca::from_bytes(&p.to_bytes()).unwrap(), p);
        assert!(Pca::from_bytes(&[1, 2, 3]).is_err());
    }

    #[test]
    fn raw_pixels_are_the_image() {
        let img: Vec<f32> = (0..9).map(|i| i as f32 / 9.0).collect();
        let r = Raw::new(3).unwrap();
        assert_eq!((r.name(), r.dim()), ("raw", 9));
        assert_eq!(r.embed_all(&img, 9), img);
        assert!(Raw::new(0).is_err());
    }

    #[test]
    fn hog_of_a_vertical_edge_votes_horizontal_gradients_only() {
        // 4 × 4, cells of 2: left half 0, right half 1. Gradients point along +x (angle 0)
        // in columns 1 and 2, so only bin 0 of the cells touching the edge fills.
        let img: Vec<f32> = (0..16).map(|i| if i % 4 >= 2 { 1.0 } else { 0.0 }).collect();
        let h = Hog::new(4, 2, 4).unwrap();
        assert_eq!((h.name(), h.dim()), ("hog16", 16));
        let f = h.embed_all(&img, 16);
        for cell in 0..4 {
            assert_eq!(&f[cell * 4..cell * 4 + 4], &[1.0, 0.0, 0.0, 0.0], "cell {cell}");
        }
        // A horizontal edge votes the vertical bin (angle π/2 → bin 2 of 4).
        let img: Vec<f32> = (0..16).map(|i| if i >= 8 { 1.0 } else { 0.0 }).collect();
        let f = h.embed_all(&img, 16);
        assert_eq!(&f[0..4], &[0.0, 0.0, 1.0, 0.0]);
        // The same edge falling (1 → 0) is the same unsigned orientation.
        let img: Vec<f32> = (0..16).map(|i| if i % 4 >= 2 { 0.0 } else { 1.0 }).collect();
        assert_eq!(&h.embed_all(&img, 16)[0..4], &[1.0, 0.0, 0.0, 0.0]);
        // A flat image has no gradient at all.
        assert!(h.embed_all(&[0.5; 16], 16).iter().all(|&v| v == 0.0));
        assert!(Hog::new(28, 5, 9).is_err() && Hog::new(28, 7, 0).is_err());
        assert_eq!(Hog::new(28, 7, 9).unwrap().dim(), 144);
    }

    #[test]
    fn shipped_modules_are_deterministic() {
        let m = default_embedders().unwrap();
        let dims: Vec<usize> = m.iter().map(|e| e.dim()).collect();
        assert_eq!(dims, vec![49, 196, 32, 64, 784, 144, 512]);
        let img: Vec<f32> = (0..784).map(|i| (i % 7) as f32 / 7.0).collect();
        for e in &m {
            let a = e.embed_all(&img, 784);
            let b = e.embed_all(&img, 784);
            assert_eq!(a, b);
            assert!(a.iter().all(|v| v.is_finite()));
        }
    }
}
