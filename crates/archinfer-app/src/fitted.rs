//! A trained network for a user's task, as a program uses it: [`FittedModel::fit`] infers,
//! trains the best distinct candidates and keeps the best by validation accuracy;
//! [`FittedModel::save`] writes a checksummed directory (what `archinfer fit` writes);
//! [`FittedModel::load`] reads one back; [`FittedModel::predict`] labels samples.
//!
//! The directory holds [`FITTED_FILE`] (what the network reads and how it was trained),
//! `architecture.json`, the weights (`model.bpk`) and the checksum list the value network's
//! directories use too ([`archinfer_dvn::write_checksums`]).

use std::path::Path;

use archinfer_data::{Embedder, FeatureSet, Splits, default_embedders};
use archinfer_dvn::{verify_checksums, write_checksums};
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, DiscreteNetwork, DiscreteNetworkConfig};
use archinfer_infer::{AscentConfig, InferOptions, Inferencer};
use archinfer_store::{ExperimentStore, PlannedTrial, TrialResult};
use archinfer_text::{TEXT_MODULES_VERSION, TextEmbedder, default_text_embedders};
use archinfer_train::{AdamTrainer, ChildSpec, Outcome, PreparedTask, TrainConfig};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Result};
use archinfer_data::{IMAGE_SIDE, Modality, USER_SPLIT, USER_SPLIT_SEED, UserData, UserSamples};

/// What a fitted model's directory says about it.
pub const FITTED_FILE: &str = "fitted.json";
/// The kept network's architecture.
pub const ARCHITECTURE_FILE: &str = "architecture.json";
/// The kept network's weights.
pub const WEIGHTS_FILE: &str = "model.bpk";

/// What [`FITTED_FILE`] holds: the network, what it reads and how it was trained.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedInfo {
    /// Task name.
    pub task: String,
    /// The network.
    pub architecture: DiscreteArchitecture,
    /// What it reads (files written before texts existed: images).
    #[serde(default = "images")]
    pub modality: Modality,
    /// The embedding module it reads (one of the default image or text modules, at
    /// `modules_version`).
    pub module: String,
    /// Version of the embedding modules.
    pub modules_version: u32,
    /// Image side the module reads.
    pub side: usize,
    /// Output index → class name, as the training data spelled it.
    pub class_names: Vec<String>,
    /// Validation accuracy of the kept network.
    pub val_accuracy: f32,
    /// Test accuracy of the kept network.
    pub test_accuracy: f32,
    /// Train / validation / test fractions and seed of the split it was trained on.
    pub split: ([f64; 3], u64),
    /// The child training settings of the kept network.
    pub train_config: TrainConfig,
    /// Every candidate trained.
    pub candidates: Vec<CandidateRow>,
}

fn images() -> Modality {
    Modality::Images
}

/// One trained candidate, as [`FITTED_FILE`] lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateRow {
    /// One-line architecture.
    pub architecture: String,
    /// Parameters for the task.
    pub params: usize,
    /// The value network's prediction.
    pub predicted: f32,
    /// Validation accuracy.
    pub val_accuracy: f32,
    /// Test accuracy.
    pub test_accuracy: f32,
    /// Training seconds.
    pub seconds: f64,
    /// Whether training completed.
    pub done: bool,
}

/// Settings of [`FittedModel::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Distinct candidates to train; the best by validation accuracy is kept.
    pub candidates: usize,
    /// Hard budget on the candidates' parameters.
    pub max_params: Option<usize>,
    /// Training seed of the first candidate (the k-th uses `seed + k`).
    pub seed: u64,
    /// Child training settings of candidates without a recipe of their own.
    pub train: TrainConfig,
    /// Every candidate must be a point of this space (a database the trainings are recorded
    /// in), checked before anything is trained.
    pub record_space: Option<ArchitectureSpace>,
}

impl FitOptions {
    /// One candidate, seed 0, `train` for candidates without a recipe.
    pub fn new(train: TrainConfig) -> Self {
        Self { candidates: 1, max_params: None, seed: 0, train, record_space: None }
    }
    /// Train `k` distinct candidates.
    pub fn with_candidates(mut self, k: usize) -> Self {
        self.candidates = k;
        self
    }
    /// A parameter budget.
    pub fn with_max_params(mut self, max: Option<usize>) -> Self {
        self.max_params = max;
        self
    }
    /// The first training seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Candidates must fit this space.
    pub fn with_record_space(mut self, space: Option<ArchitectureSpace>) -> Self {
        self.record_space = space;
        self
    }
}

/// The build-db defaults (Adam 1e-3, 20 epochs, batch 64): what `fit` trains with when no
/// database says otherwise.
pub fn default_train_config() -> TrainConfig {
    TrainConfig::new().with_learning_rate(1e-3).with_epochs(20).with_batch_size(64)
}

/// One candidate's training.
#[derive(Debug, Clone)]
pub struct TrainedFit {
    /// The architecture.
    pub architecture: DiscreteArchitecture,
    /// Its training seed.
    pub seed: u64,
    /// How training went.
    pub outcome: Outcome,
}

/// What [`FittedModel::fit`] did: the kept model, every candidate's training, the task it
/// made of the data, and how many distinct candidates the ascent found.
pub struct FitReport {
    /// The kept network.
    pub model: FittedModel,
    /// Every candidate's training, in order.
    pub trained: Vec<TrainedFit>,
    /// Index of the kept one in `trained`.
    pub kept: usize,
    /// The task's samples, split by [`USER_SPLIT`].
    pub bundle: archinfer_data::TaskBundle,
}

/// The embedding module a fitted network reads.
enum ModuleKind {
    Image(Box<dyn Embedder>),
    Text(Box<dyn TextEmbedder>),
}

/// A trained network with what it reads: fit it, save it, load it, predict with it.
pub struct FittedModel {
    info: FittedInfo,
    net: DiscreteNetwork,
    module: ModuleKind,
}

fn module_of(info: &FittedInfo, path: &str) -> Result<ModuleKind> {
    let unknown = || AppError::FittedModel { path: path.to_string(), message: format!("unknown embedding module `{}`", info.module) };
    Ok(match info.modality {
        Modality::Texts => ModuleKind::Text(default_text_embedders()?.into_iter().find(|e| e.name() == info.module).ok_or_else(unknown)?),
        Modality::Images => ModuleKind::Image(default_embedders()?.into_iter().find(|e| e.name() == info.module).ok_or_else(unknown)?),
    })
}

impl FittedModel {
    /// Proposes candidates for `data` with `inferencer`, trains the first
    /// [`FitOptions::candidates`] distinct ones on the [`USER_SPLIT`] of the data and keeps the
    /// one with the best validation accuracy. `progress(k, total, architecture)` is called
    /// before each training.
    ///
    /// # Errors
    /// Unlabelled data, data the model cannot read, a candidate outside
    /// [`FitOptions::record_space`] (before anything is trained), training failures, or every
    /// candidate's training diverging.
    pub fn fit(
        inferencer: &Inferencer,
        data: &UserData,
        name: &str,
        options: &FitOptions,
        device: &Device,
        progress: &mut dyn FnMut(usize, usize, &str),
    ) -> Result<FitReport> {
        let bundle = data.bundle(USER_SPLIT)?;
        let task = crate::records::bundle_task(&bundle, name, &default_embedders()?, &mut crate::records::TextModules::default())?;
        Self::fit_task(inferencer, bundle, &task, options, device, progress)
    }

    /// As [`fit`](Self::fit), for a task already made from a bundle split by [`USER_SPLIT`]
    /// (its images or texts; a task of precomputed features has no module to save).
    ///
    /// # Errors
    /// As [`fit`](Self::fit); [`AppError::BadOptions`] for a bundle of precomputed features.
    pub fn fit_task(
        inferencer: &Inferencer,
        bundle: archinfer_data::TaskBundle,
        task: &archinfer_data::Task,
        options: &FitOptions,
        device: &Device,
        progress: &mut dyn FnMut(usize, usize, &str),
    ) -> Result<FitReport> {
        if options.candidates == 0 {
            return Err(AppError::BadOptions("fit needs at least one candidate".into()));
        }
        let (modality, side) = match &bundle.samples {
            archinfer_data::Samples::Images { side, .. } => (Modality::Images, *side),
            archinfer_data::Samples::Texts { .. } => (Modality::Texts, IMAGE_SIDE),
            archinfer_data::Samples::Features(_) => return Err(AppError::BadOptions("a task of precomputed features has no embedding module to save".into())),
        };
        let name = task.name();
        crate::records::check_model_fits(task, &inferencer.dvn.config.space)?;
        let opts = InferOptions::new().with_ascent(AscentConfig::new()).with_max_params(options.max_params);
        let p = inferencer.propose(task, &opts)?;
        let picks: Vec<_> = crate::inferencer::distinct(&p).into_iter().take(options.candidates).collect();
        if let Some(space) = &options.record_space {
            for c in &picks {
                c.architecture
                    .check(space)
                    .map_err(|e| AppError::BadOptions(format!("candidate `{}` cannot be recorded in the database's space: {e}", c.architecture)))?;
            }
        }
        let trainer = AdamTrainer::new(options.train.clone(), device.clone())?;
        let prep = PreparedTask::new(task, device);
        let mut best: Option<(usize, f32, DiscreteNetwork)> = None;
        let mut rows = Vec::new();
        let trained = crate::inferencer::train_candidates(picks.iter().map(|c| &c.architecture), options.seed, |k, arch, seed| -> Result<TrainedFit> {
            let c = picks[k];
            progress(k, picks.len(), &arch.to_string());
            let (o, net) = trainer.train_network(arch, &prep, seed)?;
            rows.push(CandidateRow {
                architecture: arch.to_string(),
                params: c.params,
                predicted: c.value,
                val_accuracy: o.val_accuracy,
                test_accuracy: o.test_accuracy,
                seconds: o.seconds,
                done: o.is_done(),
            });
            if let Some(net) = net
                && best.as_ref().is_none_or(|(_, v, _)| o.val_accuracy > *v)
            {
                best = Some((k, o.val_accuracy, net));
            }
            Ok(TrainedFit { architecture: arch.clone(), seed, outcome: o })
        })?;
        let (kept, _, net) = best.ok_or_else(|| AppError::BadOptions("every candidate's training failed (non-finite loss)".into()))?;
        let arch = trained[kept].architecture.clone();
        let o = &trained[kept].outcome;
        let info = FittedInfo {
            task: name.to_string(),
            modality,
            module: arch.embedding.name.clone(),
            modules_version: match modality {
                Modality::Texts => TEXT_MODULES_VERSION,
                Modality::Images => archinfer_data::MODULES_VERSION,
            },
            side,
            class_names: bundle.class_names.clone(),
            val_accuracy: o.val_accuracy,
            test_accuracy: o.test_accuracy,
            split: (USER_SPLIT, USER_SPLIT_SEED),
            train_config: trainer.config_for(&ChildSpec::Discrete(arch.clone())),
            candidates: rows,
            architecture: arch,
        };
        let module = module_of(&info, name)?;
        Ok(FitReport { model: FittedModel { info, net, module }, trained, kept, bundle })
    }

    /// What the model is and how it was trained.
    pub fn info(&self) -> &FittedInfo {
        &self.info
    }

    /// Writes the model directory (created if missing), checksummed.
    ///
    /// # Errors
    /// [`AppError::FittedModel`] naming what could not be written.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let fail = |p: &Path, e: &dyn std::fmt::Display| AppError::FittedModel { path: p.display().to_string(), message: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, &e))?;
        let json = serde_json::to_string_pretty(&self.info).map_err(|e| fail(dir, &e))?;
        std::fs::write(dir.join(FITTED_FILE), json).map_err(|e| fail(&dir.join(FITTED_FILE), &e))?;
        std::fs::write(dir.join(ARCHITECTURE_FILE), self.info.architecture.to_json()?).map_err(|e| fail(&dir.join(ARCHITECTURE_FILE), &e))?;
        self.net.clone().save_file(dir.join(WEIGHTS_FILE)).map_err(|e| fail(&dir.join(WEIGHTS_FILE), &e))?;
        write_checksums(dir, &[FITTED_FILE, ARCHITECTURE_FILE, WEIGHTS_FILE])?;
        Ok(())
    }

    /// Loads a directory written by [`save`](Self::save) (or `archinfer fit`) onto `device`.
    ///
    /// # Errors
    /// [`AppError::FittedModel`] for a missing file, a file that does not parse or weights of
    /// another shape; [`archinfer_dvn::DvnError::Tampered`] for a file changed since it was
    /// saved; an embedding module this build does not have.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let fail = |p: &Path, m: String| AppError::FittedModel { path: p.display().to_string(), message: m };
        for f in [FITTED_FILE, ARCHITECTURE_FILE, WEIGHTS_FILE, archinfer_dvn::CHECKSUM_FILE] {
            if !dir.join(f).exists() {
                return Err(fail(dir, format!("missing {f}; not a directory written by `archinfer fit`")));
            }
        }
        verify_checksums(dir)?;
        let text = std::fs::read_to_string(dir.join(FITTED_FILE)).map_err(|e| fail(&dir.join(FITTED_FILE), e.to_string()))?;
        let info: FittedInfo = serde_json::from_str(&text).map_err(|e| fail(&dir.join(FITTED_FILE), e.to_string()))?;
        let version = match info.modality {
            Modality::Texts => TEXT_MODULES_VERSION,
            Modality::Images => archinfer_data::MODULES_VERSION,
        };
        if info.modules_version != version {
            return Err(fail(dir, format!("trained on embedding modules version {}; this build has {version}", info.modules_version)));
        }
        let module = module_of(&info, &dir.display().to_string())?;
        let net = DiscreteNetworkConfig::new(info.architecture.clone(), info.class_names.len())
            .init(device)?
            .try_load_file(dir.join(WEIGHTS_FILE))
            .map_err(|e| fail(&dir.join(WEIGHTS_FILE), e.to_string()))?;
        Ok(Self { info, net, module })
    }

    /// The class names of `indices` of `data` (all of it for `None`), predicted in batches.
    ///
    /// # Errors
    /// [`AppError::UserData`] for data of the other modality or images of another side;
    /// an index past the data; embedding or forward failures.
    pub fn predict(&self, data: &UserData, indices: Option<&[usize]>, device: &Device) -> Result<Vec<String>> {
        let wrong = |m: String| AppError::UserData { path: data.source.clone(), message: m };
        let feats = match (&self.module, &data.samples) {
            (ModuleKind::Image(e), UserSamples::Images(images)) => {
                if images.side != self.info.side {
                    return Err(wrong(format!("{} × {} images; the network reads {} × {}", images.side, images.side, self.info.side, self.info.side)));
                }
                FeatureSet::new(e.name(), e.dim(), e.embed_all(&images.pixels, images.side * images.side))
            }
            (ModuleKind::Text(e), UserSamples::Texts(texts)) => {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                FeatureSet::new(e.name(), e.dim(), e.embed(&refs)?)
            }
            _ => {
                return Err(wrong(format!("{}; the network reads {}", data.modality(), self.info.modality)));
            }
        };
        let all: Vec<usize>;
        let idx = match indices {
            Some(i) => i,
            None => {
                all = (0..data.len()).collect();
                &all
            }
        };
        if let Some(&bad) = idx.iter().find(|&&i| i >= data.len()) {
            return Err(wrong(format!("sample {bad} asked for; the data have {}", data.len())));
        }
        let mut predicted = Vec::with_capacity(idx.len());
        for chunk in idx.chunks(4096) {
            let x = Tensor::<2>::from_data(TensorData::new(feats.gather(chunk), [chunk.len(), feats.dim]), device);
            let out = self.net.forward(x)?.argmax(1).reshape([chunk.len()]).into_data();
            let cls: Vec<i64> = out.convert::<i64>().try_to_vec::<i64>().map_err(|e| wrong(format!("{e:?}")))?;
            predicted.extend(cls.into_iter().map(|c| self.info.class_names.get(c as usize).cloned().unwrap_or_default()));
        }
        Ok(predicted)
    }

    /// Labels the `part` of `data` ([`FittedModel::split_indices`]): the labels, each
    /// sample's file where the data are image files, and the accuracy where they are labelled.
    ///
    /// # Errors
    /// As [`FittedModel::split_indices`] and [`FittedModel::predict`].
    pub fn predict_split(&self, data: &UserData, part: &str, device: &Device) -> Result<Predictions> {
        let idx = self.split_indices(data.len(), part)?;
        let predictions = self.predict(data, Some(&idx), device)?;
        let paths: Vec<String> = idx.iter().filter_map(|&i| data.paths.get(i)).map(|p| p.display().to_string()).collect();
        let paths = (paths.len() == idx.len() && !paths.is_empty()).then_some(paths);
        Ok(Predictions { split: part.to_string(), samples: idx.len(), accuracy: accuracy(data, &idx, &predictions), predictions, paths })
    }

    /// The samples of one part of the split the model was trained on, cut from `n` samples
    /// as [`UserData::bundle`] cut them: `train`, `validation` or `test`; `all` for every one.
    ///
    /// # Errors
    /// [`AppError::BadOptions`] for another part's name.
    pub fn split_indices(&self, n: usize, part: &str) -> Result<Vec<usize>> {
        if part == "all" {
            return Ok((0..n).collect());
        }
        let (fractions, seed) = self.info.split;
        let s = Splits::random(n, fractions, seed)?;
        match part {
            "train" => Ok(s.train),
            "validation" => Ok(s.validation),
            "test" => Ok(s.test),
            other => Err(AppError::BadOptions(format!("split `{other}`: expected all, train, validation or test"))),
        }
    }
}

/// What [`FittedModel::predict_split`] found (`archinfer predict --json` prints it, with the
/// model's folder and the seconds taken).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Predictions {
    /// The part of the split: `all`, `train`, `validation` or `test`.
    pub split: String,
    /// Samples labelled.
    pub samples: usize,
    /// Accuracy, for labelled data.
    pub accuracy: Option<f64>,
    /// One class name per sample.
    pub predictions: Vec<String>,
    /// Each sample's file, for image files.
    pub paths: Option<Vec<String>>,
}

/// The recipe and record space of a fit: the recipe of `settings` (a database; build-db's
/// defaults without one), with `epochs` in place of its epochs; and, where the trainings are
/// recorded in `record`, that database's space, after checking that `task` fits it, that the
/// model's space is not newer and that `epochs` agrees with the recorded children's recipe.
///
/// # Errors
/// [`AppError::Setting`] for `epochs` that differ from `record`'s recipe;
/// [`AppError::DoesNotFit`]; a model space newer than `record`'s; store failures.
pub fn fit_settings(
    settings: Option<&dyn ExperimentStore>,
    record: Option<&dyn ExperimentStore>,
    epochs: Option<usize>,
    task: &archinfer_data::Task,
    model_space: &ArchitectureSpace,
) -> Result<(TrainConfig, Option<ArchitectureSpace>)> {
    let pinned = settings.map(|s| crate::settings::DbSettings::of(s).train_config()).transpose()?.flatten();
    let mut config = pinned.clone().unwrap_or_else(default_train_config);
    if let Some(e) = epochs {
        // A recorded child without a recipe stands for the database's recipe: another length
        // would be recorded under the wrong one.
        if let (Some(_), Some(p)) = (record, &pinned)
            && p.epochs != e
        {
            let message = format!("--epochs {e}: the database's children train {} epochs, and recorded trainings must too", p.epochs);
            return Err(AppError::Setting { key: archinfer_store::MetaKey::TrainConfig.as_str(), message });
        }
        config = config.with_epochs(e);
    }
    let Some(space) = record.map(|r| crate::settings::DbSettings::of(r).space()).transpose()?.flatten() else { return Ok((config, None)) };
    crate::records::fits_space(task, &space)?;
    // A recipe-carrying child cannot be read back by a version-1 database.
    if model_space.version() > space.version() {
        let what = "the model".to_string();
        return Err(archinfer_encoding::EncodingError::SpaceVersion { what, found: model_space.version(), expected: space.version() }.into());
    }
    Ok((config, Some(space)))
}

/// The share of `predicted` that equals the labels of `indices` of `data`; `None` for
/// unlabelled data or no samples.
pub fn accuracy(data: &UserData, indices: &[usize], predicted: &[String]) -> Option<f64> {
    let names = data.label_names()?;
    if indices.is_empty() {
        return None;
    }
    let right = indices.iter().zip(predicted).filter(|(i, p)| names.get(**i).is_some_and(|n| *n == p.as_str())).count();
    Some(right as f64 / indices.len() as f64)
}

/// Records a fit's completed trainings under task `name` in `store` (adding the task, and a
/// new database's space and recipe, if missing): what `archinfer fit --record` does, so the
/// database grows with use. The trials take the indices after the task's random children,
/// below the pool's. Returns how many were recorded.
///
/// # Errors
/// Store failures.
pub fn record_fit(
    store: &dyn ExperimentStore,
    name: &str,
    source: &str,
    report: &FitReport,
    model_space: &ArchitectureSpace,
    train: &TrainConfig,
    worker: &str,
) -> Result<usize> {
    if !store.tasks()?.iter().any(|t| t.name == name) {
        crate::records::add_task(store, &crate::records::record_of(name, "user", &format!("recorded by fit from {source}"), &report.bundle), &report.bundle)?;
        let settings = crate::settings::DbSettings::of(store);
        if settings.space()?.is_none() {
            settings.set_space(model_space)?;
        }
        if settings.train_config()?.is_none() {
            settings.pin_train_config(train)?;
        }
    }
    let next = store.trials(Some(name))?.iter().filter(|t| t.trial_index < crate::pool::POOL_FIRST_INDEX).map(|t| t.trial_index + 1).max().unwrap_or(0);
    let mut rows = Vec::new();
    for t in report.trained.iter().filter(|t| t.outcome.is_done()) {
        let o = &t.outcome;
        rows.push((
            PlannedTrial { trial_index: next + rows.len(), architecture: t.architecture.to_json()?, seed: t.seed },
            TrialResult {
                val_accuracy: o.val_accuracy,
                test_accuracy: o.test_accuracy,
                seconds: o.seconds,
                num_params: o.num_params,
                epochs_run: o.epochs_run,
            },
        ));
    }
    store.record_trials(name, worker, &rows)?;
    Ok(rows.len())
}
