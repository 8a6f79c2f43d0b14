//! The shipped database after its migration to schema version 2: its 2,800 recorded results
//! are byte-for-byte those of the version-1 file, and every task carries its samples.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use archinfer_store::{ExperimentStore, SqliteStore};
use rusqlite::{Connection, OpenFlags};

fn shipped() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/fmnist14.sqlite")
}

/// FNV-1a over every trial row, each column `quote()`d and joined by `|`, one row per line,
/// in id order.
fn trial_rows_hash(conn: &Connection) -> (u64, usize) {
    let cols = ["id", "task_id", "trial_index", "architecture", "seed", "status", "worker", "claimed_at", "finished_at", "val_accuracy", "test_accuracy", "seconds", "num_params", "epochs_run", "error"];
    let sql = format!("SELECT {} FROM trials ORDER BY id", cols.iter().map(|c| format!("quote({c})")).collect::<Vec<_>>().join("||'|'||"));
    let mut st = conn.prepare(&sql).unwrap();
    let rows: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for line in &rows {
        for b in line.bytes().chain(std::iter::once(b'\n')) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (h, rows.len())
}

#[test]
fn migrated_shipped_database_keeps_every_result() {
    let conn = Connection::open_with_flags(shipped(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    // Computed by this function on the version-1 file (commit 4a62cd4) before the migration.
    assert_eq!(trial_rows_hash(&conn), (0xf2d5_f96f_45ca_1e0d, 2800));
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, archinfer_store::SCHEMA_VERSION);
    drop(conn);

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("db.sqlite");
    std::fs::copy(shipped(), &copy).unwrap();
    let store = SqliteStore::open(&copy).unwrap();
    let tasks = store.tasks().unwrap();
    assert_eq!(tasks.len(), 14);
    for t in &tasks {
        let d = store.task_data(&t.name).unwrap().unwrap_or_else(|| panic!("task {} has no samples", t.name));
        assert_eq!(d.format, "archinfer-data/task-v1");
    }
    assert!(std::fs::metadata(shipped()).unwrap().len() < 64 << 20, "the shipped database stays under 64 MiB");
}
