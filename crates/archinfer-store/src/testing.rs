//! The store contract: the behaviour every [`ExperimentStore`] must show, as functions that
//! panic on a violation. archinfer runs them against [`MemoryStore`](crate::memory::MemoryStore),
//! [`SqliteStore`](crate::sqlite::SqliteStore) and a real PostgreSQL server; a third party's store
//! proves it conforms by running them too (cargo feature `testing`):
//!
//! ```
//! use std::sync::Arc;
//! use archinfer_store::{ExperimentStore, MemoryStore, testing};
//! // Each check gets fresh, empty stores; `exactly_once` gets two handles on one database.
//! testing::check_all(&|| {
//!     let s: Arc<dyn ExperimentStore> = Arc::new(MemoryStore::new());
//!     (s.clone(), s)
//! });
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use crate::error::StoreError;
use crate::store::ExperimentStore;
use crate::types::{PlannedTrial, TaskData, TaskRecord, Trial, TrialResult, TrialStatus};

/// Adds `tasks` tasks (`task0`, `task1` …) of `per_task` planned trials each, and checks that
/// planning again adds nothing.
pub fn plan(store: &dyn ExperimentStore, tasks: usize, per_task: usize) {
    for k in 0..tasks {
        let name = format!("task{k}");
        store.add_task(&TaskRecord::new(&name, "test", 2)).unwrap();
        let trials: Vec<PlannedTrial> =
            (0..per_task).map(|i| PlannedTrial { trial_index: i, architecture: format!("{{\"i\":{i}}}"), seed: i as u64 }).collect();
        assert_eq!(store.plan(&name, &trials).unwrap(), per_task);
        assert_eq!(store.plan(&name, &trials).unwrap(), 0, "planning twice adds nothing");
    }
}

/// A result whose accuracies are `v`.
pub fn result(v: f32) -> TrialResult {
    TrialResult { val_accuracy: v, test_accuracy: v, seconds: 0.25, num_params: 1, epochs_run: 1 }
}

/// Drains every pending trial as `worker`, reporting each; returns the claimed ids.
pub fn drain(store: &dyn ExperimentStore, worker: &str, work: Duration) -> Vec<i64> {
    let mut mine = Vec::new();
    while let Some(t) = store.claim(worker).unwrap() {
        assert_eq!(t.status, TrialStatus::Running);
        assert_eq!(t.worker.as_deref(), Some(worker));
        std::thread::sleep(work);
        assert!(store.complete(t.id, worker, Ok(result(t.trial_index as f32 / 100.0))).unwrap(), "own claim accepted");
        mine.push(t.id);
    }
    mine
}

/// Two workers, through two handles on one database, drain 120 trials concurrently; every
/// trial is claimed and recorded exactly once, and the summary agrees.
pub fn exactly_once(store: Arc<dyn ExperimentStore>, other: Arc<dyn ExperimentStore>) {
    plan(store.as_ref(), 3, 40);
    let start = Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = [("w1", store.clone()), ("w2", other)]
        .into_iter()
        .map(|(w, s)| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                // The sleep stands in for training, so the two workers interleave.
                drain(s.as_ref(), w, Duration::from_millis(2))
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
    assert_eq!(s[0].counts, crate::summary::StateCounts { done: 40, ..Default::default() });
    let [lo, med, hi] = s[0].val_accuracy.unwrap();
    assert_eq!((lo, hi), (0.0, 0.39));
    assert!((med - 0.195).abs() < 1e-6);
    let workers: Vec<String> = store.workers().unwrap().into_iter().map(|w| w.name).collect();
    assert!(workers.contains(&"w1".to_string()) && workers.contains(&"w2".to_string()), "{workers:?}");
}

/// A worker dies holding a claim; its trial is requeued and run again, and the dead worker's
/// late report is refused.
pub fn crash_recovery(store: &dyn ExperimentStore) {
    plan(store, 1, 3);
    let dead = store.claim("dead").unwrap().unwrap();
    assert_eq!(store.requeue_stale(Duration::from_secs(3600)).unwrap(), 0, "fresh heartbeat is alive");
    std::thread::sleep(Duration::from_millis(50));
    store.heartbeat("alive").unwrap();
    assert_eq!(store.requeue_stale(Duration::from_millis(25)).unwrap(), 1);
    let seen = drain(store, "alive", Duration::ZERO);
    assert!(seen.contains(&dead.id), "the dead worker's trial ran again");
    assert_eq!(seen.len(), 3);
    assert!(!store.complete(dead.id, "dead", Ok(result(0.1))).unwrap(), "late report refused");
    assert!(!store.complete(dead.id, "alive", Ok(result(0.2))).unwrap(), "a second report refused");
    let t = store.trials(Some("task0")).unwrap();
    let again = t.iter().find(|x| x.id == dead.id).unwrap();
    assert_eq!(again.worker.as_deref(), Some("alive"));
    assert_eq!(again.result.as_ref().unwrap().val_accuracy, 0.0);
    let ages: Vec<i64> = store.workers().unwrap().iter().filter(|w| w.name == "alive").map(|w| w.silent_ms).collect();
    assert!(ages.len() == 1 && ages[0] < 60_000, "the live worker was heard from recently: {ages:?}");
}

/// Failed trials, unknown tasks, conflicting tasks and metadata.
pub fn failures_and_meta(store: &dyn ExperimentStore) {
    plan(store, 1, 1);
    let t = store.claim("w").unwrap().unwrap();
    assert!(store.complete(t.id, "w", Err("non-finite loss".into())).unwrap());
    let t = &store.trials(None).unwrap()[0];
    assert_eq!(t.status, TrialStatus::Failed);
    assert_eq!(t.error.as_deref(), Some("non-finite loss"));
    assert_eq!(store.summary().unwrap()[0].counts, crate::summary::StateCounts { failed: 1, ..Default::default() });
    assert!(matches!(store.plan("nope", &[]), Err(StoreError::UnknownTask(_))));
    let mut other = TaskRecord::new("task0", "test", 3);
    other.train = 5;
    assert!(matches!(store.add_task(&other), Err(StoreError::TaskConflict(_))));
    store.set_meta("space", "{}").unwrap();
    store.set_meta("space", "{\"v\":2}").unwrap();
    store.set_meta("another", "x").unwrap();
    assert_eq!(store.meta("space").unwrap().as_deref(), Some("{\"v\":2}"));
    assert_eq!(store.meta("missing").unwrap(), None);
    assert_eq!(store.meta_entries().unwrap(), vec![("another".to_string(), "x".to_string()), ("space".to_string(), "{\"v\":2}".to_string())]);
    assert!(store.schema_version().unwrap() >= 2);
}

/// Tasks with samples, attaching samples to old tasks, and trainings recorded outside the plan.
pub fn task_data_and_recorded_trials(store: &dyn ExperimentStore) {
    let data = TaskData::new("test/v1", vec![1, 2, 3, 0, 255]);
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

/// Trials imported verbatim (a database copy) keep ids, states and results; importing again
/// is a no-op, a differing trial at a taken index is refused, and new plans get fresh ids.
pub fn import_verbatim(store: &dyn ExperimentStore) {
    store.add_task(&TaskRecord::new("copied", "test", 2)).unwrap();
    let base = Trial {
        id: 41,
        task: "copied".into(),
        trial_index: 0,
        architecture: "{\"a\":1}".into(),
        seed: u64::MAX - 3,
        status: TrialStatus::Done,
        worker: Some("host:1:0".into()),
        result: Some(TrialResult { val_accuracy: 0.8125, test_accuracy: 0.123_456_79, seconds: 1.0 / 3.0, num_params: 123_456, epochs_run: 7 }),
        error: None,
        claimed_at: Some(1_700_000_000_000),
        finished_at: Some(1_700_000_000_500),
    };
    let failed = Trial { id: 42, trial_index: 1, status: TrialStatus::Failed, result: None, error: Some("nan".into()), ..base.clone() };
    let pending =
        Trial { id: 50, trial_index: 2, status: TrialStatus::Pending, worker: None, result: None, claimed_at: None, finished_at: None, ..base.clone() };
    let all = vec![base.clone(), failed, pending];
    assert_eq!(store.import_trials("copied", &all).unwrap(), 3);
    assert_eq!(store.import_trials("copied", &all).unwrap(), 0, "a resumed copy adds nothing");
    assert_eq!(store.trials(Some("copied")).unwrap(), all, "every field survives, the u64 seed included");
    let changed = Trial { seed: 1, ..base };
    assert!(matches!(store.import_trials("copied", &[changed]), Err(StoreError::TrialExists { trial_index: 0, .. })));
    assert!(matches!(store.import_trials("nope", &all), Err(StoreError::UnknownTask(_))));
    store.plan("copied", &[PlannedTrial { trial_index: 3, architecture: "{}".into(), seed: 0 }]).unwrap();
    let t = store.trials(Some("copied")).unwrap();
    assert!(t[3].id > 50, "a planned trial gets an id past the imported ones: {}", t[3].id);
    let claimed = store.claim("w").unwrap().unwrap();
    assert_eq!(claimed.id, 50, "the imported pending trial is claimable");
}

/// Runs every check, each on fresh stores from `fresh` (a pair of handles on one new, empty
/// database: the second is used by [`exactly_once`] as another worker's connection).
pub fn check_all(fresh: &dyn Fn() -> (Arc<dyn ExperimentStore>, Arc<dyn ExperimentStore>)) {
    let (a, b) = fresh();
    exactly_once(a, b);
    crash_recovery(fresh().0.as_ref());
    failures_and_meta(fresh().0.as_ref());
    task_data_and_recorded_trials(fresh().0.as_ref());
    import_verbatim(fresh().0.as_ref());
}

/// The URL of a PostgreSQL server to test against, from `ARCHINFER_TEST_POSTGRES`, or `None`
/// with the reason printed. Under `CI=true` a missing server is a failure, never a skip.
///
/// # Panics
/// When `CI` is `true` and the variable is unset.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("ARCHINFER_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{test}: CI=true but ARCHINFER_TEST_POSTGRES is unset; .ci/run starts a server and sets it");
            // Straight to the process's stderr: the harness would swallow `eprintln!` of a test
            // that passes, and a skip must be seen.
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: no PostgreSQL server (set ARCHINFER_TEST_POSTGRES=postgres://user:pw@host/db)");
            None
        }
    }
}

/// `url` with its archinfer schema set to `schema` (a scratch schema per test).
pub fn with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}schema={schema}")
}

/// A unique scratch schema name for `test`.
pub fn scratch_schema(test: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let clean: String = test.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!("t_{}_{}_{nanos}", &clean[..clean.len().min(30)], std::process::id())
}

/// Installs, in the store's schema, a trigger that logs every write of a result (a trial row
/// set to `done` or `failed`) and every requeue into a table `result_writes`, so a test can
/// prove no result was written twice. [`result_writes`] reads it back.
///
/// # Panics
/// On any PostgreSQL error.
#[cfg(feature = "postgres")]
pub fn install_result_audit(store: &crate::postgres::connection::PostgresStore) {
    let mut c = audit_client(store);
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS result_writes (trial_id BIGINT NOT NULL, status TEXT NOT NULL);
         CREATE OR REPLACE FUNCTION log_result_write() RETURNS trigger AS $$
         BEGIN
             IF NEW.status IN ('done', 'failed') THEN
                 INSERT INTO result_writes VALUES (NEW.id, NEW.status);
             ELSIF TG_OP = 'UPDATE' AND OLD.status = 'running' AND NEW.status = 'pending' THEN
                 INSERT INTO result_writes VALUES (NEW.id, 'requeued');
             END IF;
             RETURN NEW;
         END $$ LANGUAGE plpgsql;
         DROP TRIGGER IF EXISTS result_audit ON trials;
         CREATE TRIGGER result_audit AFTER INSERT OR UPDATE ON trials FOR EACH ROW EXECUTE FUNCTION log_result_write();",
    )
    .unwrap();
}

/// How many times each trial's result was written, by trial id, from the audit table of
/// [`install_result_audit`].
///
/// # Panics
/// On any PostgreSQL error.
#[cfg(feature = "postgres")]
pub fn result_writes(store: &crate::postgres::connection::PostgresStore) -> std::collections::HashMap<i64, i64> {
    let mut c = audit_client(store);
    c.query("SELECT trial_id, count(*) FROM result_writes WHERE status <> 'requeued' GROUP BY trial_id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// How many times a running trial was put back to pending (its worker was declared dead),
/// from the audit table of [`install_result_audit`].
///
/// # Panics
/// On any PostgreSQL error.
#[cfg(feature = "postgres")]
pub fn requeues(store: &crate::postgres::connection::PostgresStore) -> i64 {
    audit_client(store).query_one("SELECT count(*) FROM result_writes WHERE status = 'requeued'", &[]).unwrap().get(0)
}

#[cfg(feature = "postgres")]
fn audit_client(store: &crate::postgres::connection::PostgresStore) -> postgres::Client {
    let mut c = store.raw_client().unwrap();
    c.batch_execute(&format!("SET search_path TO {}", store.schema())).unwrap();
    c
}
