//! The fair baselines of issue 17, as small pure functions over a configs × tasks matrix of
//! recorded results (the shape of TabRepo and HPO-B): a single-best default and a greedy
//! portfolio chosen without hindsight, the nearest task's best, random search, normalised
//! regret, wins/ties/losses, mean ranks and a Wilcoxon signed-rank test over tasks.
//!
//! Every choice for a held-out task is made from the *training* tasks' rows only; the
//! held-out task's validation scores then pick among the K members (as a user who trains
//! the K networks would), and its test scores are what is reported.
//!
//! Not yet wired to the store or the command line: the pool that fills the matrix (`build-db`
//! training the same networks on every task) is still to come.

use crate::error::{EvalError, Result};

/// Recorded results of the same `configs` on every task: `val[t][c]`, `test[t][c]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolMatrix {
    /// Names of the tasks (rows).
    pub tasks: Vec<String>,
    /// Names of the configurations (columns), e.g. one-line architectures.
    pub configs: Vec<String>,
    /// Validation accuracy, `[task][config]`.
    pub val: Vec<Vec<f64>>,
    /// Test accuracy, `[task][config]`.
    pub test: Vec<Vec<f64>>,
}

impl PoolMatrix {
    /// Checks the shape: at least two tasks and one config, every row as long as `configs`,
    /// finite values.
    ///
    /// # Errors
    /// [`EvalError::TooFewTasks`] for fewer than two tasks, [`EvalError::PoolRow`] naming the
    /// task of a malformed row (or the first task, when there are no configs).
    pub fn new(tasks: Vec<String>, configs: Vec<String>, val: Vec<Vec<f64>>, test: Vec<Vec<f64>>) -> Result<Self> {
        if tasks.len() < 2 {
            return Err(EvalError::TooFewTasks { needed: 2, got: tasks.len() });
        }
        for (t, name) in tasks.iter().enumerate() {
            let ok = |m: &Vec<Vec<f64>>| m.get(t).is_some_and(|r| r.len() == configs.len() && r.iter().all(|v| v.is_finite()));
            if configs.is_empty() || val.len() != tasks.len() || test.len() != tasks.len() || !ok(&val) || !ok(&test) {
                return Err(EvalError::PoolRow { task: name.clone(), expected: configs.len() });
            }
        }
        Ok(Self { tasks, configs, val, test })
    }

    /// Median of a row.
    fn median(row: &[f64]) -> f64 {
        let mut v = row.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
    }

    /// Normalised regret of a test accuracy on task `t`: `(best − acc) / (best − median)` of the
    /// pool's test accuracies there (0 at the pool's best, 1 at its median, negative above the
    /// best). A task where best = median gives `best − acc` unscaled.
    pub fn normalized_regret(&self, t: usize, acc: f64) -> f64 {
        let row = &self.test[t];
        let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let spread = best - Self::median(row);
        if spread > 0.0 { (best - acc) / spread } else { best - acc }
    }

    /// Validation scores of task `t` normalised the same way (for choosing across tasks).
    fn val_score(&self, t: usize, c: usize) -> f64 {
        let row = &self.val[t];
        let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let spread = best - Self::median(row);
        // Higher is better: 1 − regret.
        if spread > 0.0 { 1.0 - (best - row[c]) / spread } else { row[c] - best }
    }

    /// The member of `members` with the best validation accuracy on task `t` (the first on
    /// ties), and its test accuracy: what a user who trains those networks keeps.
    pub fn best_by_validation(&self, t: usize, members: &[usize]) -> Option<(usize, f64)> {
        let mut best: Option<usize> = None;
        for &c in members {
            if best.is_none_or(|b| self.val[t][c] > self.val[t][b]) {
                best = Some(c);
            }
        }
        best.map(|c| (c, self.test[t][c]))
    }

    /// The single-best default: the config with the best mean normalised validation score over
    /// `train` tasks.
    pub fn single_best(&self, train: &[usize]) -> usize {
        self.greedy_portfolio(train, 1).first().copied().unwrap_or(0)
    }

    /// Greedy portfolio of `k` (Auto-sklearn 2.0 / TabRepo): members added one at a time, each
    /// minimising the training tasks' mean best-of-portfolio regret (by validation).
    pub fn greedy_portfolio(&self, train: &[usize], k: usize) -> Vec<usize> {
        let mut chosen: Vec<usize> = Vec::new();
        let mut current = vec![f64::NEG_INFINITY; train.len()];
        for _ in 0..k.min(self.configs.len()) {
            let mut best: Option<(usize, f64)> = None;
            for c in (0..self.configs.len()).filter(|c| !chosen.contains(c)) {
                let score: f64 = train.iter().zip(&current).map(|(&t, &cur)| cur.max(self.val_score(t, c))).sum();
                if best.is_none_or(|(_, s)| score > s) {
                    best = Some((c, score));
                }
            }
            let Some((c, _)) = best else { break };
            for (cur, &t) in current.iter_mut().zip(train) {
                *cur = cur.max(self.val_score(t, c));
            }
            chosen.push(c);
        }
        chosen
    }

    /// The `k` best configs (by validation) of the training task nearest to `held_out` by the
    /// Euclidean distance of `meta` rows (simple meta-features, scaled by the caller).
    pub fn nearest_task(&self, meta: &[Vec<f64>], held_out: usize, train: &[usize], k: usize) -> Vec<usize> {
        let dist = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
        let Some(&near) = train.iter().min_by(|&&a, &&b| dist(&meta[a], &meta[held_out]).total_cmp(&dist(&meta[b], &meta[held_out]))) else {
            return Vec::new();
        };
        let mut order: Vec<usize> = (0..self.configs.len()).collect();
        order.sort_by(|&a, &b| self.val[near][b].total_cmp(&self.val[near][a]));
        order.truncate(k);
        order
    }

    /// Expected test accuracy on task `t` of random search with budget `k`: `k` configs drawn
    /// without replacement, the best by validation kept, averaged over `orders` seeded draws.
    pub fn random_search(&self, t: usize, k: usize, orders: usize, seed: u64) -> f64 {
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut all: Vec<usize> = (0..self.configs.len()).collect();
        let orders = orders.max(1);
        let mut sum = 0.0;
        for _ in 0..orders {
            all.shuffle(&mut rng);
            sum += self.best_by_validation(t, &all[..k.clamp(1, all.len())]).map_or(0.0, |(_, a)| a);
        }
        sum / orders as f64
    }
}

/// Wins, ties and losses of `a` against `b`, paired by task (higher is better), with
/// differences within `tie` counted as ties.
pub fn wins_ties_losses(a: &[f64], b: &[f64], tie: f64) -> (usize, usize, usize) {
    a.iter().zip(b).fold((0, 0, 0), |(w, t, l), (x, y)| {
        if (x - y).abs() <= tie {
            (w, t + 1, l)
        } else if x > y {
            (w + 1, t, l)
        } else {
            (w, t, l + 1)
        }
    })
}

/// Mean rank of each method over tasks (`scores[method][task]`, higher is better; rank 1 is
/// best, ties share the mean of their ranks).
pub fn mean_ranks(scores: &[Vec<f64>]) -> Vec<f64> {
    let methods = scores.len();
    let tasks = scores.iter().map(Vec::len).min().unwrap_or(0);
    let mut total = vec![0.0; methods];
    for t in 0..tasks {
        let col: Vec<f64> = scores.iter().map(|s| -s[t]).collect();
        for (m, r) in midranks(&col).into_iter().enumerate() {
            total[m] += r;
        }
    }
    total.into_iter().map(|s| s / tasks.max(1) as f64).collect()
}

/// Ranks (1-based) of `x` ascending, ties sharing their mean rank.
fn midranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

/// A Wilcoxon signed-rank test of paired samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wilcoxon {
    /// Pairs with a non-zero difference (zeros are dropped, Wilcoxon's convention).
    pub n: usize,
    /// Sum of the ranks of the positive differences.
    pub w_plus: f64,
    /// Two-sided p-value, exact (the null distribution of `W+` enumerated over sign patterns,
    /// mid-ranks for ties).
    pub p_value: f64,
}

/// Two-sided Wilcoxon signed-rank test of `a − b`. `None` with fewer than one non-zero
/// difference.
pub fn wilcoxon(a: &[f64], b: &[f64]) -> Option<Wilcoxon> {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).filter(|d| *d != 0.0).collect();
    if d.is_empty() {
        return None;
    }
    let ranks = midranks(&d.iter().map(|v| v.abs()).collect::<Vec<_>>());
    // Doubled ranks are whole numbers even with ties: count sign patterns by their sum.
    let doubled: Vec<usize> = ranks.iter().map(|r| (r * 2.0).round() as usize).collect();
    let total: usize = doubled.iter().sum();
    let mut ways = vec![0.0f64; total + 1];
    ways[0] = 1.0;
    for &r in &doubled {
        for s in (r..=total).rev() {
            ways[s] += ways[s - r];
        }
    }
    let patterns = 2f64.powi(d.len() as i32);
    let w_plus2: usize = d.iter().zip(&doubled).filter(|(v, _)| **v > 0.0).map(|(_, r)| r).sum();
    // Two-sided: the probability of a W+ at least as far from its mean as the one seen.
    let mean2 = total as f64 / 2.0;
    let dev = (w_plus2 as f64 - mean2).abs();
    let tail: f64 = ways.iter().enumerate().filter(|(s, _)| (*s as f64 - mean2).abs() >= dev - 1e-9).map(|(_, w)| w).sum();
    Some(Wilcoxon { n: d.len(), w_plus: w_plus2 as f64 / 2.0, p_value: (tail / patterns).min(1.0) })
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let meta = vec![vec![0.0, 0.0], vec![5.0, 5.0], vec![5.1, 4.9]];
        assert_eq!(m.nearest_task(&meta, 2, &[0, 1], 2), vec![2, 1]);
        // Random search with the whole pool as budget always finds the best by validation.
        assert_abs_diff_eq!(m.random_search(2, 4, 100, 1), 0.93, epsilon = 1e-12);
        // With budget 1 it is the mean test accuracy of the pool.
        let mean = m.test[2].iter().sum::<f64>() / 4.0;
        assert_abs_diff_eq!(m.random_search(2, 1, 20_000, 3), mean, epsilon = 0.01);
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
