//! The fair baselines of issue 17, as small pure functions over a configs × tasks matrix of
//! recorded results (the shape of TabRepo and HPO-B): a single-best default and a greedy
//! portfolio chosen without hindsight, the nearest task's best, random search, normalised
//! regret, wins/ties/losses, mean ranks and a Wilcoxon signed-rank test over tasks.
//!
//! Every choice for a held-out task is made from the *training* tasks' rows only; the
//! held-out task's validation scores then pick among the K members (as a user who trains
//! the K networks would), and its test scores are what is reported.
//!
//! [`crate::Pool::matrix`] reads the matrix from a store; [`compare`] runs every method
//! leave-one-task-out and summarises them.

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

/// A method of [`compare`]; the names are those of `archinfer evaluate compare --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// The value network's first K distinct candidates, trained on the task, best by validation.
    Proposal,
    /// The pool member with the best mean normalised validation score over the training tasks.
    SingleBest,
    /// The greedy portfolio of K over the training tasks, best by validation on the task.
    Portfolio,
    /// The K best members of the training task nearest by simple meta-features.
    NearestTask,
    /// K random pool members, best by validation, averaged over many orders.
    Random,
    /// The pool member best on all tasks by test accuracy: chosen with hindsight, for reference.
    HindsightDefault,
}

impl Method {
    /// Every method, in the order tables list them.
    pub const ALL: [Method; 6] = [Method::Proposal, Method::SingleBest, Method::Portfolio, Method::NearestTask, Method::Random, Method::HindsightDefault];

    /// The method's name (`proposal`, `single-best`, …).
    pub fn name(self) -> &'static str {
        match self {
            Method::Proposal => "proposal",
            Method::SingleBest => "single-best",
            Method::Portfolio => "portfolio",
            Method::NearestTask => "nearest-task",
            Method::Random => "random",
            Method::HindsightDefault => "hindsight-default",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The simple meta-features the nearest-task baseline measures distance by (Auto-sklearn 1.0 /
/// FLAML zero-shot style): training samples, classes and modality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

impl TaskFacts {
    /// The facts a store records of a task. The modality is left empty: every task of one
    /// database reads the same embedding modules (its space's), hence shares one modality.
    pub fn of(record: &archinfer_store::TaskRecord) -> Self {
        Self { train: record.train, classes: record.num_classes, dim: 0, modality: String::new() }
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

/// Settings of [`compare`].
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Budgets K (trainings a user spends on the task) to report, e.g. `[1, 3, 10]`.
    pub budgets: Vec<usize>,
    /// Random orders averaged for random search (≥ 100 recommended).
    pub random_orders: usize,
    /// Seed of random search.
    pub seed: u64,
    /// Test-accuracy differences up to this count as ties (wins / ties / losses).
    pub tie: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self { budgets: vec![1, 3, 10], random_orders: 1_000, seed: 0, tie: 1e-6 }
    }
}

impl CompareOptions {
    /// Checks the settings: at least one budget, none zero, at least one random order.
    ///
    /// # Errors
    /// [`EvalError::BadOptions`].
    pub fn validate(&self) -> Result<()> {
        if self.budgets.is_empty() || self.budgets.contains(&0) {
            return Err(EvalError::BadOptions(format!("budgets must be ≥ 1, got {:?}", self.budgets)));
        }
        if self.random_orders == 0 {
            return Err(EvalError::BadOptions("random_orders must be ≥ 1".into()));
        }
        if !(self.tie.is_finite() && self.tie >= 0.0) {
            return Err(EvalError::BadOptions(format!("tie must be finite and ≥ 0, got {}", self.tie)));
        }
        Ok(())
    }
}

/// One method's result on one held-out task at one budget: one `--json` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// Held-out task.
    pub task: String,
    /// Method.
    pub method: Method,
    /// Budget K: networks trained on the task.
    pub k: usize,
    /// Test accuracy (random search: expected over orders).
    pub test_accuracy: f64,
    /// `(pool best test − acc) / (pool best test − pool median test)`.
    pub normalized_regret: f64,
}

/// One method at one budget, over the held-out tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    /// Method.
    pub method: Method,
    /// Budget K.
    pub k: usize,
    /// Tasks it was scored on.
    pub tasks: usize,
    /// Mean normalised regret.
    pub mean_regret: f64,
    /// Mean test accuracy.
    pub mean_test_accuracy: f64,
    /// Mean rank among the methods at this K, by test accuracy (1 is best).
    pub mean_rank: f64,
    /// The proposal's wins, ties and losses against this method (by test accuracy, paired by
    /// task); `None` for the proposal itself or without proposals.
    pub proposal_wtl: Option<(usize, usize, usize)>,
    /// Two-sided exact Wilcoxon signed-rank p-value of the proposal against this method, over
    /// tasks (by normalised regret); `None` when not defined.
    pub wilcoxon_p: Option<f64>,
}

/// What [`compare`] returns: every row and the per-method summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// One row per held-out task, method and budget.
    pub rows: Vec<CompareRow>,
    /// One summary per method and budget, budgets ascending, methods in [`Method::ALL`] order.
    pub summary: Vec<MethodSummary>,
    /// Headroom: mean over the held-out tasks of (pool best test − single-best default test),
    /// in accuracy (not points): how much a task-specific choice from the pool could gain.
    pub headroom: f64,
}

impl Comparison {
    /// The summary of `method` at budget `k`.
    pub fn summary_of(&self, method: Method, k: usize) -> Option<&MethodSummary> {
        self.summary.iter().find(|s| s.method == method && s.k == k)
    }

    /// Mean normalised regret of `method` for each budget of `ks` (the any-time curve).
    pub fn curve(&self, method: Method, ks: &[usize]) -> Vec<Option<f64>> {
        ks.iter().map(|&k| self.summary_of(method, k).map(|s| s.mean_regret)).collect()
    }

    /// Every method's any-time curve over `ks`: `(method, [(K, mean normalised regret)])` at
    /// the budgets computed, methods without any left out.
    pub fn curves(&self, ks: &[usize]) -> Vec<(String, Vec<(f64, f64)>)> {
        Method::ALL
            .iter()
            .map(|&m| (m.to_string(), ks.iter().zip(self.curve(m, ks)).filter_map(|(&k, v)| v.map(|v| (k as f64, v))).collect::<Vec<_>>()))
            .filter(|(_, p)| !p.is_empty())
            .collect()
    }

    /// The markdown `evaluate compare` writes: the headroom, per budget of `asked` the
    /// summary ([`summary_markdown`]) and each task's test accuracy by method, then the
    /// any-time curve over [`ANYTIME_BUDGETS`] where every budget was computed.
    pub fn markdown(&self, asked: &[usize], pool: usize, tasks: usize) -> String {
        let mut t = format!(
            "Pool of {pool} networks; {tasks} held-out tasks; regret is normalised per task (0 = pool best, 1 = pool median). Headroom (pool best test − single-best default test, mean over tasks): {:.2} points.\n\n",
            100.0 * self.headroom
        );
        for &k in asked {
            t += &summary_markdown(&self.summary, k);
            let mut names: Vec<&str> = self.rows.iter().filter(|r| r.k == k).map(|r| r.task.as_str()).collect();
            names.dedup();
            t += &format!("| task (test %, K = {k}) | {} |\n|---|{}\n", Method::ALL.map(|m| m.name()).join(" | "), "---|".repeat(Method::ALL.len()));
            for n in names {
                let cell = |m: Method| {
                    self.rows.iter().find(|r| r.task == n && r.k == k && r.method == m).map_or("–".into(), |r| format!("{:.2}", 100.0 * r.test_accuracy))
                };
                t += &format!("| {n} | {} |\n", Method::ALL.map(cell).join(" | "));
            }
            t.push('\n');
        }
        if self.curve(Method::SingleBest, &ANYTIME_BUDGETS).iter().any(Option::is_none) {
            return t;
        }
        t += &format!(
            "**Any-time: mean normalised regret against K**\n\n| method | {} |\n|---|{}\n",
            ANYTIME_BUDGETS.map(|k| k.to_string()).join(" | "),
            "---|".repeat(ANYTIME_BUDGETS.len())
        );
        for m in Method::ALL {
            let cells: Vec<String> = self.curve(m, &ANYTIME_BUDGETS).into_iter().map(|v| v.map_or("–".into(), |v| format!("{v:.3}"))).collect();
            t += &format!("| {m} | {} |\n", cells.join(" | "));
        }
        t
    }
}

/// The budgets of the any-time curve: K = 1 … 10.
pub const ANYTIME_BUDGETS: [usize; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/// Every method's summary at budget `k`, as a markdown table.
pub fn summary_markdown(summary: &[MethodSummary], k: usize) -> String {
    let mut t = format!(
        "**K = {k}**\n\n| method | tasks | mean normalised regret | mean test % | mean rank | proposal W / T / L | Wilcoxon p (proposal vs) |\n|---|---|---|---|---|---|---|\n"
    );
    for s in summary.iter().filter(|s| s.k == k) {
        let wtl = s.proposal_wtl.map_or("–".to_string(), |(w, t, l)| format!("{w} / {t} / {l}"));
        let p = s.wilcoxon_p.map_or("–".to_string(), |p| format!("{p:.3}"));
        t += &format!("| {} | {} | {:.3} | {:.2} | {:.2} | {wtl} | {p} |\n", s.method, s.tasks, s.mean_regret, 100.0 * s.mean_test_accuracy, s.mean_rank);
    }
    t.push('\n');
    t
}

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
    opts.validate()?;
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
    let hindsight = matrix.hindsight_default();
    let mut rows = Vec::new();
    for (i, &t) in held.iter().enumerate() {
        let train = &training[i];
        let single = matrix.single_best(train);
        let max_k = budgets.last().copied().unwrap_or(1);
        let portfolio = matrix.greedy_portfolio(train, max_k);
        let near_order = matrix.nearest_task(facts, t, train, matrix.configs.len());
        for &k in &budgets {
            let mut push = |method: Method, acc: f64| {
                rows.push(CompareRow { task: matrix.tasks[t].clone(), method, k, test_accuracy: acc, normalized_regret: matrix.normalized_regret(t, acc) })
            };
            if let Some(Some(runs)) = proposals.get(i) {
                let first: Vec<(f64, f64)> = runs.iter().take(k).copied().collect();
                if let Some(best) = first.iter().copied().reduce(|a, b| if b.0 > a.0 { b } else { a }) {
                    push(Method::Proposal, best.1);
                }
            }
            push(Method::SingleBest, matrix.test[t][single]);
            if let Some((_, acc)) = matrix.best_by_validation(t, &portfolio[..k.min(portfolio.len())]) {
                push(Method::Portfolio, acc);
            }
            if let Some((_, acc)) = matrix.best_by_validation(t, &near_order[..k.min(near_order.len())]) {
                push(Method::NearestTask, acc);
            }
            push(Method::Random, matrix.random_search(t, k, opts.random_orders, opts.seed.wrapping_add(t as u64)));
            push(Method::HindsightDefault, matrix.test[t][hindsight]);
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

/// Per-method summaries of rows pooled from several comparisons (e.g. both suites, with task
/// names unique across them), at every budget they hold: what [`compare`] reports per suite.
pub fn summarise_rows(rows: &[CompareRow], tie: f64) -> Vec<MethodSummary> {
    let mut budgets: Vec<usize> = rows.iter().map(|r| r.k).collect();
    budgets.sort_unstable();
    budgets.dedup();
    summarise(rows, &budgets, tie)
}

/// Per-method summaries of `rows` at each budget.
fn summarise(rows: &[CompareRow], budgets: &[usize], tie: f64) -> Vec<MethodSummary> {
    let mut out = Vec::new();
    for &k in budgets {
        let at_k: Vec<&CompareRow> = rows.iter().filter(|r| r.k == k).collect();
        let mut tasks: Vec<&str> = at_k.iter().map(|r| r.task.as_str()).collect();
        tasks.sort_unstable();
        tasks.dedup();
        let get = |m: Method, task: &str| at_k.iter().find(|r| r.method == m && r.task == task).copied();
        let present: Vec<Method> = Method::ALL.into_iter().filter(|&m| at_k.iter().any(|r| r.method == m)).collect();
        // Ranks over the tasks where every present method has a row.
        let complete: Vec<&str> = tasks.iter().copied().filter(|t| present.iter().all(|&m| get(m, t).is_some())).collect();
        let scores: Vec<Vec<f64>> = present.iter().map(|&m| complete.iter().map(|t| get(m, t).map_or(0.0, |r| r.test_accuracy)).collect()).collect();
        let ranks = mean_ranks(&scores);
        for (j, &m) in present.iter().enumerate() {
            let mine: Vec<&CompareRow> = at_k.iter().filter(|r| r.method == m).copied().collect();
            let count = mine.len().max(1) as f64;
            let (mut wtl, mut p) = (None, None);
            if m != Method::Proposal {
                let paired: Vec<(&CompareRow, &CompareRow)> = mine.iter().filter_map(|r| get(Method::Proposal, &r.task).map(|pr| (pr, *r))).collect();
                if !paired.is_empty() {
                    let a: Vec<f64> = paired.iter().map(|(pr, _)| pr.test_accuracy).collect();
                    let b: Vec<f64> = paired.iter().map(|(_, r)| r.test_accuracy).collect();
                    wtl = Some(wins_ties_losses(&a, &b, tie));
                    // Lower regret is better: test regret(b) − regret(a) so positive favours the proposal.
                    let ra: Vec<f64> = paired.iter().map(|(_, r)| r.normalized_regret).collect();
                    let rb: Vec<f64> = paired.iter().map(|(pr, _)| pr.normalized_regret).collect();
                    p = wilcoxon(&ra, &rb).map(|w| w.p_value);
                }
            }
            out.push(MethodSummary {
                method: m,
                k,
                tasks: mine.len(),
                mean_regret: mine.iter().map(|r| r.normalized_regret).sum::<f64>() / count,
                mean_test_accuracy: mine.iter().map(|r| r.test_accuracy).sum::<f64>() / count,
                mean_rank: ranks.get(j).copied().unwrap_or(f64::NAN),
                proposal_wtl: wtl,
                wilcoxon_p: p,
            });
        }
    }
    out
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
    fn halves_partition_the_tasks_and_baselines_see_only_their_training_list() {
        let [a, b] = task_halves(7, 1);
        assert_eq!((a.len(), b.len()), (4, 3));
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        assert_eq!(task_halves(7, 1), [a, b], "seeded");
        let m = matrix();
        let facts = vec![TaskFacts { train: 100, classes: 2, dim: 4, modality: "images".into() }; 3];
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
        let facts = |train: usize, modality: &str| TaskFacts { train, classes: 2, dim: 10, modality: modality.into() };
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
