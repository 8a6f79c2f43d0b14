//! `archinfer evaluate compare` on a task a user adds to a copy of the shipped text database:
//! `build-db` gives it the database's pool and its random children, and the comparison reports
//! every method for it at K = 1 and 3, as JSON lines that parse.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archinfer")).args(args).output().unwrap()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(name)
}

/// Two topics of short texts.
fn write_csv(path: &Path, n: usize) {
    let topics = [["stocks", "market", "shares", "bank"], ["cat", "dog", "kitten", "vet"]];
    let mut s = String::from("text,label\n");
    for i in 0..n {
        let c = i % 2;
        let words: Vec<&str> = (0..8).map(|j| if (i + j) % 3 == 0 { topics[c][(i * 7 + j) % 4] } else { ["the", "a", "new", "of"][(i + j) % 4] }).collect();
        s += &format!("{},topic{c}\n", words.join(" "));
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn a_task_added_later_gets_the_pool_and_is_compared() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("text14.sqlite");
    std::fs::copy(shipped("text14.sqlite"), &db).unwrap();
    let csv = tmp.path().join("mine.csv");
    write_csv(&csv, 240);
    let (dbs, csvs) = (db.to_str().unwrap(), csv.to_str().unwrap());
    let before = common::table_rows(&db, "trials", "id");
    ok(&run(&["task", "add", "--db", dbs, "--name", "mine", "--data", csvs]), "task add");
    let out = run(&["build-db", "--db", dbs, "--children", "3", "--workers", "2"]);
    ok(&out, "build-db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let pool: i64 = {
        let meta: String = conn.query_row("SELECT value FROM meta WHERE key = 'pool'", [], |r| r.get(0)).unwrap();
        serde_json::from_str::<serde_json::Value>(&meta).unwrap()["members"].as_array().unwrap().len() as i64
    };
    assert!(pool >= 64, "{pool}");
    let mine = "(SELECT id FROM tasks WHERE name = 'mine')";
    assert_eq!(count(&format!("SELECT COUNT(*) FROM trials WHERE task_id = {mine} AND trial_index >= 1000000 AND status = 'done'")), pool);
    assert_eq!(count(&format!("SELECT COUNT(*) FROM trials WHERE task_id = {mine} AND trial_index < 1000000 AND status = 'done'")), 3);
    // The same pool members as on a shipped task, with the same seeds.
    let same = count(&format!(
        "SELECT COUNT(*) FROM trials a JOIN trials b ON a.trial_index = b.trial_index AND a.architecture = b.architecture AND a.seed = b.seed
         WHERE a.task_id = {mine} AND b.task_id = (SELECT MIN(id) FROM tasks) AND a.trial_index >= 1000000"
    ));
    assert_eq!(same, pool);
    drop(conn);
    // Nothing recorded before was touched.
    let after = common::table_rows(&db, "trials", "id");
    assert_eq!(&after[..before.len()], &before[..]);

    let out_dir = tmp.path().join("cmp");
    let args = [
        "evaluate", "compare", "--db", dbs, "--tasks", "mine", "--budgets", "1,3", "--json", "--out", out_dir.to_str().unwrap(),
        "--sample-module", "wl64", "--dvn-set", "min_steps=0,max_steps=30", "--starts", "4", "--iters", "50", "--random-orders", "200",
    ];
    let json = ok(&run(&args), "evaluate compare");
    let rows: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for method in ["proposal", "single-best", "portfolio", "nearest-task", "random", "hindsight-default"] {
        for k in [1, 3] {
            let r = rows.iter().find(|r| r["method"] == method && r["k"] == k).unwrap_or_else(|| panic!("{method} at K = {k}: {json}"));
            assert_eq!(r["task"], "mine");
            let acc = r["test_accuracy"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&acc), "{r}");
            assert!(r["normalized_regret"].as_f64().unwrap().is_finite());
        }
    }
    assert!(rows.iter().all(|r| r["k"] == 1 || r["k"] == 3));
    assert!(out_dir.join("compare.md").exists() && out_dir.join("proposals.jsonl").exists());
    // A rerun reads the trained proposals back instead of training again.
    let again = ok(&run(&args), "evaluate compare, resumed");
    assert_eq!(again, json);
    // Few-shot adaptation, TPE and the portfolio-then-random method, on two replicates: the
    // earlier rows are unchanged, the run and the replicates are logged once each.
    let adaptive: Vec<&str> = args.iter().copied().chain(["--adaptive", "--replicates", "2"]).collect();
    let with = ok(&run(&adaptive), "evaluate compare --adaptive --replicates 2");
    let rows: Vec<serde_json::Value> = with.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for method in ["adaptive", "tpe", "portfolio-random"] {
        assert_eq!(rows.iter().filter(|r| r["method"] == method).count(), 2, "{method}: {with}");
    }
    assert!(json.lines().all(|l| with.lines().any(|w| w == l)), "the rows without --adaptive are unchanged");
    let lines = |f: &str| std::fs::read_to_string(out_dir.join(f)).unwrap().lines().count();
    assert_eq!((lines("adaptive-priors.jsonl"), lines("replicates.jsonl")), (1, 2));
    let r2 = std::fs::read_to_string(out_dir.join("compare-r2.md")).unwrap();
    assert!(r2.contains("R = 2 replicates") && r2.contains("| adaptive |") && r2.contains(" ± "), "{r2}");
    // Bad budgets and unknown tasks are clear errors.
    let e = run(&["evaluate", "compare", "--db", dbs, "--tasks", "nope", "--out", out_dir.to_str().unwrap()]);
    assert!(!e.status.success() && String::from_utf8_lossy(&e.stderr).contains("no task `nope`"));
    let e = run(&["evaluate", "compare", "--db", dbs, "--budgets", "0", "--out", out_dir.to_str().unwrap()]);
    assert!(!e.status.success() && String::from_utf8_lossy(&e.stderr).contains("budgets"));
}

#[test]
fn a_database_without_a_pool_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let dbs = db.to_str().unwrap();
    ok(&run(&["build-db", "--db", dbs, "--suite", "synthetic3", "--children", "2", "--workers", "1", "--epochs", "1", "--pool", "0"]), "build-db");
    let e = run(&["evaluate", "compare", "--db", dbs, "--out", tmp.path().join("c").to_str().unwrap()]);
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(!e.status.success() && msg.contains("no pool") && msg.contains("--pool"), "{msg}");
    // A smaller pool than the stored one is refused, naming both; a larger one grows it.
    ok(&run(&["build-db", "--db", dbs, "--children", "2", "--workers", "1", "--epochs", "1", "--pool", "3"]), "build-db --pool 3");
    let e = run(&["build-db", "--db", dbs, "--children", "2", "--workers", "1", "--epochs", "1", "--pool", "2"]);
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(!e.status.success() && msg.contains("3 members") && msg.contains("asks for 2") && msg.contains("never shrinks"), "{msg}");
    ok(&run(&["build-db", "--db", dbs, "--children", "2", "--workers", "1", "--epochs", "1", "--pool", "4"]), "build-db --pool 4");
    let status = ok(&run(&["db", "status", "--db", dbs]), "db status");
    assert!(status.lines().filter(|l| l.split_whitespace().nth(3) == Some("6")).count() == 3, "2 children + 4 pool members on each task: {status}");
    // A module no task carries, or one the space has, is a typed error naming it; nothing is written.
    let snapshot = || ["tasks", "trials", "task_data", "meta"].map(|t| common::table_rows(&db, t, "rowid"));
    let before = snapshot();
    for (add, says) in [("hog144", "does not carry it"), ("p8", "has it already")] {
        let e = run(&["build-db", "--db", dbs, "--children", "2", "--workers", "1", "--epochs", "1", "--add-modules", add]);
        let msg = String::from_utf8_lossy(&e.stderr);
        assert!(!e.status.success() && msg.contains(&format!("module `{add}`")) && msg.contains(says), "{msg}");
    }
    assert!(snapshot() == before, "a refused migration writes nothing");
    // The last module of the space named again (a rerun of a finished migration) does nothing.
    ok(&run(&["build-db", "--db", dbs, "--children", "2", "--workers", "1", "--epochs", "1", "--add-modules", "p2"]), "rerun");
    assert!(snapshot() == before, "a rerun of a migration changes nothing");
    let e = run(&["build-db", "--db", dbs, "--children", "3", "--workers", "1", "--epochs", "1", "--draw-modules", "p2,p2"]);
    assert!(!e.status.success() && String::from_utf8_lossy(&e.stderr).contains("named twice"));
    assert!(snapshot() == before, "a refused --draw-modules writes nothing");
    // Asking a version-2 database for version 1 names both versions.
    ok(&run(&["build-db", "--db", dbs, "--children", "2", "--workers", "1", "--epochs", "1", "--pool", "4", "--space-version", "2"]), "migrate");
    let e = run(&["build-db", "--db", dbs, "--children", "2", "--workers", "1", "--epochs", "1", "--pool", "4", "--space-version", "1"]);
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(!e.status.success() && msg.contains("version 1") && msg.contains("version 2"), "{msg}");

    // The split-half check: every task gets a proposal from the half it is not in, and every
    // method a row; a rerun into the folder with other settings is refused.
    let out = tmp.path().join("halves");
    let lines = ok(&run(&["evaluate", "compare", "--db", dbs, "--split-half", "0", "--budgets", "1", "--json", "--out", out.to_str().unwrap()]), "split-half");
    let rows: Vec<serde_json::Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Seven methods without --adaptive: the proposal, single-best, portfolio, portfolio-random,
    // nearest-task, random, hindsight-default.
    assert_eq!(rows.len(), 3 * 7, "{lines}");
    assert_eq!(rows.iter().filter(|r| r["method"] == "proposal").count(), 3);
    let fits: Vec<f64> = std::fs::read_to_string(out.join("proposals.jsonl")).unwrap().lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["fit_seconds"].as_f64().unwrap()).collect();
    assert_eq!(fits.len(), 3);
    let e = run(&["evaluate", "compare", "--db", dbs, "--split-half", "1", "--budgets", "1", "--out", out.to_str().unwrap()]);
    assert!(!e.status.success() && String::from_utf8_lossy(&e.stderr).contains("other settings"));
    let e = run(&["evaluate", "compare", "--db", dbs, "--split-half", "0", "--tasks", "blobs2x16"]);
    assert!(!e.status.success() && String::from_utf8_lossy(&e.stderr).contains("--tasks"));
}
