//! # archinfer-infer
//!
//! Algorithm 2 of the paper: multi-start gradient ascent of a value model `v(u, z)` over the
//! architecture logits, with `u = relax(logits)` (softmax per group) so every iterate is a valid
//! relaxed architecture. All starts move together in one `[starts, dim]` tensor; a start stops
//! moving once its value changes by less than the tolerance. The result lists every start's
//! solution, best first, with its continuous value and the value of its argmax discretisation.
//!
//! This is the generic burn path: any [`ValueModel`] that is a burn [`Module`], on any device.
//!
//! [`Module`]: burn::module::Module

#![cfg_attr(test, allow(clippy::unwrap_used))]

use archinfer_dvn::ValueModel;
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, relax};
use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// What can go wrong in inference.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// Invalid settings or inputs.
    #[error("{0}")]
    Invalid(String),
    /// An encoding problem.
    #[error(transparent)]
    Encoding(#[from] archinfer_encoding::EncodingError),
}

/// Result alias of this crate.
pub type Result<T, E = InferError> = std::result::Result<T, E>;

/// Settings of the ascent (paper: 10 starts, 1,000 iterations).
#[derive(Config, Debug)]
pub struct AscentConfig {
    /// Starting points.
    #[config(default = 10)]
    pub starts: usize,
    /// Iterations at most.
    #[config(default = 1000)]
    pub max_iters: usize,
    /// Step size on the logits.
    #[config(default = 0.1)]
    pub step: f64,
    /// A start stops once its value changes by less than this in one step.
    #[config(default = 1e-6)]
    pub tolerance: f64,
    /// Standard deviation of the random starting logits.
    #[config(default = 1.0)]
    pub init_scale: f64,
    /// Seed of the starting points.
    #[config(default = 0)]
    pub seed: u64,
}

/// One start's solution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// Final logits.
    pub logits: Vec<f32>,
    /// Final relaxed encoding `u`.
    pub u: Vec<f32>,
    /// Predicted value of `u`.
    pub value: f32,
    /// Argmax discretisation of `u`.
    pub architecture: DiscreteArchitecture,
    /// Predicted value of the discretised architecture's one-hot `u`.
    pub discrete_value: f32,
    /// Iterations this start moved.
    pub iterations: usize,
    /// Predicted value after each iteration (for monotonicity checks and plots).
    pub trace: Vec<f32>,
}

/// Random starting logits, `starts × dim`, `N(0, init_scale²)` from the seed.
pub fn random_starts(space: &ArchitectureSpace, cfg: &AscentConfig) -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    (0..cfg.starts)
        .map(|_| {
            (0..space.dim())
                .map(|_| {
                    let z: f32 = StandardNormal.sample(&mut rng);
                    z * cfg.init_scale as f32
                })
                .collect()
        })
        .collect()
}

fn to_vecs(t: Tensor<2>) -> Result<Vec<Vec<f32>>> {
    let [_, d] = t.dims();
    let flat = t.into_data().try_to_vec::<f32>().map_err(|e| InferError::Invalid(format!("{e:?}")))?;
    Ok(flat.chunks(d.max(1)).map(<[f32]>::to_vec).collect())
}

/// Runs the ascent from `starts` (logits rows) for the task embedded as `z`, on `device`.
///
/// # Errors
/// No starts, rows of the wrong length or non-finite, a model for another `u` length, or
/// invalid settings.
pub fn ascend<M>(
    model: &M,
    space: &ArchitectureSpace,
    z: Option<Tensor<2>>,
    starts: &[Vec<f32>],
    cfg: &AscentConfig,
    device: &Device,
) -> Result<Vec<Solution>>
where
    M: ValueModel + Module + Clone,
{
    let d = space.dim();
    if starts.is_empty() || cfg.max_iters == 0 || cfg.step.is_nan() || cfg.step <= 0.0 {
        return Err(InferError::Invalid(format!("need starts, iterations and a positive step ({cfg:?})")));
    }
    if model.u_dim() != d {
        return Err(InferError::Invalid(format!("the model takes u of length {}, the space {d}", model.u_dim())));
    }
    for s in starts {
        space.check_flat("starting logits", s)?;
    }
    let n = starts.len();
    let ad = device.clone().autodiff();
    let m = model.clone().to_device(&ad);
    let z_ad = z.clone().map(|t| t.to_device(&ad));
    let flat: Vec<f32> = starts.concat();
    let mut logits = Tensor::<2>::from_data(TensorData::new(flat, [n, d]), &ad);
    let mut active = vec![true; n];
    let mut iterations = vec![0usize; n];
    let mut traces: Vec<Vec<f32>> = vec![Vec::new(); n];
    let mut last: Option<Vec<f32>> = None;
    for _ in 0..cfg.max_iters {
        let l = logits.clone().detach().require_grad();
        let v = m.value(relax(space, l.clone()), z_ad.clone());
        let vals = v.clone().detach().into_data().try_to_vec::<f32>().map_err(|e| InferError::Invalid(format!("{e:?}")))?;
        if let Some(prev) = &last {
            for i in 0..n {
                if active[i] && f64::from((vals[i] - prev[i]).abs()) < cfg.tolerance {
                    active[i] = false;
                }
            }
        }
        for i in 0..n {
            if active[i] {
                traces[i].push(vals[i]);
            }
        }
        if active.iter().all(|a| !a) {
            break;
        }
        let grads = v.sum().backward();
        let g = l.grad(&grads).ok_or_else(|| InferError::Invalid("no gradient reached the logits".into()))?;
        let mask: Vec<f32> = active.iter().map(|&a| if a { cfg.step as f32 } else { 0.0 }).collect();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [n, 1]), &ad);
        logits = l.detach() + g.autodiff() * mask;
        for (i, a) in active.iter().enumerate() {
            if *a {
                iterations[i] += 1;
            }
        }
        last = Some(vals);
    }
    let logits = logits.detach();
    let u = relax(space, logits.clone());
    let final_v = m.value(u.clone(), z_ad.clone()).into_data().try_to_vec::<f32>().map_err(|e| InferError::Invalid(format!("{e:?}")))?;
    let logits = to_vecs(logits)?;
    let us = to_vecs(u)?;
    let mut out = Vec::with_capacity(n);
    let mut one_hots = Vec::with_capacity(n);
    let mut archs = Vec::with_capacity(n);
    for ui in &us {
        let a = DiscreteArchitecture::from_flat(space, ui)?;
        one_hots.extend(a.one_hot_u(space)?);
        archs.push(a);
    }
    let oh = Tensor::<2>::from_data(TensorData::new(one_hots, [n, d]), &ad);
    let dv = m.value(oh, z_ad).into_data().try_to_vec::<f32>().map_err(|e| InferError::Invalid(format!("{e:?}")))?;
    for i in 0..n {
        out.push(Solution {
            logits: logits[i].clone(),
            u: us[i].clone(),
            value: final_v[i],
            architecture: archs[i].clone(),
            discrete_value: dv[i],
            iterations: iterations[i],
            trace: std::mem::take(&mut traces[i]),
        });
    }
    out.sort_by(|a, b| b.value.total_cmp(&a.value));
    Ok(out)
}
