//! The fused CPU path: forward and backward of an MLP-shaped value network written out on
//! `f32` slices, for the small networks of the paper (`[u, z] → 50 → 10 → 1`).
//!
//! Why it exists: one ascent step touches a few thousand weights, so a tensor library's
//! per-op overhead (allocation, dispatch, autodiff graph) dominates. Here the starts are
//! independent, so each thread carries its share of them through every iteration with no
//! synchronisation, eight at a time, one start per SIMD lane: each layer's forward and backward
//! pass is one matrix product over the block (a weight is loaded once for eight starts), and
//! the per-group softmax, the gate and the ReLU masks run on whole vectors whatever the group
//! sizes. The `z` half of the first layer is folded into its bias once, since it never changes
//! during an ascent, and the softmax uses a branch-free exponential that vectorises. On x86-64
//! CPUs with AVX2 and FMA, the same code is compiled a second time for those instructions and
//! picked at run time. A lane does exactly the operations, in the same order, that the
//! one-start kernel ([`FusedMlp::objective_and_gradient`]) does, so a start's result does not
//! depend on its block (tested bit for bit; the one-start kernel skips ReLU-off units in the
//! first layer's transpose where a block adds their exact zeros, which can differ only in the
//! sign of a zero sum). [`crate::generic::ascend`] (the burn autodiff
//! path) stays the reference; tests check that both agree.
//!
//! The code is in five files: `mlp` (the network type), `pack` (weights to the host, padded,
//! `z` folded in), `ascent` (values, gradients, the one-start step, threads), `batch` (the
//! block of starts) and `kernels` (the numeric inner loops and the run-time CPU check).

mod ascent;
mod batch;
mod kernels;
mod mlp;
mod pack;


pub use mlp::{FusedMlp, HostLayer, Kernel};

#[cfg(test)]
mod tests {
    use super::kernels::*;
    use super::pack::*;
    use super::*;
    use crate::error::{InferError, Result};

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
    fn block_product_by_hand_and_against_a_plain_loop() {
        // Two inputs, two outputs, lanes s = 0..8: a0 = s, a1 = 1; w = [[1, 2], [3, 4]], init
        // [10, 20]: out0 = 10 + s·1 + 1·3, out1 = 20 + s·2 + 1·4.
        let a: Vec<Lanes> = vec![std::array::from_fn(|s| s as f32), [1.0; LANES]];
        let mut w = vec![0.0; 2 * LANES];
        w[..2].copy_from_slice(&[1.0, 2.0]);
        w[LANES..LANES + 2].copy_from_slice(&[3.0, 4.0]);
        let mut out = vec![[0.0; LANES]; 2];
        gemm_lanes::<Plain>(&mut out, Some(&[10.0, 20.0]), &a, &w, LANES, 2);
        for (s, (a, b)) in out[0].iter().zip(&out[1]).enumerate() {
            assert_eq!(*a, 13.0 + s as f32);
            assert_eq!(*b, 24.0 + 2.0 * s as f32);
        }
        // Every tile size and remainder (n = 1 ..= 30) in both builds, bit for bit against the
        // same multiply-adds in a plain loop.
        fn check<M: Madd>() {
            let k = 7;
            let a: Vec<Lanes> = (0..k).map(|i| std::array::from_fn(|s| ((i * 5 + s * 3) % 7) as f32 / 3.0 - 1.0)).collect();
            for n in 1..=30 {
                let ws = pad(n);
                let w: Vec<f32> = (0..k * ws).map(|i| ((i * 11) % 13) as f32 / 6.0 - 1.0).collect();
                let init: Vec<f32> = (0..n).map(|o| o as f32 / 10.0).collect();
                let mut out = vec![[0.0; LANES]; n];
                gemm_lanes::<M>(&mut out, Some(&init), &a, &w, ws, n);
                for o in 0..n {
                    for s in 0..LANES {
                        let mut want = init[o];
                        for (i, ai) in a.iter().enumerate() {
                            want = M::madd(w[i * ws + o], ai[s], want);
                        }
                        assert_eq!(out[o][s].to_bits(), want.to_bits(), "n {n} output {o} lane {s}");
                    }
                }
            }
        }
        check::<Plain>();
        check::<Fma>();
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
        assert!(matches!(stack_members(&[], u_dim), Err(InferError::Ensemble(_))));
    }

    #[test]
    fn malformed_layers_are_errors() {
        let l = |i, o| HostLayer { n_in: i, n_out: o, weight: vec![0.1; i * o], bias: vec![0.0; o] };
        let pack = |r: Result<FusedMlp>| matches!(r, Err(InferError::Pack(_)));
        assert!(pack(FusedMlp::new(&[], 2, &[])));
        assert!(pack(FusedMlp::new(&[l(3, 1)], 2, &[1.0])), "one layer: nothing between u and v");
        assert!(pack(FusedMlp::new(&[l(3, 2), l(2, 1)], 2, &[])), "first layer too wide for u");
        assert!(pack(FusedMlp::new(&[l(2, 2), l(3, 1)], 2, &[])), "widths do not chain");
        assert!(pack(FusedMlp::new(&[l(2, 2), l(2, 2)], 2, &[])), "two outputs");
        assert!(pack(FusedMlp::new(&[l(3, 2), l(2, 1)], 2, &[f32::NAN])));
        assert!(FusedMlp::new(&[l(3, 2), l(2, 1)], 2, &[1.0]).is_ok());
    }
}

