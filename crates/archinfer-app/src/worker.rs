//! Building the experiment database: plan the children each task lacks, then train claimed
//! trials until none is left. Written against [`ExperimentStore`] and [`ChildTrainer`], so any
//! store and any trainer plug in.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use archinfer_data::Task;
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use archinfer_store::{ExperimentStore, PlannedTrial, Trial, TrialResult};
use archinfer_train::{ChildSpec, ChildTrainer, PreparedTask, Status};
use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::error::{AppError, Result};

/// Plans, for every task of the store with fewer than `children` trials, the missing ones.
/// Task `k` (its position in the store) draws its plan from a seed of `(seed, k)`, so a task's
/// plan does not depend on which tasks were added after it, and existing trials are never
/// touched. Returns how many trials were added.
///
/// # Errors
/// Storage failures.
pub fn plan_missing(store: &dyn ExperimentStore, space: &ArchitectureSpace, children: usize, seed: u64) -> Result<usize> {
    plan_missing_among(store, space, children, seed, None)
}

/// As [`plan_missing`], each child's module drawn among `modules` (indices into the space's
/// modules; all of them when `None`, which is [`plan_missing`]). After a module migration this
/// gives the new modules children of their own without drawing more of the old ones.
///
/// # Errors
/// [`AppError::BadOptions`] for a bad module index; storage failures.
pub fn plan_missing_among(store: &dyn ExperimentStore, space: &ArchitectureSpace, children: usize, seed: u64, modules: Option<&[usize]>) -> Result<usize> {
    let trials = store.trials(None)?;
    let mut added = 0;
    for (k, t) in store.tasks()?.iter().enumerate() {
        let have = trials.iter().filter(|x| x.task == t.name && x.trial_index < crate::pool::POOL_FIRST_INDEX).count();
        if have >= children {
            continue;
        }
        let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(k as u64));
        let plan: Vec<PlannedTrial> = (0..children)
            .map(|i| {
                let arch = crate::pool::draw(space, modules, &mut rng)?;
                Ok(PlannedTrial { trial_index: i, architecture: arch.to_json()?, seed: seed.wrapping_mul(31).wrapping_add((k * 100_000 + i) as u64) })
            })
            .collect::<Result<_>>()?;
        added += store.plan(&t.name, &plan)?;
    }
    Ok(added)
}

/// Checks that every trial still to train (pending or running) has an architecture that fits
/// `space` (modules, layers, recipe), so a build refuses a bad stored plan before it claims
/// anything. Writes nothing.
///
/// # Errors
/// [`AppError::BadArchitecture`] naming the first trial that does not fit; storage failures.
pub fn check_planned(store: &dyn ExperimentStore, space: &ArchitectureSpace) -> Result<()> {
    for t in store.trials(None)? {
        if matches!(t.status, archinfer_store::TrialStatus::Pending | archinfer_store::TrialStatus::Running) {
            DiscreteArchitecture::from_json(space, &t.architecture)
                .map_err(|e| AppError::BadArchitecture { trial: t.id, message: format!("task `{}`: {e}", t.task) })?;
        }
    }
    Ok(())
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// This worker's name (unique across processes and machines).
    pub name: String,
    /// A running trial whose worker sent no heartbeat for this long is run again.
    pub stale_after: Duration,
    /// Stop after this many trials (`None`: until the plan is done).
    pub max_trials: Option<usize>,
}

/// What became of the report of a trained trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Recorded: this worker held the claim.
    Recorded,
    /// Refused: this worker lost its claim while training (it was declared dead, its trial
    /// requeued and perhaps run by another worker), so the result was not written.
    Refused,
}

/// What `run_worker` calls after each trained trial: the trial, its outcome, its report.
pub type OnTrial<'a> = dyn FnMut(&Trial, &std::result::Result<TrialResult, String>, Report) + 'a;

/// Trains claimed trials of `store` with `trainer` until no pending trial is left (or
/// `max_trials`), recording each outcome exactly once. `on_trial` sees every trained trial and
/// whether its report was recorded or refused (progress bars, logs). Heartbeats are the caller's: long trainings need them from a side thread.
/// Returns how many trials this worker recorded.
///
/// # Errors
/// Storage failures, a trial of a task not in `tasks`, or an architecture that does not parse.
/// A training that fails is recorded as a failed trial, not returned as an error.
pub fn run_worker(
    store: &dyn ExperimentStore,
    trainer: &dyn ChildTrainer,
    tasks: &HashMap<String, Arc<Task>>,
    device: &Device,
    options: &WorkerOptions,
    on_trial: &mut OnTrial<'_>,
) -> Result<usize> {
    let mut prepared: HashMap<String, PreparedTask> = HashMap::new();
    let mut recorded = 0;
    loop {
        if options.max_trials.is_some_and(|m| recorded >= m) {
            return Ok(recorded);
        }
        store.requeue_stale(options.stale_after)?;
        let Some(trial) = store.claim(&options.name)? else {
            return Ok(recorded);
        };
        let task = tasks.get(&trial.task).ok_or_else(|| AppError::NoSamples(trial.task.clone()))?;
        let prep = prepared.entry(trial.task.clone()).or_insert_with(|| PreparedTask::new(task, device));
        let arch: DiscreteArchitecture =
            serde_json::from_str(&trial.architecture).map_err(|e| AppError::BadArchitecture { trial: trial.id, message: e.to_string() })?;
        let result = match trainer.train(&ChildSpec::Discrete(arch), prep, trial.seed) {
            Ok(o) => match o.status {
                Status::Done => Ok(TrialResult {
                    val_accuracy: o.val_accuracy,
                    test_accuracy: o.test_accuracy,
                    seconds: o.seconds,
                    num_params: o.num_params,
                    epochs_run: o.epochs_run,
                }),
                Status::Failed { reason } => Err(reason),
            },
            Err(e) => Err(e.to_string()),
        };
        if store.complete(trial.id, &options.name, result.clone())? {
            recorded += 1;
            on_trial(&trial, &result, Report::Recorded);
        } else {
            on_trial(&trial, &result, Report::Refused);
        }
    }
}

/// Settings of [`run_workers`]: `workers` threads in this process, named
/// `{prefix}:{thread}`, sharing a budget of `max_trials`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerPoolOptions {
    /// Worker threads.
    pub workers: usize,
    /// Name prefix of the workers (unique across processes and machines, e.g. `host:pid`).
    pub prefix: String,
    /// A running trial whose worker sent no heartbeat for this long is run again.
    pub stale_after: Duration,
    /// Trials this process trains at most, split over its workers (`None`: no limit).
    pub max_trials: Option<usize>,
    /// Interval of each worker's heartbeats.
    pub heartbeat: Duration,
}

impl WorkerPoolOptions {
    /// `workers` threads named after this process ([`process_name`]), a requeue after
    /// `stale_after` without heartbeat, heartbeats every 2 s, no trial limit.
    pub fn new(workers: usize, stale_after: Duration) -> Self {
        Self { workers: workers.max(1), prefix: process_name(), stale_after, max_trials: None, heartbeat: Duration::from_secs(2) }
    }
}

/// This process's name among workers, `host:pid`: the host from `$HOSTNAME`, else
/// `/etc/hostname`, else `host`.
pub fn process_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()).filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}", std::process::id())
}

/// Opens one worker's store.
pub type OpenStore<'a> = dyn Fn() -> Result<Box<dyn ExperimentStore>> + Sync + 'a;
/// Makes one worker's trainer.
pub type MakeTrainer<'a> = dyn Fn() -> Result<Box<dyn ChildTrainer>> + Sync + 'a;
/// What [`run_workers`] calls after each trained trial of any worker.
pub type OnAnyTrial<'a> = dyn Fn(&Trial, &std::result::Result<TrialResult, String>, Report) + Sync + 'a;

/// Runs [`run_worker`] on `options.workers` threads, each with its own store from `open` and
/// trainer from `trainer`, and a side thread sending its heartbeats (so a long training does
/// not look like a dead worker). `on_trial` sees every trained trial of every worker. Returns
/// how many trials this process recorded.
///
/// # Errors
/// The first worker's error (each worker records what it trained before it stops), or a
/// worker thread that panicked.
pub fn run_workers(
    open: &OpenStore<'_>,
    trainer: &MakeTrainer<'_>,
    tasks: &HashMap<String, Arc<Task>>,
    device: &Device,
    options: &WorkerPoolOptions,
    on_trial: &OnAnyTrial<'_>,
) -> Result<usize> {
    let workers = options.workers.max(1);
    let results: Vec<Result<usize>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let max_trials = options.max_trials.map(|m| m / workers + usize::from(w < m % workers));
                scope.spawn(move || -> Result<usize> {
                    if max_trials == Some(0) {
                        return Ok(0);
                    }
                    let store: Arc<dyn ExperimentStore> = Arc::from(open()?);
                    let name = format!("{}:{w}", options.prefix);
                    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
                    let beat = {
                        let (store, name, stop, every) = (store.clone(), name.clone(), stop.clone(), options.heartbeat);
                        std::thread::spawn(move || {
                            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                                let _ = store.heartbeat(&name);
                                std::thread::sleep(every);
                            }
                        })
                    };
                    let trainer = trainer()?;
                    let opts = WorkerOptions { name, stale_after: options.stale_after, max_trials };
                    let r = run_worker(store.as_ref(), trainer.as_ref(), tasks, device, &opts, &mut |t, r, rep| on_trial(t, r, rep));
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    let _ = beat.join();
                    r
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(AppError::BadOptions("a worker thread panicked".into())))).collect()
    });
    let mut trained = 0;
    let mut first_err = None;
    for r in results {
        match r {
            Ok(n) => trained += n,
            Err(e) => first_err = first_err.or(Some(e)),
        }
    }
    first_err.map_or(Ok(trained), Err)
}

/// What one `build-db` run asks of a database: the children per task, the plan seed, the
/// recipe of the children, the pool, and the migrations.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPlan {
    /// Random children planned per task.
    pub children: usize,
    /// Seed of the plan and of the pool.
    pub seed: u64,
    /// The children's recipe (pinned: a resumed build with another is refused).
    pub train: archinfer_train::TrainConfig,
    /// Pool members (`None`: the stored pool's size, else 64; 0: no pool this run).
    pub pool: Option<usize>,
    /// Migrate the space to this version (only 1 → 2 exists).
    pub space_version: Option<u32>,
    /// Embedding modules to add to the space.
    pub add_modules: Vec<String>,
    /// The modules new children and pool members draw from (empty: all).
    pub draw_modules: Vec<String>,
    /// Add the pool's linear members (no hidden layer, each weight decay of the recipe block)
    /// on these modules ([`crate::pool::Pool::with_linear_members`]).
    pub linear_members: Vec<String>,
}

/// What [`prepare_build`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPrepared {
    /// The space the children are planned in (after any migration).
    pub space: ArchitectureSpace,
    /// Whether the space was migrated to a new version.
    pub migrated_version: bool,
    /// Whether modules were added.
    pub added_modules: bool,
    /// Trials planned by this run.
    pub planned: usize,
}

/// Checks `plan` against the database and its `tasks` (every task fits the space, the
/// migrations can be done, the pool's size and seed agree), and only then pins the recipe and
/// the seed, migrates the space and plans the children and the pool that are missing.
///
/// # Errors
/// Any failed check ([`AppError::DoesNotFit`], [`AppError::ModuleMigration`],
/// [`AppError::PoolConflict`], [`AppError::Setting`], a space version that cannot be
/// reached); store failures. On a database that has its tasks, a failed check writes nothing.
pub fn prepare_build(store: &dyn ExperimentStore, tasks: &[&Task], plan: &BuildPlan) -> Result<BuildPrepared> {
    plan.train.validate()?;
    let settings = crate::settings::DbSettings::of(store);
    let space = settings.require_space()?;
    for t in tasks {
        crate::records::fits_space(t, &space)?;
    }
    let stored_pool = crate::pool::Pool::load(store)?;
    let pool_size = plan.pool.unwrap_or_else(|| stored_pool.as_ref().map_or(64, |p| p.size()));
    let t = &plan.train;
    let mut wider = match (plan.space_version, space.version()) {
        (None, _) => space.clone(),
        (Some(asked), have) if asked == have => space.clone(),
        (Some(2), 1) => space.clone().with_recipes(archinfer_encoding::RecipeSpace::around(t.learning_rate, t.epochs, t.batch_size)?)?,
        (Some(asked), have) => {
            return Err(archinfer_encoding::EncodingError::SpaceVersion { what: format!("--space-version {asked}"), found: asked, expected: have }.into());
        }
    };
    if !plan.add_modules.is_empty() {
        wider = crate::modules::widen_space(&wider, tasks, &plan.add_modules)?;
    }
    let draw = (!plan.draw_modules.is_empty()).then(|| crate::modules::module_indices(&wider, &plan.draw_modules)).transpose()?;
    if pool_size > 0
        && let Some(p) = crate::pool::Pool::check(store, pool_size, plan.seed)?
    {
        p.fits(&wider)?;
    }
    settings.pin_train_config(&plan.train)?;
    settings.pin_plan_seed(plan.seed)?;
    let (migrated_version, added_modules) = (wider.version() != space.version(), wider != space && !plan.add_modules.is_empty());
    if wider != space {
        settings.set_space(&wider)?;
    }
    let mut planned = plan_missing_among(store, &wider, plan.children, plan.seed, draw.as_deref())?;
    if pool_size > 0 {
        planned += crate::pool::Pool::ensure_among(store, &wider, pool_size, plan.seed, draw.as_deref())?.plan(store)?;
    }
    if !plan.linear_members.is_empty() {
        let modules = crate::modules::module_indices(&wider, &plan.linear_members)?;
        planned += crate::pool::Pool::add_linear_members(store, &wider, &modules)?;
    }
    check_planned(store, &wider)?;
    Ok(BuildPrepared { space: wider, migrated_version, added_modules, planned })
}
