//! Opening databases by location, and the `db` commands that work on any store.

use archinfer::store::{ExperimentStore, Location, Trial, TrialStatus, WorkerInfo};

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

/// The window over which a worker's rate is measured.
const RATE_WINDOW_MS: i64 = 10 * 60 * 1000;

/// One worker's line of `db status`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerRate {
    /// Worker name.
    pub name: String,
    /// Seconds since it was last heard from.
    pub silent_s: f64,
    /// Whether it counts as live.
    pub live: bool,
    /// Trials it finished in the rate window.
    pub recent: usize,
    /// Trials per hour over the window (or over its time in the window, if shorter).
    pub per_hour: f64,
    /// Trials it holds now.
    pub running: usize,
}

/// Rates of every worker from the trials' claim and finish times (`now` in ms). A worker's
/// rate is its finished trials in the last ten minutes over the time since the first of them
/// was claimed (at most ten minutes).
pub fn worker_rates(workers: &[WorkerInfo], trials: &[Trial], now: i64, live_ms: i64) -> Vec<WorkerRate> {
    workers
        .iter()
        .map(|w| {
            let mine = trials.iter().filter(|t| t.worker.as_deref() == Some(w.name.as_str()));
            let recent: Vec<&Trial> = mine
                .clone()
                .filter(|t| matches!(t.status, TrialStatus::Done | TrialStatus::Failed))
                .filter(|t| t.finished_at.is_some_and(|f| f >= now - RATE_WINDOW_MS))
                .collect();
            let since = recent.iter().filter_map(|t| t.claimed_at).min().map(|c| (now - c).clamp(1, RATE_WINDOW_MS));
            let per_hour = match since {
                Some(ms) => recent.len() as f64 * 3.6e6 / ms as f64,
                None => 0.0,
            };
            WorkerRate {
                name: w.name.clone(),
                silent_s: w.silent_ms as f64 / 1000.0,
                live: w.silent_ms <= live_ms,
                recent: recent.len(),
                per_hour,
                running: mine.filter(|t| t.status == TrialStatus::Running).count(),
            }
        })
        .collect()
}

/// `archinfer db status`.
pub fn status(a: &StatusArgs) -> Result<(), BoxError> {
    let store = open_existing(&a.db)?;
    outln!(
        "{:<28} {:>7} {:>7} {:>7} {:>7}  {:>6} {:>6} {:>6} {:>6}  {:>9}",
        "task", "pending", "running", "done", "failed", "min", "median", "max", "std", "s/child"
    );
    let trials = store.trials(None)?;
    let mut totals = [0usize; 4];
    let mut seconds = 0.0;
    for s in archinfer::store::summarize(&store.tasks()?, &trials) {
        for (t, c) in totals.iter_mut().zip(s.counts) {
            *t += c;
        }
        seconds += s.train_seconds;
        let std = s.val_std.map(|v| format!("{v:>6.3}")).unwrap_or_else(|| format!("{:>6}", "-"));
        let per = if s.counts[2] > 0 { s.train_seconds / s.counts[2] as f64 } else { 0.0 };
        let acc = s
            .val_accuracy
            .map(|[a, b, c]| format!("{a:>6.3} {b:>6.3} {c:>6.3}"))
            .unwrap_or_else(|| format!("{:>6} {:>6} {:>6}", "-", "-", "-"));
        outln!(
            "{:<28} {:>7} {:>7} {:>7} {:>7}  {acc} {std}  {per:>9.3}",
            s.task, s.counts[0], s.counts[1], s.counts[2], s.counts[3]
        );
    }
    outln!(
        "{:<28} {:>7} {:>7} {:>7} {:>7}  training time of done children: {:.1} s",
        "total", totals[0], totals[1], totals[2], totals[3], seconds
    );
    let rates = worker_rates(&store.workers()?, &trials, archinfer::store::now_ms(), a.live_secs as i64 * 1000);
    let live: Vec<&WorkerRate> = rates.iter().filter(|r| r.live).collect();
    let rate: f64 = live.iter().map(|r| r.per_hour).sum();
    outln!("");
    outln!("workers: {} live (heard from within {} s), {} known", live.len(), a.live_secs, rates.len());
    if !live.is_empty() {
        outln!("{:<36} {:>9} {:>8} {:>12} {:>10}", "worker", "heard", "running", "done/10 min", "per hour");
        for r in &live {
            outln!("{:<36} {:>7.1} s {:>8} {:>12} {:>10.0}", r.name, r.silent_s, r.running, r.recent, r.per_hour);
        }
    }
    let left = totals[0] + totals[1];
    if left == 0 {
        outln!("plan: done ({} trials)", totals[2] + totals[3]);
    } else if rate > 0.0 {
        let eta = left as f64 / rate * 3600.0;
        outln!("plan: {left} trials left at {rate:.0} children/hour: ETA {}", hms(eta));
    } else {
        outln!("plan: {left} trials left, no live worker (start `archinfer build-db --db {}`)", a.db);
    }
    Ok(())
}

/// `1 h 02 min`, `3 min 10 s`, `12 s`.
fn hms(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
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

/// The checksum of one task's trials: every field of every trial, in trial order.
fn trials_checksum(trials: &[Trial]) -> Result<String, BoxError> {
    Ok(archinfer::store::fnv1a_hex([serde_json::to_string(trials)?.as_bytes()]))
}

/// `archinfer db copy`.
pub fn copy(a: &CopyArgs) -> Result<(), BoxError> {
    if a.from == a.to {
        return Err("--from and --to are the same database".into());
    }
    let batch = a.batch.max(1);
    let src = open_existing(&a.from)?;
    let dst = open_or_create(&a.to)?;
    let (sv, dv) = (src.schema_version()?, dst.schema_version()?);
    if sv != dv {
        return Err(format!("schema versions differ: {} has {sv}, {} has {dv}", a.from, a.to).into());
    }
    // Metadata first: a destination built with other settings is refused before anything else.
    let meta = src.meta_entries()?;
    for (k, v) in &meta {
        match dst.meta(k)? {
            Some(d) if &d != v => {
                return Err(format!("{}: metadata `{k}` differs from {} (is it another database?)", a.to, a.from).into());
            }
            Some(_) => {}
            None => dst.set_meta(k, v)?,
        }
    }
    let tasks = src.tasks()?;
    let have = dst.tasks()?;
    let all = src.trials(None)?;
    let bar = crate::bar(all.len() as u64, "trials");
    // What each task's trials and samples hash to in the source, for the verification.
    let mut expected = Vec::with_capacity(tasks.len());
    for t in &tasks {
        let data = src.task_data(&t.name)?;
        match (have.iter().find(|h| h.name == t.name), &data) {
            (Some(h), _) if h != t => return Err(format!("{}: task `{}` differs from {}", a.to, t.name, a.from).into()),
            (Some(_), Some(d)) => dst.attach_task_data(&t.name, d)?,
            (Some(_), None) => {}
            (None, Some(d)) => dst.create_task(t, d)?,
            (None, None) => dst.add_task(t)?,
        }
        let mine: Vec<Trial> = all.iter().filter(|x| x.task == t.name).cloned().collect();
        expected.push((mine.len(), trials_checksum(&mine)?, data.as_ref().map(archinfer::store::TaskData::checksum)));
        for chunk in mine.chunks(batch) {
            dst.import_trials(&t.name, chunk).map_err(|e| -> BoxError {
                match e {
                    archinfer::store::StoreError::TrialExists { task, trial_index } => format!(
                        "{}: trial {trial_index} of task `{task}` differs from the one in {} (is it another database?)",
                        a.to, a.from
                    )
                    .into(),
                    e => e.into(),
                }
            })?;
            bar.inc(chunk.len() as u64);
            bar.set_message(t.name.clone());
        }
    }
    bar.finish_and_clear();
    // Verify: counts and checksums of every task's record, samples and trials, and the metadata.
    let mut trials_n = 0;
    for (t, (n, cs, ds)) in tasks.iter().zip(&expected) {
        let d = dst.trials(Some(&t.name))?;
        let cd = trials_checksum(&d)?;
        if *n != d.len() || *cs != cd {
            return Err(format!("verification failed for task `{}`: {n} trials ({cs}) in {}, {} ({cd}) in {}", t.name, a.from, d.len(), a.to).into());
        }
        if *ds != dst.task_data(&t.name)?.as_ref().map(archinfer::store::TaskData::checksum) {
            return Err(format!("verification failed: the samples of task `{}` differ", t.name).into());
        }
        trials_n += n;
    }
    let dmeta: Vec<(String, String)> = dst.meta_entries()?.into_iter().filter(|(k, _)| meta.iter().any(|(m, _)| m == k)).collect();
    if dmeta != meta {
        return Err("verification failed: metadata differs".into());
    }
    let whole = trials_checksum(&all)?;
    outln!(
        "copied {} tasks, {trials_n} trials and {} metadata entries from {} to {}; verified: counts and checksums match (trials {whole})",
        tasks.len(),
        meta.len(),
        a.from,
        a.to
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(worker: &str, status: TrialStatus, claimed: i64, finished: Option<i64>) -> Trial {
        Trial {
            id: 0,
            task: "t".into(),
            trial_index: 0,
            architecture: "{}".into(),
            seed: 0,
            status,
            worker: Some(worker.into()),
            result: None,
            error: None,
            claimed_at: Some(claimed),
            finished_at: finished,
        }
    }

    #[test]
    fn rates_count_the_last_ten_minutes_from_the_first_claim() {
        let now = 100_000_000;
        let trials = vec![
            trial("a", TrialStatus::Done, now - 60_000, Some(now - 30_000)),
            trial("a", TrialStatus::Failed, now - 30_000, Some(now - 1_000)),
            trial("a", TrialStatus::Running, now - 1_000, None),
            // Finished before the window: not counted.
            trial("a", TrialStatus::Done, now - 3_600_000, Some(now - 3_000_000)),
            trial("b", TrialStatus::Done, now - 2_000_000, Some(now - 1_900_000)),
        ];
        let workers = [WorkerInfo { name: "a".into(), silent_ms: 5_000 }, WorkerInfo { name: "b".into(), silent_ms: 40_000 }];
        let r = worker_rates(&workers, &trials, now, 30_000);
        // Two trials over the 60 s since the first of them was claimed: 120 an hour.
        assert_eq!((r[0].recent, r[0].running, r[0].live), (2, 1, true));
        approx::assert_relative_eq!(r[0].per_hour, 120.0);
        assert_eq!((r[1].recent, r[1].live), (0, false));
        approx::assert_relative_eq!(r[1].per_hour, 0.0);
        assert_eq!(hms(42.0), "42 s");
        assert_eq!(hms(190.0), "3 min 10 s");
        assert_eq!(hms(3720.0), "1 h 02 min");
    }
}
