//! The `db` commands, which work on any store, and the database arguments every command
//! reads its tasks through.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use archinfer::data::{Task, fashion_mnist_dir};
use archinfer::store::Location;

use crate::ui::{BoxError, outln};

/// A command's database.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArg {
    /// The database: a SQLite file or a postgres:// URL (`task add`, `suite add` and `build-db`
    /// create it if missing).
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
}

/// The database a command reads its tasks from, and where Fashion-MNIST is if a suite's
/// samples must be filled in.
#[derive(clap::Args, Debug, Clone)]
pub struct SuiteArgs {
    /// The experiment database: a SQLite file or a postgres:// URL (`suite add` and `build-db`
    /// create it if missing).
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Fashion-MNIST directory, read only when a suite's samples are needed (default:
    /// $ARCHINFER_FASHION_MNIST, else Debian's location).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

impl SuiteArgs {
    /// Every task of the database with its description ([`tasks_of_db`]).
    pub fn tasks(&self) -> Result<Vec<(Arc<Task>, String)>, BoxError> {
        tasks_of_db(&self.db, self.data.as_deref())
    }
}

/// Every task of the database at `db`, with its description. Tasks of a database from before
/// tasks carried their samples get them here, from their suite (this needs Fashion-MNIST once).
pub fn tasks_of_db(db: &Location, data: Option<&Path>) -> Result<Vec<(Arc<Task>, String)>, BoxError> {
    let store = db.open_existing()?;
    let tasks = archinfer::eval::load_tasks_filled(store.as_ref(), data, &mut |name, suite| {
        eprintln!("task `{name}` has no samples in {db} yet: filling them from suite {suite} (Fashion-MNIST from {})", fashion_mnist_dir(data).display());
    })?;
    Ok(tasks.into_iter().map(|t| (t.task, t.record.description)).collect())
}

/// Arguments of `archinfer db status`.
#[derive(clap::Parser, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// A worker heard from within this many seconds counts as live (build-db's --stale-secs).
    #[arg(long, default_value_t = 30)]
    pub live_secs: u64,
}

/// `archinfer db status`.
pub fn status(a: &StatusArgs) -> Result<(), BoxError> {
    let store = a.db.db.open_existing()?;
    let status = archinfer::store::status(store.as_ref(), archinfer::store::now_ms(), a.live_secs)?;
    outln!("{}", status.text.trim_end());
    if status.needs_worker() {
        outln!("(start `archinfer build-db --db {}` to finish it)", a.db.db);
    }
    Ok(())
}

/// Arguments of `archinfer db copy`.
#[derive(clap::Parser, Debug)]
pub struct CopyArgs {
    /// The database to copy: a SQLite file or a postgres:// URL.
    #[arg(long)]
    pub from: Location,
    /// Where to copy it (created if missing): a SQLite file or a postgres:// URL.
    #[arg(long)]
    pub to: Location,
    /// Trials per transaction.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
}

/// `archinfer db copy`.
pub fn copy(a: &CopyArgs) -> Result<(), BoxError> {
    if a.from == a.to {
        return Err("--from and --to are the same database".into());
    }
    let (src, dst) = (a.from.open_existing()?, a.to.open_or_create()?);
    let bar = crate::ui::bar(0, "trials");
    let r = archinfer::store::copy(src.as_ref(), dst.as_ref(), a.batch, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .map_err(|e| format!("{} → {}: {e}", a.from, a.to))?;
    bar.finish_and_clear();
    outln!(
        "copied {} tasks, {} trials and {} metadata entries from {} to {}; verified: counts and checksums match (trials {})",
        r.tasks,
        r.trials,
        r.meta,
        a.from,
        a.to,
        r.checksum
    );
    Ok(())
}

/// Arguments of `archinfer db export-task`.
#[derive(clap::Parser, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    /// The task.
    #[arg(long)]
    pub task: String,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
}

/// `archinfer db export-task`.
pub fn export_task(a: &ExportArgs) -> Result<(), BoxError> {
    let store = a.src.db.open_existing()?;
    let fill = &mut |task: &str, suite: &str| eprintln!("task `{task}` has no samples in {} yet: filling them from suite {suite}", a.src.db);
    let (n, train) =
        archinfer::eval::export_image_task(store.as_ref(), &a.task, a.src.data.as_deref(), &a.out, fill).map_err(|e| format!("{}: {e}", a.src.db))?;
    eprintln!("wrote {n} images ({train} training) of `{}` to {}", a.task, a.out.display());
    Ok(())
}

/// `archinfer db manifest`.
pub fn manifest(db: &Location) -> Result<(), BoxError> {
    let store = db.open_existing()?;
    let backends: Vec<String> = archinfer::built_backends().iter().map(|b| format!("{b:?}").to_lowercase()).collect();
    let features: Vec<String> = archinfer::built_features().iter().map(ToString::to_string).collect();
    outln!("{}", serde_json::to_string_pretty(&archinfer::eval::db_manifest(store.as_ref(), &backends, &features)?)?);
    Ok(())
}
