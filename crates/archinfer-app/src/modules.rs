//! Embedding modules of a database: adding modules to its space (a module migration) and what
//! a child costs to train on each module, read from the recorded trials.

use std::collections::BTreeMap;

use archinfer_data::Task;
use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec};
use archinfer_store::{TaskRecord, Trial};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Result};

/// The space with modules `add` appended (in that order), their widths read from the tasks,
/// after checking that every task of the database carries each of them at one width. Old
/// children keep their module index and their rows; nothing is written. A space that already
/// ends with exactly these modules is returned as it is, so a migration can be rerun.
///
/// # Errors
/// [`AppError::ModuleMigration`] for a module already in the space, named twice, or missing
/// from some task (named), or carried at two widths.
pub fn widen_space(space: &ArchitectureSpace, tasks: &[&Task], add: &[String]) -> Result<ArchitectureSpace> {
    // A rerun of the same migration (say after an interrupted build) finds the modules at the
    // end of gamma, in this order: nothing to do.
    let have = space.embeddings();
    if !add.is_empty() && have.len() > add.len() && have[have.len() - add.len()..].iter().zip(add).all(|(e, n)| &e.name == n) {
        for name in add {
            let e = have.iter().find(|e| &e.name == name).map(|e| e.dim);
            if let Some(t) = tasks.iter().find(|t| t.feature_set(name).map(|f| f.dim) != e) {
                return Err(AppError::ModuleMigration { module: name.clone(), reason: format!("task `{}` does not carry it at the space's width", t.name()) });
            }
        }
        return Ok(space.clone());
    }
    let mut extra: Vec<EmbeddingSpec> = Vec::new();
    for name in add {
        let fail = |reason: String| AppError::ModuleMigration { module: name.clone(), reason };
        if space.embeddings().iter().any(|e| &e.name == name) || extra.iter().any(|e| &e.name == name) {
            return Err(fail("the space has it already".into()));
        }
        let mut dim = None;
        for t in tasks {
            let f = t.feature_set(name).ok_or_else(|| {
                let have: Vec<&str> = t.features().iter().map(|f| f.name.as_str()).collect();
                fail(format!("task `{}` does not carry it (it has {})", t.name(), have.join(", ")))
            })?;
            match dim {
                Some(d) if d != f.dim => return Err(fail(format!("task `{}` has it {} wide, others {d}", t.name(), f.dim))),
                _ => dim = Some(f.dim),
            }
        }
        let dim = dim.ok_or_else(|| fail("the database has no task to read its width from".into()))?;
        extra.push(EmbeddingSpec::new(name.clone(), dim));
    }
    space.with_modules(extra).map_err(|e| AppError::ModuleMigration { module: add.join(","), reason: e.to_string() })
}

/// Indices of the modules named in `names` in `space`, in the order given.
///
/// # Errors
/// [`AppError::BadOptions`] for a name the space does not have, or an empty list.
pub fn module_indices(space: &ArchitectureSpace, names: &[String]) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Err(AppError::BadOptions("an empty list of modules".into()));
    }
    if let Some(twice) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)).map(|(_, n)| n) {
        return Err(AppError::BadOptions(format!("module `{twice}` is named twice")));
    }
    names
        .iter()
        .map(|n| {
            space.embeddings().iter().position(|e| &e.name == n).ok_or_else(|| {
                let have: Vec<&str> = space.embeddings().iter().map(|e| e.name.as_str()).collect();
                AppError::BadOptions(format!("module `{n}` is not in the space ({})", have.join(", ")))
            })
        })
        .collect()
}

/// What children on one embedding module cost to train, over a database's recorded trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleCost {
    /// The module.
    pub module: String,
    /// Trained children that read it.
    pub children: usize,
    /// Mean training wall time of one child, in seconds.
    pub mean_seconds: f64,
    /// Mean wall time per training sample and epoch, in microseconds: the cost with the task's
    /// size and the recipe's length taken out.
    pub micros_per_sample_epoch: f64,
}

/// The training cost of children per embedding module, from the trained trials of `trials`
/// (tasks looked up in `tasks` for their training size), modules in name order. A trial whose
/// architecture does not name a module, or whose task is unknown, is left out.
pub fn child_costs(tasks: &[TaskRecord], trials: &[Trial]) -> Vec<ModuleCost> {
    let train: BTreeMap<&str, usize> = tasks.iter().map(|t| (t.name.as_str(), t.train)).collect();
    let mut acc: BTreeMap<String, (usize, f64, f64)> = BTreeMap::new();
    for t in trials {
        let (Some(r), Some(&n)) = (&t.result, train.get(t.task.as_str())) else { continue };
        let Some(module) = serde_json::from_str::<serde_json::Value>(&t.architecture)
            .ok()
            .and_then(|v| v.pointer("/embedding/name").and_then(|n| n.as_str()).map(str::to_string))
        else {
            continue;
        };
        let e = acc.entry(module).or_default();
        e.0 += 1;
        e.1 += r.seconds;
        e.2 += r.seconds * 1e6 / (n.max(1) * r.epochs_run.max(1)) as f64;
    }
    acc.into_iter()
        .map(|(module, (c, s, m))| ModuleCost { module, children: c, mean_seconds: s / c as f64, micros_per_sample_epoch: m / c as f64 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use archinfer_data::{FeatureSet, Splits};
    use archinfer_store::{TrialResult, TrialStatus};

    fn task(name: &str, mods: &[(&str, usize)]) -> Task {
        let fs = mods.iter().map(|(n, d)| FeatureSet::new(*n, *d, vec![0.5; 4 * d])).collect();
        let splits = Splits { train: vec![0, 1], validation: vec![2], test: vec![3] };
        Task::new(name, fs, vec![0, 1, 0, 1], 2, splits).unwrap()
    }

    #[test]
    fn widening_checks_every_task() {
        let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 2)]).unwrap();
        let (t1, t2) = (task("t1", &[("a", 2), ("b", 3), ("c", 1)]), task("t2", &[("a", 2), ("b", 3)]));
        let w = widen_space(&space, &[&t1, &t2], &["b".into()]).unwrap();
        assert_eq!(w.embeddings()[1], EmbeddingSpec::new("b", 3));
        assert_eq!(module_indices(&w, &["b".into()]).unwrap(), vec![1]);
        assert!(module_indices(&w, &["c".into()]).is_err() && module_indices(&w, &[]).is_err());
        assert!(module_indices(&w, &["b".into(), "b".into()]).is_err());
        // The same migration again is a no-op, not an error.
        assert_eq!(widen_space(&w, &[&t1, &t2], &["b".into()]).unwrap(), w);
        for bad in [vec!["a".to_string()], vec!["c".into()], vec!["b".into(), "b".into()], vec!["c".into(), "b".into()]] {
            let e = widen_space(&space, &[&t1, &t2], &bad).unwrap_err();
            assert!(matches!(e, AppError::ModuleMigration { .. }), "{bad:?}: {e}");
        }
        let t3 = task("t3", &[("a", 2), ("b", 4)]);
        assert!(widen_space(&space, &[&t1, &t3], &["b".into()]).unwrap_err().to_string().contains("t3"));
    }

    #[test]
    fn costs_per_module_by_hand() {
        let rec = |name: &str, train| TaskRecord { train, ..TaskRecord::new(name, "s", 2) };
        let trial = |task: &str, module: &str, seconds, epochs_run| Trial {
            id: 0,
            task: task.into(),
            trial_index: 0,
            architecture: format!(r#"{{"embedding":{{"index":0,"name":"{module}","dim":2}},"layers":[]}}"#),
            seed: 0,
            status: TrialStatus::Done,
            worker: None,
            result: Some(TrialResult { val_accuracy: 0.5, test_accuracy: 0.5, seconds, num_params: 1, epochs_run }),
            error: None,
            claimed_at: None,
            finished_at: None,
        };
        let tasks = [rec("t", 100), rec("u", 1000)];
        let trials = [trial("t", "a", 1.0, 10), trial("u", "a", 3.0, 10), trial("t", "b", 0.5, 5), trial("gone", "b", 9.0, 1)];
        let c = child_costs(&tasks, &trials);
        assert_eq!((c.len(), c[0].children, c[1].children), (2, 2, 1));
        assert_relative_eq!(c[0].mean_seconds, 2.0);
        // 1 s over 100 × 10 = 1000 µs; 3 s over 1000 × 10 = 300 µs.
        assert_relative_eq!(c[0].micros_per_sample_epoch, 650.0);
        assert_relative_eq!(c[1].micros_per_sample_epoch, 1000.0);
    }
}
