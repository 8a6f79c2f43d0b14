//! `archinfer fit` (infer, then train the best candidates and keep the best) and `archinfer
//! predict` (label samples with what `fit` saved).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use archinfer::data::{CsvOptions, Embedder, FeatureSet, ImageSet, Splits, default_embedders, load_csv_table, load_mnist_dir};
use archinfer::dvn::{verify_checksums, write_checksums};
use archinfer::encoding::{DiscreteArchitecture, DiscreteNetworkConfig};
use archinfer::eval::{add_task, record_of};
use archinfer::infer::{AscentConfig, InferOptions, Inferencer};
use archinfer::store::{ExperimentStore, Location, PlannedTrial, TrialResult};
use archinfer::train::{AdamTrainer, PreparedTask, TrainConfig};
use archinfer::burn::module::Module;
use archinfer::burn::tensor::{Tensor, TensorData};
use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::{BoxError, outln};
use crate::records::{USER_SPLIT, USER_SPLIT_SEED, check_fits, parse_label};

/// The settings `build-db` trains children with by default; `fit` uses them when no database
/// is at hand.
fn default_train_config() -> TrainConfig {
    TrainConfig::new().with_learning_rate(1e-3).with_epochs(20).with_batch_size(64)
}

/// Arguments of `archinfer fit`.
#[derive(Parser, Debug)]
pub struct FitCmdArgs {
    /// Model directory written by `archinfer train-dvn`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub input: crate::records::DataArgs,
    /// Where to save the trained network.
    #[arg(long)]
    pub out: PathBuf,
    /// Distinct candidates to train; the one with the best validation accuracy is kept.
    #[arg(long, default_value_t = 1)]
    pub candidates: usize,
    /// Hard budget on the candidates' parameters.
    #[arg(long)]
    pub max_params: Option<usize>,
    /// Record the task (if new) and these trainings in this database, so it grows with use.
    #[arg(long)]
    pub record: Option<Location>,
    /// The task's name (default: the data file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Child training settings are read from this database (default: --record, else this
    /// path if it exists, else build-db's defaults: Adam 1e-3, 20 epochs, batch 64).
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Override the number of epochs (of candidates without a training recipe; a version-2
    /// model proposes each candidate with its own).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Training seed of the first candidate (the k-th uses seed + k).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// What `fit` saves beside the weights (`fitted.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fitted {
    /// Task name.
    pub task: String,
    /// The network.
    pub architecture: DiscreteArchitecture,
    /// What it reads: `images` or `texts` (files written before text existed: images).
    #[serde(default = "images")]
    pub modality: String,
    /// The embedding module it reads (one of the default image or text modules, at
    /// `modules_version`).
    pub module: String,
    /// Version of the embedding modules.
    pub modules_version: u32,
    /// Image side the module reads.
    pub side: usize,
    /// Output index → class name, as the training file spelled it.
    pub class_names: Vec<String>,
    /// Validation accuracy of the kept network.
    pub val_accuracy: f32,
    /// Test accuracy of the kept network.
    pub test_accuracy: f32,
    /// Train / validation / test fractions and seed of the split it was trained on.
    pub split: ([f64; 3], u64),
    /// The child training settings.
    pub train_config: TrainConfig,
    /// Every candidate trained: architecture, parameters, predicted value, validation and
    /// test accuracy, seconds.
    pub candidates: Vec<serde_json::Value>,
}

fn images() -> String {
    "images".into()
}

const FITTED: &str = "fitted.json";
const WEIGHTS: &str = "model.bpk";

/// `archinfer fit`.
pub fn fit(a: FitCmdArgs) -> Result<(), BoxError> {
    if a.candidates == 0 {
        return Err("--candidates must be at least 1".into());
    }
    let device = archinfer::default_device();
    let inf = Inferencer::load(&a.model, &device)?;
    let bundle = crate::records::user_data_bundle(&crate::records::read_data(&a.input)?)?;
    let name = a.name.clone().unwrap_or_else(|| a.input.data.file_stem().map_or_else(|| "task".into(), |s| s.to_string_lossy().into_owned()));
    let task = crate::records::bundle_to_task(&bundle, &name)?;
    crate::records::check_model_fits(&task, &inf.dvn.config.space, &a.input.data.display().to_string())?;
    let settings_db = a.record.clone().or_else(|| a.db.exists().then(|| a.db.clone()));
    let mut config = match &settings_db {
        Some(db) if db.exists() => match crate::db::open_existing(db)?.meta("train_config")? {
            Some(s) => serde_json::from_str(&s)?,
            None => default_train_config(),
        },
        _ => default_train_config(),
    };
    if let Some(e) = a.epochs {
        // A recorded child without a recipe stands for the database's recipe: another length
        // would be recorded under the wrong one.
        if let Some(db) = a.record.as_ref().filter(|d| d.exists())
            && let Some(pinned) = crate::db::open_existing(db)?.meta("train_config")?
        {
            let pinned: archinfer::train::TrainConfig = serde_json::from_str(&pinned)?;
            if pinned.epochs != e {
                return Err(format!("--epochs {e} with --record {db}: its children train {} epochs, and recorded trainings must too", pinned.epochs).into());
            }
        }
        config = config.with_epochs(e);
    }
    let mut db_space = None;
    let store = match &a.record {
        Some(db) => {
            let store = crate::db::open_or_create(db)?;
            if let Some(space) = store.meta("space")? {
                let space = archinfer::encoding::ArchitectureSpace::from_json(&space)?;
                db_space = Some(space.clone());
                check_fits(&task, &space, &a.input.data.display().to_string())?;
                // A recipe-carrying child cannot be read back by a version-1 database.
                if inf.dvn.config.space.version() > space.version() {
                    return Err(archinfer::encoding::EncodingError::SpaceVersion {
                        what: format!("the model {}", a.model.display()),
                        found: inf.dvn.config.space.version(),
                        expected: space.version(),
                    }
                    .into());
                }
            }
            Some(store)
        }
        None => None,
    };
    let opts = InferOptions::new().with_ascent(AscentConfig::new()).with_max_params(a.max_params);
    let p = inf.propose(&task, &opts)?;
    let mut seen = HashSet::new();
    let picks: Vec<_> = p.candidates.iter().filter(|c| seen.insert(c.architecture.to_string())).take(a.candidates).collect();
    // Every candidate must be a point of the database's space (its recipe block included)
    // before anything is trained or written.
    if let Some(space) = &db_space {
        for c in &picks {
            c.architecture.check(space).map_err(|e| format!("{}: candidate `{}` cannot be recorded there: {e}", a.record.as_ref().map_or(String::new(), |d| d.to_string()), c.architecture))?;
        }
    }
    if picks.len() < a.candidates {
        eprintln!("note: the ascent found {} distinct candidates; training those", picks.len());
    }
    eprintln!(
        "{name}: {} samples ({} train, {} validation, {} test), {} classes; training {} candidate(s), {}",
        bundle.len(),
        bundle.split[0],
        bundle.split[1],
        bundle.split[2],
        bundle.class_names.len(),
        picks.len(),
        if inf.dvn.config.space.version() >= 2 { "each with its proposed recipe".to_string() } else { format!("{} epochs each", config.epochs) }
    );
    let trainer = AdamTrainer::new(config.clone(), device.clone())?;
    let prep = PreparedTask::new(&task, &device);
    let bar = crate::bar(picks.len() as u64, "candidates");
    let mut best: Option<(usize, archinfer::train::Outcome, archinfer::encoding::DiscreteNetwork)> = None;
    let mut rows = Vec::new();
    let mut recorded = Vec::new();
    for (k, c) in picks.iter().enumerate() {
        let seed = a.seed + k as u64;
        bar.set_message(c.architecture.to_string());
        let (o, net) = trainer.train_network(&c.architecture, &prep, seed)?;
        bar.inc(1);
        rows.push(serde_json::json!({
            "architecture": c.architecture.to_string(), "params": c.params, "predicted": c.value,
            "val_accuracy": o.val_accuracy, "test_accuracy": o.test_accuracy, "seconds": o.seconds, "done": o.is_done(),
        }));
        if o.is_done() {
            recorded.push((
                PlannedTrial { trial_index: 0, architecture: c.architecture.to_json()?, seed },
                TrialResult { val_accuracy: o.val_accuracy, test_accuracy: o.test_accuracy, seconds: o.seconds, num_params: o.num_params, epochs_run: o.epochs_run },
            ));
        }
        if let Some(net) = net
            && best.as_ref().is_none_or(|(_, b, _)| o.val_accuracy > b.val_accuracy)
        {
            best = Some((k, o, net));
        }
    }
    bar.finish_and_clear();
    let (k, o, net) = best.ok_or("every candidate's training failed (non-finite loss)")?;
    let arch = picks[k].architecture.clone();
    std::fs::create_dir_all(&a.out)?;
    let fitted = Fitted {
        task: name.clone(),
        modality: archinfer::data::modality(&bundle.samples).to_string(),
        module: arch.embedding.name.clone(),
        architecture: arch.clone(),
        modules_version: if bundle.texts().is_some() { archinfer::text::TEXT_MODULES_VERSION } else { archinfer::data::MODULES_VERSION },
        side: 28,
        class_names: bundle.class_names.clone(),
        val_accuracy: o.val_accuracy,
        test_accuracy: o.test_accuracy,
        split: (USER_SPLIT, USER_SPLIT_SEED),
        train_config: trainer.config_for(&archinfer::train::ChildSpec::Discrete(arch.clone())),
        candidates: rows,
    };
    std::fs::write(a.out.join(FITTED), serde_json::to_string_pretty(&fitted)?)?;
    std::fs::write(a.out.join("architecture.json"), arch.to_json()?)?;
    net.save_file(a.out.join(WEIGHTS)).map_err(|e| format!("{}: {e}", a.out.display()))?;
    write_checksums(&a.out, &[FITTED, "architecture.json", WEIGHTS])?;
    if let (Some(store), Some(db)) = (&store, &a.record) {
        if !store.tasks()?.iter().any(|t| t.name == name) {
            add_task(store, &record_of(&name, "user", &format!("recorded by fit from {}", a.input.data.display()), &bundle), &bundle)?;
            if store.meta("space")?.is_none() {
                // The model's space, so the recorded children (recipes included) read back.
                store.set_meta("space", &inf.dvn.config.space.to_json()?)?;
            }
            // A new database's recipe is the one these trainings used.
            if store.meta("train_config")?.is_none() {
                store.set_meta("train_config", &serde_json::to_string(&config)?)?;
            }
        }
        // Below the pool's indices, which a later build-db fills.
        let next = store.trials(Some(&name))?.iter().filter(|t| t.trial_index < archinfer::eval::POOL_FIRST_INDEX).map(|t| t.trial_index + 1).max().unwrap_or(0);
        for (i, (p, _)) in recorded.iter_mut().enumerate() {
            p.trial_index = next + i;
        }
        store.record_trials(&name, &format!("fit:{}", std::process::id()), &recorded)?;
        eprintln!("recorded {} trainings of `{name}` in {}", recorded.len(), db);
    }
    outln!("task        {name} ({} classes)", bundle.class_names.len());
    outln!("kept        {arch} (candidate {} of {})", k + 1, picks.len());
    outln!("accuracy    validation {:.4}, test {:.4}", o.val_accuracy, o.test_accuracy);
    outln!("saved       {}", a.out.display());
    Ok(())
}

/// Arguments of `archinfer predict`.
#[derive(Parser, Debug)]
pub struct PredictArgs {
    /// A directory written by `archinfer fit`.
    #[arg(long)]
    pub model: PathBuf,
    /// The samples, as for `fit` (a label column is optional: a CSV of exactly 784 pixel
    /// columns, or texts without a `label` column, are labelled without an accuracy).
    #[command(flatten)]
    pub input: crate::records::DataArgs,
    /// Only this split of the data, cut as `fit` cut it: `all`, `train`, `validation`, `test`.
    #[arg(long, default_value = "all")]
    pub split: String,
    /// Print JSON (one label per sample, and the accuracy).
    #[arg(long)]
    pub json: bool,
}

/// The embedding module a fitted network reads.
enum ModuleKind {
    Image(Box<dyn Embedder>),
    Text(Box<dyn archinfer::text::TextEmbedder>),
}

/// A network saved by `fit`, loaded and checked.
struct Loaded {
    fitted: Fitted,
    net: archinfer::encoding::DiscreteNetwork,
    module: ModuleKind,
}

fn load_fitted(dir: &Path, device: &archinfer::burn::tensor::Device) -> Result<Loaded, BoxError> {
    for f in [FITTED, "architecture.json", WEIGHTS, archinfer::dvn::CHECKSUM_FILE] {
        if !dir.join(f).exists() {
            return Err(format!("{}: missing {f}; not a directory written by `archinfer fit`", dir.display()).into());
        }
    }
    verify_checksums(dir)?;
    let fitted: Fitted = serde_json::from_str(&std::fs::read_to_string(dir.join(FITTED))?)?;
    let texts = fitted.modality == "texts";
    let version = if texts { archinfer::text::TEXT_MODULES_VERSION } else { archinfer::data::MODULES_VERSION };
    if fitted.modules_version != version {
        return Err(format!("{}: trained on embedding modules version {}; this build has {version}", dir.display(), fitted.modules_version).into());
    }
    let unknown = || format!("{}: unknown embedding module `{}`", dir.display(), fitted.module);
    let module = if texts {
        ModuleKind::Text(archinfer::text::default_text_embedders()?.into_iter().find(|e| e.name() == fitted.module).ok_or_else(unknown)?)
    } else {
        ModuleKind::Image(default_embedders()?.into_iter().find(|e| e.name() == fitted.module).ok_or_else(unknown)?)
    };
    let net = DiscreteNetworkConfig::new(fitted.architecture.clone(), fitted.class_names.len())
        .init(device)?
        .try_load_file(dir.join(WEIGHTS))
        .map_err(|e| format!("{}: {e}", dir.join(WEIGHTS).display()))?;
    Ok(Loaded { fitted, net, module })
}

/// Samples to label: images, and their label names when the file has them.
fn read_samples(path: &Path, label: &str, side: usize) -> Result<(ImageSet, Option<Vec<String>>), BoxError> {
    let px = side * side;
    if path.is_dir() {
        let images = load_mnist_dir(path)?;
        if images.side != side {
            return Err(format!("{}: {} × {} images; the network reads {side} × {side}", path.display(), images.side, images.side).into());
        }
        let names = images.labels.iter().map(u8::to_string).collect();
        return Ok((images, Some(names)));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (line, first) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()).ok_or_else(|| format!("{}: line 1: the file has no rows", path.display()))?;
    let cols = first.split(',').count();
    let labelled = match cols {
        c if c == px => false,
        c if c == px + 1 => true,
        c => {
            return Err(format!("{}: line {}: {c} columns; expected {px} pixel columns, or {} with a label", path.display(), line + 1, px + 1).into());
        }
    };
    let t = load_csv_table(path, labelled.then(|| parse_label(label)).as_ref(), &CsvOptions::default())?;
    let n = t.rows();
    let labels = if labelled { Some(t.labels.iter().map(|&l| t.class_names[l as usize].clone()).collect()) } else { None };
    let (images, scale) = ImageSet::from_pixel_rows(&path.display().to_string(), t.values, vec![0; n], side)?;
    if scale == archinfer::data::PixelScale::Bytes {
        eprintln!("note: {}: pixel values are whole numbers in 0–255; divided by 255, as IDX bytes are", path.display());
    }
    Ok((images, labels))
}

/// Texts to label, and their label names when the data have them: a CSV with a text column
/// (and a label column if `label` names one that exists, or one is called `label`), or a
/// directory of class sub-directories.
fn read_text_samples(path: &Path, text: Option<&str>, label: &str) -> Result<(Vec<String>, Option<Vec<String>>), BoxError> {
    if path.is_dir() {
        let set = archinfer::text::load_text_dir(path)?;
        let names = set.labels.iter().map(|&l| set.class_names[l as usize].clone()).collect();
        return Ok((set.texts, Some(names)));
    }
    let header = archinfer::text::read_csv_header(path)?;
    let text = archinfer::text::Column::parse(text.unwrap_or("text"));
    let label = match label {
        "last" | "label" if header.iter().any(|h| h == "label") => Some(archinfer::text::Column::Name("label".into())),
        "last" => None,
        l => Some(archinfer::text::Column::parse(l)),
    };
    match label {
        Some(l) => {
            let set = archinfer::text::load_text_csv(path, &text, &l)?;
            let names = set.labels.iter().map(|&i| set.class_names[i as usize].clone()).collect();
            Ok((set.texts, Some(names)))
        }
        None => Ok((archinfer::text::load_texts(path, &text)?, None)),
    }
}

/// `archinfer predict`.
pub fn predict(a: PredictArgs) -> Result<(), BoxError> {
    let device = archinfer::default_device();
    let t0 = Instant::now();
    let m = load_fitted(&a.model, &device)?;
    let (feats, labels) = match &m.module {
        ModuleKind::Image(e) => {
            let (images, labels) = read_samples(&a.input.data, &a.input.label, m.fitted.side)?;
            let px = images.side * images.side;
            (FeatureSet::new(e.name(), e.dim(), e.embed_all(&images.pixels, px)), labels)
        }
        ModuleKind::Text(e) => {
            let (texts, labels) = read_text_samples(&a.input.data, a.input.text.as_deref(), &a.input.label)?;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            (FeatureSet::new(e.name(), e.dim(), e.embed(&refs)?), labels)
        }
    };
    let n = feats.samples();
    let mut idx: Vec<usize> = (0..n).collect();
    if a.split != "all" {
        let (fr, seed) = m.fitted.split;
        let s = Splits::random(n, fr, seed)?;
        idx = match a.split.as_str() {
            "train" => s.train,
            "validation" => s.validation,
            "test" => s.test,
            other => return Err(format!("--split {other}: expected all, train, validation or test").into()),
        };
    }
    let bar = crate::bar(idx.len() as u64, "samples");
    let mut predicted = Vec::with_capacity(idx.len());
    for chunk in idx.chunks(4096) {
        let x = Tensor::<2>::from_data(TensorData::new(feats.gather(chunk), [chunk.len(), feats.dim]), &device);
        let out = m.net.forward(x)?.argmax(1).reshape([chunk.len()]).into_data();
        let cls: Vec<i64> = out.convert::<i64>().try_to_vec::<i64>().map_err(|e| format!("{e:?}"))?;
        predicted.extend(cls.into_iter().map(|c| m.fitted.class_names.get(c as usize).cloned().unwrap_or_default()));
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let truth: Option<Vec<&String>> = labels.as_ref().map(|l| idx.iter().map(|&i| &l[i]).collect());
    let accuracy = truth.as_ref().map(|t| t.iter().zip(&predicted).filter(|(a, b)| **a == *b).count() as f64 / idx.len().max(1) as f64);
    if a.json {
        let out = serde_json::json!({
            "model": a.model, "samples": idx.len(), "split": a.split, "accuracy": accuracy,
            "predictions": predicted, "seconds": t0.elapsed().as_secs_f64(),
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for p in predicted.iter().take(10) {
            outln!("{p}");
        }
        if predicted.len() > 10 {
            outln!("… ({} more; --json for all)", predicted.len() - 10);
        }
        match accuracy {
            Some(acc) => outln!("accuracy {acc:.4} on {} labelled samples ({} split)", idx.len(), a.split),
            None => outln!("{} samples labelled", idx.len()),
        }
    }
    Ok(())
}
