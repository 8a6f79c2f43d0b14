//! The training data of Algorithm 1: each task's recorded children, their per-task
//! normalisation and holdout split, the mini-batches and task embeddings built from them, and
//! the held-out loss that judges convergence.

use std::sync::Arc;

use archinfer_data::Task;
use archinfer_metafeatures::{SampleBatch, Standardizer, statistical_features};
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;

use crate::error::{DvnError, Result};
use crate::model::{Dvn, DvnConfig};
use crate::train_config::DvnTrainConfig;

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

/// Per-task normalisation `v' = (v − μ) / σ`.
pub(crate) fn normalise(v: &[f32]) -> (f32, f32) {
    let n = v.len().max(1) as f32;
    let mu = v.iter().sum::<f32>() / n;
    let sd = (v.iter().map(|x| (x - mu).powi(2)).sum::<f32>() / n).sqrt().max(1e-6);
    (mu, sd)
}

pub(crate) struct Prepared {
    pub(crate) train: Vec<usize>,
    pub(crate) holdout: Vec<usize>,
    pub(crate) target: Vec<f32>,
    pub(crate) extra: Option<Tensor<2>>,
    pub(crate) fixed_samples: Option<Tensor<2>>,
}

pub(crate) fn u_tensor(rows: &[&Vec<f32>], dim: usize, device: &Device) -> Tensor<2> {
    let mut flat = Vec::with_capacity(rows.len() * dim);
    for r in rows {
        flat.extend_from_slice(r);
    }
    Tensor::from_data(TensorData::new(flat, [rows.len(), dim]), device)
}

/// `[B, B]` mask of the pairs `v_i > v_j` (ties left out) and their number; `None` without
/// any such pair.
pub(crate) fn pair_mask(y: &[f32]) -> Option<(Vec<f32>, usize)> {
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
pub(crate) fn extra_row(
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
    if config.descriptors > 0 && config.meta != archinfer_metafeatures::MetaFeatures::None {
        let task = task.ok_or(DvnError::Needs("the task (for its descriptors)"))?;
        let d = task.descriptors();
        row.extend((0..config.descriptors).map(|i| d.get(i).copied().unwrap_or(0.0)));
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

pub(crate) fn raw_stats(task: Option<&Task>, module: &str) -> Result<Vec<f32>> {
    let task = task.ok_or(DvnError::Needs("the task (for its statistical meta-features)"))?;
    Ok(statistical_features(task, module)?)
}

pub(crate) fn sample_tensor(
    task: Option<&Task>,
    config: &DvnConfig,
    train: &DvnTrainConfig,
    (n, columns): (usize, usize),
    rng: &mut StdRng,
    device: &Device,
) -> Result<Tensor<2>> {
    let task = task.ok_or(DvnError::Needs("the task's samples (for its learned meta-features)"))?;
    let mut b = SampleBatch::sample_in(task, &train.sample_module, config.max_classes, n, config.per_column, rng)?;
    if config.per_column && columns > 0 {
        b = b.keep_columns(columns, rng);
    }
    if !config.per_column && b.dim != config.sample_dim {
        return Err(DvnError::Width { what: "sample features", expected: config.sample_dim, got: b.dim });
    }
    Ok(b.to_tensor(device))
}

pub(crate) fn holdout_loss(model: &Dvn, tasks: &[DvnTask], prepared: &[Prepared], dim: usize, device: &Device) -> Result<f32> {
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
