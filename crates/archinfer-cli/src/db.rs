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
    outln!(
        "{:<28} {:>7} {:>7} {:>7} {:>7}  {:>6} {:>6} {:>6} {:>6}  {:>9}",
        "task",
        "pending",
        "running",
        "done",
        "failed",
        "min",
        "median",
        "max",
        "std",
        "s/child"
    );
    let trials = store.trials(None)?;
    let mut totals = archinfer::store::StateCounts::default();
    let mut seconds = 0.0;
    for s in archinfer::store::summarize(&store.tasks()?, &trials) {
        totals = totals.plus(s.counts);
        seconds += s.train_seconds;
        let std = s.val_std.map(|v| format!("{v:>6.3}")).unwrap_or_else(|| format!("{:>6}", "-"));
        let per = if s.counts.done > 0 { s.train_seconds / s.counts.done as f64 } else { 0.0 };
        let acc = s.val_accuracy.map(|[a, b, c]| format!("{a:>6.3} {b:>6.3} {c:>6.3}")).unwrap_or_else(|| format!("{:>6} {:>6} {:>6}", "-", "-", "-"));
        outln!("{:<28} {:>7} {:>7} {:>7} {:>7}  {acc} {std}  {per:>9.3}", s.task, s.counts.pending, s.counts.running, s.counts.done, s.counts.failed);
    }
    outln!(
        "{:<28} {:>7} {:>7} {:>7} {:>7}  training time of done children: {:.1} s",
        "total",
        totals.pending,
        totals.running,
        totals.done,
        totals.failed,
        seconds
    );
    let rates = archinfer::store::worker_rates(&store.workers()?, &trials, archinfer::store::now_ms(), a.live_secs as i64 * 1000);
    let live: Vec<&archinfer::store::WorkerRate> = rates.iter().filter(|r| r.live).collect();
    let rate: f64 = live.iter().map(|r| r.per_hour).sum();
    outln!("");
    outln!("workers: {} live (heard from within {} s), {} known", live.len(), a.live_secs, rates.len());
    if !live.is_empty() {
        outln!("{:<36} {:>9} {:>8} {:>12} {:>10}", "worker", "heard", "running", "done/10 min", "per hour");
        for r in &live {
            outln!("{:<36} {:>7.1} s {:>8} {:>12} {:>10.0}", r.name, r.silent_s, r.running, r.recent, r.per_hour);
        }
    }
    let left = totals.open();
    if left == 0 {
        outln!("plan: done ({} trials)", totals.finished());
    } else if rate > 0.0 {
        let eta = left as f64 / rate * 3600.0;
        outln!("plan: {left} trials left at {rate:.0} children/hour: ETA {}", archinfer::store::hms(eta));
    } else {
        outln!("plan: {left} trials left, no live worker (start `archinfer build-db --db {}`)", a.db);
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
