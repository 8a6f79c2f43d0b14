//! A restart of the PostgreSQL server in the middle of `build-db`: the workers report the lost
//! connection, reconnect with backoff, and finish, with nothing lost. Needs a server
//! (`ARCHINFER_TEST_POSTGRES`) and the command that restarts it (`ARCHINFER_TEST_PG_RESTART`,
//! e.g. `pg_ctlcluster 15 main restart`); this is its own test binary so no other test is
//! connected when the server goes down. Skipped with the reason printed without them; under
//! `CI=true` it fails instead.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use archinfer_store::testing::{self, postgres_url, scratch_schema, with_schema};
use archinfer_store::{ExperimentStore, PostgresStore, TrialStatus};

#[test]
fn build_db_rides_out_a_server_restart() {
    let Some(base) = postgres_url("build_db_rides_out_a_server_restart") else { return };
    let Some(restart) = std::env::var("ARCHINFER_TEST_PG_RESTART").ok().filter(|s| !s.trim().is_empty()) else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but ARCHINFER_TEST_PG_RESTART is unset");
        let _ = writeln!(std::io::stderr(), "SKIPPED build_db_rides_out_a_server_restart: set ARCHINFER_TEST_PG_RESTART");
        return;
    };
    let url = with_schema(&base, &scratch_schema("restart"));
    let store = PostgresStore::connect(&url).unwrap();
    testing::install_result_audit(&store);
    drop(store);
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_archinfer"))
            .args(["build-db", "--db", &url, "--suite", "synthetic3", "--children", "200", "--epochs", "60", "--lr", "0.01", "--pool", "0"])
            .args(["--workers", "2", "--stale-secs", "30"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let workers = vec![spawn(), spawn()];
    std::thread::sleep(Duration::from_secs(4));
    let status = Command::new("sh").args(["-c", &restart]).status().unwrap();
    assert!(status.success(), "`{restart}` failed");
    eprintln!("restarted the server with `{restart}`");
    let mut reported = 0;
    for w in workers {
        let out = w.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "a worker did not finish: {err}");
        if err.contains("lost the connection") && err.contains("reconnected") {
            reported += 1;
        }
        for l in err.lines().filter(|l| l.contains("connection") || l.contains("reconnected") || l.contains("reach")).take(4) {
            eprintln!("worker said: {l}");
        }
    }
    assert_eq!(reported, 2, "both workers reported the lost connection and the reconnection");
    let store = PostgresStore::connect(&url).unwrap();
    let trials = store.trials(None).unwrap();
    assert_eq!(trials.len(), 600);
    assert!(trials.iter().all(|t| t.status == TrialStatus::Done), "nothing lost");
    let writes = testing::result_writes(&store);
    assert_eq!(writes.len(), 600);
    assert!(writes.values().all(|&n| n == 1), "no result written twice");
    store.drop_schema().unwrap();
}
