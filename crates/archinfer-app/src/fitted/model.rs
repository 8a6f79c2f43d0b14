//! The fitted model: fit (propose, train the candidates, keep the best by validation), save,
//! load and predict.

use std::path::Path;

use archinfer_data::{Embedder, FeatureSet, IMAGE_SIDE, Modality, Splits, USER_SPLIT, USER_SPLIT_SEED, UserData, UserSamples, default_embedders};
use archinfer_dvn::{verify_checksums, write_checksums};
use archinfer_encoding::{DiscreteArchitecture, DiscreteNetwork, DiscreteNetworkConfig};
use archinfer_infer::{AscentConfig, InferOptions, Inferencer};
use archinfer_text::{TEXT_MODULES_VERSION, TextEmbedder, default_text_embedders};
use archinfer_train::{AdamTrainer, ChildSpec, Outcome, PreparedTask};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::info::{ARCHITECTURE_FILE, CandidateRow, FITTED_FILE, FittedInfo, SCHEMA_FILE, VOCABULARY_FILE, WEIGHTS_FILE};
use super::options::FitOptions;
use crate::error::{AppError, Result};

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
    /// A sparse text module with the vocabulary and idf of the task's training texts.
    Tfidf(archinfer_data::Tfidf),
    /// A table module with the column schema of the task's training rows.
    Table(archinfer_data::TableSchema),
}

/// Keeps training `k`'s network in `best` if it trained (`net`) and its validation accuracy
/// beats the one kept (the first on ties).
pub(super) fn keep_better(best: &mut Option<(usize, f32, DiscreteNetwork)>, k: usize, val: f32, net: Option<DiscreteNetwork>) {
    if let Some(net) = net
        && best.as_ref().is_none_or(|(_, v, _)| val > *v)
    {
        *best = Some((k, val, net));
    }
}

/// The modality and image side of a bundle a model can be fitted on.
pub(super) fn modality_of(bundle: &archinfer_data::TaskBundle) -> Result<(Modality, usize)> {
    Ok(match &bundle.samples {
        archinfer_data::Samples::Images { side, .. } => (Modality::Images, *side),
        archinfer_data::Samples::Texts { .. } => (Modality::Texts, IMAGE_SIDE),
        archinfer_data::Samples::Table { .. } => (Modality::Tables, IMAGE_SIDE),
        archinfer_data::Samples::Features(_) => return Err(AppError::BadOptions("a task of precomputed features has no embedding module to save".into())),
    })
}

/// The modules version a model of `modality` records.
fn modules_version(modality: Modality) -> u32 {
    match modality {
        Modality::Texts => TEXT_MODULES_VERSION,
        Modality::Images => archinfer_data::MODULES_VERSION,
        Modality::Tables => archinfer_data::TABLE_MODULES_VERSION,
    }
}

/// A trained network with what it reads: fit it, save it, load it, predict with it.
pub struct FittedModel {
    info: FittedInfo,
    net: DiscreteNetwork,
    module: ModuleKind,
}

fn module_of(info: &FittedInfo, path: &str, tfidf: Option<archinfer_data::Tfidf>, schema: Option<archinfer_data::TableSchema>) -> Result<ModuleKind> {
    if let Some(t) = tfidf {
        return Ok(ModuleKind::Tfidf(t));
    }
    if let Some(s) = schema {
        return Ok(ModuleKind::Table(s));
    }
    let unknown = || AppError::FittedModel { path: path.to_string(), message: format!("unknown embedding module `{}`", info.module) };
    Ok(match info.modality {
        Modality::Texts => ModuleKind::Text(default_text_embedders()?.into_iter().find(|e| e.name() == info.module).ok_or_else(unknown)?),
        Modality::Images => ModuleKind::Image(default_embedders()?.into_iter().find(|e| e.name() == info.module).ok_or_else(unknown)?),
        Modality::Tables => return Err(AppError::FittedModel { path: path.to_string(), message: format!("a table model without its column schema ({SCHEMA_FILE})") }),
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
        // The image modules are built once: the bundle's stored features and the task's are theirs.
        let embedders = default_embedders()?;
        let bundle = data.bundle_with(USER_SPLIT, &embedders)?;
        let task = crate::records::bundle_task(&bundle, name, &embedders, &mut crate::records::TextModules::default())?;
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
        let (modality, side) = modality_of(&bundle)?;
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
            rows.push(CandidateRow::trained(arch, c.params, c.value, &o));
            keep_better(&mut best, k, o.val_accuracy, net);
            Ok(TrainedFit { architecture: arch.clone(), seed, outcome: o })
        })?;
        let (kept, _, net) = best.ok_or_else(|| AppError::BadOptions("every candidate's training failed (non-finite loss)".into()))?;
        Self::assemble(&trainer, bundle, task, modality, side, trained, rows, kept, net)
    }

    /// The kept network `net` (candidate `kept` of `trained`) with what it reads: its info,
    /// and the module refitted on the training texts or the table's schema.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn assemble(
        trainer: &AdamTrainer,
        bundle: archinfer_data::TaskBundle,
        task: &archinfer_data::Task,
        modality: Modality,
        side: usize,
        trained: Vec<TrainedFit>,
        rows: Vec<CandidateRow>,
        kept: usize,
        net: DiscreteNetwork,
    ) -> Result<FitReport> {
        let name = task.name();
        let arch = trained[kept].architecture.clone();
        let o = &trained[kept].outcome;
        let info = FittedInfo {
            task: name.to_string(),
            modality,
            module: arch.embedding.name.clone(),
            modules_version: modules_version(modality),
            side,
            class_names: bundle.class_names.clone(),
            val_accuracy: o.val_accuracy,
            test_accuracy: o.test_accuracy,
            split: (USER_SPLIT, USER_SPLIT_SEED),
            train_config: trainer.config_for(&ChildSpec::Discrete(arch.clone())),
            candidates: rows,
            architecture: arch,
        };
        // A sparse module is refitted on the training texts exactly as the task's features were.
        let tfidf = match (&bundle.samples, archinfer_data::is_tfidf_module(&info.module)) {
            (archinfer_data::Samples::Texts { texts, .. }, true) => {
                let train: Vec<&str> = texts[..bundle.split[0]].iter().map(String::as_str).collect();
                Some(archinfer_data::fit_tfidf_module(name, &info.module, &train)?)
            }
            _ => None,
        };
        let schema = match &bundle.samples {
            archinfer_data::Samples::Table { schema, .. } => Some(schema.clone()),
            _ => None,
        };
        let module = module_of(&info, name, tfidf, schema)?;
        Ok(FitReport { model: FittedModel { info, net, module }, trained, kept, bundle })
    }

    /// What the model is and how it was trained.
    pub fn info(&self) -> &FittedInfo {
        &self.info
    }

    /// The column schema of a model fitted on a table (`None` for images and texts).
    pub fn table_schema(&self) -> Option<&archinfer_data::TableSchema> {
        match &self.module {
            ModuleKind::Table(s) => Some(s),
            _ => None,
        }
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
        if let ModuleKind::Tfidf(t) = &self.module {
            let json = serde_json::to_string(t).map_err(|e| fail(dir, &e))?;
            std::fs::write(dir.join(VOCABULARY_FILE), json).map_err(|e| fail(&dir.join(VOCABULARY_FILE), &e))?;
            write_checksums(dir, &[FITTED_FILE, ARCHITECTURE_FILE, WEIGHTS_FILE, VOCABULARY_FILE])?;
        } else if let ModuleKind::Table(t) = &self.module {
            let json = serde_json::to_string_pretty(t).map_err(|e| fail(dir, &e))?;
            std::fs::write(dir.join(SCHEMA_FILE), json).map_err(|e| fail(&dir.join(SCHEMA_FILE), &e))?;
            write_checksums(dir, &[FITTED_FILE, ARCHITECTURE_FILE, WEIGHTS_FILE, SCHEMA_FILE])?;
        } else {
            write_checksums(dir, &[FITTED_FILE, ARCHITECTURE_FILE, WEIGHTS_FILE])?;
        }
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
        let version = modules_version(info.modality);
        if info.modules_version != version {
            return Err(fail(dir, format!("trained on embedding modules version {}; this build has {version}", info.modules_version)));
        }
        let tfidf = if archinfer_data::is_tfidf_module(&info.module) {
            let p = dir.join(VOCABULARY_FILE);
            let text = std::fs::read_to_string(&p).map_err(|e| fail(&p, format!("the vocabulary of module `{}`: {e}", info.module)))?;
            Some(serde_json::from_str::<archinfer_data::Tfidf>(&text).map_err(|e| fail(&p, e.to_string()))?)
        } else {
            None
        };
        let schema = if info.modality == Modality::Tables {
            let p = dir.join(SCHEMA_FILE);
            let text = std::fs::read_to_string(&p).map_err(|e| fail(&p, format!("the column schema of a table model: {e}")))?;
            Some(serde_json::from_str::<archinfer_data::TableSchema>(&text).map_err(|e| fail(&p, e.to_string()))?)
        } else {
            None
        };
        // A sparse module's first layer has one row per vocabulary term (per table column).
        let arch = match (&tfidf, &schema) {
            (Some(t), _) => info.architecture.clone().with_input_dim(t.n_features()),
            (None, Some(s)) if info.architecture.embedding.dim == archinfer_data::TABLE_MAX_WIDTH => info.architecture.clone().with_input_dim(s.width(&info.module)),
            _ => info.architecture.clone(),
        };
        let module = module_of(&info, &dir.display().to_string(), tfidf, schema)?;
        let net = DiscreteNetworkConfig::new(arch, info.class_names.len())
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
            (ModuleKind::Tfidf(t), UserSamples::Texts(texts)) => {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                archinfer_data::tfidf_feature_set(&self.info.module, t, &refs)
            }
            (ModuleKind::Table(schema), UserSamples::Table { table, .. }) => {
                let sets = schema.feature_sets(table, &data.source).map_err(|e| wrong(e.to_string()))?;
                sets.into_iter().find(|f| f.name == self.info.module).ok_or_else(|| wrong(format!("no table module `{}`", self.info.module)))?
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
            let x = Tensor::<2>::from_data(TensorData::new(feats.gather(chunk), [chunk.len(), feats.input_width()]), device);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use archinfer_encoding::{ArchitectureSpace, EmbeddingChoice, EmbeddingSpec, Encoding};
    use archinfer_train::TrainConfig;

    /// A network on `tfidf-word`, saved and loaded: the vocabulary travels with it, and the
    /// loaded model labels texts as the fitted one does.
    #[test]
    fn a_network_on_a_sparse_module_saves_its_vocabulary() {
        let tmp = tempfile::tempdir().unwrap();
        let csv = tmp.path().join("t.csv");
        let mut s = String::from("text,label\n");
        for i in 0..80 {
            let (w, l) = if i % 2 == 0 { ("apples pears plums", "fruit") } else { ("boats river oars", "boat") };
            s.push_str(&format!("\"{w} note{} day{}\",{l}\n", i % 7, i % 5));
        }
        std::fs::write(&csv, s).unwrap();
        let data = archinfer_data::read_user_data(&csv, &archinfer_data::DataSpec::new(), &mut |_, _| {}).unwrap();
        let embedders = default_embedders().unwrap();
        let bundle = data.bundle_with(USER_SPLIT, &embedders).unwrap();
        let task = crate::records::bundle_task(&bundle, "fruit-or-boat", &embedders, &mut crate::records::TextModules::default()).unwrap();
        let f = task.feature_set("tfidf-word").unwrap();
        assert!(f.is_sparse() && f.input_width() < 100, "{}", f.input_width());

        let space = ArchitectureSpace::paper(task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect()).unwrap();
        let mut arch = Encoding::uniform(&space).discretize(&space).unwrap();
        let index = space.embeddings().iter().position(|e| e.name == "tfidf-word").unwrap();
        arch.embedding = EmbeddingChoice { index, name: "tfidf-word".into(), dim: archinfer_data::TFIDF_MAX_TERMS };
        arch.layers.iter_mut().skip(1).for_each(|l| l.enabled = false);
        arch.layers[0].enabled = true;
        let device = Device::default();
        let trainer = AdamTrainer::new(TrainConfig::new().with_epochs(5).with_learning_rate(1e-2), device.clone()).unwrap();
        let (o, net) = trainer.train_network(&arch, &PreparedTask::new(&task, &device), 1).unwrap();
        assert!(o.test_accuracy > 0.9, "{o:?}");
        let texts = bundle.texts().unwrap();
        let train: Vec<&str> = texts[..bundle.split[0]].iter().map(String::as_str).collect();
        let tfidf = archinfer_data::fit_tfidf_module("fruit-or-boat", "tfidf-word", &train).unwrap();
        let info = FittedInfo {
            task: "fruit-or-boat".into(),
            architecture: arch,
            modality: Modality::Texts,
            module: "tfidf-word".into(),
            modules_version: TEXT_MODULES_VERSION,
            side: IMAGE_SIDE,
            class_names: bundle.class_names.clone(),
            val_accuracy: o.val_accuracy,
            test_accuracy: o.test_accuracy,
            split: (USER_SPLIT, USER_SPLIT_SEED),
            train_config: trainer.config().clone(),
            candidates: Vec::new(),
        };
        let model = FittedModel { info, net: net.unwrap(), module: ModuleKind::Tfidf(tfidf) };
        let dir = tmp.path().join("fitted");
        model.save(&dir).unwrap();
        assert!(dir.join(VOCABULARY_FILE).exists());
        let loaded = FittedModel::load(&dir, &device).unwrap();
        let all = loaded.predict(&data, None, &device).unwrap();
        assert_eq!(all, model.predict(&data, None, &device).unwrap());
        let test = loaded.predict_split(&data, "test", &device).unwrap();
        approx::assert_abs_diff_eq!(test.accuracy.unwrap(), f64::from(o.test_accuracy), epsilon = 1e-6);
        // Without its vocabulary the model is refused, naming the file.
        std::fs::remove_file(dir.join(VOCABULARY_FILE)).unwrap();
        let e = FittedModel::load(&dir, &device).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("vocabulary"), "{e}");
    }
}
