//! `evaluate tradeoff`: accuracy against size on one held-out task, as the size penalty λ and
//! the parameter budget vary.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::stats::pm;

/// One setting of the size trade-off: the penalty λ or the budget, what was proposed, and the
/// test accuracies of its trainings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeoffRow {
    /// Size penalty, in predicted value per million expected parameters.
    pub lambda: f64,
    /// Hard budget on the parameters.
    pub budget: Option<usize>,
    /// The proposal (one line).
    pub architecture: String,
    /// Its parameters.
    pub params: usize,
    /// Its predicted value.
    pub predicted: f32,
    /// Test accuracy of each training.
    pub test: Vec<f64>,
}

/// Accuracy against size on one held-out task, as the size penalty and the budget vary.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeoffTable {
    /// The held-out task.
    pub task: String,
    /// Tasks the value network was fitted on.
    pub training_tasks: usize,
    /// Trainings per proposal.
    pub repeats: usize,
    /// One row per setting.
    pub rows: Vec<TradeoffRow>,
}

impl TradeoffTable {
    /// Proposes for `task` with `inferencer` under each `(λ, budget)` of `settings` and trains
    /// each proposal `repeats` times (seeds `SEARCH_SEED_BASE + r`); `each` sees every row.
    ///
    /// # Errors
    /// Proposing or training failures.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        inferencer: &archinfer_infer::Inferencer,
        task: &archinfer_data::Task,
        trainer: &dyn archinfer_train::ChildTrainer,
        device: &burn::tensor::Device,
        settings: &[(f64, Option<usize>)],
        repeats: usize,
        ranking: archinfer_infer::Ranking,
        each: &mut dyn FnMut(&TradeoffRow),
    ) -> Result<Vec<TradeoffRow>> {
        let prep = archinfer_train::PreparedTask::new(task, device);
        let mut rows = Vec::new();
        for &(lambda, budget) in settings {
            let opts = archinfer_infer::InferOptions::new().with_lambda(lambda).with_max_params(budget).with_ranking(ranking);
            let p = inferencer.propose(task, &opts)?;
            let best = p.best()?;
            let child = archinfer_train::ChildSpec::Discrete(best.architecture.clone());
            let repeated = vec![best.architecture.clone(); repeats];
            let test = archinfer_app::train_candidates(&repeated, crate::search::SEARCH_SEED_BASE, |_, _, seed| -> Result<f64> {
                Ok(f64::from(trainer.train(&child, &prep, seed)?.test_accuracy))
            })?;
            let row = TradeoffRow { lambda, budget, architecture: best.architecture.to_string(), params: best.params, predicted: best.value, test };
            each(&row);
            rows.push(row);
        }
        Ok(rows)
    }

    /// The markdown table.
    pub fn markdown(&self) -> String {
        let mut t = format!(
            "Held-out task `{}`; value network fitted on the other {} tasks. Discretised proposals trained {} times each.\n\n\
             | λ (per M params) | budget | proposed architecture | parameters | predicted | test accuracy |\n|---|---|---|---|---|---|\n",
            self.task, self.training_tasks, self.repeats
        );
        for r in &self.rows {
            let budget = r.budget.map_or("–".to_string(), |b| b.to_string());
            t += &format!("| {} | {budget} | {} | {} | {:.2} | {} |\n", r.lambda, r.architecture, r.params, r.predicted, pm(&r.test));
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tradeoff_rows_render_with_their_budget() {
        let row = |lambda, budget| TradeoffRow { lambda, budget, architecture: "pool4 → softmax".into(), params: 500, predicted: 0.5, test: vec![0.8, 0.9] };
        let t = TradeoffTable { task: "t".into(), training_tasks: 13, repeats: 2, rows: vec![row(5.0, None), row(0.0, Some(2000))] };
        let md = t.markdown();
        assert!(md.contains("fitted on the other 13 tasks") && md.contains("| 5 | – | pool4 → softmax | 500 | 0.50 | 85.00 ± 7.07 |"), "{md}");
        assert!(md.contains("| 0 | 2000 |"), "{md}");
    }

}
