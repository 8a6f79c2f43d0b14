//! A task's samples as one self-describing byte string, the form in which the experiment store
//! keeps them: raw images read through versioned embedding modules, or, for tasks without a raw
//! modality, their feature sets as they are.
//!
//! Layout (zlib-compressed): `AIT1`, a little-endian `u32` header length, a JSON header, the
//! labels (`u32` each), then the samples (pixels as bytes when every pixel is a whole multiple
//! of 1/255, else `f32`; feature sets as `f32`). Samples are stored in split order, training
//! first, so a split is a range and decoding reproduces the task exactly.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::embed::Embedder;
use crate::error::{DataError, Result};
use crate::idx::ImageSet;
use crate::table::{Column, ColumnData, TABLE_MODULES, TABLE_MODULES_VERSION, Table, TableSchema};
use crate::task::{FeatureSet, Splits, Task};

/// Name of the encoding, as the store records it.
pub const BUNDLE_FORMAT: &str = "archinfer-data/task-v1";

/// Version of the embedding modules of [`default_embedders`](crate::embed::default_embedders). An image
/// task records it; a build whose modules changed refuses old records instead of silently
/// computing other features.
pub const MODULES_VERSION: u32 = 1;

const MAGIC: &[u8; 4] = b"AIT1";

/// The samples of a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// Square grey images with pixels in [0, 1], read through embedding modules.
    Images {
        /// Image side.
        side: usize,
        /// `samples × side²` pixels, row-major.
        pixels: Vec<f32>,
        /// Names of the embedding modules the task is read through.
        modules: Vec<String>,
        /// Their version ([`MODULES_VERSION`] when written).
        modules_version: u32,
    },
    /// Precomputed feature sets (tasks without a raw modality, such as synthetic ones).
    Features(Vec<FeatureSet>),
    /// Texts, read through text embedding modules (computed by the caller, which knows them:
    /// see [`TaskBundle::to_task_with_features`]).
    Texts {
        /// One text per sample.
        texts: Vec<String>,
        /// Names of the text modules the task is read through.
        modules: Vec<String>,
        /// Their version.
        modules_version: u32,
    },
    /// A table, read through the table modules with its column schema (fitted on the training
    /// rows, which come first).
    Table {
        /// The feature columns.
        table: Table,
        /// The column schema the modules read.
        schema: TableSchema,
        /// Names of the table modules.
        modules: Vec<String>,
        /// Their version.
        modules_version: u32,
    },
}

/// Everything needed to rebuild a [`Task`]: samples, labels, class names and split sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskBundle {
    /// The samples, in split order (training, validation, test).
    pub samples: Samples,
    /// One label per sample, below `class_names.len()`.
    pub labels: Vec<u32>,
    /// Class names, by label (what the user's files called them).
    pub class_names: Vec<String>,
    /// Training, validation and test sample counts.
    pub split: [usize; 3],
}

#[derive(Serialize, Deserialize)]
struct Header {
    kind: String,
    samples: usize,
    class_names: Vec<String>,
    split: [usize; 3],
    #[serde(default)]
    side: usize,
    #[serde(default)]
    pixel_bytes: bool,
    #[serde(default)]
    modules: Vec<String>,
    #[serde(default)]
    modules_version: u32,
    #[serde(default)]
    features: Vec<(String, usize)>,
    /// A table's columns: name and levels (`None` for a numeric column).
    #[serde(default)]
    columns: Vec<(String, Option<Vec<String>>)>,
    #[serde(default)]
    schema: Option<TableSchema>,
}

/// What the samples of a bundle are, in one word (`images`, `texts`, `features`).
pub fn modality(samples: &Samples) -> &'static str {
    match samples {
        Samples::Images { .. } => "images",
        Samples::Texts { .. } => "texts",
        Samples::Features(_) => "features",
        Samples::Table { .. } => "table",
    }
}

fn corrupt(msg: impl Into<String>) -> DataError {
    DataError::Bundle(msg.into())
}

impl TaskBundle {
    /// The bundle of images whose first `split[0]` are training, the next `split[1]`
    /// validation and the rest test, read through `embedders` (names recorded).
    ///
    /// # Errors
    /// [`DataError::Mismatch`] if the split does not add up to the images or a label is not
    /// below the number of class names.
    pub fn from_images(images: &ImageSet, labels: Vec<u32>, class_names: Vec<String>, split: [usize; 3], embedders: &[Box<dyn Embedder>]) -> Result<Self> {
        let b = Self {
            samples: Samples::Images {
                side: images.side,
                pixels: images.pixels.clone(),
                modules: embedders.iter().map(|e| e.name().to_string()).collect(),
                modules_version: MODULES_VERSION,
            },
            labels,
            class_names,
            split,
        };
        b.check()?;
        Ok(b)
    }

    /// The bundle of texts whose first `split[0]` are training, the next `split[1]` validation
    /// and the rest test, to be read through the text modules `modules` at `modules_version`.
    ///
    /// # Errors
    /// [`DataError::Mismatch`] if the split does not add up or a label is out of range.
    pub fn from_texts(texts: Vec<String>, labels: Vec<u32>, class_names: Vec<String>, split: [usize; 3], modules: Vec<String>, modules_version: u32) -> Result<Self> {
        let b = Self { samples: Samples::Texts { texts, modules, modules_version }, labels, class_names, split };
        b.check()?;
        Ok(b)
    }

    /// The bundle of a table whose first `split[0]` rows are training, the next `split[1]`
    /// validation and the rest test: its column schema is fitted on the training rows.
    ///
    /// # Errors
    /// [`DataError::Mismatch`] if the split does not add up or a label is out of range.
    pub fn from_table(table: Table, label: Option<String>, dropped: Vec<String>, labels: Vec<u32>, class_names: Vec<String>, split: [usize; 3]) -> Result<Self> {
        let train: Vec<usize> = (0..split[0].min(table.rows())).collect();
        let schema = TableSchema::fit(&table, &train).with_label(label).with_ignored(dropped);
        let modules = TABLE_MODULES.iter().map(|m| (*m).to_string()).collect();
        let b = Self { samples: Samples::Table { table, schema, modules, modules_version: TABLE_MODULES_VERSION }, labels, class_names, split };
        b.check()?;
        Ok(b)
    }

    /// The bundle of a task's feature sets, reordered so each split is a range (the gathered
    /// split matrices are unchanged).
    pub fn from_features(task: &Task, class_names: Vec<String>) -> Self {
        let s = task.splits();
        let order: Vec<usize> = s.train.iter().chain(&s.validation).chain(&s.test).copied().collect();
        Self {
            samples: Samples::Features(
                task.features().iter().map(|f| FeatureSet::new(f.name.clone(), f.dim, f.gather(&order))).collect(),
            ),
            labels: task.gather_labels(&order),
            class_names,
            split: [s.train.len(), s.validation.len(), s.test.len()],
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Checks that the parts agree: split sizes add up to the labels, every label names a
    /// class, and there are as many samples (texts, images' pixels, feature rows) as labels.
    /// [`TaskBundle::decode`] runs it; a bundle built by hand should too before it is sliced.
    ///
    /// # Errors
    /// [`DataError::Mismatch`] or [`DataError::LabelOutOfRange`] saying which part disagrees.
    pub fn check(&self) -> Result<()> {
        let n = self.labels.len();
        if self.split.iter().sum::<usize>() != n {
            return Err(DataError::Mismatch(format!("split sizes {:?} do not add up to {n} samples", self.split)));
        }
        if let Some((index, &label)) = self.labels.iter().enumerate().find(|(_, l)| **l as usize >= self.class_names.len()) {
            return Err(DataError::LabelOutOfRange { index, label, num_classes: self.class_names.len() });
        }
        match &self.samples {
            Samples::Images { side, pixels, .. } => {
                if pixels.len() != n * side * side {
                    return Err(DataError::Mismatch(format!("{} pixels for {n} images of {side} × {side}", pixels.len())));
                }
            }
            Samples::Features(fs) => {
                for f in fs {
                    if f.values.len() != n * f.dim {
                        return Err(DataError::Mismatch(format!("feature set `{}` has {} values for {n} samples", f.name, f.values.len())));
                    }
                }
            }
            Samples::Texts { texts, .. } => {
                if texts.len() != n {
                    return Err(DataError::Mismatch(format!("{} texts for {n} labels", texts.len())));
                }
            }
            Samples::Table { table, .. } => {
                if table.rows() != n {
                    return Err(DataError::Mismatch(format!("{} table rows for {n} labels", table.rows())));
                }
            }
        }
        Ok(())
    }

    /// The images and the index of the first validation image, for image tasks.
    pub fn images(&self) -> Option<ImageSet> {
        match &self.samples {
            Samples::Images { side, pixels, .. } => Some(ImageSet {
                pixels: pixels.clone(),
                labels: self.labels.iter().map(|&l| l.min(255) as u8).collect(),
                side: *side,
            }),
            Samples::Features(_) | Samples::Texts { .. } | Samples::Table { .. } => None,
        }
    }

    /// The texts, for text tasks.
    pub fn texts(&self) -> Option<&[String]> {
        match &self.samples {
            Samples::Texts { texts, .. } => Some(texts),
            _ => None,
        }
    }

    /// The task with `features` computed by the caller for its samples in stored (split)
    /// order: how text tasks, whose modules live in `archinfer-text`, become tasks.
    ///
    /// # Errors
    /// Any [`Task`] error (for example features for another number of samples).
    pub fn to_task_with_features(&self, name: &str, features: Vec<FeatureSet>) -> Result<Task> {
        self.check()?;
        let n = self.len();
        let [a, b, _] = self.split;
        let splits = Splits { train: (0..a).collect(), validation: (a..a + b).collect(), test: (a + b..n).collect() };
        Task::new(name, features, self.labels.clone(), self.class_names.len(), splits)
    }

    /// The task, features computed by every one of `embedders` for image tasks. They must
    /// include the recorded modules, at the recorded version; modules added to a build since the
    /// task was recorded are computed too (they read the same pixels), which is how a database's
    /// old tasks get a new module.
    ///
    /// # Errors
    /// [`DataError::Modules`] if a recorded module is missing from `embedders` or the version
    /// differs, or any [`Task`] error.
    pub fn to_task(&self, name: &str, embedders: &[Box<dyn Embedder>]) -> Result<Task> {
        self.check()?;
        let n = self.len();
        let features = match &self.samples {
            Samples::Images { side, pixels, modules, modules_version } => {
                let have: Vec<String> = embedders.iter().map(|e| e.name().to_string()).collect();
                check_modules(name, (modules, *modules_version), (&have, MODULES_VERSION))?;
                if let Some(e) = embedders.iter().find(|e| e.input_len().is_some_and(|n| n != side * side)) {
                    let needs = e.input_len().unwrap_or(0);
                    return Err(DataError::Mismatch(format!(
                        "task `{name}`: its images are {side} × {side}; embedding module `{}` reads {needs}-pixel images{}",
                        e.name(),
                        if *side < crate::embed::RAND_CONV_MIN_SIDE { " (too small for a convolutional module, which needs at least 8 × 8)" } else { "" }
                    )));
                }
                let refs: Vec<&[f32]> = pixels.chunks_exact((side * side).max(1)).collect();
                crate::embedder::feature_sets(embedders, &refs)?
            }
            Samples::Features(fs) => fs.clone(),
            Samples::Table { table, schema, modules, modules_version } => {
                let have: Vec<String> = TABLE_MODULES.iter().map(|m| (*m).to_string()).collect();
                check_modules(name, (modules, *modules_version), (&have, TABLE_MODULES_VERSION))?;
                let [a, b, _] = self.split;
                let splits = Splits { train: (0..a).collect(), validation: (a..a + b).collect(), test: (a + b..n).collect() };
                let d = schema.descriptors(table, &splits.train);
                return Ok(Task::new(name, schema.feature_sets(table, name)?, self.labels.clone(), self.class_names.len(), splits)?.with_descriptors(d));
            }
            Samples::Texts { modules, .. } => {
                return Err(DataError::Modules {
                    task: name.to_string(),
                    recorded: format!("text modules {}", modules.join(", ")),
                    available: "image modules only here (text tasks are read by archinfer-text)".into(),
                });
            }
        };
        let [a, b, _] = self.split;
        let splits = Splits { train: (0..a).collect(), validation: (a..a + b).collect(), test: (a + b..n).collect() };
        Task::new(name, features, self.labels.clone(), self.class_names.len(), splits)
    }

    /// Encodes the bundle (see the module docs for the layout).
    ///
    /// # Errors
    /// Only if compression fails, which in memory it does not.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let n = self.len();
        let mut header = Header {
            kind: String::new(),
            samples: n,
            class_names: self.class_names.clone(),
            split: self.split,
            side: 0,
            pixel_bytes: false,
            modules: Vec::new(),
            modules_version: 0,
            features: Vec::new(),
            columns: Vec::new(),
            schema: None,
        };
        let mut body: Vec<u8> = Vec::new();
        for l in &self.labels {
            body.extend(l.to_le_bytes());
        }
        match &self.samples {
            Samples::Images { side, pixels, modules, modules_version } => {
                // Bytes when that loses nothing (plain images, occlusion); f32 otherwise (noise).
                let as_byte = |p: f32| (p * 255.0).round().clamp(0.0, 255.0) as u8;
                let exact = pixels.iter().all(|&p| (f32::from(as_byte(p)) / 255.0).to_bits() == p.to_bits());
                header.kind = "images".into();
                header.side = *side;
                header.pixel_bytes = exact;
                header.modules = modules.clone();
                header.modules_version = *modules_version;
                if exact {
                    body.extend(pixels.iter().map(|&p| as_byte(p)));
                } else {
                    for p in pixels {
                        body.extend(p.to_le_bytes());
                    }
                }
            }
            Samples::Texts { texts, modules, modules_version } => {
                header.kind = "texts".into();
                header.modules = modules.clone();
                header.modules_version = *modules_version;
                for t in texts {
                    body.extend((t.len() as u32).to_le_bytes());
                    body.extend(t.as_bytes());
                }
            }
            Samples::Table { table, schema, modules, modules_version } => {
                header.kind = "table".into();
                header.modules = modules.clone();
                header.modules_version = *modules_version;
                header.schema = Some(schema.clone());
                for c in table.columns() {
                    match &c.data {
                        ColumnData::Numeric(v) => {
                            header.columns.push((c.name.clone(), None));
                            v.iter().for_each(|x| body.extend(x.to_le_bytes()));
                        }
                        ColumnData::Categorical { codes, levels } => {
                            header.columns.push((c.name.clone(), Some(levels.clone())));
                            codes.iter().for_each(|x| body.extend(x.to_le_bytes()));
                        }
                    }
                }
            }
            Samples::Features(fs) => {
                header.kind = "features".into();
                header.features = fs.iter().map(|f| (f.name.clone(), f.dim)).collect();
                for f in fs {
                    for v in &f.values {
                        body.extend(v.to_le_bytes());
                    }
                }
            }
        }
        let h = serde_json::to_vec(&header).map_err(|e| corrupt(e.to_string()))?;
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(9));
        let w = |e: std::io::Error| corrupt(e.to_string());
        enc.write_all(MAGIC).map_err(w)?;
        enc.write_all(&(h.len() as u32).to_le_bytes()).map_err(w)?;
        enc.write_all(&h).map_err(w)?;
        enc.write_all(&body).map_err(w)?;
        enc.finish().map_err(w)
    }

    /// Decodes what [`encode`](Self::encode) wrote.
    ///
    /// # Errors
    /// [`DataError::Bundle`] for bytes that are not a bundle of this version or are truncated.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut raw).map_err(|e| corrupt(format!("not a task bundle: {e}")))?;
        if raw.len() < 8 || &raw[..4] != MAGIC {
            return Err(corrupt("not a task bundle of version 1"));
        }
        let hl = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]) as usize;
        let h: Header = serde_json::from_slice(raw.get(8..8 + hl).ok_or_else(|| corrupt("truncated header"))?)
            .map_err(|e| corrupt(format!("header: {e}")))?;
        let mut rest = &raw[8 + hl..];
        let n = h.samples;
        let mut take = |len: usize| -> Result<&[u8]> {
            if rest.len() < len {
                return Err(corrupt("truncated samples"));
            }
            let (a, b) = rest.split_at(len);
            rest = b;
            Ok(a)
        };
        let f32s = |b: &[u8]| -> Vec<f32> { b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect() };
        let labels: Vec<u32> = take(4 * n)?.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let samples = match h.kind.as_str() {
            "images" => {
                let len = n * h.side * h.side;
                let pixels = if h.pixel_bytes {
                    take(len)?.iter().map(|&b| f32::from(b) / 255.0).collect()
                } else {
                    f32s(take(4 * len)?)
                };
                Samples::Images { side: h.side, pixels, modules: h.modules, modules_version: h.modules_version }
            }
            "texts" => {
                let mut texts = Vec::with_capacity(n);
                for _ in 0..n {
                    let b = take(4)?;
                    let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                    let t = std::str::from_utf8(take(len)?).map_err(|_| corrupt("a text that is not UTF-8"))?;
                    texts.push(t.to_string());
                }
                Samples::Texts { texts, modules: h.modules, modules_version: h.modules_version }
            }
            "features" => Samples::Features(
                h.features.iter().map(|(name, dim)| Ok(FeatureSet::new(name.clone(), *dim, f32s(take(4 * n * dim)?)))).collect::<Result<_>>()?,
            ),
            "table" => {
                let mut columns = Vec::with_capacity(h.columns.len());
                for (name, levels) in h.columns {
                    let b = take(4 * n)?;
                    let data = match levels {
                        None => ColumnData::Numeric(f32s(b)),
                        Some(levels) => ColumnData::Categorical { codes: b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(), levels },
                    };
                    columns.push(Column { name, data });
                }
                let table = Table::new(columns).map_err(|e| corrupt(format!("table: {e}")))?;
                let schema = h.schema.ok_or_else(|| corrupt("a table without its column schema"))?;
                Samples::Table { table, schema, modules: h.modules, modules_version: h.modules_version }
            }
            other => return Err(corrupt(format!("unknown sample kind `{other}`"))),
        };
        if !rest.is_empty() {
            return Err(corrupt(format!("{} bytes after the samples", rest.len())));
        }
        let b = Self { samples, labels, class_names: h.class_names, split: h.split };
        b.check()?;
        Ok(b)
    }
}

/// Checks that a task recorded with `recorded` (module names, modules version) can be read by
/// a build that has `available`: every recorded module present, the same version. The one
/// check for every modality (modules added since the task was recorded are computed too).
///
/// # Errors
/// [`DataError::Modules`] naming the task and both sides.
pub fn check_modules(task: &str, recorded: (&[String], u32), available: (&[String], u32)) -> Result<()> {
    let ((modules, version), (have, build)) = (recorded, available);
    if !modules.iter().all(|m| have.contains(m)) || version != build {
        return Err(DataError::Modules {
            task: task.to_string(),
            recorded: format!("{} (version {version})", modules.join(", ")),
            available: format!("{} (version {build})", have.join(", ")),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::AvgPool;

    fn images(noisy: bool) -> ImageSet {
        let mut pixels: Vec<f32> = (0..6 * 16).map(|i| (i % 256) as f32 / 255.0).collect();
        if noisy {
            pixels[3] = 0.123_456;
        }
        ImageSet { pixels, labels: vec![0, 1, 0, 1, 0, 1], side: 4 }
    }

    #[test]
    fn images_too_small_for_a_conv_module_name_the_task() {
        let emb: Vec<Box<dyn Embedder>> = vec![Box::new(crate::embed::RandConv::new(8, 2, 0).unwrap())];
        let img = images(false);
        let b = TaskBundle::from_images(&img, vec![0, 1, 0, 1, 0, 1], vec!["a".into(), "b".into()], [4, 1, 1], &[]).unwrap();
        let e = b.to_task("tiny-digits", &emb).unwrap_err().to_string();
        assert!(e.contains("tiny-digits") && e.contains("4 × 4") && e.contains("convolutional"), "{e}");
    }

    #[test]
    fn images_round_trip_exactly_as_bytes_or_floats() {
        let emb: Vec<Box<dyn Embedder>> = vec![Box::new(AvgPool::new(4, 2).unwrap())];
        for noisy in [false, true] {
            let img = images(noisy);
            let b = TaskBundle::from_images(&img, vec![0, 1, 0, 1, 0, 1], vec!["a".into(), "b".into()], [4, 1, 1], &emb).unwrap();
            let bytes = b.encode().unwrap();
            let back = TaskBundle::decode(&bytes).unwrap();
            assert_eq!(back, b);
            let t = back.to_task("t", &emb).unwrap();
            assert_eq!(t.splits().validation, vec![4]);
            assert_eq!(t.features()[0].values, emb[0].embed_all(&img.pixels, 16), "the features are bit-identical");
        }
    }

    #[test]
    fn features_keep_split_matrices() {
        let t = crate::synthetic::Blobs::new(2, 40, 3).seed(1).task().unwrap();
        let b = TaskBundle::from_features(&t, vec!["x".into(), "y".into()]);
        let back = TaskBundle::decode(&b.encode().unwrap()).unwrap().to_task("t", &[]).unwrap();
        for (f, g) in t.features().iter().zip(back.features()) {
            assert_eq!(f.gather(&t.splits().train), g.gather(&back.splits().train));
            assert_eq!(f.gather(&t.splits().test), g.gather(&back.splits().test));
        }
        assert_eq!(t.gather_labels(&t.splits().validation), back.gather_labels(&back.splits().validation));
    }

    #[test]
    fn texts_round_trip() {
        let b = TaskBundle::from_texts(
            vec!["héllo, wörld".into(), "".into(), "line\nbreak 日本".into()],
            vec![0, 1, 0],
            vec!["a".into(), "b".into()],
            [1, 1, 1],
            vec!["wl64".into()],
            1,
        )
        .unwrap();
        let back = TaskBundle::decode(&b.encode().unwrap()).unwrap();
        assert_eq!(back, b);
        assert_eq!(modality(&back.samples), "texts");
        assert!(matches!(back.to_task("t", &[]), Err(DataError::Modules { .. })));
        let f = FeatureSet::new("wl64", 1, vec![0.5, 1.5, 2.5]);
        let t = back.to_task_with_features("t", vec![f]).unwrap();
        assert_eq!(t.splits().test, vec![2]);
    }

    #[test]
    fn refuses_damage_and_other_modules() {
        let emb: Vec<Box<dyn Embedder>> = vec![Box::new(AvgPool::new(4, 2).unwrap())];
        let b = TaskBundle::from_images(&images(false), vec![0, 1, 0, 1, 0, 1], vec!["a".into(), "b".into()], [4, 1, 1], &emb).unwrap();
        let bytes = b.encode().unwrap();
        assert!(matches!(TaskBundle::decode(&bytes[..bytes.len() / 2]), Err(DataError::Bundle(_))));
        assert!(matches!(TaskBundle::decode(b"nonsense"), Err(DataError::Bundle(_))));
        let other: Vec<Box<dyn Embedder>> = vec![Box::new(AvgPool::new(4, 4).unwrap())];
        assert!(matches!(b.to_task("t", &other), Err(DataError::Modules { .. })));
        assert!(TaskBundle::from_images(&images(false), vec![0; 6], vec!["a".into(), "b".into()], [4, 1, 2], &emb).is_err());
    }
}
