//! The same behaviour from every store: exactly-once claims under concurrency, crash recovery,
//! planning idempotence, summaries.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use archinfer_store::testing::{
    crash_recovery, exactly_once as two_workers_exactly_once, failures_and_meta, import_verbatim, plan, result, task_data_and_recorded_trials,
};
use archinfer_store::{ExperimentStore, MemoryStore, SqliteStore, StoreError, TaskData, TaskRecord, TrialStatus};

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
    assert_eq!(s.summary().unwrap()[0].counts, archinfer_store::StateCounts { done: 2, ..Default::default() });
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

#[test]
fn memory_import_verbatim() {
    import_verbatim(&MemoryStore::new());
}

#[test]
fn sqlite_import_verbatim() {
    import_verbatim(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn the_whole_contract_on_sqlite_files() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    archinfer_store::testing::check_all(&|| {
        let path = dir.path().join(format!("{}.sqlite", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
        let a: Arc<dyn ExperimentStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let b: Arc<dyn ExperimentStore> = Arc::new(SqliteStore::open(&path).unwrap());
        (a, b)
    });
}

#[test]
fn unknown_schemes_are_refused() {
    match archinfer_store::open("mongodb://u:pw@host/db") {
        Err(StoreError::UnknownScheme { scheme, .. }) => assert_eq!(scheme, "mongodb"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}
