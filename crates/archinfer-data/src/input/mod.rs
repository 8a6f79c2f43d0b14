//! The one reader of a user's data, in whatever form it comes, as one [`UserData`]: [`read_user_data`] reads
//! every input kind `task add`, `infer`, `fit` and `predict` take, and [`UserData::bundle`]
//! splits it into a task so that every sample lands in some part.
//!
//! | input | kind |
//! |---|---|
//! | a directory of MNIST-format files (`train-images-idx3-ubyte[.gz]` …) | [`InputKind::Idx`] |
//! | a CSV of `side × side` pixel columns (and a label column) | [`InputKind::PixelCsv`] |
//! | a folder with one sub-folder of images per class | [`InputKind::ImageFolder`] |
//! | a CSV with a `path` (or `image`, `file`, `filename`) column and a label column | [`InputKind::ImageList`] |
//! | a folder of images without classes (only where labels are optional) | [`InputKind::UnlabelledImages`] |
//! | a CSV with a text column (`text`, or named by [`DataSpec::text`]) | [`InputKind::TextCsv`] |
//! | a folder with one sub-folder of `.txt` files per class | [`InputKind::TextFolder`] |
//! | an ARFF file, a `.tsv`, or any other CSV (numbers and categories, a label column) | [`InputKind::Table`] |
//!
//! Image files (PNG, JPEG, BMP, GIF, WebP) of any size and colour are converted to what the
//! image modules read: grey, aspect kept, the longer side scaled to [`DataSpec::side`], centred
//! on a black square ([`crate::images::read_image`]).
//!
//! **How a modality plugs in.** [`detect`] tells the [`InputKind`] from the path alone (cheap:
//! directory listings and a CSV header); each kind belongs to one [`Modality`], and each
//! modality has one module here that reads its kinds ([`images`], [`texts`]). A new modality
//! is a module beside them; registering it means its variants in [`Modality`], [`InputKind`]
//! and [`UserSamples`], its rules in [`detect`], one arm in [`read_user_data`] and its split in
//! [`UserData::bundle`] (with a [`crate::Samples`] variant so the store keeps its samples). Its
//! modules implement [`crate::SampleEmbedder`] for its sample type. What a fitted model saves
//! of its module is in `archinfer-app` (fitted/model.rs), which names each modality too.

pub mod images;
mod split;
pub mod tables;
pub mod texts;

use std::fmt;
use std::path::{Path, PathBuf};

use archinfer_text::Column;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::images::ImageConversion;
use crate::images::ImageLimits;
use crate::idx::ImageSet;
use crate::csv::LabelColumn;

/// Train / validation / test fractions of a user's task (`task add`, `infer`, `fit`): a
/// validation split large enough that child rankings are not evaluation noise.
pub const USER_SPLIT: [f64; 3] = [0.6, 0.2, 0.2];
/// Seed of a user's split.
pub const USER_SPLIT_SEED: u64 = 0;
/// The side the image modules read (the databases' images are 28 × 28).
pub const IMAGE_SIDE: usize = 28;
/// Header names that mark a CSV of image paths, in the order they are looked for.
pub const IMAGE_PATH_COLUMNS: [&str; 4] = ["path", "image", "file", "filename"];

/// What a task's samples are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    /// Grey images, read by the image modules.
    Images,
    /// Texts, read by the text modules.
    Texts,
    /// Tables of numeric and categorical columns, read by the table modules.
    Tables,
}

impl fmt::Display for Modality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Modality::Images => "images",
            Modality::Texts => "texts",
            Modality::Tables => "tables",
        })
    }
}

impl std::str::FromStr for Modality {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "images" | "image" => Ok(Modality::Images),
            "texts" | "text" => Ok(Modality::Texts),
            "tables" | "table" => Ok(Modality::Tables),
            other => Err(DataError::BadSpec(format!("modality `{other}`: expected images, texts or tables"))),
        }
    }
}

/// The form a user's data came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A directory of MNIST-format IDX files.
    Idx,
    /// A CSV of pixel columns.
    PixelCsv,
    /// A folder with one sub-folder of image files per class.
    ImageFolder,
    /// A CSV of image paths (relative to the CSV's folder) and labels.
    ImageList,
    /// A folder of image files without classes.
    UnlabelledImages,
    /// A CSV with a text column.
    TextCsv,
    /// A folder with one sub-folder of `.txt` files per class.
    TextFolder,
    /// A table: CSV, TSV or ARFF.
    Table,
}

impl InputKind {
    /// The modality this kind of input holds.
    pub fn modality(self) -> Modality {
        match self {
            InputKind::TextCsv | InputKind::TextFolder => Modality::Texts,
            InputKind::Table => Modality::Tables,
            InputKind::Idx | InputKind::PixelCsv | InputKind::ImageFolder | InputKind::ImageList | InputKind::UnlabelledImages => Modality::Images,
        }
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputKind::Idx => "an IDX directory",
            InputKind::PixelCsv => "a CSV of pixels",
            InputKind::ImageFolder => "a folder of class folders of images",
            InputKind::ImageList => "a CSV of image paths",
            InputKind::UnlabelledImages => "a folder of images",
            InputKind::TextCsv => "a CSV of texts",
            InputKind::TextFolder => "a folder of class folders of texts",
            InputKind::Table => "a table",
        })
    }
}

/// How to read a user's data: which CSV columns hold the label and the text, the image side,
/// whether labels may be missing (`predict`), and the modality when the files leave it open.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSpec {
    /// CSV label column: `first`, `last`, a 0-based index or a header name (`last` picks a
    /// column named `label` where there is one).
    pub label: String,
    /// CSV text column (a header name or a 0-based index); `None`: a column named `text`.
    pub text: Option<String>,
    /// Read as this modality (`None`: told by the files).
    pub modality: Option<Modality>,
    /// Side images are converted to.
    pub side: usize,
    /// Accept data without labels (what `predict` labels).
    pub labels_optional: bool,
    /// What one image file may hold: bytes, and pixels by its header.
    pub limits: ImageLimits,
    /// Table columns left out (header names).
    pub ignore: Vec<String>,
    /// Keep every table column (rows for a fitted model, whose schema decides).
    pub keep_columns: bool,
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec { label: "last".into(), text: None, modality: None, side: IMAGE_SIDE, labels_optional: false, limits: ImageLimits::default(), ignore: Vec::new(), keep_columns: false }
    }
}

impl DataSpec {
    /// The defaults: labels required, label column `last`, images at [`IMAGE_SIDE`].
    pub fn new() -> Self {
        Self::default()
    }
    /// With this label column.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
    /// With this text column (`None`: a column named `text`).
    pub fn with_text(mut self, text: Option<String>) -> Self {
        self.text = text;
        self
    }
    /// Read as `modality` whatever the files suggest.
    pub fn with_modality(mut self, modality: Option<Modality>) -> Self {
        self.modality = modality;
        self
    }
    /// Convert images to `side × side`.
    pub fn with_side(mut self, side: usize) -> Self {
        self.side = side;
        self
    }
    /// Accept data without labels.
    pub fn labels_optional(mut self, optional: bool) -> Self {
        self.labels_optional = optional;
        self
    }
    /// Keep every table column as it is (no constant or identifier-like column dropped).
    pub fn keep_columns(mut self, keep: bool) -> Self {
        self.keep_columns = keep;
        self
    }
    /// Leave the table columns `ignore` out.
    pub fn with_ignore(mut self, ignore: Vec<String>) -> Self {
        self.ignore = ignore;
        self
    }
    /// Read image files within `limits` (bytes per file, pixels per image).
    pub fn with_limits(mut self, limits: ImageLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// A user's samples.
#[derive(Debug, Clone)]
pub enum UserSamples {
    /// Images, `side × side` grey in [0, 1] (their `labels` field is not used: see
    /// [`UserData::labels`]).
    Images(ImageSet),
    /// Texts.
    Texts(Vec<String>),
    /// A table's feature columns.
    Table {
        /// The columns.
        table: crate::table::Table,
        /// The label column's name (`None` for a table without one).
        label: Option<String>,
        /// Columns left out (ignored, constant, identifier-like).
        dropped: Vec<String>,
    },
}

/// A user's data as read: samples, labels if the data have them, and where they came from.
#[derive(Debug, Clone)]
pub struct UserData {
    /// The samples.
    pub samples: UserSamples,
    /// Each sample's class, an index into `class_names`; `None` for unlabelled data.
    pub labels: Option<Vec<u32>>,
    /// Class names as the data spelled them, in label order (empty without labels).
    pub class_names: Vec<String>,
    /// The file of each sample, for image files (empty for IDX, pixel CSVs and texts).
    pub paths: Vec<PathBuf>,
    /// The form the data came in.
    pub kind: InputKind,
    /// What converting image files did (`None` when nothing was converted).
    pub conversion: Option<ImageConversion>,
    /// Notes for the user, e.g. that pixel values were scaled.
    pub notes: Vec<String>,
    /// The file or folder the data were read from (named in errors).
    pub source: String,
}

impl UserData {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match &self.samples {
            UserSamples::Images(i) => i.len(),
            UserSamples::Texts(t) => t.len(),
            UserSamples::Table { table, .. } => table.rows(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Images or texts.
    pub fn modality(&self) -> Modality {
        match self.samples {
            UserSamples::Images(_) => Modality::Images,
            UserSamples::Texts(_) => Modality::Texts,
            UserSamples::Table { .. } => Modality::Tables,
        }
    }

    /// Each sample's class name, if the data are labelled.
    pub fn label_names(&self) -> Option<Vec<&str>> {
        let labels = self.labels.as_ref()?;
        Some(labels.iter().map(|&l| self.class_names.get(l as usize).map_or("", String::as_str)).collect())
    }
}

pub(crate) fn user_err(path: &Path, message: impl Into<String>) -> DataError {
    DataError::UserData { path: path.display().to_string(), message: message.into() }
}

/// A `--label` argument: `first`, `last`, a 0-based index or a header name.
pub fn parse_label(label: &str) -> LabelColumn {
    match label {
        "first" => LabelColumn::First,
        "last" => LabelColumn::Last,
        s => s.parse::<usize>().map(LabelColumn::Index).unwrap_or_else(|_| LabelColumn::Name(s.to_string())),
    }
}

/// The label column of a CSV with `header`: `last` is a column named `label` where there is
/// one; `None` where labels are optional and no column is named (`predict` on texts or image
/// paths alone).
pub(crate) fn label_column(spec: &DataSpec, header: &[String], data: &str, path: &Path) -> Result<Option<Column>> {
    let col = raw_label_column(spec, header);
    let index = |c: &Column| match c {
        Column::Name(n) => header.iter().position(|h| h == n),
        Column::Index(i) => Some(*i),
    };
    let data_index = header.iter().position(|h| h == data).or_else(|| data.parse().ok());
    match col {
        Some(c) if index(&c).is_some() && index(&c) == data_index => {
            if spec.labels_optional {
                Ok(None)
            } else {
                Err(user_err(path, format!("no label column: the label column `{c}` is the data column (name one with --label)")))
            }
        }
        other => Ok(other),
    }
}

fn raw_label_column(spec: &DataSpec, header: &[String]) -> Option<Column> {
    match spec.label.as_str() {
        "last" | "label" if header.iter().any(|h| h == "label") => Some(Column::Name("label".into())),
        "last" if spec.labels_optional => None,
        "last" => Some(Column::Index(header.len().saturating_sub(1))),
        "first" => Some(Column::Index(0)),
        s => Some(Column::parse(s)),
    }
}

/// Reads a user's data as `spec` says; `progress(done, total)` is called as image files are
/// read. Every file is read and checked before anything is returned, so a caller that writes
/// only afterwards writes nothing on error.
///
/// # Errors
/// [`DataError::UserData`] naming the path for a missing path, an empty folder, unlabelled data
/// where labels are needed or images of the wrong side; the loaders' typed errors, each naming
/// its file ([`crate::error::DataError::BadImage`] for a file that is not a readable image,
/// [`crate::error::DataError::ImageFolder`] for an empty class folder or a single class).
pub fn read_user_data(path: &Path, spec: &DataSpec, progress: &mut dyn FnMut(usize, usize)) -> Result<UserData> {
    if spec.side == 0 {
        return Err(DataError::BadSpec("images converted to 0 × 0 pixels".into()));
    }
    let kind = detect(path, spec)?;
    let mut data = match kind.modality() {
        Modality::Images => images::read(path, kind, spec, progress)?,
        Modality::Texts => texts::read(path, kind, spec)?,
        Modality::Tables => tables::read(path, kind, spec)?,
    };
    data.source = path.display().to_string();
    Ok(data)
}

/// The kind of input at `path`, told from the path alone (directory listings and a CSV's
/// header; no sample is read): what [`read_user_data`] reads it as.
///
/// # Errors
/// [`DataError::UserData`] naming the path for a missing path, an empty folder, or image
/// files without classes where labels are needed.
pub fn detect(path: &Path, spec: &DataSpec) -> Result<InputKind> {
    let meta = std::fs::metadata(path).map_err(|_| user_err(path, "no such file or directory"))?;
    if meta.is_dir() {
        if is_idx_dir(path) && spec.modality != Some(Modality::Texts) {
            return Ok(InputKind::Idx);
        }
        let (files, dirs) = visible(path)?;
        if let Some(first_class) = dirs.first() {
            let texts = match spec.modality {
                Some(m) => m == Modality::Texts,
                // Texts only when every file of the first class is `.txt`: a stray note in a
                // folder of images is then named as a file that is not an image.
                None => {
                    let files = visible(first_class)?.0;
                    !files.is_empty() && files.iter().all(|f| f.extension().is_some_and(|x| x.eq_ignore_ascii_case("txt")))
                }
            };
            return Ok(if texts { InputKind::TextFolder } else { InputKind::ImageFolder });
        }
        if files.is_empty() {
            return Err(user_err(path, "an empty folder (expected IDX files, one sub-folder per class, or image files)"));
        }
        if !spec.labels_optional {
            return Err(user_err(path, "image files without classes: a task needs one sub-folder of images per class"));
        }
        return Ok(InputKind::UnlabelledImages);
    }
    if !meta.is_file() {
        return Err(user_err(path, "not a regular file or folder (a FIFO, socket or device is not data)"));
    }
    if spec.modality == Some(Modality::Tables) {
        return Ok(InputKind::Table);
    }
    let head = read_head(path);
    let ext = |e: &str| path.extension().is_some_and(|x| x.eq_ignore_ascii_case(e));
    if spec.modality.is_none() && (ext("tsv") || crate::table::read::is_arff(path, &head)) {
        return Ok(InputKind::Table);
    }
    let header = archinfer_text::read_csv_header(path).unwrap_or_default();
    if spec.modality != Some(Modality::Images) && text_column(spec, &header).is_some() {
        return Ok(InputKind::TextCsv);
    }
    if image_path_column(&header).is_some() {
        return Ok(InputKind::ImageList);
    }
    // A CSV of side² pixel columns (and a label), or one whose first row is numbers (no
    // header: a table needs one), is images; any other CSV is a table.
    let px = spec.side * spec.side;
    let headerless = header.iter().all(|h| h.is_empty() || h.parse::<f64>().is_ok());
    if spec.modality == Some(Modality::Images) || headerless || header.len() == px || header.len() == px + 1 {
        return Ok(InputKind::PixelCsv);
    }
    Ok(InputKind::Table)
}

/// The first 64 KiB of a file, lossily as text (enough for a header or an ARFF preamble).
fn read_head(path: &Path) -> String {
    use std::io::Read;
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(64 << 10).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The text column of a CSV with `header`: the one `spec` names, else one named `text`.
pub(crate) fn text_column(spec: &DataSpec, header: &[String]) -> Option<String> {
    spec.text.clone().or_else(|| header.iter().any(|h| h == "text").then(|| "text".to_string()))
}

/// The image-path column of a CSV with `header` ([`IMAGE_PATH_COLUMNS`], in that order).
fn image_path_column(header: &[String]) -> Option<String> {
    IMAGE_PATH_COLUMNS.iter().find_map(|c| header.iter().find(|h| h.eq_ignore_ascii_case(c)).cloned())
}

fn is_idx_dir(path: &Path) -> bool {
    // Regular files only: a class folder named like an IDX file is a class, not IDX data.
    ["train", "t10k"].iter().any(|p| ["", ".gz"].iter().any(|z| path.join(format!("{p}-images-idx3-ubyte{z}")).is_file()))
}

pub(crate) fn visible(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let io = |e: std::io::Error| user_err(dir, e.to_string());
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = entry.path();
        if p.is_dir() { dirs.push(p) } else { files.push(p) }
    }
    files.sort();
    dirs.sort();
    Ok((files, dirs))
}

pub(crate) fn data(samples: UserSamples, labels: Option<Vec<u32>>, class_names: Vec<String>, kind: InputKind) -> UserData {
    UserData { samples, labels, class_names, paths: Vec::new(), kind, conversion: None, notes: Vec::new(), source: String::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma};

    fn png(path: &Path, w: u32, h: u32, v: u8) {
        GrayImage::from_pixel(w, h, Luma([v])).save(path).unwrap();
    }

    #[test]
    fn a_split_keeps_every_sample() {
        // 1,797 samples at 0.6 / 0.2 / 0.2: 1,078 + 359 + 360, none lost.
        let texts: Vec<String> = (0..1797).map(|i| format!("sample {i}")).collect();
        let labels = (0..1797).map(|i| i % 2).collect();
        let d = data(UserSamples::Texts(texts), Some(labels), vec!["a".into(), "b".into()], InputKind::TextCsv);
        let b = d.bundle(USER_SPLIT).unwrap();
        assert_eq!((b.split, b.len()), ([1078, 359, 360], 1797));
        // Fractions that would leave samples out are refused.
        for bad in [[0.5, 0.2, 0.2], [0.7, 0.2, 0.2], [-0.1, 0.6, 0.5]] {
            assert!(matches!(d.bundle(bad), Err(DataError::BadSpec(_))), "{bad:?}");
        }
        assert_eq!(d.bundle([0.8, 0.1, 0.1]).unwrap().len(), 1797);
    }

    #[test]
    fn each_input_kind_is_told_and_read() {
        let tmp = tempfile::tempdir().unwrap();
        // A class folder of images; the same images as a CSV of paths; unlabelled.
        for (c, v) in [("dark", 20u8), ("light", 230)] {
            std::fs::create_dir_all(tmp.path().join("folder").join(c)).unwrap();
            for i in 0..3 {
                png(&tmp.path().join("folder").join(c).join(format!("{i}.png")), 10 + i, 14, v);
            }
        }
        let folder = read_user_data(&tmp.path().join("folder"), &DataSpec::new(), &mut |_, _| {}).unwrap();
        assert_eq!(
            (folder.kind, folder.len(), folder.labels.clone(), folder.class_names.clone()),
            (InputKind::ImageFolder, 6, Some(vec![0, 0, 0, 1, 1, 1]), vec!["dark".to_string(), "light".into()])
        );
        let csv = tmp.path().join("list.csv");
        let rows: String =
            folder.paths.iter().zip(folder.label_names().unwrap()).map(|(p, l)| format!("{},{l}\n", p.strip_prefix(tmp.path()).unwrap().display())).collect();
        std::fs::write(&csv, format!("path,label\n{rows}")).unwrap();
        let list = read_user_data(&csv, &DataSpec::new(), &mut |_, _| {}).unwrap();
        assert_eq!((list.kind, list.label_names(), list.class_names.len()), (InputKind::ImageList, folder.label_names(), 2));
        match (&list.samples, &folder.samples) {
            (UserSamples::Images(a), UserSamples::Images(b)) => assert_eq!(a.pixels, b.pixels),
            _ => panic!("images expected"),
        }
        // A folder of loose images is data only where labels are optional.
        let loose = tmp.path().join("folder").join("dark");
        assert!(matches!(read_user_data(&loose, &DataSpec::new(), &mut |_, _| {}), Err(DataError::UserData { .. })));
        let u = read_user_data(&loose, &DataSpec::new().labels_optional(true), &mut |_, _| {}).unwrap();
        assert_eq!((u.kind, u.len(), u.labels.is_none(), u.paths.len()), (InputKind::UnlabelledImages, 3, true, 3));
        assert!(u.bundle(USER_SPLIT).is_err(), "unlabelled data make no task");
        // Texts: a CSV with a `text` column, and a folder of .txt class folders.
        let t = tmp.path().join("t.csv");
        std::fs::write(&t, "text,label\nhello there,a\ngood bye,b\nhi,a\n").unwrap();
        let texts = read_user_data(&t, &DataSpec::new(), &mut |_, _| {}).unwrap();
        assert_eq!((texts.kind, texts.modality(), texts.len()), (InputKind::TextCsv, Modality::Texts, 3));
        for (c, s) in [("x", "one"), ("y", "two")] {
            std::fs::create_dir_all(tmp.path().join("tf").join(c)).unwrap();
            std::fs::write(tmp.path().join("tf").join(c).join("1.txt"), s).unwrap();
        }
        assert_eq!(read_user_data(&tmp.path().join("tf"), &DataSpec::new(), &mut |_, _| {}).unwrap().kind, InputKind::TextFolder);
        // A CSV of paths without a label column is refused (each file would be its own class);
        // for `predict` it is unlabelled.
        let nolabel = tmp.path().join("paths.csv");
        std::fs::write(&nolabel, "path\nfolder/dark/0.png\nfolder/light/0.png\n").unwrap();
        let e = read_user_data(&nolabel, &DataSpec::new(), &mut |_, _| {}).unwrap_err();
        assert!(e.to_string().contains("no label column"), "{e}");
        assert!(read_user_data(&nolabel, &DataSpec::new().labels_optional(true), &mut |_, _| {}).unwrap().labels.is_none());
        // One class is data for `predict`, not for a task.
        let one = tmp.path().join("one");
        std::fs::create_dir_all(one.join("only")).unwrap();
        png(&one.join("only").join("a.png"), 5, 5, 9);
        assert!(read_user_data(&one, &DataSpec::new(), &mut |_, _| {}).is_err());
        let u1 = read_user_data(&one, &DataSpec::new().labels_optional(true), &mut |_, _| {}).unwrap();
        assert_eq!((u1.label_names(), u1.source.clone()), (Some(vec!["only"]), one.display().to_string()));
        std::fs::write(&nolabel, "path,label\nfolder/dark/0.png,x\nfolder/dark/1.png,x\n").unwrap();
        assert_eq!(read_user_data(&nolabel, &DataSpec::new().labels_optional(true), &mut |_, _| {}).unwrap().label_names(), Some(vec!["x", "x"]));
        // A stray note among images is a file that is not an image, named.
        std::fs::write(tmp.path().join("folder").join("dark").join("notes.txt"), "about these").unwrap();
        let e = read_user_data(&tmp.path().join("folder"), &DataSpec::new(), &mut |_, _| {}).unwrap_err();
        assert!(e.to_string().contains("notes.txt"), "{e}");
        // Missing paths and empty folders are named.
        let e = read_user_data(&tmp.path().join("nope"), &DataSpec::new(), &mut |_, _| {}).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        std::fs::create_dir_all(tmp.path().join("empty")).unwrap();
        assert!(matches!(read_user_data(&tmp.path().join("empty"), &DataSpec::new(), &mut |_, _| {}), Err(DataError::UserData { .. })));
    }

    #[test]
    fn pixel_csvs_with_and_without_labels() {
        let tmp = tempfile::tempdir().unwrap();
        let row = |v: u8, label: Option<&str>| {
            let mut cells: Vec<String> = (0..4).map(|_| v.to_string()).collect();
            cells.extend(label.map(str::to_string));
            cells.join(",") + "\n"
        };
        let spec = DataSpec::new().with_side(2);
        let f = tmp.path().join("px.csv");
        std::fs::write(&f, row(255, Some("a")) + &row(0, Some("b"))).unwrap();
        let d = read_user_data(&f, &spec, &mut |_, _| {}).unwrap();
        assert_eq!((d.kind, d.label_names(), d.notes.len()), (InputKind::PixelCsv, Some(vec!["a", "b"]), 1));
        std::fs::write(&f, row(1, None)).unwrap();
        assert!(read_user_data(&f, &spec, &mut |_, _| {}).unwrap_err().to_string().contains("line 1"));
        let u = read_user_data(&f, &spec.clone().labels_optional(true), &mut |_, _| {}).unwrap();
        assert!(u.labels.is_none());
        assert_eq!(u.len(), 1);
    }

    #[test]
    fn modality_reads_and_prints_its_name() {
        assert_eq!("texts".parse::<Modality>().unwrap(), Modality::Texts);
        assert_eq!(Modality::Images.to_string(), "images");
        assert_eq!(serde_json::to_string(&Modality::Texts).unwrap(), "\"texts\"");
        assert!("audio".parse::<Modality>().is_err());
    }
}
