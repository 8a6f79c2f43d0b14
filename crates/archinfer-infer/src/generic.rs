//! The generic path: burn autodiff over any [`ValueModel`], on any device.

use archinfer_dvn::ValueModel;
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, relax};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use crate::cost::Penalty;
use crate::ascent::StartRun;
use crate::ascent::AscentConfig;
use crate::error::InferError;
use crate::error::Result;
use crate::ascent::Solution;
use crate::ascent::check_inputs;
use crate::ascent::finish;

fn rows(t: Tensor<2>) -> Result<Vec<Vec<f32>>> {
    let [_, d] = t.dims();
    Ok(flat(t)?.chunks(d.max(1)).map(<[f32]>::to_vec).collect())
}

fn flat<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data().try_to_vec::<f32>().map_err(|e| InferError::Backend(format!("{e:?}")))
}

/// Runs the ascent from `starts` (logits rows) for the task embedded as `z`, on `device`, all
/// starts in one batched tensor; with `penalty`, on `v − λ · E[params]`.
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
    penalty: Option<&Penalty>,
    device: &Device,
) -> Result<Vec<Solution>>
where
    M: ValueModel + Module + Clone,
{
    check_inputs(space, model.u_dim(), starts, cfg)?;
    let (n, d) = (starts.len(), space.dim());
    let ad = device.clone().autodiff();
    let m = model.clone().to_device(&ad);
    let z_ad = z.map(|t| t.to_device(&ad));
    let objective = |u: Tensor<2>| {
        let v = m.value(u.clone(), z_ad.clone());
        match penalty {
            Some(p) => v - p.cost.tensor(u) * p.scale(),
            None => v,
        }
    };
    let mut logits = Tensor::<2>::from_data(TensorData::new(starts.concat(), [n, d]), &ad);
    let mut active = vec![true; n];
    let mut iterations = vec![0usize; n];
    let mut traces: Vec<Vec<f32>> = vec![Vec::new(); n];
    let mut last: Option<Vec<f32>> = None;
    for _ in 0..cfg.max_iters {
        let l = logits.clone().detach().require_grad();
        let v = objective(relax(space, l.clone()));
        let vals = flat(v.clone().detach())?;
        if let Some(prev) = &last {
            for i in 0..n {
                if active[i] && f64::from((vals[i] - prev[i]).abs()) < cfg.tolerance {
                    active[i] = false;
                }
            }
        }
        if active.iter().all(|a| !a) {
            break;
        }
        for i in 0..n {
            if active[i] {
                traces[i].push(vals[i]);
                iterations[i] += 1;
            }
        }
        let grads = v.sum().backward();
        let g = l.grad(&grads).ok_or_else(|| InferError::Backend("no gradient reached the logits".into()))?;
        let mask: Vec<f32> = active.iter().map(|&a| if a { cfg.step as f32 } else { 0.0 }).collect();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [n, 1]), &ad);
        logits = l.detach() + g.autodiff() * mask;
        last = Some(vals);
    }
    let logits = logits.detach();
    let u = relax(space, logits.clone());
    let values = flat(m.value(u.clone(), z_ad.clone()))?;
    let us = rows(u)?;
    let mut one_hots = Vec::with_capacity(n * d);
    let mut archs = Vec::with_capacity(n);
    for ui in &us {
        let a = DiscreteArchitecture::from_flat(space, ui)?;
        one_hots.extend(a.one_hot_u(space)?);
        archs.push(a);
    }
    let oh = Tensor::<2>::from_data(TensorData::new(one_hots, [n, d]), &ad);
    let discrete = flat(m.value(oh, z_ad))?;
    let runs = rows(logits)?
        .into_iter()
        .zip(us)
        .zip(values)
        .zip(iterations.into_iter().zip(traces))
        .map(|(((logits, u), value), (iterations, trace))| StartRun {
            expected_params: penalty.map(|p| p.cost.expected(&u)),
            logits,
            u,
            value,
            iterations,
            trace,
        })
        .collect();
    Ok(finish(runs, archs, discrete, penalty))
}
