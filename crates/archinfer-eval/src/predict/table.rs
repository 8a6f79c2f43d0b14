//! The tables of `evaluate predict` as typed values, rendered to markdown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats::mean_std;

/// One fit of `evaluate predict` and its judgement on the held-out task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictRun {
    /// Held-out task.
    pub task: String,
    /// Meta-features variant.
    pub variant: String,
    /// Repeat (seed).
    pub repeat: usize,
    /// Spearman rank correlation of predicted and actual validation accuracy.
    pub spearman: f64,
    /// R² on per-task normalised values.
    pub r2: f64,
    /// Task picks until convergence.
    pub steps: usize,
    /// Seconds to fit.
    pub fit_seconds: f64,
    /// Value-network preset (`paper` for runs recorded before presets existed).
    #[serde(default = "paper_preset")]
    pub preset: String,
    /// z-swap: the Spearman with each training task's `z` in place of the held-out task's own,
    /// averaged (runs with meta-features only).
    #[serde(default)]
    pub swapped_spearman: Option<f64>,
    /// Training tasks whose `z` scored below the own one.
    #[serde(default)]
    pub swapped_worse: Option<usize>,
}

fn paper_preset() -> String {
    "paper".into()
}

/// Spearman and R² per held-out task and variant, mean ± std over repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictTable {
    /// Variants, in column order.
    pub variants: Vec<String>,
    /// Per task with any run: per variant, `((spearman mean, std), (r2 mean, std))`.
    pub rows: Vec<(String, Vec<Option<((f64, f64), (f64, f64))>>)>,
}

impl PredictTable {
    /// The table of `runs`, tasks in `order`.
    pub fn of(runs: &[PredictRun], order: &[String], variants: &[String]) -> Self {
        let mut by: BTreeMap<(&str, &str), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for r in runs {
            let e = by.entry((r.task.as_str(), r.variant.as_str())).or_default();
            e.0.push(r.spearman);
            e.1.push(r.r2);
        }
        let rows = order
            .iter()
            .filter(|t| variants.iter().any(|v| by.contains_key(&(t.as_str(), v.as_str()))))
            .map(|t| (t.clone(), variants.iter().map(|v| by.get(&(t.as_str(), v.as_str())).map(|e| (mean_std(&e.0), mean_std(&e.1)))).collect()))
            .collect();
        Self { variants: variants.to_vec(), rows }
    }

    /// Mean over tasks of each variant's mean Spearman (`r2`: of R²).
    pub fn column_means(&self, r2: bool) -> Vec<f64> {
        (0..self.variants.len())
            .map(|j| mean_std(&self.rows.iter().filter_map(|(_, c)| c[j].map(|(s, r)| if r2 { r.0 } else { s.0 })).collect::<Vec<_>>()).0)
            .collect()
    }

    /// The two markdown tables (Spearman, then R²).
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        for (title, r2) in [("Spearman rank correlation", false), ("R² (per-task normalised)", true)] {
            s += &format!("\n**{title}** (mean ± std over repeats)\n\n| held-out task |");
            for v in &self.variants {
                s += &format!(" {v} |");
            }
            s += &format!("\n|---|{}\n", "---|".repeat(self.variants.len()));
            for (t, cells) in &self.rows {
                s += &format!("| {t} |");
                for c in cells {
                    match c {
                        Some((sp, r)) => {
                            let (m, sd) = if r2 { *r } else { *sp };
                            s += &format!(" {m:.3} ± {sd:.3} |");
                        }
                        None => s += " – |",
                    }
                }
                s += "\n";
            }
            s += "| **mean over tasks** |";
            for m in self.column_means(r2) {
                s += &format!(" **{m:.3}** |");
            }
            s += "\n";
        }
        s
    }
}

/// z-swap and the paired comparison against `none`, for each variant with meta-features.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskAwarenessTable {
    /// Per variant: its name, the z-swap rows `(task, own, others, own wins, repeats)` and the
    /// paired rows `(task, mean difference, std, ahead, repeats)`.
    pub variants: Vec<(String, Vec<(String, f64, f64, usize, usize)>, Vec<(String, f64, f64, usize, usize)>)>,
}

impl TaskAwarenessTable {
    /// The table of `runs`, tasks in `order`; variant `none` has no z and is skipped.
    pub fn of(runs: &[PredictRun], order: &[String], variants: &[String]) -> Self {
        let get = |t: &str, v: &str| -> Vec<&PredictRun> { runs.iter().filter(|r| r.task == t && r.variant == v).collect() };
        let mut out = Vec::new();
        for v in variants.iter().filter(|v| v.as_str() != "none") {
            let mut swap = Vec::new();
            let mut paired = Vec::new();
            for t in order {
                let pairs: Vec<(f64, f64)> = get(t, v).iter().filter_map(|r| r.swapped_spearman.map(|o| (r.spearman, o))).collect();
                if !pairs.is_empty() {
                    let own = mean_std(&pairs.iter().map(|p| p.0).collect::<Vec<_>>()).0;
                    let other = mean_std(&pairs.iter().map(|p| p.1).collect::<Vec<_>>()).0;
                    swap.push((t.clone(), own, other, pairs.iter().filter(|p| p.0 > p.1 + 1e-9).count(), pairs.len()));
                }
                let none = get(t, "none");
                let d: Vec<f64> = get(t, v).iter().filter_map(|w| none.iter().find(|n| n.repeat == w.repeat).map(|n| w.spearman - n.spearman)).collect();
                if !d.is_empty() {
                    let (dm, ds) = mean_std(&d);
                    paired.push((t.clone(), dm, ds, d.iter().filter(|x| **x > 0.0).count(), d.len()));
                }
            }
            out.push((v.clone(), swap, paired));
        }
        Self { variants: out }
    }

    /// The markdown: per variant, the z-swap table and the paired table.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        for (v, swap, paired) in &self.variants {
            s += &format!(
                "\n**z-swap, {v}**: Spearman of the held-out task's children ranked with its own z and with each \
                 training task's z in its place (mean over repeats)\n\n\
                 | held-out task | own z | others' z (mean) | gap | own z wins (repeats) |\n|---|---|---|---|---|\n"
            );
            for (t, own, other, won, n) in swap {
                s += &format!("| {t} | {own:.3} | {other:.3} | {:+.3} | {won}/{n} |\n", own - other);
            }
            let wins = swap.iter().filter(|r| r.1 > r.2 + 1e-9).count();
            let (g, gs) = mean_std(&swap.iter().map(|r| r.1 - r.2).collect::<Vec<_>>());
            s += &format!("| **own z beats the others' mean on** | **{wins}/{} tasks** | | **{g:+.3}** ± {gs:.3} | |\n", swap.len());
            s += &format!(
                "\n**{v} against none**, paired by repeat (same seed): Spearman difference\n\n\
                 | held-out task | {v} − none (mean ± std over repeats) | ahead in repeats |\n|---|---|---|\n"
            );
            for (t, dm, ds, ahead, n) in paired {
                s += &format!("| {t} | {dm:+.3} ± {ds:.3} | {ahead}/{n} |\n");
            }
            let ahead = paired.iter().filter(|r| r.1 > 0.0).count();
            let (dm, ds) = mean_std(&paired.iter().map(|r| r.1).collect::<Vec<_>>());
            s += &format!("| **ahead on** | **{ahead}/{} tasks**, mean difference **{dm:+.3}** ± {ds:.3} (std over tasks) | |\n", paired.len());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn predict_tables_average_over_repeats() {
        let r = |variant: &str, repeat, spearman, swapped| PredictRun {
            task: "t".into(),
            variant: variant.into(),
            repeat,
            spearman,
            r2: 0.5 * spearman,
            steps: 1,
            fit_seconds: 1.0,
            preset: "paper".into(),
            swapped_spearman: swapped,
            swapped_worse: None,
        };
        let runs = vec![r("none", 0, 0.2, None), r("none", 1, 0.4, None), r("learned", 0, 0.5, Some(0.3)), r("learned", 1, 0.3, Some(0.3))];
        let order = vec!["t".to_string()];
        let variants = vec!["none".to_string(), "learned".to_string()];
        let p = PredictTable::of(&runs, &order, &variants);
        assert_relative_eq!(p.column_means(false)[0], 0.3, epsilon = 1e-12);
        assert_relative_eq!(p.column_means(true)[1], 0.2, epsilon = 1e-12);
        assert!(p.markdown().contains("| t | 0.300 ± 0.141 | 0.400 ± 0.141 |"), "{}", p.markdown());
        let a = TaskAwarenessTable::of(&runs, &order, &variants);
        // Own z 0.4 against swapped 0.3: gap +0.1, won in 1 of 2 repeats; learned − none: +0.3
        // and −0.1, mean +0.1, ahead in 1 of 2.
        let (_, swap, paired) = &a.variants[0];
        assert_eq!((swap[0].3, swap[0].4, paired[0].3, paired[0].4), (1, 2, 1, 2));
        assert_relative_eq!(paired[0].1, 0.1, epsilon = 1e-12);
        assert!(a.markdown().contains("| t | 0.400 | 0.300 | +0.100 | 1/2 |"), "{}", a.markdown());
    }
}
