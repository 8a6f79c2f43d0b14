//! The fused CPU path against the burn autodiff path on random value networks: gradients
//! within 1e-4 relative, identical final architectures.

#![allow(clippy::unwrap_used)]

use archinfer_dvn::{Dvn, DvnConfig, Interaction, ValueModel};
use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec, relax};
use archinfer_infer::{AscentConfig, FusedMlp, Kernel, Penalty, ascend, random_starts};
use archinfer_metafeatures::MetaFeatures;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

fn space() -> ArchitectureSpace {
    ArchitectureSpace::paper(vec![
        EmbeddingSpec::new("pool4", 49),
        EmbeddingSpec::new("pool2", 196),
        EmbeddingSpec::new("pca32", 32),
        EmbeddingSpec::new("rf64", 64),
    ])
    .unwrap()
}

/// A random DVN (learned meta-features, so `z` is 50 wide; FiLM for even seeds, the paper's
/// concatenation for odd ones; a gated input for seeds 0, 3, 4, 7, …) and a random task embedding.
fn random_net(seed: u64, dev: &Device) -> (Dvn, Tensor<2>) {
    let interaction = if seed.is_multiple_of(2) { Interaction::Film } else { Interaction::Concat };
    let gated = seed.is_multiple_of(4) || seed % 4 == 3;
    let dvn = DvnConfig::new(space(), MetaFeatures::Learned, 49)
        .with_seed(seed)
        .with_interaction(interaction)
        .with_gated_input(gated)
        .init(dev)
        .unwrap();
    let mut rng = StdRng::seed_from_u64(seed ^ 99);
    let z: Vec<f32> = (0..50).map(|_| StandardNormal.sample(&mut rng)).collect();
    (dvn, Tensor::from_data(TensorData::new(z, [1, 50]), dev))
}

fn burn_gradient(dvn: &Dvn, z: &Tensor<2>, logits: &[f32], penalty: Option<&Penalty>, dev: &Device) -> (f32, Vec<f32>) {
    let s = space();
    let ad = dev.clone().autodiff();
    let m = dvn.clone().to_device(&ad);
    let l = Tensor::<2>::from_data(TensorData::new(logits.to_vec(), [1, s.dim()]), &ad).require_grad();
    let u = relax(&s, l.clone());
    let mut v = m.value(u.clone(), Some(z.clone().to_device(&ad)));
    if let Some(p) = penalty {
        v = v - p.cost.tensor(u) * p.scale();
    }
    let val = v.clone().into_data().try_to_vec::<f32>().unwrap()[0];
    let g = l.grad(&v.sum().backward()).unwrap();
    (val, g.into_data().try_to_vec::<f32>().unwrap())
}

fn max_relative(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / y.abs().max(1e-3 * scale)).fold(0.0, f32::max)
}

use burn::module::Module;

#[test]
fn gradients_agree_within_1e4_relative() {
    let dev = Device::flex();
    let s = space();
    let mut worst = 0.0f32;
    for seed in 0..6 {
        let (dvn, z) = random_net(seed, &dev);
        let penalty = (seed % 2 == 1).then(|| Penalty::params(&s, 10, 2.0).unwrap());
        let cfg = AscentConfig::new().with_starts(5).with_seed(seed);
        for logits in random_starts(&s, &cfg) {
            let (bv, bg) = burn_gradient(&dvn, &z, &logits, penalty.as_ref(), &dev);
            for kernel in [Kernel::Auto, Kernel::Portable] {
                let net = FusedMlp::from_dvn(&dvn, Some(z.clone())).unwrap().with_kernel(kernel);
                // Auto runs the AVX2 + FMA kernel on CPUs that have it, Portable never does.
                assert!(kernel == Kernel::Auto || !net.uses_simd());
                let (fv, fg) = net.objective_and_gradient(&s, &logits, penalty.as_ref()).unwrap();
                assert!((fv - bv).abs() <= 1e-4 * bv.abs().max(1.0), "value {fv} vs {bv}");
                let r = max_relative(&fg, &bg);
                worst = worst.max(r);
                assert!(r < 1e-4, "seed {seed} {kernel:?}: relative gradient error {r}");
            }
        }
    }
    let simd = FusedMlp::from_dvn(&random_net(0, &dev).0, Some(random_net(0, &dev).1)).unwrap().uses_simd();
    eprintln!("worst relative gradient error: {worst:e} (AVX2 + FMA kernel tested: {simd})");
}

#[test]
fn final_architectures_are_identical() {
    let dev = Device::flex();
    let s = space();
    for seed in 0..4 {
        let (dvn, z) = random_net(10 + seed, &dev);
        let penalty = (seed % 2 == 1).then(|| Penalty::params(&s, 10, 5.0).unwrap());
        let cfg = AscentConfig::new().with_starts(6).with_max_iters(300).with_seed(seed);
        let starts = random_starts(&s, &cfg);
        let reference = ascend(&dvn, &s, Some(z.clone()), &starts, &cfg, penalty.as_ref(), &dev).unwrap();
        let fused = FusedMlp::from_dvn(&dvn, Some(z)).unwrap().ascend(&s, &starts, &cfg, penalty.as_ref()).unwrap();
        assert_eq!(reference.len(), fused.len());
        for (a, b) in reference.iter().zip(&fused) {
            assert_eq!(a.architecture, b.architecture, "seed {seed}");
            assert!((a.value - b.value).abs() < 1e-3, "{} vs {}", a.value, b.value);
            assert!((a.objective - b.objective).abs() < 1e-3);
            assert!((a.discrete_value - b.discrete_value).abs() < 1e-4);
            assert!(a.iterations.abs_diff(b.iterations) <= 2, "{} vs {} iterations", a.iterations, b.iterations);
            eprintln!("seed {seed}: {} iterations, {} ({:.4})", a.iterations, a.architecture, a.value);
        }
    }
}
