//! CSV tasks: one label column and numeric feature columns, header optional.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{DataError, Result};
use crate::task::{FeatureSet, Splits, Task};

/// Which column holds the label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelColumn {
    /// The first column.
    First,
    /// The last column.
    Last,
    /// The column at this 0-based position.
    Index(usize),
    /// The column with this header name (needs a header row).
    Name(String),
}

/// How to read a CSV task.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The label column (default: the last one).
    pub label: LabelColumn,
    /// `Some(true)`: the first row is a header; `Some(false)`: it is data; `None` (default):
    /// a header if any of its feature cells is not a number.
    pub header: Option<bool>,
    /// Field separator (default `,`).
    pub delimiter: char,
    /// Train / validation / test fractions (default 0.8 / 0.1 / 0.1).
    pub fractions: [f64; 3],
    /// Seed of the split.
    pub seed: u64,
    /// Name of the single feature set (default `raw`).
    pub feature_set: String,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            label: LabelColumn::Last,
            header: None,
            delimiter: ',',
            fractions: [0.8, 0.1, 0.1],
            seed: 0,
            feature_set: "raw".into(),
        }
    }
}

fn cells(line: &str, delim: char) -> Vec<&str> {
    line.split(delim).map(|c| c.trim().trim_matches('"')).collect()
}

/// Reads a task from a CSV file. Labels may be any strings; classes are numbered in sorted
/// order (numerically when every label is an integer).
///
/// # Errors
/// [`DataError::Io`] if unreadable; [`DataError::Csv`] with the line number for a ragged row,
/// a non-numeric or non-finite feature cell, an empty label, a label column that does not
/// exist, or a file without data rows; [`DataError::TooFewClasses`] for fewer than two
/// distinct labels; split errors if the file is too small to split.
pub fn load_csv(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<Task> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| DataError::Io { path: name.clone(), message: e.to_string() })?;
    let task_name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "csv".into());
    parse_csv(&text, &name, &task_name, opts)
}

/// A CSV file's rows in file order: numeric feature columns and, when it has one, the label.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Feature columns per row.
    pub dim: usize,
    /// `rows × dim` values, row-major, in file order.
    pub values: Vec<f32>,
    /// Class index per row (empty without a label column).
    pub labels: Vec<u32>,
    /// Class names in index order, as the file spelled them (empty without a label column).
    pub class_names: Vec<String>,
}

impl CsvTable {
    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.values.len().checked_div(self.dim).unwrap_or(0)
    }
}

/// Reads a CSV file into a [`CsvTable`]: `label` names the label column, `None` for a file of
/// features only (data to be labelled). Errors as [`load_csv`], except that a file without a
/// label column may have one class or none.
///
/// # Errors
/// As [`load_csv`].
pub fn load_csv_table(path: impl AsRef<Path>, label: Option<&LabelColumn>, opts: &CsvOptions) -> Result<CsvTable> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| DataError::Io { path: name.clone(), message: e.to_string() })?;
    parse_csv_table(&text, &name, label, opts)
}

/// Parses CSV text into a [`CsvTable`] (see [`load_csv_table`]); `source` names it in errors.
///
/// # Errors
/// As [`load_csv`].
pub fn parse_csv_table(text: &str, source: &str, label: Option<&LabelColumn>, opts: &CsvOptions) -> Result<CsvTable> {
    let err = |line: usize, message: String| DataError::Csv { path: source.to_string(), line, message };
    let rows: Vec<(usize, Vec<&str>)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, cells(l, opts.delimiter)))
        .collect();
    let Some((first_line, first)) = rows.first() else {
        return Err(err(1, "the file has no rows".into()));
    };
    let ncols = first.len();
    if ncols < 1 + usize::from(label.is_some()) {
        return Err(err(*first_line, "need a label column and at least one feature column".into()));
    }
    let label_col = match label {
        None => None,
        Some(LabelColumn::First) => Some(0),
        Some(LabelColumn::Last) => Some(ncols - 1),
        Some(LabelColumn::Index(i)) if *i < ncols => Some(*i),
        Some(LabelColumn::Index(i)) => {
            return Err(err(*first_line, format!("label column {i} does not exist ({ncols} columns)")));
        }
        Some(LabelColumn::Name(n)) => Some(first.iter().position(|c| c == n).ok_or_else(|| {
            err(*first_line, format!("no column named `{n}` in the header"))
        })?),
    };
    let header = match opts.header {
        Some(h) => h,
        None => {
            matches!(label, Some(LabelColumn::Name(_)))
                || first.iter().enumerate().any(|(c, v)| Some(c) != label_col && v.parse::<f64>().is_err())
        }
    };
    let data = if header { &rows[1..] } else { &rows[..] };
    if data.is_empty() {
        return Err(err(*first_line, "the file has a header but no data rows".into()));
    }
    let dim = ncols - usize::from(label_col.is_some());
    let mut values = Vec::with_capacity(data.len() * dim);
    let mut raw_labels = Vec::with_capacity(data.len());
    for (line, row) in data {
        if row.len() != ncols {
            return Err(err(*line, format!("{} fields, expected {ncols}", row.len())));
        }
        for (c, cell) in row.iter().enumerate() {
            if Some(c) == label_col {
                if cell.is_empty() {
                    return Err(err(*line, format!("empty label in column {}", c + 1)));
                }
                raw_labels.push(*cell);
                continue;
            }
            let v: f32 = cell
                .parse()
                .map_err(|_| err(*line, format!("column {}: `{cell}` is not a number", c + 1)))?;
            if !v.is_finite() {
                return Err(err(*line, format!("column {}: `{cell}` is not finite", c + 1)));
            }
            values.push(v);
        }
    }
    let all_int = raw_labels.iter().all(|l| l.parse::<i64>().is_ok());
    let mut classes: BTreeMap<(i64, &str), u32> = BTreeMap::new();
    for l in &raw_labels {
        let key = (if all_int { l.parse().unwrap_or(0) } else { 0 }, *l);
        classes.entry(key).or_insert(0);
    }
    for (i, v) in classes.values_mut().enumerate() {
        *v = i as u32;
    }
    let labels: Vec<u32> = raw_labels
        .iter()
        .map(|l| classes[&(if all_int { l.parse().unwrap_or(0) } else { 0 }, *l)])
        .collect();
    let class_names = classes.keys().map(|(_, s)| (*s).to_string()).collect();
    Ok(CsvTable { dim, values, labels, class_names })
}

/// Parses CSV text (see [`load_csv`]); `source` names it in errors.
///
/// # Errors
/// As [`load_csv`].
pub fn parse_csv(text: &str, source: &str, task_name: &str, opts: &CsvOptions) -> Result<Task> {
    let t = parse_csv_table(text, source, Some(&opts.label), opts)?;
    if t.class_names.len() < 2 {
        return Err(DataError::TooFewClasses(t.class_names.len()));
    }
    let splits = Splits::random(t.labels.len(), opts.fractions, opts.seed)?;
    let k = t.class_names.len();
    Task::new(task_name, vec![FeatureSet::new(opts.feature_set.clone(), t.dim, t.values)], t.labels, k, splits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> String {
        (0..n).map(|i| format!("{},{},{}\n", i as f32 * 0.5, 1.0 - i as f32, if i % 2 == 0 { "cat" } else { "dog" })).collect()
    }

    #[test]
    fn header_detection_and_string_labels() {
        let text = format!("a,b,label\n{}", rows(20));
        let t = parse_csv(&text, "t.csv", "t", &CsvOptions::default()).unwrap();
        assert_eq!(t.samples(), 20);
        assert_eq!(t.num_classes(), 2);
        assert_eq!(t.labels()[0], 0); // cat < dog
        assert_eq!(t.features()[0].row(2), &[1.0, -1.0]);
        let t = parse_csv(&rows(20), "t.csv", "t", &CsvOptions::default()).unwrap();
        assert_eq!(t.samples(), 20);
    }

    #[test]
    fn integer_labels_sort_numerically_and_label_by_name() {
        let mut text = String::from("y,x\n");
        for i in 0..30 {
            text += &format!("{},{}\n", [2, 10, 9][i % 3], i);
        }
        let opts = CsvOptions { label: LabelColumn::Name("y".into()), ..Default::default() };
        let t = parse_csv(&text, "t.csv", "t", &opts).unwrap();
        assert_eq!(&t.labels()[..3], &[0, 2, 1]);
    }

    #[test]
    fn bad_files_name_the_line() {
        let o = CsvOptions::default();
        let e = parse_csv("1,2,a\n3,b\n", "f.csv", "t", &o).unwrap_err();
        assert_eq!(e, DataError::Csv { path: "f.csv".into(), line: 2, message: "2 fields, expected 3".into() });
        let e = parse_csv("1,2,a\n3,x,b\n", "f.csv", "t", &CsvOptions { header: Some(false), ..Default::default() }).unwrap_err();
        assert!(matches!(e, DataError::Csv { line: 2, ref message, .. } if message.contains("not a number")), "{e}");
        let e = parse_csv("1,2,a\n3,NaN,b\n", "f.csv", "t", &o).unwrap_err();
        assert!(matches!(e, DataError::Csv { line: 2, ref message, .. } if message.contains("not finite")), "{e}");
        let e = parse_csv("1,inf,a\n3,4,b\n", "f.csv", "t", &CsvOptions { header: Some(false), ..Default::default() }).unwrap_err();
        assert!(matches!(e, DataError::Csv { line: 1, .. }), "{e}");
        let e = parse_csv("x,y\n1,a\n", "f.csv", "t", &CsvOptions { label: LabelColumn::Name("label".into()), ..Default::default() }).unwrap_err();
        assert!(matches!(e, DataError::Csv { line: 1, ref message, .. } if message.contains("no column named")), "{e}");
        let e = parse_csv("1,a\n", "f.csv", "t", &CsvOptions { label: LabelColumn::Index(5), ..Default::default() }).unwrap_err();
        assert!(matches!(e, DataError::Csv { .. }), "{e}");
        let e = parse_csv("1,a\n2,a\n3,a\n", "f.csv", "t", &o).unwrap_err();
        assert_eq!(e, DataError::TooFewClasses(1));
        assert!(matches!(parse_csv("\n\n", "f.csv", "t", &o), Err(DataError::Csv { .. })));
        let e = parse_csv("1,\n2,b\n", "f.csv", "t", &CsvOptions { header: Some(false), ..Default::default() }).unwrap_err();
        assert!(matches!(e, DataError::Csv { line: 1, ref message, .. } if message.contains("empty label")), "{e}");
    }
}
