//! Helpers shared by the command-line tests.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;

/// Every row of `table` in the SQLite file `db`, each column `quote()`d and joined by `|`,
/// ordered by `order` (a column list, or `rowid`).
pub fn table_rows(db: &Path, table: &str, order: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let cols: Vec<String> = c.prepare(&format!("SELECT * FROM {table} LIMIT 0")).unwrap().column_names().map(|s| format!("quote({s})")).collect();
    let sql = format!("SELECT {} FROM {table} ORDER BY {order}", cols.join("||'|'||"));
    let mut st = c.prepare(&sql).unwrap();
    st.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}
