//! The table of `evaluate ceiling` as a typed value, rendered to markdown.

use serde::{Deserialize, Serialize};

use crate::stats::mean_std;

/// One task's second-half Spearman under each model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeilingRow {
    /// The task.
    pub task: String,
    /// The model that knows nothing of the task.
    pub agnostic: f64,
    /// The model that knows the task's identity.
    pub identity: f64,
    /// The model with learned meta-features, if asked for.
    pub learned: Option<f64>,
}

impl CeilingRow {
    /// `identity − agnostic`: the most any meta-feature could add on this task.
    pub fn gain(&self) -> f64 {
        self.identity - self.agnostic
    }
}


/// The split-half ceiling over repeats: per task, mean ± std of the task-agnostic, the
/// task-identity and the learned-z model's held-out Spearman, and the gain.
#[derive(Debug, Clone, PartialEq)]
pub struct CeilingTable {
    /// Value-network preset.
    pub preset: String,
    /// Repeats (splits).
    pub splits: usize,
    /// Per task: `(task, agnostic, identity, gain, learned)`, each `(mean, std)`.
    pub rows: Vec<(String, (f64, f64), (f64, f64), (f64, f64), (f64, f64))>,
}

impl CeilingTable {
    /// The table of `splits` (the rows of each repeat), tasks in `order`.
    pub fn of(preset: &str, splits: &[Vec<CeilingRow>], order: &[String]) -> Self {
        let rows = order
            .iter()
            .filter(|task| splits.iter().any(|r| r.iter().any(|x| &x.task == *task)))
            .map(|task| {
                let rows: Vec<&CeilingRow> = splits.iter().flat_map(|r| r.iter().filter(|x| &x.task == task)).collect();
                let col = |f: &dyn Fn(&CeilingRow) -> Option<f64>| mean_std(&rows.iter().filter_map(|r| f(r)).collect::<Vec<_>>());
                (task.clone(), col(&|r| Some(r.agnostic)), col(&|r| Some(r.identity)), col(&|r| Some(r.gain())), col(&|r| r.learned))
            })
            .collect();
        Self { preset: preset.to_string(), splits: splits.len(), rows }
    }

    /// Means over tasks: agnostic, identity, gain, learned; and tasks with a positive gain.
    pub fn means(&self) -> (f64, f64, f64, f64, usize) {
        let m = |f: &dyn Fn(&(String, (f64, f64), (f64, f64), (f64, f64), (f64, f64))) -> f64| mean_std(&self.rows.iter().map(f).collect::<Vec<_>>()).0;
        (m(&|r| r.1.0), m(&|r| r.2.0), m(&|r| r.3.0), m(&|r| r.4.0), self.rows.iter().filter(|r| r.3.0 > 0.0).count())
    }

    /// The markdown table.
    pub fn markdown(&self) -> String {
        let mut t = format!(
            "Split-half ceiling, preset `{}`, {} splits: every task's children halved at random; three value networks \
             fitted on the first halves of all {} tasks (no meta-features; a one-hot task identity in z; learned \
             meta-features), Spearman on the second halves (mean ± std over splits).\n\n\
             | task | task-agnostic | task identity | gain (ceiling) | learned z (tasks seen) |\n|---|---|---|---|---|\n",
            self.preset,
            self.splits,
            self.rows.len()
        );
        for (task, (a0, a1), (i0, i1), (g0, g1), (l0, l1)) in &self.rows {
            t += &format!("| {task} | {a0:.3} ± {a1:.3} | {i0:.3} ± {i1:.3} | {g0:+.3} ± {g1:.3} | {l0:.3} ± {l1:.3} |\n");
        }
        let (ag, id, gain, le, positive) = self.means();
        t += &format!("| **mean** | **{ag:.3}** | **{id:.3}** | **{gain:+.3}** (positive on {positive}/{}) | **{le:.3}** |\n", self.rows.len());
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn ceiling_and_diversity_tables() {
        let row = |task: &str, agnostic, identity| CeilingRow { task: task.into(), agnostic, identity, learned: Some(0.5) };
        let splits = vec![vec![row("a", 0.2, 0.4), row("b", 0.5, 0.4)], vec![row("a", 0.4, 0.4), row("b", 0.5, 0.5)]];
        // A task of the database without rows (added after the run) gets no row.
        let c = CeilingTable::of("paper", &splits, &["a".to_string(), "b".to_string(), "new".to_string()]);
        assert_eq!(c.rows.len(), 2);
        // Gains: a +0.2 and 0 (mean +0.1), b −0.1 and 0 (mean −0.05); positive on 1 of 2.
        let (_, _, gain, learned, positive) = c.means();
        assert_relative_eq!(gain, 0.025, epsilon = 1e-12);
        assert_relative_eq!(learned, 0.5, epsilon = 1e-12);
        assert_eq!(positive, 1);
        assert!(c.markdown().contains("| a | 0.300 ± 0.141 | 0.400 ± 0.000 | +0.100 ± 0.141 |"), "{}", c.markdown());
    }
}
