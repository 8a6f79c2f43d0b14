//! The comparison's result: one row per method, held-out task and budget, the per-method
//! summaries (mean regret and accuracy, ranks, wins/ties/losses against the proposal, a
//! Wilcoxon test) and the markdown `evaluate compare` writes.

use serde::{Deserialize, Serialize};

use super::baselines::methods;
use super::method::Method;
use crate::stats::{mean_ranks, wilcoxon, wins_ties_losses};

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
    /// tasks, on test accuracy (the protocol's test); `None` when not defined.
    pub wilcoxon_p: Option<f64>,
    /// The same test on normalised regret, reported beside it (the only test of comparisons
    /// written before the protocol; absent in their files).
    #[serde(default)]
    pub wilcoxon_regret_p: Option<f64>,
}

/// What [`compare`](crate::compare::compare()) returns: every row and the per-method summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// One row per held-out task, method and budget.
    pub rows: Vec<CompareRow>,
    /// One summary per method and budget, budgets ascending, methods in [`methods`] order.
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
        table_methods(&self.rows)
            .into_iter()
            .map(|m| (m.to_string(), ks.iter().zip(self.curve(m, ks)).filter_map(|(&k, v)| v.map(|v| (k as f64, v))).collect::<Vec<_>>()))
            .filter(|(_, p)| !p.is_empty())
            .collect()
    }

    /// The markdown `evaluate compare` writes: the headroom, per budget of `asked` the
    /// summary ([`summary_markdown`]) and each task's test accuracy by method, then the
    /// any-time curve over [`ANYTIME_BUDGETS`] where every budget was computed.
    pub fn markdown(&self, asked: &[usize], pool: usize, tasks: usize) -> String {
        let mut t = format!(
            "Pool of {pool} networks; {tasks} held-out tasks; regret is normalised per task (0 = pool best, 1 = pool median). Headroom (pool best test − single-best default test, mean over tasks): {:.2} points. Protocol: R = 1 (each pool member and child as recorded, one training on its recorded seed; each proposal trained once, its seed in proposals.jsonl); W / T / L by test accuracy, within 0.1 point a tie; Wilcoxon: two-sided exact signed-rank over tasks on test accuracy, on regret beside it.\n\n",
            100.0 * self.headroom
        );
        for &k in asked {
            t += &summary_markdown(&self.summary, k);
            let mut names: Vec<&str> = self.rows.iter().filter(|r| r.k == k).map(|r| r.task.as_str()).collect();
            names.dedup();
            let all = table_methods(&self.rows);
            t += &format!("| task (test %, K = {k}) | {} |\n|---|{}\n", all.iter().map(|m| m.name()).collect::<Vec<_>>().join(" | "), "---|".repeat(all.len()));
            for n in names {
                let cell = |m: Method| {
                    self.rows.iter().find(|r| r.task == n && r.k == k && r.method == m).map_or("–".into(), |r| format!("{:.2}", 100.0 * r.test_accuracy))
                };
                t += &format!("| {n} | {} |\n", all.iter().map(|&m| cell(m)).collect::<Vec<_>>().join(" | "));
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
        for m in table_methods(&self.rows) {
            let cells: Vec<String> = self.curve(m, &ANYTIME_BUDGETS).into_iter().map(|v| v.map_or("–".into(), |v| format!("{v:.3}"))).collect();
            t += &format!("| {m} | {} |\n", cells.join(" | "));
        }
        t
    }
}

/// The budgets of the any-time curve: K = 1 … 10.
pub const ANYTIME_BUDGETS: [usize; 20] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

/// Every method's summary at budget `k`, as a markdown table.
pub fn summary_markdown(summary: &[MethodSummary], k: usize) -> String {
    let mut t = format!(
        "**K = {k}**\n\n| method | tasks | mean normalised regret | mean test % | mean rank | proposal W / T / L | Wilcoxon p, test accuracy (proposal vs) | p, regret |\n|---|---|---|---|---|---|---|---|\n"
    );
    for s in summary.iter().filter(|s| s.k == k) {
        let wtl = s.proposal_wtl.map_or("–".to_string(), |(w, t, l)| format!("{w} / {t} / {l}"));
        let p = s.wilcoxon_p.map_or("–".to_string(), |p| format!("{p:.3}"));
        let pr = s.wilcoxon_regret_p.map_or("–".to_string(), |p| format!("{p:.3}"));
        let rank = if s.mean_rank.is_finite() { format!("{:.2}", s.mean_rank) } else { "–".to_string() };
        t += &format!("| {} | {} | {:.3} | {:.2} | {rank} | {wtl} | {p} | {pr} |\n", s.method, s.tasks, s.mean_regret, 100.0 * s.mean_test_accuracy);
    }
    t.push('\n');
    t
}


/// Per-method summaries of rows pooled from several comparisons (e.g. both suites, with task
/// names unique across them), at every budget they hold: what [`compare`](crate::compare::compare()) reports per suite.
pub fn summarise_rows(rows: &[CompareRow], tie: f64) -> Vec<MethodSummary> {
    let mut budgets: Vec<usize> = rows.iter().map(|r| r.k).collect();
    budgets.sort_unstable();
    budgets.dedup();
    summarise(rows, &budgets, tie)
}

/// Per-method summaries of `rows` at each budget.
pub(crate) fn summarise(rows: &[CompareRow], budgets: &[usize], tie: f64) -> Vec<MethodSummary> {
    let mut out = Vec::new();
    for &k in budgets {
        let at_k: Vec<&CompareRow> = rows.iter().filter(|r| r.k == k).collect();
        let mut tasks: Vec<&str> = at_k.iter().map(|r| r.task.as_str()).collect();
        tasks.sort_unstable();
        tasks.dedup();
        let get = |m: Method, task: &str| at_k.iter().find(|r| r.method == m && r.task == task).copied();
        let present: Vec<Method> = table_methods(rows).into_iter().filter(|&m| at_k.iter().any(|r| r.method == m)).collect();
        // Ranks over the tasks the proposal has rows on (every task without proposals), among
        // the methods with a row on each of them: a run in progress ranks everyone over its
        // finished tasks; pooled suites leave out a classic model of one modality, which has
        // rows on its suite's tasks only.
        let reference: Vec<&str> = match tasks.iter().copied().filter(|t| get(Method::Proposal, t).is_some()).collect::<Vec<_>>() {
            mine if mine.is_empty() => tasks.clone(),
            mine => mine,
        };
        let ranked: Vec<Method> = present.iter().copied().filter(|&m| reference.iter().all(|t| get(m, t).is_some())).collect();
        let complete: Vec<&str> = reference.iter().copied().filter(|t| ranked.iter().all(|&m| get(m, t).is_some())).collect();
        let scores: Vec<Vec<f64>> = ranked.iter().map(|&m| complete.iter().map(|t| get(m, t).map_or(0.0, |r| r.test_accuracy)).collect()).collect();
        let ranks = mean_ranks(&scores);
        for &m in &present {
            let mine: Vec<&CompareRow> = at_k.iter().filter(|r| r.method == m).copied().collect();
            let count = mine.len().max(1) as f64;
            let (mut wtl, mut p, mut p_regret) = (None, None, None);
            if m != Method::Proposal {
                let paired: Vec<(&CompareRow, &CompareRow)> = mine.iter().filter_map(|r| get(Method::Proposal, &r.task).map(|pr| (pr, *r))).collect();
                if !paired.is_empty() {
                    let a: Vec<f64> = paired.iter().map(|(pr, _)| pr.test_accuracy).collect();
                    let b: Vec<f64> = paired.iter().map(|(_, r)| r.test_accuracy).collect();
                    wtl = Some(wins_ties_losses(&a, &b, tie));
                    p = wilcoxon(&a, &b).map(|w| w.p_value);
                    // Lower regret is better: test regret(b) − regret(a) so positive favours the proposal.
                    let ra: Vec<f64> = paired.iter().map(|(_, r)| r.normalized_regret).collect();
                    let rb: Vec<f64> = paired.iter().map(|(pr, _)| pr.normalized_regret).collect();
                    p_regret = wilcoxon(&ra, &rb).map(|w| w.p_value);
                }
            }
            out.push(MethodSummary {
                method: m,
                k,
                tasks: mine.len(),
                mean_regret: mine.iter().map(|r| r.normalized_regret).sum::<f64>() / count,
                mean_test_accuracy: mine.iter().map(|r| r.test_accuracy).sum::<f64>() / count,
                mean_rank: ranked.iter().position(|&r| r == m).and_then(|j| ranks.get(j).copied()).unwrap_or(f64::NAN),
                proposal_wtl: wtl,
                wilcoxon_p: p,
                wilcoxon_regret_p: p_regret,
            });
        }
    }
    out
}

/// The methods of `rows` in table order: the registered ones ([`methods`]) that have rows, then
/// any other (a program's own [`Baseline`](crate::compare::Baseline), or rows of another build)
/// in the order they first appear. A registered method without rows (a classic model of the
/// other modality) gets no column.
fn table_methods(rows: &[CompareRow]) -> Vec<Method> {
    let mut all = methods();
    all.retain(|m| rows.iter().any(|r| r.method == *m));
    for r in rows {
        if !all.contains(&r.method) {
            all.push(r.method);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::CompareOptions;

    fn row(task: &str, method: Method, acc: f64) -> CompareRow {
        CompareRow { task: task.into(), method, k: 1, test_accuracy: acc, normalized_regret: 1.0 - acc }
    }

    #[test]
    fn ties_are_a_tenth_of_a_point_and_the_test_is_on_accuracy_with_regret_beside() {
        // The proposal is ahead on six tasks by 5, 4, 3, 2, 1 and 0.05 points: the last is a tie.
        // Regrets are set against the accuracies on purpose (ahead on accuracy, behind on the
        // regret of tasks e and f), so the two tests must differ.
        let gaps = [0.05, 0.04, 0.03, 0.02, 0.01, 0.0005];
        let mut rows = Vec::new();
        for (i, g) in gaps.iter().enumerate() {
            let t = ["a", "b", "c", "d", "e", "f"][i];
            let behind = i >= 4;
            rows.push(CompareRow { task: t.into(), method: Method::Proposal, k: 1, test_accuracy: 0.8 + g, normalized_regret: if behind { 0.9 } else { 0.1 } });
            rows.push(CompareRow { task: t.into(), method: Method::SingleBest, k: 1, test_accuracy: 0.8, normalized_regret: if behind { 0.2 } else { 0.5 + 0.1 * i as f64 } });
        }
        let s = summarise_rows(&rows, CompareOptions::TIE);
        let sb = s.iter().find(|x| x.method == Method::SingleBest).unwrap();
        assert_eq!(sb.proposal_wtl, Some((5, 1, 0)));
        // Six differences of one sign: the exact two-sided p is 2 / 2⁶.
        approx::assert_abs_diff_eq!(sb.wilcoxon_p.unwrap(), 2.0 / 64.0, epsilon = 1e-12);
        let pr = sb.wilcoxon_regret_p.unwrap();
        assert!(pr > 0.1, "on regret the proposal is behind on two tasks: p {pr}");
        let md = summary_markdown(&s, 1);
        assert!(md.contains("Wilcoxon p, test accuracy") && md.contains("| 5 / 1 / 0 | 0.031 |"), "{md}");
    }

    #[test]
    fn a_method_on_part_of_the_tasks_is_summarised_but_not_ranked() {
        let text = Method::new("tfidf-char-lr");
        let rows = vec![
            row("a", Method::Proposal, 0.9),
            row("a", Method::SingleBest, 0.8),
            row("a", Method::Classic, 0.7),
            row("a", text, 0.95),
            row("b", Method::Proposal, 0.5),
            row("b", Method::SingleBest, 0.6),
            row("b", Method::Classic, 0.4),
        ];
        let s = summarise_rows(&rows, 1e-6);
        let of = |m: Method| s.iter().find(|x| x.method == m).unwrap();
        // Ranked over both tasks among the three methods that have both: 1 then 2; 2 then 1; 3, 3.
        assert_eq!(of(Method::Proposal).mean_rank, 1.5);
        assert_eq!(of(Method::SingleBest).mean_rank, 1.5);
        assert_eq!(of(Method::Classic).mean_rank, 3.0);
        assert!(of(text).mean_rank.is_nan());
        assert_eq!((of(text).tasks, of(text).proposal_wtl), (1, Some((0, 0, 1))));
        assert!(summary_markdown(&s, 1).lines().any(|l| l.starts_with("| tfidf-char-lr | 1 |") && l.contains("| – |")));
        // A run in progress: the proposal on task a only is ranked, over task a.
        let partial: Vec<CompareRow> = rows.iter().filter(|r| !(r.task == "b" && r.method == Method::Proposal)).cloned().collect();
        let p = summarise_rows(&partial, 1e-6);
        assert_eq!(p.iter().find(|x| x.method == Method::Proposal).unwrap().mean_rank, 2.0);
        // A method without rows gets no column; the one with rows does.
        let md = Comparison { rows: rows.clone(), summary: s, headroom: 0.0 }.markdown(&[1], 2, 2);
        assert!(md.contains("| tfidf-char-lr |") && !md.contains("pixels-lr"), "{md}");
    }
}
