//! The [`ExperimentStore`] operations of the PostgreSQL store.

use std::time::Duration;

use crate::error::Result;
use crate::error::StoreError;
use crate::postgres::connection::PostgresStore;
use crate::postgres::rows::{
    TASK_COLUMNS, TRIAL_COLUMNS, beat, bump_sequence, insert_data, insert_task, row_to_task, row_to_trial, task_id, trial_by_id,
};
use crate::postgres::schema::SERVER_NOW_MS;
use crate::store::ExperimentStore;
use crate::store::now_ms;
use crate::types::{PlannedTrial, TaskData, TaskRecord, Trial, TrialResult, WorkerInfo};

impl ExperimentStore for PostgresStore {
    fn add_task(&self, task: &TaskRecord) -> Result<()> {
        self.run(|c, _| {
            let mut tx = c.transaction()?;
            tx.execute("LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE", &[])?;
            let existing = tx.query_opt(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE name = $1"), &[&task.name])?;
            match existing.map(|r| row_to_task(&r)) {
                Some(e) if &e == task => {}
                Some(_) => return Err(StoreError::TaskConflict(task.name.clone()).into()),
                None => {
                    insert_task(&mut tx, task)?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn tasks(&self) -> Result<Vec<TaskRecord>> {
        self.run(|c, _| Ok(c.query(&format!("SELECT {TASK_COLUMNS} FROM tasks ORDER BY id"), &[])?.iter().map(row_to_task).collect()))
    }

    fn plan(&self, task: &str, trials: &[PlannedTrial]) -> Result<usize> {
        self.run(|c, _| {
            let mut tx = c.transaction()?;
            let id = task_id(&mut tx, task)?;
            let st = tx.prepare(
                "INSERT INTO trials (task_id, trial_index, architecture, seed) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (task_id, trial_index) DO NOTHING",
            )?;
            let mut added = 0;
            for t in trials {
                added += tx.execute(&st, &[&id, &(t.trial_index as i64), &t.architecture, &(t.seed as i64)])? as usize;
            }
            tx.commit()?;
            Ok(added)
        })
    }

    fn claim(&self, worker: &str) -> Result<Option<Trial>> {
        let token = now_ms();
        self.run(|c, attempt| {
            let mut tx = c.transaction()?;
            if attempt > 0 {
                // An earlier attempt may have committed before the connection dropped.
                let mine = tx.query_opt(
                    "SELECT id FROM trials WHERE status = 'running' AND worker = $1 AND claimed_at = $2",
                    &[&worker, &token],
                )?;
                if let Some(r) = mine {
                    let t = trial_by_id(&mut tx, r.get(0))?;
                    tx.commit()?;
                    return Ok(Some(t));
                }
            }
            let claimed = tx.query_opt(
                "UPDATE trials SET status = 'running', worker = $1, claimed_at = $2 \
                 WHERE id = (SELECT id FROM trials WHERE status = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING id",
                &[&worker, &token],
            )?;
            beat(&mut tx, worker)?;
            let out = match claimed {
                Some(r) => Some(trial_by_id(&mut tx, r.get(0))?),
                None => None,
            };
            tx.commit()?;
            Ok(out)
        })
    }

    fn complete(&self, trial_id: i64, worker: &str, outcome: std::result::Result<TrialResult, String>) -> Result<bool> {
        let token = now_ms();
        self.run(|c, attempt| {
            if attempt > 0 {
                let mine = c.query_opt(
                    "SELECT 1 FROM trials WHERE id = $1 AND worker = $2 AND finished_at = $3 AND status IN ('done', 'failed')",
                    &[&trial_id, &worker, &token],
                )?;
                if mine.is_some() {
                    return Ok(true);
                }
            }
            let n = match &outcome {
                Ok(r) => c.execute(
                    "UPDATE trials SET status = 'done', finished_at = $3, val_accuracy = $4, test_accuracy = $5, \
                     seconds = $6, num_params = $7, epochs_run = $8, error = NULL \
                     WHERE id = $1 AND worker = $2 AND status = 'running'",
                    &[&trial_id, &worker, &token, &f64::from(r.val_accuracy), &f64::from(r.test_accuracy), &r.seconds,
                        &(r.num_params as i64), &(r.epochs_run as i64)],
                )?,
                Err(e) => c.execute(
                    "UPDATE trials SET status = 'failed', finished_at = $3, error = $4 \
                     WHERE id = $1 AND worker = $2 AND status = 'running'",
                    &[&trial_id, &worker, &token, e],
                )?,
            };
            Ok(n == 1)
        })
    }

    fn heartbeat(&self, worker: &str) -> Result<()> {
        self.run(|c, _| {
            beat(c, worker)?;
            Ok(())
        })
    }

    fn requeue_stale(&self, stale_after: Duration) -> Result<usize> {
        let ms = stale_after.as_millis() as i64;
        self.run(|c, _| {
            Ok(c.execute(
                &format!(
                    "UPDATE trials SET status = 'pending', worker = NULL, claimed_at = NULL \
                     WHERE status = 'running' AND (worker IS NULL OR worker NOT IN \
                     (SELECT name FROM workers WHERE heartbeat >= {SERVER_NOW_MS} - $1))"
                ),
                &[&ms],
            )? as usize)
        })
    }

    fn trials(&self, task: Option<&str>) -> Result<Vec<Trial>> {
        self.run(|c, _| {
            let rows = c.query(
                &format!(
                    "SELECT {TRIAL_COLUMNS} FROM trials t JOIN tasks k ON k.id = t.task_id \
                     WHERE $1::text IS NULL OR k.name = $1 ORDER BY k.id, t.trial_index"
                ),
                &[&task],
            )?;
            Ok(rows.iter().map(row_to_trial).collect::<Result<Vec<_>>>()?)
        })
    }

    fn create_task(&self, task: &TaskRecord, data: &TaskData) -> Result<()> {
        self.run(|c, attempt| {
            let mut tx = c.transaction()?;
            tx.execute("LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE", &[])?;
            if let Some(r) = tx.query_opt("SELECT id FROM tasks WHERE name = $1", &[&task.name])? {
                // After a lost connection, the task found may be our own committed attempt.
                if attempt > 0 {
                    let id: i64 = r.get(0);
                    let same = tx.query_opt(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1"), &[&id])?.map(|r| row_to_task(&r))
                        == Some(task.clone());
                    let sum = tx.query_opt("SELECT checksum FROM task_data WHERE task_id = $1", &[&id])?.map(|r| r.get::<_, String>(0));
                    if same && sum == Some(data.checksum()) {
                        return Ok(());
                    }
                }
                return Err(StoreError::DuplicateTask(task.name.clone()).into());
            }
            let id = insert_task(&mut tx, task)?;
            insert_data(&mut tx, id, data)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn attach_task_data(&self, task: &str, data: &TaskData) -> Result<()> {
        self.run(|c, _| {
            let mut tx = c.transaction()?;
            let id = task_id(&mut tx, task)?;
            tx.execute("SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE", &[&id])?;
            let existing = tx.query_opt("SELECT checksum FROM task_data WHERE task_id = $1", &[&id])?;
            match existing.map(|r| r.get::<_, String>(0)) {
                Some(c) if c == data.checksum() => {}
                Some(_) => return Err(StoreError::TaskConflict(task.to_string()).into()),
                None => insert_data(&mut tx, id, data)?,
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn task_data(&self, task: &str) -> Result<Option<TaskData>> {
        self.run(|c, _| {
            let id = task_id(c, task)?;
            let Some(r) = c.query_opt("SELECT format, bytes, checksum FROM task_data WHERE task_id = $1", &[&id])? else {
                return Ok(None);
            };
            let data = TaskData { format: r.get(0), bytes: r.get(1) };
            if data.checksum() != r.get::<_, String>(2) {
                return Err(StoreError::Corrupt(format!("the samples of task `{task}` do not match their checksum")).into());
            }
            Ok(Some(data))
        })
    }

    fn record_trials(&self, task: &str, worker: &str, trials: &[(PlannedTrial, TrialResult)]) -> Result<()> {
        let now = now_ms();
        self.run(|c, attempt| {
            let mut tx = c.transaction()?;
            let id = task_id(&mut tx, task)?;
            if let (true, Some((p, _))) = (attempt > 0, trials.first()) {
                // An earlier attempt may have committed before the connection dropped.
                let done = tx.query_opt(
                    "SELECT 1 FROM trials WHERE task_id = $1 AND trial_index = $2 AND worker = $3 AND finished_at = $4",
                    &[&id, &(p.trial_index as i64), &worker, &now],
                )?;
                if done.is_some() {
                    return Ok(());
                }
            }
            for (p, r) in trials {
                let taken = tx.query_opt(
                    "SELECT id FROM trials WHERE task_id = $1 AND trial_index = $2",
                    &[&id, &(p.trial_index as i64)],
                )?;
                if taken.is_some() {
                    return Err(StoreError::TrialExists { task: task.to_string(), trial_index: p.trial_index }.into());
                }
                tx.execute(
                    "INSERT INTO trials (task_id, trial_index, architecture, seed, status, worker, claimed_at, finished_at, \
                     val_accuracy, test_accuracy, seconds, num_params, epochs_run) \
                     VALUES ($1, $2, $3, $4, 'done', $5, $6, $6, $7, $8, $9, $10, $11)",
                    &[&id, &(p.trial_index as i64), &p.architecture, &(p.seed as i64), &worker, &now,
                        &f64::from(r.val_accuracy), &f64::from(r.test_accuracy), &r.seconds, &(r.num_params as i64), &(r.epochs_run as i64)],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.run(|c, _| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&key, &value],
            )?;
            Ok(())
        })
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.run(|c, _| Ok(c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?.map(|r| r.get(0))))
    }

    fn meta_entries(&self) -> Result<Vec<(String, String)>> {
        self.run(|c, _| Ok(c.query("SELECT key, value FROM meta ORDER BY key", &[])?.iter().map(|r| (r.get(0), r.get(1))).collect()))
    }

    fn workers(&self) -> Result<Vec<WorkerInfo>> {
        self.run(|c, _| {
            let rows = c.query(&format!("SELECT name, {SERVER_NOW_MS} - heartbeat FROM workers ORDER BY name"), &[])?;
            Ok(rows.iter().map(|r| WorkerInfo { name: r.get(0), silent_ms: r.get(1) }).collect())
        })
    }

    fn import_trials(&self, task: &str, trials: &[Trial]) -> Result<usize> {
        self.run(|c, _| {
            let mut tx = c.transaction()?;
            let id = task_id(&mut tx, task)?;
            let existing = tx.query(
                &format!("SELECT {TRIAL_COLUMNS} FROM trials t JOIN tasks k ON k.id = t.task_id WHERE t.task_id = $1"),
                &[&id],
            )?;
            let have: std::collections::HashMap<usize, Trial> =
                existing.iter().map(row_to_trial).map(|t| t.map(|t| (t.trial_index, t))).collect::<Result<_>>()?;
            let st = tx.prepare(
                "INSERT INTO trials (id, task_id, trial_index, architecture, seed, status, worker, claimed_at, finished_at, \
                 val_accuracy, test_accuracy, seconds, num_params, epochs_run, error) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )?;
            let mut added = 0;
            for t in trials {
                if let Some(h) = have.get(&t.trial_index) {
                    if h != t {
                        return Err(StoreError::TrialExists { task: task.to_string(), trial_index: t.trial_index }.into());
                    }
                    continue;
                }
                let r = t.result.as_ref();
                tx.execute(
                    &st,
                    &[&t.id, &id, &(t.trial_index as i64), &t.architecture, &(t.seed as i64), &t.status.as_str(), &t.worker,
                        &t.claimed_at, &t.finished_at, &r.map(|r| f64::from(r.val_accuracy)), &r.map(|r| f64::from(r.test_accuracy)),
                        &r.map(|r| r.seconds), &r.map(|r| r.num_params as i64), &r.map(|r| r.epochs_run as i64), &t.error],
                )?;
                added += 1;
            }
            bump_sequence(&mut tx, "trials")?;
            tx.commit()?;
            Ok(added)
        })
    }

    fn schema_version(&self) -> Result<i64> {
        self.run(|c, _| Ok(c.query_one("SELECT COALESCE(max(version), 0) FROM schema_migrations", &[])?.get(0)))
    }
}
