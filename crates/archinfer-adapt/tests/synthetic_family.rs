//! A synthetic task family: 64 candidates over three groups of four choices; every training
//! task orders them the same way (`f`), at its own level and spread. The value network is
//! taken as perfect on the training tasks (it predicts `f` normalised).

use archinfer_adapt::{AccuracyScale, AdaptConfig, Adaptive, Candidates};

fn codes() -> Vec<Vec<u32>> {
    (0..64u32).map(|i| vec![i % 4, (i / 4) % 4, i / 16]).collect()
}

/// Distinct weights per group and choice: a unique best (all 3s) and worst (all 0s).
fn f(c: &[u32]) -> f64 {
    f64::from(c[0]) * 0.5 + f64::from(c[1]) * 0.3 + f64::from(c[2]) * 0.2
}

fn normalised(v: &[f64]) -> Vec<f64> {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
    v.iter().map(|x| (x - m) / s).collect()
}

/// The training tasks' children: level 0.6–0.8, spread 0.06–0.12.
fn scale() -> AccuracyScale {
    let fs = normalised(&codes().iter().map(|c| f(c)).collect::<Vec<_>>());
    let tasks: Vec<Vec<f32>> = (0..10).map(|t| fs.iter().map(|x| (0.6 + 0.02 * t as f64 + (0.06 + 0.006 * t as f64) * x) as f32).collect()).collect();
    AccuracyScale::from_tasks(&tasks).unwrap()
}

/// A small deterministic wobble, as seed noise (±0.4 point).
fn wobble(i: usize) -> f64 {
    ((i * 7919 % 17) as f64 / 16.0 - 0.5) * 0.008
}

fn prior() -> Adaptive {
    let values = normalised(&codes().iter().map(|c| f(c)).collect::<Vec<_>>());
    Adaptive::new(Candidates { values, codes: codes() }, scale(), AdaptConfig::default()).unwrap()
}

/// Best-so-far of `adaptive` on `truth`, budget 1…n: the candidate kept (best by observed).
fn adapt(truth: &[f64], n: usize) -> Vec<usize> {
    let mut a = prior();
    let mut kept = Vec::new();
    for _ in 0..n {
        let i = a.propose().unwrap();
        a.observe(i, truth[i]).unwrap();
        kept.push(a.best().unwrap().0);
    }
    kept
}

/// Zero-shot: the prior's top K, the best by observed kept.
fn zero_shot(truth: &[f64], k: usize) -> usize {
    let a = prior();
    let mut order: Vec<usize> = (0..64).collect();
    order.sort_by(|&x, &y| a.belief(y).mean.total_cmp(&a.belief(x).mean));
    order[..k].iter().copied().fold(order[0], |b, i| if truth[i] > truth[b] { i } else { b })
}

#[test]
fn a_wrong_prior_is_overcome_within_the_budget_and_zero_shot_is_not() {
    // The new task's best child lies where the training tasks' worst did.
    let truth: Vec<f64> = codes().iter().enumerate().map(|(i, c)| 0.7 + 0.1 * (1.0 - f(c) / 3.0) + wobble(i)).collect();
    let best = (0..64).fold(0, |b, i| if truth[i] > truth[b] { i } else { b });
    assert_eq!(codes()[best], vec![0, 0, 0]);
    // Half the candidates: a reversed ranking is a two-sigma surprise for the prior, and the
    // level and the network's weight are told apart only once trainings spread over values.
    let kept = adapt(&truth, 32);
    assert_eq!(*kept.last().unwrap(), best, "adaptive keeps {kept:?}");
    assert_ne!(zero_shot(&truth, 32), best);
    // (TPE, whose independent-groups model is exactly this additive family, finds it within
    // 32 on every one of 20 seeds: the prior costs adaptation trainings when it is wrong.)
}

#[test]
fn a_right_prior_is_not_made_worse() {
    // The network ranks the task right on the whole, but its third choice (candidate 59,
    // codes 3, 2, 3) is 2 points better than it thinks: the best is not the first choice.
    let truth: Vec<f64> = codes().iter().enumerate().map(|(i, c)| 0.65 + 0.1 * f(c) / 3.0 + wobble(i) + if i == 59 { 0.02 } else { 0.0 }).collect();
    let best = (0..64).fold(0, |b, i| if truth[i] > truth[b] { i } else { b });
    let kept = adapt(&truth, 20);
    assert_eq!(kept[0], zero_shot(&truth, 1), "the first proposal is the zero-shot one");
    assert_ne!(kept[0], best, "the test needs a best that is not the prior's first choice");
    for (k, &i) in kept.iter().enumerate() {
        let z = zero_shot(&truth, k + 1);
        assert!(truth[i] >= truth[z] - 1e-3, "budget {}: adaptive {} < zero-shot {}", k + 1, truth[i], truth[z]);
    }
    assert_eq!((best, *kept.last().unwrap()), (59, best), "adaptive keeps {kept:?}");
}
