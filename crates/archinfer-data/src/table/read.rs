//! Reading a table: CSV / TSV (delimiter detected, RFC 4180 quoting, a header row) and ARFF,
//! column types inferred, the label column found, every problem a typed error naming the file
//! and the line or column.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::{Column, ColumnData, MAX_COLUMNS, MISSING, Table};
use crate::error::{DataError, Result};

/// Largest table file read: 1 GiB.
pub const MAX_TABLE_BYTES: u64 = 1 << 30;

/// Cell spellings of a missing value (compared after trimming).
pub const MISSING_TOKENS: [&str; 6] = ["", "NA", "?", "NaN", "nan", "N/A"];

/// Header names taken as the label column when none is named, in this order (compared
/// without case).
pub const LABEL_NAMES: [&str; 3] = ["label", "class", "target"];

/// Whole-number columns with at most this many distinct values are read as categories.
pub const FEW_WHOLE_VALUES: usize = 5;

/// How to read a table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableSpec {
    /// The label column: a header name or a 0-based index; `None`: a column named `label`,
    /// `class` or `target`, else the last.
    pub label: Option<String>,
    /// Columns left out (header names).
    pub ignore: Vec<String>,
    /// Accept a table without its label column (what `predict` labels): then every column
    /// is a feature.
    pub labels_optional: bool,
    /// Keep every column as it is (no constant or identifier-like column dropped): rows read
    /// for a fitted model, whose schema decides.
    pub keep_columns: bool,
}

/// A table as read: its feature columns, the labels (class names in sorted order) and what
/// the reader decided, as notes for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadTable {
    /// The feature columns, in file order.
    pub table: Table,
    /// Each row's class, an index into `class_names`; `None` without a label column.
    pub labels: Option<Vec<u32>>,
    /// Class names, sorted (numerically when every one is a number).
    pub class_names: Vec<String>,
    /// The label column's name (`None` without one).
    pub label_column: Option<String>,
    /// What the reader inferred, dropped or left out.
    pub notes: Vec<String>,
    /// Columns left out: ignored, constant and identifier-like (a fitted model ignores them
    /// in new rows too).
    pub dropped: Vec<String>,
}

fn err(path: &Path, line: Option<usize>, column: Option<&str>, message: impl Into<String>) -> DataError {
    DataError::Table { path: path.display().to_string(), line, column: column.map(str::to_string), message: message.into() }
}

/// Whether `path` is read as ARFF: by its extension, or a first meaningful line `@relation`.
pub fn is_arff(path: &Path, head: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("arff"))
        || head.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('%')).is_some_and(|l| l.to_ascii_lowercase().starts_with("@relation"))
}

/// Reads the table at `path`.
///
/// # Errors
/// [`DataError::Table`] naming the file and, where it applies, the line or column: an
/// unreadable or empty file, bytes that are not UTF-8, a ragged row, duplicate header names,
/// more than [`MAX_COLUMNS`] columns, a missing or unknown label column, an unknown ignored
/// column, a row without a label, a single class, or no feature column left.
pub fn read_table(path: &Path, spec: &TableSpec) -> Result<ReadTable> {
    let meta = std::fs::metadata(path).map_err(|e| err(path, None, None, e.to_string()))?;
    if !meta.is_file() {
        return Err(err(path, None, None, "not a regular file"));
    }
    if meta.len() > MAX_TABLE_BYTES {
        return Err(err(path, None, None, format!("{} bytes, more than the {MAX_TABLE_BYTES} a table may have", meta.len())));
    }
    let bytes = std::fs::read(path).map_err(|e| err(path, None, None, e.to_string()))?;
    parse_table(&bytes, path, spec)
}

/// Parses a table held in memory; `path` names it in errors and tells ARFF by extension.
///
/// # Errors
/// As [`read_table`].
pub fn parse_table(bytes: &[u8], path: &Path, spec: &TableSpec) -> Result<ReadTable> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        err(path, Some(line), None, format!("bytes that are not UTF-8 (at byte {})", e.valid_up_to()))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(err(path, None, None, "an empty file: a table needs a header row and rows"));
    }
    let raw = if is_arff(path, text) { parse_arff(text, path)? } else { parse_delimited(text, path)? };
    type_columns(raw, path, spec)
}

/// Cells as read, before typing: header, declared ARFF types, and each row with its line.
struct Raw {
    header: Vec<String>,
    /// ARFF nominal levels per column (`None`: numeric, string or not declared).
    declared: Vec<Declared>,
    rows: Vec<(usize, csv::StringRecord)>,
}

#[derive(Clone, Debug, PartialEq)]
enum Declared {
    Unknown,
    Numeric,
    Nominal(Vec<String>),
    Text,
}

/// The delimiter of a header line: whichever of `,`, tab, `;`, `|` occurs most outside quotes
/// (a comma on ties; a one-column file has none).
fn detect_delimiter(line: &str) -> u8 {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            '\t' if !quoted => counts[1] += 1,
            ';' if !quoted => counts[2] += 1,
            '|' if !quoted => counts[3] += 1,
            _ => {}
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    if counts[best] == 0 { b',' } else { [b',', b'\t', b';', b'|'][best] }
}

fn parse_delimited(text: &str, path: &Path) -> Result<Raw> {
    let first = text.lines().next().unwrap_or("");
    let delim = detect_delimiter(first);
    let mut rdr = csv::ReaderBuilder::new().delimiter(delim).has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut records = rdr.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(|c| c.trim().to_string()).collect(),
        Some(Err(e)) => return Err(err(path, Some(1), None, e.to_string())),
        None => return Err(err(path, None, None, "an empty file")),
    };
    check_header(&header, path, 1)?;
    let mut rows = Vec::new();
    for r in records {
        let r = r.map_err(|e| err(path, e.position().map(|p| p.line() as usize), None, e.to_string()))?;
        let line = r.position().map_or(0, |p| p.line() as usize);
        if r.len() == 1 && r.get(0).is_some_and(str::is_empty) {
            continue;
        }
        if r.len() != header.len() {
            return Err(err(path, Some(line), None, format!("{} fields; the header has {} (a ragged row)", r.len(), header.len())));
        }
        rows.push((line, r));
    }
    Ok(Raw { declared: vec![Declared::Unknown; header.len()], header, rows })
}

fn check_header(header: &[String], path: &Path, line: usize) -> Result<()> {
    if header.len() > MAX_COLUMNS {
        return Err(err(path, Some(line), None, format!("{} columns, more than the {MAX_COLUMNS} a table may have", header.len())));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            return Err(err(path, Some(line), None, format!("column {} has no name in the header row", i + 1)));
        }
        if let Some(j) = seen.insert(h.as_str(), i) {
            return Err(err(path, Some(line), Some(h), format!("the header names columns {} and {} alike", j + 1, i + 1)));
        }
    }
    Ok(())
}

/// One ARFF token: a quoted string (single or double quotes) or a bare word.
fn arff_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => quote = Some(c),
            (None, ',') => out.push(std::mem::take(&mut cur).trim().to_string()),
            (None, c) => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn parse_arff(text: &str, path: &Path) -> Result<Raw> {
    let mut header = Vec::new();
    let mut declared = Vec::new();
    let mut rows = Vec::new();
    let mut in_data = false;
    let mut header_line = 1;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let l = line.trim();
        if l.is_empty() || l.starts_with('%') {
            continue;
        }
        if !in_data {
            let lower = l.to_ascii_lowercase();
            if lower.starts_with("@relation") {
                continue;
            }
            if lower.starts_with("@attribute") {
                let rest = l["@attribute".len()..].trim();
                let (name, ty) = split_arff_name(rest).ok_or_else(|| err(path, Some(n), None, "an @attribute line without a name and a type"))?;
                let t = ty.trim();
                let d = if t.starts_with('{') {
                    // Up to the closing brace: anything after it (a `%` comment) is not a level.
                    let inner = t[1..t.find('}').unwrap_or(t.len())].trim();
                    Declared::Nominal(arff_fields(inner).into_iter().filter(|s| !s.is_empty()).collect())
                } else {
                    match t.to_ascii_lowercase().split_whitespace().next().unwrap_or("") {
                        "numeric" | "real" | "integer" => Declared::Numeric,
                        "string" | "date" => Declared::Text,
                        other => return Err(err(path, Some(n), Some(&name), format!("attribute type `{other}` (expected numeric, real, integer, string, date or {{levels}})"))),
                    }
                };
                header.push(name);
                declared.push(d);
                header_line = n;
                continue;
            }
            if lower.starts_with("@data") {
                check_header(&header, path, header_line)?;
                if header.is_empty() {
                    return Err(err(path, Some(n), None, "@data before any @attribute"));
                }
                in_data = true;
                continue;
            }
            return Err(err(path, Some(n), None, format!("`{}` before @data (expected @relation, @attribute or @data)", l.chars().take(40).collect::<String>())));
        }
        if l.starts_with('{') {
            return Err(err(path, Some(n), None, "a sparse ARFF row ({index value, …}); write the table dense"));
        }
        let f = arff_fields(l);
        if f.len() != header.len() {
            return Err(err(path, Some(n), None, format!("{} fields; {} attributes are declared (a ragged row)", f.len(), header.len())));
        }
        rows.push((n, csv::StringRecord::from(f)));
    }
    if !in_data {
        return Err(err(path, None, None, "no @data section"));
    }
    Ok(Raw { header, declared, rows })
}

fn split_arff_name(rest: &str) -> Option<(String, &str)> {
    let rest = rest.trim_start();
    let q = rest.chars().next()?;
    if q == '\'' || q == '"' {
        let end = rest[1..].find(q)? + 1;
        return Some((rest[1..end].to_string(), &rest[end + 1..]));
    }
    let end = rest.find(char::is_whitespace)?;
    Some((rest[..end].to_string(), &rest[end..]))
}

fn is_missing(c: &str) -> bool {
    // The spellings of MISSING_TOKENS, matched without comparing every cell to each of them.
    matches!(c, "" | "NA" | "?" | "NaN" | "nan" | "N/A")
}

/// Which column is the label, by `spec`: `None` where labels are optional and none is there.
fn label_index(raw: &Raw, spec: &TableSpec, path: &Path) -> Result<Option<usize>> {
    let named = |n: &str| raw.header.iter().position(|h| h == n);
    match &spec.label {
        Some(l) => match named(l).or_else(|| l.parse::<usize>().ok().filter(|&i| i < raw.header.len())) {
            Some(i) => Ok(Some(i)),
            None if spec.labels_optional => Ok(None),
            None => Err(err(path, Some(1), Some(l), format!("no label column `{l}`; the columns are {}", list(&raw.header)))),
        },
        None => {
            let by_name = LABEL_NAMES.iter().find_map(|n| raw.header.iter().position(|h| h.eq_ignore_ascii_case(n)));
            match by_name {
                Some(i) => Ok(Some(i)),
                None if spec.labels_optional => Ok(None),
                None if raw.header.len() < 2 => Err(err(path, Some(1), None, "one column: a table needs a label column and feature columns")),
                None => Ok(Some(raw.header.len() - 1)),
            }
        }
    }
}

fn list(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
    let more = if names.len() > 12 { format!(" … ({} in all)", names.len()) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

/// Class names in sorted order (numerically when all are numbers).
fn sorted_classes(values: &[&str]) -> Vec<String> {
    let set: HashSet<&str> = values.iter().copied().collect();
    let mut names: Vec<&str> = set.into_iter().collect();
    if names.iter().all(|n| n.parse::<f64>().is_ok_and(f64::is_finite)) {
        names.sort_by(|a, b| a.parse::<f64>().unwrap_or(0.0).total_cmp(&b.parse::<f64>().unwrap_or(0.0)).then(a.cmp(b)));
    } else {
        names.sort_unstable();
    }
    names.into_iter().map(str::to_string).collect()
}

fn type_columns(raw: Raw, path: &Path, spec: &TableSpec) -> Result<ReadTable> {
    if raw.rows.is_empty() {
        return Err(err(path, None, None, "a header and no rows"));
    }
    let label = label_index(&raw, spec, path)?;
    for name in &spec.ignore {
        if !raw.header.contains(name) {
            return Err(err(path, Some(1), Some(name), format!("--ignore names `{name}`, which is not a column; the columns are {}", list(&raw.header))));
        }
        if label.is_some_and(|l| raw.header[l] == *name) {
            return Err(err(path, Some(1), Some(name), "--ignore names the label column"));
        }
    }
    let mut notes = Vec::new();
    let (labels, class_names) = match label {
        Some(l) => {
            let name = &raw.header[l];
            let mut cells = Vec::with_capacity(raw.rows.len());
            for (line, r) in &raw.rows {
                let c = &r[l];
                if is_missing(c) {
                    return Err(err(path, Some(*line), Some(name), "no label in this row"));
                }
                cells.push(c);
            }
            let classes = sorted_classes(&cells);
            if classes.len() < 2 && !spec.labels_optional {
                return Err(err(path, None, Some(name), format!("a single class (`{}`): a task needs at least two", classes.first().map_or("", String::as_str))));
            }
            let index: HashMap<&str, u32> = classes.iter().enumerate().map(|(i, c)| (c.as_str(), i as u32)).collect();
            (Some(cells.iter().map(|c| index[c]).collect::<Vec<u32>>()), classes)
        }
        None => (None, Vec::new()),
    };
    let mut columns = Vec::new();
    let (mut constant, mut ids) = (Vec::new(), Vec::new());
    let features: Vec<usize> = (0..raw.header.len()).filter(|&j| Some(j) != label && !spec.ignore.contains(&raw.header[j])).collect();
    let type_one = |j: usize| {
        let cells: Vec<&str> = raw.rows.iter().map(|(_, r)| &r[j]).collect();
        type_column(&raw.header[j], &cells, &raw.declared[j], &raw.rows, j)
    };
    // Columns are typed independently: half of them on a second thread.
    let half = features.len() / 2;
    let typed: Vec<(ColumnData, Option<String>)> = std::thread::scope(|scope| {
        let second = scope.spawn(|| features[half..].iter().map(|&j| type_one(j)).collect::<Vec<_>>());
        let mut first: Vec<_> = features[..half].iter().map(|&j| type_one(j)).collect();
        // A panic in the second half is a bug in the typing code, not in the user's data.
        first.extend(second.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        first
    });
    for (&j, (data, note)) in features.iter().zip(typed) {
        let name = &raw.header[j];
        notes.extend(note);
        if spec.keep_columns {
            columns.push(Column { name: name.clone(), data });
            continue;
        }
        let distinct = data.distinct_with_missing();
        if distinct <= 1 {
            constant.push(name.clone());
            continue;
        }
        if let ColumnData::Categorical { codes, levels } = &data {
            let present = codes.iter().filter(|&&c| c != MISSING).count();
            let stringy = levels.iter().any(|l| l.parse::<f64>().is_err());
            if stringy && present >= 20 && levels.len() == present && raw.declared[j] != Declared::Nominal(Vec::new()) && !matches!(raw.declared[j], Declared::Nominal(_)) {
                ids.push(name.clone());
                continue;
            }
        }
        columns.push(Column { name: name.clone(), data });
    }
    if !constant.is_empty() {
        notes.push(format!("dropped {} constant column(s): {}", constant.len(), list(&constant)));
    }
    if !ids.is_empty() {
        notes.push(format!("left out {} identifier-like column(s) (every value distinct): {}", ids.len(), list(&ids)));
    }
    if columns.is_empty() {
        return Err(err(path, None, None, "no feature column left (after the label, ignored, constant and identifier-like columns)"));
    }
    let table = Table::new(columns).map_err(|e| err(path, None, None, e.to_string()))?;
    let dropped: Vec<String> = spec.ignore.iter().chain(&constant).chain(&ids).cloned().collect();
    let (num, cat) = table.kind_counts();
    let missing = table.columns().iter().filter(|c| c.data.missing() > 0).count();
    notes.insert(0, format!("{} rows; {} feature columns: {num} numeric, {cat} categorical, {missing} with missing values", table.rows(), num + cat));
    Ok(ReadTable { table, labels, class_names, label_column: label.map(|l| raw.header[l].clone()), notes, dropped })
}

/// The column's data and, for a column of numbers with stray text, a note.
fn type_column(name: &str, cells: &[&str], declared: &Declared, rows: &[(usize, csv::StringRecord)], j: usize) -> (ColumnData, Option<String>) {
    let parsed: Vec<Option<f64>> = cells.iter().map(|c| if is_missing(c) { None } else { c.parse::<f64>().ok().filter(|v| v.is_finite()) }).collect();
    let present = cells.iter().filter(|c| !is_missing(c)).count();
    let numbers = parsed.iter().filter(|v| v.is_some()).count();
    match declared {
        Declared::Nominal(levels) => return (categorical(cells, Some(levels)), None),
        Declared::Text => return (categorical(cells, None), None),
        Declared::Numeric | Declared::Unknown => {}
    }
    if numbers == present && present > 0 {
        let whole = parsed.iter().flatten().all(|v| v.fract() == 0.0);
        let distinct: HashSet<u64> = parsed.iter().flatten().map(|v| v.to_bits()).collect();
        if *declared == Declared::Unknown && whole && distinct.len() <= FEW_WHOLE_VALUES && distinct.len() > 2 {
            return (categorical(cells, None), None);
        }
        return (ColumnData::Numeric(parsed.iter().map(|v| v.map_or(f32::NAN, |x| x as f32)).collect()), None);
    }
    let note = (numbers * 2 > present).then(|| {
        let (line, cell) = rows.iter().find(|(_, r)| !is_missing(&r[j]) && r[j].parse::<f64>().is_err()).map_or((0, ""), |(l, r)| (*l, &r[j]));
        format!("column `{name}`: {numbers} of {present} values are numbers, but line {line} has `{cell}`: read as categorical")
    });
    (categorical(cells, None), note)
}

fn categorical(cells: &[&str], declared: Option<&Vec<String>>) -> ColumnData {
    let mut levels: Vec<String> = match declared {
        Some(l) => l.clone(),
        None => {
            let set: BTreeMap<&str, ()> = cells.iter().filter(|c| !is_missing(c)).map(|c| (*c, ())).collect();
            set.into_keys().map(str::to_string).collect()
        }
    };
    let mut index: HashMap<String, u32> = levels.iter().enumerate().map(|(i, l)| (l.clone(), i as u32)).collect();
    let codes = cells
        .iter()
        .map(|c| {
            if is_missing(c) {
                return MISSING;
            }
            if let Some(&i) = index.get(*c) {
                return i;
            }
            // A value outside an ARFF declaration still counts as a level of its own.
            let i = levels.len() as u32;
            levels.push((*c).to_string());
            index.insert((*c).to_string(), i);
            i
        })
        .collect();
    ColumnData::Categorical { codes, levels }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, spec: &TableSpec) -> Result<ReadTable> {
        parse_table(text.as_bytes(), Path::new("t.csv"), spec)
    }

    #[test]
    fn types_missing_values_and_the_label_are_inferred() {
        let csv = "id,age,colour,size,const,label\n\
                   a1,31,red,1,7,yes\n\
                   a2,NA,blue,2,7,no\n\
                   a3,45.5,,3,7,yes\n\
                   a4,28,red,1,7,no\n";
        let r = read(csv, &TableSpec::default()).unwrap();
        assert_eq!(r.label_column.as_deref(), Some("label"));
        assert_eq!((r.class_names.clone(), r.labels.clone()), (vec!["no".to_string(), "yes".into()], Some(vec![1, 0, 1, 0])));
        let names: Vec<&str> = r.table.columns().iter().map(|c| c.name.as_str()).collect();
        // `const` is dropped; `id` is kept: 4 rows are too few to call it an identifier.
        assert_eq!(names, ["id", "age", "colour", "size"]);
        match &r.table.columns()[1].data {
            ColumnData::Numeric(v) => {
                assert_eq!((v[0], v[2]), (31.0, 45.5));
                assert!(v[1].is_nan());
            }
            other => panic!("{other:?}"),
        }
        match &r.table.columns()[2].data {
            ColumnData::Categorical { codes, levels } => {
                assert_eq!(levels, &["blue", "red"]);
                assert_eq!(codes, &[1, 0, MISSING, 1]);
            }
            other => panic!("{other:?}"),
        }
        // Three distinct whole numbers are categories.
        assert!(matches!(r.table.columns()[3].data, ColumnData::Categorical { .. }));
        assert!(r.notes.iter().any(|n| n.contains("constant") && n.contains("const")), "{:?}", r.notes);
    }

    #[test]
    fn tabs_semicolons_quotes_and_arff() {
        let r = read("x\ty\tclass\n1\t2\ta\n3\t4\tb\n", &TableSpec::default()).unwrap();
        assert_eq!((r.table.columns().len(), r.class_names.len()), (2, 2));
        let r = read("x;\"note; with semicolon\";target\n1;\"a;b\";u\n2;c;v\n", &TableSpec::default()).unwrap();
        assert_eq!(r.table.columns()[1].name, "note; with semicolon");
        let arff = "% comment\n@relation t\n@attribute 'a b' numeric\n@attribute c {x,y,z}\n@attribute class { p, q} % p < 100\n@data\n1.5,x,p\n?,'z',q\n2,y,p\n";
        let r = parse_table(arff.as_bytes(), Path::new("t.arff"), &TableSpec::default()).unwrap();
        assert_eq!(r.table.columns()[0].name, "a b");
        match &r.table.columns()[1].data {
            ColumnData::Categorical { codes, levels } => assert_eq!((codes.as_slice(), levels.len()), (&[0, 2, 1][..], 3)),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.labels, Some(vec![0, 1, 0]));
    }

    #[test]
    fn label_and_ignore_options() {
        let csv = "a,b,c\n1,x,p\n2,y,q\n3,x,p\n";
        let r = read(csv, &TableSpec { label: Some("b".into()), ignore: vec!["c".into()], ..Default::default() }).unwrap();
        assert_eq!((r.label_column.as_deref(), r.table.columns().len()), (Some("b"), 1));
        // No named label column: the last one.
        assert_eq!(read(csv, &TableSpec::default()).unwrap().label_column.as_deref(), Some("c"));
        // Unlabelled where labels are optional and the named column is absent.
        let u = read(csv, &TableSpec { label: Some("y".into()), labels_optional: true, ..Default::default() }).unwrap();
        assert_eq!((u.labels, u.table.columns().len()), (None, 3));
    }

    #[test]
    fn bad_tables_are_typed_errors_naming_file_and_place() {
        let cases: [(&[u8], &str); 9] = [
            (b"a,b,label\n1,2,x\n1,2\n", "line 3"),
            (b"a,b,c\n1,2,x\n3,4,x\n", "single class"),
            (b"", "empty"),
            (b"a,a,label\n1,2,x\n3,4,y\n", "alike"),
            (b"a,label\n\xff\xfe,x\n1,y\n", "UTF-8"),
            (b"k,label\n5,x\n5,y\n", "no feature column"),
            (b"a,b\n1,x\n2,\n", "no label"),
            (b"a,b,label\n1,2,x\n", "`nope`"),
            (b"a,label\n1,x\n2,y\n", "not a column"),
        ];
        for (i, (bytes, expect)) in cases.iter().enumerate() {
            let spec = match i {
                7 => TableSpec { label: Some("nope".into()), ..Default::default() },
                8 => TableSpec { ignore: vec!["zz".into()], ..Default::default() },
                _ => TableSpec::default(),
            };
            let e = parse_table(bytes, Path::new("people.csv"), &spec).unwrap_err();
            let s = e.to_string();
            assert!(matches!(e, DataError::Table { .. }), "{s}");
            assert!(s.contains("people.csv") && s.contains(expect), "case {i}: {s}");
        }
        let wide = format!("{}\n", (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect::<Vec<_>>().join(","));
        assert!(read(&wide, &TableSpec::default()).unwrap_err().to_string().contains("more than"));
    }

    #[test]
    fn stray_text_makes_a_categorical_column_with_a_note() {
        let mut csv = String::from("n,label\n");
        for i in 0..9 {
            csv += &format!("{}.5,{}\n", i, i % 2);
        }
        csv += "oops,1\n";
        let r = read(&csv, &TableSpec::default()).unwrap();
        assert!(matches!(r.table.columns()[0].data, ColumnData::Categorical { .. }));
        assert!(r.notes.iter().any(|n| n.contains("line 11") && n.contains("oops")), "{:?}", r.notes);
    }

    #[test]
    fn identifier_columns_are_left_out_with_a_note() {
        let mut csv = String::from("name,x,label\n");
        for i in 0..30 {
            csv += &format!("user{i},{},{}\n", i % 7, i % 2);
        }
        let r = read(&csv, &TableSpec::default()).unwrap();
        assert_eq!(r.table.columns().len(), 1);
        assert!(r.notes.iter().any(|n| n.contains("identifier") && n.contains("name")), "{:?}", r.notes);
    }
}
