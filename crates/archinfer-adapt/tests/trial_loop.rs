//! The loop: seeds, the sink, the budget's typed errors.

use archinfer_adapt::{AccuracyScale, AdaptConfig, AdaptError, Adaptive, Candidates, Trial, run_trials_with};
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
use archinfer_train::{Outcome, Status};
use rand::SeedableRng;

fn setup(n: usize) -> (Adaptive, Vec<DiscreteArchitecture>) {
    let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 4)]).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut archs: Vec<DiscreteArchitecture> = Vec::new();
    while archs.len() < n {
        let a = DiscreteArchitecture::sample(&space, &mut rng);
        if !archs.iter().any(|b| b.to_string() == a.to_string()) {
            archs.push(a);
        }
    }
    let codes = archs.iter().map(|a| archinfer_adapt::codes_of(&space, a).unwrap()).collect();
    let values = (0..n).map(|i| i as f64 / n as f64).collect();
    (Adaptive::new(Candidates { values, codes }, AccuracyScale::default(), AdaptConfig::default()).unwrap(), archs)
}

fn outcome(acc: f32) -> Outcome {
    Outcome { val_accuracy: acc, test_accuracy: acc, final_loss: 0.1, seconds: 0.0, num_params: 10, epochs_run: 1, status: Status::Done }
}

#[test]
fn each_trial_is_trained_from_its_seed_and_shown_once_with_the_best_so_far() {
    let (mut a, archs) = setup(6);
    let mut seen: Vec<(usize, u64, usize)> = Vec::new();
    let accs = [0.5, 0.8, 0.6, 0.7, 0.9, 0.4];
    let trials = run_trials_with(&mut a, &archs, 4, 10, &mut |c, _, _| Ok(outcome(accs[c])), &mut |t: &Trial| {
        seen.push((t.number, t.seed, t.best.0));
        Ok(())
    })
    .unwrap();
    assert_eq!(trials.len(), 4);
    assert_eq!(seen.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(), vec![(1, 10), (2, 11), (3, 12), (4, 13)]);
    // The first proposal is the prior's best: candidate 5 (value 5/6).
    assert_eq!(trials[0].candidate, 5);
    // The best so far, by hand from the accuracies of the candidates trained.
    let mut best = (0, f32::NEG_INFINITY);
    for (t, s) in trials.iter().zip(&seen) {
        if accs[t.candidate] > best.1 {
            best = (t.number, accs[t.candidate]);
        }
        assert_eq!((s.2, t.best), (best.0, best));
    }
    let mut distinct: Vec<usize> = trials.iter().map(|t| t.candidate).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 4);
}

#[test]
fn budgets_are_checked_before_anything_is_trained_and_a_sink_error_stops_the_loop() {
    let (mut a, archs) = setup(3);
    let mut trained = 0;
    let mut train = |_: usize, _: &DiscreteArchitecture, _: u64| {
        trained += 1;
        Ok(outcome(0.5))
    };
    assert!(matches!(run_trials_with(&mut a, &archs, 0, 0, &mut train, &mut |_: &Trial| Ok(())), Err(AdaptError::ZeroBudget)));
    assert!(matches!(run_trials_with(&mut a, &archs, 4, 0, &mut train, &mut |_: &Trial| Ok(())), Err(AdaptError::BudgetTooLarge { budget: 4, candidates: 3 })));
    assert!(matches!(run_trials_with(&mut a, &archs[..2], 1, 0, &mut train, &mut |_: &Trial| Ok(())), Err(AdaptError::BadCandidates(_))));
    let r = run_trials_with(&mut a, &archs, 3, 0, &mut train, &mut |t: &Trial| if t.number == 2 { Err(AdaptError::Record("full".into())) } else { Ok(()) });
    assert!(matches!(r, Err(AdaptError::Record(_))));
    assert_eq!(trained, 2, "nothing trained before the checks; the loop stops at the refused trial");
}
