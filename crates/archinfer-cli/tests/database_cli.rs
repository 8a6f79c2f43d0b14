//! The life-long database from the command line: commands that work from the database file
//! alone (no Fashion-MNIST), `task add` then `build-db`, `fit` / `predict` / `--record`, and
//! bad input that leaves the database unchanged.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use archinfer::data::ImageSet;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn shipped_db() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/fmnist14.sqlite")
}

fn shipped_model() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/fmnist14-without-dress-coat")
}

/// Runs the binary with Fashion-MNIST pointed at an empty directory.
fn run(args: &[&str], no_images: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archinfer")).args(args).env("ARCHINFER_FASHION_MNIST", no_images).output().unwrap()
}

fn ok(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn err(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure, got: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `n` 28 × 28 images of `classes` classes: class `c` lights a square whose place depends on
/// `c`, over uniform noise.
fn images(n: usize, classes: u8, seed: u64) -> ImageSet {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pixels = Vec::with_capacity(n * 784);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = (i % classes as usize) as u8;
        let (y0, x0) = ((c as usize * 6) % 20, (c as usize * 9) % 20);
        for y in 0..28 {
            for x in 0..28 {
                let on = (y0..y0 + 8).contains(&y) && (x0..x0 + 8).contains(&x);
                let v: f32 = if on { 0.6 } else { 0.0 } + rng.random_range(0.0..0.4f32);
                pixels.push((v * 255.0).round() / 255.0);
            }
        }
        labels.push(c);
    }
    ImageSet { pixels, labels, side: 28 }
}

mod common;

/// Every row of `table`, each column `quote()`d, in rowid order.
fn rows(db: &Path, table: &str) -> Vec<String> {
    common::table_rows(db, table, "rowid")
}

fn snapshot(db: &Path) -> Vec<Vec<String>> {
    vec![rows(db, "tasks"), rows(db, "trials"), rows(db, "task_data"), rows(db, "meta")]
}

#[test]
fn the_database_alone_is_enough_without_fashion_mnist() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-images");
    std::fs::create_dir_all(&empty).unwrap();
    let db = tmp.path().join("db.sqlite");
    std::fs::copy(shipped_db(), &db).unwrap();
    let db = db.to_str().unwrap();
    let quick = "min_steps=0,max_steps=40";
    let model = tmp.path().join("model");
    ok(&run(&["train-dvn", "--db", db, "--out", model.to_str().unwrap(), "--exclude", "trouser-bag", "--dvn-set", quick], &empty), "train-dvn");
    assert!(model.join("dvn.json").exists() && model.join("library.json").exists());
    let p = tmp.path().join("predict");
    ok(
        &run(&["evaluate", "predict", "--db", db, "--repeats", "1", "--variants", "none", "--tasks", "trouser-bag", "--dvn-set", quick, "--out", p.to_str().unwrap()], &empty),
        "evaluate predict",
    );
    assert!(std::fs::read_to_string(p.join("runs.jsonl")).unwrap().contains("trouser-bag"));
    let s = tmp.path().join("search");
    let out = ok(
        &run(
            &["evaluate", "search", "--db", db, "--tasks", "trouser-bag", "--repeats", "1", "--no-continuous", "--iters", "50", "--dvn-set", quick, "--out", s.to_str().unwrap()],
            &empty,
        ),
        "evaluate search",
    );
    assert!(out.contains("trouser-bag"), "{out}");
    let e = tmp.path().join("export");
    ok(&run(&["db", "export-task", "--db", db, "--task", "trouser-bag", "--out", e.to_str().unwrap()], &empty), "db export-task");
    let back = archinfer::data::load_mnist_dir(&e).unwrap();
    assert_eq!(back.len(), 1500);
}

#[test]
fn a_new_task_gets_its_children_and_the_others_stay_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-images");
    std::fs::create_dir_all(&empty).unwrap();
    let data = tmp.path().join("mine");
    images(150, 3, 1).write_dir(&data, true).unwrap();
    let db = tmp.path().join("db.sqlite");
    std::fs::copy(shipped_db(), &db).unwrap();
    let before = rows(&db, "trials");
    let dbs = db.to_str().unwrap();
    ok(&run(&["task", "add", "--db", dbs, "--name", "mine", "--data", data.to_str().unwrap()], &empty), "task add");
    ok(&run(&["build-db", "--db", dbs, "--children", "20", "--workers", "1"], &empty), "build-db");
    let status = ok(&run(&["db", "status", "--db", dbs], &empty), "db status");
    let line = status.lines().find(|l| l.starts_with("mine ")).unwrap_or_else(|| panic!("{status}"));
    let counts: Vec<&str> = line.split_whitespace().collect();
    // 20 random children and the database's 96-member pool.
    assert_eq!(&counts[1..5], &["0", "0", "116", "0"], "{line}");
    let after = rows(&db, "trials");
    assert_eq!(after.len(), before.len() + 116);
    assert_eq!(&after[..before.len()], &before[..], "every other task's trial rows are byte-identical");
}

#[test]
fn task_add_refuses_bad_input_and_leaves_the_database_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-images");
    std::fs::create_dir_all(&empty).unwrap();
    let good = tmp.path().join("good");
    images(60, 2, 2).write_dir(&good, false).unwrap();
    let db = tmp.path().join("db.sqlite");
    let dbs = db.to_str().unwrap();
    ok(&run(&["task", "add", "--db", dbs, "--name", "first", "--data", good.to_str().unwrap()], &empty), "task add");
    let snap = snapshot(&db);

    let e = err(&run(&["task", "add", "--db", dbs, "--name", "first", "--data", good.to_str().unwrap()], &empty));
    assert!(e.contains("already exists"), "{e}");

    let truncated = tmp.path().join("truncated");
    std::fs::create_dir_all(&truncated).unwrap();
    let bytes = std::fs::read(good.join("train-images-idx3-ubyte")).unwrap();
    std::fs::write(truncated.join("train-images-idx3-ubyte"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::copy(good.join("train-labels-idx1-ubyte"), truncated.join("train-labels-idx1-ubyte")).unwrap();
    let e = err(&run(&["task", "add", "--db", dbs, "--name", "t", "--data", truncated.to_str().unwrap()], &empty));
    assert!(e.contains("train-images-idx3-ubyte"), "{e}");

    let mismatched = tmp.path().join("mismatched");
    images(60, 2, 2).write_dir(&mismatched, false).unwrap();
    images(50, 2, 2).write_dir(&tmp.path().join("fewer"), false).unwrap();
    std::fs::copy(tmp.path().join("fewer/train-labels-idx1-ubyte"), mismatched.join("train-labels-idx1-ubyte")).unwrap();
    let e = err(&run(&["task", "add", "--db", dbs, "--name", "t", "--data", mismatched.to_str().unwrap()], &empty));
    assert!(e.contains("train-labels-idx1-ubyte"), "{e}");

    let small = tmp.path().join("small");
    ImageSet { pixels: vec![0.5; 60 * 196], labels: (0..60).map(|i| (i % 2) as u8).collect(), side: 14 }.write_dir(&small, false).unwrap();
    let e = err(&run(&["task", "add", "--db", dbs, "--name", "t", "--data", small.to_str().unwrap()], &empty));
    assert!(e.contains("14 × 14") && e.contains("784"), "{e}");

    let csv = tmp.path().join("narrow.csv");
    std::fs::write(&csv, (0..20).map(|i| format!("0.1,0.2,0.3,{}\n", i % 2)).collect::<String>()).unwrap();
    let e = err(&run(&["task", "add", "--db", dbs, "--name", "t", "--data", csv.to_str().unwrap()], &empty));
    assert!(e.contains("narrow.csv") && e.contains("784"), "{e}");

    assert_eq!(snapshot(&db), snap, "no bad input changed the database");

    // Images do not fit a database of feature-set tasks (the synthetic suite's space).
    let synth = tmp.path().join("synthetic.sqlite");
    ok(&run(&["suite", "add", "synthetic3", "--db", synth.to_str().unwrap()], &empty), "suite add");
    let snap = snapshot(&synth);
    let e = err(&run(&["task", "add", "--db", synth.to_str().unwrap(), "--name", "img", "--data", good.to_str().unwrap()], &empty));
    assert!(e.contains("does not fit the database's space") && e.contains("pool4"), "{e}");
    assert_eq!(snapshot(&synth), snap);
}

#[test]
fn fit_then_predict_reproduces_the_test_accuracy_and_record_adds_k_trials() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-images");
    std::fs::create_dir_all(&empty).unwrap();
    let data = tmp.path().join("task");
    images(300, 3, 3).write_dir(&data, true).unwrap();
    let out = tmp.path().join("fitted");
    let db = tmp.path().join("grow.sqlite");
    let (datas, outs, dbs) = (data.to_str().unwrap(), out.to_str().unwrap(), db.to_str().unwrap());
    let model = shipped_model();
    let model = model.to_str().unwrap();
    let fit = ["fit", "--model", model, "--data", datas, "--out", outs, "--candidates", "2", "--epochs", "5", "--record", dbs, "--name", "squares"];
    let printed = ok(&run(&fit, &empty), "fit");
    assert!(printed.contains("test"), "{printed}");
    let fitted: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("fitted.json")).unwrap()).unwrap();
    let test_acc = fitted["test_accuracy"].as_f64().unwrap();
    assert_eq!(fitted["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(rows(&db, "trials").len(), 2, "--record adds exactly K trials");
    ok(&run(&fit, &empty), "fit again");
    assert_eq!(rows(&db, "trials").len(), 4, "and K more on every use");
    // The database now trains 5 epochs: a recording with another length is refused, unwritten.
    let mut other = fit;
    other[10] = "7";
    let e = err(&run(&other, &empty));
    assert!(e.contains("--epochs 7") && e.contains("5 epochs"), "{e}");
    assert_eq!(rows(&db, "trials").len(), 4);

    let p = ok(&run(&["predict", "--model", outs, "--data", datas, "--split", "test", "--json"], &empty), "predict");
    let p: serde_json::Value = serde_json::from_str(&p).unwrap();
    assert_eq!(p["samples"].as_u64(), Some(60));
    approx::assert_abs_diff_eq!(p["accuracy"].as_f64().unwrap(), test_acc, epsilon = 1e-6);

    // Unlabelled CSV: 784 columns.
    let set = images(5, 3, 4);
    let csv = tmp.path().join("unlabelled.csv");
    std::fs::write(&csv, set.pixels.chunks(784).map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",") + "\n").collect::<String>()).unwrap();
    let p = ok(&run(&["predict", "--model", outs, "--data", csv.to_str().unwrap(), "--json"], &empty), "predict unlabelled");
    let p: serde_json::Value = serde_json::from_str(&p).unwrap();
    assert_eq!(p["predictions"].as_array().unwrap().len(), 5);
    assert!(p["accuracy"].is_null());

    // Wrong column count: the error names the file and the line.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "\n1,2,3\n").unwrap();
    let e = err(&run(&["predict", "--model", outs, "--data", bad.to_str().unwrap()], &empty));
    assert!(e.contains("bad.csv") && e.contains("line 2"), "{e}");

    // An edited file, then a missing one.
    let arch = out.join("architecture.json");
    let text = std::fs::read_to_string(&arch).unwrap();
    std::fs::write(&arch, text.replacen("\"dim\"", " \"dim\"", 1)).unwrap();
    let e = err(&run(&["predict", "--model", outs, "--data", datas], &empty));
    assert!(e.contains("architecture.json"), "{e}");
    std::fs::write(&arch, text).unwrap();
    std::fs::remove_file(out.join("model.bpk")).unwrap();
    let e = err(&run(&["predict", "--model", outs, "--data", datas], &empty));
    assert!(e.contains("model.bpk"), "{e}");
}

#[test]
fn bad_database_locations_are_typed_errors_that_name_the_problem() {
    let none = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let e = err(&run(&["db", "status", "--db", "mysql://me:secret@host/db"], none.path()));
    assert!(e.contains("unknown database scheme `mysql://`"), "{e}");
    assert!(!e.contains("secret"), "the password is not printed: {e}");
    // Nothing listens on port 1: refused at once, and the message says where.
    let e = err(&run(&["db", "status", "--db", "postgres://me:secret@127.0.0.1:1/db"], none.path()));
    assert!(e.contains("cannot reach the PostgreSQL server me@127.0.0.1:1/db"), "{e}");
    assert!(!e.contains("secret"), "{e}");
    let e = err(&run(&["db", "status", "--db", "postgres://me@127.0.0.1:1/db?schema=Bad-Name"], none.path()));
    assert!(e.contains("schema `Bad-Name`"), "{e}");
    let e = err(&run(&["db", "status", "--db", none.path().join("missing.sqlite").to_str().unwrap()], none.path()));
    assert!(e.contains("no such database"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn an_interrupted_db_copy_resumes_to_a_row_identical_database() {
    let none = tempfile::tempdir().unwrap();
    let copy = none.path().join("copy.sqlite");
    let (from, to) = (shipped_db(), copy.clone());
    let args = ["db", "copy", "--from", from.to_str().unwrap(), "--to", to.to_str().unwrap()];
    assert!(ok(&run(&args, none.path()), "db copy").contains("verified"));
    // Leave the copy as an interruption would: the last tasks missing, and the trials of the
    // tasks before them cut off part-way (each batch is one transaction).
    {
        let c = rusqlite::Connection::open(&copy).unwrap();
        c.execute_batch(
            "DELETE FROM trials WHERE task_id >= 12 OR id > 1750;
             DELETE FROM task_data WHERE task_id >= 12;
             DELETE FROM tasks WHERE id >= 12;",
        )
        .unwrap();
    }
    // Rows by primary key (a copy writes the metadata in key order, not the source's order).
    let keyed = |db: &Path| {
        let mut s = snapshot(db);
        s[3].sort();
        s
    };
    assert_ne!(keyed(&copy), keyed(&shipped_db()));
    let out = ok(&run(&args, none.path()), "the resumed db copy");
    assert!(out.contains("copied 30 tasks, 20880 trials") && out.contains("verified"), "{out}");
    assert_eq!(keyed(&copy), keyed(&shipped_db()), "row for row identical after the resume");
    // A destination that holds a different database is refused, naming what differs.
    let c = rusqlite::Connection::open(&copy).unwrap();
    c.execute("UPDATE trials SET seed = seed + 1 WHERE id = 5", []).unwrap();
    drop(c);
    let e = err(&run(&args, none.path()));
    assert!(e.contains("trial 4 of task `") && e.contains("differs"), "{e}");
}
