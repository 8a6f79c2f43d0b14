//! The embedded SQLite store.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::Result;
use crate::error::StoreError;
use crate::store::ExperimentStore;
use crate::store::now_ms;
use crate::types::{PlannedTrial, TaskData, TaskRecord, Trial, TrialResult, TrialStatus, WorkerInfo};

/// Schema version this build writes. Older files are migrated on open, in one transaction:
/// version 1 (tasks, trials, workers, meta) gains the `task_data` table in version 2, and no
/// existing row is touched.
pub const SCHEMA_VERSION: i64 = 2;

const MIGRATIONS: [&str; 2] = [r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    suite TEXT NOT NULL,
    num_classes INTEGER NOT NULL,
    n_train INTEGER NOT NULL,
    n_validation INTEGER NOT NULL,
    n_test INTEGER NOT NULL,
    description TEXT NOT NULL
);
CREATE TABLE trials (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id),
    trial_index INTEGER NOT NULL,
    architecture TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'done', 'failed')),
    worker TEXT,
    claimed_at INTEGER,
    finished_at INTEGER,
    val_accuracy REAL,
    test_accuracy REAL,
    seconds REAL,
    num_params INTEGER,
    epochs_run INTEGER,
    error TEXT,
    UNIQUE (task_id, trial_index)
);
CREATE INDEX trials_status ON trials (status, id);
CREATE TABLE workers (name TEXT PRIMARY KEY, heartbeat INTEGER NOT NULL);
", r"
CREATE TABLE task_data (
    task_id INTEGER PRIMARY KEY REFERENCES tasks(id),
    format TEXT NOT NULL,
    bytes BLOB NOT NULL,
    checksum TEXT NOT NULL
);
"];

/// An [`ExperimentStore`] in one SQLite file (WAL mode, 30 s busy timeout). Several processes,
/// and several `SqliteStore`s in one process, may share the file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating and migrating as needed) the database at `path`.
    ///
    /// # Errors
    /// SQLite errors, or [`StoreError::SchemaTooNew`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::init(Connection::open(path)?)
    }

    /// A private in-memory SQLite database (for tests of SQL behaviour).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut conn = conn;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew { found: version, supported: SCHEMA_VERSION });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

}

/// Reads `name, suite, num_classes, n_train, n_validation, n_test, description`.
fn row_to_task(r: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRecord> {
    Ok(TaskRecord {
        name: r.get(0)?,
        suite: r.get(1)?,
        num_classes: r.get::<_, i64>(2)? as usize,
        train: r.get::<_, i64>(3)? as usize,
        validation: r.get::<_, i64>(4)? as usize,
        test: r.get::<_, i64>(5)? as usize,
        description: r.get(6)?,
    })
}

fn row_to_trial(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Trial, String)> {
    let status: String = r.get(5)?;
    let val: Option<f64> = r.get(9)?;
    let result = match val {
        Some(v) => Some(TrialResult {
            val_accuracy: v as f32,
            test_accuracy: r.get::<_, Option<f64>>(10)?.unwrap_or(0.0) as f32,
            seconds: r.get::<_, Option<f64>>(11)?.unwrap_or(0.0),
            num_params: r.get::<_, Option<i64>>(12)?.unwrap_or(0) as usize,
            epochs_run: r.get::<_, Option<i64>>(13)?.unwrap_or(0) as usize,
        }),
        None => None,
    };
    Ok((
        Trial {
            id: r.get(0)?,
            task: r.get(1)?,
            trial_index: r.get::<_, i64>(2)? as usize,
            architecture: r.get(3)?,
            seed: r.get::<_, i64>(4)? as u64,
            status: TrialStatus::Pending,
            worker: r.get(6)?,
            result,
            error: r.get(14)?,
            claimed_at: r.get(7)?,
            finished_at: r.get(8)?,
        },
        status,
    ))
}

const TRIAL_COLUMNS: &str = "t.id, k.name, t.trial_index, t.architecture, t.seed, t.status, t.worker, \
     t.claimed_at, t.finished_at, t.val_accuracy, t.test_accuracy, t.seconds, t.num_params, \
     t.epochs_run, t.error";

/// The id of task `name`.
fn task_id(conn: &Connection, name: &str) -> Result<i64> {
    conn.query_row("SELECT id FROM tasks WHERE name = ?1", [name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::UnknownTask(name.to_string()))
}

fn insert_task(conn: &Connection, task: &TaskRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO tasks (name, suite, num_classes, n_train, n_validation, n_test, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![task.name, task.suite, task.num_classes as i64, task.train as i64, task.validation as i64, task.test as i64, task.description],
    )?;
    Ok(())
}

fn insert_data(conn: &Connection, task_id: i64, data: &TaskData) -> Result<()> {
    conn.execute(
        "INSERT INTO task_data (task_id, format, bytes, checksum) VALUES (?1, ?2, ?3, ?4)",
        params![task_id, data.format, data.bytes, data.checksum()],
    )?;
    Ok(())
}

fn finish(pair: (Trial, String)) -> Result<Trial> {
    let (mut t, s) = pair;
    t.status = TrialStatus::parse(&s)?;
    Ok(t)
}

impl ExperimentStore for SqliteStore {
    fn add_task(&self, task: &TaskRecord) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<TaskRecord> = tx
            .query_row(
                "SELECT name, suite, num_classes, n_train, n_validation, n_test, description FROM tasks WHERE name = ?1",
                [&task.name],
                row_to_task,
            )
            .optional()?;
        match existing {
            Some(e) if &e == task => {}
            Some(_) => return Err(StoreError::TaskConflict(task.name.clone())),
            None => insert_task(&tx, task)?,
        }
        tx.commit()?;
        Ok(())
    }

    fn tasks(&self) -> Result<Vec<TaskRecord>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT name, suite, num_classes, n_train, n_validation, n_test, description FROM tasks ORDER BY id",
        )?;
        let rows = st.query_map([], row_to_task)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn plan(&self, task: &str, trials: &[PlannedTrial]) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = task_id(&tx, task)?;
        let mut added = 0;
        {
            let mut st = tx.prepare(
                "INSERT OR IGNORE INTO trials (task_id, trial_index, architecture, seed) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for t in trials {
                added += st.execute(params![id, t.trial_index as i64, t.architecture, t.seed as i64])?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    fn claim(&self, worker: &str) -> Result<Option<Trial>> {
        let mut conn = self.conn();
        // IMMEDIATE takes the write lock up front, so two claimers never see the same pending row.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id: Option<i64> = tx
            .query_row("SELECT id FROM trials WHERE status = 'pending' ORDER BY id LIMIT 1", [], |r| r.get(0))
            .optional()?;
        let Some(id) = id else {
            tx.commit()?;
            return Ok(None);
        };
        let now = now_ms();
        tx.execute(
            "UPDATE trials SET status = 'running', worker = ?2, claimed_at = ?3 WHERE id = ?1",
            params![id, worker, now],
        )?;
        tx.execute(
            "INSERT INTO workers (name, heartbeat) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET heartbeat = ?2",
            params![worker, now],
        )?;
        let pair = tx.query_row(
            &format!("SELECT {TRIAL_COLUMNS} FROM trials t JOIN tasks k ON k.id = t.task_id WHERE t.id = ?1"),
            [id],
            row_to_trial,
        )?;
        tx.commit()?;
        finish(pair).map(Some)
    }

    fn complete(&self, trial_id: i64, worker: &str, outcome: std::result::Result<TrialResult, String>) -> Result<bool> {
        let conn = self.conn();
        let now = now_ms();
        let n = match outcome {
            Ok(r) => conn.execute(
                "UPDATE trials SET status = 'done', finished_at = ?3, val_accuracy = ?4, test_accuracy = ?5, \
                 seconds = ?6, num_params = ?7, epochs_run = ?8, error = NULL \
                 WHERE id = ?1 AND worker = ?2 AND status = 'running'",
                params![trial_id, worker, now, f64::from(r.val_accuracy), f64::from(r.test_accuracy), r.seconds, r.num_params as i64, r.epochs_run as i64],
            )?,
            Err(e) => conn.execute(
                "UPDATE trials SET status = 'failed', finished_at = ?3, error = ?4 \
                 WHERE id = ?1 AND worker = ?2 AND status = 'running'",
                params![trial_id, worker, now, e],
            )?,
        };
        Ok(n == 1)
    }

    fn heartbeat(&self, worker: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO workers (name, heartbeat) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET heartbeat = ?2",
            params![worker, now_ms()],
        )?;
        Ok(())
    }

    fn requeue_stale(&self, stale_after: Duration) -> Result<usize> {
        let cutoff = now_ms() - stale_after.as_millis() as i64;
        let n = self.conn().execute(
            "UPDATE trials SET status = 'pending', worker = NULL, claimed_at = NULL \
             WHERE status = 'running' AND (worker IS NULL OR worker NOT IN \
             (SELECT name FROM workers WHERE heartbeat >= ?1))",
            [cutoff],
        )?;
        Ok(n)
    }

    fn trials(&self, task: Option<&str>) -> Result<Vec<Trial>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {TRIAL_COLUMNS} FROM trials t JOIN tasks k ON k.id = t.task_id \
             WHERE ?1 IS NULL OR k.name = ?1 ORDER BY k.id, t.trial_index"
        );
        let mut st = conn.prepare(&sql)?;
        let rows = st.query_map([task], row_to_trial)?;
        rows.map(|r| finish(r?)).collect()
    }

    fn create_task(&self, task: &TaskRecord, data: &TaskData) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> =
            tx.query_row("SELECT id FROM tasks WHERE name = ?1", [&task.name], |r| r.get(0)).optional()?;
        if exists.is_some() {
            return Err(StoreError::DuplicateTask(task.name.clone()));
        }
        insert_task(&tx, task)?;
        insert_data(&tx, tx.last_insert_rowid(), data)?;
        tx.commit()?;
        Ok(())
    }

    fn attach_task_data(&self, task: &str, data: &TaskData) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = task_id(&tx, task)?;
        let existing: Option<String> =
            tx.query_row("SELECT checksum FROM task_data WHERE task_id = ?1", [id], |r| r.get(0)).optional()?;
        match existing {
            Some(c) if c == data.checksum() => {}
            Some(_) => return Err(StoreError::TaskConflict(task.to_string())),
            None => insert_data(&tx, id, data)?,
        }
        tx.commit()?;
        Ok(())
    }

    fn task_data(&self, task: &str) -> Result<Option<TaskData>> {
        let conn = self.conn();
        let id = task_id(&conn, task)?;
        let row: Option<(String, Vec<u8>, String)> = conn
            .query_row("SELECT format, bytes, checksum FROM task_data WHERE task_id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        match row {
            None => Ok(None),
            Some((format, bytes, checksum)) => {
                let data = TaskData { format, bytes };
                if data.checksum() != checksum {
                    return Err(StoreError::Corrupt(format!("the samples of task `{task}` do not match their checksum")));
                }
                Ok(Some(data))
            }
        }
    }

    fn record_trials(&self, task: &str, worker: &str, trials: &[(PlannedTrial, TrialResult)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = task_id(&tx, task)?;
        let now = now_ms();
        for (p, r) in trials {
            let taken: Option<i64> = tx
                .query_row(
                    "SELECT id FROM trials WHERE task_id = ?1 AND trial_index = ?2",
                    params![id, p.trial_index as i64],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(StoreError::TrialExists { task: task.to_string(), trial_index: p.trial_index });
            }
            tx.execute(
                "INSERT INTO trials (task_id, trial_index, architecture, seed, status, worker, claimed_at, finished_at, \
                 val_accuracy, test_accuracy, seconds, num_params, epochs_run) \
                 VALUES (?1, ?2, ?3, ?4, 'done', ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![id, p.trial_index as i64, p.architecture, p.seed as i64, worker, now,
                    f64::from(r.val_accuracy), f64::from(r.test_accuracy), r.seconds, r.num_params as i64, r.epochs_run as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn().query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    fn meta_entries(&self) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT key, value FROM meta ORDER BY key")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn workers(&self) -> Result<Vec<WorkerInfo>> {
        let conn = self.conn();
        let now = now_ms();
        let mut st = conn.prepare("SELECT name, heartbeat FROM workers ORDER BY name")?;
        let rows = st.query_map([], |r| Ok(WorkerInfo { name: r.get(0)?, silent_ms: now - r.get::<_, i64>(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn import_trials(&self, task: &str, trials: &[Trial]) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = task_id(&tx, task)?;
        let mut added = 0;
        {
            let mut find = tx.prepare(&format!(
                "SELECT {TRIAL_COLUMNS} FROM trials t JOIN tasks k ON k.id = t.task_id WHERE t.task_id = ?1 AND t.trial_index = ?2"
            ))?;
            let mut insert = tx.prepare(
                "INSERT INTO trials (id, task_id, trial_index, architecture, seed, status, worker, claimed_at, finished_at, \
                 val_accuracy, test_accuracy, seconds, num_params, epochs_run, error) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?;
            for t in trials {
                let have = find.query_row(params![id, t.trial_index as i64], row_to_trial).optional()?;
                if let Some(h) = have {
                    if &finish(h)? != t {
                        return Err(StoreError::TrialExists { task: task.to_string(), trial_index: t.trial_index });
                    }
                    continue;
                }
                let r = t.result.as_ref();
                insert.execute(params![
                    t.id, id, t.trial_index as i64, t.architecture, t.seed as i64, t.status.as_str(), t.worker,
                    t.claimed_at, t.finished_at, r.map(|r| f64::from(r.val_accuracy)), r.map(|r| f64::from(r.test_accuracy)),
                    r.map(|r| r.seconds), r.map(|r| r.num_params as i64), r.map(|r| r.epochs_run as i64), t.error
                ])?;
                added += 1;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    fn schema_version(&self) -> Result<i64> {
        Ok(self.conn().query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}
