//! The fused ascent moves a thread's starts in blocks, one start per SIMD lane, each layer one
//! matrix product over the block. Every start must move exactly as it would alone: these tests
//! replay each start with the one-start step ([`FusedMlp::objective_and_gradient`], the
//! matrix-vector kernel) and compare bit for bit; and they check the block's gradient against
//! finite differences of the value.

#![allow(clippy::unwrap_used)]

use archinfer_dvn::{DvnConfig, Interaction};
use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec, relax_flat};
use archinfer_infer::{AscentConfig, FusedMlp, Kernel, Penalty, random_starts};
use archinfer_metafeatures::MetaFeatures;
use burn::tensor::{Device, Tensor, TensorData};

fn space() -> ArchitectureSpace {
    ArchitectureSpace::paper(vec![EmbeddingSpec::new("pool4", 49), EmbeddingSpec::new("rf64", 64), EmbeddingSpec::new("pca32", 32)]).unwrap()
}

/// FiLM for even seeds, concatenation for odd ones; a gated input for seeds 0, 3, 4, 7, ….
fn net(seed: u64, dev: &Device) -> FusedMlp {
    let interaction = if seed.is_multiple_of(2) { Interaction::Film } else { Interaction::Concat };
    let gated = seed.is_multiple_of(4) || seed % 4 == 3;
    let dvn = DvnConfig::new(space(), MetaFeatures::Learned, 49)
        .with_seed(seed)
        .with_interaction(interaction)
        .with_gated_input(gated)
        .init(dev)
        .unwrap();
    let z: Vec<f32> = (0..50).map(|i| ((i as u64 * 37 + seed * 11) % 17) as f32 / 8.0 - 1.0).collect();
    FusedMlp::from_dvn(&dvn, Some(Tensor::from_data(TensorData::new(z, [1, 50]), dev))).unwrap()
}

/// One start alone: the rules of the ascent, step by step with the one-start kernel.
fn alone(net: &FusedMlp, s: &ArchitectureSpace, start: &[f32], cfg: &AscentConfig, penalty: Option<&Penalty>) -> (Vec<f32>, usize, Vec<f32>) {
    let step = cfg.step as f32;
    let (mut l, mut prev, mut trace) = (start.to_vec(), None::<f32>, Vec::new());
    for _ in 0..cfg.max_iters {
        let (obj, g) = net.objective_and_gradient(s, &l, penalty).unwrap();
        if prev.is_some_and(|p| f64::from((obj - p).abs()) < cfg.tolerance) {
            break;
        }
        trace.push(obj);
        for (x, g) in l.iter_mut().zip(&g) {
            // The kernel's multiply-add: fused where it runs the AVX2 + FMA build.
            *x = if net.uses_simd() { step.mul_add(*g, *x) } else { step * g + *x };
        }
        prev = Some(obj);
    }
    let n = trace.len();
    (l, n, trace)
}

#[test]
fn every_start_in_a_block_moves_bit_for_bit_as_it_would_alone() {
    let dev = Device::flex();
    let s = space();
    let (mut checked, mut mixed) = (0, 0);
    for seed in 0..8u64 {
        for kernel in [Kernel::Auto, Kernel::Portable] {
            let net = net(seed, &dev).with_kernel(kernel);
            // Odd seeds with the size penalty; block sizes 1, 5, 8, 11 and 17 (partial blocks,
            // two threads); a tolerance that stops starts at different iterations.
            let penalty = (seed % 2 == 1).then(|| Penalty::params(&s, 10, 2.0).unwrap());
            let starts = [1usize, 5, 8, 11, 17][seed as usize % 5];
            let cfg = AscentConfig::new().with_starts(starts).with_max_iters(400).with_tolerance([2e-5, 3e-5, 5e-5][seed as usize % 3]).with_seed(seed).with_threads(1 + seed as usize % 2);
            let s0 = random_starts(&s, &cfg);
            let sols = net.ascend(&s, &s0, &cfg, penalty.as_ref()).unwrap();
            assert_eq!(sols.len(), starts);
            // Solutions come sorted by objective: find each start's by its first objective.
            let mut lengths = std::collections::BTreeSet::new();
            for start in &s0 {
                let (l, iterations, trace) = alone(&net, &s, start, &cfg, penalty.as_ref());
                let sol = sols.iter().find(|x| x.trace.first().map(|v| v.to_bits()) == trace.first().map(|v| v.to_bits())).expect("a solution from this start");
                assert_eq!(sol.iterations, iterations, "seed {seed} {kernel:?}");
                assert_eq!(sol.trace, trace, "seed {seed} {kernel:?}");
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&sol.logits), bits(&l), "seed {seed} {kernel:?}");
                lengths.insert(iterations);
                checked += 1;
            }
            eprintln!("seed {seed} {kernel:?}: {starts} starts, iterations {lengths:?}");
            mixed += usize::from(lengths.len() > 1);
        }
    }
    assert_eq!(checked, 2 * (1 + 5 + 8 + 11 + 17 + 1 + 5 + 8));
    // Blocks whose lanes stop at different iterations, so that stopped lanes are exercised.
    assert!(mixed >= 6, "only {mixed} blocks had starts stopping at different iterations");
}

#[test]
fn a_blocks_gradient_matches_finite_differences_of_the_value() {
    // One iteration moves the logits by step · ∂objective/∂logits, so the block's gradient is
    // (l₁ − l₀) / step; compare with central differences of the value of softmax(l).
    let dev = Device::flex();
    let s = space();
    for seed in [0u64, 1, 3] {
        let net = net(seed, &dev);
        let cfg = AscentConfig::new().with_starts(6).with_max_iters(1).with_tolerance(0.0).with_seed(40 + seed).with_step(1.0);
        let s0 = random_starts(&s, &cfg);
        let sols = net.ascend(&s, &s0, &cfg, None).unwrap();
        let value = |l: &[f32]| -> f64 {
            let u = relax_flat(&s, l).unwrap();
            f64::from(net.values(&[u]).unwrap()[0])
        };
        let mut worst = 0.0f64;
        for sol in &sols {
            // Solutions come sorted by objective; one small step away from its own start.
            let dist = |a: &[f32]| a.iter().zip(&sol.logits).map(|(x, y)| (x - y).abs()).sum::<f32>();
            let start = s0.iter().min_by(|a, b| dist(a).total_cmp(&dist(b))).unwrap();
            let g: Vec<f64> = sol.logits.iter().zip(start).map(|(a, b)| f64::from(a - b)).collect();
            let scale = g.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(scale > 1e-4, "seed {seed}: a flat gradient ({scale:e}) would make the comparison vacuous");
            for i in (0..start.len()).step_by(3) {
                let h = 1e-2f32;
                let (mut up, mut down) = (start.clone(), start.clone());
                up[i] += h;
                down[i] -= h;
                let fd = (value(&up) - value(&down)) / (2.0 * f64::from(h));
                worst = worst.max((fd - g[i]).abs() / scale.max(1e-6));
            }
        }
        assert!(worst < 2e-2, "seed {seed}: worst error {worst:e} relative to the largest gradient entry");
    }
}
