//! `archinfer task add` and `archinfer suite add`.

use std::path::Path;

use archinfer::store::ExperimentStore;
use clap::Parser;

use crate::db::SuiteArgs;
use crate::ui::{BoxError, outln};

fn fill_suite(store: &dyn ExperimentStore, suite: &str, data: Option<&Path>) -> Result<archinfer::eval::SuiteAdded, BoxError> {
    if suite != archinfer::data::SYNTHETIC_SUITE {
        eprintln!("loading images from {}", archinfer::data::fashion_mnist_dir(data).display());
    }
    Ok(archinfer::eval::fill_suite(store, suite, archinfer::eval::suite_images(suite, data)?.as_ref())?)
}

/// Arguments of `archinfer task add`.
#[derive(Parser, Debug)]
pub struct TaskAddArgs {
    #[command(flatten)]
    pub db: crate::db::DbArg,
    /// Name of the new task (must not exist yet).
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub input: crate::data::DataArgs,
    /// One line on the task.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The suite it is recorded under.
    #[arg(long, default_value = "user")]
    pub suite: String,
    /// Train, validation and test fractions, comma-separated (a seeded shuffle).
    #[arg(long, value_delimiter = ',', default_value = "0.6,0.2,0.2")]
    pub split: Vec<f64>,
}

/// `--split` as three fractions.
fn split_of(v: &[f64]) -> Result<[f64; 3], BoxError> {
    <[f64; 3]>::try_from(v).map_err(|_| format!("--split: {} fractions; expected three, e.g. 0.6,0.2,0.2", v.len()).into())
}

/// `archinfer task add`: reads and checks everything first, then writes the task and its
/// samples in one transaction (a new database also records the task's space).
pub fn task_add(a: TaskAddArgs) -> Result<(), BoxError> {
    let bundle = crate::data::read(&a.input, false)?.bundle(split_of(&a.split)?)?;
    let task = crate::data::task_of(&bundle, &a.name)?;
    let store = a.db.db.open_or_create()?;
    let description = if a.description.is_empty() { format!("added from {}", a.input.data.display()) } else { a.description.clone() };
    archinfer::eval::add_user_task(store.as_ref(), &a.name, &a.suite, &description, &bundle, &task).map_err(|e| format!("{}: {e}", a.input.data.display()))?;
    outln!(
        "added task `{}`: {} samples ({} train, {} validation, {} test), {} classes; `archinfer build-db --db {}` trains its children",
        a.name,
        bundle.len(),
        bundle.split[0],
        bundle.split[1],
        bundle.split[2],
        bundle.class_names.len(),
        a.db.db
    );
    Ok(())
}

/// Arguments of `archinfer suite add`.
#[derive(Parser, Debug)]
pub struct SuiteAddArgs {
    /// The suite: `fmnist14` (needs Fashion-MNIST) or `synthetic3`.
    pub suite: String,
    #[command(flatten)]
    pub src: SuiteArgs,
}

/// `archinfer suite add`.
pub fn suite_add(a: SuiteAddArgs) -> Result<(), BoxError> {
    let store = a.src.db.open_or_create()?;
    let r = fill_suite(store.as_ref(), &a.suite, a.src.data.as_deref())?;
    outln!("suite {}: {} tasks created, {} given their samples, {} already present", a.suite, r.created, r.filled, r.unchanged);
    Ok(())
}

/// Adds `suite` to the store if any of its tasks is missing or lacks samples (`build-db --suite`).
pub fn ensure_suite(store: &dyn ExperimentStore, suite: &str, data: Option<&Path>) -> Result<(), BoxError> {
    if !archinfer::eval::suite_complete(store, suite)? {
        fill_suite(store, suite, data)?;
    }
    Ok(())
}
