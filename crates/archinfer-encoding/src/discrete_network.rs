//! The discrete fast path: the plain MLP of a one-hot architecture, built from scratch or from
//! host weights.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::architecture::DiscreteArchitecture;
use crate::dense::{DenseLayer, HostDense, apply_activation};
use crate::error::{EncodingError, Result};
use crate::space::Activation;

/// Configuration of a [`DiscreteNetwork`] built from scratch (the fast path used to train the
/// one-hot children of the experiment database).
#[derive(Config, Debug)]
pub struct DiscreteNetworkConfig {
    /// The architecture.
    pub arch: DiscreteArchitecture,
    /// Number of output classes (at least 2).
    pub num_classes: usize,
    /// Seed of the initial weights.
    #[config(default = 0)]
    pub seed: u64,
}

impl DiscreteNetworkConfig {
    /// Builds the MLP on `device`, each layer initialised for its real fan-in.
    ///
    /// # Errors
    /// [`EncodingError::TooFewClasses`] for fewer than two classes.
    pub fn init(&self, device: &Device) -> Result<DiscreteNetwork> {
        DiscreteNetwork::from_host(&self.arch, &self.init_host()?, device)
    }

    /// The initial weights on the host, hidden layers then the classifier: exactly the values
    /// [`init`](Self::init) uploads (so a host-side trainer starts where the burn one does).
    ///
    /// # Errors
    /// [`EncodingError::TooFewClasses`] for fewer than two classes.
    pub fn init_host(&self) -> Result<Vec<HostDense>> {
        if self.num_classes < 2 {
            return Err(EncodingError::TooFewClasses(self.num_classes));
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let widths = self.arch.widths();
        let mut layers: Vec<HostDense> = widths.windows(2).map(|p| HostDense::seeded(p[0], p[1], &mut rng)).collect();
        let last = *widths.last().unwrap_or(&self.arch.embedding.dim);
        layers.push(HostDense::seeded(last, self.num_classes, &mut rng));
        Ok(layers)
    }
}

/// The plain MLP of a discrete architecture: only the chosen embedding module and the enabled
/// layers' chosen base layers exist.
///
/// ```
/// use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, DiscreteNetworkConfig, EmbeddingSpec};
/// use burn::tensor::{Device, Tensor};
/// use rand::SeedableRng;
/// let device = Device::default();
/// let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 4)]).unwrap();
/// let arch = DiscreteArchitecture::sample(&space, &mut rand::rngs::StdRng::seed_from_u64(1));
/// let net = DiscreteNetworkConfig::new(arch.clone(), 3).init(&device).unwrap();
/// assert_eq!(burn::module::Module::num_params(&net), arch.num_params(3));
/// let logits = net.forward(Tensor::<2>::ones([2, 4], &device)).unwrap();
/// assert_eq!(logits.dims(), [2, 3]);
/// ```
#[derive(Module, Debug)]
pub struct DiscreteNetwork {
    /// The enabled layers, input to output.
    pub hidden: Vec<DenseLayer>,
    /// The classifier.
    pub classifier: DenseLayer,
    #[module(skip)]
    pub(crate) activations: Vec<Activation>,
    #[module(skip)]
    pub(crate) arch: DiscreteArchitecture,
}

impl DiscreteNetwork {
    /// The network of `arch` with the given weights: one layer per enabled layer of `arch`,
    /// then the classifier (as [`DiscreteNetworkConfig::init_host`] returns them).
    ///
    /// # Errors
    /// [`EncodingError::ShapeMismatch`] if the number of layers or a layer's shape does not
    /// match `arch`, or the classifier has fewer than two outputs.
    pub fn from_host(arch: &DiscreteArchitecture, layers: &[HostDense], device: &Device) -> Result<Self> {
        let widths = arch.widths();
        let (classifier, hidden) = layers.split_last().ok_or(EncodingError::ShapeMismatch {
            what: "discrete network layers",
            detail: "no layers".into(),
        })?;
        if hidden.len() + 1 != widths.len() {
            return Err(EncodingError::ShapeMismatch {
                what: "discrete network layers",
                detail: format!("{} layers for {} enabled layers and a classifier", layers.len(), widths.len() - 1),
            });
        }
        for (l, (layer, p)) in hidden.iter().zip(widths.windows(2)).enumerate() {
            let ok = layer.n_in == p[0] && layer.n_out == p[1] && layer.weight.len() == p[0] * p[1] && layer.bias.len() == p[1];
            if !ok {
                return Err(EncodingError::ShapeMismatch {
                    what: "discrete network layer",
                    detail: format!("layer {l} is {}×{}, the architecture says {}×{}", layer.n_in, layer.n_out, p[0], p[1]),
                });
            }
        }
        let last = *widths.last().unwrap_or(&arch.embedding.dim);
        if classifier.n_in != last || classifier.n_out < 2 || classifier.weight.len() != last * classifier.n_out || classifier.bias.len() != classifier.n_out {
            return Err(EncodingError::ShapeMismatch {
                what: "classifier",
                detail: format!("{}×{} after a {last}-wide layer (at least 2 outputs)", classifier.n_in, classifier.n_out),
            });
        }
        Ok(Self {
            hidden: hidden.iter().map(|l| l.to_dense(device)).collect(),
            classifier: classifier.to_dense(device),
            activations: arch.enabled_layers().map(|l| l.activation).collect(),
            arch: arch.clone(),
        })
    }

    /// The layers on the host, hidden then classifier (the inverse of [`from_host`](Self::from_host)).
    ///
    /// # Errors
    /// [`EncodingError::Backend`] if a tensor cannot be read as `f32`.
    pub fn to_host(&self) -> Result<Vec<HostDense>> {
        self.hidden.iter().chain(std::iter::once(&self.classifier)).map(HostDense::from_dense).collect()
    }

    /// The activations of the enabled layers, input to output.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// The architecture this network implements.
    pub fn architecture(&self) -> &DiscreteArchitecture {
        &self.arch
    }

    /// Forward pass: `[N, dim]` features of the architecture's embedding module → `[N, classes]`
    /// logits.
    ///
    /// # Errors
    /// [`EncodingError::InputMismatch`] if the feature dimension is not the module's.
    pub fn forward(&self, x: Tensor<2>) -> Result<Tensor<2>> {
        let d = x.dims()[1];
        if d != self.arch.embedding.dim {
            return Err(EncodingError::InputMismatch(format!(
                "module `{}` has {} features, got {d}",
                self.arch.embedding.name, self.arch.embedding.dim
            )));
        }
        let mut x = x;
        for (layer, &a) in self.hidden.iter().zip(&self.activations) {
            x = apply_activation(a, layer.forward(x));
        }
        Ok(self.classifier.forward(x))
    }
}
