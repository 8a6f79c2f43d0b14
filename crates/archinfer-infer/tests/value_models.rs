//! The proposal machinery runs over any [`TaskValue`]: the fused MLP, burn autodiff, and a
//! third model written here (a quadratic peak), which the default host ascent climbs.

#![allow(clippy::unwrap_used)]

use archinfer_dvn::DvnConfig;
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
use archinfer_infer::{AscentConfig, BurnValue, FusedMlp, InferError, InferOptions, Ranking, TaskValue, host_ascend, propose_with, random_starts};
use archinfer_metafeatures::MetaFeatures;
use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn space() -> ArchitectureSpace {
    ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 12), EmbeddingSpec::new("b", 20)]).unwrap()
}

/// `v(u) = −‖u − peak‖²`: highest at one architecture's one-hot encoding.
struct Peak(Vec<f32>);

impl TaskValue for Peak {
    fn u_dim(&self) -> usize {
        self.0.len()
    }
    fn values(&self, u: &[Vec<f32>]) -> archinfer_infer::Result<Vec<f32>> {
        u.iter()
            .map(|r| {
                if r.len() != self.0.len() {
                    return Err(InferError::ULength { expected: self.0.len(), got: r.len() });
                }
                Ok(-r.iter().zip(&self.0).map(|(a, b)| (a - b).powi(2)).sum::<f32>())
            })
            .collect()
    }
    fn value_and_grad(&self, u: &[f32]) -> archinfer_infer::Result<(f32, Vec<f32>)> {
        let v = self.values(&[u.to_vec()])?[0];
        Ok((v, u.iter().zip(&self.0).map(|(a, b)| -2.0 * (a - b)).collect()))
    }
}

#[test]
fn a_third_value_model_plugs_into_the_proposal() {
    let s = space();
    let target = DiscreteArchitecture::sample(&s, &mut StdRng::seed_from_u64(3));
    let peak = Peak(target.one_hot_u(&s).unwrap());
    let opts = InferOptions::new().with_ascent(AscentConfig::new().with_starts(4).with_max_iters(3000).with_step(0.5)).with_ranking(Ranking::Continuous);
    let p = propose_with(&peak, &s, "peak", 3, Vec::new(), &opts).unwrap();
    assert_eq!(p.path, "host");
    assert_eq!(p.best().unwrap().architecture, target, "the ascent climbs to the peak");
    let trace = &p.best().unwrap().solution.trace;
    assert!(trace.windows(2).all(|w| w[1] >= w[0] - 1e-6), "the objective never falls");
    // The budget and discrete ranking go through the same model.
    let small = propose_with(&peak, &s, "peak", 3, Vec::new(), &opts.clone().with_max_params(Some(target.num_params(3).saturating_sub(1).max(1)))).unwrap();
    assert!(small.best().map(|c| c.params < target.num_params(3)).unwrap_or(true));
}

#[test]
fn the_default_host_ascent_matches_the_fused_and_burn_paths() {
    let dev = Device::default();
    let s = space();
    let dvn = DvnConfig::new(s.clone(), MetaFeatures::None, 12).with_seed(5).init(&dev).unwrap();
    let fused = FusedMlp::from_dvn(&dvn, None).unwrap();
    let burn = BurnValue::new(&dvn, None, &dev);
    let u = archinfer_encoding::Encoding::uniform(&s).relaxed(&s).unwrap();
    let (vf, gf) = TaskValue::value_and_grad(&fused, &u).unwrap();
    let (vb, gb) = burn.value_and_grad(&u).unwrap();
    approx::assert_abs_diff_eq!(vf, vb, epsilon = 1e-5);
    for (a, b) in gf.iter().zip(&gb) {
        approx::assert_abs_diff_eq!(a, b, epsilon = 1e-4);
    }
    let cfg = AscentConfig::new().with_starts(3).with_max_iters(200);
    let starts = random_starts(&s, &cfg);
    let fast = TaskValue::ascend(&fused, &s, &starts, &cfg, None).unwrap();
    let host = host_ascend(&fused, &s, &starts, &cfg, None).unwrap();
    for (a, b) in fast.iter().zip(&host) {
        assert_eq!(a.architecture, b.architecture);
        approx::assert_relative_eq!(a.value, b.value, max_relative = 1e-3);
    }
    let via_burn = BurnValue::new(&dvn, None, &dev).ascend(&s, &starts, &cfg, None).unwrap();
    assert_eq!(via_burn[0].architecture, fast[0].architecture);
}
