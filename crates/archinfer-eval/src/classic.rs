//! The classic defaults a user would run instead of a network from the space, trained on a
//! task's own splits: TF-IDF (word or character n-grams) with logistic regression on texts,
//! standardised pixels with logistic regression or an RBF kernel approximation on images
//! ([`archinfer_classic`]). Their validation and test accuracies become the task's
//! [`TaskFacts::outside`](crate::TaskFacts::outside) scores, which the `classic` baselines of
//! `evaluate compare` read. Runs are logged resumably, one line per task and model.
//!
//! [`export_splits`] writes a task's splits in plain files for the scikit-learn peer
//! (`benches/peers/classic_peer.py`), which checks these numbers.

use std::path::{Path, PathBuf};
use std::time::Instant;

use archinfer_classic::{ClassicKind, ClassicOptions};
use archinfer_data::{Samples, TaskBundle};
use archinfer_store::{ExperimentStore, Location};
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::runner::{ResumableRuns, io, pin_run_settings};

/// One classic model trained on one task, its regularisation chosen by validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassicRun {
    /// The task.
    pub task: String,
    /// The model (`tfidf-word-lr`, `tfidf-char-lr`, `pixels-lr`, `pixels-rbf-lr`).
    pub model: String,
    /// The inverse regularisation strength kept.
    pub c: f64,
    /// Validation accuracy at that `c`.
    pub valid: f64,
    /// Test accuracy at that `c`.
    pub test: f64,
    /// Input features (the vocabulary's size for TF-IDF).
    pub features: usize,
    /// Wall-clock seconds of the whole grid.
    pub seconds: f64,
}

/// The classic models that read `samples` (none for precomputed feature sets).
pub fn kinds_for(samples: &Samples) -> &'static [ClassicKind] {
    match samples {
        Samples::Texts { .. } => &ClassicKind::TEXT,
        Samples::Images { .. } => &ClassicKind::IMAGE,
        Samples::Table { .. } => &ClassicKind::TABLE,
        Samples::Features(_) => &[],
    }
}

/// Trains `kind` on `bundle`'s training split, picks C on its validation split and scores the
/// test split.
///
/// # Errors
/// [`EvalError::Data`] for a bundle whose parts disagree (split sizes, labels, samples);
/// [`EvalError::Classic`] naming the task (an empty vocabulary, an empty split, a bad label, …);
/// [`EvalError::BadOptions`] for a model that does not read this modality.
pub fn run_classic(task: &str, bundle: &TaskBundle, kind: ClassicKind, options: &ClassicOptions) -> Result<ClassicRun> {
    // The slices below trust the split sizes: a bundle built by hand is checked first.
    bundle.check()?;
    let [a, b, _] = bundle.split;
    let n_classes = bundle.class_names.len();
    let y = &bundle.labels;
    let (ytr, yva, yte) = (&y[..a], &y[a..a + b], &y[a + b..]);
    let start = Instant::now();
    let named = |e: archinfer_classic::ClassicError| EvalError::Classic { task: task.to_string(), source: e };
    let score = match (&bundle.samples, kind.reads_text()) {
        (Samples::Texts { texts, .. }, true) => {
            let (tr, rest) = texts.split_at(a);
            let (va, te) = rest.split_at(b);
            archinfer_classic::run_text(kind, tr, ytr, va, yva, te, yte, n_classes, options).map_err(named)?
        }
        (Samples::Images { side, pixels, .. }, false) => {
            let d = side * side;
            let (tr, rest) = pixels.split_at(a * d);
            let (va, te) = rest.split_at(b * d);
            archinfer_classic::run_dense(kind, d, tr, ytr, va, yva, te, yte, n_classes, options).map_err(named)?
        }
        (Samples::Table { table, schema, .. }, false) => {
            let (d, x) = table_rows(task, table, schema)?;
            let (tr, rest) = x.split_at(a * d);
            let (va, te) = rest.split_at(b * d);
            archinfer_classic::run_dense(kind, d, tr, ytr, va, yva, te, yte, n_classes, options).map_err(named)?
        }
        _ => return Err(EvalError::BadOptions(format!("{} does not read the samples of task `{task}`", kind.name()))),
    };
    Ok(ClassicRun {
        task: task.to_string(),
        model: kind.name().to_string(),
        c: score.c,
        valid: score.valid,
        test: score.test,
        features: score.features,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A table's `tab-std` rows written out dense: (width, rows in stored order).
fn table_rows(task: &str, table: &archinfer_data::Table, schema: &archinfer_data::TableSchema) -> Result<(usize, Vec<f32>)> {
    let sets = schema.feature_sets(table, task)?;
    let std = &sets[0];
    let all: Vec<usize> = (0..table.rows()).collect();
    Ok((std.input_width(), std.gather(&all)))
}

/// The classic runs of `tasks` (every classic model of each task's modality), those `log`
/// lacks trained and appended (`on_done` sees each), all of them returned in task order.
///
/// # Errors
/// [`EvalError::UnknownTask`] / [`EvalError::NoSamples`] for a task without samples; as
/// [`run_classic`]; log failures.
pub fn classic_runs(
    store: &dyn ExperimentStore,
    tasks: &[String],
    options: &ClassicOptions,
    log: &ResumableRuns<ClassicRun>,
    on_done: &mut dyn FnMut(&ClassicRun),
) -> Result<Vec<ClassicRun>> {
    let mut have = log.read()?;
    let mut out = Vec::new();
    for task in tasks {
        let bundle = task_bundle(store, task)?;
        for &kind in kinds_for(&bundle.samples) {
            let found = have.iter().position(|r| &r.task == task && r.model == kind.name());
            let run = match found {
                Some(i) => have.swap_remove(i),
                None => {
                    let r = run_classic(task, &bundle, kind, options)?;
                    log.append(&r)?;
                    on_done(&r);
                    r
                }
            };
            out.push(run);
        }
    }
    Ok(out)
}

/// The recorded samples of `task`.
///
/// # Errors
/// [`EvalError::UnknownTask`], [`EvalError::NoSamples`], a bundle that does not decode.
pub fn task_bundle(store: &dyn ExperimentStore, task: &str) -> Result<TaskBundle> {
    if !store.tasks()?.iter().any(|r| r.name == task) {
        return Err(EvalError::UnknownTask(task.to_string()));
    }
    let data = store.task_data(task)?.ok_or_else(|| EvalError::NoSamples(task.to_string()))?;
    Ok(TaskBundle::decode(&data.bytes)?)
}

/// Writes `bundle`'s splits for a peer in another language: `NAME.json` (`split` sizes,
/// `labels`, `classes`, and `texts`, or `side` for images) and, for images, `NAME.f32`
/// (the pixels, little-endian f32, row-major) and `NAME.rbf.f32`: the random projection
/// (`d × D`, row-major) then the `D` phases that `pixels-rbf-lr` draws under `options`, so that
/// the peer computes the same random features instead of its own draw.
///
/// # Errors
/// [`EvalError::RunLog`] naming a file that cannot be written; [`EvalError::BadOptions`] for a
/// task of precomputed features; [`EvalError::Classic`] for pixels the map cannot be drawn for.
pub fn export_splits(name: &str, bundle: &TaskBundle, options: &ClassicOptions, dir: &Path) -> Result<()> {
    bundle.check()?;
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut header = serde_json::json!({ "task": name, "split": bundle.split, "labels": bundle.labels, "classes": bundle.class_names });
    match &bundle.samples {
        Samples::Texts { texts, .. } => header["texts"] = serde_json::json!(texts),
        Samples::Images { side, pixels, .. } => {
            header["side"] = serde_json::json!(side);
            let bytes: Vec<u8> = pixels.iter().flat_map(|p| p.to_le_bytes()).collect();
            let path = dir.join(format!("{name}.f32"));
            std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
            let d = side * side;
            let named = |e: archinfer_classic::ClassicError| EvalError::Classic { task: name.to_string(), source: e };
            let train = archinfer_classic::Dense::new(pixels[..bundle.split[0] * d].to_vec(), d).map_err(named)?;
            let gamma = archinfer_classic::gamma_scale(&train).map_err(named)?;
            let map = archinfer_classic::RbfSampler::fit(d, gamma, options.rbf_components, options.seed).map_err(named)?;
            header["rbf_gamma"] = serde_json::json!(gamma);
            let bytes: Vec<u8> = map.weights().iter().chain(map.offsets()).flat_map(|p| p.to_le_bytes()).collect();
            let path = dir.join(format!("{name}.rbf.f32"));
            std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        }
        Samples::Table { table, schema, .. } => {
            // The raw columns for the peer's own encoders (gradient boosting, one-hot + LR):
            // numbers with NaN for missing, categories as level names with null for missing.
            let cols: Vec<serde_json::Value> = table
                .columns()
                .iter()
                .map(|c| match &c.data {
                    archinfer_data::ColumnData::Numeric(v) => serde_json::json!({ "name": c.name, "kind": "numeric", "values": v.iter().map(|x| if x.is_nan() { None } else { Some(*x) }).collect::<Vec<_>>() }),
                    archinfer_data::ColumnData::Categorical { codes, levels } => serde_json::json!({ "name": c.name, "kind": "categorical", "values": codes.iter().map(|&k| levels.get(k as usize)).collect::<Vec<_>>() }),
                })
                .collect();
            header["columns"] = serde_json::json!(cols);
            let (d, x) = table_rows(name, table, schema)?;
            header["tab_std_width"] = serde_json::json!(d);
            let bytes: Vec<u8> = x.iter().flat_map(|p| p.to_le_bytes()).collect();
            let path = dir.join(format!("{name}.tab-std.f32"));
            std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        }
        Samples::Features(_) => return Err(EvalError::BadOptions(format!("task `{name}` has precomputed features, not texts or images"))),
    }
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, header.to_string()).map_err(|e| io(&path, e))
}

/// `archinfer evaluate classic`: the classic models on a database's tasks, into a folder.
#[derive(Debug, Clone)]
pub struct ClassicJob {
    /// The database.
    pub db: Location,
    /// Tasks (`None`: every task).
    pub tasks: Option<Vec<String>>,
    /// Grid, kernel approximation, solver.
    pub options: ClassicOptions,
    /// The output folder: `classic.jsonl` and `classic-settings.json`.
    pub out: PathBuf,
    /// Also write every task's splits here, for the scikit-learn peer.
    pub export: Option<PathBuf>,
}

impl ClassicJob {
    /// Runs the classic models (resumably) and returns every run.
    ///
    /// # Errors
    /// As [`classic_runs`]; a folder pinned to other options; an unknown task, named with the
    /// database.
    pub fn run(&self, on_done: &mut dyn FnMut(&ClassicRun)) -> Result<Vec<ClassicRun>> {
        let owned = self.db.open_existing()?;
        let store: &dyn ExperimentStore = owned.as_ref();
        let in_db = |e: EvalError| EvalError::In { db: self.db.to_string(), source: Box::new(e) };
        let tasks = match &self.tasks {
            Some(t) => t.clone(),
            None => store.tasks()?.into_iter().map(|r| r.name).collect(),
        };
        if let Some(dir) = &self.export {
            for t in &tasks {
                export_splits(t, &task_bundle(store, t).map_err(in_db)?, &self.options, dir)?;
            }
        }
        classic_in(store, &tasks, &self.options, &self.out, on_done).map_err(in_db)
    }
}

/// [`classic_runs`] logged in `out/classic.jsonl`, the folder pinned to `options`
/// (`out/classic-settings.json`).
///
/// # Errors
/// As [`classic_runs`]; a folder pinned to other options.
pub fn classic_in(store: &dyn ExperimentStore, tasks: &[String], options: &ClassicOptions, out: &Path, on_done: &mut dyn FnMut(&ClassicRun)) -> Result<Vec<ClassicRun>> {
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    pin_run_settings(&out.join("classic-settings.json"), options)?;
    classic_runs(store, tasks, options, &ResumableRuns::new(out.join("classic.jsonl")), on_done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use archinfer_classic::ClassicError;

    fn texts(samples: Vec<String>, labels: Vec<u32>, split: [usize; 3]) -> TaskBundle {
        TaskBundle {
            samples: Samples::Texts { texts: samples, modules: Vec::new(), modules_version: 1 },
            labels,
            class_names: vec!["a".into(), "b".into()],
            split,
        }
    }

    /// 30 texts over two topics: the words decide the class.
    fn topics() -> TaskBundle {
        let words = [["stocks market shares bank", "profit merger bonds rates"], ["cat dog kitten leash", "vet purr puppy collar"]];
        let samples = (0..30).map(|i| format!("the {} and {}", words[i % 2][i % 3 % 2], words[i % 2][(i / 3) % 2])).collect();
        texts(samples, (0..30).map(|i| (i % 2) as u32).collect(), [18, 6, 6])
    }

    #[test]
    fn text_models_learn_topics_and_name_their_model() {
        let b = topics();
        for kind in kinds_for(&b.samples) {
            let r = run_classic("topics", &b, *kind, &ClassicOptions::default()).unwrap();
            assert_eq!(r.model, kind.name());
            assert!(r.test == 1.0 && r.valid == 1.0, "{r:?}");
            assert!(r.features > 0 && r.seconds >= 0.0);
        }
        // An image model on texts is refused, naming the task.
        let e = run_classic("topics", &b, ClassicKind::PixelsLogistic, &ClassicOptions::default()).unwrap_err();
        assert!(matches!(&e, EvalError::BadOptions(m) if m.contains("topics")), "{e}");
    }

    #[test]
    fn a_bundle_whose_parts_disagree_is_an_error_not_a_panic() {
        let mut b = topics();
        b.split = [18, 6, 60];
        assert!(matches!(run_classic("t", &b, ClassicKind::TfidfWord, &ClassicOptions::default()), Err(EvalError::Data(_))));
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(export_splits("t", &b, &ClassicOptions::default(), tmp.path()), Err(EvalError::Data(_))));
        let mut b = topics();
        b.labels[0] = 7;
        assert!(matches!(run_classic("t", &b, ClassicKind::TfidfChar, &ClassicOptions::default()), Err(EvalError::Data(_))));
    }

    #[test]
    fn an_empty_vocabulary_and_one_over_the_limit_are_errors_naming_the_task() {
        // Every word in one text only: nothing is in two training documents (min_df = 2).
        let all_different = texts((0..10).map(|i| format!("w{i}x")).collect(), (0..10).map(|i| i % 2).collect(), [6, 2, 2]);
        let e = run_classic("unique", &all_different, ClassicKind::TfidfWord, &ClassicOptions::default()).unwrap_err();
        assert!(matches!(&e, EvalError::Classic { task, source: ClassicError::EmptyVocabulary { min_df: 2 } } if task == "unique"), "{e}");
        assert!(e.to_string().contains("unique"), "{e}");
        let empty = texts(vec![String::new(); 10], (0..10).map(|i| i % 2).collect(), [6, 2, 2]);
        assert!(matches!(run_classic("blank", &empty, ClassicKind::TfidfChar, &ClassicOptions::default()), Err(EvalError::Classic { source: ClassicError::EmptyVocabulary { .. }, .. })));
        let small = ClassicOptions { max_terms: 3, ..ClassicOptions::default() };
        let e = run_classic("topics", &topics(), ClassicKind::TfidfWord, &small).unwrap_err();
        assert!(matches!(&e, EvalError::Classic { task, source: ClassicError::VocabularyTooLarge { limit: 3, .. } } if task == "topics"), "{e}");
    }

    #[test]
    fn images_get_both_pixel_models_and_export_writes_what_the_peer_reads() {
        // Two classes of 4 × 4 images: bright left half or bright right half, with noise.
        let n = 40;
        let pixels: Vec<f32> = (0..n * 16).map(|i| {
            let (s, p) = (i / 16, i % 16);
            let bright = (p % 4 < 2) == (s % 2 == 0);
            (if bright { 0.8 } else { 0.2 }) + ((i * 37 % 11) as f32 - 5.0) * 0.02
        }).collect();
        let b = TaskBundle {
            samples: Samples::Images { side: 4, pixels, modules: Vec::new(), modules_version: 1 },
            labels: (0..n).map(|s| (s % 2) as u32).collect(),
            class_names: vec!["left".into(), "right".into()],
            split: [24, 8, 8],
        };
        let kinds = kinds_for(&b.samples);
        assert_eq!(kinds.iter().map(|k| k.name()).collect::<Vec<_>>(), ["pixels-lr", "pixels-rbf-lr"]);
        let options = ClassicOptions { rbf_components: 64, ..ClassicOptions::default() };
        for kind in kinds {
            let r = run_classic("halves", &b, *kind, &options).unwrap();
            assert!(r.test >= 0.875, "{r:?}");
        }
        let tmp = tempfile::tempdir().unwrap();
        export_splits("halves", &b, &options, tmp.path()).unwrap();
        let header: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("halves.json")).unwrap()).unwrap();
        assert_eq!(header["split"], serde_json::json!([24, 8, 8]));
        assert_eq!(std::fs::metadata(tmp.path().join("halves.f32")).unwrap().len(), (n * 16 * 4) as u64);
        assert_eq!(std::fs::metadata(tmp.path().join("halves.rbf.f32")).unwrap().len(), ((16 * 64 + 64) * 4) as u64);
        let features = TaskBundle { samples: Samples::Features(Vec::new()), ..b };
        assert!(kinds_for(&features.samples).is_empty());
        assert!(matches!(export_splits("f", &features, &options, tmp.path()), Err(EvalError::BadOptions(_))));
    }
}
