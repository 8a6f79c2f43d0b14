//! Tables: typed columns ([`Table`]), a column schema fitted on a task's training rows
//! ([`TableSchema`]: names, types, kept category levels, statistics) and the table embedding
//! modules built from it ([`TABLE_MODULES`]).
//!
//! | module | a number | a category |
//! |---|---|---|
//! | `tab-std` | standardised on the training rows, clipped to ±5 | one-hot over the kept levels, one "other" slot |
//! | `tab-quantile` | its training-split quantile, mapped to [−1, 1] | as `tab-std` |
//! | `tab-ple` | piecewise-linear encoding over ≤ 8 quantile bins (Gorishniy et al. 2022) | as `tab-std` |
//! | `tab-rp64` | the `tab-std` row through a fixed random projection to 64 | |
//!
//! A column with missing values in the training rows gets one indicator slot in every module
//! (its number reads as the training mean). The first three modules are as wide as the table
//! needs and are stored as sparse rows whose declared width is [`TABLE_MAX_WIDTH`] (a child's
//! first layer reads the task's own columns, as for the TF-IDF modules); `tab-rp64` is dense.
//! Every weight of `tab-rp64` is seeded by the column's name and slot, so the modules do not
//! depend on the order of the columns.
//!
//! ```
//! use archinfer_data::table::{Column, ColumnData, Table, TableSchema, table_feature_sets};
//! let t = Table::new(vec![
//!     Column { name: "x".into(), data: ColumnData::Numeric(vec![1.0, 2.0, 3.0, f32::NAN]) },
//!     Column { name: "c".into(), data: ColumnData::Categorical { codes: vec![0, 1, 0, 0], levels: vec!["a".into(), "b".into()] } },
//! ]).unwrap();
//! let schema = TableSchema::fit(&t, &[0, 1, 2, 3]);
//! let sets = table_feature_sets(&schema, &t, "demo").unwrap();
//! assert_eq!(sets.len(), 4);
//! // x and its missing indicator; c's level `a` and "other" (`b`, seen once, is rare).
//! assert_eq!((schema.width("tab-std"), sets[0].input_width()), (4, 4));
//! ```

pub mod read;
mod schema;

pub use schema::{ColumnSchema, TableSchema, table_feature_sets};

use crate::error::{DataError, Result};

/// The code of a missing category.
pub const MISSING: u32 = u32::MAX;
/// Most columns a table may have.
pub const MAX_COLUMNS: usize = 10_000;
/// The table modules, in the order a task carries them.
pub const TABLE_MODULES: [&str; 4] = ["tab-std", "tab-quantile", "tab-ple", "tab-rp64"];
/// Version of the table modules (recorded with every table task).
pub const TABLE_MODULES_VERSION: u32 = 1;
/// Declared width of the variable-width table modules (the space records one width per
/// module; a task's own columns are fewer).
pub const TABLE_MAX_WIDTH: usize = 4096;
/// Width of `tab-rp64`.
pub const RP_DIM: usize = 64;
/// Most levels a categorical column keeps (the most frequent; the rest go to "other").
pub const MAX_LEVELS: usize = 64;
/// A level seen in fewer training rows than this goes to "other".
pub const MIN_LEVEL_COUNT: usize = 2;
/// Points of the quantile grid kept per numeric column (`QUANTILES + 1` values).
pub const QUANTILES: usize = 32;
/// Bins of the piecewise-linear encoding (fewer where the column has fewer distinct values).
pub const PLE_BINS: usize = 8;
/// Standardised numbers are clipped to ±this.
pub const CLIP: f32 = 5.0;
/// What a table task's [`crate::Task::descriptors`] hold, in order: the statistics of its
/// columns that its feature sets do not show.
pub const TABLE_DESCRIPTORS: [&str; 3] = ["log10 feature columns", "categorical fraction", "missing-cell fraction"];

/// Whether `name` is a table module.
pub fn is_table_module(name: &str) -> bool {
    TABLE_MODULES.contains(&name)
}

/// One column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numbers; a missing value is NaN.
    Numeric(Vec<f32>),
    /// Category codes into `levels`; a missing value is [`MISSING`].
    Categorical {
        /// One code per row.
        codes: Vec<u32>,
        /// The level names.
        levels: Vec<String>,
    },
}

impl ColumnData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows without a value.
    pub fn missing(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            ColumnData::Categorical { codes, .. } => codes.iter().filter(|&&c| c == MISSING).count(),
        }
    }

    /// Distinct values, a missing value counting as one.
    pub fn distinct_with_missing(&self) -> usize {
        let mut s = std::collections::HashSet::new();
        match self {
            ColumnData::Numeric(v) => v.iter().for_each(|x| {
                s.insert(if x.is_nan() { u32::MAX } else { (x + 0.0).to_bits() });
            }),
            ColumnData::Categorical { codes, .. } => codes.iter().for_each(|&c| {
                s.insert(c);
            }),
        }
        s.len()
    }

    /// Rows `rows`, in that order.
    pub fn gather(&self, rows: &[usize]) -> ColumnData {
        match self {
            ColumnData::Numeric(v) => ColumnData::Numeric(rows.iter().map(|&i| v[i]).collect()),
            ColumnData::Categorical { codes, levels } => ColumnData::Categorical { codes: rows.iter().map(|&i| codes[i]).collect(), levels: levels.clone() },
        }
    }

    /// Numbers of any column: a category's level read as a number (NaN when it is not one).
    fn numbers(&self) -> Vec<f32> {
        match self {
            ColumnData::Numeric(v) => v.clone(),
            ColumnData::Categorical { codes, levels } => {
                let parsed: Vec<f32> = levels.iter().map(|l| l.trim().parse::<f32>().ok().filter(|x| x.is_finite()).unwrap_or(f32::NAN)).collect();
                codes.iter().map(|&c| if c == MISSING { f32::NAN } else { parsed[c as usize] }).collect()
            }
        }
    }

}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// Values.
    pub data: ColumnData,
}

/// Feature columns of equal length with distinct names.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    columns: Vec<Column>,
    rows: usize,
}

impl Table {
    /// A validated table.
    ///
    /// # Errors
    /// [`DataError::BadSpec`] for no columns, columns of different lengths, a repeated name or
    /// a category code past its levels.
    pub fn new(columns: Vec<Column>) -> Result<Self> {
        let rows = columns.first().map(|c| c.data.len()).ok_or_else(|| DataError::BadSpec("a table without columns".into()))?;
        let mut names = std::collections::HashSet::new();
        for c in &columns {
            if c.data.len() != rows {
                return Err(DataError::BadSpec(format!("column `{}` has {} rows; the first has {rows}", c.name, c.data.len())));
            }
            if !names.insert(c.name.as_str()) {
                return Err(DataError::BadSpec(format!("column `{}` appears twice", c.name)));
            }
            if let ColumnData::Categorical { codes, levels } = &c.data {
                if codes.iter().any(|&k| k != MISSING && k as usize >= levels.len()) {
                    return Err(DataError::BadSpec(format!("column `{}` has a code past its {} levels", c.name, levels.len())));
                }
            }
        }
        Ok(Self { columns, rows })
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Numeric and categorical column counts.
    pub fn kind_counts(&self) -> (usize, usize) {
        let num = self.columns.iter().filter(|c| matches!(c.data, ColumnData::Numeric(_))).count();
        (num, self.columns.len() - num)
    }

    /// Rows `rows`, in that order.
    pub fn gather(&self, rows: &[usize]) -> Table {
        Table { columns: self.columns.iter().map(|c| Column { name: c.name.clone(), data: c.data.gather(rows) }).collect(), rows: rows.len() }
    }
}
