//! The multi-start loop on the fused path as matrix products over a block of starts.
//!
//! A thread's starts move together, eight at a time, one start per SIMD lane: every vector
//! holds one quantity of eight starts. Each layer's forward and backward pass is then one
//! [`gemm_lanes`] over the block (a weight is loaded once and multiplies eight starts), and the
//! softmax, the gate, the masks and the update run on whole vectors whatever the group sizes.
//! Every operation of one lane is the one the start-by-start kernel does, in the same order, so
//! a start's numbers do not depend on which block carries it.

use std::ops::Range;

use super::ascent::Scratch;
use super::kernels::{LANES, Lanes, Madd, exp_nonpositive, gemm_lanes, relax_into};
use super::mlp::FusedMlp;
use crate::ascent::{AscentConfig, StartRun};
use crate::cost::Penalty;

const ZERO: Lanes = [0.0; LANES];

/// One block's state, feature-major (`l[i][s]` is logit `i` of the block's start `s`).
pub(super) struct Block {
    l: Vec<Lanes>,
    u: Vec<Lanes>,
    /// The gated `u`, when the network has a gate.
    x: Vec<Lanes>,
    gu: Vec<Lanes>,
    gl: Vec<Lanes>,
    h1: Vec<Lanes>,
    dh1: Vec<Lanes>,
    acts: Vec<Vec<Lanes>>,
    deltas: Vec<Vec<Lanes>>,
    /// One start's `u` and penalty gradient, for the penalty's per-start cost model.
    row: Vec<f32>,
    row_gc: Vec<f32>,
    obj: Lanes,
}

impl FusedMlp {
    fn block(&self) -> Block {
        let d = self.u_dim;
        let mut deltas: Vec<Vec<Lanes>> = self.rest.iter().map(|l| vec![ZERO; l.n_out]).collect();
        // δ of the output is 1 for every start, and never overwritten.
        if let Some(last) = deltas.last_mut() {
            last[0] = [1.0; LANES];
        }
        Block {
            l: vec![ZERO; d],
            u: vec![ZERO; d],
            x: vec![ZERO; d],
            gu: vec![ZERO; d],
            gl: vec![ZERO; d],
            h1: vec![ZERO; self.h1],
            dh1: vec![ZERO; self.h1],
            acts: self.rest.iter().map(|l| vec![ZERO; l.n_out]).collect(),
            deltas,
            row: vec![0.0; d],
            row_gc: vec![0.0; d],
            obj: ZERO,
        }
    }

    /// The ascent of `starts` on this thread, in blocks of [`LANES`] starts.
    #[inline(always)]
    pub(super) fn run_chunk_with<M: Madd>(&self, groups: &[Range<usize>], starts: &[Vec<f32>], cfg: &AscentConfig, penalty: Option<&Penalty>) -> Vec<StartRun> {
        let mut b = self.block();
        let mut single = self.scratch();
        let mut out = Vec::with_capacity(starts.len());
        // Plain loops, not iterator closures: a closure is a function of its own and would not
        // inherit the caller's target features.
        for chunk in starts.chunks(LANES) {
            self.run_block::<M>(groups, chunk, cfg, penalty, &mut b, &mut single, &mut out);
        }
        out
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn run_block<M: Madd>(
        &self,
        groups: &[Range<usize>],
        starts: &[Vec<f32>],
        cfg: &AscentConfig,
        penalty: Option<&Penalty>,
        b: &mut Block,
        single: &mut Scratch,
        out: &mut Vec<StartRun>,
    ) {
        let d = self.u_dim;
        let n = starts.len();
        let step = cfg.step as f32;
        // Lanes past the last start carry a copy of the last, whose results are dropped.
        for (i, l) in b.l.iter_mut().enumerate() {
            for (s, v) in l.iter_mut().enumerate() {
                *v = starts[s.min(n - 1)][i];
            }
        }
        let mut active = [false; LANES];
        active[..n].fill(true);
        let mut prev: [Option<f32>; LANES] = [None; LANES];
        let mut iterations = [0usize; LANES];
        let mut traces: Vec<Vec<f32>> = vec![Vec::new(); n];
        for _ in 0..cfg.max_iters {
            if !active.contains(&true) {
                break;
            }
            self.block_step::<M>(groups, b, n, penalty);
            let mut moving = [0.0f32; LANES];
            for s in 0..n {
                if !active[s] {
                    continue;
                }
                let obj = b.obj[s];
                if let Some(p) = prev[s]
                    && f64::from((obj - p).abs()) < cfg.tolerance
                {
                    active[s] = false;
                    continue;
                }
                traces[s].push(obj);
                iterations[s] += 1;
                prev[s] = Some(obj);
                moving[s] = 1.0;
            }
            // l += step · g on the lanes still moving; a stopped lane keeps its logits exactly.
            for (l, g) in b.l.iter_mut().zip(&b.gl) {
                for j in 0..LANES {
                    let next = M::madd(step, g[j], l[j]);
                    l[j] = if moving[j] != 0.0 { next } else { l[j] };
                }
            }
        }
        for (s, trace) in traces.into_iter().enumerate() {
            let logits: Vec<f32> = b.l.iter().map(|l| l[s]).collect();
            relax_into::<M>(groups, &logits, &mut single.u);
            let u = std::mem::take(&mut single.u);
            let value = self.forward_backward::<M>(&u, single, false);
            single.u = u;
            let u = single.u[..d].to_vec();
            let expected_params = penalty.map(|p| p.cost.expected(&u));
            out.push(StartRun { logits, u, value, expected_params, iterations: iterations[s], trace });
        }
    }

    /// One ascent step of every lane of `b` (the first `n` hold starts): objectives into
    /// `b.obj`, gradients with respect to the logits into `b.gl`.
    #[inline(always)]
    fn block_step<M: Madd>(&self, groups: &[Range<usize>], b: &mut Block, n: usize, penalty: Option<&Penalty>) {
        softmax_lanes::<M>(groups, &b.l, &mut b.u);
        if let Some(g) = &self.gate {
            b.x.copy_from_slice(&b.u);
            for (r, &on) in g.alpha.iter().zip(&g.beta_on) {
                let on = b.u[on];
                for i in r.clone() {
                    b.x[i] = mul(b.u[i], on);
                }
            }
        }
        let input = if self.gate.is_some() { &b.x } else { &b.u };
        gemm_lanes::<M>(&mut b.h1, Some(&self.c1), input, &self.w1u, crate::fused::kernels::pad(self.h1), self.h1);
        relu(&mut b.h1);
        let last = self.rest.len() - 1;
        for (k, layer) in self.rest.iter().enumerate() {
            let (before, after) = b.acts.split_at_mut(k);
            let input = if k == 0 { &b.h1 } else { &before[k - 1] };
            let ws = crate::fused::kernels::pad(layer.n_out);
            gemm_lanes::<M>(&mut after[0], Some(&layer.b), input, &layer.w, ws, layer.n_out);
            if k != last {
                relu(&mut after[0]);
            }
        }
        // Backward: through each later layer to its input, masked by the ReLU that made it.
        for k in (0..self.rest.len()).rev() {
            let layer = &self.rest[k];
            let (lo, hi) = b.deltas.split_at_mut(k);
            let (dst, input) = if k == 0 { (&mut b.dh1, &b.h1) } else { (&mut lo[k - 1], &b.acts[k - 1]) };
            gemm_lanes::<M>(dst, None, &hi[0], &layer.wt, crate::fused::kernels::pad(layer.n_in), layer.n_in);
            for (g, x) in dst.iter_mut().zip(input.iter()) {
                for j in 0..LANES {
                    // A multiply by 0 / 1, not a select: LLVM turns the select into a blend.
                    g[j] *= f32::from(u8::from(x[j] > 0.0));
                }
            }
        }
        gemm_lanes::<M>(&mut b.gu, None, &b.dh1, &self.w1u_t, crate::fused::kernels::pad(self.u_dim), self.u_dim);
        let mut obj = b.acts[last][0];
        if let Some(g) = &self.gate {
            // ∂v/∂u[α] = g[α] · u[on], ∂v/∂u[on] = g[on] + Σ g[α] · u[α] (as `GateLayout::backward`).
            for (r, &on) in g.alpha.iter().zip(&g.beta_on) {
                let uon = b.u[on];
                let mut extra = ZERO;
                for i in r.clone() {
                    extra = add(extra, mul(b.gu[i], b.u[i]));
                    b.gu[i] = mul(b.gu[i], uon);
                }
                b.gu[on] = add(b.gu[on], extra);
            }
        }
        if let Some(p) = penalty {
            let k = p.scale();
            // Lane by lane through the cost model, for the lanes that hold starts.
            for s in 0..n {
                for (r, u) in b.row.iter_mut().zip(&b.u) {
                    *r = u[s];
                }
                let c = p.cost.expected_and_grad(&b.row, &mut b.row_gc);
                obj[s] -= k * c;
                for (g, c) in b.gu.iter_mut().zip(&b.row_gc) {
                    g[s] -= k * c;
                }
            }
        }
        // Softmax backward, per group: dl_i = u_i (g_i − Σ_j u_j g_j).
        for g in groups {
            let (us, gus, gls) = (&b.u[g.clone()], &b.gu[g.clone()], &mut b.gl[g.clone()]);
            let mut dot = ZERO;
            for (u, gu) in us.iter().zip(gus) {
                for j in 0..LANES {
                    dot[j] = M::madd(u[j], gu[j], dot[j]);
                }
            }
            for ((o, u), gu) in gls.iter_mut().zip(us).zip(gus) {
                for j in 0..LANES {
                    o[j] = u[j] * (gu[j] - dot[j]);
                }
            }
        }
        b.obj = obj;
    }
}

/// Per-group softmax of the logits `l` into `u`, lane by lane, the operations of
/// [`relax_into`] in its order.
#[inline(always)]
fn softmax_lanes<M: Madd>(groups: &[Range<usize>], l: &[Lanes], u: &mut [Lanes]) {
    for g in groups {
        let (ls, us) = (&l[g.clone()], &mut u[g.clone()]);
        let mut m = ls[0];
        for x in ls {
            for j in 0..LANES {
                m[j] = if x[j] > m[j] { x[j] } else { m[j] };
            }
        }
        for (o, x) in us.iter_mut().zip(ls) {
            for j in 0..LANES {
                o[j] = x[j] - m[j];
            }
        }
    }
    for v in u.iter_mut() {
        for x in v.iter_mut() {
            *x = exp_nonpositive::<M>(*x);
        }
    }
    for g in groups {
        let us = &mut u[g.clone()];
        let mut sum = ZERO;
        for v in us.iter() {
            for j in 0..LANES {
                sum[j] += v[j];
            }
        }
        let mut inv = ZERO;
        for j in 0..LANES {
            inv[j] = 1.0 / sum[j];
        }
        for v in us.iter_mut() {
            for j in 0..LANES {
                v[j] *= inv[j];
            }
        }
    }
}

#[inline(always)]
fn relu(x: &mut [Lanes]) {
    for v in x.iter_mut() {
        for e in v.iter_mut() {
            *e = if *e > 0.0 { *e } else { 0.0 };
        }
    }
}

#[inline(always)]
fn mul(mut a: Lanes, b: Lanes) -> Lanes {
    for j in 0..LANES {
        a[j] *= b[j];
    }
    a
}

#[inline(always)]
fn add(mut a: Lanes, b: Lanes) -> Lanes {
    for j in 0..LANES {
        a[j] += b[j];
    }
    a
}
