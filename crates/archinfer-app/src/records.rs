//! Tasks as records of the experiment store: a task's samples travel with it, so every
//! command works from the database file alone.

use std::sync::Arc;

use archinfer_data::{
    BUNDLE_FORMAT, Embedder, ImageSet, SYNTHETIC_SUITE, Samples, Task, TaskBundle, build_task, default_embedders, suite, synthetic_suite_tasks,
    task_images,
};
use archinfer_encoding::ArchitectureSpace;
use archinfer_store::{ExperimentStore, TaskData, TaskRecord};
use archinfer_text::{TEXT_MODULES_VERSION, TextEmbedder};

use crate::error::{AppError, Result};

/// A task of the store with its samples decoded and its features computed.
#[derive(Debug, Clone)]
pub struct StoredTask {
    /// The store's record.
    pub record: TaskRecord,
    /// The samples, as recorded.
    pub bundle: TaskBundle,
    /// The task, features computed.
    pub task: Arc<Task>,
}

/// Checks that `task` has every embedding module of `space`, at its width: what every task of
/// one database must have, since its children are architectures of that space. A task may
/// carry more modules than the space reads (a build with newer modules, an older model).
///
/// # Errors
/// [`AppError::DoesNotFit`] naming the modules on both sides.
pub fn fits_space(task: &Task, space: &ArchitectureSpace) -> Result<()> {
    let fmt = |m: Vec<(String, usize)>| m.iter().map(|(n, d)| format!("{n} ({d})")).collect::<Vec<_>>().join(", ");
    let have: Vec<(String, usize)> = task.features().iter().map(|f| (f.name.clone(), f.dim)).collect();
    let want: Vec<(String, usize)> = space.embeddings().iter().map(|e| (e.name.clone(), e.dim)).collect();
    if !want.iter().all(|w| have.contains(w)) {
        return Err(AppError::DoesNotFit { task: task.name().to_string(), have: fmt(have), want: fmt(want) });
    }
    Ok(())
}

/// The record of `bundle` as task `name` of `suite`.
pub fn record_of(name: &str, suite: &str, description: &str, bundle: &TaskBundle) -> TaskRecord {
    TaskRecord {
        name: name.to_string(),
        suite: suite.to_string(),
        num_classes: bundle.class_names.len(),
        train: bundle.split[0],
        validation: bundle.split[1],
        test: bundle.split[2],
        description: description.to_string(),
    }
}

/// Adds a new task with its samples, in one transaction.
///
/// # Errors
/// [`AppError::Store`] with [`archinfer_store::StoreError::DuplicateTask`] if the name is
/// taken (nothing is written).
pub fn add_task(store: &dyn ExperimentStore, record: &TaskRecord, bundle: &TaskBundle) -> Result<()> {
    Ok(store.create_task(record, &TaskData::new(BUNDLE_FORMAT, bundle.encode()?))?)
}

/// The text modules, loaded on first use (reading the WordLlama weights takes a moment and
/// image-only databases never need them).
#[derive(Default)]
pub struct TextModules(Option<Vec<Box<dyn TextEmbedder>>>);

impl std::fmt::Debug for TextModules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TextModules({})", if self.0.is_some() { "loaded" } else { "not loaded" })
    }
}

impl TextModules {
    /// The default text modules ([`archinfer_text::default_text_embedders`]).
    ///
    /// # Errors
    /// When the shipped WordLlama assets cannot be read.
    pub fn get(&mut self) -> Result<&[Box<dyn TextEmbedder>]> {
        if self.0.is_none() {
            self.0 = Some(archinfer_text::default_text_embedders()?);
        }
        Ok(self.0.as_deref().unwrap_or_default())
    }
}

/// The task of `bundle`: images through `images` (the recorded modules), texts through the
/// text modules (the recorded ones, at the recorded version), feature sets as they are.
///
/// # Errors
/// [`archinfer_data::DataError::Modules`] for modules this build does not have, or any
/// decoding or embedding error.
pub fn bundle_task(bundle: &TaskBundle, name: &str, images: &[Box<dyn Embedder>], texts: &mut TextModules) -> Result<Task> {
    match &bundle.samples {
        Samples::Texts { texts: t, modules, modules_version } => {
            let m = texts.get()?;
            let have: Vec<String> = m.iter().map(|e| e.name().to_string()).chain(archinfer_data::TFIDF_MODULES.map(String::from)).collect();
            archinfer_data::check_modules(name, (modules, *modules_version), (&have, TEXT_MODULES_VERSION))?;
            let refs: Vec<&str> = t.iter().map(String::as_str).collect();
            let mut features = archinfer_data::feature_sets(m, &refs)?;
            // The sparse modules come last, fitted on the training split (stored first).
            features.extend(archinfer_data::tfidf_feature_sets(name, &refs, bundle.split[0])?.into_iter().map(|(f, _)| f));
            Ok(bundle.to_task_with_features(name, features)?)
        }
        _ => Ok(bundle.to_task(name, images)?),
    }
}

/// The task of a user's `bundle` (read just now, so recording every module of this build) as a
/// model over `space` whose task encoders read the modules `needed`
/// ([`Inferencer::task_modules`](archinfer_infer::Inferencer::task_modules)) sees it, for a
/// proposal. Of an image task for a model of this build's image modules, only `needed` are
/// computed: the ascent reads the other modules' widths, not their features, and computing them
/// (random convolutions, HOG, PCA, random features) was four fifths of `infer`'s time. Any other
/// task is read whole through the default modules and checked against `space`.
///
/// # Errors
/// As [`bundle_task`], and [`AppError::ModelMismatch`] for a task that does not fit `space`.
pub fn bundle_task_for_model(mut bundle: TaskBundle, name: &str, space: &ArchitectureSpace, needed: &[String]) -> Result<Task> {
    let all = archinfer_data::default_embedders()?;
    let declared = |n: &str, d: Option<usize>| all.iter().any(|m| m.name() == n && d.is_none_or(|d| m.dim() == d));
    let images_only = space.embeddings().iter().all(|e| declared(&e.name, Some(e.dim))) && needed.iter().all(|n| declared(n, None));
    if matches!(bundle.samples, Samples::Images { .. }) && images_only && !needed.is_empty() {
        let some: Vec<Box<dyn Embedder>> = all.into_iter().filter(|m| needed.iter().any(|n| n == m.name())).collect();
        // The bundle records every module of this build; this task reads fewer.
        if let Samples::Images { modules, .. } = &mut bundle.samples {
            *modules = some.iter().map(|m| m.name().to_string()).collect();
        }
        return bundle_task(&bundle, name, &some, &mut TextModules::default());
    }
    let task = bundle_task(&bundle, name, &all, &mut TextModules::default())?;
    check_model_fits(&task, space)?;
    Ok(task)
}

/// Decodes one task of the store.
///
/// # Errors
/// [`AppError::NoSamples`] for a task recorded without samples (a database from before tasks
/// carried them: `suite add` fills them in), an unknown format, or any decoding error.
pub fn load_task(store: &dyn ExperimentStore, record: &TaskRecord, embedders: &[Box<dyn Embedder>]) -> Result<StoredTask> {
    load_task_with(store, record, embedders, &mut TextModules::default())
}

fn load_task_with(store: &dyn ExperimentStore, record: &TaskRecord, embedders: &[Box<dyn Embedder>], texts: &mut TextModules) -> Result<StoredTask> {
    let data = store.task_data(&record.name)?.ok_or_else(|| AppError::NoSamples(record.name.clone()))?;
    if data.format != BUNDLE_FORMAT {
        return Err(AppError::Format { task: record.name.clone(), format: data.format });
    }
    let bundle = TaskBundle::decode(&data.bytes)?;
    let task = Arc::new(bundle_task(&bundle, &record.name, embedders, texts)?);
    Ok(StoredTask { record: record.clone(), bundle, task })
}

/// Every task of the store, in the order they were added, read through the default embedding
/// modules (image and text).
///
/// # Errors
/// As [`load_task`].
pub fn load_tasks(store: &dyn ExperimentStore) -> Result<Vec<StoredTask>> {
    let embedders = default_embedders()?;
    let mut texts = TextModules::default();
    store.tasks()?.iter().map(|r| load_task_with(store, r, &embedders, &mut texts)).collect()
}

/// Fashion-MNIST for `suite`'s tasks, read from `data` or the default place
/// ([`archinfer_data::fashion_mnist_dir`]); `None` for the synthetic suite, which needs none.
///
/// # Errors
/// Fashion-MNIST missing or unreadable.
pub fn suite_images(suite: &str, data: Option<&std::path::Path>) -> Result<Option<ImageSet>> {
    if suite == SYNTHETIC_SUITE {
        return Ok(None);
    }
    Ok(Some(archinfer_data::load_mnist_dir(&archinfer_data::fashion_mnist_dir(data))?))
}

/// Every task of the store, as [`load_tasks`]; a task recorded before tasks carried their
/// samples first gets them from its suite ([`fill_suite`] with Fashion-MNIST from `data`).
/// `on_fill(task, suite)` is told before a suite is filled in.
///
/// # Errors
/// As [`load_tasks`]; [`AppError::SuiteFill`] naming the task when its suite cannot supply
/// its samples.
pub fn load_tasks_filled(store: &dyn ExperimentStore, data: Option<&std::path::Path>, on_fill: &mut dyn FnMut(&str, &str)) -> Result<Vec<StoredTask>> {
    match load_tasks(store) {
        Err(AppError::NoSamples(name)) => {
            let suite = store.tasks()?.into_iter().find(|t| t.name == name).map(|t| t.suite).unwrap_or_default();
            on_fill(&name, &suite);
            suite_images(&suite, data).and_then(|images| fill_suite(store, &suite, images.as_ref())).map_err(|e| AppError::SuiteFill {
                task: name,
                suite,
                reason: e.to_string(),
            })?;
            load_tasks(store)
        }
        other => other,
    }
}

/// Writes image task `task` of the store as MNIST-format files (gzip) in `out`, training images
/// first; a task recorded without samples first gets them from its suite (Fashion-MNIST from
/// `data`; `on_fill(task, suite)` is told before). Returns the images written and how many of
/// them are training images.
///
/// # Errors
/// [`AppError::UnknownTask`]; [`AppError::NotImages`] for a task that is not an image
/// task; [`AppError::SuiteFill`] when its suite cannot supply its samples; as [`load_task`];
/// files that cannot be written.
pub fn export_image_task(
    store: &dyn ExperimentStore,
    task: &str,
    data: Option<&std::path::Path>,
    out: &std::path::Path,
    on_fill: &mut dyn FnMut(&str, &str),
) -> Result<(usize, usize)> {
    let record = store.tasks()?.into_iter().find(|t| t.name == task).ok_or_else(|| AppError::UnknownTask(task.to_string()))?;
    if store.task_data(task)?.is_none() {
        on_fill(task, &record.suite);
        suite_images(&record.suite, data).and_then(|images| fill_suite(store, &record.suite, images.as_ref())).map_err(|e| AppError::SuiteFill {
            task: task.to_string(),
            suite: record.suite.clone(),
            reason: e.to_string(),
        })?;
    }
    let stored = load_task(store, &record, &default_embedders()?)?;
    let set = stored.bundle.images().ok_or_else(|| AppError::NotImages(task.to_string()))?;
    set.write_dir(out, true)?;
    Ok((set.len(), stored.bundle.split[0]))
}

/// The records and samples a named suite produces. `synthetic3` is made in code; the
/// Fashion-MNIST suites cut tasks from `images` (which they need).
///
/// # Errors
/// [`AppError::NeedsImages`] when a Fashion-MNIST suite gets no images, or any suite error.
pub fn suite_bundles(name: &str, images: Option<&ImageSet>) -> Result<Vec<(TaskRecord, TaskBundle)>> {
    if name == SYNTHETIC_SUITE {
        return synthetic_suite_tasks()?
            .into_iter()
            .map(|(t, d)| {
                let names = (0..t.num_classes()).map(|c| c.to_string()).collect();
                let b = TaskBundle::from_features(&t, names);
                Ok((record_of(t.name(), name, &d, &b), b))
            })
            .collect();
    }
    let recipes = suite(name)?;
    let images = images.ok_or_else(|| AppError::NeedsImages(name.to_string()))?;
    let embedders = default_embedders()?;
    recipes
        .iter()
        .map(|r| {
            let (set, train) = task_images(images, r)?;
            let labels = set.labels.iter().map(|&l| u32::from(l)).collect();
            let names = r.classes.iter().map(|c| c.iter().map(|l| archinfer_data::FASHION_CLASSES[*l as usize % 10]).collect::<Vec<_>>().join("+")).collect();
            let b = TaskBundle::from_images(&set, labels, names, [train, r.validation, set.len() - train - r.validation], &embedders)?;
            Ok((record_of(&r.name, name, &r.description, &b), b))
        })
        .collect()
}

/// What [`add_suite`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteAdded {
    /// Tasks created.
    pub created: usize,
    /// Tasks that existed without samples and got them (a migrated database).
    pub filled: usize,
    /// Tasks already present with the same samples.
    pub unchanged: usize,
}

/// Adds a suite's tasks to the store: new ones are created, ones recorded before tasks carried
/// samples get them attached (their record must match), and ones already present are checked
/// and left alone.
///
/// # Errors
/// [`archinfer_store::StoreError::TaskConflict`] if a task of that name exists with other
/// settings or other samples.
pub fn add_suite(store: &dyn ExperimentStore, bundles: &[(TaskRecord, TaskBundle)]) -> Result<SuiteAdded> {
    let mut out = SuiteAdded::default();
    let existing = store.tasks()?;
    for (rec, bundle) in bundles {
        let data = TaskData::new(BUNDLE_FORMAT, bundle.encode()?);
        match existing.iter().find(|t| t.name == rec.name) {
            None => match store.create_task(rec, &data) {
                Ok(()) => out.created += 1,
                // Another process (a second `build-db` starting at the same time) added it first.
                Err(archinfer_store::StoreError::DuplicateTask(_)) => {
                    if store.tasks()?.iter().find(|t| t.name == rec.name) != Some(rec) {
                        return Err(archinfer_store::StoreError::TaskConflict(rec.name.clone()).into());
                    }
                    store.attach_task_data(&rec.name, &data)?;
                    out.unchanged += 1;
                }
                Err(e) => return Err(e.into()),
            },
            Some(e) => {
                if e != rec {
                    return Err(archinfer_store::StoreError::TaskConflict(rec.name.clone()).into());
                }
                let had = store.task_data(&rec.name)?.is_some();
                // Attaching checks existing samples against these (TaskConflict if they differ).
                store.attach_task_data(&rec.name, &data)?;
                if had {
                    out.unchanged += 1;
                } else {
                    out.filled += 1;
                }
            }
        }
    }
    Ok(out)
}

/// Makes one suite task without a store (tests and the old suite path).
///
/// # Errors
/// Any data error.
pub fn suite_task(images: &ImageSet, recipe: &archinfer_data::TaskRecipe) -> Result<Task> {
    Ok(build_task(images, recipe, &default_embedders()?)?)
}

/// The space a task's feature sets make (the paper's widths, activations and layers).
///
/// # Errors
/// A task without feature sets.
pub fn space_of(task: &Task) -> Result<ArchitectureSpace> {
    Ok(ArchitectureSpace::paper(task.features().iter().map(|f| archinfer_encoding::EmbeddingSpec::new(f.name.clone(), f.dim)).collect())?)
}

/// The store's space after checking that `task` fits it, or, for a store without one, `task`'s
/// (recorded).
///
/// # Errors
/// [`AppError::DoesNotFit`]; store failures.
pub fn pin_space(store: &dyn ExperimentStore, task: &Task) -> Result<ArchitectureSpace> {
    let settings = crate::settings::DbSettings::of(store);
    match settings.space()? {
        Some(space) => {
            fits_space(task, &space)?;
            Ok(space)
        }
        None => {
            let space = space_of(task)?;
            settings.set_space(&space)?;
            Ok(space)
        }
    }
}

/// Adds a user's task: checks the name, that it is new and that it fits the store's space,
/// then writes the record and samples in one transaction (and, for a store without a space,
/// the task's).
///
/// # Errors
/// [`AppError::BadOptions`] for an empty name; a store failure or
/// [`archinfer_store::StoreError::DuplicateTask`]; [`AppError::DoesNotFit`]. Nothing is written
/// on error.
pub fn add_user_task(store: &dyn ExperimentStore, name: &str, suite: &str, description: &str, bundle: &TaskBundle, task: &Task) -> Result<()> {
    if name.trim().is_empty() {
        return Err(AppError::BadOptions("a task needs a name".into()));
    }
    if store.tasks()?.iter().any(|t| t.name == name) {
        return Err(archinfer_store::StoreError::DuplicateTask(name.to_string()).into());
    }
    let space = crate::settings::DbSettings::of(store).space()?;
    if let Some(space) = &space {
        fits_space(task, space)?;
    }
    add_task(store, &record_of(name, suite, description, bundle), bundle)?;
    if space.is_none() {
        crate::settings::DbSettings::of(store).set_space(&space_of(task)?)?;
    }
    Ok(())
}

/// Adds suite `suite`'s tasks to `store` (the ones missing, and the samples of ones recorded
/// without), pinning the space to the suite's and recording the suite's name. `images` is
/// Fashion-MNIST for its suites (`None` for the synthetic one).
///
/// # Errors
/// [`AppError::NeedsImages`], [`AppError::DoesNotFit`], store failures.
pub fn fill_suite(store: &dyn ExperimentStore, suite: &str, images: Option<&ImageSet>) -> Result<SuiteAdded> {
    let bundles = suite_bundles(suite, images)?;
    if let Some((rec, b)) = bundles.first() {
        pin_space(store, &b.to_task(&rec.name, &archinfer_data::default_embedders()?)?)?;
    }
    crate::settings::DbSettings::of(store).set_suite_if_missing(suite)?;
    add_suite(store, &bundles)
}

/// Whether `store` holds every task of `suite` with its samples (`build-db --suite` adds the
/// suite only if not).
///
/// # Errors
/// Store failures.
pub fn suite_complete(store: &dyn ExperimentStore, suite: &str) -> Result<bool> {
    let mine: Vec<TaskRecord> = store.tasks()?.into_iter().filter(|t| t.suite == suite).collect();
    for t in &mine {
        if store.task_data(&t.name)?.is_none() {
            return Ok(false);
        }
    }
    Ok(!mine.is_empty())
}

/// Checks that `task` has the embedding modules a model's `space` reads; the error says which
/// kind of data each side is (images, texts or features) and their modules.
///
/// # Errors
/// [`AppError::ModelMismatch`].
pub fn check_model_fits(task: &Task, space: &ArchitectureSpace) -> Result<()> {
    if fits_space(task, space).is_ok() {
        return Ok(());
    }
    let mut text = archinfer_text::default_text_module_names();
    text.extend(archinfer_data::TFIDF_MODULES.map(String::from));
    let image: Vec<String> = archinfer_data::default_embedders()?.iter().map(|e| e.name().to_string()).collect();
    let kind = |names: Vec<String>| -> String {
        let what = if names.iter().all(|n| text.contains(n)) {
            "texts"
        } else if names.iter().all(|n| archinfer_data::is_table_module(n)) {
            "a table"
        } else if names.iter().all(|n| image.contains(n)) {
            "images"
        } else {
            "features"
        };
        format!("{what} (modules {})", names.join(", "))
    };
    Err(AppError::ModelMismatch {
        model: kind(space.embeddings().iter().map(|e| e.name.clone()).collect()),
        data: kind(task.features().iter().map(|f| f.name.clone()).collect()),
    })
}
