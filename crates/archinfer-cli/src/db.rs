//! Opening databases by location, and the `db` commands that work on any store.

use archinfer::store::{ExperimentStore, Location};

use crate::{BoxError, outln};

/// Opens an existing database; a SQLite file that is not there is an error (opening would
/// create an empty one).
pub fn open_existing(db: &Location) -> Result<Box<dyn ExperimentStore>, BoxError> {
    if !db.exists() {
        return Err(format!("{db}: no such database").into());
    }
    Ok(db.open()?)
}

/// Opens a database, creating it (and a SQLite file's directory) if missing.
pub fn open_or_create(db: &Location) -> Result<Box<dyn ExperimentStore>, BoxError> {
    if let Some(parent) = db.sqlite_path().and_then(std::path::Path::parent).filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    Ok(db.open()?)
}

/// This machine's name, for worker names (`host:pid:thread`).
pub fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()).filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "host".into())
}

/// Arguments of `archinfer db status`.
#[derive(clap::Parser, Debug)]
pub struct StatusArgs {
    /// The database: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// A worker heard from within this many seconds counts as live (build-db's --stale-secs).
    #[arg(long, default_value_t = 30)]
    pub live_secs: u64,
}

/// `archinfer db status`.
pub fn status(a: &StatusArgs) -> Result<(), BoxError> {
    let store = open_existing(&a.db)?;
    let text = archinfer::store::status_text(store.as_ref(), archinfer::store::now_ms(), a.live_secs)?;
    outln!("{}", text.trim_end());
    if text.contains("no live worker") {
        outln!("(start `archinfer build-db --db {}` to finish it)", a.db);
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
    let src = open_existing(&a.from)?;
    let dst = open_or_create(&a.to)?;
    let bar = crate::bar(0, "trials");
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
