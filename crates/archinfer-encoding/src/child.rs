//! The continuous child network of Eq. (4).
//!
//! [`ChildNetwork`] keeps every base layer of every parametrized layer and mixes them with the
//! relaxed encoding `u` it is given at each forward pass, so gradients reach `u` (and through
//! [`relax`](crate::relax) the logits). Its discrete fast path, the plain MLP of a one-hot
//! architecture that builds only the active branches, is [`DiscreteNetwork`].

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::architecture::DiscreteArchitecture;
use crate::dense::{DenseLayer, apply_activation, uniform_tensor};
use crate::discrete_network::DiscreteNetwork;
use crate::error::{EncodingError, Result};
use crate::space::{Activation, ArchitectureSpace};

/// Zero-pads the feature (last) dimension of `x` [N, d] to `width`.
fn pad_features(x: Tensor<2>, width: usize) -> Tensor<2> {
    let d = x.dims()[1];
    if d == width { x } else { x.pad([(0, width - d)], burn::tensor::ops::PadMode::Constant(0.0)) }
}

/// Column layout of a parametrized layer's concatenated pre-activation: base layers grouped by
/// activation (so each activation is applied to one contiguous slice), widths ascending inside.
#[derive(Debug, Clone)]
struct ColumnLayout {
    /// Start column of each base layer, indexed in `alpha` order.
    offsets: Vec<usize>,
    /// `(activation, start, end)` of each activation's contiguous block.
    blocks: Vec<(Activation, usize, usize)>,
    total: usize,
}

impl ColumnLayout {
    fn new(space: &ArchitectureSpace) -> Self {
        let n_act = space.activations().len();
        let mut offsets = vec![0; space.num_base_layers()];
        let mut blocks = Vec::with_capacity(n_act);
        let mut col = 0;
        for (ai, &a) in space.activations().iter().enumerate() {
            let start = col;
            for (wi, &w) in space.widths().iter().enumerate() {
                offsets[wi * n_act + ai] = col;
                col += w;
            }
            blocks.push((a, start, col));
        }
        Self { offsets, blocks, total: col }
    }
}

/// One parametrized layer of Eq. (4): all `P` base layers side by side, mixed by
/// `softmax(alpha)`, zero-padded to the stream width, and gated by `beta` against the identity.
#[derive(Module, Debug)]
pub struct ParametrizedLayer {
    /// All base layers' weights side by side, `[stream, T]` with `T` the sum of base widths.
    pub weight: Param<Tensor<2>>,
    /// All base layers' biases, `[T]`.
    pub bias: Param<Tensor<1>>,
    /// Constant 0/1 `[P, T]`: spreads one probability per base layer over its columns.
    expand: Tensor<2>,
    /// Constant 0/1 `[T, stream]`: folds each base layer's columns onto the first `width`
    /// columns of the stream (this is the zero padding of Eq. 4).
    fold: Tensor<2>,
    #[module(skip)]
    layout: ColumnLayout,
}

impl ParametrizedLayer {
    fn new(space: &ArchitectureSpace, rng: &mut StdRng, device: &Device) -> Self {
        let layout = ColumnLayout::new(space);
        let s = space.stream_width();
        let p = space.num_base_layers();
        let t = layout.total;
        let mut expand = vec![0.0f32; p * t];
        let mut fold = vec![0.0f32; t * s];
        for (i, b) in space.base_layers().iter().enumerate() {
            let off = layout.offsets[i];
            for k in 0..b.width {
                expand[i * t + off + k] = 1.0;
                fold[(off + k) * s + k] = 1.0;
            }
        }
        Self {
            weight: Param::from_tensor(uniform_tensor([s, t], s, rng, device)),
            bias: Param::from_tensor(uniform_tensor([t], s, rng, device)),
            expand: Tensor::from_data(TensorData::new(expand, [p, t]), device),
            fold: Tensor::from_data(TensorData::new(fold, [t, s]), device),
            layout,
        }
    }

    /// Forward pass.
    ///
    /// - `x`: `[N, stream]` hidden stream.
    /// - `alpha`: `[1, P]` base-layer probabilities of this layer.
    /// - `beta_on`, `beta_off`: `[1, 1]` presence probabilities.
    /// - returns `[N, stream]`: `beta_on · Σ_i alpha_i · pad(o_i(x)) + beta_off · x`.
    pub fn forward(
        &self,
        x: Tensor<2>,
        alpha: Tensor<2>,
        beta_on: Tensor<2>,
        beta_off: Tensor<2>,
    ) -> Tensor<2> {
        let n = x.dims()[0];
        let h = x.clone().matmul(self.weight.val()) + self.bias.val().unsqueeze::<2>();
        let parts: Vec<Tensor<2>> = self
            .layout
            .blocks
            .iter()
            .map(|&(a, start, end)| apply_activation(a, h.clone().slice([0..n, start..end])))
            .collect();
        let acts = if parts.len() == 1 { parts.into_iter().next().unwrap_or(h) } else { Tensor::cat(parts, 1) };
        let weights = alpha.matmul(self.expand.clone()); // [1, T]
        let mixed = (acts * weights).matmul(self.fold.clone());
        mixed * beta_on + x * beta_off
    }
}

/// Configuration of a continuous [`ChildNetwork`].
#[derive(Config, Debug)]
pub struct ChildNetworkConfig {
    /// The architecture space the network spans.
    pub space: ArchitectureSpace,
    /// Number of output classes (at least 2).
    pub num_classes: usize,
    /// Seed of the initial weights.
    #[config(default = 0)]
    pub seed: u64,
}

impl ChildNetworkConfig {
    /// Builds the network on `device` with weights drawn from `seed`.
    ///
    /// # Errors
    /// [`EncodingError::TooFewClasses`] for fewer than two classes.
    pub fn init(&self, device: &Device) -> Result<ChildNetwork> {
        if self.num_classes < 2 {
            return Err(EncodingError::TooFewClasses(self.num_classes));
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let s = self.space.stream_width();
        let layers =
            (0..self.space.num_layers()).map(|_| ParametrizedLayer::new(&self.space, &mut rng, device)).collect();
        Ok(ChildNetwork {
            layers,
            classifier: DenseLayer::seeded(s, self.num_classes, &mut rng, device),
            space: self.space.clone(),
            num_classes: self.num_classes,
        })
    }
}

/// The continuous child network of section 3.4: `gamma`-mixed embedding inputs (zero-padded to
/// the stream width), `L` [`ParametrizedLayer`]s, and a linear classifier producing logits
/// (softmax is left to the loss).
///
/// ```
/// use archinfer_encoding::{ArchitectureSpace, ChildNetworkConfig, EmbeddingSpec, Encoding};
/// use burn::tensor::{Device, Tensor};
/// let device = Device::default();
/// let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 4), EmbeddingSpec::new("b", 6)]).unwrap();
/// let net = ChildNetworkConfig::new(space.clone(), 3).init(&device).unwrap();
/// let u = Encoding::uniform(&space).relaxed(&space).unwrap();
/// let u = Tensor::<1>::from_floats(u.as_slice(), &device);
/// let inputs = [Tensor::<2>::ones([5, 4], &device), Tensor::<2>::ones([5, 6], &device)];
/// let logits = net.forward(&inputs, u).unwrap();
/// assert_eq!(logits.dims(), [5, 3]);
/// ```
#[derive(Module, Debug)]
pub struct ChildNetwork {
    /// The parametrized layers, input to output.
    pub layers: Vec<ParametrizedLayer>,
    /// The classifier, `[stream, classes]`.
    pub classifier: DenseLayer,
    #[module(skip)]
    space: ArchitectureSpace,
    #[module(skip)]
    num_classes: usize,
}

impl ChildNetwork {
    /// The space this network spans.
    pub fn space(&self) -> &ArchitectureSpace {
        &self.space
    }

    /// Number of output classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// Checks that `inputs` has one `[N, dim_e]` matrix per embedding module, all with the same
    /// `N`.
    fn check_inputs(&self, inputs: &[Tensor<2>]) -> Result<usize> {
        let specs = self.space.embeddings();
        if inputs.len() != specs.len() {
            return Err(EncodingError::InputMismatch(format!(
                "{} input matrices for {} embedding modules",
                inputs.len(),
                specs.len()
            )));
        }
        let n = inputs.first().map(|t| t.dims()[0]).unwrap_or(0);
        for (t, spec) in inputs.iter().zip(specs) {
            let [rows, cols] = t.dims();
            if cols != spec.dim || rows != n {
                return Err(EncodingError::InputMismatch(format!(
                    "module `{}` expects [{n}, {}], got [{rows}, {cols}]",
                    spec.name, spec.dim
                )));
            }
        }
        Ok(n)
    }

    /// Forward pass with the relaxed encoding `u`.
    ///
    /// - `inputs`: one `[N, dim_e]` feature matrix per embedding module, in space order.
    /// - `u`: `[dim]`, the relaxed encoding in the space's flat layout (each group a
    ///   distribution; it is not re-normalised here, so gradients flow to whatever produced it).
    /// - returns `[N, classes]` logits.
    ///
    /// # Errors
    /// [`EncodingError::InputMismatch`] or [`EncodingError::DimMismatch`] on wrong shapes.
    pub fn forward(&self, inputs: &[Tensor<2>], u: Tensor<1>) -> Result<Tensor<2>> {
        self.check_inputs(inputs)?;
        let dim = u.dims()[0];
        if dim != self.space.dim() {
            return Err(EncodingError::DimMismatch { expected: self.space.dim(), got: dim });
        }
        let s = self.space.stream_width();
        let pick = |r: std::ops::Range<usize>| {
            let len = r.len();
            u.clone().slice([r]).reshape([1, len])
        };
        let g = self.space.gamma_range().start;
        let mut x: Option<Tensor<2>> = None;
        for (e, input) in inputs.iter().enumerate() {
            let term = pad_features(input.clone(), s) * pick(g + e..g + e + 1);
            x = Some(match x {
                Some(acc) => acc + term,
                None => term,
            });
        }
        let mut x = x.ok_or_else(|| EncodingError::InputMismatch("no inputs".into()))?;
        for (l, layer) in self.layers.iter().enumerate() {
            let b = self.space.beta_range(l).start;
            x = layer.forward(x, pick(self.space.alpha_range(l)), pick(b..b + 1), pick(b + 1..b + 2));
        }
        Ok(self.classifier.forward(x))
    }

    /// The discrete network of `arch` that shares this network's weights: each enabled layer
    /// keeps the block of its chosen base layer restricted to the rows its actual input uses.
    /// At the one-hot `u` of `arch`, both networks compute the same logits.
    ///
    /// # Errors
    /// If `arch` does not fit this network's space.
    pub fn discretize(&self, arch: &DiscreteArchitecture) -> Result<DiscreteNetwork> {
        arch.check(&self.space)?;
        let layout = ColumnLayout::new(&self.space);
        let mut cur = arch.embedding.dim;
        let mut hidden = Vec::new();
        let mut activations = Vec::new();
        for (l, c) in arch.layers.iter().enumerate() {
            if !c.enabled {
                continue;
            }
            let layer = &self.layers[l];
            let off = layout.offsets[c.base];
            let w = layer.weight.val().slice([0..cur, off..off + c.width]);
            let b = layer.bias.val().narrow(0, off, c.width);
            hidden.push(DenseLayer { weight: Param::from_tensor(w), bias: Param::from_tensor(b) });
            activations.push(c.activation);
            cur = c.width;
        }
        let classifier = DenseLayer {
            weight: Param::from_tensor(self.classifier.weight.val().slice([0..cur, 0..self.num_classes])),
            bias: Param::from_tensor(self.classifier.bias.val()),
        };
        Ok(DiscreteNetwork { hidden, classifier, activations, arch: arch.clone() })
    }
}
