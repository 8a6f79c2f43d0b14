//! The shipped tabular database (`data/tab40.sqlite`, built by `scripts/build_table_suite.sh`):
//! the suite's spread as issue 28 asks for it, read from the stored tables themselves, and
//! every task's children and pool trained.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use archinfer_data::{ColumnData, Samples};
use archinfer_store::{ExperimentStore, SqliteStore, TrialStatus};

fn shipped() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/tab40.sqlite")
}

#[test]
fn the_tabular_suite_has_the_spread_it_promises() {
    let store = SqliteStore::open(shipped()).unwrap();
    let tasks = archinfer_app::load_tasks(&store).unwrap();
    assert!(tasks.len() >= 40, "{} tasks", tasks.len());
    let mut sources = HashSet::new();
    let (mut rows, mut cols, mut classes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut categorical, mut missing) = (0, 0);
    for t in &tasks {
        sources.insert(t.record.name.split('-').next().unwrap().to_string());
        let Samples::Table { table, .. } = &t.bundle.samples else { panic!("{} is not a table", t.record.name) };
        rows.push(table.rows());
        cols.push(table.columns().len());
        classes.push(t.bundle.class_names.len());
        categorical += usize::from(table.columns().iter().any(|c| matches!(c.data, ColumnData::Categorical { .. })));
        missing += usize::from(table.columns().iter().any(|c| c.data.missing() > 0));
        // Every task reads through the four table modules.
        assert_eq!(t.task.features().len(), 4, "{}", t.record.name);
    }
    assert!(sources.len() >= 3, "{sources:?}");
    let range = |v: &[usize]| (*v.iter().min().unwrap(), *v.iter().max().unwrap());
    assert!(range(&rows).0 <= 150 && range(&rows).1 >= 20_000, "rows {:?}", range(&rows));
    assert!(rows.iter().filter(|&&r| r >= 5_000).count() >= 5);
    assert!(range(&cols).0 <= 5 && range(&cols).1 >= 150, "columns {:?}", range(&cols));
    assert!(range(&classes).0 == 2 && range(&classes).1 >= 20, "classes {:?}", range(&classes));
    assert!(categorical >= 8 && missing >= 5, "categorical {categorical}, missing {missing}");
}

#[test]
fn every_tabular_task_has_its_children_and_the_pool() {
    let store = SqliteStore::open(shipped()).unwrap();
    let mut done: HashMap<String, usize> = HashMap::new();
    for t in store.trials(None).unwrap() {
        if t.status == TrialStatus::Done {
            *done.entry(t.task).or_default() += 1;
        }
    }
    let pool = archinfer_app::Pool::load(&store).unwrap().expect("a common pool");
    assert!(pool.size() >= 96, "pool {}", pool.size());
    for r in store.tasks().unwrap() {
        let n = done.get(&r.name).copied().unwrap_or(0);
        assert!(n >= 600 + 96, "{}: {n} trainings", r.name);
    }
}
