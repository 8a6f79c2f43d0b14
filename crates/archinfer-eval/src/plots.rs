//! The numbers behind `evaluate plots` (the command draws them): predicted against actual
//! accuracy on every held-out task, a 2-D PCA of the learned task embeddings, and the held-out
//! Spearman against the number of training tasks.

use archinfer_data::Embedder;
use archinfer_dvn::{DvnTask, Recipe, TrainedDvn, spearman};
use archinfer_encoding::ArchitectureSpace;
use burn::tensor::Device;
use rand::SeedableRng;
use rand::seq::SliceRandom;

use crate::error::{EvalError, Result};
use crate::stats::mean_std;

/// Fits a value network with the recipe `recipe(seed)` on `train`.
fn fit(space: &ArchitectureSpace, train: &[DvnTask], recipe: &dyn Fn(u64) -> Result<Recipe>, seed: u64, device: &Device) -> Result<TrainedDvn> {
    let (cfg, tc) = recipe(seed)?.configs(space, train)?;
    Ok(TrainedDvn::fit(cfg, tc, train, device)?)
}

fn others(tasks: &[DvnTask], k: usize) -> Vec<DvnTask> {
    tasks.iter().enumerate().filter(|(i, _)| *i != k).map(|(_, t)| t.clone()).collect()
}

fn actual(t: &DvnTask) -> Vec<f64> {
    t.v.iter().map(|&x| f64::from(x)).collect()
}

/// Per held-out task (seed 0, fitted on all others): its name, the Spearman, and the
/// `(actual, predicted)` points of its children.
///
/// # Errors
/// Fitting or predicting failures.
pub fn predicted_vs_actual(
    space: &ArchitectureSpace,
    tasks: &[DvnTask],
    recipe: &dyn Fn(u64) -> Result<Recipe>,
    device: &Device,
) -> Result<Vec<(String, f64, Vec<(f64, f64)>)>> {
    let mut panels = Vec::new();
    for (k, held) in tasks.iter().enumerate() {
        let m = fit(space, &others(tasks, k), recipe, 0, device)?;
        let p: Vec<f64> = m.predict(&held.u, m.embed_task(held.task.as_deref())?)?.into_iter().map(f64::from).collect();
        let a = actual(held);
        let rho = spearman(&p, &a)?;
        panels.push((held.name.clone(), rho, a.into_iter().zip(p).collect()));
    }
    Ok(panels)
}

/// The learned tower's embedding of `batches` random batches of 256 samples per task (model
/// fitted on all tasks, seed 0), projected to 2-D by PCA: per task, its points.
///
/// # Errors
/// A recipe without a learned tower; fitting failures; tasks without samples.
pub fn embedding_pca(
    space: &ArchitectureSpace,
    tasks: &[DvnTask],
    recipe: &dyn Fn(u64) -> Result<Recipe>,
    batches: usize,
    device: &Device,
) -> Result<Vec<(String, Vec<(f64, f64)>)>> {
    let m = fit(space, tasks, recipe, 0, device)?;
    let phi = m.model.phi.as_ref().ok_or_else(|| EvalError::BadOptions("the recipe has no learned tower".into()))?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let (mut flat, mut owners) = (Vec::new(), Vec::new());
    for (k, t) in tasks.iter().enumerate() {
        let task = t.task.as_deref().ok_or_else(|| EvalError::NoSamples(t.name.clone()))?;
        for _ in 0..batches {
            let b = archinfer_metafeatures::SampleBatch::sample_in(task, &m.train_config.sample_module, m.config.max_classes, 256, m.config.per_column, &mut rng)?;
            // The tower's output alone: the size feature is one number per task, not per batch.
            let z = phi.forward(b.to_tensor(device));
            flat.extend(z.into_data().try_to_vec::<f32>().map_err(|e| EvalError::BadOptions(format!("{e:?}")))?);
            owners.push(k);
        }
    }
    let zdim = flat.len() / owners.len().max(1);
    let proj = archinfer_data::Pca::fit(&flat, zdim, 2, 0)?.embed_all(&flat, zdim);
    Ok(tasks
        .iter()
        .enumerate()
        .map(|(k, t)| {
            (t.name.clone(), owners.iter().enumerate().filter(|(_, o)| **o == k).map(|(i, _)| (f64::from(proj[2 * i]), f64::from(proj[2 * i + 1]))).collect())
        })
        .collect())
}

/// Held-out task `held`'s Spearman as the value network sees 1, 2, … of the other tasks, in
/// `orderings` random orders: `(tasks, mean, std)` per point; `each` sees every point.
///
/// # Errors
/// An unknown task; fitting or predicting failures.
pub fn spearman_vs_tasks(
    space: &ArchitectureSpace,
    tasks: &[DvnTask],
    recipe: &dyn Fn(u64) -> Result<Recipe>,
    held: &str,
    orderings: usize,
    device: &Device,
    each: &mut dyn FnMut(usize, f64, f64),
) -> Result<Vec<(f64, f64, f64)>> {
    let k = tasks.iter().position(|t| t.name == held).ok_or_else(|| EvalError::UnknownTask(held.to_string()))?;
    let pool = others(tasks, k);
    let a = actual(&tasks[k]);
    let mut curve = Vec::new();
    for n in 1..=pool.len() {
        let mut scores = Vec::new();
        for o in 0..orderings {
            let mut order: Vec<usize> = (0..pool.len()).collect();
            order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(o as u64));
            let subset: Vec<DvnTask> = order[..n].iter().map(|&i| pool[i].clone()).collect();
            let m = fit(space, &subset, recipe, o as u64, device)?;
            let p: Vec<f64> = m.predict(&tasks[k].u, m.embed_task(tasks[k].task.as_deref())?)?.into_iter().map(f64::from).collect();
            scores.push(spearman(&p, &a)?);
        }
        let (mu, sd) = mean_std(&scores);
        each(n, mu, sd);
        curve.push((n as f64, mu, sd));
    }
    Ok(curve)
}
