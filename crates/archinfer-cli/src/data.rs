//! A user's data on the command line (`--data PATH [--label COL] [--text COL] [--modality M]`),
//! read by the library's [`read_user_data`] with a progress bar and a note on what was done.

use std::path::{Path, PathBuf};

use archinfer::data::{ImageLimits, Task, TaskBundle, default_embedders};
use archinfer::encoding::ArchitectureSpace;
use archinfer::eval::{DataSpec, Modality, UserData, read_user_data};

use crate::ui::BoxError;

/// A task's data on the command line.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// The data. Images: a folder with one sub-folder of image files per class (PNG, JPEG,
    /// BMP, GIF, WebP; any size and colour, converted to 28 × 28 grey), a CSV with a `path`
    /// column of image files and a label column, a directory of MNIST-format files, or a CSV
    /// of 784 pixel columns and a label column. Texts: a CSV with a text column (`--text`, or
    /// a column named `text`) and a label column, or a folder with one sub-folder of `.txt`
    /// files per class. Tables: an ARFF file, a TSV, or any other CSV with a header row of
    /// numeric and categorical columns and a label column. `predict` also takes a folder of
    /// images without classes, and a table without its label column.
    #[arg(long)]
    pub data: PathBuf,
    /// CSV label column: `first`, `last` (a column named `label` if there is one; for a table
    /// also `class` or `target`), a 0-based index or a header name.
    #[arg(long, default_value = "last")]
    pub label: String,
    /// CSV text column (a header name or a 0-based index): the file holds texts, not pixels.
    #[arg(long)]
    pub text: Option<String>,
    /// Table columns to leave out (header names, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Read the data as `images`, `texts` or `tables` (default: told by the files).
    #[arg(long)]
    pub modality: Option<Modality>,
    /// Largest image read, in pixels (width × height, checked from the file's header before
    /// decoding); raise it for genuine larger images.
    #[arg(long, default_value_t = ImageLimits::DEFAULT_MAX_PIXELS)]
    pub max_image_pixels: u64,
    /// Largest image file read, in bytes.
    #[arg(long, default_value_t = ImageLimits::DEFAULT_MAX_FILE_BYTES)]
    pub max_image_bytes: u64,
}

impl DataArgs {
    /// How the library reads these data (`labels_optional` for `predict`).
    pub fn spec(&self, labels_optional: bool) -> DataSpec {
        let limits = ImageLimits::default().with_max_pixels(self.max_image_pixels).with_max_file_bytes(self.max_image_bytes);
        DataSpec::new().with_label(self.label.clone()).with_text(self.text.clone()).with_modality(self.modality).labels_optional(labels_optional).with_limits(limits).with_ignore(self.ignore.clone())
    }

    /// The data's file name without extension: a task's default name.
    pub fn stem(&self) -> String {
        self.data.file_stem().map_or_else(|| "task".into(), |s| s.to_string_lossy().into_owned())
    }
}

/// Reads the data (`labels_optional` for `predict`), with a bar over image files and a note
/// on stderr saying what was converted.
pub fn read(input: &DataArgs, labels_optional: bool) -> Result<UserData, BoxError> {
    let spec = input.spec(labels_optional);
    let bar = crate::ui::bar(0, "images read");
    let data = read_user_data(&input.data, &spec, &mut |done, total| {
        if done == 1 {
            bar.set_length(total as u64);
        }
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    notes(&input.data, &data);
    Ok(data)
}

/// Says on stderr what reading `data` from `path` converted, and any notes.
pub fn notes(path: &Path, data: &UserData) {
    if let Some(c) = &data.conversion {
        eprintln!("note: {}: {c}", path.display());
    }
    for n in &data.notes {
        eprintln!("note: {n}");
    }
}

/// The task of a bundle, read through the default image or text modules.
pub fn task_of(bundle: &TaskBundle, name: &str) -> Result<Task, BoxError> {
    Ok(archinfer::eval::bundle_task(bundle, name, &default_embedders()?, &mut archinfer::eval::TextModules::default())?)
}

/// The task as `infer` needs it, for a model over `space` whose task encoders read the modules
/// `needed`, split by the library's user split (as `task add` and `fit` split it): of an image
/// task only `needed` are computed ([`archinfer::app::bundle_task_for_model`]).
///
/// # Errors
/// Unreadable data, and a task that does not fit `space` (what the modules and the data are).
pub fn read_task_for(input: &DataArgs, name: &str, space: &ArchitectureSpace, needed: &[String]) -> Result<Task, BoxError> {
    let bundle = read(input, false)?.bundle(archinfer::eval::USER_SPLIT)?;
    archinfer::app::bundle_task_for_model(bundle, name, space, needed).map_err(|e| match e {
        archinfer::app::AppError::ModelMismatch { .. } => format!("{}: {e}", input.data.display()).into(),
        other => other.into(),
    })
}

