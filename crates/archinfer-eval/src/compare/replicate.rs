//! The protocol's R: every training of a held-out task repeated on other seeds, shared by
//! the pool and every method. Replicate `r` retrains each pool member from its recorded seed
//! + `r` × [`SEED_STRIDE`], the zero-shot proposal's candidates from the comparison's seed + j
//! + `r` × stride, and replays the adaptive loop on that replicate's results (training its
//! candidates outside the pool from seed + step + `r` × stride). In replicate 0 the pool and
//! the adaptive run are what the database and the adaptive log recorded; the zero-shot
//! candidates are those of the adaptive log's fit (the value network refitted: it is not
//! bit-reproducible, so they may differ from `proposals.jsonl`'s), trained from the
//! comparison's seeds. One JSON line per task and replicate in
//! `replicates.jsonl`, resumable; tables report the mean ± standard error across replicates.

use std::collections::BTreeMap;
use std::time::Instant;

use archinfer_adapt::{Adaptive, AdaptConfig, Candidates, codes_of};
use archinfer_app::Pool;
use archinfer_encoding::DiscreteArchitecture;
use archinfer_train::{ChildSpec, PreparedTask};
use serde::{Deserialize, Serialize};

use super::leave_one_out::compare_with_priors;
use super::matrix::{PoolMatrix, TaskFacts};
use super::method::Method;
use super::options::CompareOptions;
use super::prior::{AdaptiveStep, TaskPrior};
use super::report::Comparison;
use crate::error::{EvalError, Result};
use crate::proposal::ProposalSetup;
use crate::runner::{ResumableRuns, run_jobs};
use crate::stats::{wilcoxon, wins_ties_losses};

/// Seeds of replicate `r` are the recorded ones + `r` × this.
pub const SEED_STRIDE: u64 = 1_000_003;

/// One held-out task's trainings in one replicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicateRun {
    /// The task.
    pub task: String,
    /// The replicate (0: as recorded).
    pub replicate: usize,
    /// `(validation, test)` of each pool member, in pool order.
    pub pool: Vec<(f64, f64)>,
    /// `(validation, test)` of the zero-shot proposal's candidates, in order.
    pub zero_shot: Vec<(f64, f64)>,
    /// The adaptive loop's trainings.
    pub steps: Vec<AdaptiveStep>,
    /// Seconds of training.
    pub seconds: f64,
}

fn seed(base: u64, r: usize) -> u64 {
    base.wrapping_add(SEED_STRIDE.wrapping_mul(r as u64))
}

/// Runs the replicates `0..replicates` of the tasks of `names` that `log` lacks on `workers`
/// threads (`on_done` sees each) and returns every run of the log.
///
/// # Errors
/// A task without an adaptive run in `priors` or outside `matrix`; unreadable architectures;
/// training failures; the log failing.
#[allow(clippy::too_many_arguments)]
pub fn run_replicates(
    setup: &ProposalSetup,
    pool: &Pool,
    matrix: &PoolMatrix,
    priors: &BTreeMap<String, TaskPrior>,
    names: &[String],
    replicates: usize,
    workers: usize,
    log: &ResumableRuns<ReplicateRun>,
    on_done: &(dyn Fn(&ReplicateRun) + Sync),
) -> Result<Vec<ReplicateRun>> {
    let space = setup.space;
    let parse = |j: &str| DiscreteArchitecture::from_json(space, j).map_err(EvalError::from);
    let pool_archs = pool.members.iter().map(|m| parse(&m.architecture)).collect::<Result<Vec<_>>>()?;
    let have: std::collections::HashSet<(String, usize)> = log.read()?.into_iter().map(|p| (p.task, p.replicate)).collect();
    let mut jobs: Vec<(String, usize)> = names.iter().flat_map(|n| (0..replicates).map(move |r| (n.clone(), r))).filter(|j| !have.contains(j)).collect();
    jobs.reverse();
    let work = |_: &mut (), (name, r): (String, usize)| -> Result<Option<ReplicateRun>> {
        let t0 = Instant::now();
        let prior = priors.get(&name).ok_or_else(|| EvalError::BadOptions(format!("no adaptive run of `{name}` for its replicates (run with --adaptive)")))?;
        let t = matrix.tasks.iter().position(|n| *n == name).ok_or_else(|| EvalError::UnknownTask(name.clone()))?;
        let held = setup.tasks.iter().position(|x| x.name == name).ok_or_else(|| EvalError::UnknownTask(name.clone()))?;
        let task = setup.tasks[held].task.clone().ok_or_else(|| EvalError::NoSamples(name.clone()))?;
        let prepared = PreparedTask::new(&task, setup.device);
        let train = |arch: &DiscreteArchitecture, s: u64| -> Result<(f64, f64)> {
            let o = setup.trainer.train(&ChildSpec::Discrete(arch.clone()), &prepared, s)?;
            Ok((f64::from(o.val_accuracy), f64::from(o.test_accuracy)))
        };
        let pool_runs: Vec<(f64, f64)> = if r == 0 {
            (0..pool_archs.len()).map(|c| (matrix.val[t][c], matrix.test[t][c])).collect()
        } else {
            pool_archs.iter().zip(&pool.members).map(|(a, m)| train(a, seed(m.seed, r))).collect::<Result<_>>()?
        };
        let zero_shot = prior.zero_shot.iter().enumerate().map(|(j, json)| train(&parse(json)?, seed(setup.seed.wrapping_add(j as u64), r))).collect::<Result<Vec<_>>>()?;
        let steps = if r == 0 {
            prior.steps.clone()
        } else {
            let extra = prior.extra.iter().map(|(j, _)| parse(j)).collect::<Result<Vec<_>>>()?;
            let archs: Vec<&DiscreteArchitecture> = pool_archs.iter().chain(&extra).collect();
            let values: Vec<f64> = prior.values.iter().copied().chain(prior.extra.iter().map(|e| e.1)).collect();
            let codes = archs.iter().map(|a| codes_of(space, a)).collect::<archinfer_adapt::Result<Vec<_>>>()?;
            let mut a = Adaptive::new(Candidates { values, codes }, prior.scale, AdaptConfig::default().with_holdout_mse(prior.holdout_mse))?;
            let mut steps = Vec::new();
            while steps.len() < prior.steps.len() {
                let Some(c) = a.propose() else { break };
                let b = a.belief(c);
                let (val, test) = if c < pool_runs.len() { pool_runs[c] } else { train(archs[c], seed(setup.seed.wrapping_add(steps.len() as u64), r))? };
                a.observe(c, if val.is_finite() { val.clamp(0.0, 1.0) } else { 0.0 })?;
                steps.push(AdaptiveStep { architecture: archs[c].to_string(), pool_member: (c < pool_runs.len()).then_some(c), val, test, predicted: (b.mean, b.sd) });
            }
            steps
        };
        Ok(Some(ReplicateRun { task: name, replicate: r, pool: pool_runs, zero_shot, steps, seconds: t0.elapsed().as_secs_f64() }))
    };
    run_jobs(jobs, workers, log, &|| Ok(()), &work, &|r| {
        if let Some(r) = r {
            on_done(r);
        }
    })?;
    log.read()
}

/// One comparison per replicate `0..replicates` from `runs`: replicate `r`'s pool matrix
/// (tasks without a run of `r` keep their recorded rows), proposals and adaptive runs.
///
/// # Errors
/// As [`compare_with_priors`].
#[allow(clippy::too_many_arguments)]
pub fn replicate_comparisons(
    matrix: &PoolMatrix,
    facts: &[TaskFacts],
    held: &[usize],
    priors: &BTreeMap<String, TaskPrior>,
    runs: &[ReplicateRun],
    replicates: usize,
    options: &CompareOptions,
) -> Result<Vec<Comparison>> {
    let n = matrix.tasks.len();
    let training: Vec<Vec<usize>> = held.iter().map(|&t| (0..n).filter(|&x| x != t).collect()).collect();
    (0..replicates)
        .map(|r| {
            let of = |task: &str| runs.iter().find(|x| x.replicate == r && x.task == task);
            let mut m = matrix.clone();
            for (t, name) in matrix.tasks.iter().enumerate() {
                if let Some(run) = of(name).filter(|x| x.pool.len() == matrix.configs.len()) {
                    m.val[t] = run.pool.iter().map(|p| p.0).collect();
                    m.test[t] = run.pool.iter().map(|p| p.1).collect();
                }
            }
            let proposals: Vec<Option<Vec<(f64, f64)>>> = held.iter().map(|&t| of(&matrix.tasks[t]).map(|x| x.zero_shot.clone())).collect();
            let pr: Vec<Option<TaskPrior>> = held
                .iter()
                .map(|&t| {
                    let name = &matrix.tasks[t];
                    priors.get(name).zip(of(name)).map(|(p, x)| TaskPrior { steps: x.steps.clone(), ..p.clone() })
                })
                .collect();
            compare_with_priors(&m, facts, held, &training, &proposals, &pr, options)
        })
        .collect()
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let se = if v.len() > 1 { (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt() / n.sqrt() } else { 0.0 };
    (m, se)
}

/// The tables over replicates: per budget of `ks`, each method's mean normalised regret and
/// mean test accuracy (mean ± standard error across replicates of the mean over tasks), and
/// `reference`'s wins / ties / losses and Wilcoxon p against it on each task's test accuracy
/// averaged over replicates (ties within `tie`); then the any-time curve over `curve`.
pub fn replicate_markdown(comps: &[Comparison], reference: Method, ks: &[usize], curve: &[usize], tie: f64) -> String {
    let Some(first) = comps.first() else { return String::new() };
    let mut methods: Vec<Method> = Vec::new();
    for r in &first.rows {
        if !methods.contains(&r.method) {
            methods.push(r.method);
        }
    }
    let tasks: Vec<String> = {
        let mut t: Vec<String> = first.rows.iter().map(|r| r.task.clone()).collect();
        t.dedup();
        t.sort();
        t.dedup();
        t
    };
    // Per replicate, method and K: (mean regret, mean test) over tasks; per task the mean test
    // over replicates.
    let per = |m: Method, k: usize| -> Option<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let (mut reg, mut acc) = (Vec::new(), Vec::new());
        for c in comps {
            let rows: Vec<_> = c.rows.iter().filter(|r| r.method == m && r.k == k).collect();
            if rows.len() != tasks.len() {
                return None;
            }
            reg.push(rows.iter().map(|r| r.normalized_regret).sum::<f64>() / rows.len() as f64);
            acc.push(rows.iter().map(|r| r.test_accuracy).sum::<f64>() / rows.len() as f64);
        }
        let by_task = tasks
            .iter()
            .map(|t| comps.iter().filter_map(|c| c.rows.iter().find(|r| r.method == m && r.k == k && &r.task == t)).map(|r| r.test_accuracy).sum::<f64>() / comps.len() as f64)
            .collect();
        Some((reg, acc, by_task))
    };
    let mut md = format!(
        "Protocol: R = {} replicates (replicate 0 as recorded; replicate r retrains every pool member, proposal candidate and adaptive candidate of each task from its seed + r × {SEED_STRIDE}); {} held-out tasks. Means over tasks, then mean ± standard error across replicates; W / T / L and the two-sided exact Wilcoxon signed-rank test compare `{reference}` with each method on each task's test accuracy averaged over replicates, within {:.1} point a tie.\n\n",
        comps.len(),
        tasks.len(),
        100.0 * tie
    );
    for &k in ks {
        md += &format!("**K = {k}**\n\n| method | mean normalised regret | mean test % | {reference} W / T / L | Wilcoxon p, test accuracy |\n|---|---|---|---|---|\n");
        let Some((_, _, ref_tasks)) = per(reference, k) else { continue };
        for &m in &methods {
            let Some((reg, acc, by_task)) = per(m, k) else { continue };
            let ((rm, rs), (am, asd)) = (mean_se(&reg), mean_se(&acc));
            let (wtl, p) = if m == reference {
                ("–".to_string(), "–".to_string())
            } else {
                let (w, t, l) = wins_ties_losses(&ref_tasks, &by_task, tie);
                (format!("{w} / {t} / {l}"), wilcoxon(&ref_tasks, &by_task).map_or("–".into(), |x| format!("{:.3}", x.p_value)))
            };
            md += &format!("| {m} | {rm:.3} ± {rs:.3} | {:.2} ± {:.2} | {wtl} | {p} |\n", 100.0 * am, 100.0 * asd);
        }
        md.push('\n');
    }
    md += &format!("**Any-time: mean normalised regret (± s.e. across replicates) against K**\n\n| method | {} |\n|---|{}\n", curve.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | "), "---|".repeat(curve.len()));
    for &m in &methods {
        let cells: Vec<String> = curve.iter().map(|&k| per(m, k).map_or("–".into(), |(reg, _, _)| {
            let (a, s) = mean_se(&reg);
            format!("{a:.3} ± {s:.3}")
        })).collect();
        if cells.iter().any(|c| c != "–") {
            md += &format!("| {m} | {} |\n", cells.join(" | "));
        }
    }
    md
}

/// Mean over replicates of each method's any-time curve: `(method, [(K, mean regret)])`.
pub fn replicate_curves(comps: &[Comparison], ks: &[usize]) -> Vec<(String, Vec<(f64, f64)>)> {
    let Some(first) = comps.first() else { return Vec::new() };
    first
        .curves(ks)
        .into_iter()
        .map(|(m, points)| {
            let pts = points
                .iter()
                .map(|&(k, _)| {
                    let v: Vec<f64> = comps.iter().filter_map(|c| c.curves(&[k as usize]).into_iter().find(|(n, _)| *n == m).and_then(|(_, p)| p.first().map(|x| x.1))).collect();
                    (k, v.iter().sum::<f64>() / v.len().max(1) as f64)
                })
                .collect();
            (m, pts)
        })
        .collect()
}
