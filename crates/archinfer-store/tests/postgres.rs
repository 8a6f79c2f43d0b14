//! The store contract on a real PostgreSQL server (`ARCHINFER_TEST_POSTGRES`), plus what only
//! a server can show: exactly-once delivery to worker *processes*, reconnection, and the typed
//! errors of bad locations. Without a server these tests print why they are skipped; under
//! `CI=true` they fail instead.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use archinfer_store::testing::{self, postgres_url, scratch_schema, with_schema};
use archinfer_store::{ExperimentStore, PostgresOptions, PostgresStore, StoreError, TrialStatus};

/// A store in a fresh schema of the test server, dropped by the caller.
fn scratch(test: &str) -> Option<(String, PostgresStore)> {
    let url = with_schema(&postgres_url(test)?, &scratch_schema(test));
    let store = PostgresStore::connect(&url).unwrap();
    Some((url, store))
}

#[test]
fn the_whole_contract_on_postgres() {
    let Some(base) = postgres_url("the_whole_contract_on_postgres") else {
        return;
    };
    let schemas = std::sync::Mutex::new(Vec::new());
    testing::check_all(&|| {
        let url = with_schema(&base, &scratch_schema("contract"));
        schemas.lock().unwrap().push(url.clone());
        let a: Arc<dyn ExperimentStore> = Arc::new(PostgresStore::connect(&url).unwrap());
        let b: Arc<dyn ExperimentStore> = Arc::new(PostgresStore::connect(&url).unwrap());
        (a, b)
    });
    for url in schemas.into_inner().unwrap() {
        PostgresStore::connect(&url).unwrap().drop_schema().unwrap();
    }
}

/// Run by `exactly_once_with_four_worker_processes` as a child process: drains the plan at
/// `ARCHINFER_WORKER_URL` as worker `ARCHINFER_WORKER_NAME`, printing each claimed trial id.
#[test]
#[ignore = "a helper process of exactly_once_with_four_worker_processes"]
fn worker_process() {
    let (Ok(url), Ok(name)) = (std::env::var("ARCHINFER_WORKER_URL"), std::env::var("ARCHINFER_WORKER_NAME")) else {
        panic!("run by exactly_once_with_four_worker_processes");
    };
    let store = PostgresStore::connect(&url).unwrap();
    while let Some(t) = store.claim(&name).unwrap() {
        std::thread::sleep(Duration::from_millis(3));
        assert!(store.complete(t.id, &name, Ok(testing::result(0.5))).unwrap());
        println!("CLAIMED {}", t.id);
    }
}

#[test]
fn exactly_once_with_four_worker_processes() {
    let Some((url, store)) = scratch("exactly_once_with_four_worker_processes") else {
        return;
    };
    testing::install_result_audit(&store);
    testing::plan(&store, 4, 50);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|w| {
            std::process::Command::new(&exe)
                .args(["worker_process", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
                .env("ARCHINFER_WORKER_URL", &url)
                .env("ARCHINFER_WORKER_NAME", format!("proc{w}"))
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut per_worker = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a worker process failed");
        let ids: Vec<i64> = out
            .stdout
            .lines()
            .map_while(std::result::Result::ok)
            // The harness prints `test worker_process ... ` before the first line, unterminated.
            .filter_map(|l| l.split_once("CLAIMED ").map(|(_, x)| x.trim().parse().unwrap()))
            .collect();
        per_worker.push(ids);
    }
    let all: Vec<i64> = per_worker.concat();
    let unique: HashSet<i64> = all.iter().copied().collect();
    eprintln!("trials per worker process: {:?}", per_worker.iter().map(Vec::len).collect::<Vec<_>>());
    assert_eq!(all.len(), 200, "no trial lost");
    assert_eq!(unique.len(), 200, "no trial delivered twice");
    assert!(per_worker.iter().filter(|w| !w.is_empty()).count() >= 2, "the processes shared the work");
    let trials = store.trials(None).unwrap();
    assert_eq!(trials.len(), 200);
    assert!(trials.iter().all(|t| t.status == TrialStatus::Done));
    let writes = testing::result_writes(&store);
    assert_eq!(writes.len(), 200);
    assert!(writes.values().all(|&n| n == 1), "a result was written twice");
    store.drop_schema().unwrap();
}

#[test]
fn a_terminated_connection_is_replaced_and_nothing_is_lost() {
    let Some((url, store)) = scratch("a_terminated_connection_is_replaced_and_nothing_is_lost") else {
        return;
    };
    testing::plan(&store, 1, 6);
    let admin = PostgresStore::connect(&url).unwrap();
    let mut done = 0;
    for i in 0.. {
        if i % 2 == 0 {
            // Kill this store's server process between operations: the next one reconnects.
            let pid = store.backend_pid().unwrap();
            let mut c = admin.raw_client().unwrap();
            c.execute("SELECT pg_terminate_backend($1)", &[&pid]).unwrap();
        }
        let Some(t) = store.claim("w").unwrap() else {
            break;
        };
        assert!(store.complete(t.id, "w", Ok(testing::result(0.5))).unwrap());
        done += 1;
    }
    assert_eq!(done, 6);
    assert_eq!(store.summary().unwrap()[0].counts, archinfer_store::StateCounts { done: 6, ..Default::default() });
    admin.drop_schema().unwrap();
}

#[test]
fn a_newer_schema_is_refused() {
    let Some((url, store)) = scratch("a_newer_schema_is_refused") else {
        return;
    };
    let mut c = store.raw_client().unwrap();
    c.execute(&format!("INSERT INTO {}.schema_migrations (version) VALUES (99)", store.schema()), &[]).unwrap();
    match PostgresStore::connect(&url) {
        Err(e @ StoreError::SchemaTooNew { found: 99, .. }) => eprintln!("{e}"),
        other => panic!("{other:?}"),
    }
    store.drop_schema().unwrap();
}

#[test]
fn wrong_credentials_are_a_typed_error() {
    let Some(base) = postgres_url("wrong_credentials_are_a_typed_error") else {
        return;
    };
    let config: postgres::Config = base.parse().unwrap();
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("postgres");
    let url = format!("postgres://{}:definitely-wrong@{host}:{port}/{db}", config.get_user().unwrap_or("archinfer"));
    let started = Instant::now();
    match PostgresStore::connect(&url) {
        Err(e @ StoreError::Authentication { .. }) => {
            let msg = e.to_string();
            assert!(!msg.contains("definitely-wrong"), "the password is not printed: {msg}");
            eprintln!("{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_unreachable_server_is_a_typed_error_without_a_hang() {
    // Nothing listens on port 1; connection is refused at once.
    let started = Instant::now();
    let options = PostgresOptions { connect_timeout: Duration::from_secs(2), ..PostgresOptions::default() };
    match PostgresStore::connect_with("postgres://u:pw@127.0.0.1:1/db", options.clone()) {
        Err(e @ StoreError::Unreachable { .. }) => eprintln!("{e}"),
        other => panic!("{other:?}"),
    }
    // A non-routable address: the connect timeout, not the operating system's, ends the wait.
    match PostgresStore::connect_with("postgres://u:pw@10.255.255.1:5432/db", options) {
        Err(e @ StoreError::Unreachable { .. }) => eprintln!("{e}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
}
