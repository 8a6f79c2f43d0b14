//! The seam every baseline of the comparison plugs into.

use super::matrix::{PoolMatrix, TaskFacts};
use super::method::Method;
use super::options::CompareOptions;
use super::prior::TaskPrior;

/// What a baseline may know when it chooses for one held-out task: the pool's results on the
/// training tasks (and, to pick among its own K choices by validation, the held-out task's
/// validation scores), the tasks' simple facts and the comparison's settings.
#[derive(Debug, Clone, Copy)]
pub struct HeldOut<'a> {
    /// The configs × tasks matrix.
    pub matrix: &'a PoolMatrix,
    /// One entry per task of the matrix.
    pub facts: &'a [TaskFacts],
    /// The held-out task (an index into `matrix.tasks`).
    pub task: usize,
    /// The tasks it may learn from (never `task`).
    pub training: &'a [usize],
    /// The comparison's settings (seed, random orders).
    pub options: &'a CompareOptions,
    /// The value network's prior for the task, fitted without it (`evaluate compare
    /// --adaptive`); `None` where none was computed.
    pub prior: Option<&'a TaskPrior>,
}

impl HeldOut<'_> {
    /// The test accuracy of the member of `members` with the best validation accuracy on the
    /// held-out task (the first on ties): what a user who trains those K networks keeps.
    pub fn keep_best(&self, members: &[usize]) -> Option<f64> {
        self.matrix.best_by_validation(self.task, members).map(|(_, acc)| acc)
    }
}

/// A way to choose networks for a held-out task without seeing its test results.
///
/// Adding one is a file in `compare/baselines/` with a type that implements this trait, and one
/// line in [`baselines`](crate::compare::baselines()) that registers it: its rows, summaries,
/// curves and markdown columns follow from the registration.
///
/// ```
/// use archinfer_eval::{Baseline, HeldOut, Method};
/// /// The first pool member, whatever the task (a strawman).
/// struct FirstMember;
/// impl Baseline for FirstMember {
///     fn method(&self) -> Method {
///         Method::new("first-member")
///     }
///     fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>> {
///         budgets.iter().map(|_| Some(held.matrix.test[held.task][0])).collect()
///     }
/// }
/// assert_eq!(FirstMember.method().name(), "first-member");
/// ```
pub trait Baseline: Send + Sync {
    /// The name its rows carry.
    fn method(&self) -> Method;

    /// The test accuracy this baseline scores on `held` at each budget of `budgets`
    /// (ascending, distinct): K networks chosen from what `held` allows, the best by
    /// validation kept. `None` at a budget where it names no network.
    fn scores(&self, held: &HeldOut<'_>, budgets: &[usize]) -> Vec<Option<f64>>;
}
