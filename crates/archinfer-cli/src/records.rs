//! `archinfer task add`, `archinfer suite add`, and reading a database's tasks for every other
//! command.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use archinfer::data::{
    CsvOptions, ImageSet, LabelColumn, PixelScale, SYNTHETIC_SUITE, Splits, Task, TaskBundle, default_embedders,
    fashion_mnist_dir, load_csv_table, load_mnist_dir,
};
use archinfer::encoding::{ArchitectureSpace, EmbeddingSpec};
use archinfer::eval::{EvalError, add_suite, add_task, load_tasks, record_of, suite_bundles};
use archinfer::store::{ExperimentStore, Location};
use clap::Parser;

use crate::{BoxError, outln};

/// Train / validation / test fractions of a user's task (`task add`, `fit`): a validation
/// split large enough that child rankings are not evaluation noise.
pub const USER_SPLIT: [f64; 3] = [0.6, 0.2, 0.2];
/// Seed of that split.
pub const USER_SPLIT_SEED: u64 = 0;

/// A task's data on the command line: `--data PATH [--label COL] [--text COL]`.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// The task. Images: a directory of MNIST-format files (`train-images-idx3-ubyte[.gz]` …)
    /// or a CSV of 784 pixel columns (in [0, 1], or whole numbers 0–255, scaled with a note)
    /// and a label column. Texts: a CSV with a text column (`--text`, or a column named
    /// `text`) and a label column, or a directory with one sub-directory of `.txt` files per
    /// class.
    #[arg(long)]
    pub data: PathBuf,
    /// CSV label column: `first`, `last`, a 0-based index or a header name.
    #[arg(long, default_value = "last")]
    pub label: String,
    /// CSV text column (a header name or a 0-based index): the file holds texts, not pixels.
    #[arg(long)]
    pub text: Option<String>,
}

/// A user's samples: images or texts, with their class names.
pub enum UserData {
    /// Images.
    Images(UserImages),
    /// Texts.
    Texts(archinfer::text::TextSet),
}

fn text_column(c: &str, header_len: usize) -> archinfer::text::Column {
    match c {
        "first" => archinfer::text::Column::Index(0),
        "last" => archinfer::text::Column::Index(header_len.saturating_sub(1)),
        s => archinfer::text::Column::parse(s),
    }
}


/// Reads a user's data as [`DataArgs`] describes: images (IDX directory or pixel CSV) or texts
/// (a CSV with `--text` or a `text` column, or a directory of class sub-directories).
pub fn read_data(input: &DataArgs) -> Result<UserData, BoxError> {
    let path = &input.data;
    let idx = path.is_dir() && ["train", "t10k"].iter().any(|p| path.join(format!("{p}-images-idx3-ubyte")).exists() || path.join(format!("{p}-images-idx3-ubyte.gz")).exists());
    if path.is_dir() && !idx && input.text.is_none() && std::fs::read_dir(path).map(|mut d| d.any(|e| e.is_ok_and(|e| e.path().is_dir()))).unwrap_or(false) {
        return Ok(UserData::Texts(archinfer::text::load_text_dir(path)?));
    }
    if path.is_file() {
        let header = archinfer::text::read_csv_header(path).unwrap_or_default();
        let text = input.text.clone().or_else(|| header.iter().any(|h| h == "text").then(|| "text".to_string()));
        if let Some(text) = text {
            let set = archinfer::text::load_text_csv(path, &text_column(&text, header.len()), &text_column(&input.label, header.len()))?;
            return Ok(UserData::Texts(set));
        }
    }
    Ok(UserData::Images(read_images(path, &input.label, 28)?))
}

/// The split order of a user's samples: shuffled with a fixed seed into `fractions`.
fn user_order(n: usize, fractions: [f64; 3]) -> Result<(Vec<usize>, [usize; 3]), BoxError> {
    let s = Splits::random(n, fractions, USER_SPLIT_SEED)?;
    let order: Vec<usize> = s.train.iter().chain(&s.validation).chain(&s.test).copied().collect();
    Ok((order, [s.train.len(), s.validation.len(), s.test.len()]))
}

/// The bundle of a user's data, images or texts, split by [`USER_SPLIT`] (as `fit` and
/// `infer` split it).
pub fn user_data_bundle(u: &UserData) -> Result<TaskBundle, BoxError> {
    user_data_bundle_split(u, USER_SPLIT)
}

/// The bundle of a user's data, split by `fractions` (train, validation, test).
pub fn user_data_bundle_split(u: &UserData, fractions: [f64; 3]) -> Result<TaskBundle, BoxError> {
    match u {
        UserData::Images(i) => user_bundle_split(i, fractions),
        UserData::Texts(t) => {
            let (order, split) = user_order(t.len(), fractions)?;
            let modules = archinfer::text::default_text_module_names();
            Ok(TaskBundle::from_texts(
                order.iter().map(|&i| t.texts[i].clone()).collect(),
                order.iter().map(|&i| t.labels[i]).collect(),
                t.class_names.clone(),
                split,
                modules,
                archinfer::text::TEXT_MODULES_VERSION,
            )?)
        }
    }
}

/// The task of a bundle, read through the default image or text modules.
pub fn bundle_to_task(bundle: &TaskBundle, name: &str) -> Result<Task, BoxError> {
    Ok(archinfer::eval::bundle_task(bundle, name, &default_embedders()?, &mut archinfer::eval::TextModules::default())?)
}

/// Images with their class names, as read from a user's file.
pub struct UserImages {
    /// The images; labels are indices into `class_names`.
    pub images: ImageSet,
    /// Class names as the file spelled them, in label order.
    pub class_names: Vec<String>,
}

/// Reads an IDX directory or a CSV file of `side × side` pixel columns plus a label column.
/// Errors name the file and what was expected.
pub fn read_images(path: &Path, label: &str, side: usize) -> Result<UserImages, BoxError> {
    let px = side * side;
    if path.is_dir() {
        let images = load_mnist_dir(path)?;
        if images.side != side {
            return Err(format!(
                "{}: the images are {} × {} pixels; the embedding modules read {side} × {side} = {px}",
                path.display(),
                images.side,
                images.side
            )
            .into());
        }
        let mut classes: Vec<u8> = images.labels.clone();
        classes.sort_unstable();
        classes.dedup();
        let labels = images.labels.iter().map(|l| classes.binary_search(l).unwrap_or(0) as u8).collect();
        return Ok(UserImages {
            images: ImageSet { pixels: images.pixels, labels, side },
            class_names: classes.iter().map(u8::to_string).collect(),
        });
    }
    if !path.exists() {
        return Err(format!("{}: no such file or directory", path.display()).into());
    }
    let t = load_csv_table(path, Some(&parse_label(label)), &CsvOptions::default())?;
    if t.dim != px {
        return Err(format!("{}: {} pixel columns; the embedding modules read {side} × {side} = {px}", path.display(), t.dim).into());
    }
    if t.class_names.len() < 2 {
        return Err(archinfer::data::DataError::TooFewClasses(t.class_names.len()).into());
    }
    if t.class_names.len() > 256 {
        return Err(format!("{}: more than 256 classes", path.display()).into());
    }
    let labels = t.labels.iter().map(|&l| l as u8).collect();
    let (images, scale) = ImageSet::from_pixel_rows(&path.display().to_string(), t.values, labels, side)?;
    if scale == PixelScale::Bytes {
        eprintln!("note: {}: pixel values are whole numbers in 0–255; divided by 255, as IDX bytes are", path.display());
    }
    Ok(UserImages { images, class_names: t.class_names })
}

/// A `--label` argument: `first`, `last`, a 0-based index or a header name.
pub fn parse_label(label: &str) -> LabelColumn {
    match label {
        "first" => LabelColumn::First,
        "last" => LabelColumn::Last,
        s => match s.parse::<usize>() {
            Ok(i) => LabelColumn::Index(i),
            Err(_) => LabelColumn::Name(s.to_string()),
        },
    }
}

/// The bundle of a user's images: shuffled with a fixed seed into `fractions`.
fn user_bundle_split(u: &UserImages, fractions: [f64; 3]) -> Result<TaskBundle, BoxError> {
    let (order, split) = user_order(u.images.len(), fractions)?;
    let mut pixels = Vec::with_capacity(order.len() * u.images.side * u.images.side);
    for &i in &order {
        pixels.extend_from_slice(u.images.image(i));
    }
    let labels: Vec<u32> = order.iter().map(|&i| u32::from(u.images.labels[i])).collect();
    let set = ImageSet { pixels, labels: order.iter().map(|&i| u.images.labels[i]).collect(), side: u.images.side };
    Ok(TaskBundle::from_images(&set, labels, u.class_names.clone(), split, &default_embedders()?)?)
}

/// The space a task's feature sets make (the paper's widths, activations and layers).
pub fn space_of(task: &Task) -> Result<ArchitectureSpace, BoxError> {
    Ok(ArchitectureSpace::paper(task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect())?)
}

/// Checks that `task` has exactly the embedding modules of `space`; errors name `source`.
pub fn check_fits(task: &Task, space: &ArchitectureSpace, source: &str) -> Result<(), BoxError> {
    archinfer::eval::fits_space(task, space).map_err(|e| format!("{source}: {e}").into())
}

/// Checks that `task` has the embedding modules a model's `space` reads; the error says which
/// modality each side is.
pub fn check_model_fits(task: &Task, space: &ArchitectureSpace, source: &str) -> Result<(), BoxError> {
    if archinfer::eval::fits_space(task, space).is_ok() {
        return Ok(());
    }
    let kind = |names: Vec<String>| -> String {
        let text = archinfer::text::default_text_module_names();
        let image: Vec<String> = default_embedders().map(|m| m.iter().map(|e| e.name().to_string()).collect()).unwrap_or_default();
        let what = if names.iter().all(|n| text.contains(n)) {
            "texts"
        } else if names.iter().all(|n| image.contains(n)) {
            "images"
        } else {
            "features"
        };
        format!("{what} (modules {})", names.join(", "))
    };
    Err(format!(
        "{source}: the model reads {}; these data are {}",
        kind(space.embeddings().iter().map(|e| e.name.clone()).collect()),
        kind(task.features().iter().map(|f| f.name.clone()).collect())
    )
    .into())
}

/// The database's space, or, for a database without one, `task`'s (recorded).
pub fn pin_space(store: &dyn ExperimentStore, task: &Task, source: &str) -> Result<ArchitectureSpace, BoxError> {
    match store.meta("space")? {
        Some(s) => {
            let space = ArchitectureSpace::from_json(&s)?;
            check_fits(task, &space, source)?;
            Ok(space)
        }
        None => {
            let space = space_of(task)?;
            store.set_meta("space", &space.to_json()?)?;
            Ok(space)
        }
    }
}

/// Every task of the database at `db`, with its description. Tasks of a database from before
/// tasks carried their samples get them here, from their suite (this needs Fashion-MNIST once).
pub fn tasks_of_db(db: &Location, data: Option<&Path>) -> Result<Vec<(Arc<Task>, String)>, BoxError> {
    let store = crate::db::open_existing(db)?;
    let tasks = match load_tasks(&store) {
        Ok(t) => t,
        Err(EvalError::NoSamples(name)) => {
            let suite = store.tasks()?.into_iter().find(|t| t.name == name).map(|t| t.suite).unwrap_or_default();
            eprintln!("task `{name}` has no samples in {} yet: filling them from suite {suite}", db);
            fill_suite(&store, &suite, data).map_err(|e| format!("task `{name}` has no samples, and suite {suite} could not supply them: {e}"))?;
            load_tasks(&store)?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(tasks.into_iter().map(|t| (t.task, t.record.description)).collect())
}

fn fill_suite(store: &dyn ExperimentStore, suite: &str, data: Option<&Path>) -> Result<archinfer::eval::SuiteAdded, BoxError> {
    let images = if suite == SYNTHETIC_SUITE {
        None
    } else {
        let dir = fashion_mnist_dir(data);
        eprintln!("loading images from {}", dir.display());
        Some(load_mnist_dir(&dir)?)
    };
    let bundles = suite_bundles(suite, images.as_ref())?;
    if let Some((rec, b)) = bundles.first() {
        pin_space(store, &b.to_task(&rec.name, &default_embedders()?)?, &format!("suite {suite}"))?;
    }
    if store.meta("suite")?.is_none() {
        store.set_meta("suite", suite)?;
    }
    Ok(add_suite(store, &bundles)?)
}

/// Arguments of `archinfer task add`.
#[derive(Parser, Debug)]
pub struct TaskAddArgs {
    /// The database, created if missing: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Name of the new task (must not exist yet).
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub input: DataArgs,
    /// One line on the task.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The suite it is recorded under.
    #[arg(long, default_value = "user")]
    pub suite: String,
    /// Train, validation and test fractions, comma-separated (a seeded shuffle).
    #[arg(long, default_value = "0.6,0.2,0.2")]
    pub split: String,
}

/// Parses `a,b,c` split fractions.
pub fn parse_split(s: &str) -> Result<[f64; 3], BoxError> {
    let v: Vec<f64> = s.split(',').map(|x| x.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|e| format!("--split {s}: {e}"))?;
    match v.as_slice() {
        [a, b, c] => Ok([*a, *b, *c]),
        _ => Err(format!("--split {s}: expected three fractions, e.g. 0.6,0.2,0.2").into()),
    }
}

/// `archinfer task add`: reads and checks everything first, then writes the task and its
/// samples in one transaction.
pub fn task_add(a: TaskAddArgs) -> Result<(), BoxError> {
    if a.name.trim().is_empty() {
        return Err("--name must not be empty".into());
    }
    let bundle = user_data_bundle_split(&read_data(&a.input)?, parse_split(&a.split)?)?;
    let task = bundle_to_task(&bundle, &a.name)?;
    let store = crate::db::open_or_create(&a.db)?;
    if store.tasks()?.iter().any(|t| t.name == a.name) {
        return Err(format!("{}: a task named `{}` already exists", a.db, a.name).into());
    }
    let space = store.meta("space")?.map(|s| ArchitectureSpace::from_json(&s)).transpose()?;
    if let Some(space) = &space {
        check_fits(&task, space, &a.input.data.display().to_string())?;
    }
    let description = if a.description.is_empty() { format!("added from {}", a.input.data.display()) } else { a.description.clone() };
    add_task(&store, &record_of(&a.name, &a.suite, &description, &bundle), &bundle)?;
    if space.is_none() {
        store.set_meta("space", &space_of(&task)?.to_json()?)?;
    }
    outln!(
        "added task `{}`: {} samples ({} train, {} validation, {} test), {} classes; `archinfer build-db --db {}` trains its children",
        a.name,
        bundle.len(),
        bundle.split[0],
        bundle.split[1],
        bundle.split[2],
        bundle.class_names.len(),
        a.db
    );
    Ok(())
}

/// Arguments of `archinfer suite add`.
#[derive(Parser, Debug)]
pub struct SuiteAddArgs {
    /// The suite: `fmnist14` (needs Fashion-MNIST) or `synthetic3`.
    pub suite: String,
    /// The database, created if missing: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Fashion-MNIST directory (default: $ARCHINFER_FASHION_MNIST, else Debian's location).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// `archinfer suite add`.
pub fn suite_add(a: SuiteAddArgs) -> Result<(), BoxError> {
    let store = crate::db::open_or_create(&a.db)?;
    let r = fill_suite(&store, &a.suite, a.data.as_deref())?;
    outln!(
        "suite {}: {} tasks created, {} given their samples, {} already present",
        a.suite, r.created, r.filled, r.unchanged
    );
    Ok(())
}

/// Adds `suite` to the store if any of its tasks is missing or lacks samples (`build-db --suite`).
pub fn ensure_suite(store: &dyn ExperimentStore, suite: &str, data: Option<&Path>) -> Result<(), BoxError> {
    let have = store.tasks()?;
    let complete = !have.is_empty()
        && have.iter().filter(|t| t.suite == suite).count() > 0
        && have.iter().filter(|t| t.suite == suite).all(|t| store.task_data(&t.name).ok().flatten().is_some());
    if !complete {
        fill_suite(store, suite, data)?;
    }
    Ok(())
}
