//! The table modality: CSV, TSV and ARFF files of numeric and categorical columns and a label
//! column ([`crate::table::read`] reads and types them).

use std::path::Path;

use crate::error::{DataError, Result};
use crate::input::{DataSpec, InputKind, UserData, UserSamples, data};
use crate::table::read::{TableSpec, read_table};

/// The [`TableSpec`] of a [`DataSpec`]: `last` (the default) looks for a column named
/// `label`, `class` or `target`, else takes the last; `first` is column 0.
pub fn table_spec(spec: &DataSpec) -> TableSpec {
    let label = match spec.label.as_str() {
        "last" => None,
        "first" => Some("0".to_string()),
        other => Some(other.to_string()),
    };
    TableSpec { label, ignore: spec.ignore.clone(), labels_optional: spec.labels_optional, keep_columns: spec.keep_columns }
}

/// Reads `path` as a table.
///
/// # Errors
/// As [`crate::input::read_user_data`]; [`DataError::Table`] for every table problem.
pub fn read(path: &Path, kind: InputKind, spec: &DataSpec) -> Result<UserData> {
    if kind != InputKind::Table {
        return Err(DataError::BadSpec(format!("{kind} is not a table")));
    }
    let r = read_table(path, &table_spec(spec))?;
    let mut d = data(UserSamples::Table { table: r.table, label: r.label_column, dropped: r.dropped }, r.labels, r.class_names, InputKind::Table);
    d.notes = r.notes;
    Ok(d)
}
