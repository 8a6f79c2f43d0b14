//! How a model is fitted: the candidates, the budget, the seed, the recipe.

use archinfer_encoding::ArchitectureSpace;
use archinfer_train::TrainConfig;

/// Settings of [`FittedModel::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Distinct candidates to train; the best by validation accuracy is kept.
    pub candidates: usize,
    /// Hard budget on the candidates' parameters.
    pub max_params: Option<usize>,
    /// Training seed of the first candidate (the k-th uses `seed + k`).
    pub seed: u64,
    /// Child training settings of candidates without a recipe of their own.
    pub train: TrainConfig,
    /// Every candidate must be a point of this space (a database the trainings are recorded
    /// in), checked before anything is trained.
    pub record_space: Option<ArchitectureSpace>,
}

impl FitOptions {
    /// One candidate, seed 0, `train` for candidates without a recipe.
    pub fn new(train: TrainConfig) -> Self {
        Self { candidates: 1, max_params: None, seed: 0, train, record_space: None }
    }
    /// Train `k` distinct candidates.
    pub fn with_candidates(mut self, k: usize) -> Self {
        self.candidates = k;
        self
    }
    /// A parameter budget.
    pub fn with_max_params(mut self, max: Option<usize>) -> Self {
        self.max_params = max;
        self
    }
    /// The first training seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Candidates must fit this space.
    pub fn with_record_space(mut self, space: Option<ArchitectureSpace>) -> Self {
        self.record_space = space;
        self
    }
}

/// The build-db defaults (Adam 1e-3, 20 epochs, batch 64): what `fit` trains with when no
/// database says otherwise.
pub fn default_train_config() -> TrainConfig {
    TrainConfig::new().with_learning_rate(1e-3).with_epochs(20).with_batch_size(64)
}

