//! Text end to end from the command line, with no downloaded data: text CSVs become tasks of a
//! database, children are trained, a value network is fitted, and `infer`, `fit` and `predict`
//! take text as they take images; a model of the other modality is a clear error.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archinfer")).args(args).output().unwrap()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A CSV of `n` short texts over `classes` topics (a topic's words plus common ones), with a
/// quoted field holding a comma and a newline.
fn write_csv(path: &Path, n: usize, classes: usize, seed: u64) {
    let topics = [
        ["stocks", "market", "shares", "bank", "profit", "merger"],
        ["cat", "dog", "kitten", "leash", "vet", "purr"],
        ["goal", "match", "team", "coach", "league", "referee"],
    ];
    let common = ["the", "a", "of", "and", "to", "new", "after", "today"];
    let mut x = seed;
    let mut next = || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    let mut s = String::from("id,text,label\n");
    for i in 0..n {
        let c = i % classes;
        let words: Vec<&str> = (0..6 + next() % 10).map(|_| if next() % 5 < 2 { topics[c][next() % 6] } else { common[next() % 8] }).collect();
        let text = if i == 0 { format!("\"{}, and\nmore\"", words.join(" ")) } else { words.join(" ") };
        s += &format!("{i},{text},topic{c}\n");
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn text_tasks_from_csv_to_a_trained_network() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, db) = (tmp.path().join("a.csv"), tmp.path().join("b.csv"), tmp.path().join("text.sqlite"));
    write_csv(&a, 200, 2, 1);
    write_csv(&b, 240, 3, 2);
    let (a, b, db) = (a.to_str().unwrap(), b.to_str().unwrap(), db.to_str().unwrap());
    ok(&run(&["task", "add", "--db", db, "--name", "a", "--data", a]), "task add a");
    ok(&run(&["task", "add", "--db", db, "--name", "b", "--data", b, "--text", "text", "--label", "label"]), "task add b");
    ok(&run(&["build-db", "--db", db, "--children", "6", "--workers", "1", "--epochs", "3"]), "build-db");
    let model = tmp.path().join("model");
    let model = model.to_str().unwrap();
    ok(&run(&["train-dvn", "--db", db, "--out", model, "--sample-module", "wl64", "--dvn-set", "min_steps=0,max_steps=40"]), "train-dvn");
    let p: serde_json::Value = serde_json::from_str(&ok(&run(&["infer", "--model", model, "--data", a, "--json"]), "infer")).unwrap();
    let arch = p["architecture"].as_str().unwrap();
    assert!(["wl64", "wl128", "wl256", "hash128", "lex1024", "char1024", "tfidf-word", "tfidf-char"].iter().any(|m| arch.starts_with(m)), "{arch}");

    let fitted = tmp.path().join("fitted");
    let fitted = fitted.to_str().unwrap();
    ok(&run(&["fit", "--model", model, "--data", b, "--out", fitted, "--candidates", "2", "--db", db, "--record", db, "--name", "b-again"]), "fit");
    let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(Path::new(fitted).join("fitted.json")).unwrap()).unwrap();
    assert_eq!(f["modality"], "texts");
    let p: serde_json::Value = serde_json::from_str(&ok(&run(&["predict", "--model", fitted, "--data", b, "--split", "test", "--json"]), "predict")).unwrap();
    approx::assert_abs_diff_eq!(p["accuracy"].as_f64().unwrap(), f["test_accuracy"].as_f64().unwrap(), epsilon = 1e-6);

    // The other modality: a clear error, both ways.
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/dress-coat-occluded-noisy");
    let out = run(&["infer", "--model", model, "--data", images.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && e.contains("the model reads texts") && e.contains("these data are images"), "{e}");
    let image_model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/fmnist14-without-dress-coat");
    let out = run(&["infer", "--model", image_model.to_str().unwrap(), "--data", a]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && e.contains("the model reads images") && e.contains("these data are texts"), "{e}");

    // Bad text input: named file and line.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "text,label\nfine,a\n  ,b\n").unwrap();
    let out = run(&["task", "add", "--db", db, "--name", "bad", "--data", bad.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && e.contains("bad.csv") && e.contains("line 3") && e.contains("empty text"), "{e}");
}
