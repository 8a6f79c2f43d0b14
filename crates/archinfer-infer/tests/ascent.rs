//! The ascent on a concave toy value model with a known optimum.

#![allow(clippy::unwrap_used)]

use archinfer_dvn::ValueModel;
use archinfer_encoding::{Activation, ArchitectureSpace, EmbeddingSpec};
use archinfer_infer::{AscentConfig, InferError, ascend, random_starts};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

/// `v(u) = w · u`: linear, hence concave in `u`; its maximum over relaxed architectures is the
/// one-hot `u` that picks the largest `w` in every group.
#[derive(Module, Debug)]
struct Linear {
    w: Param<Tensor<2>>,
}

impl ValueModel for Linear {
    fn u_dim(&self) -> usize {
        self.w.val().dims()[0]
    }
    fn value(&self, u: Tensor<2>, _z: Option<Tensor<2>>) -> Tensor<1> {
        let b = u.dims()[0];
        u.matmul(self.w.val()).reshape([b])
    }
}

/// A small space, linear weights `w`, and the optimum: the one-hot `u` picking the largest
/// weight of every group, with its value.
fn toy() -> (ArchitectureSpace, Vec<f32>, Vec<f32>, f32) {
    let space = ArchitectureSpace::new(vec![4, 8, 16], vec![Activation::Relu, Activation::Tanh], 3, vec![
        EmbeddingSpec::new("a", 3),
        EmbeddingSpec::new("b", 5),
    ])
    .unwrap();
    let d = space.dim();
    let w: Vec<f32> = (0..d).map(|i| ((i * 7919) % 13) as f32 / 13.0).collect();
    let mut best_u = vec![0.0f32; d];
    let mut best_v = 0.0;
    for g in space.groups() {
        let k = g.clone().max_by(|&a, &b| w[a].total_cmp(&w[b]).then(b.cmp(&a))).unwrap();
        best_u[k] = 1.0;
        best_v += w[k];
    }
    (space, w, best_u, best_v)
}

#[test]
fn ascent_climbs_monotonically_to_the_known_optimum() {
    let dev = Device::flex();
    let (space, w, best_u, best_v) = toy();
    let d = space.dim();
    let model = Linear { w: Param::from_tensor(Tensor::from_data(TensorData::new(w.clone(), [d, 1]), &dev)) };
    // Starts near the uniform u: from there the largest weight of each group grows fastest. (From
    // far-off starts a softmax group can saturate on a worse option, where its gradient vanishes;
    // that is what multiple starts are for.)
    let cfg = AscentConfig::new().with_starts(5).with_max_iters(3000).with_step(0.5).with_tolerance(1e-9).with_init_scale(0.1);
    let sols = ascend(&model, &space, None, &random_starts(&space, &cfg), &cfg, None, &dev).unwrap();
    assert_eq!(sols.len(), 5);
    for s in &sols {
        for pair in s.trace.windows(2) {
            assert!(pair[1] >= pair[0] - 1e-6, "value fell: {} → {}", pair[0], pair[1]);
        }
        assert_eq!(s.architecture.one_hot_u(&space).unwrap(), best_u, "every start finds the optimum");
        assert!((s.discrete_value - best_v).abs() < 1e-4);
        assert!(s.value <= best_v + 1e-4 && s.value > best_v - 0.05, "{} vs {best_v}", s.value);
    }
    assert!(sols.windows(2).all(|p| p[0].value >= p[1].value), "best first");
    // Same seed, same answer.
    let again = ascend(&model, &space, None, &random_starts(&space, &cfg), &cfg, None, &dev).unwrap();
    assert_eq!(again, sols);
}

#[test]
fn bad_inputs_are_errors() {
    let dev = Device::flex();
    let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 3)]).unwrap();
    let model = Linear { w: Param::from_tensor(Tensor::zeros([space.dim(), 1], &dev)) };
    let cfg = AscentConfig::new();
    assert!(matches!(ascend(&model, &space, None, &[], &cfg, None, &dev), Err(InferError::Setting { setting: "starts", .. })));
    assert!(matches!(ascend(&model, &space, None, &[vec![0.0; 3]], &cfg, None, &dev), Err(InferError::Encoding(_))));
    let other = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 3), EmbeddingSpec::new("b", 3)]).unwrap();
    assert!(matches!(
        ascend(&model, &other, None, &random_starts(&other, &cfg), &cfg, None, &dev),
        Err(InferError::ULength { .. })
    ));
    let bad_step = cfg.clone().with_step(-1.0);
    assert!(matches!(
        ascend(&model, &space, None, &random_starts(&space, &cfg), &bad_step, None, &dev),
        Err(InferError::Setting { setting: "step", .. })
    ));
}

#[test]
fn ascends_a_value_network() {
    use archinfer_dvn::DvnConfig;
    use archinfer_metafeatures::MetaFeatures;
    let dev = Device::flex();
    let space = ArchitectureSpace::paper(vec![
        EmbeddingSpec::new("pool4", 49),
        EmbeddingSpec::new("pool2", 196),
        EmbeddingSpec::new("pca32", 32),
        EmbeddingSpec::new("rf64", 64),
    ])
    .unwrap();
    assert_eq!(space.dim(), 102);
    let dvn = DvnConfig::new(space.clone(), MetaFeatures::None, 49).with_seed(4).init(&dev).unwrap();
    let cfg = AscentConfig::new().with_starts(10).with_max_iters(100).with_step(0.05);
    let sols = ascend(&dvn, &space, None, &random_starts(&space, &cfg), &cfg, None, &dev).unwrap();
    assert_eq!(sols.len(), 10);
    for s in &sols {
        assert!(s.trace.len() >= 2);
        assert!(s.trace.last().unwrap() >= s.trace.first().unwrap(), "the ascent should not lose value overall");
        s.architecture.check(&space).unwrap();
    }
}

/// The linear toy of the first test as an MLP (`relu(w · u + 10) − 10` = `w · u` while positive)
/// for the fused path: it climbs monotonically to the same optimum.
#[test]
fn fused_path_climbs_monotonically_to_the_known_optimum() {
    use archinfer_infer::{FusedMlp, HostLayer, Kernel};
    let (space, w, best_u, _) = toy();
    let d = space.dim();
    let layers = [
        HostLayer { n_in: d, n_out: 1, weight: w, bias: vec![10.0] },
        HostLayer { n_in: 1, n_out: 1, weight: vec![1.0], bias: vec![-10.0] },
    ];
    let cfg = AscentConfig::new().with_starts(5).with_max_iters(3000).with_step(0.5).with_tolerance(1e-9).with_init_scale(0.1);
    for kernel in [Kernel::Auto, Kernel::Portable] {
        let net = FusedMlp::new(&layers, d, &[]).unwrap().with_kernel(kernel);
        let sols = net.ascend(&space, &random_starts(&space, &cfg), &cfg, None).unwrap();
        for s in &sols {
            for pair in s.trace.windows(2) {
                assert!(pair[1] >= pair[0] - 1e-6, "value fell: {} → {}", pair[0], pair[1]);
            }
            assert_eq!(s.architecture.one_hot_u(&space).unwrap(), best_u);
        }
        let again = net.ascend(&space, &random_starts(&space, &cfg), &cfg.clone().with_threads(1), None).unwrap();
        assert_eq!(again, sols, "same seed, same answer, whatever the thread count");
    }
}
