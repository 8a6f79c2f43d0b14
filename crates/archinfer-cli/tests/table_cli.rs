//! Tables end to end from the command line, with no downloaded data: CSV and ARFF tables of
//! numbers, categories and missing values become tasks of a database, children are trained, a
//! value network with the column-pooled tower is fitted, and `infer`, `fit`, `predict` and
//! `fit --record` take tables as they take images and texts.

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

fn fails(out: &Output, what: &str) -> String {
    assert!(!out.status.success(), "{what} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A table of `n` rows: `age` (number, some missing), `city` (category, some missing), `score`
/// (number), `id` (identifier-like, left out), the class depending on age, city and score.
fn rows(n: usize, seed: u64, label: bool) -> String {
    let mut x = seed;
    let mut next = || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    let cities = ["paris", "lyon", "\"saint-denis, nord\"", "nice"];
    let mut s = String::from(if label { "id,age,city,score,label\n" } else { "id,age,city,score\n" });
    for i in 0..n {
        let age = 18 + next() % 60;
        let c = next() % 4;
        let score = (next() % 1000) as f64 / 100.0;
        let class = if (age > 45) ^ (c >= 2) ^ (score > 7.5) { "yes" } else { "no" };
        let age_cell = if i % 11 == 3 { "NA".to_string() } else { age.to_string() };
        let city_cell = if i % 13 == 5 { "" } else { cities[c] };
        s += &format!("row{i},{age_cell},{city_cell},{score}");
        if label {
            s += &format!(",{class}");
        }
        s += "\n";
    }
    s
}

#[test]
fn table_tasks_from_csv_and_arff_to_a_trained_network() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |f: &str| tmp.path().join(f).to_str().unwrap().to_string();
    let (a, b, c, db) = (p("a.csv"), p("b.tsv"), p("c.arff"), p("tab.sqlite"));
    std::fs::write(&a, rows(240, 1, true)).unwrap();
    std::fs::write(&b, rows(200, 2, true).replace(',', "\t").replace("\"saint-denis\tnord\"", "saint-denis")).unwrap();
    let mut arff = String::from("% a weka-style table\n@relation c\n@attribute x numeric\n@attribute colour {red, green, blue}\n@attribute class {p, q} % two classes\n@data\n");
    for i in 0..150 {
        let x = if i % 17 == 0 { "?".to_string() } else { format!("{}", (i * 7) % 23) };
        arff += &format!("{x},{},{}\n", ["red", "green", "blue"][i % 3], if (i * 7) % 23 > 11 { "p" } else { "q" });
    }
    std::fs::write(&c, arff).unwrap();
    let out = ok(&run(&["task", "add", "--db", &db, "--name", "a", "--data", &a]), "task add a");
    assert!(out.contains("240 samples"), "{out}");
    ok(&run(&["task", "add", "--db", &db, "--name", "b", "--data", &b, "--label", "label"]), "task add b");
    ok(&run(&["task", "add", "--db", &db, "--name", "c", "--data", &c]), "task add c");
    ok(&run(&["build-db", "--db", &db, "--children", "6", "--workers", "1", "--epochs", "3"]), "build-db");
    let model = p("model");
    ok(&run(&["train-dvn", "--db", &db, "--out", &model, "--dvn-set", "min_steps=0,max_steps=40"]), "train-dvn");
    let j: serde_json::Value = serde_json::from_str(&ok(&run(&["infer", "--model", &model, "--data", &a, "--json"]), "infer")).unwrap();
    let arch = j["architecture"].as_str().unwrap();
    assert!(["tab-std", "tab-quantile", "tab-ple", "tab-rp64"].iter().any(|m| arch.starts_with(m)), "{arch}");
    // A budget reads the task's own widths (a few columns here), not the modules' declared 4,096.
    let j: serde_json::Value = serde_json::from_str(&ok(&run(&["infer", "--model", &model, "--data", &a, "--max-params", "600", "--json"]), "infer with a budget")).unwrap();
    assert!(j["params"].as_u64().unwrap() <= 600, "{j}");

    // fit with --record, then predict with and without the label column.
    let fitted = p("fitted");
    ok(&run(&["fit", "--model", &model, "--data", &a, "--out", &fitted, "--candidates", "2", "--record", &db, "--name", "a-again"]), "fit");
    assert!(Path::new(&fitted).join("schema.json").exists());
    let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(Path::new(&fitted).join("fitted.json")).unwrap()).unwrap();
    assert_eq!(f["modality"], "tables");
    let pr: serde_json::Value = serde_json::from_str(&ok(&run(&["predict", "--model", &fitted, "--data", &a, "--split", "test", "--json"]), "predict")).unwrap();
    approx::assert_abs_diff_eq!(pr["accuracy"].as_f64().unwrap(), f["test_accuracy"].as_f64().unwrap(), epsilon = 1e-6);
    // Unlabelled rows, columns in another order: one label per row, in order.
    let unlabelled = p("new.csv");
    let text = rows(25, 9, false);
    let reordered: String = text
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.splitn(3, ',').collect();
            // id,age,rest → age,id,rest (the quoted city keeps its comma in `rest`).
            format!("{},{},{}\n", cells[1], cells[0], cells[2])
        })
        .collect();
    std::fs::write(&unlabelled, reordered).unwrap();
    let out = ok(&run(&["predict", "--model", &fitted, "--data", &unlabelled]), "predict unlabelled");
    let labels: Vec<&str> = out.lines().filter(|l| *l == "yes" || *l == "no").collect();
    assert_eq!(labels.len(), 25, "{out}");
    // Other columns: refused, naming the difference.
    let other = p("other.csv");
    std::fs::write(&other, "age,town,score\n30,paris,1.5\n").unwrap();
    let e = fails(&run(&["predict", "--model", &fitted, "--data", &other]), "predict other columns");
    assert!(e.contains("`city`") && e.contains("`town`"), "{e}");

    // A model of another modality: a clear error.
    let image_model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/fmnist14-without-dress-coat");
    let e = fails(&run(&["infer", "--model", image_model.to_str().unwrap(), "--data", &a]), "infer image model on a table");
    assert!(e.contains("the model reads images") && e.contains("a table"), "{e}");

    // Bad tables: the file and the line or column, and nothing written.
    let bad = p("bad.csv");
    std::fs::write(&bad, "x,y,label\n1,2,a\n3,b\n").unwrap();
    let e = fails(&run(&["task", "add", "--db", &db, "--name", "bad", "--data", &bad]), "ragged");
    assert!(e.contains("bad.csv") && e.contains("line 3"), "{e}");
    std::fs::write(&bad, "x,y,label\n1,2,a\n3,4,a\n").unwrap();
    let e = fails(&run(&["task", "add", "--db", &db, "--name", "bad", "--data", &bad]), "single class");
    assert!(e.contains("single class"), "{e}");
    let e = fails(&run(&["task", "add", "--db", &db, "--name", "bad", "--data", &a, "--label", "nope"]), "unknown label");
    assert!(e.contains("nope") && e.contains("city"), "{e}");
    let status = ok(&run(&["db", "status", "--db", &db]), "status");
    assert!(!status.contains("bad "), "{status}");
}
