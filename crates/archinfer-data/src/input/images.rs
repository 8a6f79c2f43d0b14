//! The image modality: IDX directories, pixel CSVs, folders of class folders of image files,
//! CSVs of image paths and unlabelled folders, each read into [`UserData`] of grey images.

use std::path::{Path, PathBuf};

use archinfer_text::{Column, load_text_csv, load_texts};

use crate::error::{DataError, Result};
use crate::input::{DataSpec, InputKind, UserData, UserSamples, data, label_column, parse_label, user_err};
use crate::csv::CsvOptions;
use crate::images::ImageFiles;
use crate::idx::ImageSet;
use crate::idx::PixelScale;
use crate::csv::load_csv_table;
use crate::idx::load_mnist_dir;

/// Reads `path` as the image input `kind` ([`crate::input::detect`] told it).
///
/// # Errors
/// As [`crate::input::read_user_data`].
pub fn read(path: &Path, kind: InputKind, spec: &DataSpec, progress: &mut dyn FnMut(usize, usize)) -> Result<UserData> {
    let files = ImageFiles::new(spec.side).with_limits(spec.limits);
    match kind {
        InputKind::Idx => read_idx(path, spec),
        InputKind::ImageFolder => read_class_folders(path, spec, &files, progress),
        InputKind::UnlabelledImages => {
            let (paths, pixels, conversion) = files.read_unlabelled(path, progress)?;
            let n = paths.len();
            let mut d = data(UserSamples::Images(ImageSet { pixels, labels: vec![0; n], side: spec.side }), None, Vec::new(), InputKind::UnlabelledImages);
            d.paths = paths;
            d.conversion = Some(conversion);
            Ok(d)
        }
        InputKind::ImageList => {
            let header = archinfer_text::read_csv_header(path).unwrap_or_default();
            let name = crate::input::IMAGE_PATH_COLUMNS
                .iter()
                .find_map(|c| header.iter().find(|h| h.eq_ignore_ascii_case(c)).cloned())
                .ok_or_else(|| user_err(path, "no image path column"))?;
            read_image_list(path, spec, &files, &header, &name, progress)
        }
        InputKind::PixelCsv => read_pixel_csv(path, spec),
        other => Err(DataError::BadSpec(format!("{other} is not an image input"))),
    }
}

fn read_idx(path: &Path, spec: &DataSpec) -> Result<UserData> {
    let images = load_mnist_dir(path)?;
    if images.side != spec.side {
        return Err(user_err(
            path,
            format!("{} × {} images; the image modules read {} × {} = {}", images.side, images.side, spec.side, spec.side, spec.side * spec.side),
        ));
    }
    let mut classes = images.labels.clone();
    classes.sort_unstable();
    classes.dedup();
    let labels = images.labels.iter().map(|l| classes.binary_search(l).unwrap_or(0) as u32).collect();
    let names = classes.iter().map(u8::to_string).collect();
    Ok(data(UserSamples::Images(images), Some(labels), names, InputKind::Idx))
}

fn read_class_folders(path: &Path, spec: &DataSpec, files: &ImageFiles, progress: &mut dyn FnMut(usize, usize)) -> Result<UserData> {
    let dirs = crate::input::visible(path)?.1;
    let Some(first_class) = dirs.first() else { return Err(user_err(path, "no class folders")) };
    if dirs.len() == 1 && spec.labels_optional {
        // One class: what `predict` labels when every image is of one kind.
        let (paths, pixels, conversion) = files.read_unlabelled(first_class, progress)?;
        let name = first_class.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let labels = vec![0; paths.len()];
        let set = ImageSet { pixels, labels: vec![0; paths.len()], side: spec.side };
        let mut d = data(UserSamples::Images(set), Some(labels), vec![name], InputKind::ImageFolder);
        d.paths = paths;
        d.conversion = Some(conversion);
        return Ok(d);
    }
    let r = files.read_folder(path, progress)?;
    let labels = r.images.labels.iter().map(|&l| u32::from(l)).collect();
    let mut d = data(UserSamples::Images(r.images), Some(labels), r.class_names, InputKind::ImageFolder);
    d.paths = r.paths;
    d.conversion = Some(r.conversion);
    Ok(d)
}

fn read_image_list(path: &Path, spec: &DataSpec, files_reader: &ImageFiles, header: &[String], name: &str, progress: &mut dyn FnMut(usize, usize)) -> Result<UserData> {
    let base = path.parent().unwrap_or(Path::new("."));
    let column = Column::Name(name.to_string());
    let (files, labels, class_names) = match label_column(spec, header, name, path)? {
        Some(l) => {
            let set = match load_text_csv(path, &column, &l) {
                // `predict` labels a batch of one class as well.
                Err(archinfer_text::TextError::SingleClass { .. }) if spec.labels_optional => {
                    let files = load_texts(path, &column)?;
                    let label = load_texts(path, &l)?.into_iter().next().unwrap_or_default();
                    archinfer_text::TextSet { labels: vec![0; files.len()], texts: files, class_names: vec![label] }
                }
                r => r?,
            };
            if set.class_names.len() > 256 {
                return Err(user_err(path, format!("{} classes; at most 256 are supported", set.class_names.len())));
            }
            (set.texts, Some(set.labels), set.class_names)
        }
        None => (load_texts(path, &column)?, None, Vec::new()),
    };
    let paths: Vec<PathBuf> = files.iter().map(|f| base.join(f.trim())).collect();
    let (pixels, conversion) = files_reader.read_files(&paths, progress)?;
    let small = labels.as_ref().map_or_else(|| vec![0; paths.len()], |l| l.iter().map(|&v| u8::try_from(v).unwrap_or(u8::MAX)).collect());
    let mut d = data(UserSamples::Images(ImageSet { pixels, labels: small, side: spec.side }), labels, class_names, InputKind::ImageList);
    d.paths = paths;
    d.conversion = Some(conversion);
    Ok(d)
}

fn read_pixel_csv(path: &Path, spec: &DataSpec) -> Result<UserData> {
    let px = spec.side * spec.side;
    let text = std::fs::read_to_string(path).map_err(|e| user_err(path, e.to_string()))?;
    let (line, first) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()).ok_or_else(|| user_err(path, "line 1: the file has no rows"))?;
    let cols = first.split(',').count();
    let labelled = match cols {
        c if c == px && spec.labels_optional => false,
        c if c == px + 1 => true,
        c => {
            let expected =
                if spec.labels_optional { format!("{px} pixel columns, or {} with a label", px + 1) } else { format!("{px} pixel columns and a label column") };
            return Err(user_err(path, format!("line {}: {c} columns; expected {expected} ({} × {} images)", line + 1, spec.side, spec.side)));
        }
    };
    let t = load_csv_table(path, labelled.then(|| parse_label(&spec.label)).as_ref(), &CsvOptions::default())?;
    if labelled && t.class_names.len() < 2 {
        return Err(crate::error::DataError::TooFewClasses(t.class_names.len()));
    }
    if t.class_names.len() > 256 {
        return Err(user_err(path, format!("{} classes; at most 256 are supported", t.class_names.len())));
    }
    let n = t.rows();
    let small = if labelled { t.labels.iter().map(|&l| l as u8).collect() } else { vec![0; n] };
    let (images, scale) = ImageSet::from_pixel_rows(&path.display().to_string(), t.values, small, spec.side)?;
    let mut d = data(UserSamples::Images(images), labelled.then_some(t.labels), t.class_names, InputKind::PixelCsv);
    if scale == PixelScale::Bytes {
        d.notes.push(format!("{}: pixel values are whole numbers in 0–255; divided by 255, as IDX bytes are", path.display()));
    }
    Ok(d)
}

