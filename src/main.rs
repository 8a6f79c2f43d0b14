//! The `archinfer` command line: build the experiment database and inspect it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use archinfer::data::{
    SYNTHETIC_SUITE, Task, build_task, default_embedders, fashion_mnist_dir, load_mnist_dir, suite,
    synthetic_suite_tasks,
};
use archinfer::encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec};
use archinfer::store::{ExperimentStore, PlannedTrial, SqliteStore, TaskRecord, TrialResult};
use archinfer::train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, Status, TrainConfig};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(name = "archinfer", version, about = "Fast task-aware neural architecture inference")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plan random children for every task of a suite and train them into the database.
    /// Resumable: run it again after any stop and it finishes the plan.
    BuildDb(BuildDb),
    /// Inspect the experiment database.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Per-task trial counts and min / median / max validation accuracy.
    Status {
        /// The database file.
        #[arg(long, default_value = "data/fmnist14.sqlite")]
        db: PathBuf,
    },
}

#[derive(Parser)]
struct BuildDb {
    /// The database file (created if missing).
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    db: PathBuf,
    /// Task suite.
    #[arg(long, default_value = "fmnist14")]
    suite: String,
    /// Children planned per task.
    #[arg(long, default_value_t = 200)]
    children: usize,
    /// Worker threads in this process (other processes may work on the same file).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Fashion-MNIST directory (default: $ARCHINFER_FASHION_MNIST, else Debian's location).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Adam learning rate of every child.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Epochs per child.
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Seed of the plan (architectures and training seeds).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Seconds without a heartbeat after which a worker's running trials are run again.
    #[arg(long, default_value_t = 30)]
    stale_secs: u64,
    /// Stop after this many trials in this process (0: no limit).
    #[arg(long, default_value_t = 0)]
    max_trials: usize,
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::BuildDb(a) => build_db(a),
        Command::Db { command: DbCommand::Status { db } } => db_status(&db),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn space_of(task: &Task) -> Result<ArchitectureSpace, BoxError> {
    Ok(ArchitectureSpace::paper(task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect())?)
}

/// Checks that a resumed build uses the settings the database was started with.
fn pin_meta(store: &dyn ExperimentStore, key: &str, value: &str) -> Result<(), BoxError> {
    match store.meta(key)? {
        Some(v) if v != value => Err(format!(
            "the database was built with {key} = {v}; this run asks for {value} (use another --db)"
        )
        .into()),
        Some(_) => Ok(()),
        None => Ok(store.set_meta(key, value)?),
    }
}

/// The tasks of a suite with their descriptions: `synthetic3` is made in code, every other
/// suite from the Fashion-MNIST images.
fn load_suite(name: &str, data: Option<&std::path::Path>) -> Result<Vec<(Arc<Task>, String)>, BoxError> {
    if name == SYNTHETIC_SUITE {
        return Ok(synthetic_suite_tasks()?.into_iter().map(|(t, d)| (Arc::new(t), d)).collect());
    }
    let recipes = suite(name)?;
    let dir = fashion_mnist_dir(data);
    eprintln!("loading images from {}", dir.display());
    let images = load_mnist_dir(&dir)?;
    let embedders = default_embedders()?;
    eprintln!("building {} tasks of suite {name}", recipes.len());
    recipes
        .iter()
        .map(|r| Ok((Arc::new(build_task(&images, r, &embedders)?), r.description.clone())))
        .collect()
}

fn build_db(a: BuildDb) -> Result<(), BoxError> {
    let suite_tasks = load_suite(&a.suite, a.data.as_deref())?;
    let tasks: Vec<Arc<Task>> = suite_tasks.iter().map(|(t, _)| t.clone()).collect();
    let space = space_of(&tasks[0])?;
    let config = TrainConfig::new().with_learning_rate(a.lr).with_epochs(a.epochs).with_batch_size(a.batch_size);
    config.validate()?;
    if let Some(parent) = a.db.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let store = SqliteStore::open(&a.db)?;
    pin_meta(&store, "suite", &a.suite)?;
    pin_meta(&store, "space", &space.to_json()?)?;
    pin_meta(&store, "train_config", &serde_json::to_string(&config)?)?;
    pin_meta(&store, "plan_seed", &a.seed.to_string())?;
    for (k, (t, description)) in suite_tasks.iter().enumerate() {
        let s = t.splits();
        store.add_task(&TaskRecord {
            name: t.name().to_string(),
            suite: a.suite.clone(),
            num_classes: t.num_classes(),
            train: s.train.len(),
            validation: s.validation.len(),
            test: s.test.len(),
            description: description.clone(),
        })?;
        let mut rng = StdRng::seed_from_u64(a.seed.wrapping_mul(1_000_003).wrapping_add(k as u64));
        let plan: Vec<PlannedTrial> = (0..a.children)
            .map(|i| {
                let arch = DiscreteArchitecture::sample(&space, &mut rng);
                Ok(PlannedTrial {
                    trial_index: i,
                    architecture: arch.to_json()?,
                    seed: a.seed.wrapping_mul(31).wrapping_add((k * 100_000 + i) as u64),
                })
            })
            .collect::<Result<_, BoxError>>()?;
        store.plan(t.name(), &plan)?;
    }
    let stale = Duration::from_secs(a.stale_secs.max(1));
    let requeued = store.requeue_stale(stale)?;
    let summary = store.summary()?;
    let pending: usize = summary.iter().map(|s| s.counts[0] + s.counts[1]).sum();
    let done: usize = summary.iter().map(|s| s.counts[2] + s.counts[3]).sum();
    eprintln!("{done} trials recorded, {pending} to go ({requeued} requeued from dead workers)");
    drop(store);

    let bar = ProgressBar::new(pending as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} children  {per_sec}  ETA {eta_precise}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let by_name: Arc<HashMap<String, Arc<Task>>> =
        Arc::new(tasks.iter().map(|t| (t.name().to_string(), t.clone())).collect());
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    let stop = Arc::new(AtomicBool::new(false));
    let budget = Arc::new(std::sync::atomic::AtomicUsize::new(if a.max_trials == 0 { usize::MAX } else { a.max_trials }));
    let trained = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut handles = Vec::new();
    for w in 0..a.workers.max(1) {
        let trained = trained.clone();
        let worker = format!("{host}:{}:{w}", std::process::id());
        let (db, bar, by_name, stop, budget, config) =
            (a.db.clone(), bar.clone(), by_name.clone(), stop.clone(), budget.clone(), config.clone());
        handles.push(std::thread::spawn(move || -> Result<(), BoxError> {
            let store = Arc::new(SqliteStore::open(&db)?);
            // Heartbeats from a side thread: a long training must not look like a dead worker.
            let hb = {
                let (store, worker, stop) = (store.clone(), worker.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let _ = store.heartbeat(&worker);
                        std::thread::sleep(Duration::from_secs(2));
                    }
                })
            };
            let device = archinfer::default_device();
            let trainer = AdamTrainer::new(config, device.clone())?;
            let mut prepared: HashMap<String, PreparedTask> = HashMap::new();
            let r = (|| -> Result<(), BoxError> {
                loop {
                    if budget.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1)).is_err() {
                        return Ok(());
                    }
                    store.requeue_stale(stale)?;
                    let Some(trial) = store.claim(&worker)? else { return Ok(()) };
                    let task = by_name.get(&trial.task).ok_or_else(|| format!("task {} is not in this suite", trial.task))?;
                    let prep = prepared.entry(trial.task.clone()).or_insert_with(|| PreparedTask::new(task, &device));
                    let arch: DiscreteArchitecture = serde_json::from_str(&trial.architecture)?;
                    let outcome = trainer.train(&ChildSpec::Discrete(arch), prep, trial.seed);
                    let result = match outcome {
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
                    if let Ok(r) = &result {
                        bar.set_message(format!("{} val {:.3}", trial.task, r.val_accuracy));
                    }
                    if store.complete(trial.id, &worker, result)? {
                        trained.fetch_add(1, Ordering::SeqCst);
                    }
                    bar.inc(1);
                }
            })();
            stop.store(true, Ordering::Relaxed);
            let _ = hb.join();
            r
        }));
    }
    let mut first_err = None;
    for h in handles {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => first_err = first_err.or(Some(e)),
            Err(_) => first_err = first_err.or(Some("a worker thread panicked".into())),
        }
    }
    bar.finish();
    eprintln!("this process recorded {} children", trained.load(Ordering::SeqCst));
    if let Some(e) = first_err {
        return Err(e);
    }
    db_status(&a.db)
}

fn db_status(db: &PathBuf) -> Result<(), BoxError> {
    if !db.exists() {
        return Err(format!("{}: no such database", db.display()).into());
    }
    let store = SqliteStore::open(db)?;
    println!("{:<28} {:>7} {:>7} {:>7} {:>7}  {:>6} {:>6} {:>6}", "task", "pending", "running", "done", "failed", "min", "median", "max");
    let mut totals = [0usize; 4];
    for s in store.summary()? {
        for (t, c) in totals.iter_mut().zip(s.counts) {
            *t += c;
        }
        let acc = s
            .val_accuracy
            .map(|[a, b, c]| format!("{a:>6.3} {b:>6.3} {c:>6.3}"))
            .unwrap_or_else(|| format!("{:>6} {:>6} {:>6}", "-", "-", "-"));
        println!("{:<28} {:>7} {:>7} {:>7} {:>7}  {acc}", s.task, s.counts[0], s.counts[1], s.counts[2], s.counts[3]);
    }
    println!("{:<28} {:>7} {:>7} {:>7} {:>7}", "total", totals[0], totals[1], totals[2], totals[3]);
    Ok(())
}
