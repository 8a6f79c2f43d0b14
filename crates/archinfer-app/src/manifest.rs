//! What a database is and how it was built: the manifest `archinfer db manifest` prints, and
//! the machine description written beside every result.

use archinfer_store::{ExperimentStore, MetaKey};

use crate::error::Result;

/// The burn release this build links (kept in step with the workspace manifest).
const BURN_VERSION: &str = "0.22.1";

/// This machine: CPU model, cores, memory, OS and architecture (written beside every result).
pub fn machine_info() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let mem_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()));
    serde_json::json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "memory_gib": mem_kb.map(|k| (k as f64 / 1048576.0 * 10.0).round() / 10.0),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
    })
}

/// The `summary.json` of a result folder: `fields` (an object) after the command line that made
/// it and this machine ([`machine_info`]).
pub fn run_summary(fields: serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": machine_info(),
    });
    if let (Some(o), serde_json::Value::Object(f)) = (out.as_object_mut(), fields) {
        o.extend(f);
    }
    out
}

/// A JSON manifest of the database in `store`: suite, space, training settings, versions, the
/// `backends` and `features` this build has, date, machine, how long the build took (busy time:
/// the union of the trainings' claim-to-finish intervals), per-module child cost and a
/// per-task summary.
///
/// # Errors
/// Store failures.
pub fn db_manifest(store: &dyn ExperimentStore, backends: &[String], features: &[String]) -> Result<serde_json::Value> {
    let parse = |k: &str| -> Result<serde_json::Value> {
        Ok(match store.meta(k)? {
            Some(v) => serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v)),
            None => serde_json::Value::Null,
        })
    };
    let tasks = store.tasks()?;
    let summary = store.summary()?;
    let per_task: Vec<serde_json::Value> = tasks.iter().zip(&summary).map(|(t, s)| serde_json::json!({ "task": t, "summary": s })).collect();
    let trials = store.trials(None)?;
    // A database built in several runs: the union of the trainings' [claim, finish] intervals,
    // so the idle time between runs does not count.
    let mut spans: Vec<(i64, i64)> = trials.iter().filter_map(|t| Some((t.claimed_at?, t.finished_at?))).collect();
    spans.sort_unstable();
    let mut busy_ms = 0i64;
    let mut open: Option<(i64, i64)> = None;
    for (a, b) in spans {
        open = match open {
            Some((s0, e0)) if a <= e0 => Some((s0, e0.max(b))),
            Some((s0, e0)) => {
                busy_ms += e0 - s0;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    busy_ms += open.map_or(0, |(s0, e0)| e0 - s0);
    let busy_hours = busy_ms as f64 / 3.6e6;
    let first = trials.iter().filter_map(|t| t.claimed_at).min();
    let last = trials.iter().filter_map(|t| t.finished_at).max();
    let done = trials.iter().filter(|t| t.result.is_some()).count();
    let wall_hours = match (first, last) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 3.6e6),
        _ => None,
    };
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let m = serde_json::json!({
        "suite": parse(MetaKey::Suite.as_str())?,
        "space": parse(MetaKey::Space.as_str())?,
        "train_config": parse(MetaKey::TrainConfig.as_str())?,
        "plan_seed": parse(MetaKey::PlanSeed.as_str())?,
        "schema_version": store.schema_version()?,
        "archinfer_version": env!("CARGO_PKG_VERSION"),
        "burn_version": BURN_VERSION,
        "backends_built": backends,
        "features_built": features,
        "generated_unix_seconds": secs,
        "machine": machine_info(),
        "build": {
            "done_children": done,
            "first_claim_unix_ms": first,
            "last_finish_unix_ms": last,
            "wall_hours_first_claim_to_last_finish": wall_hours,
            "children_per_hour": wall_hours.map(|h| done as f64 / h),
            "busy_wall_hours": busy_hours,
            "children_per_busy_hour": (busy_hours > 0.0).then(|| done as f64 / busy_hours),
            "child_cost_by_module": crate::modules::child_costs(&tasks, &trials),
        },
        "tasks": per_task,
    });
    Ok(m)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_run_summary_adds_the_command_and_the_machine() {
        let s = super::run_summary(serde_json::json!({ "runs": 3 }));
        assert_eq!(s.as_object().unwrap().len(), 3);
        assert_eq!(s["runs"], 3);
        assert!(s["command"].is_string());
        assert!(s["machine"]["cores"].as_u64().unwrap() >= 1);
    }

    use super::*;
    use archinfer_store::{MemoryStore, PlannedTrial, TaskData, TaskRecord, TrialResult};

    #[test]
    fn the_manifest_names_settings_builds_and_tasks() {
        let store = MemoryStore::new();
        store.set_meta("suite", "demo").unwrap();
        store.set_meta("plan_seed", "3").unwrap();
        store.create_task(&TaskRecord::new("t", "demo", 2), &TaskData::new("x", vec![])).unwrap();
        let r = TrialResult { val_accuracy: 0.5, test_accuracy: 0.5, seconds: 1.0, num_params: 1, epochs_run: 1 };
        store.record_trials("t", "w", &[(PlannedTrial { trial_index: 0, architecture: "{}".into(), seed: 0 }, r)]).unwrap();
        let m = db_manifest(&store, &["flex".into()], &["flex".into(), "postgres".into()]).unwrap();
        assert_eq!(m["suite"], "demo");
        assert_eq!(m["plan_seed"], 3, "stored JSON is parsed");
        assert_eq!(m["backends_built"], serde_json::json!(["flex"]));
        assert_eq!(m["features_built"], serde_json::json!(["flex", "postgres"]));
        assert_eq!(m["build"]["done_children"], 1);
        assert_eq!(m["tasks"][0]["task"]["name"], "t");
        assert!(m["machine"]["cores"].as_u64().is_some_and(|c| c >= 1));
    }
}
