//! A task uploaded to a device once and shared by every child trained on it.

use std::sync::Arc;

use archinfer_data::{Csr, Task};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::error::{Result, TrainError};
use crate::fused::HostSplit;

/// One split of one feature set, on the device.
#[derive(Debug, Clone)]
pub(crate) struct SplitTensors {
    pub(crate) x: Tensor<2>,
}

/// One feature set's splits on the host, row-major (or sparse rows), for the fused trainer
/// and for the burn path's per-batch densifying of a sparse module.
#[derive(Debug)]
struct HostModule {
    name: String,
    dim: usize,
    x: [Vec<f32>; 3],
    sparse: Option<[Csr; 3]>,
}

/// A task's feature sets and labels uploaded to a device once, shared by every child trained
/// on it (uploading per child would dominate the cost of small children). The host copies
/// that the fused trainer reads are kept beside them, shared between clones.
#[derive(Debug, Clone)]
pub struct PreparedTask {
    pub(crate) name: String,
    pub(crate) num_classes: usize,
    /// Dense modules on the device (a sparse one is `None`: written out dense, a task's
    /// TF-IDF rows would take gigabytes, so the burn path densifies a batch at a time).
    modules: Vec<(String, usize, Option<[SplitTensors; 3]>)>,
    pub(crate) labels: [Tensor<1, Int>; 3],
    pub(crate) n: [usize; 3],
    device: Device,
    host: Arc<(Vec<HostModule>, [Vec<u32>; 3])>,
}

impl PreparedTask {
    /// Uploads every feature set of `task` and its labels, split by split, to `device`.
    pub fn new(task: &Task, device: &Device) -> Self {
        let s = task.splits();
        let parts = [&s.train, &s.validation, &s.test];
        let host_modules: Vec<HostModule> = task
            .features()
            .iter()
            .map(|f| match f.is_sparse() {
                true => HostModule {
                    name: f.name.clone(),
                    dim: f.dim,
                    x: [Vec::new(), Vec::new(), Vec::new()],
                    sparse: f.gather_sparse(parts[0]).zip(f.gather_sparse(parts[1])).zip(f.gather_sparse(parts[2])).map(|((a, b), c)| [a, b, c]),
                },
                false => HostModule { name: f.name.clone(), dim: f.dim, x: parts.map(|idx| f.gather(idx)), sparse: None },
            })
            .collect();
        let modules = host_modules
            .iter()
            .map(|f| {
                let up = |(x, idx): (&Vec<f32>, &&Vec<usize>)| SplitTensors {
                    x: Tensor::from_data(TensorData::new(x.clone(), [idx.len(), f.dim]), device),
                };
                let tensors = f.sparse.is_none().then(|| [0, 1, 2].map(|s| up((&f.x[s], &parts[s]))));
                (f.name.clone(), f.dim, tensors)
            })
            .collect();
        let host_labels = parts.map(|idx| task.gather_labels(idx));
        let labels = host_labels.clone().map(|y| {
            let n = y.len();
            let y: Vec<i64> = y.into_iter().map(i64::from).collect();
            Tensor::<1, Int>::from_data(TensorData::new(y, [n]), device)
        });
        Self {
            name: task.name().to_string(),
            num_classes: task.num_classes(),
            modules,
            labels,
            n: parts.map(|p| p.len()),
            device: device.clone(),
            host: Arc::new((host_modules, host_labels)),
        }
    }

    /// Task name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// Number of training samples.
    pub fn train_len(&self) -> usize {
        self.n[0]
    }

    /// The device the tensors live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    pub(crate) fn module(&self, name: &str, dim: usize) -> Result<&[SplitTensors; 3]> {
        let (_, d, t) = self.modules.iter().find(|(n, _, _)| n == name).ok_or_else(|| {
            TrainError::MissingModule { task: self.name.clone(), module: name.to_string() }
        })?;
        self.check_dim(name, dim, *d)?;
        t.as_ref().ok_or_else(|| TrainError::SparseModule { task: self.name.clone(), module: name.to_string() })
    }

    /// The sparse rows of module `name`'s three splits; `None` for a dense or unknown module.
    pub(crate) fn sparse_splits(&self, name: &str) -> Option<&[Csr; 3]> {
        self.host.0.iter().find(|m| m.name == name).and_then(|m| m.sparse.as_ref())
    }

    /// The columns a child's first layer reads from module `name`: its width, or for a
    /// sparse module the task's own vocabulary size; `None` for an unknown module.
    pub fn input_width(&self, name: &str) -> Option<usize> {
        self.host.0.iter().find(|m| m.name == name).map(|m| m.sparse.as_ref().map_or(m.dim, |s| s[0].n_cols()))
    }

    /// The host copies of module `name`'s three splits and the labels.
    pub(crate) fn host_splits(&self, name: &str, dim: usize) -> Result<[HostSplit<'_>; 3]> {
        let (modules, labels) = &*self.host;
        let m = modules.iter().find(|m| m.name == name).ok_or_else(|| {
            TrainError::MissingModule { task: self.name.clone(), module: name.to_string() }
        })?;
        self.check_dim(name, dim, m.dim)?;
        Ok([0, 1, 2].map(|s| HostSplit { x: &m.x[s], y: &labels[s], sp: m.sparse.as_ref().map(|c| &c[s]) }))
    }

    fn check_dim(&self, name: &str, dim: usize, d: usize) -> Result<()> {
        if d != dim {
            return Err(TrainError::ModuleDim {
                task: self.name.clone(),
                module: name.to_string(),
                expected: dim,
                got: d,
            });
        }
        Ok(())
    }
}
