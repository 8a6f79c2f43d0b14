//! Training one child network: Adam on cross-entropy, then validation and test accuracy.

use std::time::Instant;

use archinfer_encoding::{
    Activation, ChildNetwork, ChildNetworkConfig, DiscreteArchitecture, DiscreteNetwork, DiscreteNetworkConfig,
};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use archinfer_data::Csr;

use crate::child::{ChildSpec, ChildTrainer, Outcome, Status};
use crate::config::{SHUFFLE_SALT, TrainConfig, TrainPath};
use crate::error::{Result, TrainError};
use crate::fused;
use crate::fused::kernels::MaskRng;
use crate::prepared::PreparedTask;

/// The one place library code names backends, and why: burn 0.22's `Device` has one variant
/// per compiled backend, behind cargo features this crate does not set, and no typed "is this
/// the host" query (`identity()` is `None` for every non-cubecl device), so the variant's name
/// is read from `Debug` (`Device<Flex(Cpu)>`). Should burn change that format, this returns
/// false and training falls back to the burn path, slower but correct; a test on the flex
/// device (`bad_recipes_are_refused_by_name`) asserts that the fused path is picked.
fn is_host_device(device: &Device) -> bool {
    let name = format!("{device:?}");
    name.contains("Flex(") || name.contains("NdArray(")
}

/// The network being trained, discrete or continuous.
#[allow(clippy::large_enum_variant)]
enum Net {
    Discrete(DiscreteNetwork),
    Continuous(ChildNetwork, Tensor<1>),
}

/// The default [`ChildTrainer`]: Adam on softmax cross-entropy, mini-batches shuffled from the
/// seed, accuracy of the final weights on the validation and test splits.
///
/// Deterministic for a given seed on a CPU backend: weights are drawn on the host from the
/// seed and the batch order comes from the same seed.
///
/// ```
/// use archinfer_data::Blobs;
/// use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec, Encoding};
/// use archinfer_train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, TrainConfig};
/// use burn::tensor::Device;
/// let device = Device::default();
/// let task = Blobs::new(3, 150, 4).separation(5.0).task().unwrap();
/// let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("raw", 4)]).unwrap();
/// let arch = Encoding::uniform(&space).discretize(&space).unwrap();
/// let trainer = AdamTrainer::new(TrainConfig::new().with_epochs(2), device.clone()).unwrap();
/// let out = trainer.train(&ChildSpec::Discrete(arch), &PreparedTask::new(&task, &device), 0).unwrap();
/// assert!(out.is_done() && out.epochs_run == 2);
/// ```
#[derive(Debug, Clone)]
pub struct AdamTrainer {
    config: TrainConfig,
    device: Device,
    path: TrainPath,
}

impl AdamTrainer {
    /// A trainer running on `device` (autodiff is enabled internally), on
    /// [`TrainPath::Auto`].
    ///
    /// # Errors
    /// If the config is invalid.
    pub fn new(config: TrainConfig, device: Device) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, device, path: TrainPath::Auto })
    }

    /// The same trainer on another path.
    pub fn with_path(mut self, path: TrainPath) -> Self {
        self.path = path;
        self
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The path a discrete child trains on: [`TrainPath::Fused`] or [`TrainPath::Burn`]
    /// (continuous children always use burn).
    pub fn discrete_path(&self) -> TrainPath {
        match self.path {
            TrainPath::Auto if is_host_device(&self.device) => TrainPath::Fused,
            TrainPath::Auto => TrainPath::Burn,
            p => p,
        }
    }

    /// One line naming the path discrete children train on, for logs: `fused CPU trainer
    /// (avx2+fma)`, or `burn trainer (…)` with the device as burn prints it
    /// (`Device<Flex(Cpu)>`).
    pub fn describe(&self) -> String {
        match self.discrete_path() {
            TrainPath::Fused => {
                format!("fused CPU trainer ({})", if fused::simd_available() { "avx2+fma" } else { "portable" })
            }
            _ => format!("burn trainer ({:?})", self.device),
        }
    }

    fn build(&self, child: &ChildSpec, task: &PreparedTask, seed: u64, ad: &Device) -> Result<(Net, Vec<Vec<Tensor<2>>>, usize)> {
        match child {
            ChildSpec::Discrete(arch) => {
                // A sparse module's rows are densified a batch at a time by the caller.
                let xs = match task.sparse_splits(&arch.embedding.name) {
                    Some(_) => vec![Vec::new(), Vec::new(), Vec::new()],
                    None => {
                        let t = task.module(&arch.embedding.name, arch.embedding.dim)?;
                        (0..3).map(|s| vec![t[s].x.clone()]).collect()
                    }
                };
                let arch = task_arch(arch, task)?;
                let net = DiscreteNetworkConfig::new(arch.clone(), task.num_classes)
                    .with_seed(seed)
                    .init(ad)?;
                let params = arch.num_params(task.num_classes);
                Ok((Net::Discrete(net), xs, params))
            }
            ChildSpec::Continuous { space, encoding } => {
                let u = encoding.relaxed(space)?;
                let mut xs = vec![Vec::new(), Vec::new(), Vec::new()];
                for e in space.embeddings() {
                    let t = task.module(&e.name, e.dim)?;
                    for (s, x) in xs.iter_mut().enumerate() {
                        x.push(t[s].x.clone());
                    }
                }
                let net = ChildNetworkConfig::new(space.clone(), task.num_classes)
                    .with_seed(seed)
                    .init(ad)?;
                let params = net.num_params();
                let u = Tensor::<1>::from_data(TensorData::new(u, [space.dim()]), ad);
                Ok((Net::Continuous(net, u), xs, params))
            }
        }
    }
}

/// `arch` as it trains on `task`: a sparse module's first layer reads the task's own
/// columns (its vocabulary), not the module's declared width.
///
/// # Errors
/// [`TrainError::MissingModule`] or [`TrainError::ModuleDim`] when the task does not carry
/// the module at the architecture's width.
fn task_arch(arch: &DiscreteArchitecture, task: &PreparedTask) -> Result<DiscreteArchitecture> {
    let e = &arch.embedding;
    task.host_splits(&e.name, e.dim)?;
    Ok(match task.input_width(&e.name) {
        Some(w) => arch.clone().with_input_dim(w),
        None => arch.clone(),
    })
}

/// Rows `rows` of `c` written out dense, as a `[rows, n_cols]` tensor on `device`.
fn dense_rows(c: &Csr, rows: impl ExactSizeIterator<Item = usize>, device: &Device) -> Tensor<2> {
    let n = rows.len();
    Tensor::from_data(TensorData::new(archinfer_data::dense_rows(c, rows), [n, c.n_cols()]), device)
}

/// Training forward pass of a discrete child with inverted dropout (probability `p`) on each
/// hidden layer's output: `[N, dim]` → `[N, classes]` logits. The masks come from the child's
/// seeded [`MaskRng`] on the host, drawn in the fused trainer's order, so a run depends on its
/// seed only and both paths drop the same units.
fn forward_dropout(net: &DiscreteNetwork, x: Tensor<2>, p: f64, masks: &mut MaskRng) -> Tensor<2> {
    let mut x = x;
    for (layer, &a) in net.hidden.iter().zip(net.activations()) {
        let h = layer.forward(x);
        let h = match a {
            Activation::Relu => burn::tensor::activation::relu(h),
            Activation::Tanh => h.tanh(),
        };
        let [rows, width] = h.dims();
        let mut keep = vec![0.0f32; rows * width];
        masks.fill_keep(p as f32, &mut keep);
        let device = h.device();
        x = h * Tensor::<2>::from_data(TensorData::new(keep, [rows, width]), &device);
    }
    net.classifier.forward(x)
}

fn forward(net: &Net, xs: &[Tensor<2>]) -> Result<Tensor<2>> {
    Ok(match net {
        Net::Discrete(n) => n.forward(xs[0].clone())?,
        Net::Continuous(n, u) => n.forward(xs, u.clone())?,
    })
}

/// Fraction of `labels` that the argmax of `net`'s logits hits, evaluated in chunks, with a
/// single read back to the host at the end.
fn accuracy(net: &Net, xs: &[Tensor<2>], sparse: Option<&Csr>, labels: &Tensor<1, Int>, n: usize, chunk: usize) -> Result<f32> {
    let mut hits: Option<Tensor<1, Int>> = None;
    let mut start = 0;
    while start < n {
        let end = (start + chunk).min(n);
        let part: Vec<Tensor<2>> = match sparse {
            Some(c) => vec![dense_rows(c, start..end, &labels.device())],
            None => xs.iter().map(|x| x.clone().narrow(0, start, end - start)).collect(),
        };
        let pred = forward(net, &part)?.argmax(1).reshape([end - start]);
        let h = pred.equal(labels.clone().narrow(0, start, end - start)).int().sum();
        hits = Some(match hits {
            Some(acc) => acc + h,
            None => h,
        });
        start = end;
    }
    let hits = hits.map(|h| h.into_scalar::<i64>()).unwrap_or(0);
    Ok(hits as f32 / n.max(1) as f32)
}

impl AdamTrainer {
    /// Trains the MLP of `arch` on `task` as [`ChildTrainer::train`] does and returns the
    /// trained network with the outcome (`None` for a failed run), for callers that keep it.
    ///
    /// # Errors
    /// As [`ChildTrainer::train`].
    pub fn train_network(&self, arch: &DiscreteArchitecture, task: &PreparedTask, seed: u64) -> Result<(Outcome, Option<DiscreteNetwork>)> {
        let (outcome, net) = self.run(&ChildSpec::Discrete(arch.clone()), task, seed, true)?;
        Ok((outcome, net.and_then(|n| if let Net::Discrete(n) = n { Some(n) } else { None })))
    }

    /// Trains `child`; with `keep`, also returns the trained network (the fused path then
    /// uploads its weights to the device, which training alone does not need).
    fn run(&self, child: &ChildSpec, task: &PreparedTask, seed: u64, keep: bool) -> Result<(Outcome, Option<Net>)> {
        let config = self.config_for(child);
        config.validate()?;
        if task.num_classes < 2 {
            return Err(TrainError::Classes { task: task.name.clone(), expected: 2, got: task.num_classes });
        }
        if let (ChildSpec::Discrete(arch), TrainPath::Fused) = (child, self.discrete_path()) {
            return self.run_fused(arch, task, seed, keep, &config);
        }
        let started = Instant::now();
        let ad = self.device.clone().autodiff();
        let (mut net, xs, num_params) = self.build(child, task, seed, &ad)?;
        let sparse = match child {
            ChildSpec::Discrete(arch) => task.sparse_splits(&arch.embedding.name),
            ChildSpec::Continuous { .. } => None,
        };
        let train_x: Vec<Tensor<2>> = xs[0].iter().map(|x| x.clone().autodiff()).collect();
        let train_y = task.labels[0].clone().autodiff();
        let loss_fn = CrossEntropyLossConfig::new().init(&ad);
        let decay = config.weight_decay.filter(|w| *w > 0.0).map(|w| WeightDecayConfig::new(w as f32));
        let mut optim = AdamConfig::new().with_weight_decay(decay).init();
        let dropout = config.dropout.filter(|p| *p > 0.0);
        let mut masks = MaskRng::new(seed);
        let mut order: Vec<i64> = (0..task.n[0] as i64).collect();
        let mut rng = StdRng::seed_from_u64(seed ^ SHUFFLE_SALT);
        let bs = config.batch_size;
        let mut epochs_run = 0;
        let mut final_loss = f32::NAN;
        let mut failure = None;
        for epoch in 0..config.epochs {
            order.shuffle(&mut rng);
            let mut loss_sum: Option<Tensor<1>> = None;
            let batches = order.len().div_ceil(bs);
            for chunk in order.chunks(bs) {
                let idx = Tensor::<1, Int>::from_data(TensorData::new(chunk.to_vec(), [chunk.len()]), &ad);
                let x: Vec<Tensor<2>> = match sparse {
                    Some(sp) => vec![dense_rows(&sp[0], chunk.iter().map(|&i| i as usize), &ad)],
                    None => train_x.iter().map(|t| t.clone().select(0, idx.clone())).collect(),
                };
                let y = train_y.clone().select(0, idx);
                let logits = match (&net, dropout) {
                    (Net::Discrete(n), Some(p)) => forward_dropout(n, x[0].clone(), p, &mut masks),
                    _ => forward(&net, &x)?,
                };
                let loss = loss_fn.forward(logits, y);
                let grads = loss.backward();
                let detached = loss.detach();
                loss_sum = Some(match loss_sum {
                    Some(acc) => acc + detached,
                    None => detached,
                });
                net = match net {
                    Net::Discrete(n) => {
                        let g = GradientsParams::from_grads(grads, &n);
                        Net::Discrete(optim.step(config.learning_rate, n, g))
                    }
                    Net::Continuous(n, u) => {
                        let g = GradientsParams::from_grads(grads, &n);
                        Net::Continuous(optim.step(config.learning_rate, n, g), u)
                    }
                };
            }
            // One host read per epoch: NaN/inf anywhere in the epoch poisons the sum.
            let mean = loss_sum.map(|l| l.into_scalar::<f32>()).unwrap_or(0.0) / batches.max(1) as f32;
            final_loss = mean;
            if !mean.is_finite() {
                failure = Some(format!("non-finite training loss ({mean}) in epoch {}", epoch + 1));
                break;
            }
            epochs_run = epoch + 1;
        }
        if let Some(reason) = failure {
            return Ok((Outcome {
                val_accuracy: 0.0,
                test_accuracy: 0.0,
                final_loss,
                seconds: started.elapsed().as_secs_f64(),
                num_params,
                epochs_run,
                status: Status::Failed { reason },
            }, None));
        }
        let eval = match net {
            Net::Discrete(n) => Net::Discrete(n.valid()),
            Net::Continuous(n, u) => Net::Continuous(n.valid(), u.inner()),
        };
        let chunk = config.eval_batch_size;
        let val_accuracy = accuracy(&eval, &xs[1], sparse.map(|s| &s[1]), &task.labels[1], task.n[1], chunk)?;
        let test_accuracy = accuracy(&eval, &xs[2], sparse.map(|s| &s[2]), &task.labels[2], task.n[2], chunk)?;
        Ok((
            Outcome {
                val_accuracy,
                test_accuracy,
                final_loss,
                seconds: started.elapsed().as_secs_f64(),
                num_params,
                epochs_run,
                status: Status::Done,
            },
            Some(eval),
        ))
    }
}

impl AdamTrainer {
    /// The settings `child` trains with: the trainer's, with a discrete child's own training
    /// recipe (space version 2) in place of learning rate, weight decay, dropout, epochs and
    /// batch size. A continuous child (a relaxed `u`) trains with the trainer's settings: its
    /// recipe logits are not relaxed into a training.
    pub fn config_for(&self, child: &ChildSpec) -> TrainConfig {
        match child {
            ChildSpec::Discrete(DiscreteArchitecture { recipe: Some(r), .. }) => TrainConfig {
                learning_rate: r.learning_rate,
                weight_decay: (r.weight_decay > 0.0).then_some(r.weight_decay),
                dropout: (r.dropout > 0.0).then_some(r.dropout),
                epochs: r.epochs,
                batch_size: r.batch_size,
                ..self.config.clone()
            },
            _ => self.config.clone(),
        }
    }

    fn run_fused(&self, arch: &DiscreteArchitecture, task: &PreparedTask, seed: u64, keep: bool, config: &TrainConfig) -> Result<(Outcome, Option<Net>)> {
        let splits = task.host_splits(&arch.embedding.name, arch.embedding.dim)?;
        let started = Instant::now();
        let arch = &task_arch(arch, task)?;
        let layers = DiscreteNetworkConfig::new(arch.clone(), task.num_classes).with_seed(seed).init_host()?;
        let activations: Vec<Activation> = arch.enabled_layers().map(|l| l.activation).collect();
        let run = fused::train(layers, &activations, splits, config, seed, true);
        let status = match run.failure {
            Some(reason) => Status::Failed { reason },
            None => Status::Done,
        };
        let net = if keep && status == Status::Done {
            Some(Net::Discrete(DiscreteNetwork::from_host(arch, &run.layers, &self.device)?))
        } else {
            None
        };
        let outcome = Outcome {
            val_accuracy: run.val_accuracy,
            test_accuracy: run.test_accuracy,
            final_loss: run.final_loss,
            seconds: started.elapsed().as_secs_f64(),
            num_params: arch.num_params(task.num_classes),
            epochs_run: run.epochs_run,
            status,
        };
        Ok((outcome, net))
    }
}

impl ChildTrainer for AdamTrainer {
    fn train(&self, child: &ChildSpec, task: &PreparedTask, seed: u64) -> Result<Outcome> {
        Ok(self.run(child, task, seed, false)?.0)
    }
}
