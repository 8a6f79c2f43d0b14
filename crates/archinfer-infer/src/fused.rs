//! The fused CPU path: forward and backward of an MLP-shaped value network written out on
//! `f32` slices, for the small networks of the paper (`[u, z] → 50 → 10 → 1`).
//!
//! Why it exists: one ascent step touches a few thousand weights, so a tensor library's
//! per-op overhead (allocation, dispatch, autodiff graph) dominates. Here the starts are
//! independent, so each thread carries its share of them through every iteration with no
//! synchronisation; the `z` half of the first layer is folded into its bias once, since it
//! never changes during an ascent; ReLU units that are off are skipped in the backward pass;
//! and the softmax uses a branch-free exponential that vectorises. On x86-64 CPUs with AVX2 and
//! FMA, the same code is compiled a second time for those instructions and picked at run time.
//! [`crate::ascend`] (the burn autodiff path) stays the reference; tests check that both agree.

use std::ops::Range;

use archinfer_dvn::{Dvn, GateLayout};
use archinfer_encoding::ArchitectureSpace;
use burn::tensor::Tensor;

use crate::cost::Penalty;
use crate::{AscentConfig, InferError, Result, Solution, check_inputs, finish};

/// One dense layer on the host: `y = x · weight + bias`, `weight` row-major `[n_in, n_out]`
/// (the value network crate's [`HostDense`](archinfer_dvn::HostDense)).
pub type HostLayer = archinfer_dvn::HostDense;

fn host<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data().try_to_vec::<f32>().map_err(|e| InferError::Invalid(format!("weights are not f32: {e:?}")))
}

/// Which compiled kernel the fused path runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernel {
    /// AVX2 + FMA where the CPU has them, else portable.
    #[default]
    Auto,
    /// The portable build only (for comparisons).
    Portable,
}

const LANES: usize = 8;

fn pad(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// A dense layer after the first, stored both ways round (rows of `weight` for the forward
/// pass, rows of its transpose for the backward pass), each row padded to whole lanes.
#[derive(Debug, Clone)]
struct Packed {
    n_in: usize,
    n_out: usize,
    /// `[n_in, pad(n_out)]`.
    w: Vec<f32>,
    /// `[n_out, pad(n_in)]`.
    wt: Vec<f32>,
    /// `[pad(n_out)]`.
    b: Vec<f32>,
}

/// An MLP value network `v(u) = w_L · relu(… relu(W_1 [u, z] + b_1) …) + b_L` with `z` fixed,
/// ready for the fused ascent.
#[derive(Debug, Clone)]
pub struct FusedMlp {
    u_dim: usize,
    h1: usize,
    /// `[u_dim, pad(h1)]`: rows of the `u` half of the first layer.
    w1u: Vec<f32>,
    /// `[h1, pad(u_dim)]`: its transpose.
    w1u_t: Vec<f32>,
    /// `b_1 + z · W_1z`, `[pad(h1)]`.
    c1: Vec<f32>,
    rest: Vec<Packed>,
    kernel: Kernel,
    /// The gate applied to `u` before the first layer ([`Dvn::gate`]), if any.
    gate: Option<GateLayout>,
}

fn transpose_padded(w: &[f32], n_in: usize, n_out: usize, row_len: usize) -> Vec<f32> {
    let mut t = vec![0.0; n_out * row_len];
    for i in 0..n_in {
        for o in 0..n_out {
            t[o * row_len + i] = w[i * n_out + o];
        }
    }
    t
}

/// Packs MLPs of equal depth reading `[u, z_k]` into one whose value is their mean (see
/// [`FusedMlp::from_dvn_ensemble`]); returns its layers and the concatenated `z`.
fn stack_members(parts: &[(Vec<HostLayer>, Vec<f32>)], u_dim: usize) -> Result<(Vec<HostLayer>, Vec<f32>)> {
    let depth = parts.first().map_or(0, |p| p.0.len());
    if depth < 2 || parts.iter().any(|p| p.0.len() != depth || p.0[0].n_in != u_dim + p.1.len()) {
        return Err(InferError::Invalid("ensemble members must be MLPs of equal depth (≥ 2) reading [u, z]".into()));
    }
    let k = parts.len() as f32;
    let z: Vec<f32> = parts.iter().flat_map(|p| p.1.iter().copied()).collect();
    let mut out = Vec::with_capacity(depth);
    for d in 0..depth {
        let last = d + 1 == depth;
        let n_in = if d == 0 { u_dim + z.len() } else { parts.iter().map(|p| p.0[d].n_in).sum() };
        let n_out = if last { 1 } else { parts.iter().map(|p| p.0[d].n_out).sum() };
        let mut weight = vec![0.0; n_in * n_out];
        let mut bias = vec![0.0; n_out];
        let (mut row0, mut col0, mut z0) = (0, 0, u_dim);
        for (layers, zk) in parts {
            let l = &layers[d];
            for i in 0..l.n_in {
                // Rows: in the first layer u is shared and each z block is the member's own.
                let r = if d == 0 { if i < u_dim { i } else { z0 + i - u_dim } } else { row0 + i };
                for o in 0..l.n_out {
                    let c = if last { 0 } else { col0 + o };
                    let w = l.weight[i * l.n_out + o];
                    weight[r * n_out + c] += if last { w / k } else { w };
                }
            }
            for o in 0..l.n_out {
                if last {
                    bias[0] += l.bias[o] / k;
                } else {
                    bias[col0 + o] = l.bias[o];
                }
            }
            z0 += zk.len();
            row0 += l.n_in;
            col0 += l.n_out;
        }
        out.push(HostLayer { n_in, n_out, weight, bias });
    }
    Ok((out, z))
}

fn rows_padded(w: &[f32], rows: Range<usize>, n_out: usize) -> Vec<f32> {
    let p = pad(n_out);
    let mut out = vec![0.0; rows.len() * p];
    for (r, i) in rows.enumerate() {
        out[r * p..r * p + n_out].copy_from_slice(&w[i * n_out..(i + 1) * n_out]);
    }
    out
}

impl FusedMlp {
    /// Packs `layers` (ReLU between them, one output unit at the end) whose first layer reads
    /// `[u, z]`, with `u` of length `u_dim` and the task embedding `z` (empty for none).
    ///
    /// # Errors
    /// No layers, widths that do not chain, a first layer not `u_dim + z.len()` wide, a last
    /// layer with more than one output, or non-finite weights or `z`.
    pub fn new(layers: &[HostLayer], u_dim: usize, z: &[f32]) -> Result<Self> {
        let bad = |m: String| Err(InferError::Invalid(m));
        let Some(first) = layers.first() else { return bad("no layers".into()) };
        if first.n_in != u_dim + z.len() {
            return bad(format!("the first layer reads {} inputs, u and z have {}", first.n_in, u_dim + z.len()));
        }
        for (k, l) in layers.iter().enumerate() {
            if l.weight.len() != l.n_in * l.n_out || l.bias.len() != l.n_out || l.n_out == 0 {
                return bad(format!("layer {k}: weight or bias of the wrong length"));
            }
            if l.weight.iter().chain(&l.bias).any(|x| !x.is_finite()) {
                return bad(format!("layer {k}: non-finite weights"));
            }
            if k > 0 && layers[k - 1].n_out != l.n_in {
                return bad(format!("layer {k} reads {} inputs, layer {} writes {}", l.n_in, k - 1, layers[k - 1].n_out));
            }
        }
        if layers.last().map(|l| l.n_out) != Some(1) {
            return bad("the last layer must have one output".into());
        }
        if z.iter().any(|x| !x.is_finite()) {
            return bad("non-finite task embedding".into());
        }
        let h1 = first.n_out;
        let mut c1 = vec![0.0; pad(h1)];
        for (j, c) in c1.iter_mut().take(h1).enumerate() {
            let mut s = first.bias[j];
            for (i, zi) in z.iter().enumerate() {
                s += zi * first.weight[(u_dim + i) * h1 + j];
            }
            *c = s;
        }
        let rest = layers[1..]
            .iter()
            .map(|l| Packed {
                n_in: l.n_in,
                n_out: l.n_out,
                w: rows_padded(&l.weight, 0..l.n_in, l.n_out),
                wt: transpose_padded(&l.weight, l.n_in, l.n_out, pad(l.n_in)),
                b: {
                    let mut b = l.bias.clone();
                    b.resize(pad(l.n_out), 0.0);
                    b
                },
            })
            .collect();
        Ok(Self {
            u_dim,
            h1,
            w1u: rows_padded(&first.weight, 0..u_dim, h1),
            w1u_t: transpose_padded(&first.weight[..u_dim * h1], u_dim, h1, pad(u_dim)),
            c1,
            rest,
            kernel: Kernel::Auto,
            gate: None,
        })
    }

    /// Packs the regressor `ρ` of a [`Dvn`] for the task embedded as `z` `[1, z_width]` (`None`
    /// for a network without meta-features).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn from_dvn(dvn: &Dvn, z: Option<Tensor<2>>) -> Result<Self> {
        // A one-member ensemble packs to exactly the network's own layers.
        Self::from_dvn_ensemble(&[(dvn, z)])
    }

    /// The mean of several DVNs' regressors, each with its own task embedding, packed as one
    /// MLP: the members' first layers side by side (each reading `u` and its own `z`), the
    /// later layers block-diagonal, the output weights divided by the number of members. Its
    /// value is the ensemble mean, and the ascent climbs the mean.
    ///
    /// # Errors
    /// No members, members for another `u` length, or as [`new`](Self::new).
    pub fn from_dvn_ensemble(members: &[(&Dvn, Option<Tensor<2>>)]) -> Result<Self> {
        use archinfer_dvn::ValueModel;
        let Some((first, _)) = members.first() else {
            return Err(InferError::Invalid("an ensemble needs at least one member".into()));
        };
        let u_dim = first.u_dim();
        let gate = first.gate().cloned();
        let mut parts = Vec::with_capacity(members.len());
        for (dvn, z) in members {
            if dvn.u_dim() != u_dim {
                return Err(InferError::Invalid("ensemble members for different u lengths".into()));
            }
            if dvn.gate() != gate.as_ref() {
                return Err(InferError::Invalid("ensemble members with and without a gated input".into()));
            }
            let z = match z {
                Some(t) => Some(host(t.clone())?),
                None => None,
            };
            // z (and FiLM's modulation) folded in: each member is a plain MLP over u.
            let layers = dvn.folded_layers(z.as_deref())?;
            parts.push((layers, Vec::new()));
        }
        let (layers, z) = stack_members(&parts, u_dim)?;
        let mut fused = Self::new(&layers, u_dim, &z)?;
        if let Some(g) = &gate
            && (g.alpha.iter().any(|r| r.end > u_dim) || g.beta_on.iter().any(|&b| b >= u_dim))
        {
            return Err(InferError::Invalid("the gate reads outside u".into()));
        }
        fused.gate = gate;
        Ok(fused)
    }

    /// The same network, running `kernel`.
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// Length of `u`.
    pub fn u_dim(&self) -> usize {
        self.u_dim
    }

    /// Whether the AVX2 + FMA kernel runs (the CPU has them and [`Kernel::Auto`] is set).
    pub fn uses_simd(&self) -> bool {
        self.kernel == Kernel::Auto && simd_available()
    }

    fn scratch(&self) -> Scratch {
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
                    return Err(InferError::Invalid(format!("u of length {} for a network of {}", row.len(), self.u_dim)));
                }
                s.u[..self.u_dim].copy_from_slice(row);
                let u = std::mem::take(&mut s.u);
                let v = self.forward_backward::<Plain>(&u, &mut s, false);
                s.u = u;
                Ok(v)
            })
            .collect()
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
            return Err(InferError::Invalid(format!("the network takes u of length {}, the space {}", self.u_dim, space.dim())));
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

    /// Runs the ascent (same rules as [`crate::ascend`]) from `starts`, the starts split over
    /// `cfg.threads` threads.
    ///
    /// # Errors
    /// As [`crate::ascend`].
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
            return Err(InferError::Invalid("an ascent thread failed".into()));
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

    #[inline(always)]
    fn run_chunk_with<M: Madd>(&self, groups: &[Range<usize>], starts: &[Vec<f32>], cfg: &AscentConfig, penalty: Option<&Penalty>) -> Vec<StartRun> {
        const SLOTS: usize = 4;
        let d = self.u_dim;
        let step = cfg.step as f32;
        let mut scr: Vec<Scratch> = (0..SLOTS).map(|_| self.scratch()).collect();
        let mut gl = vec![0.0; d];
        let mut out = Vec::with_capacity(starts.len());
        // Starts move in lockstep blocks of four so that the first layer's weights are read
        // once per block; each start still stops on its own. Plain loops, not iterator
        // closures: a closure is a function of its own and would not inherit this function's
        // target features.
        for block in starts.chunks(SLOTS) {
            let n = block.len();
            let mut ls: Vec<Vec<f32>> = (0..SLOTS).map(|i| block[i.min(n - 1)].clone()).collect();
            let mut active = [false; SLOTS];
            active[..n].fill(true);
            let mut prev: [Option<f32>; SLOTS] = [None; SLOTS];
            let mut iterations = [0usize; SLOTS];
            let mut traces: Vec<Vec<f32>> = vec![Vec::new(); SLOTS];
            for _ in 0..cfg.max_iters {
                if !active.contains(&true) {
                    break;
                }
                for i in 0..SLOTS {
                    if active[i] {
                        relax_into::<M>(groups, &ls[i], &mut scr[i].u);
                        if let Some(g) = &self.gate {
                            let s = &mut scr[i];
                            g.apply(&s.u[..d], &mut s.x[..d]);
                        }
                    }
                }
                self.first_layer_x4::<M>(&mut scr);
                for i in 0..SLOTS {
                    if !active[i] {
                        continue;
                    }
                    let obj = self.finish_step::<M>(groups, &mut gl, &mut scr[i], penalty);
                    if let Some(p) = prev[i]
                        && f64::from((obj - p).abs()) < cfg.tolerance
                    {
                        active[i] = false;
                        continue;
                    }
                    traces[i].push(obj);
                    for (x, &g) in ls[i].iter_mut().zip(&gl) {
                        *x = M::madd(step, g, *x);
                    }
                    iterations[i] += 1;
                    prev[i] = Some(obj);
                }
            }
            for i in 0..n {
                let s = &mut scr[i];
                relax_into::<M>(groups, &ls[i], &mut s.u);
                let u = std::mem::take(&mut s.u);
                let value = self.forward_backward::<M>(&u, s, false);
                s.u = u;
                let u = s.u[..d].to_vec();
                let expected_params = penalty.map(|p| p.cost.expected(&u));
                let logits = std::mem::take(&mut ls[i]);
                let trace = std::mem::take(&mut traces[i]);
                out.push(StartRun { logits, u, value, expected_params, iterations: iterations[i], trace });
            }
        }
        out
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
        let mut obj = self.after_first_layer::<M>(s, true);
        if let Some(g) = &self.gate {
            g.backward(&u[..d], &mut s.gu[..d]);
        }
        if let Some(p) = penalty {
            let c = p.cost.expected_and_grad(&u[..d], &mut s.gc[..d]);
            let k = p.scale();
            obj -= k * c;
            for (g, c) in s.gu[..d].iter_mut().zip(&s.gc[..d]) {
                *g -= k * c;
            }
        }
        // Softmax backward, per group: dl_i = u_i (g_i − Σ_j u_j g_j).
        for g in groups {
            let (ug, gug, glg) = (&u[g.clone()], &s.gu[g.clone()], &mut gl[g.clone()]);
            let mut dot = 0.0;
            for (a, b) in ug.iter().zip(gug) {
                dot = M::madd(*a, *b, dot);
            }
            for ((o, a), b) in glg.iter_mut().zip(ug).zip(gug) {
                *o = a * (b - dot);
            }
        }
        s.u = u;
        obj
    }

    /// Value of `u` (padded); with `grad`, its gradient w.r.t. `u` into `s.gu`.
    #[inline(always)]
    /// (Only the value is used with a gate: `s.gu` is then `∂v/∂x`, not `∂v/∂u`.)
    fn forward_backward<M: Madd>(&self, u: &[f32], s: &mut Scratch, grad: bool) -> f32 {
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

    /// The first layer's pre-activations of four starts at once (`scr[i].u` → `scr[i].h1`):
    /// every weight row is loaded once for the four.
    #[inline(always)]
    fn first_layer_x4<M: Madd>(&self, scr: &mut [Scratch]) {
        let [a, b, c, d] = scr else { return };
        let n = self.u_dim;
        let us = if self.gate.is_some() {
            [&a.x[..n], &b.x[..n], &c.x[..n], &d.x[..n]]
        } else {
            [&a.u[..n], &b.u[..n], &c.u[..n], &d.u[..n]]
        };
        let mut hs = [&mut a.h1, &mut b.h1, &mut c.h1, &mut d.h1];
        let stride = pad(self.h1);
        let nv = stride / LANES;
        let mut v0 = 0;
        while v0 < nv {
            // Two lane-vectors × four starts: eight accumulators, no spills.
            let k = (nv - v0).min(2);
            if k == 2 {
                block2_x4::<M>(&mut hs, &self.c1, &self.w1u, stride, us, v0 * LANES);
            } else {
                block1_x4::<M>(&mut hs, &self.c1, &self.w1u, stride, us, v0 * LANES);
            }
            v0 += k;
        }
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
fn compact(x: &[f32], idx: &mut [u32], coef: &mut [f32]) -> usize {
    let mut n = 0;
    for (i, &v) in x.iter().enumerate() {
        idx[n] = i as u32;
        coef[n] = v;
        n += usize::from(v != 0.0);
    }
    n
}

/// One start's finished ascent, before discretisation.
#[derive(Debug, Clone, Default)]
pub(crate) struct StartRun {
    pub logits: Vec<f32>,
    pub u: Vec<f32>,
    pub value: f32,
    pub expected_params: Option<f32>,
    pub iterations: usize,
    pub trace: Vec<f32>,
}

struct Scratch {
    u: Vec<f32>,
    /// The gated `u` the first layer reads, when the network has a gate.
    x: Vec<f32>,
    gu: Vec<f32>,
    gc: Vec<f32>,
    h1: Vec<f32>,
    acts: Vec<Vec<f32>>,
    deltas: Vec<Vec<f32>>,
    dh1: Vec<f32>,
    idx: Vec<u32>,
    coef: Vec<f32>,
    all: Vec<u32>,
}

fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Multiply-add, fused where the kernel is compiled for FMA (plain `a * b + c` otherwise: a
/// software `fma` would be slow).
trait Madd {
    fn madd(a: f32, b: f32, c: f32) -> f32;
}

struct Plain;
impl Madd for Plain {
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

struct Fma;
impl Madd for Fma {
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// `y = init + Σ_n coef[n] · rows[idx[n]]` over rows of length `stride` (a multiple of
/// [`LANES`]); up to four lane-vectors of `y` are accumulated at once so that the multiply-adds
/// of one row form independent chains.
#[inline(always)]
fn gemv_rows<M: Madd>(y: &mut [f32], init: Option<&[f32]>, rows: &[f32], stride: usize, idx: &[u32], coef: &[f32]) {
    let nv = stride / LANES;
    let mut v0 = 0;
    while v0 < nv {
        let n = (nv - v0).min(4);
        match n {
            4 => block::<M, 4>(y, init, rows, stride, idx, coef, v0),
            3 => block::<M, 3>(y, init, rows, stride, idx, coef, v0),
            2 => block::<M, 2>(y, init, rows, stride, idx, coef, v0),
            _ => block::<M, 1>(y, init, rows, stride, idx, coef, v0),
        }
        v0 += n;
    }
}

#[inline(always)]
fn block<M: Madd, const NV: usize>(y: &mut [f32], init: Option<&[f32]>, rows: &[f32], stride: usize, idx: &[u32], coef: &[f32], v0: usize) {
    let c0 = v0 * LANES;
    let mut acc = [[0.0f32; LANES]; NV];
    if let Some(init) = init {
        for (q, a) in acc.iter_mut().enumerate() {
            a.copy_from_slice(&init[c0 + q * LANES..c0 + (q + 1) * LANES]);
        }
    }
    for (&i, &c) in idx.iter().zip(coef) {
        let off = i as usize * stride + c0;
        let r = &rows[off..off + NV * LANES];
        for (q, a) in acc.iter_mut().enumerate() {
            let rq = &r[q * LANES..(q + 1) * LANES];
            for j in 0..LANES {
                a[j] = M::madd(c, rq[j], a[j]);
            }
        }
    }
    for (q, a) in acc.iter().enumerate() {
        y[c0 + q * LANES..c0 + (q + 1) * LANES].copy_from_slice(a);
    }
}

/// `a + c · r` lane-wise, written out so that it compiles to one vector multiply-add.
#[inline(always)]
fn fma8<M: Madd>(c: f32, r: &[f32; LANES], a: [f32; LANES]) -> [f32; LANES] {
    [
        M::madd(c, r[0], a[0]),
        M::madd(c, r[1], a[1]),
        M::madd(c, r[2], a[2]),
        M::madd(c, r[3], a[3]),
        M::madd(c, r[4], a[4]),
        M::madd(c, r[5], a[5]),
        M::madd(c, r[6], a[6]),
        M::madd(c, r[7], a[7]),
    ]
}

#[inline(always)]
fn lanes(x: &[f32], at: usize) -> &[f32; LANES] {
    x[at..at + LANES].try_into().unwrap_or(&[0.0; LANES])
}

/// [`block`] for four starts and two lane-vectors: `ys[s] = init + Σ_k us[s][k] · rows[k]` on
/// columns `c0 .. c0 + 16` — eight named accumulators, each weight load used four times.
/// (Named variables, not a nested array: LLVM keeps them in registers.)
#[inline(always)]
fn block2_x4<M: Madd>(ys: &mut [&mut Vec<f32>; 4], init: &[f32], rows: &[f32], stride: usize, us: [&[f32]; 4], c0: usize) {
    let (i0, i1) = (*lanes(init, c0), *lanes(init, c0 + LANES));
    let (mut a00, mut a01, mut a10, mut a11, mut a20, mut a21, mut a30, mut a31) = (i0, i1, i0, i1, i0, i1, i0, i1);
    let n = us[0].len();
    let [u0, u1, u2, u3] = us;
    let (u1, u2, u3) = (&u1[..n], &u2[..n], &u3[..n]);
    for k in 0..n {
        let off = k * stride + c0;
        let (r0, r1) = (lanes(rows, off), lanes(rows, off + LANES));
        a00 = fma8::<M>(u0[k], r0, a00);
        a01 = fma8::<M>(u0[k], r1, a01);
        a10 = fma8::<M>(u1[k], r0, a10);
        a11 = fma8::<M>(u1[k], r1, a11);
        a20 = fma8::<M>(u2[k], r0, a20);
        a21 = fma8::<M>(u2[k], r1, a21);
        a30 = fma8::<M>(u3[k], r0, a30);
        a31 = fma8::<M>(u3[k], r1, a31);
    }
    for (y, (a, b)) in ys.iter_mut().zip([(a00, a01), (a10, a11), (a20, a21), (a30, a31)]) {
        y[c0..c0 + LANES].copy_from_slice(&a);
        y[c0 + LANES..c0 + 2 * LANES].copy_from_slice(&b);
    }
}

/// [`block2_x4`] for one lane-vector.
#[inline(always)]
fn block1_x4<M: Madd>(ys: &mut [&mut Vec<f32>; 4], init: &[f32], rows: &[f32], stride: usize, us: [&[f32]; 4], c0: usize) {
    let i0 = *lanes(init, c0);
    let (mut a0, mut a1, mut a2, mut a3) = (i0, i0, i0, i0);
    let n = us[0].len();
    let [u0, u1, u2, u3] = us;
    let (u1, u2, u3) = (&u1[..n], &u2[..n], &u3[..n]);
    for k in 0..n {
        let r = lanes(rows, k * stride + c0);
        a0 = fma8::<M>(u0[k], r, a0);
        a1 = fma8::<M>(u1[k], r, a1);
        a2 = fma8::<M>(u2[k], r, a2);
        a3 = fma8::<M>(u3[k], r, a3);
    }
    for (y, a) in ys.iter_mut().zip([a0, a1, a2, a3]) {
        y[c0..c0 + LANES].copy_from_slice(&a);
    }
}

/// `e^x` for `x ≤ 0`, branch-free so that loops over it vectorise; relative error below
/// 2·10⁻⁷ (Cody–Waite reduction, degree-6 Taylor polynomial on |r| ≤ ln2/2); `e^x` for
/// `x < −87` is taken as `e^−87`, far below anything a softmax over a few options can use.
#[inline(always)]
fn exp_nonpositive<M: Madd>(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2²³: adding it rounds to an integer
    // Comparisons, not `f32::max`, whose NaN rules cost a blend per element.
    let x = if x < -87.0 { -87.0 } else { x };
    let t = x * LOG2E + MAGIC;
    let n = t - MAGIC;
    let r = M::madd(-n, LN2_LO, M::madd(-n, LN2_HI, x));
    let mut p = 1.0 / 720.0;
    p = M::madd(p, r, 1.0 / 120.0);
    p = M::madd(p, r, 1.0 / 24.0);
    p = M::madd(p, r, 1.0 / 6.0);
    p = M::madd(p, r, 0.5);
    p = M::madd(p, r, 1.0);
    p = M::madd(p, r, 1.0);
    // The integer n sits in the low mantissa bits of t; 2ⁿ is (n + 127) << 23. Integer
    // operations on the bits, not a float-to-int conversion, so that the loop vectorises.
    let n_bits = t.to_bits().wrapping_sub(0x4B40_0000);
    p * f32::from_bits(n_bits.wrapping_add(127) << 23)
}

/// Per-group softmax of `l` into `u` (`u` may be longer; its tail is left alone).
#[inline(always)]
fn relax_into<M: Madd>(groups: &[Range<usize>], l: &[f32], u: &mut [f32]) {
    let d = l.len();
    let u = &mut u[..d];
    for g in groups {
        let seg = &l[g.clone()];
        let mut m = seg[0];
        for &x in seg {
            m = if x > m { x } else { m };
        }
        for (o, &x) in u[g.clone()].iter_mut().zip(seg) {
            *o = x - m;
        }
    }
    for x in u.iter_mut() {
        *x = exp_nonpositive::<M>(*x);
    }
    for g in groups {
        let seg = &mut u[g.clone()];
        let mut sum = 0.0;
        for &x in seg.iter() {
            sum += x;
        }
        let inv = 1.0 / sum;
        for x in seg.iter_mut() {
            *x *= inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_is_accurate() {
        let mut worst = 0.0f64;
        for k in 0..=87_000 {
            let x = -(k as f32) / 1000.0;
            let a = f64::from(exp_nonpositive::<Plain>(x));
            let b = f64::from(x).exp();
            worst = worst.max((a - b).abs() / b);
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert!(exp_nonpositive::<Plain>(-1e9) > 0.0 && exp_nonpositive::<Plain>(-1e9) < 1e-37);
    }

    #[test]
    fn tiny_network_by_hand() {
        // u = [1, 0], z = [2]; layer 1: 2 units, layer 2: 1 unit, layer 3: 1 output.
        // h1 = relu([1·1 + 0·0 + 2·0.5 + 0, 1·(−1) + 2·0.25 + 0]) = relu([2, −0.5]) = [2, 0]
        // h2 = relu(2·3 + 0·7 + 1) = 7; v = 7·2 − 1 = 13
        // dv/dh2 = 2, dv/dh1 = [2·3, 0 (ReLU off)], dv/du = [6·1, 6·0] = [6, 0]
        let l1 = HostLayer { n_in: 3, n_out: 2, weight: vec![1.0, -1.0, 0.0, 0.0, 0.5, 0.25], bias: vec![0.0, 0.0] };
        let l2 = HostLayer { n_in: 2, n_out: 1, weight: vec![3.0, 7.0], bias: vec![1.0] };
        let l3 = HostLayer { n_in: 1, n_out: 1, weight: vec![2.0], bias: vec![-1.0] };
        let net = FusedMlp::new(&[l1, l2, l3], 2, &[2.0]).unwrap();
        let mut s = net.scratch();
        s.u[..2].copy_from_slice(&[1.0, 0.0]);
        let u = s.u.clone();
        let v = net.forward_backward::<Plain>(&u, &mut s, true);
        assert!((v - 13.0).abs() < 1e-6);
        assert_eq!(&s.gu[..2], &[6.0, 0.0]);
        assert_eq!(net.values(&[vec![1.0, 0.0]]).unwrap(), vec![13.0]);
    }

    #[test]
    fn stacked_members_average_their_values() {
        let mk = |i: usize, o: usize, seed: usize| HostLayer {
            n_in: i,
            n_out: o,
            weight: (0..i * o).map(|j| (((j * 7 + seed * 13) % 11) as f32 - 5.0) / 7.0).collect(),
            bias: (0..o).map(|j| ((j + seed) % 3) as f32 / 10.0).collect(),
        };
        let u_dim = 5;
        let parts = vec![
            (vec![mk(u_dim + 2, 4, 1), mk(4, 3, 2), mk(3, 1, 3)], vec![0.5, -1.0]),
            (vec![mk(u_dim + 3, 6, 4), mk(6, 2, 5), mk(2, 1, 6)], vec![1.0, 0.2, -0.3]),
            (vec![mk(u_dim, 3, 7), mk(3, 3, 8), mk(3, 1, 9)], vec![]),
        ];
        let (layers, z) = stack_members(&parts, u_dim).unwrap();
        let stacked = FusedMlp::new(&layers, u_dim, &z).unwrap();
        let singles: Vec<FusedMlp> = parts.iter().map(|(l, z)| FusedMlp::new(l, u_dim, z).unwrap()).collect();
        let u = vec![vec![0.2, 0.1, 0.3, 0.25, 0.15], vec![1.0, 0.0, 0.0, 0.0, 1.0]];
        let want: Vec<f32> = (0..2).map(|r| singles.iter().map(|n| n.values(&u).unwrap()[r]).sum::<f32>() / 3.0).collect();
        let got = stacked.values(&u).unwrap();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        assert!(stack_members(&[], u_dim).is_err());
    }

    #[test]
    fn malformed_layers_are_errors() {
        let l = |i, o| HostLayer { n_in: i, n_out: o, weight: vec![0.1; i * o], bias: vec![0.0; o] };
        assert!(FusedMlp::new(&[], 2, &[]).is_err());
        assert!(FusedMlp::new(&[l(3, 2), l(2, 1)], 2, &[]).is_err(), "first layer too wide for u");
        assert!(FusedMlp::new(&[l(2, 2), l(3, 1)], 2, &[]).is_err(), "widths do not chain");
        assert!(FusedMlp::new(&[l(2, 2), l(2, 2)], 2, &[]).is_err(), "two outputs");
        assert!(FusedMlp::new(&[l(3, 2), l(2, 1)], 2, &[f32::NAN]).is_err());
        assert!(FusedMlp::new(&[l(3, 2), l(2, 1)], 2, &[1.0]).is_ok());
    }
}
