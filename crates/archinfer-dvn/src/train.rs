//! Algorithm 1: training the value network a task at a time, and the trained model's
//! prediction, saving and loading.

use std::path::Path;
use std::sync::Arc;

use archinfer_data::Task;
use archinfer_encoding::ArchitectureSpace;
use archinfer_metafeatures::{SampleBatch, Standardizer, statistical_features};
use burn::config::Config;
use burn::module::Module;
use burn::optim::momentum::MomentumConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams, SgdConfig};
use burn::tensor::activation::softplus;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{DvnError, Result};
use crate::model::{Dvn, DvnConfig};

/// The recorded children of one training task.
#[derive(Debug, Clone)]
pub struct DvnTask {
    /// Task name.
    pub name: String,
    /// Relaxed encodings `u` of the children.
    pub u: Vec<Vec<f32>>,
    /// Their validation accuracies.
    pub v: Vec<f32>,
    /// The task's samples (needed for learned and statistical meta-features).
    pub task: Option<Arc<Task>>,
}

/// The optimizer of Algorithm 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DvnOptimizer {
    /// SGD with momentum (the paper).
    #[default]
    Sgd,
    /// Adam (β = 0.9, 0.999), with optional L2 weight decay.
    Adam,
}

/// Settings of Algorithm 1 (paper: SGD, learning rate 1e-4, momentum 0.5, kOuterIters 1,
/// kInnerIters 2) and of the convergence test.
#[derive(Config, Debug)]
pub struct DvnTrainConfig {
    /// SGD learning rate.
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    /// SGD momentum.
    #[config(default = 0.5)]
    pub momentum: f64,
    /// Mini-batches of one task's triplets per task pick (kOuterIters).
    #[config(default = 1)]
    pub outer_iters: usize,
    /// Sample batches (and SGD steps) per mini-batch (kInnerIters).
    #[config(default = 2)]
    pub inner_iters: usize,
    /// Triplets per mini-batch.
    #[config(default = 32)]
    pub minibatch: usize,
    /// Task samples per batch fed to the tower.
    #[config(default = 256)]
    pub sample_batch: usize,
    /// Embedding module whose features the tower and the statistics read.
    #[config(default = "String::from(\"pool4\")")]
    pub sample_module: String,
    /// Fraction of every training task's triplets held out to judge convergence.
    #[config(default = 0.1)]
    pub holdout: f64,
    /// Task picks between two convergence checks.
    #[config(default = 250)]
    pub eval_every: usize,
    /// Checks without improvement before stopping.
    #[config(default = 8)]
    pub patience: usize,
    /// Upper bound on task picks.
    #[config(default = 100_000)]
    pub max_steps: usize,
    /// Samples used to embed a task at evaluation and inference time.
    #[config(default = 1024)]
    pub eval_samples: usize,
    /// Seed of task picks, batches and the holdout split.
    #[config(default = 0)]
    pub seed: u64,
    /// Weight of a within-task pairwise ranking loss added to the paper's L2 loss (0: L2
    /// only): the mean of `softplus(−(p_i − p_j))` over the mini-batch's pairs with `v_i > v_j`.
    /// The L2 loss rewards getting a task's level right; this rewards getting its order right,
    /// which is what the ascent and the Spearman use.
    #[config(default = 0.0)]
    pub rank_weight: f64,
    /// Task picks before early stopping may stop the fit.
    #[config(default = 0)]
    pub min_steps: usize,
    /// The optimizer (paper: SGD with momentum).
    #[config(default = "DvnOptimizer::Sgd")]
    pub optimizer: DvnOptimizer,
    /// L2 weight decay (Adam only; 0: none).
    #[config(default = 0.0)]
    pub weight_decay: f64,
}

impl DvnTrainConfig {
    /// Checks every setting; [`TrainedDvn::fit`] calls it before any work.
    ///
    /// # Errors
    /// [`DvnError::Setting`] naming the first setting out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |setting: &'static str, value: String, expected: &'static str| Err(DvnError::Setting { setting, value, expected });
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning_rate", self.learning_rate.to_string(), "a finite number > 0");
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad("weight_decay", self.weight_decay.to_string(), "a finite number ≥ 0");
        }
        if !(self.rank_weight.is_finite() && self.rank_weight >= 0.0) {
            return bad("rank_weight", self.rank_weight.to_string(), "a finite number ≥ 0");
        }
        if !(self.holdout.is_finite() && (0.0..1.0).contains(&self.holdout)) {
            return bad("holdout", self.holdout.to_string(), "a fraction in [0, 1)");
        }
        for (setting, v) in [("minibatch", self.minibatch), ("inner_iters", self.inner_iters), ("outer_iters", self.outer_iters), ("sample_batch", self.sample_batch)] {
            if v == 0 {
                return bad(setting, "0".into(), "at least 1");
            }
        }
        Ok(())
    }
}

/// One convergence check of [`TrainedDvn::fit_observed`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitCheck {
    /// Task picks so far.
    pub step: usize,
    /// Upper bound on task picks.
    pub max_steps: usize,
    /// Mean squared error on the training tasks' held-out children.
    pub heldout_mse: f32,
}

/// Per-task normalisation `v' = (v − μ) / σ`.
fn normalise(v: &[f32]) -> (f32, f32) {
    let n = v.len().max(1) as f32;
    let mu = v.iter().sum::<f32>() / n;
    let sd = (v.iter().map(|x| (x - mu).powi(2)).sum::<f32>() / n).sqrt().max(1e-6);
    (mu, sd)
}

struct Prepared {
    train: Vec<usize>,
    holdout: Vec<usize>,
    target: Vec<f32>,
    extra: Option<Tensor<2>>,
    fixed_samples: Option<Tensor<2>>,
}

/// A trained value network with what it needs to embed new tasks.
#[derive(Debug, Clone)]
pub struct TrainedDvn {
    /// The network (no autodiff).
    pub model: Dvn,
    /// Its configuration.
    pub config: DvnConfig,
    /// How it was trained.
    pub train_config: DvnTrainConfig,
    /// Standardisation of statistical meta-features, fitted on the training tasks.
    pub standardizer: Option<Standardizer>,
    /// `(task picks, mean held-out loss)` at every convergence check.
    pub history: Vec<(usize, f32)>,
    device: Device,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    config: DvnConfig,
    train_config: DvnTrainConfig,
    standardizer: Option<Standardizer>,
    history: Vec<(usize, f32)>,
}

fn u_tensor(rows: &[&Vec<f32>], dim: usize, device: &Device) -> Tensor<2> {
    let mut flat = Vec::with_capacity(rows.len() * dim);
    for r in rows {
        flat.extend_from_slice(r);
    }
    Tensor::from_data(TensorData::new(flat, [rows.len(), dim]), device)
}

impl TrainedDvn {
    /// Trains a value network on `tasks` with Algorithm 1; stops when the mean squared error on
    /// held-out triplets of the training tasks has not improved for `patience` checks, and keeps
    /// the best weights seen.
    ///
    /// # Errors
    /// No tasks, a task without children or with children of the wrong length, missing task
    /// samples where meta-features need them, or invalid settings.
    pub fn fit(config: DvnConfig, train: DvnTrainConfig, tasks: &[DvnTask], device: &Device) -> Result<Self> {
        Self::fit_observed(config, train, tasks, device, &mut |_| {})
    }

    /// [`fit`](Self::fit), calling `on_check` at every convergence check (for a progress
    /// display: this crate draws none).
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_observed(
        config: DvnConfig,
        train: DvnTrainConfig,
        tasks: &[DvnTask],
        device: &Device,
        on_check: &mut dyn FnMut(FitCheck),
    ) -> Result<Self> {
        if tasks.is_empty() {
            return Err(DvnError::NoTasks);
        }
        train.validate()?;
        let dim = config.space.dim();
        if config.task_id_dim > 0 && tasks.len() > config.task_id_dim {
            return Err(DvnError::TaskIdentity { index: tasks.len() - 1, width: config.task_id_dim });
        }
        for t in tasks {
            if t.u.len() < 2 || t.u.len() != t.v.len() {
                return Err(DvnError::TooFewChildren { task: t.name.clone(), got: t.u.len().min(t.v.len()), needed: 2 });
            }
            if let Some(u) = t.u.iter().find(|u| u.len() != dim) {
                return Err(DvnError::ULength { expected: dim, got: u.len() });
            }
        }
        let ad = device.clone().autodiff();
        let standardizer = if config.meta.statistical() {
            let rows = tasks.iter().map(|t| raw_stats(t.task.as_deref(), &train.sample_module)).collect::<Result<Vec<_>>>()?;
            Some(Standardizer::fit(&rows)?)
        } else {
            None
        };
        let mut rng = StdRng::seed_from_u64(train.seed);
        let mut prepared = Vec::with_capacity(tasks.len());
        for (k, t) in tasks.iter().enumerate() {
            let (mu, sd) = normalise(&t.v);
            let mut idx: Vec<usize> = (0..t.u.len()).collect();
            idx.shuffle(&mut rng);
            let n_hold = ((t.u.len() as f64 * train.holdout).round() as usize).min(t.u.len() - 1);
            let extra = extra_row(&config, &train, standardizer.as_ref(), t.task.as_deref(), Some(k))?
                .map(|row| Tensor::from_data(TensorData::new(row.clone(), [1, row.len()]), &ad));
            let fixed_samples = if config.meta.learned() {
                Some(sample_tensor(t.task.as_deref(), &config, &train, train.eval_samples, &mut rng, device)?)
            } else {
                None
            };
            prepared.push(Prepared {
                holdout: idx[..n_hold].to_vec(),
                train: idx[n_hold..].to_vec(),
                target: t.v.iter().map(|v| (v - mu) / sd).collect(),
                extra,
                fixed_samples,
            });
        }
        let mut model = config.init(&ad)?;
        let mut optim = match train.optimizer {
            DvnOptimizer::Sgd => SgdConfig::new()
                .with_momentum(Some(MomentumConfig::new().with_momentum(train.momentum).with_dampening(0.0)))
                .init(),
            DvnOptimizer::Adam => AdamConfig::new()
                .with_weight_decay((train.weight_decay > 0.0).then(|| WeightDecayConfig::new(train.weight_decay as f32)))
                .init(),
        };
        let mut best: Option<(f32, Dvn)> = None;
        let mut history = Vec::new();
        let mut bad = 0;
        for step in 1..=train.max_steps {
            let k = rng.random_range(0..tasks.len());
            let (t, p) = (&tasks[k], &prepared[k]);
            for _ in 0..train.outer_iters {
                let picks: Vec<usize> = (0..train.minibatch.min(p.train.len()))
                    .map(|_| p.train[rng.random_range(0..p.train.len())])
                    .collect();
                let u = u_tensor(&picks.iter().map(|&i| &t.u[i]).collect::<Vec<_>>(), dim, &ad);
                let y: Vec<f32> = picks.iter().map(|&i| p.target[i]).collect();
                let mask = (train.rank_weight > 0.0).then(|| pair_mask(&y)).flatten();
                let y = Tensor::<1>::from_data(TensorData::new(y, [picks.len()]), &ad);
                let mask = mask.map(|(m, pairs)| (Tensor::<2>::from_data(TensorData::new(m, [picks.len(), picks.len()]), &ad), pairs));
                for _ in 0..train.inner_iters {
                    let samples = if config.meta.learned() {
                        Some(sample_tensor(t.task.as_deref(), &config, &train, train.sample_batch, &mut rng, &ad)?)
                    } else {
                        None
                    };
                    let z = model.embed(samples, p.extra.clone())?;
                    let pred = model.forward(u.clone(), z);
                    let mut loss = (pred.clone() - y.clone()).powi_scalar(2).mean();
                    if let Some((m, pairs)) = &mask {
                        // [B, B]: p_i − p_j, penalised where v_i > v_j.
                        let d = pred.clone().unsqueeze_dim::<2>(1) - pred.unsqueeze_dim::<2>(0);
                        let rank = (softplus(d.neg(), 1.0) * m.clone()).sum().div_scalar(*pairs as f64);
                        loss = loss + rank.mul_scalar(train.rank_weight);
                    }
                    let grads = GradientsParams::from_grads(loss.backward(), &model);
                    model = optim.step(train.learning_rate, model, grads);
                }
            }
            if step % train.eval_every == 0 || step == train.max_steps {
                let eval = model.valid();
                let loss = holdout_loss(&eval, tasks, &prepared, dim, device)?;
                history.push((step, loss));
                on_check(FitCheck { step, max_steps: train.max_steps, heldout_mse: loss });
                if !loss.is_finite() {
                    break;
                }
                if best.as_ref().is_none_or(|(b, _)| loss < *b - 1e-5) {
                    best = Some((loss, eval));
                    bad = 0;
                } else {
                    bad += 1;
                    if bad >= train.patience && step >= train.min_steps {
                        break;
                    }
                }
            }
        }
        let model = match best {
            Some((_, m)) => m,
            None => model.valid(),
        };
        Ok(Self { model, config, train_config: train, standardizer, history, device: device.clone() })
    }

    /// The embedding `z` of a task for this model: the tower over `eval_samples` training
    /// samples drawn with the training seed, and / or the standardised statistics.
    ///
    /// # Errors
    /// A missing task where meta-features need one, or a task lacking the sample module.
    pub fn embed_task(&self, task: Option<&Task>) -> Result<Option<Tensor<2>>> {
        self.embed_task_with_id(task, None)
    }

    /// As [`embed_task`](Self::embed_task), for the `id`-th training task of a model with a
    /// task identity in `z` ([`DvnConfig::task_id_dim`]); `None`, or a model without one,
    /// leaves the identity block zero (an unknown task).
    ///
    /// # Errors
    /// As [`embed_task`](Self::embed_task).
    pub fn embed_task_with_id(&self, task: Option<&Task>, id: Option<usize>) -> Result<Option<Tensor<2>>> {
        let mut rng = StdRng::seed_from_u64(self.train_config.seed ^ 0x7a5c);
        let samples = if self.config.meta.learned() {
            Some(sample_tensor(task, &self.config, &self.train_config, self.train_config.eval_samples, &mut rng, &self.device)?)
        } else {
            None
        };
        let extra = extra_row(&self.config, &self.train_config, self.standardizer.as_ref(), task, id)?
            .map(|row| Tensor::from_data(TensorData::new(row.clone(), [1, row.len()]), &self.device));
        self.model.embed(samples, extra)
    }

    /// The device the network lives on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The task embedding of `task` as a host vector (empty for a network without
    /// meta-features); see [`embed_task`](Self::embed_task).
    ///
    /// # Errors
    /// As [`embed_task`](Self::embed_task).
    pub fn embed_host(&self, task: Option<&Task>) -> Result<Vec<f32>> {
        match self.embed_task(task)? {
            Some(z) => crate::model::host(z),
            None => Ok(Vec::new()),
        }
    }

    /// Predicted normalised values of `u` on the task embedded as `z`.
    ///
    /// # Errors
    /// Encodings of the wrong length.
    pub fn predict(&self, u: &[Vec<f32>], z: Option<Tensor<2>>) -> Result<Vec<f32>> {
        let dim = self.config.space.dim();
        if let Some(bad) = u.iter().find(|r| r.len() != dim) {
            return Err(DvnError::ULength { expected: dim, got: bad.len() });
        }
        let mut out = Vec::with_capacity(u.len());
        for chunk in u.chunks(4096) {
            let t = u_tensor(&chunk.iter().collect::<Vec<_>>(), dim, &self.device);
            let v = self.model.forward(t, z.clone()).into_data();
            out.extend(v.try_to_vec::<f32>().map_err(|e| DvnError::Backend(format!("{e:?}")))?);
        }
        Ok(out)
    }

    /// Saves weights (`model.bpk`) and settings (`dvn.json`) into directory `dir`, with their
    /// checksums ([`CHECKSUM_FILE`](crate::CHECKSUM_FILE)).
    ///
    /// # Errors
    /// File-system failures.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let io = |e: &dyn std::fmt::Display| DvnError::Io { path: dir.display().to_string(), message: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| io(&e))?;
        let saved = Saved {
            config: self.config.clone(),
            train_config: self.train_config.clone(),
            standardizer: self.standardizer.clone(),
            history: self.history.clone(),
        };
        let json = serde_json::to_string_pretty(&saved).map_err(|e| io(&e))?;
        std::fs::write(dir.join("dvn.json"), json).map_err(|e| io(&e))?;
        self.model.clone().save_file(dir.join("model.bpk")).map_err(|e| io(&e))?;
        crate::checksum::write_checksums(dir, &["dvn.json", "model.bpk"])
    }

    /// Loads what [`save`](Self::save) wrote; refuses files changed since (checksums), and
    /// with `space`, a model trained for another architecture space.
    ///
    /// # Errors
    /// Missing or malformed files, [`DvnError::Tampered`], or [`DvnError::SpaceMismatch`].
    pub fn load(dir: &Path, space: Option<&ArchitectureSpace>, device: &Device) -> Result<Self> {
        let io = |e: &dyn std::fmt::Display| DvnError::Io { path: dir.display().to_string(), message: e.to_string() };
        crate::checksum::verify_checksums(dir)?;
        let json = std::fs::read_to_string(dir.join("dvn.json")).map_err(|e| io(&e))?;
        let mut value: serde_json::Value = serde_json::from_str(&json).map_err(|e| io(&e))?;
        // Models saved before these settings existed were the paper's network and recipe.
        if let Some(c) = value.get_mut("config").and_then(|c| c.as_object_mut()) {
            c.entry("interaction").or_insert_with(|| "concat".into());
            c.entry("log_size").or_insert(false.into());
            c.entry("task_id_dim").or_insert(0.into());
            c.entry("gated_input").or_insert(false.into());
        }
        if let Some(c) = value.get_mut("train_config").and_then(|c| c.as_object_mut()) {
            c.entry("rank_weight").or_insert(0.0.into());
            c.entry("min_steps").or_insert(0.into());
            c.entry("optimizer").or_insert_with(|| "sgd".into());
            c.entry("weight_decay").or_insert(0.0.into());
        }
        let saved: Saved = serde_json::from_value(value).map_err(|e| io(&e))?;
        if let Some(s) = space
            && s != &saved.config.space
        {
            return Err(DvnError::SpaceMismatch(format!(
                "saved: u of length {}, {} embedding modules; expected: u of length {}, {} modules",
                saved.config.space.dim(),
                saved.config.space.num_embeddings(),
                s.dim(),
                s.num_embeddings()
            )));
        }
        let model = saved.config.init(device)?.try_load_file(dir.join("model.bpk")).map_err(|e| io(&e))?;
        Ok(Self {
            model,
            config: saved.config,
            train_config: saved.train_config,
            standardizer: saved.standardizer,
            history: saved.history,
            device: device.clone(),
        })
    }
}

/// `[B, B]` mask of the pairs `v_i > v_j` (ties left out) and their number; `None` without
/// any such pair.
fn pair_mask(y: &[f32]) -> Option<(Vec<f32>, usize)> {
    let n = y.len();
    let mut m = vec![0.0; n * n];
    let mut pairs = 0;
    for i in 0..n {
        for j in 0..n {
            if y[i] > y[j] + 1e-6 {
                m[i * n + j] = 1.0;
                pairs += 1;
            }
        }
    }
    (pairs > 0).then_some((m, pairs))
}

/// The host-computed part of `z` ([`DvnConfig::extra_width`]): `log10` of the number of
/// training samples, the standardised statistics, the one-hot task identity `id`.
fn extra_row(
    config: &DvnConfig,
    train: &DvnTrainConfig,
    standardizer: Option<&Standardizer>,
    task: Option<&Task>,
    id: Option<usize>,
) -> Result<Option<Vec<f32>>> {
    if config.extra_width() == 0 {
        return Ok(None);
    }
    let mut row = Vec::with_capacity(config.extra_width());
    if config.meta.learned() && config.log_size {
        let task = task.ok_or(DvnError::Needs("the task (for its size)"))?;
        row.push((task.splits().train.len().max(1) as f32).log10());
    }
    if let Some(s) = standardizer {
        row.extend(s.apply(&raw_stats(task, &train.sample_module)?)?);
    }
    if config.task_id_dim > 0 {
        let mut one_hot = vec![0.0; config.task_id_dim];
        if let Some(i) = id {
            *one_hot.get_mut(i).ok_or(DvnError::TaskIdentity { index: i, width: config.task_id_dim })? = 1.0;
        }
        row.extend(one_hot);
    }
    Ok(Some(row))
}

fn raw_stats(task: Option<&Task>, module: &str) -> Result<Vec<f32>> {
    let task = task.ok_or(DvnError::Needs("the task (for its statistical meta-features)"))?;
    Ok(statistical_features(task, module)?)
}

fn sample_tensor(
    task: Option<&Task>,
    config: &DvnConfig,
    train: &DvnTrainConfig,
    n: usize,
    rng: &mut StdRng,
    device: &Device,
) -> Result<Tensor<2>> {
    let task = task.ok_or(DvnError::Needs("the task's samples (for its learned meta-features)"))?;
    let b = SampleBatch::sample(task, &train.sample_module, config.max_classes, n, rng)?;
    if b.dim != config.sample_dim {
        return Err(DvnError::Width { what: "sample features", expected: config.sample_dim, got: b.dim });
    }
    Ok(b.to_tensor(device))
}

fn holdout_loss(model: &Dvn, tasks: &[DvnTask], prepared: &[Prepared], dim: usize, device: &Device) -> Result<f32> {
    let mut total = 0.0;
    let mut n = 0;
    for (t, p) in tasks.iter().zip(prepared) {
        if p.holdout.is_empty() {
            continue;
        }
        let u = u_tensor(&p.holdout.iter().map(|&i| &t.u[i]).collect::<Vec<_>>(), dim, device);
        let y: Vec<f32> = p.holdout.iter().map(|&i| p.target[i]).collect();
        let y = Tensor::<1>::from_data(TensorData::new(y, [p.holdout.len()]), device);
        let extra = p.extra.clone().map(Tensor::inner);
        let z = model.embed(p.fixed_samples.clone(), extra)?;
        total += (model.forward(u, z) - y).powi_scalar(2).mean().into_scalar::<f32>();
        n += 1;
    }
    Ok(if n == 0 { f32::NAN } else { total / n as f32 })
}

impl archinfer_metafeatures::TaskEncoder for TrainedDvn {
    type Error = DvnError;
    fn z_dim(&self) -> usize {
        self.config.z_width()
    }
    fn encode_task(&self, task: &Task) -> Result<Vec<f32>> {
        self.embed_host(Some(task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_mask_marks_strictly_better_rows() {
        // v = [0.3, 0.1, 0.3]: pairs (0, 1) and (2, 1); the tie (0, 2) is left out.
        let (m, pairs) = pair_mask(&[0.3, 0.1, 0.3]).unwrap();
        assert_eq!(pairs, 2);
        assert_eq!(m, vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        assert!(pair_mask(&[0.5, 0.5]).is_none());
    }

    #[test]
    fn normalise_uses_the_population_standard_deviation() {
        let (mu, sd) = normalise(&[1.0, 3.0]);
        approx::assert_abs_diff_eq!(mu, 2.0);
        approx::assert_abs_diff_eq!(sd, 1.0);
    }
}
