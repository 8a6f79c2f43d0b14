//! What the model knows of its training tasks: their embeddings and best recorded
//! architectures, for seeding starts from the nearest tasks.

use std::path::Path;

use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use serde::{Deserialize, Serialize};

use crate::error::InferError;
use crate::error::Result;

/// One training task as the library remembers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownTask {
    /// Task name.
    pub name: String,
    /// Its embedding `z` under the model (empty for a model without meta-features).
    pub z: Vec<f32>,
    /// Its best recorded architectures, best (validation accuracy) first.
    pub best: Vec<DiscreteArchitecture>,
}

/// The training tasks of a model, for seeded starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskLibrary {
    /// The tasks.
    pub tasks: Vec<KnownTask>,
}

impl TaskLibrary {
    /// File name inside a model directory.
    pub const FILE: &'static str = "library.json";

    /// Tasks ordered by Euclidean distance of their `z` to `z`, nearest first (library order
    /// for ties and for models without meta-features).
    pub fn nearest(&self, z: &[f32]) -> Vec<&KnownTask> {
        let dist = |t: &KnownTask| -> f32 {
            if t.z.len() != z.len() {
                return f32::INFINITY;
            }
            t.z.iter().zip(z).map(|(a, b)| (a - b) * (a - b)).sum()
        };
        let mut v: Vec<(f32, usize)> = self.tasks.iter().enumerate().map(|(i, t)| (dist(t), i)).collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        v.into_iter().map(|(_, i)| &self.tasks[i]).collect()
    }

    /// Up to `n` starting logits from the best architectures of the `neighbours` nearest tasks,
    /// taken round-robin (each task's best, then each task's second best, …), without
    /// repeats. Each is the architecture's one-hot pattern times `scale`, so it discretises to
    /// that architecture but can still move.
    ///
    /// # Errors
    /// A stored architecture that does not fit `space`.
    pub fn seed_starts(&self, space: &ArchitectureSpace, z: &[f32], neighbours: usize, n: usize, scale: f32) -> Result<Vec<Vec<f32>>> {
        let near: Vec<&KnownTask> = self.nearest(z).into_iter().take(neighbours).collect();
        let depth = near.iter().map(|t| t.best.len()).max().unwrap_or(0);
        let mut out: Vec<Vec<f32>> = Vec::new();
        'outer: for rank in 0..depth {
            for t in &near {
                if out.len() >= n {
                    break 'outer;
                }
                if let Some(a) = t.best.get(rank) {
                    let l: Vec<f32> = a.one_hot_u(space)?.into_iter().map(|x| x * scale).collect();
                    if !out.contains(&l) {
                        out.push(l);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Writes the library as JSON into directory `dir`.
    ///
    /// # Errors
    /// File-system failures.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(Self::FILE);
        let io = |e: &dyn std::fmt::Display| InferError::Io { path: path.display().to_string(), message: e.to_string() };
        let json = serde_json::to_string_pretty(self).map_err(|e| io(&e))?;
        std::fs::write(&path, json).map_err(|e| io(&e))
    }

    /// Reads the library of model directory `dir`; `None` when it has none.
    ///
    /// # Errors
    /// A library file that cannot be read or parsed.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(Self::FILE);
        if !path.exists() {
            return Ok(None);
        }
        let io = |e: &dyn std::fmt::Display| InferError::Io { path: path.display().to_string(), message: e.to_string() };
        let text = std::fs::read_to_string(&path).map_err(|e| io(&e))?;
        serde_json::from_str(&text).map(Some).map_err(|e| io(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use archinfer_encoding::{EmbeddingSpec, relax_flat};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn nearest_tasks_seed_their_best_architectures() {
        let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 49), EmbeddingSpec::new("b", 32)]).unwrap();
        let mut rng = StdRng::seed_from_u64(0);
        let mut arch = || DiscreteArchitecture::sample(&space, &mut rng);
        let lib = TaskLibrary {
            tasks: vec![
                KnownTask { name: "far".into(), z: vec![10.0, 0.0], best: vec![arch(), arch()] },
                KnownTask { name: "near".into(), z: vec![1.0, 0.0], best: vec![arch(), arch()] },
                KnownTask { name: "mid".into(), z: vec![3.0, 0.0], best: vec![arch()] },
            ],
        };
        let names: Vec<&str> = lib.nearest(&[0.0, 0.0]).iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["near", "mid", "far"]);
        let s = lib.seed_starts(&space, &[0.0, 0.0], 2, 3, 3.0).unwrap();
        let want = [&lib.tasks[1].best[0], &lib.tasks[2].best[0], &lib.tasks[1].best[1]];
        assert_eq!(s.len(), 3);
        for (l, a) in s.iter().zip(want) {
            let u = relax_flat(&space, l).unwrap();
            assert_eq!(&DiscreteArchitecture::from_flat(&space, &u).unwrap(), a);
        }
        let dir = std::env::temp_dir().join(format!("archinfer-lib-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        lib.save(&dir).unwrap();
        assert_eq!(TaskLibrary::load(&dir).unwrap(), Some(lib));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
