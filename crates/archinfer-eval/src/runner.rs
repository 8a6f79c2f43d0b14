//! Long evaluations as resumable logs: every finished job is one JSON line of a
//! [`ResumableRuns`] file, read back on the next start so only what is missing runs again, and
//! [`run_jobs`] runs the missing jobs on worker threads, appending each result as it lands.

use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{EvalError, Result};

/// A JSON-lines file of finished runs of type `T`: read on start, appended to as runs finish
/// (one line each, flushed, so a stop loses at most the run in flight).
#[derive(Debug)]
pub struct ResumableRuns<T> {
    path: PathBuf,
    lock: Mutex<()>,
    _of: PhantomData<fn() -> T>,
}

/// A run log's (or output file's) failure, naming the file.
pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> EvalError {
    EvalError::RunLog { path: path.display().to_string(), message: e.to_string() }
}

impl<T: Serialize + DeserializeOwned> ResumableRuns<T> {
    /// The log at `path` (created on the first append).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), lock: Mutex::new(()), _of: PhantomData }
    }

    /// Where the log lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every run recorded so far (none for a missing file).
    ///
    /// # Errors
    /// [`EvalError::RunLog`] naming the file and line that does not parse.
    pub fn read(&self) -> Result<Vec<T>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.path, e)),
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| serde_json::from_str(l).map_err(|e| io(&self.path, format!("line {}: {e}", i + 1))))
            .collect()
    }

    /// Appends one run (safe from several threads).
    ///
    /// # Errors
    /// [`EvalError::RunLog`] when the file cannot be written.
    pub fn append(&self, run: &T) -> Result<()> {
        let line = serde_json::to_string(run).map_err(|e| io(&self.path, e))?;
        let _g = self.lock.lock().map_err(|_| io(&self.path, "a writer panicked"))?;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.path).map_err(|e| io(&self.path, e))?;
        writeln!(f, "{line}").map_err(|e| io(&self.path, e))?;
        f.flush().map_err(|e| io(&self.path, e))
    }
}

/// Runs `jobs` on `workers` threads: each thread makes its own state with `init` (a device, a
/// trainer, prepared tasks) and calls `work` on the jobs it takes, last first; every result
/// that is `Some` is appended to `log` and passed to `done`. The first error stops each thread
/// at its next job and is returned.
///
/// # Errors
/// The first error of `init`, `work` or the log; a worker thread that panicked.
pub fn run_jobs<J, R, S>(
    jobs: Vec<J>,
    workers: usize,
    log: &ResumableRuns<R>,
    init: &(dyn Fn() -> Result<S> + Sync),
    work: &(dyn Fn(&mut S, J) -> Result<Option<R>> + Sync),
    done: &(dyn Fn(Option<&R>) + Sync),
) -> Result<()>
where
    J: Send,
    R: Serialize + DeserializeOwned,
{
    let queue = Mutex::new(jobs);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    let mut state = init()?;
                    loop {
                        if failed.load(std::sync::atomic::Ordering::Relaxed) {
                            return Ok(());
                        }
                        let Some(job) = queue.lock().map_err(|_| EvalError::BadOptions("a worker panicked".into()))?.pop() else {
                            return Ok(());
                        };
                        let r = work(&mut state, job).inspect_err(|_| failed.store(true, std::sync::atomic::Ordering::Relaxed))?;
                        if let Some(r) = &r {
                            log.append(r)?;
                        }
                        done(r.as_ref());
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(EvalError::BadOptions("a worker thread panicked".into())))).collect()
    });
    results.into_iter().collect()
}

/// Records `settings` at `path` (JSON) on an output folder's first run, and refuses a later run
/// with other settings, so one folder never mixes results made differently.
///
/// # Errors
/// [`EvalError::RunLog`] naming the file, for other settings or a file that cannot be written.
pub fn pin_run_settings<T: Serialize + DeserializeOwned + PartialEq>(path: &Path, settings: &T) -> Result<()> {
    match std::fs::read_to_string(path) {
        Ok(s) if serde_json::from_str::<T>(&s).ok().as_ref() != Some(settings) => {
            Err(io(path, format!("results made with other settings ({s}); use another output folder")))
        }
        Ok(_) => Ok(()),
        Err(_) => std::fs::write(path, serde_json::to_string_pretty(settings).map_err(|e| io(path, e))?).map_err(|e| io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_resumes_and_jobs_run_once() {
        let tmp = tempfile::tempdir().unwrap();
        let log = ResumableRuns::<(u32, u32)>::new(tmp.path().join("runs.jsonl"));
        assert!(log.read().unwrap().is_empty());
        log.append(&(1, 1)).unwrap();
        // Jobs 0..6 minus what is logged; each squared on one of two threads.
        let have: Vec<u32> = log.read().unwrap().iter().map(|r| r.0).collect();
        let jobs: Vec<u32> = (0..6).filter(|j| !have.contains(j)).collect();
        let count = std::sync::atomic::AtomicUsize::new(0);
        run_jobs(jobs, 2, &log, &|| Ok(()), &|_, j| Ok((j != 4).then_some((j, j * j))), &|_| {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        let mut runs = log.read().unwrap();
        runs.sort_unstable();
        assert_eq!(runs, vec![(0, 0), (1, 1), (2, 4), (3, 9), (5, 25)]);
        assert_eq!(count.into_inner(), 5, "done sees every job, skipped ones too");
        // Settings pin a folder.
        let settings = tmp.path().join("settings.json");
        pin_run_settings(&settings, &(1, 2)).unwrap();
        pin_run_settings(&settings, &(1, 2)).unwrap();
        assert!(pin_run_settings(&settings, &(1, 3)).unwrap_err().to_string().contains("other settings"));
        // A bad line is named.
        std::fs::write(log.path(), "[1,1]\nnot json\n").unwrap();
        assert!(log.read().unwrap_err().to_string().contains("line 2"));
        // An error stops the run and comes back.
        let e = run_jobs(vec![1u32], 1, &log, &|| Ok(()), &|_, _| Err(EvalError::BadOptions("boom".into())), &|_| {});
        assert!(matches!(e, Err(EvalError::BadOptions(m)) if m == "boom"));
    }
}
