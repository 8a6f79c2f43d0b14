//! Operations over whole stores: worker rates for `db status`, and copying a database between
//! any two stores, resumable and verified.

use archinfer_checksum::fnv1a_hex;

use crate::error::Result;
use crate::error::StoreError;
use crate::store::ExperimentStore;
use crate::types::{TaskData, Trial, TrialStatus, WorkerInfo};

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

/// `1 h 02 min`, `3 min 10 s`, `12 s`.
pub fn hms(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// What [`copy`] copied and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Tasks copied.
    pub tasks: usize,
    /// Trials in the destination, all verified.
    pub trials: usize,
    /// Metadata entries copied.
    pub meta: usize,
    /// Checksum of every trial of the source.
    pub checksum: String,
}

/// The checksum of trials: every field of every trial, in the order given.
///
/// # Errors
/// [`StoreError::Copy`] if the trials cannot be serialised.
pub fn trials_checksum(trials: &[Trial]) -> Result<String> {
    let json = serde_json::to_string(trials).map_err(|e| StoreError::Copy(e.to_string()))?;
    Ok(fnv1a_hex([json.as_bytes()]))
}

/// Copies a whole database (metadata, tasks with their samples, trials in batches of `batch`)
/// from `src` to `dst`; what `dst` already has is kept, so an interrupted copy resumes.
/// Verified at the end by counts and checksums of every task's record, samples and trials, and
/// the metadata. `progress(trials_copied, total)` is called after each batch.
///
/// # Errors
/// [`StoreError::Copy`] for stores of different schema versions, a destination whose metadata,
/// tasks or trials differ from the source's (another database), or a failed verification;
/// store failures.
pub fn copy(src: &dyn ExperimentStore, dst: &dyn ExperimentStore, batch: usize, progress: &mut dyn FnMut(usize, usize)) -> Result<CopyReport> {
    let batch = batch.max(1);
    let (sv, dv) = (src.schema_version()?, dst.schema_version()?);
    if sv != dv {
        return Err(StoreError::Copy(format!("schema versions differ: the source has {sv}, the destination {dv}")));
    }
    // Metadata first: a destination built with other settings is refused before anything else.
    let meta = src.meta_entries()?;
    for (k, v) in &meta {
        match dst.meta(k)? {
            Some(d) if &d != v => {
                return Err(StoreError::Copy(format!("metadata `{k}` differs in the destination (is it another database?)")));
            }
            Some(_) => {}
            None => dst.set_meta(k, v)?,
        }
    }
    let tasks = src.tasks()?;
    let have = dst.tasks()?;
    let all = src.trials(None)?;
    let mut done = 0;
    let mut expected = Vec::with_capacity(tasks.len());
    for t in &tasks {
        let data = src.task_data(&t.name)?;
        match (have.iter().find(|h| h.name == t.name), &data) {
            (Some(h), _) if h != t => {
                return Err(StoreError::Copy(format!("task `{}` differs in the destination", t.name)));
            }
            (Some(_), Some(d)) => dst.attach_task_data(&t.name, d)?,
            (Some(_), None) => {}
            (None, Some(d)) => dst.create_task(t, d)?,
            (None, None) => dst.add_task(t)?,
        }
        let mine: Vec<Trial> = all.iter().filter(|x| x.task == t.name).cloned().collect();
        expected.push((mine.len(), trials_checksum(&mine)?, data.as_ref().map(TaskData::checksum)));
        for chunk in mine.chunks(batch) {
            dst.import_trials(&t.name, chunk).map_err(|e| match e {
                StoreError::TrialExists { task, trial_index } => {
                    StoreError::Copy(format!("trial {trial_index} of task `{task}` differs in the destination (is it another database?)"))
                }
                e => e,
            })?;
            done += chunk.len();
            progress(done, all.len());
        }
    }
    let mut trials = 0;
    for (t, (n, cs, ds)) in tasks.iter().zip(&expected) {
        let d = dst.trials(Some(&t.name))?;
        let cd = trials_checksum(&d)?;
        if *n != d.len() || *cs != cd {
            return Err(StoreError::Copy(format!(
                "verification failed for task `{}`: {n} trials ({cs}) in the source, {} ({cd}) in the destination",
                t.name,
                d.len()
            )));
        }
        if *ds != dst.task_data(&t.name)?.as_ref().map(TaskData::checksum) {
            return Err(StoreError::Copy(format!("verification failed: the samples of task `{}` differ", t.name)));
        }
        trials += n;
    }
    let dmeta: Vec<(String, String)> = dst.meta_entries()?.into_iter().filter(|(k, _)| meta.iter().any(|(m, _)| m == k)).collect();
    if dmeta != meta {
        return Err(StoreError::Copy("verification failed: metadata differs".into()));
    }
    Ok(CopyReport { tasks: tasks.len(), trials, meta: meta.len(), checksum: trials_checksum(&all)? })
}

/// The state of a database as `archinfer db status` reports it: the text it prints, and the
/// facts a caller acts on as typed fields (not words to search the text for).
#[derive(Debug, Clone, PartialEq)]
pub struct DbStatus {
    /// The report: per-task counts, totals, live workers and the plan's ETA.
    pub text: String,
    /// Trials pending or running.
    pub trials_left: usize,
    /// Workers heard from within the liveness window.
    pub live_workers: usize,
    /// Children per hour of the live workers together.
    pub children_per_hour: f64,
}

impl DbStatus {
    /// Whether trials are left that no live worker is training: someone should start
    /// `archinfer build-db`.
    pub fn needs_worker(&self) -> bool {
        self.trials_left > 0 && self.children_per_hour <= 0.0
    }
}

/// What `archinfer db status` prints for `store` at `now` (ms): per-task trial counts and the
/// spread of validation accuracy, totals, the workers heard from within `live_secs` with their
/// rates, and the plan's ETA at those rates ([`status`]'s text).
///
/// # Errors
/// Store failures.
pub fn status_text(store: &dyn ExperimentStore, now: i64, live_secs: u64) -> Result<String> {
    Ok(status(store, now, live_secs)?.text)
}

/// The status of `store` at `now` (ms), workers heard from within `live_secs` counting as
/// live: the report [`status_text`] prints, and its facts as fields.
///
/// # Errors
/// Store failures.
pub fn status(store: &dyn ExperimentStore, now: i64, live_secs: u64) -> Result<DbStatus> {
    let mut out = String::new();
    macro_rules! put {
        ($($t:tt)*) => {{
            out += &format!($($t)*);
            out.push('\n');
        }};
    }
    put!(
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
    let mut totals = crate::summary::StateCounts::default();
    let mut seconds = 0.0;
    for s in crate::summary::summarize(&store.tasks()?, &trials) {
        totals = totals.plus(s.counts);
        seconds += s.train_seconds;
        let std = s.val_std.map(|v| format!("{v:>6.3}")).unwrap_or_else(|| format!("{:>6}", "-"));
        let per = if s.counts.done > 0 { s.train_seconds / s.counts.done as f64 } else { 0.0 };
        let acc = s.val_accuracy.map(|[a, b, c]| format!("{a:>6.3} {b:>6.3} {c:>6.3}")).unwrap_or_else(|| format!("{:>6} {:>6} {:>6}", "-", "-", "-"));
        put!("{:<28} {:>7} {:>7} {:>7} {:>7}  {acc} {std}  {per:>9.3}", s.task, s.counts.pending, s.counts.running, s.counts.done, s.counts.failed);
    }
    put!(
        "{:<28} {:>7} {:>7} {:>7} {:>7}  training time of done children: {:.1} s",
        "total",
        totals.pending,
        totals.running,
        totals.done,
        totals.failed,
        seconds
    );
    let rates = worker_rates(&store.workers()?, &trials, now, live_secs as i64 * 1000);
    let live: Vec<&WorkerRate> = rates.iter().filter(|r| r.live).collect();
    let rate: f64 = live.iter().map(|r| r.per_hour).sum();
    put!("");
    put!("workers: {} live (heard from within {} s), {} known", live.len(), live_secs, rates.len());
    if !live.is_empty() {
        put!("{:<36} {:>9} {:>8} {:>12} {:>10}", "worker", "heard", "running", "done/10 min", "per hour");
        for r in &live {
            put!("{:<36} {:>7.1} s {:>8} {:>12} {:>10.0}", r.name, r.silent_s, r.running, r.recent, r.per_hour);
        }
    }
    let left = totals.open();
    if left == 0 {
        put!("plan: done ({} trials)", totals.finished());
    } else if rate > 0.0 {
        let eta = left as f64 / rate * 3600.0;
        put!("plan: {left} trials left at {rate:.0} children/hour: ETA {}", hms(eta));
    } else {
        put!("plan: {left} trials left, no live worker");
    }
    Ok(DbStatus { text: out, trials_left: left, live_workers: live.len(), children_per_hour: rate })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::now_ms;
    use approx::assert_relative_eq;

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
        assert_relative_eq!(r[0].per_hour, 120.0);
        assert_eq!((r[1].recent, r[1].live), (0, false));
        assert_relative_eq!(r[1].per_hour, 0.0);
        assert_eq!(hms(42.0), "42 s");
        assert_eq!(hms(190.0), "3 min 10 s");
        assert_eq!(hms(3720.0), "1 h 02 min");
    }

    fn small_store(extra: u32) -> crate::memory::MemoryStore {
        let s = crate::memory::MemoryStore::new();
        s.set_meta("suite", "demo").unwrap();
        s.create_task(&crate::types::TaskRecord::new("t", "demo", 2), &TaskData::new("x", vec![1, 2, 3])).unwrap();
        let rows: Vec<_> = (0..5u32)
            .map(|i| {
                let r = crate::types::TrialResult { val_accuracy: 0.5, test_accuracy: 0.4 + 0.01 * (i + extra) as f32, seconds: 1.0, num_params: 10, epochs_run: 2 };
                (crate::types::PlannedTrial { trial_index: i as usize, architecture: "{}".into(), seed: 0 }, r)
            })
            .collect();
        s.record_trials("t", "w", &rows).unwrap();
        s
    }

    #[test]
    fn a_copy_is_verified_resumes_and_refuses_another_database() {
        let src = small_store(0);
        let dst = crate::memory::MemoryStore::new();
        let mut calls = 0;
        let r = copy(&src, &dst, 2, &mut |done, total| {
            calls += 1;
            assert!(done <= total && total == 5);
        })
        .unwrap();
        assert_eq!((r.tasks, r.trials, r.meta, calls), (1, 5, 1, 3));
        assert_eq!(r.checksum, trials_checksum(&src.trials(None).unwrap()).unwrap());
        // Again: nothing new, still verified.
        assert_eq!(copy(&src, &dst, 2, &mut |_, _| {}).unwrap().trials, 5);
        // A destination holding other trials is another database.
        let e = copy(&small_store(1), &dst, 2, &mut |_, _| {}).unwrap_err();
        assert!(matches!(&e, StoreError::Copy(m) if m.contains("differs")), "{e}");
    }

    #[test]
    fn status_names_counts_and_the_plan() {
        let text = status_text(&small_store(0), now_ms(), 30).unwrap();
        assert!(text.contains("t ") && text.contains("plan: done (5 trials)") && text.contains("workers: 0 live"), "{text}");
        let st = status(&small_store(0), now_ms(), 30).unwrap();
        assert_eq!((st.trials_left, st.live_workers, st.needs_worker()), (0, 0, false));
        // Trials left and nobody training them: a worker is needed, whatever the text says.
        let waiting = DbStatus { text: String::new(), trials_left: 3, live_workers: 0, children_per_hour: 0.0 };
        assert!(waiting.needs_worker());
        assert!(!DbStatus { children_per_hour: 120.0, live_workers: 1, ..waiting }.needs_worker());
    }
}
