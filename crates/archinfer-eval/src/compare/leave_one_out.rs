//! The comparison itself: every registered baseline leave-one-task-out (or from given
//! training tasks) beside the trained proposal, as pure functions over the matrix.

use super::baseline::{Baseline, HeldOut};
use super::baselines::baselines;
use super::matrix::{PoolMatrix, TaskFacts};
use super::method::Method;
use super::options::CompareOptions;
use super::prior::TaskPrior;
use super::report::{CompareRow, Comparison, summarise};
use crate::error::{EvalError, Result};

/// Runs every baseline leave-one-task-out on the `held` tasks of `matrix` and sets the
/// proposal beside them.
///
/// For held-out task `t`, the training tasks are all others of the matrix; nothing of `t` is
/// seen before the K networks are "trained" (read from the pool), and then only their
/// validation accuracies pick the one whose test accuracy counts. `proposals[i]` are the
/// `(validation, test)` accuracies of the proposal's distinct candidates for `held[i]`, best
/// first, as trained on that task (`None`: no proposal for it; with fewer than K candidates,
/// all of them count at K). `facts` has one entry per task of the matrix.
///
/// # Errors
/// [`EvalError::BadOptions`] for bad options, a held index out of range, or `facts` /
/// `proposals` of the wrong length.
pub fn compare(matrix: &PoolMatrix, facts: &[TaskFacts], held: &[usize], proposals: &[Option<Vec<(f64, f64)>>], opts: &CompareOptions) -> Result<Comparison> {
    let n = matrix.tasks.len();
    let training: Vec<Vec<usize>> = held.iter().map(|&t| (0..n).filter(|&x| x != t).collect()).collect();
    compare_with_training(matrix, facts, held, &training, proposals, opts)
}

/// As [`compare`], the baselines of `held[i]` chosen from the tasks at `training[i]` only (as
/// the proposal's value network was): the split-half check, where they are the other half.
///
/// # Errors
/// As [`compare`]; [`EvalError::BadOptions`] for a training list of the wrong length, one that
/// is empty or holds its own held-out task, or an index out of range.
pub fn compare_with_training(
    matrix: &PoolMatrix,
    facts: &[TaskFacts],
    held: &[usize],
    training: &[Vec<usize>],
    proposals: &[Option<Vec<(f64, f64)>>],
    opts: &CompareOptions,
) -> Result<Comparison> {
    compare_with_priors(matrix, facts, held, training, proposals, &[], opts)
}

/// As [`compare_with_training`], with the value network's prior of each held-out task
/// (`priors[i]` for `held[i]`; an empty slice for none), which `adaptive` and `tpe` need.
///
/// # Errors
/// As [`compare_with_training`]; [`EvalError::BadOptions`] for priors of the wrong length.
pub fn compare_with_priors(
    matrix: &PoolMatrix,
    facts: &[TaskFacts],
    held: &[usize],
    training: &[Vec<usize>],
    proposals: &[Option<Vec<(f64, f64)>>],
    priors: &[Option<TaskPrior>],
    opts: &CompareOptions,
) -> Result<Comparison> {
    compare_baselines(&baselines(), matrix, facts, held, training, proposals, priors, opts)
}

/// As [`compare_with_priors`], with `baselines` in place of the registered ones (in table
/// order after the proposal): how a program compares its own [`Baseline`].
///
/// # Errors
/// As [`compare_with_priors`].
#[allow(clippy::too_many_arguments)]
pub fn compare_baselines(
    baselines: &[Box<dyn Baseline>],
    matrix: &PoolMatrix,
    facts: &[TaskFacts],
    held: &[usize],
    training: &[Vec<usize>],
    proposals: &[Option<Vec<(f64, f64)>>],
    priors: &[Option<TaskPrior>],
    opts: &CompareOptions,
) -> Result<Comparison> {
    opts.validate()?;
    if !priors.is_empty() && priors.len() != held.len() {
        return Err(EvalError::BadOptions(format!("{} priors for {} held-out tasks", priors.len(), held.len())));
    }
    let n = matrix.tasks.len();
    if training.len() != held.len() {
        return Err(EvalError::BadOptions(format!("{} training lists for {} held-out tasks", training.len(), held.len())));
    }
    for (&t, train) in held.iter().zip(training) {
        if train.is_empty() || train.contains(&t) || train.iter().any(|&x| x >= n) {
            return Err(EvalError::BadOptions(format!("training tasks {train:?} for held-out task {t} of {n}")));
        }
    }
    if facts.len() != n {
        return Err(EvalError::BadOptions(format!("{} task facts for {n} tasks", facts.len())));
    }
    if proposals.len() != held.len() {
        return Err(EvalError::BadOptions(format!("{} proposals for {} held-out tasks", proposals.len(), held.len())));
    }
    if let Some(&bad) = held.iter().find(|&&t| t >= n) {
        return Err(EvalError::BadOptions(format!("held-out task {bad} of {n}")));
    }
    let mut budgets = opts.budgets.clone();
    budgets.sort_unstable();
    budgets.dedup();
    let mut rows = Vec::new();
    for (i, &t) in held.iter().enumerate() {
        let here = HeldOut { matrix, facts, task: t, training: &training[i], options: opts, prior: priors.get(i).and_then(Option::as_ref) };
        let scores: Vec<(Method, Vec<Option<f64>>)> = baselines.iter().map(|b| (b.method(), b.scores(&here, &budgets))).collect();
        for (j, &k) in budgets.iter().enumerate() {
            let mut push = |method: Method, acc: f64| {
                rows.push(CompareRow { task: matrix.tasks[t].clone(), method, k, test_accuracy: acc, normalized_regret: matrix.normalized_regret(t, acc) })
            };
            if let Some(Some(runs)) = proposals.get(i) {
                let first: Vec<(f64, f64)> = runs.iter().take(k).copied().collect();
                if let Some(best) = first.iter().copied().reduce(|a, b| if b.0 > a.0 { b } else { a }) {
                    push(Method::Proposal, best.1);
                }
            }
            for (method, s) in &scores {
                if let Some(acc) = s.get(j).copied().flatten() {
                    push(*method, acc);
                }
            }
        }
    }
    let summary = summarise(&rows, &budgets, opts.tie);
    let headroom = held
        .iter()
        .zip(training)
        .map(|(&t, train)| {
            let best = matrix.test[t].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            best - matrix.test[t][matrix.single_best(train)]
        })
        .sum::<f64>()
        / held.len().max(1) as f64;
    Ok(Comparison { rows, summary, headroom })
}


/// A seeded split of `n` tasks into two halves (sizes ⌈n/2⌉ and ⌊n/2⌋), each sorted: the
/// split-half check fits on one and proposes for the other, then the other way round.
pub fn task_halves(n: usize, seed: u64) -> [Vec<usize>; 2] {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed ^ 0x6861_6c76_6573));
    let (a, b) = order.split_at(n.div_ceil(2));
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    [a, b]
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{mean_ranks, wilcoxon, wins_ties_losses};
    use approx::assert_abs_diff_eq;

    /// Three tasks × four configs. Config 2 is best on average by validation; config 3 is the
    /// best on task 2 only; config 0 is never best.
    fn matrix() -> PoolMatrix {
        let val = vec![vec![0.5, 0.7, 0.9, 0.6], vec![0.4, 0.8, 0.85, 0.5], vec![0.3, 0.5, 0.6, 0.95]];
        let test = vec![vec![0.52, 0.68, 0.88, 0.61], vec![0.41, 0.79, 0.86, 0.49], vec![0.29, 0.52, 0.58, 0.93]];
        let names = |p: &str, n: usize| (0..n).map(|i| format!("{p}{i}")).collect();
        PoolMatrix::new(names("t", 3), names("c", 4), val, test).unwrap()
    }

    #[test]
    fn halves_partition_the_tasks_and_baselines_see_only_their_training_list() {
        let [a, b] = task_halves(7, 1);
        assert_eq!((a.len(), b.len()), (4, 3));
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        assert_eq!(task_halves(7, 1), [a, b], "seeded");
        let m = matrix();
        let facts = vec![TaskFacts { train: 100, classes: 2, dim: 4, modality: "images".into(), ..Default::default() }; 3];
        let opts = CompareOptions { budgets: vec![1], random_orders: 10, seed: 0, tie: 1e-9 };
        // Trained on task 2 alone, task 0's single-best is config 3 (task 2's best): test 0.61.
        let c = compare_with_training(&m, &facts, &[0], &[vec![2]], &[None], &opts).unwrap();
        let single = c.rows.iter().find(|r| r.method == Method::SingleBest).unwrap();
        assert_abs_diff_eq!(single.test_accuracy, 0.61);
        // Leave-one-out (tasks 1 and 2) it is config 2: 0.88.
        let c = compare(&m, &facts, &[0], &[None], &opts).unwrap();
        assert_abs_diff_eq!(c.rows.iter().find(|r| r.method == Method::SingleBest).unwrap().test_accuracy, 0.88);
        // The markdown shows it: task t0, single-best 88.00 %; no any-time table at one budget.
        let md = c.markdown(&[1], 4, 1);
        assert!(md.contains("**K = 1**") && md.contains("| t0 |") && md.contains("88.00"), "{md}");
        assert!(!md.contains("Any-time"), "{md}");
        for bad in [vec![vec![0]], vec![vec![]], vec![vec![5]], vec![]] {
            assert!(compare_with_training(&m, &facts, &[0], &bad, &[None], &opts).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn regret_is_zero_at_the_best_and_one_at_the_median() {
        let m = matrix();
        // Task 0 test: best 0.88, median (0.61 + 0.68) / 2 = 0.645.
        assert_abs_diff_eq!(m.normalized_regret(0, 0.88), 0.0);
        assert_abs_diff_eq!(m.normalized_regret(0, 0.645), 1.0, epsilon = 1e-12);
        assert!(m.normalized_regret(0, 0.9) < 0.0);
    }

    #[test]
    fn defaults_and_portfolios_are_chosen_from_training_tasks_only() {
        let m = matrix();
        // Trained on tasks 0 and 1, config 2 is the default; held out, task 2's own best (3)
        // is not seen.
        assert_eq!(m.single_best(&[0, 1]), 2);
        // The portfolio of 2 over all tasks adds config 3, which covers task 2.
        assert_eq!(m.greedy_portfolio(&[0, 1, 2], 2), vec![2, 3]);
        // At test time the best of the portfolio by validation is kept.
        assert_eq!(m.best_by_validation(2, &[2, 3]), Some((3, 0.93)));
        assert_eq!(m.best_by_validation(2, &[]), None);
    }

    #[test]
    fn nearest_task_and_random_search() {
        let m = matrix();
        // Task 2's meta-features sit next to task 1's: its best two by validation are 2 and 1.
        let facts = |train: usize, modality: &str| TaskFacts { train, classes: 2, dim: 10, modality: modality.into(), ..Default::default() };
        let near = [facts(100, "images"), facts(5_000, "images"), facts(4_000, "images")];
        assert_eq!(m.nearest_task(&near, 2, &[0, 1], 2), vec![2, 1]);
        // Another modality is farther than any size difference.
        let other = [facts(4_000, "texts"), facts(10, "images"), facts(4_000, "images")];
        assert_eq!(m.nearest_task(&other, 2, &[0, 1], 1), vec![2]);
        assert!(other[2].distance(&other[0]) > other[2].distance(&other[1]));
        // Random search with the whole pool as budget always finds the best by validation.
        assert_abs_diff_eq!(m.random_search(2, 4, 100, 1), 0.93, epsilon = 1e-12);
        // With budget 1 it is the mean test accuracy of the pool.
        let mean = m.test[2].iter().sum::<f64>() / 4.0;
        assert_abs_diff_eq!(m.random_search(2, 1, 20_000, 3), mean, epsilon = 0.01);
    }

    #[test]
    fn a_baseline_of_ones_own_gets_rows_summaries_a_column_and_a_curve() {
        struct Last;
        impl Baseline for Last {
            fn method(&self) -> Method {
                Method::new("last-config")
            }
            fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
                budgets.iter().map(|_| Some(held.matrix.test[held.task][held.matrix.configs.len() - 1])).collect()
            }
        }
        let m = matrix();
        let facts: Vec<TaskFacts> = (0..3).map(|i| TaskFacts { train: 100 * (i + 1), classes: 2, dim: 10, modality: "images".into(), ..Default::default() }).collect();
        let training: Vec<Vec<usize>> = (0..3).map(|t| (0..3).filter(|&x| x != t).collect()).collect();
        let opts = CompareOptions { budgets: vec![1], ..CompareOptions::default() };
        let own: Vec<Box<dyn Baseline>> = vec![Box::new(Last)];
        let c = compare_baselines(&own, &m, &facts, &[0, 1, 2], &training, &[None, None, None], &[], &opts).unwrap();
        // Task 2's last config scores 0.93 on test.
        assert!(c.rows.iter().any(|r| r.method.name() == "last-config" && r.task == "t2" && (r.test_accuracy - 0.93).abs() < 1e-12));
        assert_eq!(c.summary_of(Method::new("last-config"), 1).map(|s| s.tasks), Some(3));
        assert!(c.markdown(&[1], 4, 3).contains("last-config"));
        assert!(c.curves(&[1]).iter().any(|(name, _)| name == "last-config"));
    }

    #[test]
    fn adaptive_reads_its_run_tpe_needs_codes_and_portfolio_random_starts_with_the_portfolio() {
        use super::super::prior::{AdaptiveStep, Coverage, TaskPrior};
        let m = matrix();
        let facts = vec![TaskFacts { train: 100, classes: 2, dim: 4, modality: "images".into(), ..Default::default() }; 3];
        let opts = CompareOptions { budgets: vec![1, 2, 3], random_orders: 50, seed: 0, tie: 1e-9 };
        let step = |arch: &str, val: f64, test: f64| AdaptiveStep { architecture: arch.into(), pool_member: None, val, test, predicted: (0.5, 0.1) };
        // Task 2's run: a candidate outside the pool (val 0.7), then config 3 (val 0.95).
        let prior = TaskPrior {
            task: "t2".into(),
            values: vec![0.0; 4],
            codes: vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]],
            scale: archinfer_adapt::AccuracyScale::default(),
            holdout_mse: 0.3,
            candidates: 5,
            extra: Vec::new(),
            zero_shot: Vec::new(),
            steps: vec![step("x", 0.7, 0.66), step("c3", 0.95, 0.93)],
            coverage: Coverage::default(),
            fit_seconds: 0.0,
            adapt_seconds: 0.0,
        };
        let training = vec![vec![0, 1]];
        let c = compare_with_priors(&m, &facts, &[2], &training, &[None], &[Some(prior)], &opts).unwrap();
        let at = |method: Method, k: usize| c.rows.iter().find(|r| r.method == method && r.k == k).map(|r| r.test_accuracy);
        assert_eq!(at(Method::Adaptive, 1), Some(0.66));
        // Budgets past the run keep its best.
        assert_eq!((at(Method::Adaptive, 2), at(Method::Adaptive, 3)), (Some(0.93), Some(0.93)));
        // TPE's first ten trainings are random: at budget 1 the pool's mean test accuracy, roughly.
        let tpe = at(Method::Tpe, 1).unwrap();
        assert!((0.29..=0.93).contains(&tpe), "{tpe}");
        // Up to five trainings, portfolio-random is the portfolio.
        assert_abs_diff_eq!(at(Method::PortfolioRandom, 2).unwrap(), at(Method::Portfolio, 2).unwrap(), epsilon = 1e-12);
        // Without a run, neither adaptive nor TPE names a network.
        let c = compare_with_priors(&m, &facts, &[2], &training, &[None], &[None], &opts).unwrap();
        assert!(c.rows.iter().all(|r| r.method != Method::Adaptive && r.method != Method::Tpe));
        assert!(compare_with_priors(&m, &facts, &[2], &training, &[None], &[None, None], &opts).is_err());
    }

    #[test]
    fn malformed_matrices_are_errors() {
        let bad = PoolMatrix::new(vec!["a".into(), "b".into()], vec!["c".into()], vec![vec![0.1], vec![]], vec![vec![0.1], vec![0.2]]);
        assert!(matches!(bad, Err(EvalError::PoolRow { task, expected: 1 }) if task == "b"));
        assert!(matches!(PoolMatrix::new(vec!["a".into()], vec![], vec![], vec![]), Err(EvalError::TooFewTasks { .. })));
        let nan = PoolMatrix::new(vec!["a".into(), "b".into()], vec!["c".into()], vec![vec![0.1], vec![f64::NAN]], vec![vec![0.1], vec![0.2]]);
        assert!(matches!(nan, Err(EvalError::PoolRow { task, .. }) if task == "b"));
    }

    #[test]
    fn counts_and_ranks_by_hand() {
        assert_eq!(wins_ties_losses(&[0.9, 0.5, 0.7], &[0.8, 0.5, 0.71], 0.005), (1, 1, 1));
        // Method 0 best on task 0, tied with method 1 on task 1.
        let ranks = mean_ranks(&[vec![0.9, 0.7], vec![0.8, 0.7], vec![0.1, 0.2]]);
        assert_eq!(ranks, vec![1.25, 1.75, 3.0]);
    }

    #[test]
    fn wilcoxon_matches_exact_tables() {
        // All 6 differences positive: W+ = 21, two-sided p = 2 / 64.
        let w = wilcoxon(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[0.0; 6]).unwrap();
        assert_eq!((w.n, w.w_plus), (6, 21.0));
        assert_abs_diff_eq!(w.p_value, 2.0 / 64.0, epsilon = 1e-12);
        // Symmetric differences: W+ at its mean, p = 1.
        let w = wilcoxon(&[1.0, -1.0, 2.0, -2.0], &[0.0; 4]).unwrap();
        assert_abs_diff_eq!(w.p_value, 1.0, epsilon = 1e-12);
        // Zeros are dropped; nothing left is no test.
        assert!(wilcoxon(&[1.0, 2.0], &[1.0, 2.0]).is_none());
        // n = 10, ranks 3 and 5 negative: W+ = 55 − 8 = 47.
        let d = [1.0, 2.0, -3.0, 4.0, -5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        let w = wilcoxon(&d, &[0.0; 10]).unwrap();
        assert_eq!(w.w_plus, 47.0);
        // Of the 1,024 sign patterns, 50 give a W+ at least 19.5 from its mean 27.5 (counted by
        // brute force over all patterns): p = 50 / 1024.
        assert_abs_diff_eq!(w.p_value, 50.0 / 1024.0, epsilon = 1e-12);
    }
}

