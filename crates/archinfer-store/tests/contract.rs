//! The same behaviour from every store: exactly-once claims under concurrency, crash recovery,
//! planning idempotence, summaries.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use archinfer_store::{
    ExperimentStore, MemoryStore, PlannedTrial, SqliteStore, StoreError, TaskData, TaskRecord, TrialResult, TrialStatus,
};

fn plan(store: &dyn ExperimentStore, tasks: usize, per_task: usize) {
    for k in 0..tasks {
        let name = format!("task{k}");
        store.add_task(&TaskRecord::new(&name, "test", 2)).unwrap();
        let trials: Vec<PlannedTrial> = (0..per_task)
            .map(|i| PlannedTrial { trial_index: i, architecture: format!("{{\"i\":{i}}}"), seed: i as u64 })
            .collect();
        assert_eq!(store.plan(&name, &trials).unwrap(), per_task);
        assert_eq!(store.plan(&name, &trials).unwrap(), 0, "planning twice adds nothing");
    }
}

fn result(v: f32) -> TrialResult {
    TrialResult { val_accuracy: v, test_accuracy: v, seconds: 0.0, num_params: 1, epochs_run: 1 }
}

/// Two workers drain the plan concurrently; every trial is claimed and recorded exactly once.
fn two_workers_exactly_once(store: Arc<dyn ExperimentStore>, other: Arc<dyn ExperimentStore>) {
    plan(store.as_ref(), 3, 40);
    let start = Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = [("w1", store.clone()), ("w2", other)]
        .into_iter()
        .map(|(w, s)| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let mut mine = Vec::new();
                while let Some(t) = s.claim(w).unwrap() {
                    // Stands in for training, so the two workers interleave.
                    std::thread::sleep(Duration::from_millis(2));
                    assert!(s.complete(t.id, w, Ok(result(t.trial_index as f32 / 100.0))).unwrap());
                    mine.push(t.id);
                }
                mine
            })
        })
        .collect();
    let claimed: Vec<Vec<i64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let all: Vec<i64> = claimed.concat();
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 120, "no trial lost");
    assert_eq!(unique.len(), 120, "no trial claimed twice");
    assert!(claimed.iter().all(|c| !c.is_empty()), "both workers got work: {:?}", claimed.iter().map(Vec::len).collect::<Vec<_>>());
    let trials = store.trials(None).unwrap();
    assert!(trials.iter().all(|t| t.status == TrialStatus::Done));
    let s = store.summary().unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].counts, [0, 0, 40, 0]);
    let [lo, med, hi] = s[0].val_accuracy.unwrap();
    assert_eq!((lo, hi), (0.0, 0.39));
    assert!((med - 0.195).abs() < 1e-6);
}

/// A worker dies holding a claim; its trial is requeued and run again, and the dead worker's
/// late report is refused.
fn crash_recovery(store: &dyn ExperimentStore) {
    plan(store, 1, 3);
    let dead = store.claim("dead").unwrap().unwrap();
    assert_eq!(store.requeue_stale(Duration::from_secs(3600)).unwrap(), 0, "fresh heartbeat is alive");
    std::thread::sleep(Duration::from_millis(20));
    store.heartbeat("alive").unwrap();
    assert_eq!(store.requeue_stale(Duration::from_millis(10)).unwrap(), 1);
    let mut seen = Vec::new();
    while let Some(t) = store.claim("alive").unwrap() {
        assert!(store.complete(t.id, "alive", Ok(result(0.5))).unwrap());
        seen.push(t.id);
    }
    assert!(seen.contains(&dead.id), "the dead worker's trial ran again");
    assert_eq!(seen.len(), 3);
    assert!(!store.complete(dead.id, "dead", Ok(result(0.1))).unwrap(), "late report refused");
    let t = store.trials(Some("task0")).unwrap();
    assert_eq!(t.iter().find(|x| x.id == dead.id).unwrap().result.as_ref().unwrap().val_accuracy, 0.5);
}

fn failures_and_meta(store: &dyn ExperimentStore) {
    plan(store, 1, 1);
    let t = store.claim("w").unwrap().unwrap();
    assert!(store.complete(t.id, "w", Err("non-finite loss".into())).unwrap());
    let t = &store.trials(None).unwrap()[0];
    assert_eq!(t.status, TrialStatus::Failed);
    assert_eq!(t.error.as_deref(), Some("non-finite loss"));
    assert_eq!(store.summary().unwrap()[0].counts, [0, 0, 0, 1]);
    assert!(matches!(store.plan("nope", &[]), Err(StoreError::UnknownTask(_))));
    let mut other = TaskRecord::new("task0", "test", 3);
    other.train = 5;
    assert!(matches!(store.add_task(&other), Err(StoreError::TaskConflict(_))));
    store.set_meta("space", "{}").unwrap();
    store.set_meta("space", "{\"v\":2}").unwrap();
    assert_eq!(store.meta("space").unwrap().as_deref(), Some("{\"v\":2}"));
    assert_eq!(store.meta("missing").unwrap(), None);
}

#[test]
fn memory_two_workers() {
    let s: Arc<dyn ExperimentStore> = Arc::new(MemoryStore::new());
    two_workers_exactly_once(s.clone(), s);
}

#[test]
fn sqlite_two_connections_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let a: Arc<dyn ExperimentStore> = Arc::new(SqliteStore::open(&path).unwrap());
    let b: Arc<dyn ExperimentStore> = Arc::new(SqliteStore::open(&path).unwrap());
    two_workers_exactly_once(a, b);
}

#[test]
fn memory_crash_recovery() {
    crash_recovery(&MemoryStore::new());
}

#[test]
fn sqlite_crash_recovery_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    {
        let s = SqliteStore::open(&path).unwrap();
        plan(&s, 1, 2);
        let t = s.claim("gone").unwrap().unwrap();
        assert_eq!(t.status, TrialStatus::Running);
        // The process "dies" here: the store is dropped with the trial still running.
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), archinfer_store::SCHEMA_VERSION);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(s.requeue_stale(Duration::from_millis(10)).unwrap(), 1);
    let mut n = 0;
    while let Some(t) = s.claim("next").unwrap() {
        assert!(s.complete(t.id, "next", Ok(result(0.7))).unwrap());
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!(s.summary().unwrap()[0].counts, [0, 0, 2, 0]);
}

#[test]
fn sqlite_crash_recovery() {
    crash_recovery(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn memory_failures_and_meta() {
    failures_and_meta(&MemoryStore::new());
}

#[test]
fn sqlite_failures_and_meta() {
    failures_and_meta(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn sqlite_rejects_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    drop(SqliteStore::open(&path).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    assert!(matches!(SqliteStore::open(&path), Err(StoreError::SchemaTooNew { found: 99, .. })));
}

fn task_data_and_recorded_trials(store: &dyn ExperimentStore) {
    let data = TaskData::new("test/v1", vec![1, 2, 3]);
    let rec = TaskRecord::new("t", "user", 2);
    store.create_task(&rec, &data).unwrap();
    assert_eq!(store.task_data("t").unwrap(), Some(data.clone()));
    assert!(matches!(store.create_task(&rec, &data), Err(StoreError::DuplicateTask(n)) if n == "t"));
    assert_eq!(store.tasks().unwrap().len(), 1, "the refused duplicate wrote nothing");
    assert!(matches!(store.task_data("nope"), Err(StoreError::UnknownTask(_))));

    // A task from before tasks carried samples gets them attached once.
    store.add_task(&TaskRecord::new("old", "suite", 3)).unwrap();
    assert_eq!(store.task_data("old").unwrap(), None);
    store.attach_task_data("old", &data).unwrap();
    store.attach_task_data("old", &data).unwrap();
    assert!(matches!(store.attach_task_data("old", &TaskData::new("test/v1", vec![9])), Err(StoreError::TaskConflict(_))));
    assert!(matches!(store.attach_task_data("nope", &data), Err(StoreError::UnknownTask(_))));

    let p = |i: usize| PlannedTrial { trial_index: i, architecture: "{}".into(), seed: i as u64 };
    store.plan("t", &[p(0)]).unwrap();
    store.record_trials("t", "fit", &[(p(1), result(0.8)), (p(2), result(0.6))]).unwrap();
    let err = store.record_trials("t", "fit", &[(p(3), result(0.5)), (p(0), result(0.5))]).unwrap_err();
    assert!(matches!(err, StoreError::TrialExists { trial_index: 0, .. }));
    let trials = store.trials(Some("t")).unwrap();
    assert_eq!(trials.len(), 3, "a refused batch writes nothing");
    assert_eq!(trials[1].status, TrialStatus::Done);
    assert_eq!(trials[1].result.as_ref().unwrap().val_accuracy, 0.8);
    assert_eq!(trials[2].worker.as_deref(), Some("fit"));
    assert!(store.claim("w").unwrap().is_some_and(|t| t.trial_index == 0), "recorded trials are never claimed");
    assert!(store.claim("w").unwrap().is_none());
}

#[test]
fn memory_task_data() {
    task_data_and_recorded_trials(&MemoryStore::new());
}

#[test]
fn sqlite_task_data() {
    task_data_and_recorded_trials(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn sqlite_detects_damaged_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    SqliteStore::open(&path).unwrap().create_task(&TaskRecord::new("t", "u", 2), &TaskData::new("f", vec![1, 2, 3])).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute("UPDATE task_data SET bytes = x'010204'", []).unwrap();
    drop(c);
    assert!(matches!(SqliteStore::open(&path).unwrap().task_data("t"), Err(StoreError::Corrupt(_))));
}

/// The schema of version 1, as files written before tasks carried their samples have it.
const V1_SCHEMA: &str = r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tasks (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, suite TEXT NOT NULL,
    num_classes INTEGER NOT NULL, n_train INTEGER NOT NULL, n_validation INTEGER NOT NULL,
    n_test INTEGER NOT NULL, description TEXT NOT NULL);
CREATE TABLE trials (id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id),
    trial_index INTEGER NOT NULL, architecture TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    worker TEXT, claimed_at INTEGER, finished_at INTEGER, val_accuracy REAL, test_accuracy REAL,
    seconds REAL, num_params INTEGER, epochs_run INTEGER, error TEXT, UNIQUE (task_id, trial_index));
CREATE INDEX trials_status ON trials (status, id);
CREATE TABLE workers (name TEXT PRIMARY KEY, heartbeat INTEGER NOT NULL);
PRAGMA user_version = 1;
";

fn all_trial_rows(path: &std::path::Path) -> Vec<String> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut st = c.prepare("SELECT quote(id), quote(task_id), quote(trial_index), quote(architecture), quote(seed), quote(status), quote(worker), quote(claimed_at), quote(finished_at), quote(val_accuracy), quote(test_accuracy), quote(seconds), quote(num_params), quote(epochs_run), quote(error) FROM trials ORDER BY id").unwrap();
    st.query_map([], |r| (0..15).map(|i| r.get::<_, String>(i)).collect::<rusqlite::Result<Vec<_>>>().map(|v| v.join("|")))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap()
}

#[test]
fn sqlite_migrates_version_1_in_place_without_touching_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(V1_SCHEMA).unwrap();
        c.execute("INSERT INTO tasks VALUES (1, 'a', 's', 2, 10, 5, 5, 'd')", []).unwrap();
        c.execute("INSERT INTO trials (task_id, trial_index, architecture, seed, status, worker, claimed_at, finished_at, val_accuracy, test_accuracy, seconds, num_params, epochs_run) VALUES (1, 0, '{}', 7, 'done', 'w', 1, 2, 0.8125, 0.1 + 0.2, 1.5, 10, 20)", []).unwrap();
        c.execute("INSERT INTO trials (task_id, trial_index, architecture, seed) VALUES (1, 1, '{}', 8)", []).unwrap();
    }
    let before = all_trial_rows(&path);
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), 2);
    assert_eq!(s.task_data("a").unwrap(), None, "old tasks have no samples yet");
    drop(s);
    assert_eq!(all_trial_rows(&path), before, "every trial row is byte-identical");
    // Opening again is a no-op.
    assert_eq!(SqliteStore::open(&path).unwrap().schema_version().unwrap(), 2);
    assert_eq!(all_trial_rows(&path), before);
}
