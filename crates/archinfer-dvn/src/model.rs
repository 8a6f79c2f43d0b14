//! The deep value network `v(u, z) = ρ([u, z])`, with `z` either concatenated into `ρ`'s first
//! layer (the paper) or also modulating every hidden layer of `ρ` (FiLM).

use archinfer_encoding::{ArchitectureSpace, DenseLayer};
use archinfer_metafeatures::{DeepSets, DeepSetsConfig, MetaFeatures, STAT_DIM};
use burn::config::Config;
use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::error::{DvnError, Result};

/// How the task embedding `z` enters the regressor `ρ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interaction {
    /// `ρ([u, z])`: `z` concatenated to `u` into the first layer only (the paper). `z` can
    /// shift a hidden unit's threshold but not how strongly it responds to `u`.
    #[default]
    Concat,
    /// Feature-wise linear modulation: every hidden layer `h = relu((W x + b) ⊙ (1 + γ(z)) +
    /// β(z))`, with `γ`, `β` linear in `z`. `z` rescales and shifts each unit, so the ranking of
    /// architectures can change with the task. For a fixed `z` it is still a plain MLP in `u`
    /// ([`Dvn::folded_layers`]), so the fused ascent runs it unchanged.
    Film,
}

impl std::fmt::Display for Interaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interaction::Concat => "concat",
            Interaction::Film => "film",
        })
    }
}

/// Where the gated input of [`DvnConfig::gated_input`] reads `u`: each parametrized layer's
/// `alpha` range and the index of its `beta` "on" probability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateLayout {
    /// `alpha` range of each layer in the flat layout.
    pub alpha: Vec<std::ops::Range<usize>>,
    /// Index of each layer's `beta_on` in the flat layout.
    pub beta_on: Vec<usize>,
}

impl GateLayout {
    /// The layout of `space`.
    pub fn of(space: &ArchitectureSpace) -> Self {
        let l = space.num_layers();
        Self { alpha: (0..l).map(|i| space.alpha_range(i)).collect(), beta_on: (0..l).map(|i| space.beta_range(i).start).collect() }
    }

    /// `x = gate(u)`: `x[α_l] = u[α_l] · u[β_l,on]`, every other entry copied. `x` as long as `u`.
    // `#[inline]`: the fused ascent calls this on every iteration from its AVX2 build, which only
    // reaches code inlined into it (measured: 10 % of the task-aware ascent when not inlined).
    #[inline]
    pub fn apply(&self, u: &[f32], x: &mut [f32]) {
        x[..u.len()].copy_from_slice(u);
        for (r, &b) in self.alpha.iter().zip(&self.beta_on) {
            let on = u[b];
            for i in r.clone() {
                x[i] = u[i] * on;
            }
        }
    }

    /// Turns `g = ∂v/∂x` into `∂v/∂u` in place, given `u`: `∂v/∂u[α_l] = g[α_l] · u[β_l,on]`,
    /// `∂v/∂u[β_l,on] = g[β_l,on] + Σ g[α_l] · u[α_l]`.
    #[inline]
    pub fn backward(&self, u: &[f32], g: &mut [f32]) {
        for (r, &b) in self.alpha.iter().zip(&self.beta_on) {
            let on = u[b];
            let mut extra = 0.0;
            for i in r.clone() {
                extra += g[i] * u[i];
                g[i] *= on;
            }
            g[b] += extra;
        }
    }

    /// [`apply`](Self::apply) on a batch `[B, u_dim]` → `[B, u_dim]`, differentiable.
    pub fn apply_tensor(&self, u: Tensor<2>) -> Tensor<2> {
        let [b, d] = u.dims();
        let mut parts = Vec::with_capacity(self.alpha.len() + 1);
        let mut end = 0;
        for (r, &on) in self.alpha.iter().zip(&self.beta_on) {
            let a = u.clone().slice([0..b, r.clone()]);
            let g = u.clone().slice([0..b, on..on + 1]).expand([b, r.len()]);
            parts.push(a * g);
            end = r.end;
        }
        parts.push(u.slice([0..b, end..d]));
        Tensor::cat(parts, 1)
    }
}

/// One dense layer of a value network on the host (defined by the encoding crate).
pub use archinfer_encoding::HostDense;

pub(crate) fn host<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data().try_to_vec::<f32>().map_err(|e| DvnError::Backend(format!("tensor is not f32: {e:?}")))
}

/// Predicts how well architectures do on a task.
pub trait ValueModel {
    /// Length of the encodings `u` it takes.
    fn u_dim(&self) -> usize;

    /// Predicted (per-task normalised) values of architectures `u` `[B, u_dim]` on the task
    /// whose embedding is `z` `[1, z_dim]` (`None` for a model without meta-features) → `[B]`.
    fn value(&self, u: Tensor<2>, z: Option<Tensor<2>>) -> Tensor<1>;
}

/// Configuration of a [`Dvn`].
#[derive(Config, Debug)]
pub struct DvnConfig {
    /// The architecture space of `u`.
    pub space: ArchitectureSpace,
    /// Which meta-features feed `ρ`.
    pub meta: MetaFeatures,
    /// Feature dimension of the embedding module the DeepSets tower reads.
    pub sample_dim: usize,
    /// One-hot label width of the tower (largest class count).
    #[config(default = 10)]
    pub max_classes: usize,
    /// Width of `φ`'s hidden layer (paper 50).
    #[config(default = 50)]
    pub phi_hidden: usize,
    /// Width of the learned embedding (paper 50).
    #[config(default = 50)]
    pub z_dim: usize,
    /// Width of `ρ`'s first layer (paper 50).
    #[config(default = 50)]
    pub rho_hidden1: usize,
    /// Width of `ρ`'s second layer (paper 10).
    #[config(default = 10)]
    pub rho_hidden2: usize,
    /// Seed of the initial weights.
    #[config(default = 0)]
    pub seed: u64,
    /// How `z` enters `ρ` (paper: concatenation).
    #[config(default = "Interaction::Concat")]
    pub interaction: Interaction,
    /// Append `log10` of the task's number of training samples to the learned embedding. The
    /// paper's Eq. (1) pools by a sum, which carries the set's size; the tower here pools by a
    /// mean (so `z` is on one scale for any batch) and this restores the size as one number.
    #[config(default = false)]
    pub log_size: bool,
    /// Feed `ρ` each layer's base-layer choice multiplied by the probability that the layer is
    /// on (`x[α_l] = α_l · β_l,on`) instead of `α_l` alone. A layer that is off has no width or
    /// activation, yet a one-hot child's switched-off layers still carry a random base choice in
    /// `u`: noise the regressor must otherwise learn to ignore.
    #[config(default = false)]
    pub gated_input: bool,
    /// Width of a one-hot task identity appended to `z` (0: none). The `i`-th training task
    /// gets identity `i`; no new task has one, so this serves the ceiling diagnostic only.
    #[config(default = 0)]
    pub task_id_dim: usize,
    /// The tower pools over rows, then over columns (tables: any number of columns).
    #[config(default = false)]
    pub per_column: bool,
    /// How many of a task's [`descriptors`](archinfer_data::Task::descriptors) `z` carries
    /// (a table's column count, categorical and missing fractions; 0: none).
    #[config(default = 0)]
    pub descriptors: usize,
}

impl DvnConfig {
    /// Width of `z` that `ρ` sees: the learned embedding and / or the statistical features.
    pub fn z_width(&self) -> usize {
        let mut w = self.extra_width();
        if self.meta.learned() {
            w += self.z_dim;
        }
        w
    }

    /// Width of the host-computed part of `z` that follows the tower's output: the size
    /// feature, the statistical features and the task identity, in that order.
    pub fn extra_width(&self) -> usize {
        let mut w = self.task_id_dim;
        if self.meta.learned() && self.log_size {
            w += 1;
        }
        if self.meta != MetaFeatures::None {
            w += self.descriptors;
        }
        if self.meta.statistical() {
            w += STAT_DIM;
        }
        w
    }

    /// Builds the network.
    ///
    /// # Errors
    /// [`DvnError::Setting`] for zero-width layers.
    pub fn init(&self, device: &Device) -> Result<Dvn> {
        if [self.phi_hidden, self.z_dim, self.rho_hidden1, self.rho_hidden2, self.sample_dim, self.max_classes]
            .contains(&0)
        {
            return Err(DvnError::Setting { setting: "layer widths", value: format!("{:?}", [self.phi_hidden, self.z_dim, self.rho_hidden1, self.rho_hidden2, self.sample_dim, self.max_classes]), expected: "all ≥ 1" });
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let phi = self.meta.learned().then(|| {
            DeepSetsConfig::new(self.sample_dim, self.max_classes)
                .with_hidden(self.phi_hidden)
                .with_out(self.z_dim)
                .with_seed(self.seed ^ 0xdee9_5e75)
                .with_per_column(self.per_column)
                .init(device)
        });
        let zw = self.z_width();
        let d_in = self.space.dim() + zw;
        let l1 = DenseLayer::seeded(d_in, self.rho_hidden1, &mut rng, device);
        let l2 = DenseLayer::seeded(self.rho_hidden1, self.rho_hidden2, &mut rng, device);
        let out = DenseLayer::seeded(self.rho_hidden2, 1, &mut rng, device);
        let film = |width: usize, rng: &mut StdRng| {
            (self.interaction == Interaction::Film && zw > 0).then(|| DenseLayer::seeded(zw, 2 * width, rng, device))
        };
        let film1 = film(self.rho_hidden1, &mut rng);
        let film2 = film(self.rho_hidden2, &mut rng);
        let gate = self.gated_input.then(|| GateLayout::of(&self.space));
        Ok(Dvn { phi, l1, l2, out, film1, film2, meta: self.meta, u_dim: self.space.dim(), extra: self.extra_width(), gate })
    }
}

/// The deep value network: an optional DeepSets tower `φ` and the regressor `ρ`
/// (dense 50 → ReLU → dense 10 → ReLU → dense 1 with the paper's widths).
#[derive(Module, Debug)]
pub struct Dvn {
    /// The learned task tower, when [`MetaFeatures::learned`].
    pub phi: Option<DeepSets>,
    /// First layer of `ρ`.
    pub l1: DenseLayer,
    /// Second layer of `ρ`.
    pub l2: DenseLayer,
    /// Output layer of `ρ`.
    pub out: DenseLayer,
    /// `z → [γ₁, β₁]` modulating the first hidden layer ([`Interaction::Film`]).
    pub film1: Option<DenseLayer>,
    /// `z → [γ₂, β₂]` modulating the second hidden layer ([`Interaction::Film`]).
    pub film2: Option<DenseLayer>,
    #[module(skip)]
    meta: MetaFeatures,
    #[module(skip)]
    u_dim: usize,
    #[module(skip)]
    extra: usize,
    #[module(skip)]
    gate: Option<GateLayout>,
}

impl Dvn {
    /// Which meta-features the network uses.
    pub fn meta(&self) -> MetaFeatures {
        self.meta
    }

    /// The gate `ρ` applies to `u` before its first layer, if [`DvnConfig::gated_input`].
    pub fn gate(&self) -> Option<&GateLayout> {
        self.gate.as_ref()
    }

    /// The task embedding `z` `[1, z_width]` from a batch of samples `[N, sample_dim +
    /// max_classes]` (needed for learned meta-features) and the host-computed rest of `z`
    /// `[1, extra_width]` (the size feature, standardised statistical features and task
    /// identity, as [`DvnConfig::extra_width`] lists them); `None` for a network without
    /// meta-features.
    ///
    /// # Errors
    /// [`DvnError::Needs`] when an input the variant needs is missing, [`DvnError::Width`] for
    /// statistics of the wrong width.
    pub fn embed(&self, samples: Option<Tensor<2>>, extra: Option<Tensor<2>>) -> Result<Option<Tensor<2>>> {
        let mut parts = Vec::new();
        if let Some(phi) = &self.phi {
            let s = samples.ok_or(DvnError::Needs("task samples (for its learned meta-features)"))?;
            parts.push(phi.forward(s));
        }
        if self.extra > 0 {
            let e = extra.ok_or(DvnError::Needs("task statistics in z"))?;
            if e.dims()[1] != self.extra {
                return Err(DvnError::Width { what: "task statistics", expected: self.extra, got: e.dims()[1] });
            }
            parts.push(e);
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Tensor::cat(parts, 1)),
        })
    }

    /// `ρ([u, z])`: `u` `[B, u_dim]`, `z` `[1, z_width]` (broadcast over the batch) → `[B]`.
    /// With [`Interaction::Film`], each hidden pre-activation `a` `[B, h]` becomes
    /// `a ⊙ (1 + γ(z)) + β(z)` before the ReLU.
    pub fn forward(&self, u: Tensor<2>, z: Option<Tensor<2>>) -> Tensor<1> {
        let b = u.dims()[0];
        let u = match &self.gate {
            Some(g) => g.apply_tensor(u),
            None => u,
        };
        let (x, zz) = match z {
            Some(z) => {
                let w = z.dims()[1];
                (Tensor::cat(vec![u, z.clone().expand([b, w])], 1), Some(z))
            }
            None => (u, None),
        };
        let modulate = |a: Tensor<2>, film: &Option<DenseLayer>| match (film, &zz) {
            (Some(f), Some(z)) => {
                let h = a.dims()[1];
                let gb = f.forward(z.clone());
                let gamma = gb.clone().slice([0..1, 0..h]).add_scalar(1.0);
                let beta = gb.slice([0..1, h..2 * h]);
                a * gamma.expand([b, h]) + beta.expand([b, h])
            }
            _ => a,
        };
        let h1 = relu(modulate(self.l1.forward(x), &self.film1));
        let h2 = relu(modulate(self.l2.forward(h1), &self.film2));
        self.out.forward(h2).reshape([b])
    }

    /// `ρ` for one fixed task embedding `z` (`None` without meta-features) as a plain ReLU MLP
    /// over `u` alone (over the gated `u` of [`gate`](Self::gate), where there is one): the `z` columns of the first layer folded into its bias, and FiLM's
    /// `γ`, `β` folded into each hidden layer's weights and bias (`W' = W diag(1 + γ)`,
    /// `b' = b ⊙ (1 + γ) + β`). Its value equals [`forward`](Self::forward) for that `z`.
    ///
    /// # Errors
    /// [`DvnError::Width`] for a `z` of the wrong width, [`DvnError::Encoding`] (`Backend`) for weights
    /// that are not `f32`.
    pub fn folded_layers(&self, z: Option<&[f32]>) -> Result<Vec<HostDense>> {
        let z = z.unwrap_or(&[]);
        let mut first = HostDense::from_dense(&self.l1)?;
        if first.n_in != self.u_dim + z.len() {
            return Err(DvnError::Width { what: "z", expected: first.n_in.saturating_sub(self.u_dim), got: z.len() });
        }
        let h1 = first.n_out;
        let mut bias = first.bias.clone();
        for (i, zi) in z.iter().enumerate() {
            for (j, b) in bias.iter_mut().enumerate() {
                *b += zi * first.weight[(self.u_dim + i) * h1 + j];
            }
        }
        first.weight.truncate(self.u_dim * h1);
        first.bias = bias;
        first.n_in = self.u_dim;
        let mut second = HostDense::from_dense(&self.l2)?;
        for (layer, film) in [(&mut first, &self.film1), (&mut second, &self.film2)] {
            let Some(f) = film else { continue };
            let f = HostDense::from_dense(f)?;
            let n = layer.n_out;
            let gb: Vec<f32> =
                (0..2 * n).map(|o| f.bias[o] + z.iter().enumerate().map(|(i, zi)| zi * f.weight[i * 2 * n + o]).sum::<f32>()).collect();
            for j in 0..n {
                let s = 1.0 + gb[j];
                for i in 0..layer.n_in {
                    layer.weight[i * n + j] *= s;
                }
                layer.bias[j] = layer.bias[j] * s + gb[n + j];
            }
        }
        Ok(vec![first, second, HostDense::from_dense(&self.out)?])
    }
}

impl ValueModel for Dvn {
    fn u_dim(&self) -> usize {
        self.u_dim
    }

    fn value(&self, u: Tensor<2>, z: Option<Tensor<2>>) -> Tensor<1> {
        self.forward(u, z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use archinfer_encoding::EmbeddingSpec;
    use burn::tensor::TensorData;

    fn host_mlp(layers: &[HostDense], u: &[f32]) -> f32 {
        let mut x = u.to_vec();
        for (k, l) in layers.iter().enumerate() {
            let mut y = l.bias.clone();
            for (i, xi) in x.iter().enumerate() {
                for (o, yo) in y.iter_mut().enumerate() {
                    *yo += xi * l.weight[i * l.n_out + o];
                }
            }
            if k + 1 < layers.len() {
                y.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            x = y;
        }
        x[0]
    }

    #[test]
    fn gate_by_hand_and_its_gradient_by_finite_differences() {
        // Two layers of two base layers: u = [α0 (2) | α1 (2) | β0 (2) | β1 (2) | γ (1)].
        let g = GateLayout { alpha: vec![0..2, 2..4], beta_on: vec![4, 6] };
        let u = [0.2f32, 0.8, 0.6, 0.4, 0.25, 0.75, 1.0, 0.0, 1.0];
        let mut x = [0.0f32; 9];
        g.apply(&u, &mut x);
        let want = [0.05f32, 0.2, 0.6, 0.4, 0.25, 0.75, 1.0, 0.0, 1.0];
        approx::assert_abs_diff_eq!(x.as_slice(), want.as_slice(), epsilon = 1e-7);
        // f(x) = w · x; ∂f/∂u by the gate's backward against central differences.
        let w: Vec<f32> = (0..9).map(|i| (i as f32 * 0.37).sin()).collect();
        let f = |u: &[f32]| {
            let mut x = [0.0f32; 9];
            g.apply(u, &mut x);
            x.iter().zip(&w).map(|(a, b)| f64::from(a * b)).sum::<f64>()
        };
        let mut grad = w.clone();
        g.backward(&u, &mut grad);
        for i in 0..9 {
            let (mut p, mut m) = (u, u);
            p[i] += 1e-3;
            m[i] -= 1e-3;
            let fd = (f(&p) - f(&m)) / 2e-3;
            approx::assert_abs_diff_eq!(f64::from(grad[i]), fd, epsilon = 1e-3);
        }
        // The tensor version agrees with the host one.
        let dev = Device::default();
        let t = g.apply_tensor(Tensor::<2>::from_data(TensorData::new(u.to_vec(), [1, 9]), &dev));
        let host = t.into_data().try_to_vec::<f32>().unwrap();
        approx::assert_abs_diff_eq!(host.as_slice(), want.as_slice(), epsilon = 1e-7);
    }

    #[test]
    fn folded_layers_equal_the_forward_pass_for_both_interactions() {
        let dev = Device::default();
        let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 4), EmbeddingSpec::new("b", 3)]).unwrap();
        for interaction in [Interaction::Concat, Interaction::Film] {
            let dvn = DvnConfig::new(space.clone(), MetaFeatures::Statistical, 4).with_interaction(interaction).with_seed(5).init(&dev).unwrap();
            assert_eq!(dvn.film1.is_some(), interaction == Interaction::Film);
            let zw = STAT_DIM;
            let z: Vec<f32> = (0..zw).map(|i| ((i * 7 % 11) as f32 - 5.0) / 4.0).collect();
            let u: Vec<f32> = (0..space.dim()).map(|i| ((i * 3 % 5) as f32) / 5.0).collect();
            let zt = Tensor::<2>::from_data(TensorData::new(z.clone(), [1, zw]), &dev);
            let ut = Tensor::<2>::from_data(TensorData::new(u.clone(), [1, space.dim()]), &dev);
            let v = dvn.forward(ut, Some(zt)).into_scalar::<f32>();
            let layers = dvn.folded_layers(Some(&z)).unwrap();
            assert_eq!(layers[0].n_in, space.dim());
            approx::assert_relative_eq!(host_mlp(&layers, &u), v, max_relative = 1e-4, epsilon = 1e-5);
            // A z of the wrong width is refused.
            assert!(matches!(dvn.folded_layers(Some(&z[1..])), Err(DvnError::Width { what: "z", .. })));
        }
    }

    #[test]
    fn film_makes_the_ranking_depend_on_z_where_concat_cannot_flip_it() {
        // With FiLM and γ = −2 on every unit, a unit's response to u changes sign: hand-set
        // weights show z reversing the order of two architectures.
        let dev = Device::default();
        let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 4)]).unwrap();
        let cfg = DvnConfig::new(space.clone(), MetaFeatures::Statistical, 4).with_interaction(Interaction::Film);
        let dvn = cfg.init(&dev).unwrap();
        let zeros = |t: &DenseLayer| t.weight.val().zeros_like();
        let set = |_: &DenseLayer, w: Tensor<2>, b: Tensor<1>| DenseLayer {
            weight: burn::module::Param::from_tensor(w),
            bias: burn::module::Param::from_tensor(b),
        };
        let d = space.dim();
        let h1 = cfg.rho_hidden1;
        // l1: hidden unit 0 reads u[0]; bias 1 keeps it on. l2: unit 0 copies h1[0]. out: copies.
        let mut w1 = vec![0.0f32; (d + STAT_DIM) * h1];
        w1[0] = 1.0;
        let mut b1 = vec![0.0f32; h1];
        b1[0] = 1.0;
        let l1 = set(&dvn.l1, Tensor::from_data(TensorData::new(w1, [d + STAT_DIM, h1]), &dev), Tensor::from_data(TensorData::new(b1, [h1]), &dev));
        let mut w2 = vec![0.0f32; h1 * cfg.rho_hidden2];
        w2[0] = 1.0;
        let l2 = set(&dvn.l2, Tensor::from_data(TensorData::new(w2, [h1, cfg.rho_hidden2]), &dev), dvn.l2.bias.val().zeros_like());
        let mut wo = vec![0.0f32; cfg.rho_hidden2];
        wo[0] = 1.0;
        let out = set(&dvn.out, Tensor::from_data(TensorData::new(wo, [cfg.rho_hidden2, 1]), &dev), dvn.out.bias.val().zeros_like());
        // film1: γ₁[0] = −2·z[0], β₁[0] = 2·z[0]: for z[0] = 1, h1[0] = relu(−(u0 + 1) + 2) = relu(1 − u0).
        let f1 = dvn.film1.as_ref().unwrap();
        let mut wf = vec![0.0f32; STAT_DIM * 2 * h1];
        wf[0] = -2.0;
        wf[h1] = 2.0;
        let film1 = set(f1, Tensor::from_data(TensorData::new(wf, [STAT_DIM, 2 * h1]), &dev), f1.bias.val().zeros_like());
        let f2 = dvn.film2.as_ref().unwrap();
        let film2 = set(f2, zeros(f2), f2.bias.val().zeros_like());
        let dvn = Dvn { l1, l2, out, film1: Some(film1), film2: Some(film2), ..dvn };
        let mut a = vec![0.0f32; d];
        a[0] = 1.0;
        let b = vec![0.0f32; d];
        let u = Tensor::<2>::from_data(TensorData::new([a, b].concat(), [2, d]), &dev);
        let v = |z0: f32| {
            let mut z = vec![0.0f32; STAT_DIM];
            z[0] = z0;
            dvn.forward(u.clone(), Some(Tensor::from_data(TensorData::new(z, [1, STAT_DIM]), &dev))).into_data().try_to_vec::<f32>().unwrap()
        };
        let (v0, v1) = (v(0.0), v(1.0));
        // z = 0: h = u0 + 1 → a (2) above b (1). z = 1: h = 1 − u0 → a (0) below b (1).
        approx::assert_abs_diff_eq!(v0.as_slice(), [2.0f32, 1.0].as_slice(), epsilon = 1e-5);
        approx::assert_abs_diff_eq!(v1.as_slice(), [0.0f32, 1.0].as_slice(), epsilon = 1e-5);
    }
}
