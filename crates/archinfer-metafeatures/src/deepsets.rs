//! The learned DeepSets tower `z = mean_i φ([x_i, onehot(y_i)])`, and its column-pooled form
//! for tables (Dataset2Vec style, any number of columns):
//! `z = mean_c ψ(mean_i φ([x_ic, onehot(y_i)]))`.

use archinfer_data::Task;
use archinfer_encoding::DenseLayer;
use burn::config::Config;
use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};

use crate::error::{MetaError, Result};

/// Computes a task's embedding `z` from the task itself: what a value network conditions on.
/// [`StatisticalEncoder`](crate::stats::StatisticalEncoder) and a trained value network (learned
/// DeepSets, statistics or both) implement it; the diagnostics and inference take any.
pub trait TaskEncoder {
    /// What can go wrong encoding a task.
    type Error;
    /// Width of `z` (0 for a model that does not look at the task).
    fn z_dim(&self) -> usize;
    /// `z` of `task` (`z_dim()` values).
    ///
    /// # Errors
    /// A task the encoder cannot read (for example without the feature set it needs).
    fn encode_task(&self, task: &Task) -> std::result::Result<Vec<f32>, Self::Error>;
}

/// A batch of a task's samples for the tower, on the host: features of one embedding module and
/// labels, one-hot encoded into `max_classes` columns.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleBatch {
    /// `n × dim` features, row-major.
    pub features: Vec<f32>,
    /// Feature dimension.
    pub dim: usize,
    /// Labels.
    pub labels: Vec<u32>,
    /// Width of the one-hot label block.
    pub max_classes: usize,
    /// Column-pooled layout: each row holds `[x_ic, onehot(y_i)]` for every column `c` in
    /// turn (`dim` is then the number of columns), for [`DeepSets`] with a column layer.
    pub per_column: bool,
}

impl SampleBatch {
    /// The training samples `indices` of `task` as seen through feature set `module`.
    ///
    /// A task with more classes than the tower's `max_classes` (a new task with more classes
    /// than any training task) has its labels folded modulo `max_classes`: classes then share
    /// one-hot columns, which blurs, but does not stop, what the tower reads. Training tasks
    /// never fold: the recipe sizes the block to the largest of them.
    ///
    /// # Errors
    /// [`MetaError::MissingModule`], or [`MetaError::TooManyClasses`] for `max_classes == 0`.
    pub fn from_indices(task: &Task, module: &str, max_classes: usize, indices: &[usize]) -> Result<Self> {
        let f = task.feature_set(module).ok_or_else(|| MetaError::MissingModule {
            task: task.name().to_string(),
            module: module.to_string(),
        })?;
        if f.is_sparse() {
            return Err(MetaError::SparseModule { task: task.name().to_string(), module: module.to_string() });
        }
        if max_classes == 0 {
            return Err(MetaError::TooManyClasses { task: task.name().to_string(), classes: task.num_classes(), max: 0 });
        }
        let labels = task.gather_labels(indices).into_iter().map(|l| l % max_classes as u32).collect();
        Ok(Self { features: f.gather(indices), dim: f.dim, labels, max_classes, per_column: false })
    }

    /// The training samples `indices` of `task` in the column-pooled layout: feature set
    /// `module` (a narrow sparse set, such as a table module, is written out dense), each of
    /// its columns a member of the set the tower pools over.
    ///
    /// # Errors
    /// As [`from_indices`](Self::from_indices); [`MetaError::SparseModule`] for a sparse set
    /// wider than 4,096 columns.
    pub fn columns_from_indices(task: &Task, module: &str, max_classes: usize, indices: &[usize]) -> Result<Self> {
        let f = task.feature_set(module).ok_or_else(|| MetaError::MissingModule { task: task.name().to_string(), module: module.to_string() })?;
        if f.input_width() > archinfer_data::TABLE_MAX_WIDTH {
            return Err(MetaError::SparseModule { task: task.name().to_string(), module: module.to_string() });
        }
        if max_classes == 0 {
            return Err(MetaError::TooManyClasses { task: task.name().to_string(), classes: task.num_classes(), max: 0 });
        }
        let labels = task.gather_labels(indices).into_iter().map(|l| l % max_classes as u32).collect();
        Ok(Self { features: f.gather(indices), dim: f.input_width(), labels, max_classes, per_column: true })
    }

    /// `n` training samples drawn uniformly with replacement (all of them, in order, if `n` is
    /// zero), in the layout `per_column` asks for.
    ///
    /// # Errors
    /// As [`from_indices`](Self::from_indices) or [`columns_from_indices`](Self::columns_from_indices).
    pub fn sample_in<R: Rng + ?Sized>(task: &Task, module: &str, max_classes: usize, n: usize, per_column: bool, rng: &mut R) -> Result<Self> {
        let train = &task.splits().train;
        let idx: Vec<usize> =
            if n == 0 { train.clone() } else { (0..n).map(|_| train[rng.random_range(0..train.len())]).collect() };
        if per_column { Self::columns_from_indices(task, module, max_classes, &idx) } else { Self::from_indices(task, module, max_classes, &idx) }
    }

    /// `n` training samples drawn uniformly with replacement (all of them, in order, if `n` is
    /// zero).
    ///
    /// # Errors
    /// As [`from_indices`](Self::from_indices).
    pub fn sample<R: Rng + ?Sized>(task: &Task, module: &str, max_classes: usize, n: usize, rng: &mut R) -> Result<Self> {
        let train = &task.splits().train;
        let idx: Vec<usize> =
            if n == 0 { train.clone() } else { (0..n).map(|_| train[rng.random_range(0..train.len())]).collect() };
        Self::from_indices(task, module, max_classes, &idx)
    }

    /// A column-pooled batch cut to `k` of its columns, drawn without replacement (in their
    /// order; all of them when it has at most `k`); a row-layout batch is returned as it is.
    pub fn keep_columns<R: Rng + ?Sized>(self, k: usize, rng: &mut R) -> Self {
        if !self.per_column || self.dim <= k || k == 0 {
            return self;
        }
        let mut cols: Vec<usize> = rand::seq::index::sample(rng, self.dim, k).into_vec();
        cols.sort_unstable();
        let features = (0..self.len()).flat_map(|i| cols.iter().map(move |&c| (i, c))).map(|(i, c)| self.features[i * self.dim + c]).collect();
        Self { features, dim: k, ..self }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Row width of [`to_tensor`](Self::to_tensor): features then one-hot label (per column
    /// in the column-pooled layout).
    pub fn width(&self) -> usize {
        if self.per_column { self.dim * (1 + self.max_classes) } else { self.dim + self.max_classes }
    }

    /// `[n, dim + max_classes]` on `device`; in the column-pooled layout `[n, dim × (1 +
    /// max_classes)]`, row `i` holding `[x_ic, onehot(y_i)]` for each column `c`.
    pub fn to_tensor(&self, device: &Device) -> Tensor<2> {
        let w = self.width();
        let mut rows = vec![0.0f32; self.len() * w];
        if self.per_column {
            let k1 = 1 + self.max_classes;
            for (i, (row, &y)) in rows.chunks_exact_mut(w.max(1)).zip(&self.labels).enumerate() {
                for (c, cell) in row.chunks_exact_mut(k1).enumerate() {
                    cell[0] = self.features[i * self.dim + c];
                    cell[1 + y as usize] = 1.0;
                }
            }
            return Tensor::from_data(TensorData::new(rows, [self.len(), w]), device);
        }
        for (i, (row, &y)) in rows.chunks_exact_mut(w).zip(&self.labels).enumerate() {
            row[..self.dim].copy_from_slice(&self.features[i * self.dim..(i + 1) * self.dim]);
            row[self.dim + y as usize] = 1.0;
        }
        Tensor::from_data(TensorData::new(rows, [self.len(), w]), device)
    }
}

/// Configuration of the [`DeepSets`] tower.
#[derive(Config, Debug)]
pub struct DeepSetsConfig {
    /// Feature dimension of the embedding module the tower reads.
    pub input_dim: usize,
    /// Width of the one-hot label block (the largest number of classes of any task).
    pub max_classes: usize,
    /// Width of `φ`'s first layer.
    #[config(default = 50)]
    pub hidden: usize,
    /// Width of `φ`'s output, the embedding.
    #[config(default = 50)]
    pub out: usize,
    /// Seed of the initial weights.
    #[config(default = 0)]
    pub seed: u64,
    /// Pool over rows, then over columns (tables; `input_dim` is then 1): a layer `ψ` between
    /// the two means.
    #[config(default = false)]
    pub per_column: bool,
}

impl DeepSetsConfig {
    /// Builds the tower.
    pub fn init(&self, device: &Device) -> DeepSets {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let input = if self.per_column { 1 } else { self.input_dim };
        let l1 = DenseLayer::seeded(input + self.max_classes, self.hidden, &mut rng, device);
        let l2 = DenseLayer::seeded(self.hidden, self.out, &mut rng, device);
        let column = self.per_column.then(|| DenseLayer::seeded(self.out, self.out, &mut rng, device));
        DeepSets { l1, l2, column }
    }
}

/// `φ`: two dense ReLU layers applied to each sample, then the mean over samples.
#[derive(Module, Debug)]
pub struct DeepSets {
    /// First layer of `φ`.
    pub l1: DenseLayer,
    /// Second layer of `φ`.
    pub l2: DenseLayer,
    /// `ψ`, between the mean over rows and the mean over columns (column-pooled towers only).
    pub column: Option<DenseLayer>,
}

impl DeepSets {
    /// `[N, input + classes]` → `[1, out]`: `mean_i relu(l2(relu(l1(row_i))))`. A
    /// column-pooled tower reads `[N, C × (1 + classes)]` (any `C`, told by the width):
    /// `mean_c relu(ψ(mean_i relu(l2(relu(l1([x_ic, onehot(y_i)]))))))`.
    ///
    /// # Panics
    /// For a column-pooled tower, if the width is not a multiple of `1 + classes`.
    pub fn forward(&self, samples: Tensor<2>) -> Tensor<2> {
        let Some(psi) = &self.column else {
            return relu(self.l2.forward(relu(self.l1.forward(samples)))).mean_dim(0);
        };
        let [n, w] = samples.dims();
        let k1 = self.l1.weight.val().dims()[0];
        assert!(w % k1 == 0 && w > 0, "column-pooled tower: width {w} is not a multiple of {k1}");
        let c = w / k1;
        let h = relu(self.l2.forward(relu(self.l1.forward(samples.reshape([n * c, k1])))));
        let out = h.dims()[1];
        let per_column = h.reshape([n, c, out]).mean_dim(0).reshape([c, out]);
        relu(psi.forward(per_column)).mean_dim(0)
    }
}

impl DeepSets {
    /// Width of the embedding.
    pub fn dim(&self) -> usize {
        self.l2.weight.val().dims()[1]
    }
}
