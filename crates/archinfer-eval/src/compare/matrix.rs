//! The configs × tasks matrix of recorded results every baseline reads (the shape of TabRepo
//! and HPO-B), and the simple facts of each task that the nearest-task baseline measures
//! distance by.

use archinfer_app::{AppError, POOL_FIRST_INDEX, Pool};
use archinfer_encoding::DiscreteArchitecture;
use archinfer_store::ExperimentStore;
use serde::{Deserialize, Serialize};

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

    /// The recorded results of `pool` as a configs × tasks matrix, over `tasks` (all the
    /// store's tasks when `None`), with the one-line architectures as config names.
    ///
    /// # Errors
    /// [`AppError::PoolIncomplete`] naming a task where some member is not trained (or
    /// failed); [`EvalError::UnknownTask`]; storage failures; too few tasks.
    pub fn from_pool(pool: &Pool, store: &dyn ExperimentStore, tasks: Option<&[String]>) -> Result<Self> {
        let all: Vec<String> = store.tasks()?.into_iter().map(|t| t.name).collect();
        let names: Vec<String> = match tasks {
            Some(list) => {
                for n in list {
                    if !all.contains(n) {
                        return Err(EvalError::UnknownTask(n.clone()));
                    }
                }
                list.to_vec()
            }
            None => all,
        };
        let configs = pool
            .members
            .iter()
            .map(|m| serde_json::from_str::<DiscreteArchitecture>(&m.architecture).map(|a| a.to_string()).map_err(|e| EvalError::from(AppError::BadPool(e.to_string()))))
            .collect::<Result<Vec<_>>>()?;
        let (mut val, mut test) = (Vec::new(), Vec::new());
        for name in &names {
            let mut v = vec![f64::NAN; pool.size()];
            let mut t = vec![f64::NAN; pool.size()];
            for tr in store.trials(Some(name))? {
                if let (true, Some(r)) = (pool.is_member(&tr), &tr.result) {
                    v[tr.trial_index - POOL_FIRST_INDEX] = f64::from(r.val_accuracy);
                    t[tr.trial_index - POOL_FIRST_INDEX] = f64::from(r.test_accuracy);
                }
            }
            let missing = v.iter().filter(|x| !x.is_finite()).count();
            if missing > 0 {
                return Err(AppError::PoolIncomplete { task: name.clone(), missing, size: pool.size() }.into());
            }
            val.push(v);
            test.push(t);
        }
        PoolMatrix::new(names, configs, val, test)
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
        Self::score(&self.val[t], c)
    }

    /// Normalised score of config `c` in `row`: 1 − normalised regret (higher is better).
    fn score(row: &[f64], c: usize) -> f64 {
        let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let spread = best - Self::median(row);
        // Higher is better: 1 − regret.
        if spread > 0.0 { 1.0 - (best - row[c]) / spread } else { row[c] - best }
    }

    /// The hindsight default: the config with the best mean normalised *test* score over all
    /// tasks, the held-out ones included. Not a method a user could run; it shows what the
    /// best fixed network would have scored.
    pub fn hindsight_default(&self) -> usize {
        let mean = |c: usize| (0..self.tasks.len()).map(|t| Self::score(&self.test[t], c)).sum::<f64>();
        (0..self.configs.len()).fold(0, |b, c| if mean(c) > mean(b) { c } else { b })
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

    /// The `k` best configs (by validation) of the training task nearest to `held_out` by
    /// [`TaskFacts::distance`] (`facts` has one entry per task).
    pub fn nearest_task(&self, facts: &[TaskFacts], held_out: usize, train: &[usize], k: usize) -> Vec<usize> {
        let dist = |a: usize| facts.get(a).zip(facts.get(held_out)).map_or(f64::INFINITY, |(x, y)| x.distance(y));
        let Some(&near) = train.iter().min_by(|&&a, &&b| dist(a).total_cmp(&dist(b))) else {
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


/// The simple meta-features the nearest-task baseline measures distance by (Auto-sklearn 1.0 /
/// FLAML zero-shot style): training samples, classes and modality; and the scores of the
/// models outside the space trained on the task, which the classic baselines read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskFacts {
    /// Training samples.
    pub train: usize,
    /// Classes.
    pub classes: usize,
    /// Input dimension (of the raw input the modules read; 0 when unknown).
    pub dim: usize,
    /// Modality or suite (`images`, `texts`); tasks of another modality are never nearest
    /// while one of the same is available.
    pub modality: String,
    /// Models outside the space trained on this task's splits ([`crate::classic`]); empty
    /// when none was run.
    #[serde(default)]
    pub outside: Vec<OutsideScore>,
}

/// A model outside the space (a classic default) trained on a task: what a user would run
/// instead of a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutsideScore {
    /// The model's method name (`tfidf-word-lr`, …).
    pub method: String,
    /// Validation accuracy (what picks among several).
    pub valid: f64,
    /// Test accuracy.
    pub test: f64,
}

impl TaskFacts {
    /// The facts a store records of a task. The modality is left empty: every task of one
    /// database reads the same embedding modules (its space's), hence shares one modality.
    pub fn of(record: &archinfer_store::TaskRecord) -> Self {
        Self { train: record.train, classes: record.num_classes, dim: 0, modality: String::new(), outside: Vec::new() }
    }

    /// Log-scaled features: `ln(1 + train)`, `ln(classes)`, `ln(1 + dim)`.
    fn vector(&self) -> [f64; 3] {
        [(1.0 + self.train as f64).ln(), (self.classes.max(1) as f64).ln(), (1.0 + self.dim as f64).ln()]
    }

    /// Distance to `other`: Euclidean over the log-scaled features, plus 1,000 across modalities.
    pub fn distance(&self, other: &TaskFacts) -> f64 {
        let (a, b) = (self.vector(), other.vector());
        let d: f64 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
        d + if self.modality == other.modality { 0.0 } else { 1_000.0 }
    }
}

