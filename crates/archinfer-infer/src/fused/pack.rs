//! Packing a value network for the fused path: weights to the host once, rows padded to
//! whole lanes and stored both ways round, `z` (and FiLM) folded in, ensembles stacked into one
//! MLP.

use std::ops::Range;

use archinfer_dvn::Dvn;
use burn::tensor::Tensor;

use super::kernels::pad;
use super::mlp::{FusedMlp, HostLayer, Kernel, Packed};
use crate::error::InferError;
use crate::error::Result;

pub(super) fn host<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data().try_to_vec::<f32>().map_err(|e| InferError::Backend(format!("weights are not f32: {e:?}")))
}


pub(super) fn transpose_padded(w: &[f32], n_in: usize, n_out: usize, row_len: usize) -> Vec<f32> {
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
pub(super) fn stack_members(parts: &[(Vec<HostLayer>, Vec<f32>)], u_dim: usize) -> Result<(Vec<HostLayer>, Vec<f32>)> {
    let depth = parts.first().map_or(0, |p| p.0.len());
    if depth < 2 || parts.iter().any(|p| p.0.len() != depth || p.0[0].n_in != u_dim + p.1.len()) {
        return Err(InferError::Ensemble("members must be MLPs of equal depth (≥ 2) reading [u, z]"));
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

pub(super) fn rows_padded(w: &[f32], rows: Range<usize>, n_out: usize) -> Vec<f32> {
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
    /// Fewer than two layers, widths that do not chain, a first layer not `u_dim + z.len()` wide, a last
    /// layer with more than one output, or non-finite weights or `z`.
    pub fn new(layers: &[HostLayer], u_dim: usize, z: &[f32]) -> Result<Self> {
        let bad = |m: String| Err(InferError::Pack(m));
        let Some(first) = layers.first() else { return bad("no layers".into()) };
        if layers.len() < 2 {
            return bad("at least two layers (a hidden layer and the output)".into());
        }
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
            return Err(InferError::Ensemble("an ensemble needs at least one member"));
        };
        let u_dim = first.u_dim();
        let gate = first.gate().cloned();
        let mut parts = Vec::with_capacity(members.len());
        for (dvn, z) in members {
            if dvn.u_dim() != u_dim {
                return Err(InferError::Ensemble("members for different u lengths"));
            }
            if dvn.gate() != gate.as_ref() {
                return Err(InferError::Ensemble("members with and without a gated input"));
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
            return Err(InferError::Pack("the gate reads outside u".into()));
        }
        fused.gate = gate;
        Ok(fused)
    }
}
