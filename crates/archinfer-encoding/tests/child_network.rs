//! Continuous child networks against their discrete fast path, and gradients against finite
//! differences.

#![allow(clippy::unwrap_used)]

use archinfer_encoding::{
    Activation, ArchitectureSpace, ChildNetworkConfig, DiscreteArchitecture, DiscreteNetworkConfig,
    EmbeddingSpec, Encoding, EncodingError, relax,
};
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn device() -> Device {
    Device::flex()
}

fn rand_matrix(rng: &mut StdRng, rows: usize, cols: usize, dev: &Device) -> Tensor<2> {
    let v: Vec<f32> = (0..rows * cols).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    Tensor::from_data(TensorData::new(v, [rows, cols]), dev)
}

fn to_vec(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn one_hot_continuous_equals_discrete() {
    let dev = device();
    let space = ArchitectureSpace::paper(vec![
        EmbeddingSpec::new("small", 5),
        EmbeddingSpec::new("mid", 20),
        EmbeddingSpec::new("wide", 300),
    ])
    .unwrap();
    let net = ChildNetworkConfig::new(space.clone(), 4).with_seed(9).init(&dev).unwrap();
    let mut rng = StdRng::seed_from_u64(21);
    let inputs: Vec<Tensor<2>> =
        space.embeddings().iter().map(|e| rand_matrix(&mut rng, 6, e.dim, &dev)).collect();
    let mut any_off = false;
    for _ in 0..12 {
        let arch = DiscreteArchitecture::sample(&space, &mut rng);
        any_off |= arch.layers.iter().any(|l| !l.enabled);
        let u = arch.one_hot_u(&space).unwrap();
        let cont = net.forward(&inputs, Tensor::from_floats(u.as_slice(), &dev)).unwrap();
        let disc = net.discretize(&arch).unwrap();
        assert_eq!(burn::module::Module::num_params(&disc), arch.num_params(4), "{arch}");
        let d = disc.forward(inputs[arch.embedding.index].clone()).unwrap();
        let (c, d) = (to_vec(cont), to_vec(d));
        assert_eq!(c.len(), d.len());
        for (a, b) in c.iter().zip(&d) {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{arch}: {a} vs {b}");
        }
    }
    assert!(any_off, "the sample should include an identity layer");
}

#[test]
fn non_one_hot_u_differs_from_every_discrete_network() {
    // Guards the equivalence test against a forward pass that ignores u.
    let dev = device();
    let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 6)]).unwrap();
    let net = ChildNetworkConfig::new(space.clone(), 3).with_seed(1).init(&dev).unwrap();
    let x = rand_matrix(&mut StdRng::seed_from_u64(2), 4, 6, &dev);
    let uniform = Encoding::uniform(&space).relaxed(&space).unwrap();
    let a = to_vec(net.forward(std::slice::from_ref(&x), Tensor::from_floats(uniform.as_slice(), &dev)).unwrap());
    let arch = Encoding::uniform(&space).discretize(&space).unwrap();
    let b = to_vec(net.discretize(&arch).unwrap().forward(x).unwrap());
    assert!(a.iter().zip(&b).any(|(p, q)| (p - q).abs() > 1e-3));
}

#[test]
fn fast_path_init_has_exact_shapes() {
    let dev = device();
    let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 7)]).unwrap();
    let arch = DiscreteArchitecture::sample(&space, &mut StdRng::seed_from_u64(3));
    let net = DiscreteNetworkConfig::new(arch.clone(), 5).init(&dev).unwrap();
    assert_eq!(net.hidden.len(), arch.enabled_layers().count());
    assert_eq!(burn::module::Module::num_params(&net), arch.num_params(5));
    assert!(matches!(
        net.forward(Tensor::zeros([2, 8], &dev)),
        Err(EncodingError::InputMismatch(_))
    ));
    assert!(matches!(
        DiscreteNetworkConfig::new(arch, 1).init(&dev),
        Err(EncodingError::TooFewClasses(1))
    ));
}

#[test]
fn wrong_inputs_are_errors_not_panics() {
    let dev = device();
    let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 3), EmbeddingSpec::new("b", 4)]).unwrap();
    let net = ChildNetworkConfig::new(space.clone(), 2).init(&dev).unwrap();
    let u = Tensor::<1>::zeros([space.dim()], &dev);
    let one = [Tensor::<2>::zeros([2, 3], &dev)];
    assert!(matches!(net.forward(&one, u.clone()), Err(EncodingError::InputMismatch(_))));
    let bad = [Tensor::<2>::zeros([2, 3], &dev), Tensor::<2>::zeros([2, 5], &dev)];
    assert!(matches!(net.forward(&bad, u.clone()), Err(EncodingError::InputMismatch(_))));
    let ok = [Tensor::<2>::zeros([2, 3], &dev), Tensor::<2>::zeros([2, 4], &dev)];
    assert!(matches!(
        net.forward(&ok, Tensor::zeros([3], &dev)),
        Err(EncodingError::DimMismatch { .. })
    ));
}

#[test]
fn tensor_relax_matches_host_relax() {
    let dev = device();
    let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 3), EmbeddingSpec::new("b", 4)]).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let rows: Vec<Vec<f32>> =
        (0..3).map(|_| (0..space.dim()).map(|_| rng.random_range(-3.0f32..3.0)).collect()).collect();
    let flat: Vec<f32> = rows.concat();
    let t = Tensor::<2>::from_data(TensorData::new(flat, [3, space.dim()]), &dev);
    let got = to_vec(relax(&space, t));
    for (r, row) in rows.iter().enumerate() {
        let want = archinfer_encoding::relax_flat(&space, row).unwrap();
        for (i, w) in want.iter().enumerate() {
            approx::assert_relative_eq!(got[r * space.dim() + i], *w, epsilon = 1e-6);
        }
    }
}

/// Scalar objective `sum(logits_of_net · R)` at architecture logits `l`, for finite differences.
fn objective(
    net: &archinfer_encoding::ChildNetwork,
    space: &ArchitectureSpace,
    inputs: &[Tensor<2>],
    r: &Tensor<2>,
    l: &[f32],
    dev: &Device,
) -> f64 {
    let lt = Tensor::<2>::from_data(TensorData::new(l.to_vec(), [1, space.dim()]), dev);
    let u = relax(space, lt).reshape([space.dim()]);
    let out = net.forward(inputs, u).unwrap();
    f64::from((out * r.clone()).sum().into_scalar::<f32>())
}

#[test]
fn gradient_wrt_logits_matches_finite_differences() {
    let dev = device();
    let ad = dev.clone().autodiff();
    // A tiny space so that central differences in f32 are meaningful; tanh keeps it smooth.
    let space = ArchitectureSpace::new(
        vec![2, 3],
        vec![Activation::Tanh, Activation::Relu],
        2,
        vec![EmbeddingSpec::new("a", 2), EmbeddingSpec::new("b", 3)],
    )
    .unwrap();
    let net = ChildNetworkConfig::new(space.clone(), 2).with_seed(4).init(&ad).unwrap();
    let mut rng = StdRng::seed_from_u64(8);
    let inputs: Vec<Tensor<2>> =
        space.embeddings().iter().map(|e| rand_matrix(&mut rng, 5, e.dim, &ad)).collect();
    let r = rand_matrix(&mut rng, 5, 2, &ad);
    let l0: Vec<f32> = (0..space.dim()).map(|_| rng.random_range(-1.0f32..1.0)).collect();

    let logits = Tensor::<2>::from_data(TensorData::new(l0.clone(), [1, space.dim()]), &ad).require_grad();
    let u = relax(&space, logits.clone()).reshape([space.dim()]);
    let out = (net.forward(&inputs, u).unwrap() * r.clone()).sum();
    let grads = out.backward();
    let g = logits.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();

    let eps = 1e-2f32;
    let mut checked = 0;
    for i in 0..space.dim() {
        let mut lp = l0.clone();
        lp[i] += eps;
        let mut lm = l0.clone();
        lm[i] -= eps;
        let fd = (objective(&net, &space, &inputs, &r, &lp, &ad)
            - objective(&net, &space, &inputs, &r, &lm, &ad))
            / (2.0 * f64::from(eps));
        let ga = f64::from(g[i]);
        let rel = (ga - fd).abs() / fd.abs().max(ga.abs()).max(1e-3);
        assert!(rel < 1e-2, "logit {i}: autodiff {ga} vs finite difference {fd} (rel {rel})");
        checked += usize::from(fd.abs() > 1e-4);
    }
    // Every group (alpha, beta, gamma) must actually influence the output.
    assert!(checked > space.dim() / 2, "only {checked} of {} logits had a visible gradient", space.dim());
}
