//! What the ascent climbs: a value model bound to one task. [`TaskValue`] is the trait an
//! [`Inferencer`](crate::propose::Inferencer) proposal runs over; the fused MLP ([`FusedMlp`]) and the
//! burn autodiff path ([`BurnValue`]) implement it, and any other model can: implement values
//! and gradients with respect to `u`, and the default host ascent does the rest.

use archinfer_dvn::ValueModel;
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use crate::cost::Penalty;
use crate::ascent::StartRun;
use crate::fused::FusedMlp;
use crate::ascent::AscentConfig;
use crate::error::InferError;
use crate::error::Result;
use crate::ascent::Solution;
use crate::ascent::check_inputs;
use crate::ascent::finish;

/// A value model bound to one task: `v(u)` of relaxed encodings `u` and its gradient.
pub trait TaskValue {
    /// Length of the encodings `u` it takes.
    fn u_dim(&self) -> usize;

    /// Values of rows `u`.
    ///
    /// # Errors
    /// Rows of the wrong length, or a failure of the model.
    fn values(&self, u: &[Vec<f32>]) -> Result<Vec<f32>>;

    /// The value of one `u` and its gradient with respect to `u`.
    ///
    /// # Errors
    /// As [`values`](Self::values).
    fn value_and_grad(&self, u: &[f32]) -> Result<(f32, Vec<f32>)>;

    /// Multi-start gradient ascent on the logits from `starts`, on `v − penalty`. The default
    /// is [`host_ascend`]; implementations with a faster path override it.
    ///
    /// # Errors
    /// Invalid settings or starts, or a failure of the model.
    fn ascend(&self, space: &ArchitectureSpace, starts: &[Vec<f32>], cfg: &AscentConfig, penalty: Option<&Penalty>) -> Result<Vec<Solution>> {
        host_ascend(self, space, starts, cfg, penalty)
    }

    /// Which path the ascent runs on (reported with proposals).
    fn path(&self) -> String {
        "host".into()
    }
}

fn softmax_groups(space: &ArchitectureSpace, l: &[f32], u: &mut [f32]) {
    for g in space.groups() {
        let seg = &l[g.clone()];
        let m = seg.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for (o, &x) in u[g.clone()].iter_mut().zip(seg) {
            *o = (x - m).exp();
            sum += *o;
        }
        u[g].iter_mut().for_each(|x| *x /= sum);
    }
}

/// The ascent of Algorithm 2 on the host over any [`TaskValue`]: per start, `u = softmax per
/// group (logits)`, the objective's gradient is taken back through the softmax, and the
/// logits move by `step` along it until the objective changes by less than the tolerance.
///
/// # Errors
/// No starts, rows that do not fit the space, invalid settings, or a failure of the model.
pub fn host_ascend<V: TaskValue + ?Sized>(
    value: &V,
    space: &ArchitectureSpace,
    starts: &[Vec<f32>],
    cfg: &AscentConfig,
    penalty: Option<&Penalty>,
) -> Result<Vec<Solution>> {
    check_inputs(space, value.u_dim(), starts, cfg)?;
    let d = space.dim();
    let step = cfg.step as f32;
    let groups = space.groups();
    let mut runs = Vec::with_capacity(starts.len());
    let mut u = vec![0.0; d];
    let mut gc = vec![0.0; d];
    for start in starts {
        let mut l = start.clone();
        let (mut prev, mut iterations, mut trace) = (None::<f32>, 0, Vec::new());
        for _ in 0..cfg.max_iters {
            softmax_groups(space, &l, &mut u);
            let (v, mut gu) = value.value_and_grad(&u)?;
            let mut obj = v;
            if let Some(p) = penalty {
                let c = p.cost.expected_and_grad(&u, &mut gc);
                obj -= p.scale() * c;
                gu.iter_mut().zip(&gc).for_each(|(g, c)| *g -= p.scale() * c);
            }
            if prev.is_some_and(|p| f64::from((obj - p).abs()) < cfg.tolerance) {
                break;
            }
            trace.push(obj);
            for g in &groups {
                let dot: f32 = u[g.clone()].iter().zip(&gu[g.clone()]).map(|(a, b)| a * b).sum();
                for i in g.clone() {
                    l[i] += step * u[i] * (gu[i] - dot);
                }
            }
            iterations += 1;
            prev = Some(obj);
        }
        softmax_groups(space, &l, &mut u);
        let v = value.values(std::slice::from_ref(&u))?[0];
        runs.push(StartRun { expected_params: penalty.map(|p| p.cost.expected(&u)), logits: l, u: u.clone(), value: v, iterations, trace });
    }
    let archs = runs.iter().map(|r| DiscreteArchitecture::from_flat(space, &r.u)).collect::<std::result::Result<Vec<_>, _>>()?;
    let one_hots = archs.iter().map(|a| a.one_hot_u(space)).collect::<std::result::Result<Vec<_>, _>>()?;
    let discrete = value.values(&one_hots)?;
    Ok(finish(runs, archs, discrete, penalty))
}

impl TaskValue for FusedMlp {
    fn u_dim(&self) -> usize {
        FusedMlp::u_dim(self)
    }

    fn values(&self, u: &[Vec<f32>]) -> Result<Vec<f32>> {
        FusedMlp::values(self, u)
    }

    fn value_and_grad(&self, u: &[f32]) -> Result<(f32, Vec<f32>)> {
        FusedMlp::value_and_grad(self, u)
    }

    fn ascend(&self, space: &ArchitectureSpace, starts: &[Vec<f32>], cfg: &AscentConfig, penalty: Option<&Penalty>) -> Result<Vec<Solution>> {
        FusedMlp::ascend(self, space, starts, cfg, penalty)
    }

    fn path(&self) -> String {
        if self.uses_simd() { "fused (avx2+fma)" } else { "fused (portable)" }.into()
    }
}

/// Any burn [`ValueModel`] bound to a task embedding `z`, on any device: values by a forward
/// pass, gradients and the ascent by burn autodiff ([`ascend`](crate::generic::ascend)).
#[derive(Debug, Clone)]
pub struct BurnValue<'a, M> {
    model: &'a M,
    z: Option<Tensor<2>>,
    device: Device,
}

impl<'a, M: ValueModel + Module + Clone> BurnValue<'a, M> {
    /// `model` on the task embedded as `z` (`None` for a model without meta-features).
    pub fn new(model: &'a M, z: Option<Tensor<2>>, device: &Device) -> Self {
        Self { model, z, device: device.clone() }
    }
}

fn host(t: Tensor<1>) -> Result<Vec<f32>> {
    t.into_data().try_to_vec::<f32>().map_err(|e| InferError::Backend(format!("{e:?}")))
}

impl<M: ValueModel + Module + Clone> TaskValue for BurnValue<'_, M> {
    fn u_dim(&self) -> usize {
        self.model.u_dim()
    }

    fn values(&self, u: &[Vec<f32>]) -> Result<Vec<f32>> {
        let d = self.u_dim();
        if let Some(r) = u.iter().find(|r| r.len() != d) {
            return Err(InferError::ULength { expected: d, got: r.len() });
        }
        if u.is_empty() {
            return Ok(Vec::new());
        }
        let x = Tensor::<2>::from_data(TensorData::new(u.concat(), [u.len(), d]), &self.device);
        host(self.model.value(x, self.z.clone()))
    }

    fn value_and_grad(&self, u: &[f32]) -> Result<(f32, Vec<f32>)> {
        let d = self.u_dim();
        if u.len() != d {
            return Err(InferError::ULength { expected: d, got: u.len() });
        }
        let ad = self.device.clone().autodiff();
        let m = self.model.clone().to_device(&ad);
        let x = Tensor::<2>::from_data(TensorData::new(u.to_vec(), [1, d]), &ad).require_grad();
        let v = m.value(x.clone(), self.z.clone().map(|z| z.to_device(&ad)));
        let grads = v.clone().sum().backward();
        let g = x.grad(&grads).ok_or_else(|| InferError::Backend("no gradient reached u".into()))?;
        let g = g.into_data().try_to_vec::<f32>().map_err(|e| InferError::Backend(format!("{e:?}")))?;
        Ok((host(v.detach())?[0], g))
    }

    fn ascend(&self, space: &ArchitectureSpace, starts: &[Vec<f32>], cfg: &AscentConfig, penalty: Option<&Penalty>) -> Result<Vec<Solution>> {
        crate::generic::ascend(self.model, space, self.z.clone(), starts, cfg, penalty, &self.device)
    }

    fn path(&self) -> String {
        "burn autodiff".into()
    }
}
