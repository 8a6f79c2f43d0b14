//! `archinfer build-db` end to end on the synthetic suite (no downloaded data): several
//! processes on one database file, and resume after `kill -9`.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use archinfer::store::{ExperimentStore, SqliteStore, TrialStatus};

fn build_db(db: &Path, children: usize, epochs: usize, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_archinfer"));
    c.args(["build-db", "--suite", "synthetic3", "--workers", "2", "--lr", "0.01", "--pool", "0"])
        .args(["--children", &children.to_string(), "--epochs", &epochs.to_string()])
        .arg("--db")
        .arg(db)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn recorded_by(child: Child) -> usize {
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "build-db failed: {err}");
    err.lines()
        .find_map(|l| l.strip_prefix("this process recorded ").and_then(|r| r.split(' ').next()))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in: {err}"))
}

fn assert_all_done_once(db: &Path, expected: usize) {
    let store = SqliteStore::open(db).unwrap();
    let trials = store.trials(None).unwrap();
    assert_eq!(trials.len(), expected);
    assert!(trials.iter().all(|t| t.status == TrialStatus::Done), "{:?}", store.summary().unwrap());
    let mut keys: Vec<(String, usize)> = trials.iter().map(|t| (t.task.clone(), t.trial_index)).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), expected, "each (task, trial index) once");
}

#[test]
fn two_processes_share_one_plan() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    // Plan first so both processes start on the same plan.
    let planned = build_db(&db, 12, 3, &["--max-trials", "1"]).spawn().unwrap();
    assert_eq!(recorded_by(planned), 1);
    let a = build_db(&db, 12, 3, &[]).spawn().unwrap();
    let b = build_db(&db, 12, 3, &[]).spawn().unwrap();
    let (na, nb) = (recorded_by(a), recorded_by(b));
    assert_eq!(1 + na + nb, 36, "every trial trained once in all: {na} + {nb}");
    assert_all_done_once(&db, 36);
}

#[test]
fn resumes_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let mut victim = build_db(&db, 30, 40, &[]).spawn().unwrap();
    // Wait until some trials are done, then kill without warning.
    let start = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if db.exists()
            && let Ok(store) = SqliteStore::open(&db)
        {
            let done = store.trials(None).map(|t| t.iter().filter(|x| x.status == TrialStatus::Done).count()).unwrap_or(0);
            if done >= 3 {
                break;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    let store = SqliteStore::open(&db).unwrap();
    let before = store.trials(None).unwrap();
    let done_before = before.iter().filter(|t| t.status == TrialStatus::Done).count();
    let running: Vec<i64> = before.iter().filter(|t| t.status == TrialStatus::Running).map(|t| t.id).collect();
    assert!(done_before < 90, "the kill came too late to test anything");
    drop(store);
    // The dead workers' heartbeats go stale after 1 s; their running trials are run again.
    std::thread::sleep(Duration::from_millis(1500));
    let again = build_db(&db, 30, 40, &["--stale-secs", "1"]).spawn().unwrap();
    let n = recorded_by(again);
    assert_eq!(done_before + n, 90, "the rerun trained exactly what was missing");
    assert_all_done_once(&db, 90);
    let store = SqliteStore::open(&db).unwrap();
    let after = store.trials(None).unwrap();
    for id in running {
        assert_eq!(after.iter().find(|t| t.id == id).unwrap().status, TrialStatus::Done);
    }
}

#[test]
fn resuming_with_other_settings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    assert_eq!(recorded_by(build_db(&db, 2, 1, &["--max-trials", "1"]).spawn().unwrap()), 1);
    let out = build_db(&db, 2, 2, &[]).spawn().unwrap().wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("use another --db"));
    let out = Command::new(env!("CARGO_BIN_EXE_archinfer"))
        .args(["db", "status", "--db"])
        .arg(dir.path().join("missing.sqlite"))
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn says_which_path_trains_and_accepts_a_recipe_stored_before_the_recipe_fields() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let out = build_db(&db, 2, 1, &["--max-trials", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("children train on the fused CPU trainer"), "{err}");
    // A database written before `weight_decay` / `dropout` existed stores the recipe without
    // them: the same recipe, so build-db goes on.
    {
        let store = SqliteStore::open(&db).unwrap();
        let old = r#"{"learning_rate":0.01,"epochs":1,"batch_size":64,"eval_batch_size":2048}"#;
        store.set_meta("train_config", old).unwrap();
    }
    let out = build_db(&db, 2, 1, &["--max-trials", "1", "--train-path", "burn"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("children train on the burn trainer"), "{err}");
    // A path that does not exist is refused by clap, naming it.
    let out = build_db(&db, 2, 1, &["--train-path", "sideways"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sideways"));
}
