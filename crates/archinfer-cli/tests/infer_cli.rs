//! `archinfer infer` end to end on small synthetic 28 × 28 image tasks (no downloaded data):
//! a model is fitted and saved here, then the binary proposes an architecture for a task the
//! model never saw, within a budget, the same way twice; bad files give clear errors.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use archinfer::data::{ImageSet, Task, default_embedders};
use archinfer::dvn::{DvnConfig, DvnTask, DvnTrainConfig, TrainedDvn};
use archinfer::encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
use archinfer::infer::{Inferencer, KnownTask, TaskLibrary};
use archinfer::metafeatures::MetaFeatures;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// `n` images of `classes` classes: class `c` lights an 8 × 8 square whose place depends on
/// `c` and `shift`, over uniform noise.
fn images(n: usize, classes: u8, shift: usize, seed: u64) -> ImageSet {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pixels = Vec::with_capacity(n * 784);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = (i % classes as usize) as u8;
        let (y0, x0) = ((c as usize * 6 + shift) % 20, (c as usize * 9 + shift) % 20);
        for y in 0..28 {
            for x in 0..28 {
                let on = (y0..y0 + 8).contains(&y) && (x0..x0 + 8).contains(&x);
                pixels.push(if on { 0.8 } else { 0.0 } + rng.random_range(0.0..0.2f32));
            }
        }
        labels.push(c);
    }
    ImageSet { pixels, labels, side: 28 }
}

fn task(name: &str, classes: u8, shift: usize, seed: u64) -> Task {
    images(240, classes, shift, seed).to_task(name, [0.6, 0.2, 0.2], seed, &default_embedders().unwrap()).unwrap()
}

/// Fits a small learned-meta-features model on two tasks with made-up child values (smaller
/// is better) and saves it with its library.
fn save_model(dir: &Path) {
    save_model_with(dir, 0);
}

/// As [`save_model`], with `extra` further ensemble members (other seeds).
fn save_model_with(dir: &Path, extra: u64) {
    let dev = archinfer::default_device();
    let tasks = [task("a", 3, 0, 1), task("b", 4, 3, 2)];
    let space = ArchitectureSpace::paper(tasks[0].features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect()).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let mut dvn_tasks = Vec::new();
    let mut library = Vec::new();
    for t in tasks {
        let archs: Vec<DiscreteArchitecture> = (0..30).map(|_| DiscreteArchitecture::sample(&space, &mut rng)).collect();
        let v: Vec<f32> = archs.iter().map(|a| 1.0 / (1.0 + a.num_params(t.num_classes()) as f32 / 1e4)).collect();
        library.push(KnownTask { name: t.name().into(), z: Vec::new(), best: archs[..3].to_vec() });
        dvn_tasks.push(DvnTask {
            name: t.name().into(),
            u: archs.iter().map(|a| a.one_hot_u(&space).unwrap()).collect(),
            v,
            task: Some(Arc::new(t)),
        });
    }
    let cfg = DvnConfig::new(space, MetaFeatures::Learned, 49);
    let tc = DvnTrainConfig::new().with_learning_rate(0.01).with_max_steps(40).with_eval_every(20).with_eval_samples(128);
    let dvn = TrainedDvn::fit(cfg.clone(), tc.clone(), &dvn_tasks, &dev).unwrap();
    let members = (1..=extra).map(|s| TrainedDvn::fit(cfg.clone().with_seed(s), tc.clone().with_seed(s), &dvn_tasks, &dev).unwrap()).collect();
    Inferencer::new(dvn, Some(TaskLibrary { tasks: library }), &dev).with_members(members).save(dir).unwrap();
}

fn infer(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_archinfer")).arg("infer").args(args).output().unwrap()
}

#[test]
fn proposes_within_budget_quickly_and_reproducibly() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    save_model(&model);
    let data = tmp.path().join("unseen");
    images(200, 3, 7, 9).write_dir(&data, false).unwrap();
    let (m, d) = (model.to_str().unwrap(), data.to_str().unwrap());
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = infer(&[&["--model", m, "--data", d, "--json"], extra].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let free = run(&[]);
    let budget = 2_000;
    let tight = run(&["--max-params", "2000", "--seeded", "3"]);
    assert!(tight["params"].as_u64().unwrap() <= budget, "{tight}");
    for c in tight["candidates"].as_array().unwrap() {
        assert!(c["params"].as_u64().unwrap() <= budget, "every candidate fits: {c}");
    }
    // Timings are reported (measured, not asserted: speed belongs to the benches).
    assert!(free["meta_features_ms"].as_f64().unwrap() >= 0.0 && free["ascent_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(free["classes"], 3);
    let again = run(&[]);
    assert_eq!(again["architecture"], free["architecture"], "same seed, same answer");
    assert_eq!(again["predicted_value"], free["predicted_value"]);
    // The human-readable form names the architecture and the timings.
    let out = infer(&["--model", m, "--data", d]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("proposed") && text.contains("ms"), "{text}");
}

#[test]
fn bad_inputs_give_the_loaders_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    save_model(&model);
    let m = model.to_str().unwrap();
    // A truncated image file.
    let data = tmp.path().join("cut");
    images(20, 2, 0, 1).write_dir(&data, false).unwrap();
    let f = data.join("train-images-idx3-ubyte");
    let bytes = std::fs::read(&f).unwrap();
    std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap();
    let out = infer(&["--model", m, "--data", data.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("train-images-idx3-ubyte"), "names the file: {err}");
    // A ragged CSV row.
    let csv = tmp.path().join("ragged.csv");
    let row: Vec<String> = (0..785).map(|i| if i == 784 { "1".into() } else { "0.5".into() }).collect();
    std::fs::write(&csv, format!("{}\n0.1,0.2\n", row.join(","))).unwrap();
    let out = infer(&["--model", m, "--data", csv.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("line 2"), "{err}");
    // A CSV that is not 28 × 28 images.
    let narrow = tmp.path().join("narrow.csv");
    std::fs::write(&narrow, "0.1,0.2,0\n0.3,0.4,1\n".repeat(20)).unwrap();
    let out = infer(&["--model", m, "--data", narrow.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("784"));
    // A model whose dvn.json was edited after saving (a base width 256 → 512) is refused.
    let edited = tmp.path().join("edited");
    std::fs::create_dir_all(&edited).unwrap();
    for f in std::fs::read_dir(&model).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, edited.join(f.file_name().unwrap())).unwrap();
    }
    let json = std::fs::read_to_string(edited.join("dvn.json")).unwrap();
    assert!(json.contains("256"));
    std::fs::write(edited.join("dvn.json"), json.replacen("256", "512", 1)).unwrap();
    let out = infer(&["--model", edited.to_str().unwrap(), "--data", narrow.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("dvn.json") && err.contains("changed"), "{err}");
    std::fs::write(edited.join("dvn.json"), &json).unwrap();
    std::fs::remove_file(edited.join("library.json")).unwrap();
    let out = infer(&["--model", edited.to_str().unwrap(), "--data", narrow.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("library.json") && err.contains("missing"), "{err}");
    // A missing model, and an impossible budget.
    let out = infer(&["--model", "/nonexistent/model", "--data", narrow.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/model"));
    let good = tmp.path().join("good");
    images(60, 2, 0, 3).write_dir(&good, true).unwrap();
    let out = infer(&["--model", m, "--data", good.to_str().unwrap(), "--lambda=-1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("lambda = -1") && err.contains("≥ 0"), "{err}");
    let out = infer(&["--model", m, "--data", good.to_str().unwrap(), "--starts", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("starts = 0") && err.contains("at least 1"), "{err}");
    let out = infer(&["--model", m, "--data", good.to_str().unwrap(), "--max-params", "10"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no architecture fits 10 parameters"), "{err}");
}

#[test]
fn an_ensemble_model_loads_and_proposes() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    save_model_with(&model, 2);
    assert!(model.join("member-2").is_dir());
    let loaded = Inferencer::load(&model, &archinfer::default_device()).unwrap();
    assert_eq!(loaded.members.len(), 2);
    let data = tmp.path().join("unseen");
    images(120, 3, 7, 9).write_dir(&data, false).unwrap();
    let out = infer(&["--model", model.to_str().unwrap(), "--data", data.to_str().unwrap(), "--json", "--max-params", "3000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["params"].as_u64().unwrap() <= 3000);
    // The generic path runs one network only: an ensemble there is a clear error.
    let out = infer(&["--model", model.to_str().unwrap(), "--data", data.to_str().unwrap(), "--generic"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("ensemble"));
}

#[test]
fn a_byte_pixel_csv_reads_like_the_same_images_in_idx() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    save_model(&model);
    let m = model.to_str().unwrap();
    let mut set = images(120, 3, 1, 9);
    set.pixels.iter_mut().for_each(|p| *p = (*p * 255.0).round() / 255.0);
    let idx = tmp.path().join("idx");
    set.write_dir(&idx, false).unwrap();
    // The same images as a [0, 1] CSV (label last) and as a 0–255 CSV (label first).
    let (mut unit, mut bytes) = (String::new(), String::new());
    for (row, &label) in set.pixels.chunks(784).zip(&set.labels) {
        let u: Vec<String> = row.iter().map(|p| p.to_string()).collect();
        unit += &format!("{},{label}\n", u.join(","));
        let b: Vec<String> = row.iter().map(|p| ((p * 255.0).round() as u32).to_string()).collect();
        bytes += &format!("{label},{}\n", b.join(","));
    }
    let (unit_csv, bytes_csv) = (tmp.path().join("unit.csv"), tmp.path().join("bytes.csv"));
    std::fs::write(&unit_csv, unit).unwrap();
    std::fs::write(&bytes_csv, bytes).unwrap();
    let run = |data: &Path, extra: &[&str]| {
        let mut args = vec!["--model", m, "--data", data.to_str().unwrap(), "--json"];
        args.extend_from_slice(extra);
        let out = infer(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (v, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (from_idx, _) = run(&idx, &[]);
    let (from_unit, note_unit) = run(&unit_csv, &[]);
    let (from_bytes, note_bytes) = run(&bytes_csv, &["--label", "first"]);
    for v in [&from_unit, &from_bytes] {
        assert_eq!(v["architecture"], from_idx["architecture"]);
        assert_eq!(v["predicted_value"], from_idx["predicted_value"]);
    }
    assert!(note_bytes.contains("0–255") && !note_unit.contains("0–255"), "{note_bytes}");
    // Neither scale: a 0.5 among values above 1 is refused, naming the file and the place.
    let mixed = tmp.path().join("mixed.csv");
    let mut rows: Vec<String> = vec!["0".to_string(); 784];
    rows[3] = "0.5".into();
    rows[4] = "200".into();
    let plain = vec!["0"; 784].join(",");
    let mut text = format!("{plain},0\n{},1\n", rows.join(","));
    for i in 0..18 {
        text += &format!("{plain},{}\n", i % 2);
    }
    std::fs::write(&mixed, text).unwrap();
    let out = infer(&["--model", m, "--data", mixed.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("mixed.csv") && err.contains("sample 1, pixel 3"), "{err}");
}
