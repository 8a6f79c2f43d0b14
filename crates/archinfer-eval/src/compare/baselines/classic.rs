//! The classic defaults outside the space: one row per model, and `classic`, the one a user
//! keeps by validation. Their scores were measured on the task itself ([`crate::classic`]);
//! a classic model is one fit whatever the budget, so its row is the same at every K.

use crate::compare::baseline::{Baseline, HeldOut};
use crate::compare::method::Method;

/// One classic model (its [`OutsideScore`](crate::compare::OutsideScore)s named `method`).
#[derive(Debug, Clone, Copy)]
pub struct ClassicModel(pub Method);

impl Baseline for ClassicModel {
    fn method(&self) -> Method {
        self.0
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let s = held.facts[held.task].outside.iter().find(|o| o.method == self.0.name()).map(|o| o.test);
        vec![s; budgets.len()]
    }
}

/// Of the task's classic models, the one with the best validation accuracy (the first on
/// ties): what a user who ran them all keeps.
#[derive(Debug, Clone, Copy, Default)]
pub struct Classic;

impl Baseline for Classic {
    fn method(&self) -> Method {
        Method::Classic
    }

    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
        let best = held.facts[held.task].outside.iter().fold(None::<(f64, f64)>, |best, o| match best {
            Some((v, _)) if v >= o.valid => best,
            _ => Some((o.valid, o.test)),
        });
        vec![best.map(|(_, t)| t); budgets.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{CompareOptions, OutsideScore, PoolMatrix, TaskFacts};

    #[test]
    fn classic_keeps_the_model_best_by_validation() {
        let m = PoolMatrix::new(vec!["a".into(), "b".into()], vec!["c0".into()], vec![vec![0.5]; 2], vec![vec![0.5]; 2]).unwrap();
        let score = |method: &str, valid, test| OutsideScore { method: method.into(), valid, test };
        let facts = vec![
            TaskFacts { outside: vec![score("tfidf-word-lr", 0.7, 0.71), score("tfidf-char-lr", 0.8, 0.69), score("x", 0.8, 0.9)], ..Default::default() },
            TaskFacts::default(),
        ];
        let options = CompareOptions { budgets: vec![1, 3], random_orders: 1, seed: 0, tie: 1e-6 };
        let held = |task: usize| HeldOut { matrix: &m, facts: &facts, task, training: &[], options: &options, prior: None };
        // char wins on validation (0.8 > 0.7); `x` ties it and comes later, so char is kept.
        assert_eq!(Classic.scores(&held(0), &[1, 3]), vec![Some(0.69), Some(0.69)]);
        assert_eq!(ClassicModel(Method::new("tfidf-word-lr")).scores(&held(0), &[1]), vec![Some(0.71)]);
        // A task without classic runs has no classic row.
        assert_eq!(Classic.scores(&held(1), &[1]), vec![None]);
        assert_eq!(ClassicModel(Method::new("pixels-lr")).scores(&held(0), &[1]), vec![None]);
    }
}
