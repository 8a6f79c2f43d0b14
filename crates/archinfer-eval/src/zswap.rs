//! z-swap: does a value network's ranking of a task's children depend on *that* task's `z`?
//!
//! Rank a held-out task's recorded children with its own embedding, then with every other
//! task's embedding in its place. A task-aware model ranks best with the right `z`; a model that
//! ignores `z` gives the same Spearman whichever `z` it is handed, so its gap is zero and the
//! own `z` never wins.

use archinfer_dvn::{TrainedDvn, spearman};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};

/// Scores architectures for the task embedded as `z`: what z-swap needs of a value model.
pub trait TaskScorer {
    /// Predicted values of `u` (one encoding per row) on the task whose embedding is `z`
    /// (empty for a model without meta-features).
    ///
    /// # Errors
    /// Inputs of the wrong width.
    fn score(&self, u: &[Vec<f32>], z: &[f32]) -> Result<Vec<f32>>;
}

impl TaskScorer for TrainedDvn {
    /// A network without meta-features ignores `z`: it scores `u` alone, whatever it is handed.
    fn score(&self, u: &[Vec<f32>], z: &[f32]) -> Result<Vec<f32>> {
        let z = (!z.is_empty() && self.config.z_width() > 0).then(|| Tensor::<2>::from_data(TensorData::new(z.to_vec(), [1, z.len()]), self.device()));
        Ok(self.predict(u, z)?)
    }
}

impl<F> TaskScorer for F
where
    F: Fn(&[Vec<f32>], &[f32]) -> Vec<f32>,
{
    fn score(&self, u: &[Vec<f32>], z: &[f32]) -> Result<Vec<f32>> {
        Ok(self(u, z))
    }
}

/// One task's z-swap result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZSwap {
    /// The task whose children are ranked.
    pub task: String,
    /// Spearman of the ranking with the task's own `z`.
    pub own: f64,
    /// Spearman with each other task's `z` in its place.
    pub swapped: Vec<(String, f64)>,
}

impl ZSwap {
    /// Mean Spearman over the swapped embeddings.
    pub fn others_mean(&self) -> f64 {
        self.swapped.iter().map(|s| s.1).sum::<f64>() / self.swapped.len().max(1) as f64
    }

    /// `own − others_mean`.
    pub fn gap(&self) -> f64 {
        self.own - self.others_mean()
    }

    /// Whether the own `z` ranks strictly better than the others' mean (by more than 1e-9, so a
    /// model that ignores `z` never wins on rounding).
    pub fn own_wins(&self) -> bool {
        self.gap() > 1e-9
    }
}

/// The embeddings `z` of `tasks` by any [`TaskEncoder`](archinfer_metafeatures::TaskEncoder),
/// named: the "other tasks" of [`z_swap`].
///
/// # Errors
/// The encoder's, for a task it cannot read.
pub fn embeddings<'a, E, I>(encoder: &E, tasks: I) -> std::result::Result<Vec<(String, Vec<f32>)>, E::Error>
where
    E: archinfer_metafeatures::TaskEncoder + ?Sized,
    I: IntoIterator<Item = &'a archinfer_data::Task>,
{
    tasks.into_iter().map(|t| Ok((t.name().to_string(), encoder.encode_task(t)?))).collect()
}

/// Ranks the children `u` (true values `v`) of `task` with `own_z` and with each of `others`.
///
/// # Errors
/// Fewer than two children, lengths that differ, no other task, or the model's errors.
pub fn z_swap<M: TaskScorer + ?Sized>(
    model: &M,
    task: &str,
    u: &[Vec<f32>],
    v: &[f32],
    own_z: &[f32],
    others: &[(String, Vec<f32>)],
) -> Result<ZSwap> {
    if u.len() != v.len() || u.len() < 2 {
        return Err(EvalError::TooFewChildren { task: task.to_string(), got: u.len().min(v.len()), needed: 2 });
    }
    if others.is_empty() {
        return Err(EvalError::NoOtherTasks);
    }
    let actual: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
    let rank = |z: &[f32]| -> Result<f64> {
        let p: Vec<f64> = model.score(u, z)?.into_iter().map(f64::from).collect();
        Ok(spearman(&p, &actual)?)
    };
    let own = rank(own_z)?;
    let swapped = others.iter().map(|(name, z)| Ok((name.clone(), rank(z)?))).collect::<Result<Vec<_>>>()?;
    Ok(ZSwap { task: task.to_string(), own, swapped })
}

/// z-swap over many held-out tasks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ZSwapSummary {
    /// Tasks judged.
    pub tasks: usize,
    /// Tasks on which the own `z` beats the others' mean.
    pub wins: usize,
    /// Mean of the per-task gaps.
    pub mean_gap: f64,
}

impl ZSwapSummary {
    /// Summarises per-task results.
    pub fn of(rows: &[ZSwap]) -> Self {
        let tasks = rows.len();
        let wins = rows.iter().filter(|r| r.own_wins()).count();
        let mean_gap = rows.iter().map(ZSwap::gap).sum::<f64>() / tasks.max(1) as f64;
        Self { tasks, wins, mean_gap }
    }

    /// Whether the own `z` wins on at least `min_wins` tasks with a mean gap of at least
    /// `min_gap`: the check a task-agnostic model cannot pass for any `min_wins ≥ 1`.
    pub fn passes(&self, min_wins: usize, min_gap: f64) -> bool {
        self.tasks > 0 && self.wins >= min_wins && self.mean_gap >= min_gap
    }
}
