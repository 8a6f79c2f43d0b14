//! `build-db` on a real PostgreSQL server (`ARCHINFER_TEST_POSTGRES`): four worker processes
//! on one database, twenty `kill -9`s among them, then restarts until the plan is done. Every
//! planned trial must be done exactly once and no result written twice (a trigger logs every
//! write of a result). Also `db copy` of the shipped database SQLite → PostgreSQL → SQLite,
//! row for row. Without a server these tests print why they are skipped; under `CI=true` they
//! fail instead.

#![allow(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use archinfer_store::testing::{self, postgres_url, scratch_schema, with_schema};
use archinfer_store::{ExperimentStore, PostgresStore, TrialStatus};

const CHILDREN: usize = 200;

fn build_db(url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_archinfer"))
        .args(["build-db", "--db", url, "--suite", "synthetic3", "--pool", "0", "--children", &CHILDREN.to_string()])
        .args(["--epochs", "40", "--lr", "0.01", "--workers", "1", "--stale-secs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// xorshift64*, seeded, so a failing run can be repeated.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
    }
}

#[test]
fn four_build_db_processes_survive_twenty_kill_9s() {
    let Some(base) = postgres_url("four_build_db_processes_survive_twenty_kill_9s") else {
        return;
    };
    let url = with_schema(&base, &scratch_schema("kill9"));
    let store = PostgresStore::connect(&url).unwrap();
    testing::install_result_audit(&store);
    let seed = 0x5eed_u64;
    eprintln!("kill schedule seed {seed:#x}");
    let mut rng = Rng(seed);
    let mut workers: Vec<Child> = (0..4).map(|_| build_db(&url)).collect();
    let mut kills = 0;
    let started = Instant::now();
    while kills < 20 {
        std::thread::sleep(Duration::from_millis(150 + rng.next(350)));
        let i = rng.next(4) as usize;
        // A worker that finished on its own is simply restarted; only a kill of a live
        // process counts.
        if workers[i].try_wait().unwrap().is_none() {
            workers[i].kill().unwrap();
            kills += 1;
        }
        workers[i].wait().unwrap();
        workers[i] = build_db(&url);
    }
    eprintln!("20 kill -9s in {:.1} s", started.elapsed().as_secs_f64());
    let left = |s: &PostgresStore| s.summary().unwrap().iter().map(|x| x.counts.open()).sum::<usize>();
    eprintln!("after the kills: {} trials not done", left(&store));
    for w in &mut workers {
        assert!(w.wait().unwrap().success(), "a build-db process that was not killed failed");
    }
    // Restart workers until the plan is done (running trials of killed workers are requeued
    // once their heartbeats are 2 s old).
    let mut rounds = 0;
    while left(&store) > 0 {
        rounds += 1;
        assert!(rounds <= 10, "the plan did not finish: {} left", left(&store));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(build_db(&url).wait().unwrap().success());
    }
    let trials = store.trials(None).unwrap();
    assert_eq!(store.tasks().unwrap().len(), 3, "four processes adding the suite at once made each task once");
    assert_eq!(trials.len(), 3 * CHILDREN, "every planned trial exists once");
    assert!(trials.iter().all(|t| t.status == TrialStatus::Done), "every trial done");
    let writes = testing::result_writes(&store);
    assert_eq!(writes.len(), 3 * CHILDREN, "every trial's result written");
    let twice: Vec<_> = writes.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "results written more than once: {twice:?}");
    let requeued = testing::requeues(&store);
    eprintln!("{} trials done exactly once after 20 kills ({requeued} trials of killed workers requeued) and {rounds} restart rounds", trials.len());
    assert!(requeued > 0, "the kills hit workers holding trials");
    store.drop_schema().unwrap();
}

mod common;

/// Every row of every table of a SQLite file, `quote()`d, in primary-key order.
fn sqlite_rows(path: &std::path::Path) -> Vec<String> {
    [("meta", "key"), ("tasks", "id"), ("task_data", "task_id"), ("trials", "id")]
        .iter()
        .flat_map(|(table, order)| common::table_rows(path, table, order).into_iter().map(move |r| format!("{table}|{r}")))
        .collect()
}

#[test]
fn db_copy_round_trip_of_the_shipped_database_is_row_identical() {
    let Some(base) = postgres_url("db_copy_round_trip_of_the_shipped_database_is_row_identical") else {
        return;
    };
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fmnist14.sqlite");
    let url = with_schema(&base, &scratch_schema("copy"));
    let dir = tempfile::tempdir().unwrap();
    let back = dir.path().join("back.sqlite");
    let copy = |from: &str, to: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_archinfer")).args(["db", "copy", "--from", from, "--to", to]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "db copy failed: {}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("verified"), "{text}");
        text
    };
    let shipped_s = shipped.to_str().unwrap();
    copy(shipped_s, &url);
    // Copying again is a resumed copy with nothing left: it adds nothing and verifies.
    copy(shipped_s, &url);
    copy(&url, back.to_str().unwrap());
    let (a, b) = (sqlite_rows(&shipped), sqlite_rows(&back));
    assert_eq!(a.len(), b.len());
    assert!(a.iter().filter(|r| r.starts_with("trials|")).count() >= 2800);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "a row changed on the round trip");
    }
    PostgresStore::connect(&url).unwrap().drop_schema().unwrap();
}

#[test]
fn db_copy_refuses_a_different_database_and_names_the_difference() {
    let Some(base) = postgres_url("db_copy_refuses_a_different_database_and_names_the_difference") else {
        return;
    };
    let url = with_schema(&base, &scratch_schema("copyconflict"));
    let store = PostgresStore::connect(&url).unwrap();
    store.set_meta("suite", "something-else").unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fmnist14.sqlite");
    let out = Command::new(env!("CARGO_BIN_EXE_archinfer")).args(["db", "copy", "--from", shipped.to_str().unwrap(), "--to", &url]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("metadata `suite` differs"), "{err}");
    assert!(store.tasks().unwrap().is_empty(), "nothing was copied");
    store.drop_schema().unwrap();
}
