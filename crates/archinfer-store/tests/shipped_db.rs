//! The shipped database after its migrations (schema version 2; space version 2 with the
//! training-recipe block, a common pool and more children; then the module migration): its
//! first 2,800 recorded results are byte-for-byte those of the version-1 file, the first 13,920
//! those of the file before the module migration, and every task carries its samples.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use archinfer_store::{ExperimentStore, SqliteStore};
use rusqlite::{Connection, OpenFlags};

fn shipped() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/fmnist14.sqlite")
}

fn shipped_text() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/text14.sqlite")
}

/// FNV-1a over every trial row, each column `quote()`d and joined by `|`, one row per line,
/// in id order.
fn trial_rows_hash(conn: &Connection, first: usize) -> (u64, usize) {
    let cols = [
        "id",
        "task_id",
        "trial_index",
        "architecture",
        "seed",
        "status",
        "worker",
        "claimed_at",
        "finished_at",
        "val_accuracy",
        "test_accuracy",
        "seconds",
        "num_params",
        "epochs_run",
        "error",
    ];
    let sql = format!("SELECT {} FROM trials ORDER BY id LIMIT {first}", cols.iter().map(|c| format!("quote({c})")).collect::<Vec<_>>().join("||'|'||"));
    let mut st = conn.prepare(&sql).unwrap();
    let rows: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap();
    // The store's FNV-1a over the rows, each followed by a newline.
    let hex = archinfer_store::fnv1a_hex(rows.iter().flat_map(|line| [line.as_bytes(), b"\n".as_slice()]));
    (u64::from_str_radix(&hex, 16).unwrap(), rows.len())
}

#[test]
fn migrated_shipped_database_keeps_every_result() {
    let conn = Connection::open_with_flags(shipped(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    // Computed by this function on the version-1 file (commit 4a62cd4) before the migration.
    assert_eq!(trial_rows_hash(&conn, 2800), (0xf2d5_f96f_45ca_1e0d, 2800));
    // Computed on the file of commit d3ee05b, before the module migration (raw, hog144).
    assert_eq!(trial_rows_hash(&conn, 13_920), (0xd917_485b_0163_3106, 13_920));
    // Everything added since came after them.
    let (total, old_max): (i64, i64) = conn
        .query_row("SELECT COUNT(*), (SELECT MAX(id) FROM (SELECT id FROM trials ORDER BY id LIMIT 2800)) FROM trials", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let later: i64 = conn.query_row("SELECT COUNT(*) FROM trials WHERE id > ?1", [old_max], |r| r.get(0)).unwrap();
    assert_eq!(later, total - 2800);
    // The space is version 2, and its base recipe is the one the old children were trained with.
    let space: String = conn.query_row("SELECT value FROM meta WHERE key = 'space'", [], |r| r.get(0)).unwrap();
    let space: serde_json::Value = serde_json::from_str(&space).unwrap();
    let rec = &space["recipes"];
    let base = |list: &str, g: usize| rec[list][rec["base"][g].as_u64().unwrap() as usize].clone();
    assert_eq!(
        (base("learning_rates", 0), base("epochs", 3), base("batch_sizes", 4)),
        (serde_json::json!(0.001), serde_json::json!(20), serde_json::json!(64))
    );
    let modules: Vec<&str> = space["embeddings"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(modules, ["pool4", "pool2", "pca32", "rf64", "raw", "hog144"], "the module migration appended two");
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, archinfer_store::SCHEMA_VERSION);
    drop(conn);

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("db.sqlite");
    std::fs::copy(shipped(), &copy).unwrap();
    let store = SqliteStore::open(&copy).unwrap();
    let tasks = store.tasks().unwrap();
    // fmnist14 and fmnist-extra.
    assert_eq!(tasks.len(), 30);
    for t in &tasks {
        let d = store.task_data(&t.name).unwrap().unwrap_or_else(|| panic!("task {} has no samples", t.name));
        assert_eq!(d.format, "archinfer-data/task-v1");
    }
    assert!(std::fs::metadata(shipped()).unwrap().len() < 64 << 20, "the shipped database stays under 64 MiB");
}

/// `trial_rows_hash(.., 20_880)` of `data/text14.sqlite` at commit ce81ead.
const TEXT_ROWS_BEFORE_TFIDF: u64 = 0x4443_a8fe_0469_cfc4;

#[test]
fn migrated_text_database_keeps_every_result() {
    let conn = Connection::open_with_flags(shipped_text(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    // Computed by this function on the file of commit 5d4a64b, before the space migration.
    assert_eq!(trial_rows_hash(&conn, 4200), (0xe609_e150_4fe5_bc82, 4200));
    // Computed on the file of commit d3ee05b, before the module migration (lex1024, char1024).
    assert_eq!(trial_rows_hash(&conn, 13_920), (0x60d1_2403_57b9_31ac, 13_920));
    // Computed on the file of commit ce81ead, before the module migration of issue 27
    // (tfidf-word, tfidf-char).
    assert_eq!(trial_rows_hash(&conn, 20_880), (TEXT_ROWS_BEFORE_TFIDF, 20_880));
    let space: String = conn.query_row("SELECT value FROM meta WHERE key = 'space'", [], |r| r.get(0)).unwrap();
    assert!(space.contains("\"recipes\""), "{space}");
    assert!(
        space.contains(r#"{"name":"hash128","dim":128},{"name":"lex1024","dim":1024},{"name":"char1024","dim":1024},{"name":"tfidf-word","dim":262144},{"name":"tfidf-char","dim":262144}]"#),
        "{space}"
    );
    let pool: i64 = conn.query_row("SELECT COUNT(*) FROM trials WHERE trial_index >= 1000000", [], |r| r.get(0)).unwrap();
    let tasks: i64 = conn.query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0)).unwrap();
    // 96 members, 32 drawn on the TF-IDF modules, and the 6 linear ones.
    assert_eq!(pool, 134 * tasks);
    assert!(std::fs::metadata(shipped_text()).unwrap().len() < 64 << 20);
}
