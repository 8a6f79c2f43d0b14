//! The cost of one few-shot adaptation step: observe a training, then choose the next
//! candidate (posterior of every candidate, expected improvement), at the sizes `fit --trials`
//! and `evaluate compare --adaptive` run: about 200 candidates (a 100-start ascent's distinct
//! argmaxes and a pool of 96), 25 groups in the encoding, after 1, 10 and 19 earlier trainings.
//! The goal is under 50 ms per observation.
//!
//! ```text
//! cargo bench --bench adaptation
//! ```

use archinfer::adapt::{AccuracyScale, AdaptConfig, Adaptive, Candidates};
use criterion::{BenchmarkId, Criterion};
use rand::{RngExt, SeedableRng};

fn candidates(n: usize, groups: usize) -> Candidates {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let values = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
    let codes = (0..n).map(|_| (0..groups).map(|_| rng.random_range(0..6u32)).collect()).collect();
    Candidates { values, codes }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("adaptation_step");
    for &(n, seen) in &[(200usize, 1usize), (200, 10), (200, 19), (1000, 19)] {
        let mut a = Adaptive::new(candidates(n, 25), AccuracyScale::default(), AdaptConfig::default()).unwrap();
        for k in 0..seen {
            let i = a.propose().unwrap();
            a.observe(i, 0.6 + 0.01 * k as f64).unwrap();
        }
        // The step: the training of the candidate chosen last comes back; observe it, choose the next.
        let next = a.propose().unwrap();
        g.bench_with_input(BenchmarkId::new(format!("{n}_candidates"), seen), &a, |b, a| {
            b.iter_batched(
                || a.clone(),
                |mut a| {
                    a.observe(next, 0.7).unwrap();
                    a.propose()
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
