//! `archinfer fit` (infer, then train the best candidates and keep the best) and `archinfer
//! predict` (label samples with what `fit` saved): both are the library's [`FittedModel`].

use std::path::PathBuf;
use std::time::Instant;

use archinfer::encoding::ArchitectureSpace;
use archinfer::eval::{FitOptions, FittedModel, record_fit};
use archinfer::infer::Inferencer;
use archinfer::store::Location;
use archinfer::train::TrainConfig;
use clap::Parser;

use crate::data::DataArgs;
use crate::ui::{BoxError, outln};

/// Arguments of `archinfer fit`.
#[derive(Parser, Debug)]
pub struct FitCmdArgs {
    /// Model directory written by `archinfer train-dvn`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub input: DataArgs,
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

/// The recipe and, with `--record`, the database's space, checked against the model and the
/// task before anything is trained or written.
fn settings(a: &FitCmdArgs, inf: &Inferencer, task: &archinfer::data::Task) -> Result<(TrainConfig, Option<ArchitectureSpace>), BoxError> {
    let record = a.record.as_ref().filter(|d| d.exists()).map(Location::open_existing).transpose()?;
    let other = if record.is_some() { None } else { a.db.exists().then(|| a.db.open_existing()).transpose()? };
    let settings = record.as_deref().or(other.as_deref());
    archinfer::eval::fit_settings(settings, record.as_deref(), a.epochs, task, &inf.dvn.config.space)
        .map_err(|e| format!("{}: {e}", a.record.as_ref().map_or(a.input.data.display().to_string(), |d| d.to_string())).into())
}

/// `archinfer fit`.
pub fn fit(a: FitCmdArgs) -> Result<(), BoxError> {
    if a.candidates == 0 {
        return Err("--candidates must be at least 1".into());
    }
    let device = archinfer::default_device();
    let inf = Inferencer::load(&a.model, &device)?;
    let name = a.name.clone().unwrap_or_else(|| a.input.stem());
    let (bundle, task) = crate::data::read_task(&a.input, &name)?;
    crate::data::check_model_fits(&task, &inf.dvn.config.space, &a.input.data)?;
    let (config, record_space) = settings(&a, &inf, &task)?;
    let options = FitOptions::new(config.clone()).with_candidates(a.candidates).with_max_params(a.max_params).with_seed(a.seed).with_record_space(record_space);
    let (n, split, classes) = (bundle.len(), bundle.split, bundle.class_names.len());
    eprintln!(
        "{name}: {n} samples ({} train, {} validation, {} test), {classes} classes; training up to {} candidate(s), {}",
        split[0],
        split[1],
        split[2],
        a.candidates,
        if inf.dvn.config.space.version() >= 2 { "each with its proposed recipe".to_string() } else { format!("{} epochs each", config.epochs) }
    );
    let bar = crate::ui::bar(a.candidates as u64, "candidates");
    let report = FittedModel::fit_task(&inf, bundle, &task, &options, &device, &mut |k, total, arch| {
        bar.set_length(total as u64);
        bar.set_position(k as u64);
        bar.set_message(arch.to_string());
    })?;
    bar.finish_and_clear();
    if report.trained.len() < a.candidates {
        eprintln!("note: the ascent found {} distinct candidates; trained those", report.trained.len());
    }
    report.model.save(&a.out)?;
    // The database is opened (or created) only now, so a refused or failed fit writes nothing.
    if let Some(db) = &a.record {
        let store = db.open_or_create()?;
        let worker = format!("fit:{}", std::process::id());
        let n = record_fit(store.as_ref(), &name, &a.input.data.display().to_string(), &report, &inf.dvn.config.space, &config, &worker)?;
        eprintln!("recorded {n} trainings of `{name}` in {db}");
    }
    let info = report.model.info();
    outln!("task        {name} ({} classes)", info.class_names.len());
    outln!("kept        {} (candidate {} of {})", info.architecture, report.kept + 1, report.trained.len());
    outln!("accuracy    validation {:.4}, test {:.4}", info.val_accuracy, info.test_accuracy);
    outln!("saved       {}", a.out.display());
    Ok(())
}

/// Arguments of `archinfer predict`.
#[derive(Parser, Debug)]
pub struct PredictArgs {
    /// A directory written by `archinfer fit`.
    #[arg(long)]
    pub model: PathBuf,
    /// The samples, as for `fit`, or a folder of images without classes; labels are optional
    /// (without them no accuracy is printed).
    #[command(flatten)]
    pub input: DataArgs,
    /// Only this split of the data, cut as `fit` cut it: `all`, `train`, `validation`, `test`.
    #[arg(long, default_value = "all")]
    pub split: String,
    /// Print JSON (one label per sample, and the accuracy).
    #[arg(long)]
    pub json: bool,
}

/// `archinfer predict`: one line per image file (its path and label) for image files, the
/// first labels otherwise, and the accuracy on labelled data.
pub fn predict(a: PredictArgs) -> Result<(), BoxError> {
    let device = archinfer::default_device();
    let t0 = Instant::now();
    let model = FittedModel::load(&a.model, &device)?;
    let p = model.predict_split(&crate::data::read(&a.input, true)?, &a.split, &device)?;
    if a.json {
        let mut out = serde_json::to_value(&p)?;
        out["model"] = serde_json::json!(a.model);
        out["seconds"] = t0.elapsed().as_secs_f64().into();
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    match &p.paths {
        Some(paths) => paths.iter().zip(&p.predictions).for_each(|(path, l)| outln!("{path}\t{l}")),
        None => p.predictions.iter().take(10).for_each(|l| outln!("{l}")),
    }
    if p.paths.is_none() && p.predictions.len() > 10 {
        outln!("… ({} more; --json for all)", p.predictions.len() - 10);
    }
    match p.accuracy {
        Some(acc) => outln!("accuracy {acc:.4} on {} labelled samples ({} split)", p.samples, a.split),
        None => outln!("{} samples labelled", p.samples),
    }
    Ok(())
}
