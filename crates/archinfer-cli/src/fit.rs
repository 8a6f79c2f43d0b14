//! `archinfer fit` (infer, then train the best candidates and keep the best) and `archinfer
//! predict` (label samples with what `fit` saved): both are the library's [`FittedModel`].

use std::path::PathBuf;
use std::time::Instant;

use archinfer::app::{FitEvents, FitJob, FittedModel, UserData};
use archinfer::data::TaskBundle;
use archinfer::store::Location;
use archinfer::train::TrainConfig;
use clap::Parser;
use indicatif::ProgressBar;

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
    /// Few-shot adaptation: train this many networks, each chosen after the ones before it
    /// were observed (the value network's prior updated by every training), and keep the best
    /// by validation. Replaces --candidates. With --record, each training is recorded as it
    /// finishes.
    #[arg(long, conflicts_with = "candidates")]
    pub trials: Option<usize>,
}

/// What a fit reports on the terminal: a bar over image files, the conversion note, the task
/// and a bar over candidates.
struct Terminal {
    data: PathBuf,
    candidates: usize,
    images: ProgressBar,
    trainings: Option<ProgressBar>,
}

impl FitEvents for Terminal {
    fn images_read(&mut self, done: usize, total: usize) {
        if done == 1 {
            self.images.set_length(total as u64);
        }
        self.images.set_position(done as u64);
    }

    fn data_read(&mut self, data: &UserData) {
        self.images.finish_and_clear();
        crate::data::notes(&self.data, data);
    }

    fn training(&mut self, name: &str, bundle: &TaskBundle, config: &TrainConfig, space_version: u32) {
        let (n, split, classes) = (bundle.len(), bundle.split, bundle.class_names.len());
        let recipe = if space_version >= 2 { "each with its proposed recipe".to_string() } else { format!("{} epochs each", config.epochs) };
        let parts = format!("{} train, {} validation, {} test", split[0], split[1], split[2]);
        eprintln!("{name}: {n} samples ({parts}), {classes} classes; training up to {} network(s), {recipe}", self.candidates);
        self.trainings = Some(crate::ui::bar(self.candidates as u64, "trainings"));
    }

    fn trial(&mut self, t: &archinfer::adapt::Trial, budget: usize) {
        let line = format!(
            "trial {}/{budget}  validation {:.4} (expected {:.4} ± {:.4})  best so far {:.4} (trial {})  {}",
            t.number, t.outcome.val_accuracy, t.predicted.mean, t.predicted.sd, t.best.1, t.best.0, t.architecture
        );
        match &self.trainings {
            Some(bar) => {
                bar.suspend(|| eprintln!("{line}"));
                bar.set_length(budget as u64);
                bar.set_position(t.number as u64);
                bar.set_message(format!("best so far {:.4}", t.best.1));
            }
            None => eprintln!("{line}"),
        }
    }

    fn candidate(&mut self, k: usize, total: usize, arch: &str) {
        if let Some(bar) = &self.trainings {
            bar.set_length(total as u64);
            bar.set_position(k as u64);
            bar.set_message(arch.to_string());
        }
    }
}

/// `archinfer fit`: one library call ([`FitJob::run`]), then the summary.
pub fn fit(a: FitCmdArgs) -> Result<(), BoxError> {
    let job = FitJob { spec: a.input.spec(false), name: a.name.clone(), candidates: a.candidates, max_params: a.max_params, seed: a.seed, epochs: a.epochs, ..FitJob::new(&a.model, &a.input.data, &a.out) };
    let job = FitJob { settings: Some(a.db.clone()), record: a.record.clone(), trials: a.trials, ..job };
    let mut term = Terminal { data: a.input.data.clone(), candidates: a.trials.unwrap_or(a.candidates), images: crate::ui::bar(0, "images read"), trainings: None };
    let done = job.run(&archinfer::default_device(), &mut term)?;
    if let Some(bar) = &term.trainings {
        bar.finish_and_clear();
    }
    let (name, report) = (&done.name, &done.report);
    if a.trials.is_none() && report.trained.len() < a.candidates {
        eprintln!("note: the ascent found {} distinct candidates; trained those", report.trained.len());
    }
    if let (Some(n), Some(db)) = (done.recorded, &a.record) {
        eprintln!("recorded {n} trainings of `{name}` in {db}");
    }
    let info = report.model.info();
    outln!("task        {name} ({} classes)", info.class_names.len());
    let what = if a.trials.is_some() { "trial" } else { "candidate" };
    outln!("kept        {} ({what} {} of {})", info.architecture, report.kept + 1, report.trained.len());
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
    // A table model reads tables, its label column (if the rows carry it) by the name it was
    // fitted with.
    let mut input = a.input.clone();
    let table = model.table_schema().is_some();
    if let Some(schema) = model.table_schema() {
        input.modality = Some(archinfer::eval::Modality::Tables);
        if input.label == "last"
            && let Some(l) = &schema.label
        {
            input.label = l.clone();
        }
    }
    let p = match table {
        true => {
            let spec = input.spec(true).keep_columns(true);
            let data = archinfer::eval::read_user_data(&input.data, &spec, &mut |_, _| {})?;
            crate::data::notes(&input.data, &data);
            model.predict_split(&data, &a.split, &device)?
        }
        false => model.predict_split(&crate::data::read(&input, true)?, &a.split, &device)?,
    };
    if a.json {
        let mut out = serde_json::to_value(&p)?;
        out["model"] = serde_json::json!(a.model);
        out["seconds"] = t0.elapsed().as_secs_f64().into();
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    match &p.paths {
        Some(paths) => paths.iter().zip(&p.predictions).for_each(|(path, l)| outln!("{path}\t{l}")),
        // A table's rows get one label each, in order.
        None if table => p.predictions.iter().for_each(|l| outln!("{l}")),
        None => p.predictions.iter().take(10).for_each(|l| outln!("{l}")),
    }
    if p.paths.is_none() && !table && p.predictions.len() > 10 {
        outln!("… ({} more; --json for all)", p.predictions.len() - 10);
    }
    match p.accuracy {
        Some(acc) => outln!("accuracy {acc:.4} on {} labelled samples ({} split)", p.samples, a.split),
        None => outln!("{} samples labelled", p.samples),
    }
    Ok(())
}
