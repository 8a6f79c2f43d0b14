//! Algorithm 1: training the value network a task at a time, and the trained model's
//! prediction, saving and loading.

use std::path::Path;

use archinfer_data::Task;
use archinfer_encoding::ArchitectureSpace;
use archinfer_metafeatures::Standardizer;
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

use crate::batch::{DvnTask, Prepared, extra_row, holdout_loss, normalise, pair_mask, raw_stats, sample_tensor, u_tensor};
use crate::error::{DvnError, Result};
use crate::model::{Dvn, DvnConfig};
use crate::train_config::{DvnOptimizer, DvnTrainConfig, FitCheck};

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
                Some(sample_tensor(t.task.as_deref(), &config, &train, (train.eval_samples, 0), &mut rng, device)?)
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
                        Some(sample_tensor(t.task.as_deref(), &config, &train, (train.sample_batch, train.sample_columns), &mut rng, &ad)?)
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
            Some(sample_tensor(task, &self.config, &self.train_config, (self.train_config.eval_samples, 0), &mut rng, &self.device)?)
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
            c.entry("per_column").or_insert(false.into());
            c.entry("descriptors").or_insert(0.into());
        }
        if let Some(c) = value.get_mut("train_config").and_then(|c| c.as_object_mut()) {
            c.entry("rank_weight").or_insert(0.0.into());
            c.entry("min_steps").or_insert(0.into());
            c.entry("optimizer").or_insert_with(|| "sgd".into());
            c.entry("weight_decay").or_insert(0.0.into());
            c.entry("sample_columns").or_insert(0.into());
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

impl archinfer_metafeatures::TaskEncoder for TrainedDvn {
    type Error = DvnError;
    fn z_dim(&self) -> usize {
        self.config.z_width()
    }
    fn encode_task(&self, task: &Task) -> Result<Vec<f32>> {
        self.embed_host(Some(task))
    }
}
