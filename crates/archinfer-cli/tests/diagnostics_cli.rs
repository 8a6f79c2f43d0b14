//! `archinfer evaluate predict` (with z-swap), `evaluate ceiling` and `evaluate diversity` end
//! to end on a small synthetic database (no downloaded data).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

fn archinfer(args: &[&str], db: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archinfer")).args(args).arg("--db").arg(db).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const FAST: &str = "min_steps=300,max_steps=600,eval_every=100,sample_batch=64,eval_samples=128";

#[test]
fn diagnostics_run_on_a_synthetic_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let (ok, _, err) = archinfer(&["build-db", "--suite", "synthetic3", "--children", "12", "--epochs", "2", "--lr", "0.01", "--pool", "0"], &db);
    assert!(ok, "{err}");

    // z-swap is recorded for runs with meta-features, and absent for runs without.
    let out = dir.path().join("predict");
    let args = ["evaluate", "predict", "--variants", "none,learned", "--repeats", "1", "--dvn-set", FAST, "--sample-module", "raw", "--out", out.to_str().unwrap()];
    let (ok, table, err) = archinfer(&args, &db);
    assert!(ok, "{err}");
    assert!(table.contains("z-swap, learned") && table.contains("learned against none"), "{table}");
    let runs: Vec<serde_json::Value> =
        std::fs::read_to_string(out.join("runs.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(runs.len(), 6);
    for r in &runs {
        assert_eq!(r["preset"], "task-aware");
        assert_eq!(r["variant"] == "learned", r["swapped_spearman"].is_f64(), "{r}");
    }
    // Resumable: a second run fits nothing new.
    let (ok, _, err) = archinfer(&args, &db);
    assert!(ok && err.contains("0 fits to run"), "{err}");

    let out = dir.path().join("ceiling");
    let (ok, table, err) = archinfer(&["evaluate", "ceiling", "--repeats", "1", "--dvn-set", FAST, "--sample-module", "raw", "--out", out.to_str().unwrap()], &db);
    assert!(ok, "{err}");
    assert!(table.contains("task identity") && table.contains("**mean**"), "{table}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["per_task_gain"].as_array().unwrap().len(), 3);

    // A bad override is a clear error naming the setting.
    let bad = dir.path().join("ceiling-bad");
    let (ok, _, err) = archinfer(&["evaluate", "ceiling", "--repeats", "1", "--dvn-set", "no_such=1", "--out", bad.to_str().unwrap()], &db);
    assert!(!ok && err.contains("no_such"), "{err}");

    // Diversity needs a model for the database's space.
    let model = dir.path().join("model");
    let (ok, _, err) = archinfer(&["train-dvn", "--out", model.to_str().unwrap(), "--preset", "paper", "--sample-module", "raw"], &db);
    assert!(ok, "{err}");
    let out = dir.path().join("diversity");
    let (ok, table, err) = archinfer(&["evaluate", "diversity", "--model", model.to_str().unwrap(), "--out", out.to_str().unwrap()], &db);
    assert!(ok, "{err}");
    assert!(table.contains("distinct networks over 3 tasks"), "{table}");
}
