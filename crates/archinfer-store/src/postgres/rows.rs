//! The queries and row conversions that the store's operations share.

use postgres::{GenericClient, Row};

use crate::error::Result;
use crate::error::StoreError;
use crate::postgres::failure::Failure;
use crate::postgres::schema::SERVER_NOW_MS;
use crate::types::{TaskData, TaskRecord, Trial, TrialResult, TrialStatus};

pub(super) const TASK_COLUMNS: &str = "name, suite, num_classes, n_train, n_validation, n_test, description";

pub(super) fn row_to_task(r: &Row) -> TaskRecord {
    TaskRecord {
        name: r.get(0),
        suite: r.get(1),
        num_classes: r.get::<_, i64>(2) as usize,
        train: r.get::<_, i64>(3) as usize,
        validation: r.get::<_, i64>(4) as usize,
        test: r.get::<_, i64>(5) as usize,
        description: r.get(6),
    }
}

pub(super) const TRIAL_COLUMNS: &str = "t.id, k.name, t.trial_index, t.architecture, t.seed, t.status, t.worker, \
     t.claimed_at, t.finished_at, t.val_accuracy, t.test_accuracy, t.seconds, t.num_params, \
     t.epochs_run, t.error";

pub(super) fn row_to_trial(r: &Row) -> Result<Trial> {
    let val: Option<f64> = r.get(9);
    let result = val.map(|v| TrialResult {
        val_accuracy: v as f32,
        test_accuracy: r.get::<_, Option<f64>>(10).unwrap_or(0.0) as f32,
        seconds: r.get::<_, Option<f64>>(11).unwrap_or(0.0),
        num_params: r.get::<_, Option<i64>>(12).unwrap_or(0) as usize,
        epochs_run: r.get::<_, Option<i64>>(13).unwrap_or(0) as usize,
    });
    Ok(Trial {
        id: r.get(0),
        task: r.get(1),
        trial_index: r.get::<_, i64>(2) as usize,
        architecture: r.get(3),
        seed: r.get::<_, i64>(4) as u64,
        status: TrialStatus::parse(r.get::<_, &str>(5))?,
        worker: r.get(6),
        result,
        error: r.get(14),
        claimed_at: r.get(7),
        finished_at: r.get(8),
    })
}

pub(super) fn task_id(c: &mut impl GenericClient, name: &str) -> Result<i64, Failure> {
    match c.query_opt("SELECT id FROM tasks WHERE name = $1", &[&name])? {
        Some(r) => Ok(r.get(0)),
        None => Err(StoreError::UnknownTask(name.to_string()).into()),
    }
}

pub(super) fn insert_task(c: &mut impl GenericClient, task: &TaskRecord) -> Result<i64, Failure> {
    Ok(c.query_one(
        "INSERT INTO tasks (name, suite, num_classes, n_train, n_validation, n_test, description) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[&task.name, &task.suite, &(task.num_classes as i64), &(task.train as i64), &(task.validation as i64), &(task.test as i64), &task.description],
    )?
    .get(0))
}

pub(super) fn insert_data(c: &mut impl GenericClient, task_id: i64, data: &TaskData) -> Result<(), Failure> {
    c.execute(
        "INSERT INTO task_data (task_id, format, bytes, checksum) VALUES ($1, $2, $3, $4)",
        &[&task_id, &data.format, &data.bytes, &data.checksum()],
    )?;
    Ok(())
}

pub(super) fn trial_by_id(c: &mut impl GenericClient, id: i64) -> Result<Trial, Failure> {
    let r = c.query_one(&format!("SELECT {TRIAL_COLUMNS} FROM trials t JOIN tasks k ON k.id = t.task_id WHERE t.id = $1"), &[&id])?;
    Ok(row_to_trial(&r)?)
}

/// Marks `worker` alive now, by the server's clock.
pub(super) fn beat(c: &mut impl GenericClient, worker: &str) -> Result<(), Failure> {
    c.execute(
        &format!(
            "INSERT INTO workers (name, heartbeat) VALUES ($1, {SERVER_NOW_MS}) \
             ON CONFLICT (name) DO UPDATE SET heartbeat = EXCLUDED.heartbeat"
        ),
        &[&worker],
    )?;
    Ok(())
}

/// Keeps the identity sequence ahead of ids inserted explicitly (by `import_trials`).
pub(super) fn bump_sequence(c: &mut impl GenericClient, table: &str) -> Result<(), Failure> {
    c.execute(
        &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(max(id), 0) FROM {table}), 1))"),
        &[],
    )?;
    Ok(())
}
