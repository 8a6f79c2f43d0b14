//! The fused CPU trainer for discrete children: forward, backward and Adam for a plain MLP on
//! preallocated host buffers.
//!
//! Why it exists: a child is small (a 64-row batch through a few hundred units), so on a
//! tensor library the per-op work (dispatch, allocation, the autodiff graph, the optimiser's
//! tensors) costs more than the arithmetic. Here one training allocates its buffers once;
//! the matrix products go to the `gemm` crate (burn's CPU backend uses it too), and
//! everything else is a loop over slices. The whole loop is compiled twice, portable and
//! with AVX2 + FMA, and the second is picked at run time where the CPU has them.
//!
//! It computes what the burn path ([`crate::AdamTrainer`] with [`crate::TrainPath::Burn`])
//! computes: the same initial weights (drawn from the seed on the host), the same batch
//! order, softmax cross-entropy averaged over the batch, and burn's Adam (β = 0.9/0.999,
//! ε = 1e-5, L2 weight decay added to the gradient). Floating-point sums run in another
//! order, so trajectories drift apart slowly; a test bounds the accuracy difference.

mod gemm;
pub(crate) mod kernels;

use archinfer_data::Csr;
use archinfer_encoding::{Activation, HostDense};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::config::{SHUFFLE_SALT, TrainConfig};
use gemm::{View, matmul};
use kernels::{AdamStep, MaskRng};

/// Rows evaluated at once when measuring accuracy (buffers are sized for this or the batch).
const EVAL_ROWS: usize = 256;

/// Whether this CPU runs the AVX2 + FMA build of the loop.
pub fn simd_available() -> bool {
    archinfer_encoding::host_simd_available()
}

/// One split on the host: `n` rows of `dim` features, row-major (or, for a sparse module,
/// `sp`'s rows and an empty `x`), and their labels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostSplit<'a> {
    pub x: &'a [f32],
    pub y: &'a [u32],
    pub sp: Option<&'a Csr>,
}

/// The first layer's sparse input: the batch's rows, and the weight rows they touch with
/// their gradient (only those rows get one, and only those take an Adam step: lazy Adam).
struct SparseInput {
    ptr: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f32>,
    /// Per weight row: its place in `touched`, or `u32::MAX`.
    slot: Vec<u32>,
    /// The weight rows the batch touches, in order of first appearance.
    touched: Vec<u32>,
    /// `touched.len() × n_out` gradient rows.
    g: Vec<f32>,
}

/// What a fused training produced.
#[derive(Debug)]
pub(crate) struct FusedRun {
    pub val_accuracy: f32,
    pub test_accuracy: f32,
    pub final_loss: f32,
    pub epochs_run: usize,
    pub failure: Option<String>,
    /// Trained layers, hidden then classifier.
    pub layers: Vec<HostDense>,
}

struct Layer {
    p: HostDense,
    act: Option<Activation>,
    gw: Vec<f32>,
    gb: Vec<f32>,
    mw: Vec<f32>,
    vw: Vec<f32>,
    mb: Vec<f32>,
    vb: Vec<f32>,
}

struct Net {
    layers: Vec<Layer>,
    /// `acts[0]`: the input rows; `acts[l + 1]`: the output of layer `l` (logits last).
    acts: Vec<Vec<f32>>,
    /// `grads[l]`: gradient of the loss with respect to layer `l`'s pre-activation.
    grads: Vec<Vec<f32>>,
    /// Dropout scales of each hidden layer's output (empty without dropout).
    keep: Vec<Vec<f32>>,
    classes: usize,
    dim: usize,
    /// Set when the input is sparse: layer 0 reads these rows instead of `acts[0]`.
    sparse: Option<SparseInput>,
}

impl Net {
    #[cfg(test)]
    fn new(layers: Vec<HostDense>, activations: &[Activation], rows: usize, dropout: bool) -> Self {
        Self::with_input(layers, activations, rows, dropout, false)
    }

    fn with_input(layers: Vec<HostDense>, activations: &[Activation], rows: usize, dropout: bool, sparse: bool) -> Self {
        let dim = layers.first().map_or(0, |l| l.n_in);
        let classes = layers.last().map_or(0, |l| l.n_out);
        let widths: Vec<usize> = layers.iter().map(|l| l.n_out).collect();
        let hidden = layers.len().saturating_sub(1);
        let layers: Vec<Layer> = layers
            .into_iter()
            .enumerate()
            .map(|(l, p)| Layer {
                act: activations.get(l).copied().filter(|_| l < hidden),
                // A sparse first layer's gradient lives in `SparseInput::g`, rows touched only.
                gw: vec![0.0; if sparse && l == 0 { 0 } else { p.weight.len() }],
                gb: vec![0.0; p.bias.len()],
                mw: vec![0.0; p.weight.len()],
                vw: vec![0.0; p.weight.len()],
                mb: vec![0.0; p.bias.len()],
                vb: vec![0.0; p.bias.len()],
                p,
            })
            .collect();
        let acts = std::iter::once(if sparse { 0 } else { dim }).chain(widths.iter().copied()).map(|w| vec![0.0; rows * w]).collect();
        let grads = widths.iter().map(|&w| vec![0.0; rows * w]).collect();
        let keep = if dropout { widths[..hidden].iter().map(|&w| vec![0.0; rows * w]).collect() } else { Vec::new() };
        let sparse = sparse.then(|| SparseInput {
            ptr: Vec::with_capacity(rows + 1),
            cols: Vec::new(),
            vals: Vec::new(),
            slot: vec![u32::MAX; dim],
            touched: Vec::new(),
            g: Vec::new(),
        });
        Self { layers, acts, grads, keep, classes, dim, sparse }
    }

    /// Copies rows `idx` of `split` into the input (dense rows, or the sparse batch).
    #[inline(always)]
    fn gather_split(&mut self, split: HostSplit<'_>, idx: impl Iterator<Item = usize>) -> usize {
        let (Some(s), Some(c)) = (self.sparse.as_mut(), split.sp) else { return self.gather(split.x, idx) };
        s.ptr.clear();
        s.ptr.push(0);
        s.cols.clear();
        s.vals.clear();
        for i in idx {
            let (j, v) = c.row(i);
            s.cols.extend_from_slice(j);
            s.vals.extend_from_slice(v);
            s.ptr.push(s.cols.len());
        }
        s.ptr.len() - 1
    }

    /// Copies rows `idx` of `x` into the input buffer.
    #[inline(always)]
    fn gather(&mut self, x: &[f32], idx: impl Iterator<Item = usize>) -> usize {
        let d = self.dim;
        let mut m = 0;
        for (r, i) in idx.enumerate() {
            self.acts[0][r * d..(r + 1) * d].copy_from_slice(&x[i * d..(i + 1) * d]);
            m = r + 1;
        }
        m
    }

    /// Forward pass over the first `m` input rows; logits end in `acts.last()`.
    #[inline(always)]
    fn forward(&mut self, m: usize, dropout: Option<(f32, &mut MaskRng)>) {
        let mut dropout = dropout;
        for (l, layer) in self.layers.iter().enumerate() {
            let (n_in, n_out) = (layer.p.n_in, layer.p.n_out);
            let (before, after) = self.acts.split_at_mut(l + 1);
            let out = &mut after[0][..m * n_out];
            for row in out.chunks_exact_mut(n_out) {
                row.copy_from_slice(&layer.p.bias);
            }
            match (&self.sparse, l) {
                // Sparse × dense: each row adds the weight rows of its nonzero columns.
                (Some(s), 0) => {
                    for (r, row) in out.chunks_exact_mut(n_out).enumerate() {
                        for k in s.ptr[r]..s.ptr[r + 1] {
                            let (j, v) = (s.cols[k] as usize, s.vals[k]);
                            let w = &layer.p.weight[j * n_out..(j + 1) * n_out];
                            row.iter_mut().zip(w).for_each(|(o, w)| *o += v * w);
                        }
                    }
                }
                _ => matmul(out, View::new(&before[l][..m * n_in], m, n_in), View::new(&layer.p.weight, n_in, n_out), true),
            }
            if let Some(act) = layer.act {
                kernels::activate(act, out);
                if let Some((p, rng)) = dropout.as_mut() {
                    rng.dropout(*p, out, &mut self.keep[l]);
                }
            }
        }
    }

    /// Backward pass for the first `m` rows, given the logits' gradient in `grads.last()`;
    /// fills every layer's `gw`, `gb`.
    #[inline(always)]
    fn backward(&mut self, m: usize) {
        for l in (0..self.layers.len()).rev() {
            let (n_in, n_out) = (self.layers[l].p.n_in, self.layers[l].p.n_out);
            let (lower, upper) = self.grads.split_at_mut(l);
            let d = &upper[0][..m * n_out];
            let layer = &mut self.layers[l];
            match (self.sparse.as_mut(), l) {
                (Some(s), 0) => sparse_weight_grad(s, d, m, n_out),
                _ => matmul(&mut layer.gw, View::new(&self.acts[l][..m * n_in], m, n_in).t(), View::new(d, m, n_out), false),
            }
            layer.gb.fill(0.0);
            for row in d.chunks_exact(n_out) {
                layer.gb.iter_mut().zip(row).for_each(|(g, v)| *g += v);
            }
            if l == 0 {
                break;
            }
            let below = &mut lower[l - 1][..m * n_in];
            matmul(below, View::new(d, m, n_out), View::new(&layer.p.weight, n_in, n_out).t(), false);
            if let Some(act) = self.layers[l - 1].act {
                let keep = self.keep.get(l - 1).map(|k| &k[..m * n_in]);
                kernels::backprop_activation(act, below, &self.acts[l][..m * n_in], keep);
            }
        }
    }

    #[inline(always)]
    fn adam(&mut self, step: AdamStep) {
        for (i, l) in self.layers.iter_mut().enumerate() {
            match (self.sparse.as_mut(), i) {
                // Lazy Adam: the rows no sample of the batch touched keep their weights and
                // moments (as TensorFlow's LazyAdam and PyTorch's SparseAdam do).
                (Some(s), 0) => {
                    let n = l.p.n_out;
                    for (k, &j) in s.touched.iter().enumerate() {
                        let r = j as usize * n..(j as usize + 1) * n;
                        kernels::adam(&mut l.p.weight[r.clone()], &s.g[k * n..(k + 1) * n], &mut l.mw[r.clone()], &mut l.vw[r], step);
                        s.slot[j as usize] = u32::MAX;
                    }
                    s.touched.clear();
                }
                _ => kernels::adam(&mut l.p.weight, &l.gw, &mut l.mw, &mut l.vw, step),
            }
            kernels::adam(&mut l.p.bias, &l.gb, &mut l.mb, &mut l.vb, step);
        }
    }

    /// Accuracy of the current weights on `split`, `rows` at a time.
    #[inline(always)]
    fn accuracy(&mut self, split: HostSplit<'_>, rows: usize) -> f32 {
        let n = split.y.len();
        let mut hits = 0;
        let mut start = 0;
        while start < n {
            let end = (start + rows).min(n);
            let m = self.gather_split(split, start..end);
            self.forward(m, None);
            let logits = &self.acts[self.acts.len() - 1][..m * self.classes];
            hits += kernels::count_hits(logits, &split.y[start..end], self.classes);
            start = end;
        }
        hits as f32 / n.max(1) as f32
    }
}

/// The first layer's weight gradient `xᵀ d` for a sparse batch, into `s.g`: one row per weight
/// row the batch touches (`s.touched`, `s.slot`).
#[inline(always)]
fn sparse_weight_grad(s: &mut SparseInput, d: &[f32], m: usize, n_out: usize) {
    s.touched.clear();
    for &j in &s.cols[..s.ptr[m]] {
        if s.slot[j as usize] == u32::MAX {
            s.slot[j as usize] = s.touched.len() as u32;
            s.touched.push(j);
        }
    }
    s.g.clear();
    s.g.resize(s.touched.len() * n_out, 0.0);
    for r in 0..m {
        let dr = &d[r * n_out..(r + 1) * n_out];
        for k in s.ptr[r]..s.ptr[r + 1] {
            let (slot, v) = (s.slot[s.cols[k] as usize] as usize, s.vals[k]);
            s.g[slot * n_out..(slot + 1) * n_out].iter_mut().zip(dr).for_each(|(g, d)| *g += v * d);
        }
    }
}

/// Trains the MLP `layers` (hidden layers with `activations`, then the classifier) on
/// `splits[0]` and measures `splits[1]` and `splits[2]`.
pub(crate) fn train(
    layers: Vec<HostDense>,
    activations: &[Activation],
    splits: [HostSplit<'_>; 3],
    config: &TrainConfig,
    seed: u64,
    simd: bool,
) -> FusedRun {
    #[cfg(target_arch = "x86_64")]
    if simd && simd_available() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        #[allow(unsafe_code)]
        return unsafe { train_avx2(layers, activations, splits, config, seed) };
    }
    let _ = simd;
    train_loop(layers, activations, splits, config, seed)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn train_avx2(layers: Vec<HostDense>, activations: &[Activation], splits: [HostSplit<'_>; 3], config: &TrainConfig, seed: u64) -> FusedRun {
    train_loop(layers, activations, splits, config, seed)
}

#[inline(always)]
fn train_loop(layers: Vec<HostDense>, activations: &[Activation], splits: [HostSplit<'_>; 3], config: &TrainConfig, seed: u64) -> FusedRun {
    // A batch larger than the split is the whole split (the same batches the burn path
    // selects), so buffers never exceed the data however large `batch_size` is.
    let bs = config.batch_size.clamp(1, splits[0].y.len().max(1));
    let widest_eval = splits[1].y.len().max(splits[2].y.len()).max(1);
    let rows = bs.max(EVAL_ROWS.min(widest_eval));
    let p_drop = config.dropout.unwrap_or(0.0) as f32;
    let sparse = splits[0].sp.is_some();
    let mut net = Net::with_input(layers, activations, rows, p_drop > 0.0, sparse);
    let mut masks = MaskRng::new(seed);
    debug_assert!(splits.iter().all(|s| match s.sp {
        Some(c) => c.rows() == s.y.len() && c.n_cols() == net.dim,
        None => s.x.len() == s.y.len() * net.dim,
    }));
    let wd = config.weight_decay.unwrap_or(0.0) as f32;
    let lr = config.learning_rate as f32;
    let train = splits[0];
    // The burn path shuffles a Vec<i64> with this generator: same type, same permutation.
    let mut order: Vec<i64> = (0..train.y.len() as i64).collect();
    let mut rng = StdRng::seed_from_u64(seed ^ SHUFFLE_SALT);
    let classes = net.classes;
    let mut labels = vec![0u32; bs];
    let mut t = 0;
    let mut epochs_run = 0;
    let mut final_loss = f32::NAN;
    let mut failure = None;
    for epoch in 0..config.epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0f64;
        let batches = order.len().div_ceil(bs);
        for chunk in order.chunks(bs) {
            let m = net.gather_split(train, chunk.iter().map(|&i| i as usize));
            for (l, &i) in labels.iter_mut().zip(chunk) {
                *l = train.y[i as usize];
            }
            net.forward(m, (p_drop > 0.0).then_some((p_drop, &mut masks)));
            let last = net.acts.len() - 1;
            let g = net.grads.len() - 1;
            let batch_loss = kernels::softmax_xent(&net.acts[last][..m * classes], &labels[..m], classes, &mut net.grads[g]);
            loss_sum += batch_loss / m as f64;
            net.backward(m);
            t += 1;
            net.adam(AdamStep::new(lr, t, wd));
        }
        let mean = (loss_sum / batches.max(1) as f64) as f32;
        final_loss = mean;
        if !mean.is_finite() {
            failure = Some(format!("non-finite training loss ({mean}) in epoch {}", epoch + 1));
            break;
        }
        epochs_run = epoch + 1;
    }
    let (val_accuracy, test_accuracy) = if failure.is_some() {
        (0.0, 0.0)
    } else {
        (net.accuracy(splits[1], rows), net.accuracy(splits[2], rows))
    };
    FusedRun {
        val_accuracy,
        test_accuracy,
        final_loss,
        epochs_run,
        failure,
        layers: net.layers.into_iter().map(|l| l.p).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// Loss of a one-hidden-layer tanh net on fixed rows, for finite differences.
    fn loss(layers: &[HostDense], x: &[f32], y: &[u32]) -> f64 {
        let mut net = Net::new(layers.to_vec(), &[Activation::Tanh], y.len(), false);
        let m = net.gather(x, 0..y.len());
        net.forward(m, None);
        let mut g = vec![0.0; m * net.classes];
        kernels::softmax_xent(&net.acts[2][..m * net.classes], y, net.classes, &mut g) / m as f64
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = StdRng::seed_from_u64(5);
        let layers = vec![HostDense::seeded(3, 4, &mut rng), HostDense::seeded(4, 3, &mut rng)];
        let x = [0.5, -1.0, 2.0, 0.1, 0.3, -0.7, -1.5, 0.2, 0.9];
        let y = [2, 0, 1];
        let mut net = Net::new(layers.clone(), &[Activation::Tanh], 3, false);
        let m = net.gather(&x, 0..3);
        net.forward(m, None);
        let mut g = vec![0.0; 9];
        kernels::softmax_xent(&net.acts[2][..9], &y, 3, &mut g);
        net.grads[1][..9].copy_from_slice(&g);
        net.backward(m);
        let h = 1e-2f32;
        for l in 0..2 {
            for i in [0, 2, 5] {
                let mut up = layers.clone();
                up[l].weight[i] += h;
                let mut down = layers.clone();
                down[l].weight[i] -= h;
                let fd = (loss(&up, &x, &y) - loss(&down, &x, &y)) / (2.0 * f64::from(h));
                assert_abs_diff_eq!(f64::from(net.layers[l].gw[i]), fd, epsilon = 2e-3);
            }
            let mut up = layers.clone();
            up[l].bias[1] += h;
            let mut down = layers.clone();
            down[l].bias[1] -= h;
            let fd = (loss(&up, &x, &y) - loss(&down, &x, &y)) / (2.0 * f64::from(h));
            assert_abs_diff_eq!(f64::from(net.layers[l].gb[1]), fd, epsilon = 2e-3);
        }
    }

    /// Mean loss of `layers` (relu, tanh hidden) on the first `m` of `x`'s rows, with dropout
    /// masks drawn from a copy of `rng`, through buffers sized for more rows than `m`.
    fn loss_with_dropout(layers: &[HostDense], x: &[f32], y: &[u32], rng: &MaskRng) -> (f64, Net) {
        let mut net = Net::new(layers.to_vec(), &[Activation::Relu, Activation::Tanh], 8, true);
        let m = net.gather(x, 0..y.len());
        net.forward(m, Some((0.3, &mut rng.clone())));
        let c = net.classes;
        let g = net.grads.len() - 1;
        let last = net.acts.len() - 1;
        let loss = kernels::softmax_xent(&net.acts[last][..m * c], y, c, &mut net.grads[g]) / m as f64;
        net.backward(m);
        (loss, net)
    }

    #[test]
    fn backward_with_dropout_and_two_hidden_layers_matches_finite_differences() {
        let mut rng = StdRng::seed_from_u64(9);
        let layers = vec![HostDense::seeded(4, 6, &mut rng), HostDense::seeded(6, 5, &mut rng), HostDense::seeded(5, 3, &mut rng)];
        let x: Vec<f32> = (0..20).map(|i| ((i * 7 % 11) as f32 - 5.0) / 3.0).collect();
        let y = [0, 2, 1, 1, 0];
        let masks = MaskRng::new(4);
        let (_, net) = loss_with_dropout(&layers, &x, &y, &masks);
        // Some unit was dropped and some kept, so the masks are exercised.
        let keep = &net.keep[0][..5 * 6];
        assert!(keep.contains(&0.0) && keep.iter().any(|&k| k > 1.0));
        let h = 1e-2f32;
        for l in 0..3 {
            for i in [0, 3, 7, 11] {
                let fd = {
                    let (mut up, mut down) = (layers.clone(), layers.clone());
                    up[l].weight[i] += h;
                    down[l].weight[i] -= h;
                    (loss_with_dropout(&up, &x, &y, &masks).0 - loss_with_dropout(&down, &x, &y, &masks).0) / (2.0 * f64::from(h))
                };
                assert_abs_diff_eq!(f64::from(net.layers[l].gw[i]), fd, epsilon = 3e-3);
            }
        }
    }

    #[test]
    fn portable_and_simd_builds_agree() {
        let mut rng = StdRng::seed_from_u64(1);
        let layers = vec![HostDense::seeded(6, 16, &mut rng), HostDense::seeded(16, 3, &mut rng)];
        let n = 90;
        let x: Vec<f32> = (0..n * 6).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
        let y: Vec<u32> = (0..n as u32).map(|i| i % 3).collect();
        let split = HostSplit { x: &x, y: &y, sp: None };
        let config = TrainConfig::new().with_epochs(3).with_batch_size(16).with_learning_rate(1e-2);
        let a = train(layers.clone(), &[Activation::Relu], [split; 3], &config, 7, false);
        let b = train(layers, &[Activation::Relu], [split; 3], &config, 7, true);
        assert_eq!(a.epochs_run, 3);
        assert_abs_diff_eq!(a.final_loss, b.final_loss, epsilon = 1e-4);
        assert_abs_diff_eq!(a.val_accuracy, b.val_accuracy, epsilon = 0.03);
    }

    /// A small sparse matrix and the same rows dense.
    fn sparse_rows() -> (Csr, Vec<f32>) {
        // 4 rows over 6 columns; column 5 is never used, row 2 is empty.
        let c = Csr::new(vec![0, 2, 4, 4, 6], vec![0, 3, 1, 3, 2, 4], vec![0.6, 0.8, -1.0, 0.5, 0.3, 0.9], 6).unwrap();
        let dense = c.to_dense();
        (c, dense)
    }

    #[test]
    fn sparse_first_layer_computes_what_the_dense_one_does() {
        let (c, dense) = sparse_rows();
        let y = [1, 0, 2, 1];
        let mut rng = StdRng::seed_from_u64(3);
        let layers = vec![HostDense::seeded(6, 5, &mut rng), HostDense::seeded(5, 3, &mut rng)];
        let run = |sparse: bool| {
            let mut net = Net::with_input(layers.clone(), &[Activation::Tanh], 4, false, sparse);
            let split = HostSplit { x: &dense, y: &y, sp: sparse.then_some(&c) };
            let m = net.gather_split(split, [3, 0, 2, 1].into_iter());
            net.forward(m, None);
            let last = net.acts.len() - 1;
            let mut g = vec![0.0; m * 3];
            kernels::softmax_xent(&net.acts[last][..m * 3], &[1, 1, 2, 0], 3, &mut g);
            net.grads[1][..m * 3].copy_from_slice(&g);
            net.backward(m);
            net
        };
        let (d, s) = (run(false), run(true));
        for (a, b) in d.acts[2].iter().zip(&s.acts[2]) {
            assert_abs_diff_eq!(a, b, epsilon = 1e-6);
        }
        let sp = s.sparse.as_ref().unwrap();
        // Rows 3, 0, 2, 1 touch weight rows 2, 4, 0, 3, 1 (in that order); row 5 never.
        assert_eq!(sp.touched, [2, 4, 0, 3, 1]);
        for j in 0..6 {
            let dense_row = &d.layers[0].gw[j * 5..(j + 1) * 5];
            match sp.touched.iter().position(|&t| t as usize == j) {
                Some(k) => (0..5).for_each(|i| assert_abs_diff_eq!(dense_row[i], sp.g[k * 5 + i], epsilon = 1e-6)),
                None => assert!(dense_row.iter().all(|&g| g == 0.0), "an untouched row has no gradient"),
            }
        }
        for (a, b) in d.layers[0].gb.iter().zip(&s.layers[0].gb) {
            assert_abs_diff_eq!(a, b, epsilon = 1e-6);
        }
    }

    #[test]
    fn lazy_adam_moves_only_the_touched_rows() {
        let (c, dense) = sparse_rows();
        let y = [1, 0, 2, 1];
        let mut rng = StdRng::seed_from_u64(4);
        let layers = vec![HostDense::seeded(6, 4, &mut rng), HostDense::seeded(4, 3, &mut rng)];
        let mut net = Net::with_input(layers.clone(), &[Activation::Relu], 4, false, true);
        let m = net.gather_split(HostSplit { x: &dense, y: &y, sp: Some(&c) }, [0, 2].into_iter());
        net.forward(m, None);
        let mut g = vec![0.0; 6];
        kernels::softmax_xent(&net.acts[2][..6], &[1, 2], 3, &mut g);
        net.grads[1][..6].copy_from_slice(&g);
        net.backward(m);
        net.adam(AdamStep::new(0.1, 1, 0.01));
        let w = &net.layers[0].p.weight;
        for j in 0..6 {
            let moved = w[j * 4..(j + 1) * 4] != layers[0].weight[j * 4..(j + 1) * 4];
            // Rows 0 and 2 of the batch (row 2 is empty) touch weight rows 0 and 3 only.
            assert_eq!(moved, j == 0 || j == 3, "row {j}");
        }
        let sp = net.sparse.as_ref().unwrap();
        assert!(sp.touched.is_empty() && sp.slot.iter().all(|&s| s == u32::MAX), "the slots are reset for the next batch");
    }

    #[test]
    fn a_sparse_child_learns_a_separable_task() {
        // Class k is marked by column k (plus noise columns): a linear child must fit it.
        let n = 120;
        let (mut indptr, mut cols, mut vals, mut y) = (vec![0], Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            let k = (i % 3) as u32;
            let noise = 3 + (i * 7 % 40) as u32;
            cols.extend([k, noise]);
            vals.extend([0.8, 0.6]);
            indptr.push(cols.len());
            y.push(k);
        }
        let c = Csr::new(indptr, cols, vals, 43).unwrap();
        let split = HostSplit { x: &[], y: &y, sp: Some(&c) };
        let mut rng = StdRng::seed_from_u64(2);
        let config = TrainConfig::new().with_epochs(30).with_batch_size(16).with_learning_rate(3e-2);
        let run = train(vec![HostDense::seeded(43, 3, &mut rng)], &[], [split; 3], &config, 1, true);
        assert!(run.failure.is_none());
        assert!(run.val_accuracy > 0.99, "{}", run.val_accuracy);
    }
}
