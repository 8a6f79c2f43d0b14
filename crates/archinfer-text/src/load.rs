//! Reading labelled texts: a CSV with a text and a label column, or a directory with one
//! sub-directory of `.txt` files per class.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::{Result, TextError};

/// Labelled texts as read from a file: classes numbered in sorted order of their names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSet {
    /// The texts, in file order.
    pub texts: Vec<String>,
    /// Class index per text.
    pub labels: Vec<u32>,
    /// Class names, by index.
    pub class_names: Vec<String>,
}

impl TextSet {
    /// Number of texts.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there is no text.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Numbers the classes of `raw` labels (sorted by name) and checks there are two or more.
    ///
    /// # Errors
    /// [`TextError::SingleClass`] for fewer than two classes, [`TextError::NoSamples`] for none.
    pub fn from_named(path: &str, texts: Vec<String>, raw: Vec<String>) -> Result<Self> {
        if texts.is_empty() {
            return Err(TextError::NoSamples { path: path.to_string() });
        }
        let names: Vec<String> = raw.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        if names.len() < 2 {
            return Err(TextError::SingleClass { path: path.to_string(), classes: names.len(), names: names.join(", ") });
        }
        let labels = raw.iter().map(|l| names.binary_search(l).unwrap_or(0) as u32).collect();
        Ok(Self { texts, labels, class_names: names })
    }
}

/// A CSV column: by header name, or by 0-based index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The column with this header name.
    Name(String),
    /// The column at this 0-based position.
    Index(usize),
}

impl Column {
    /// `"3"` → index 3; anything else → a header name.
    pub fn parse(s: &str) -> Self {
        s.parse().map(Column::Index).unwrap_or_else(|_| Column::Name(s.to_string()))
    }

    fn find(&self, path: &str, header: &[String]) -> Result<usize> {
        let missing = || TextError::MissingColumn { path: path.to_string(), column: self.to_string(), available: header.join(", ") };
        match self {
            Column::Name(n) => header.iter().position(|h| h == n).ok_or_else(missing),
            Column::Index(i) if *i < header.len() => Ok(*i),
            Column::Index(_) => Err(missing()),
        }
    }
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Column::Name(n) => write!(f, "{n}"),
            Column::Index(i) => write!(f, "{i}"),
        }
    }
}

/// Largest text file read (a CSV of texts or one `.txt`): 256 MiB.
pub const MAX_TEXT_FILE_BYTES: u64 = 256 << 20;

/// Reads a whole text file, refusing anything but a regular file (a FIFO would block, a link to
/// a device never ends) and files over [`MAX_TEXT_FILE_BYTES`], each as an error naming the file.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let name = path.display().to_string();
    let err = |message: String| TextError::Io { path: name.clone(), message };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if !meta.is_file() {
        return Err(err("not a regular file (a FIFO, device, socket or folder is not text)".into()));
    }
    if meta.len() > MAX_TEXT_FILE_BYTES {
        return Err(err(format!("{} bytes, more than the {MAX_TEXT_FILE_BYTES} a text file may have", meta.len())));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(|e| err(e.to_string()))?.take(MAX_TEXT_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| err(e.to_string()))?;
    if bytes.len() as u64 > MAX_TEXT_FILE_BYTES {
        return Err(err(format!("more than the {MAX_TEXT_FILE_BYTES} bytes a text file may have")));
    }
    Ok(bytes)
}

/// The header row of a CSV file (its column names, trimmed).
///
/// # Errors
/// [`TextError::Io`] or a malformed first record ([`TextError::Csv`]).
pub fn read_csv_header(path: impl AsRef<Path>) -> Result<Vec<String>> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let mut rdr = csv::ReaderBuilder::new().from_path(path).map_err(|e| TextError::Io { path: name.clone(), message: e.to_string() })?;
    let h = rdr.headers().map_err(|e| TextError::Csv { path: name, line: 1, message: e.to_string() })?;
    Ok(h.iter().map(|c| c.trim().to_string()).collect())
}

/// 1-based line of byte `offset` in `bytes`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count()
}

/// Reads a CSV file with a header row: RFC 4180 quoting (fields may hold commas, quotes and
/// newlines), UTF-8.
///
/// # Errors
/// [`TextError::Io`], [`TextError::Utf8`] (with the line), [`TextError::MissingColumn`],
/// [`TextError::Csv`] for a malformed record, [`TextError::EmptyText`] /
/// [`TextError::EmptyLabel`] (with the line), [`TextError::SingleClass`],
/// [`TextError::NoSamples`].
pub fn load_text_csv(path: impl AsRef<Path>, text: &Column, label: &Column) -> Result<TextSet> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = read_file(path.as_ref())?;
    parse_text_csv(&bytes, &name, text, label)
}

/// Parses CSV bytes (see [`load_text_csv`]); `source` names them in errors.
///
/// # Errors
/// As [`load_text_csv`].
pub fn parse_text_csv(bytes: &[u8], source: &str, text: &Column, label: &Column) -> Result<TextSet> {
    let (texts, raw) = parse_records(bytes, source, text, Some(label))?;
    TextSet::from_named(source, texts, raw)
}

/// Reads only the text column of a CSV file with a header (texts to be labelled).
///
/// # Errors
/// As [`load_text_csv`], without the label checks.
pub fn load_texts(path: impl AsRef<Path>, text: &Column) -> Result<Vec<String>> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = read_file(path.as_ref())?;
    let (texts, _) = parse_records(&bytes, &name, text, None)?;
    if texts.is_empty() {
        return Err(TextError::NoSamples { path: name });
    }
    Ok(texts)
}

fn parse_records(bytes: &[u8], source: &str, text: &Column, label: Option<&Column>) -> Result<(Vec<String>, Vec<String>)> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(TextError::Utf8 { path: source.to_string(), line: line_of(bytes, e.valid_up_to()) });
    }
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let csv_err = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line() as usize);
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!("{len} fields, expected {expected_len}"),
            _ => e.to_string(),
        };
        TextError::Csv { path: source.to_string(), line, message }
    };
    let header: Vec<String> = rdr.headers().map_err(csv_err)?.iter().map(|h| h.trim().to_string()).collect();
    let ti = text.find(source, &header)?;
    let li = label.map(|l| l.find(source, &header)).transpose()?;
    let (mut texts, mut raw) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let t = rec.get(ti).unwrap_or("").trim();
        if t.is_empty() {
            return Err(TextError::EmptyText { path: source.to_string(), line });
        }
        if let Some(li) = li {
            let l = rec.get(li).unwrap_or("").trim();
            if l.is_empty() {
                return Err(TextError::EmptyLabel { path: source.to_string(), line });
            }
            raw.push(l.to_string());
        }
        texts.push(t.to_string());
    }
    Ok((texts, raw))
}

/// Reads a directory with one sub-directory per class (its name is the class name) holding one
/// text per `.txt` file; classes and files are read in sorted order.
///
/// # Errors
/// [`TextError::Io`] for an unreadable directory or file, [`TextError::Utf8`] /
/// [`TextError::EmptyText`] naming the file, [`TextError::SingleClass`] for fewer than two
/// class directories with texts, [`TextError::NoSamples`] for none.
pub fn load_text_dir(dir: impl AsRef<Path>) -> Result<TextSet> {
    let dir = dir.as_ref();
    let io = |p: &Path, e: std::io::Error| TextError::Io { path: p.display().to_string(), message: e.to_string() };
    let mut classes: Vec<_> = std::fs::read_dir(dir).map_err(|e| io(dir, e))?.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    classes.sort();
    let (mut texts, mut raw) = (Vec::new(), Vec::new());
    for class in &classes {
        let name = class.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut files: Vec<_> = std::fs::read_dir(class)
            .map_err(|e| io(class, e))?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for f in files {
            let bytes = read_file(&f)?;
            let s = String::from_utf8(bytes).map_err(|e| TextError::Utf8 { path: f.display().to_string(), line: line_of(e.as_bytes(), e.utf8_error().valid_up_to()) })?;
            if s.trim().is_empty() {
                return Err(TextError::EmptyText { path: f.display().to_string(), line: 1 });
            }
            texts.push(s.trim().to_string());
            raw.push(name.clone());
        }
    }
    TextSet::from_named(&dir.display().to_string(), texts, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_a_device_among_the_texts_is_named_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        for (class, text) in [("a", "apples"), ("b", "boats")] {
            std::fs::create_dir_all(tmp.path().join(class)).unwrap();
            std::fs::write(tmp.path().join(class).join("1.txt"), text).unwrap();
        }
        let fifo = tmp.path().join("a").join("x.txt");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let e = load_text_dir(tmp.path()).unwrap_err();
        assert!(e.to_string().contains("x.txt") && e.to_string().contains("not a regular file"), "{e}");
        std::fs::remove_file(&fifo).unwrap();
        std::os::unix::fs::symlink("/dev/zero", tmp.path().join("b").join("z.txt")).unwrap();
        let e = load_text_dir(tmp.path()).unwrap_err();
        assert!(e.to_string().contains("z.txt") && e.to_string().contains("not a regular file"), "{e}");
    }

    fn parse(s: &str) -> Result<TextSet> {
        parse_text_csv(s.as_bytes(), "t.csv", &Column::Name("text".into()), &Column::Name("label".into()))
    }

    #[test]
    fn quoted_fields_newlines_and_commas() {
        let t = parse("text,label\n\"hello, world\",a\n\"two\nlines \"\"quoted\"\"\",b\nplain,a\n").unwrap();
        assert_eq!(t.texts, vec!["hello, world", "two\nlines \"quoted\"", "plain"]);
        assert_eq!(t.labels, vec![0, 1, 0]);
        assert_eq!(t.class_names, vec!["a", "b"]);
        let by_index = parse_text_csv(b"x,y\nhi,1\nho,2\n", "t.csv", &Column::Index(0), &Column::parse("1")).unwrap();
        assert_eq!(by_index.class_names, vec!["1", "2"]);
    }

    #[test]
    fn bad_inputs_are_typed_and_located() {
        assert_eq!(
            parse_text_csv(b"text,label\nok,a\nbad \xff,b\n", "t.csv", &Column::Name("text".into()), &Column::Name("label".into())),
            Err(TextError::Utf8 { path: "t.csv".into(), line: 3 })
        );
        assert!(matches!(parse("txt,label\nx,a\n"), Err(TextError::MissingColumn { column, .. }) if column == "text"));
        assert_eq!(parse("text,label\nx,a\n  ,b\n"), Err(TextError::EmptyText { path: "t.csv".into(), line: 3 }));
        assert_eq!(parse("text,label\nx,a\ny,\n"), Err(TextError::EmptyLabel { path: "t.csv".into(), line: 3 }));
        assert!(matches!(parse("text,label\nx,a\ny,a\n"), Err(TextError::SingleClass { classes: 1, .. })));
        assert!(matches!(parse("text,label\nx,a\ny,b,c\n"), Err(TextError::Csv { line: 3, .. })));
        assert!(matches!(parse("text,label\n"), Err(TextError::NoSamples { .. })));
        assert!(matches!(load_text_csv("/no/such.csv", &Column::Index(0), &Column::Index(1)), Err(TextError::Io { .. })));
    }
}
