//! The text modality: CSVs with a text column and folders of class folders of `.txt` files.

use std::path::Path;

use archinfer_text::{Column, load_text_csv, load_text_dir, load_texts};

use crate::error::{DataError, Result};
use crate::input::{DataSpec, InputKind, UserData, UserSamples, data, label_column, text_column};

/// Reads `path` as the text input `kind` ([`crate::input::detect`] told it).
///
/// # Errors
/// As [`crate::input::read_user_data`].
pub fn read(path: &Path, kind: InputKind, spec: &DataSpec) -> Result<UserData> {
    match kind {
        InputKind::TextFolder => {
            let set = load_text_dir(path)?;
            Ok(data(UserSamples::Texts(set.texts), Some(set.labels), set.class_names, InputKind::TextFolder))
        }
        InputKind::TextCsv => {
            let header = archinfer_text::read_csv_header(path).unwrap_or_default();
            let text = text_column(spec, &header).unwrap_or_else(|| "text".to_string());
            let col = Column::parse(&text);
            match label_column(spec, &header, &text, path)? {
                Some(l) => {
                    let set = load_text_csv(path, &col, &l)?;
                    Ok(data(UserSamples::Texts(set.texts), Some(set.labels), set.class_names, InputKind::TextCsv))
                }
                None => Ok(data(UserSamples::Texts(load_texts(path, &col)?), None, Vec::new(), InputKind::TextCsv)),
            }
        }
        other => Err(DataError::BadSpec(format!("{other} is not a text input"))),
    }
}
