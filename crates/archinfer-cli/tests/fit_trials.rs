//! `archinfer fit --trials N` from the command line: images and text end with a saved model
//! that `predict` reproduces, the best so far is printed after each training, `--record`
//! writes each training exactly once as it finishes, a run stopped by Ctrl-C before a training
//! finished records nothing (and one stopped after the first, that one), and bad budgets and
//! tasks are typed errors.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archinfer")).args(args).output().unwrap()
}

fn ok(out: &Output, what: &str) -> (String, String) {
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn err(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure, got: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `(trial_index, seed)` of every recorded trial.
fn trials(db: &Path) -> Vec<(i64, i64)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c.prepare("SELECT trial_index, seed FROM trials ORDER BY trial_index").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn fit_and_predict(model: &str, data: &str, budget: usize, tmp: &Path) {
    let out = tmp.join("fitted");
    let (db, outs) = (tmp.join("db.sqlite"), out.to_str().unwrap());
    let n = budget.to_string();
    let args = ["fit", "--model", model, "--data", data, "--out", outs, "--trials", &n, "--record", db.to_str().unwrap(), "--seed", "7"];
    let (stdout, stderr) = ok(&run(&args), "fit --trials");
    // One line per training, each with the best so far.
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("trial ")).collect();
    assert_eq!(lines.len(), budget, "{stderr}");
    assert!(lines.iter().enumerate().all(|(i, l)| l.starts_with(&format!("trial {}/{budget}", i + 1)) && l.contains("best so far")), "{stderr}");
    assert!(stdout.contains(&format!("of {budget})")), "{stdout}");
    // Exactly once each, from seeds 7, 8, …
    assert_eq!(trials(&db).iter().map(|t| t.1).collect::<Vec<_>>(), (7..7 + budget as i64).collect::<Vec<_>>());
    let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("fitted.json")).unwrap()).unwrap();
    let best = f["candidates"].as_array().unwrap().iter().map(|c| c["val_accuracy"].as_f64().unwrap()).fold(0.0, f64::max);
    approx::assert_abs_diff_eq!(f["val_accuracy"].as_f64().unwrap(), best, epsilon = 1e-6);
    let p: serde_json::Value = serde_json::from_str(&ok(&run(&["predict", "--model", outs, "--data", data, "--split", "test", "--json"]), "predict").0).unwrap();
    approx::assert_abs_diff_eq!(p["accuracy"].as_f64().unwrap(), f["test_accuracy"].as_f64().unwrap(), epsilon = 1e-6);
    // The same run again records its own trainings after the first run's (the same
    // architectures and seeds, so the database holds each of them twice: once per run).
    ok(&run(&args), "fit --trials again");
    let t = trials(&db);
    assert_eq!(t.len(), 2 * budget);
    assert_eq!(t.iter().map(|t| t.0).collect::<Vec<_>>(), (0..2 * budget as i64).collect::<Vec<_>>());
}

#[test]
fn images_fit_with_trials_record_once_and_predict_reproduces() {
    let tmp = tempfile::tempdir().unwrap();
    let model = root().join("models/fmnist14-without-dress-coat");
    let data = root().join("data/dress-coat-occluded-noisy");
    fit_and_predict(model.to_str().unwrap(), data.to_str().unwrap(), 3, tmp.path());
}

#[test]
fn texts_fit_with_trials_and_ctrl_c_records_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let model = root().join("models/text14-without-spam-3-kinds");
    let model = model.to_str().unwrap();
    // A small text task: 3 classes of the shipped spam task's first 240 rows.
    let rows: Vec<csv_row::Row> = csv_row::read(&root().join("data/text/spam-3-kinds.csv"), 240);
    let data = tmp.path().join("spam-small.csv");
    csv_row::write(&data, &rows);
    let d = data.to_str().unwrap();
    fit_and_predict(model, d, 2, &tmp.path().join("a"));

    // Ctrl-C before the first training finished: the database holds no training. Ctrl-C
    // after the first finished (its line printed) and before the second did: exactly one.
    let spam = root().join("data/text/spam-3-kinds.csv");
    let stop_after = |marker: &str, name: &str| -> PathBuf {
        let db = tmp.path().join(format!("{name}.sqlite"));
        let out = tmp.path().join(name);
        let mut child = Command::new(env!("CARGO_BIN_EXE_archinfer"))
            .args(["fit", "--model", model, "--data", &spam.to_string_lossy(), "--out", out.to_str().unwrap(), "--trials", "3", "--record", db.to_str().unwrap()])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap() > 0 && !line.contains(marker) {
            line.clear();
        }
        assert!(line.contains(marker), "{line}");
        assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
        assert!(!child.wait().unwrap().success());
        assert!(!out.join("fitted.json").exists());
        db
    };
    // The task line comes right before the candidates are proposed and the first trains.
    let db = stop_after("training up to", "stopped-first");
    assert!(!db.exists() || trials(&db).is_empty(), "a run stopped before a training finished recorded {:?}", trials(&db));
    // A training of the full task takes seconds: the second is still running.
    let db = stop_after("trial 1/3", "stopped-second");
    assert_eq!(trials(&db), vec![(0, 0)], "the first training, recorded once");

    // Typed errors: a budget of 0 (before reading anything), one larger than the candidates,
    // an empty task and a single class.
    let o = tmp.path().join("o");
    let o = o.to_str().unwrap();
    let e = err(&run(&["fit", "--model", model, "--data", "no-such-file.csv", "--out", o, "--trials", "0"]));
    assert!(e.contains("a budget of 0 trainings"), "{e}");
    let e = err(&run(&["fit", "--model", model, "--data", d, "--out", o, "--trials", "100000"]));
    assert!(e.contains("larger than the") && e.contains("distinct candidates"), "{e}");
    let empty = tmp.path().join("empty.csv");
    std::fs::write(&empty, "text,label\n").unwrap();
    let e = err(&run(&["fit", "--model", model, "--data", empty.to_str().unwrap(), "--out", o, "--trials", "2"]));
    assert!(e.contains("no samples"), "{e}");
    let single = tmp.path().join("single.csv");
    std::fs::write(&single, (0..40).fold("text,label\n".to_string(), |s, i| s + &format!("some words number {i},a\n"))).unwrap();
    let e = err(&run(&["fit", "--model", model, "--data", single.to_str().unwrap(), "--out", o, "--trials", "2"]));
    assert!(e.contains("only 1 class"), "{e}");
    assert!(!Path::new(o).join("fitted.json").exists());
}

/// Reading and writing the text CSV without a CSV crate in this test: quoted fields with
/// commas, quotes and newlines.
mod csv_row {
    use std::path::Path;

    pub type Row = (String, String);

    pub fn read(path: &Path, n: usize) -> Vec<Row> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut rows = Vec::new();
        let (mut field, mut fields, mut quoted) = (String::new(), Vec::new(), false);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(std::mem::take(&mut field)),
                ('\n', false) => {
                    fields.push(std::mem::take(&mut field));
                    if fields.len() == 2 {
                        rows.push((fields[0].clone(), fields[1].clone()));
                    }
                    fields.clear();
                }
                _ => field.push(c),
            }
        }
        rows.into_iter().skip(1).take(n).collect()
    }

    pub fn write(path: &Path, rows: &[Row]) {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let body: String = rows.iter().map(|(t, l)| format!("{},{}\n", q(t), q(l))).collect();
        std::fs::write(path, format!("text,label\n{body}")).unwrap();
    }
}
