//! The ascent on the fused path: values, the objective's gradient, and multi-start gradient
//! ascent with the starts split over threads (each thread's starts move in blocks of eight,
//! `batch.rs`).

use std::ops::Range;

use archinfer_encoding::ArchitectureSpace;

use super::mlp::FusedMlp;
use super::kernels::{Fma, Madd, Plain, gemv_rows, pad, relax_into};
use crate::ascent::{AscentConfig, Solution, StartRun, check_inputs, finish};
use crate::cost::Penalty;
use crate::error::{InferError, Result};

impl FusedMlp {
    pub(super) fn scratch(&self) -> Scratch {
        let widths: Vec<usize> = self.rest.iter().map(|l| pad(l.n_out)).collect();
        let d = pad(self.u_dim);
        let widest = self.rest.iter().map(|l| l.n_in.max(l.n_out)).chain([self.u_dim, self.h1]).max().unwrap_or(0);
        Scratch {
            u: vec![0.0; d],
            x: vec![0.0; d],
            gu: vec![0.0; d],
            gc: vec![0.0; d],
            h1: vec![0.0; pad(self.h1)],
            acts: widths.iter().map(|&w| vec![0.0; w]).collect(),
            deltas: widths.iter().map(|&w| vec![0.0; w]).collect(),
            dh1: vec![0.0; pad(self.h1)],
            idx: vec![0; self.h1],
            coef: vec![0.0; self.h1],
            all: (0..widest as u32).collect(),
        }
    }

    /// Values of relaxed encodings `u` (rows of length [`u_dim`](Self::u_dim)).
    ///
    /// # Errors
    /// Rows of the wrong length.
    pub fn values(&self, u: &[Vec<f32>]) -> Result<Vec<f32>> {
        let mut s = self.scratch();
        u.iter()
            .map(|row| {
                if row.len() != self.u_dim {
                    return Err(InferError::ULength { expected: self.u_dim, got: row.len() });
                }
                s.u[..self.u_dim].copy_from_slice(row);
                let u = std::mem::take(&mut s.u);
                let v = self.forward_backward::<Plain>(&u, &mut s, false);
                s.u = u;
                Ok(v)
            })
            .collect()
    }

    /// The value of one relaxed encoding `u` and its gradient with respect to `u` (through the
    /// gate, if the network has one), by the portable kernel.
    ///
    /// # Errors
    /// A row of the wrong length.
    pub fn value_and_grad(&self, u: &[f32]) -> Result<(f32, Vec<f32>)> {
        let d = self.u_dim;
        if u.len() != d {
            return Err(InferError::ULength { expected: d, got: u.len() });
        }
        let mut s = self.scratch();
        s.u[..d].copy_from_slice(u);
        let uu = std::mem::take(&mut s.u);
        let v = self.forward_backward::<Plain>(&uu, &mut s, true);
        if let Some(g) = &self.gate {
            g.backward(&uu[..d], &mut s.gu[..d]);
        }
        Ok((v, s.gu[..d].to_vec()))
    }

    /// The objective (value minus the penalty, if any) at `logits` and its gradient with
    /// respect to the logits, as one ascent step sees them, computed by the kernel the ascent
    /// runs ([`uses_simd`](Self::uses_simd)).
    ///
    /// # Errors
    /// Logits that do not fit `space`, or a space of another length than the network's `u`.
    pub fn objective_and_gradient(&self, space: &ArchitectureSpace, logits: &[f32], penalty: Option<&Penalty>) -> Result<(f32, Vec<f32>)> {
        space.check_flat("logits", logits)?;
        if space.dim() != self.u_dim {
            return Err(InferError::ULength { expected: space.dim(), got: self.u_dim });
        }
        let groups = space.groups();
        let mut s = self.scratch();
        let mut gl = vec![0.0; self.u_dim];
        // The kernel the ascent runs, so that tests of this gradient test that kernel.
        #[cfg(target_arch = "x86_64")]
        if self.uses_simd() {
            #[allow(unsafe_code)]
            // SAFETY: `uses_simd` checked at run time that this CPU has AVX2 and FMA, the only
            // requirement of a `#[target_feature(enable = "avx2,fma")]` function.
            let obj = unsafe { self.step_avx2(&groups, logits, &mut gl, &mut s, penalty) };
            return Ok((obj, gl));
        }
        let obj = self.step::<Plain>(&groups, logits, &mut gl, &mut s, penalty);
        Ok((obj, gl))
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn step_avx2(&self, groups: &[Range<usize>], l: &[f32], gl: &mut [f32], s: &mut Scratch, penalty: Option<&Penalty>) -> f32 {
        self.step::<Fma>(groups, l, gl, s, penalty)
    }

    /// Runs the ascent (same rules as [`crate::generic::ascend`]) from `starts`, the starts split over
    /// `cfg.threads` threads.
    ///
    /// # Errors
    /// As [`crate::generic::ascend`].
    pub fn ascend(&self, space: &ArchitectureSpace, starts: &[Vec<f32>], cfg: &AscentConfig, penalty: Option<&Penalty>) -> Result<Vec<Solution>> {
        check_inputs(space, self.u_dim, starts, cfg)?;
        let groups = space.groups();
        let threads = cfg.worker_threads().min(starts.len()).max(1);
        let per = starts.len().div_ceil(threads);
        let runs: Vec<StartRun> = if threads == 1 {
            self.run_chunk(&groups, starts, cfg, penalty)
        } else {
            std::thread::scope(|sc| {
                let handles: Vec<_> = starts
                    .chunks(per)
                    .map(|chunk| {
                        let groups = &groups;
                        sc.spawn(move || self.run_chunk(groups, chunk, cfg, penalty))
                    })
                    .collect();
                handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
            })
        };
        if runs.len() != starts.len() {
            return Err(InferError::Backend("an ascent thread failed".into()));
        }
        let mut s = self.scratch();
        let mut one_hot_values = Vec::with_capacity(runs.len());
        let mut archs = Vec::with_capacity(runs.len());
        for r in &runs {
            let a = archinfer_encoding::DiscreteArchitecture::from_flat(space, &r.u)?;
            s.u[..self.u_dim].copy_from_slice(&a.one_hot_u(space)?);
            let u = std::mem::take(&mut s.u);
            one_hot_values.push(self.forward_backward::<Plain>(&u, &mut s, false));
            s.u = u;
            archs.push(a);
        }
        Ok(finish(runs, archs, one_hot_values, penalty))
    }

    fn run_chunk(&self, groups: &[Range<usize>], starts: &[Vec<f32>], cfg: &AscentConfig, penalty: Option<&Penalty>) -> Vec<StartRun> {
        #[cfg(target_arch = "x86_64")]
        if self.uses_simd() {
            #[allow(unsafe_code)]
            // SAFETY: `uses_simd` checked at run time that this CPU has AVX2 and FMA, the only
            // requirement of a `#[target_feature(enable = "avx2,fma")]` function.
            return unsafe { self.run_chunk_avx2(groups, starts, cfg, penalty) };
        }
        self.run_chunk_with::<Plain>(groups, starts, cfg, penalty)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn run_chunk_avx2(&self, groups: &[Range<usize>], starts: &[Vec<f32>], cfg: &AscentConfig, penalty: Option<&Penalty>) -> Vec<StartRun> {
        self.run_chunk_with::<Fma>(groups, starts, cfg, penalty)
    }

    /// Objective at `l`, gradient w.r.t. the logits into `gl`.
    #[inline(always)]
    fn step<M: Madd>(&self, groups: &[Range<usize>], l: &[f32], gl: &mut [f32], s: &mut Scratch, penalty: Option<&Penalty>) -> f32 {
        relax_into::<M>(groups, l, &mut s.u);
        let d = self.u_dim;
        let input = match &self.gate {
            Some(g) => {
                g.apply(&s.u[..d], &mut s.x[..d]);
                &s.x[..d]
            }
            None => &s.u[..d],
        };
        gemv_rows::<M>(&mut s.h1, Some(&self.c1), &self.w1u, pad(self.h1), &s.all, input);
        self.finish_step::<M>(groups, gl, s, penalty)
    }

    /// [`step`](Self::step) once `s.u` and the first layer's `s.h1` are computed.
    #[inline(always)]
    fn finish_step<M: Madd>(&self, groups: &[Range<usize>], gl: &mut [f32], s: &mut Scratch, penalty: Option<&Penalty>) -> f32 {
        let d = self.u_dim;
        let u = std::mem::take(&mut s.u);
        let v = self.after_first_layer::<M>(s, true);
        let obj = self.objective_tail::<M>(groups, &u[..d], &mut s.gu[..d], &mut s.gc[..d], &mut gl[..d], v, penalty);
        s.u = u;
        obj
    }

    /// The objective from the value `v` at `u` and `gu = ∂v/∂x` (`x` the network's input): the
    /// gate's backward pass, the penalty, and the softmax's backward pass into `gl`, the
    /// gradient with respect to the logits.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn objective_tail<M: Madd>(&self, groups: &[Range<usize>], u: &[f32], gu: &mut [f32], gc: &mut [f32], gl: &mut [f32], v: f32, penalty: Option<&Penalty>) -> f32 {
        let mut obj = v;
        if let Some(g) = &self.gate {
            g.backward(u, gu);
        }
        if let Some(p) = penalty {
            let c = p.cost.expected_and_grad(u, gc);
            let k = p.scale();
            obj -= k * c;
            for (g, c) in gu.iter_mut().zip(gc.iter()) {
                *g -= k * c;
            }
        }
        // Softmax backward, per group: dl_i = u_i (g_i − Σ_j u_j g_j).
        for g in groups {
            let (ug, gug, glg) = (&u[g.clone()], &gu[g.clone()], &mut gl[g.clone()]);
            let mut dot = 0.0;
            for (a, b) in ug.iter().zip(gug) {
                dot = M::madd(*a, *b, dot);
            }
            for ((o, a), b) in glg.iter_mut().zip(ug).zip(gug) {
                *o = a * (b - dot);
            }
        }
        obj
    }

    /// Value of `u` (padded); with `grad`, its gradient w.r.t. `u` into `s.gu`.
    #[inline(always)]
    /// (Only the value is used with a gate: `s.gu` is then `∂v/∂x`, not `∂v/∂u`.)
    pub(super) fn forward_backward<M: Madd>(&self, u: &[f32], s: &mut Scratch, grad: bool) -> f32 {
        let d = self.u_dim;
        let input = match &self.gate {
            Some(g) => {
                g.apply(&u[..d], &mut s.x[..d]);
                &s.x[..d]
            }
            None => &u[..d],
        };
        gemv_rows::<M>(&mut s.h1, Some(&self.c1), &self.w1u, pad(self.h1), &s.all, input);
        self.after_first_layer::<M>(s, grad)
    }

    /// Everything after the first layer's pre-activations `s.h1`: the value, and with `grad`
    /// its gradient w.r.t. `u` into `s.gu`.
    #[inline(always)]
    fn after_first_layer<M: Madd>(&self, s: &mut Scratch, grad: bool) -> f32 {
        for x in s.h1.iter_mut() {
            *x = if *x > 0.0 { *x } else { 0.0 };
        }
        // The later layers are small: dense products beat compacting their inputs.
        let last = self.rest.len() - 1;
        for (k, layer) in self.rest.iter().enumerate() {
            let mut out = std::mem::take(&mut s.acts[k]);
            let input: &[f32] = if k == 0 { &s.h1 } else { &s.acts[k - 1] };
            gemv_rows::<M>(&mut out, Some(&layer.b), &layer.w, pad(layer.n_out), &s.all[..layer.n_in], &input[..layer.n_in]);
            if k != last {
                for x in out.iter_mut() {
                    *x = if *x > 0.0 { *x } else { 0.0 };
                }
            }
            s.acts[k] = out;
        }
        let v = s.acts[last][0];
        if !grad {
            return v;
        }
        // Backward: δ of the output is 1; through each later layer to its input, masked by the
        // ReLU that made that input.
        s.deltas[last].fill(0.0);
        s.deltas[last][0] = 1.0;
        for k in (0..self.rest.len()).rev() {
            let layer = &self.rest[k];
            let (input, mut dx) = if k == 0 {
                (&s.h1, std::mem::take(&mut s.dh1))
            } else {
                (&s.acts[k - 1], std::mem::take(&mut s.deltas[k - 1]))
            };
            gemv_rows::<M>(&mut dx, None, &layer.wt, pad(layer.n_in), &s.all[..layer.n_out], &s.deltas[k][..layer.n_out]);
            // A multiply by 0 / 1, not a select: LLVM turns the select into a masked store.
            for (d, &x) in dx.iter_mut().zip(input.iter()) {
                *d *= f32::from(u8::from(x > 0.0));
            }
            if k == 0 {
                s.dh1 = dx;
            } else {
                s.deltas[k - 1] = dx;
            }
        }
        // The first layer's transpose is the big one: only the units whose ReLU is on.
        let n = compact(&s.dh1[..self.h1], &mut s.idx, &mut s.coef);
        gemv_rows::<M>(&mut s.gu, None, &self.w1u_t, pad(self.u_dim), &s.idx[..n], &s.coef[..n]);
        v
    }
}

/// Indices and values of the non-zero entries of `x`, branch-free: whether a ReLU unit is on
/// is a coin flip the branch predictor cannot learn.
#[inline(always)]
pub(super) fn compact(x: &[f32], idx: &mut [u32], coef: &mut [f32]) -> usize {
    let mut n = 0;
    for (i, &v) in x.iter().enumerate() {
        idx[n] = i as u32;
        coef[n] = v;
        n += usize::from(v != 0.0);
    }
    n
}

pub(super) struct Scratch {
    pub(super) u: Vec<f32>,
    /// The gated `u` the first layer reads, when the network has a gate.
    pub(super) x: Vec<f32>,
    pub(super) gu: Vec<f32>,
    pub(super) gc: Vec<f32>,
    pub(super) h1: Vec<f32>,
    pub(super) acts: Vec<Vec<f32>>,
    pub(super) deltas: Vec<Vec<f32>>,
    pub(super) dh1: Vec<f32>,
    pub(super) idx: Vec<u32>,
    pub(super) coef: Vec<f32>,
    pub(super) all: Vec<u32>,
}

