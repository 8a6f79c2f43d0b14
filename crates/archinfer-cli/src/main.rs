//! The `archinfer` command line: build and inspect the experiment database, fit and evaluate
//! value networks, propose architectures (`infer`), train and use them (`fit`, `predict`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use archinfer::data::Task;
use archinfer::encoding::ArchitectureSpace;
use archinfer::eval::{Report, WorkerOptions, run_worker};
use archinfer::store::{ExperimentStore, Location};
use archinfer::train::{AdamTrainer, TrainConfig, TrainPath};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

mod compare;
mod db;
mod diagnose;
mod evaluate;
mod fit;
mod plots;
mod records;
mod search;

use records::tasks_of_db as suite_of_db;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `println!` that ends the process quietly when standard output is closed (`archinfer … |
/// head`), instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}
pub(crate) use outln;

/// An evaluation's output folder: the one given, else `base` for the paper preset (where its
/// results have always been) and `base-PRESET` for any other, so presets never share a folder.
pub(crate) fn default_out(given: Option<PathBuf>, base: &str, preset: archinfer::dvn::DvnPreset) -> PathBuf {
    given.unwrap_or_else(|| match preset {
        archinfer::dvn::DvnPreset::Paper => PathBuf::from(base),
        other => PathBuf::from(format!("{base}-{other}")),
    })
}

#[derive(Parser)]
#[command(name = "archinfer", version, about = "Fast task-aware neural architecture inference")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plan random children for every task of the database that has fewer than --children, and
    /// the common pool on every task, and train them. Resumable: run it again after any stop and it finishes the plan.
    BuildDb(BuildDb),
    /// Add your own task (IDX directory or CSV) to the database.
    Task {
        #[command(subcommand)]
        command: TaskCommand,
    },
    /// Add a built-in suite's tasks (`fmnist14`, `synthetic3`) to the database.
    Suite {
        #[command(subcommand)]
        command: SuiteCommand,
    },
    /// Infer, then train the best candidates on your task and save the trained network.
    Fit(fit::FitCmdArgs),
    /// Label samples with a network saved by `archinfer fit`.
    Predict(fit::PredictArgs),
    /// Fit a value network on the database's tasks and save it with its task library.
    TrainDvn(search::TrainDvnArgs),
    /// Propose an architecture for a task (IDX directory or CSV) with a saved model.
    Infer(search::InferArgs),
    /// Judge the value network by leave-one-task-out over the suite.
    Evaluate {
        #[command(subcommand)]
        command: EvaluateCommand,
    },
    /// Inspect the experiment database.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
}

#[derive(Subcommand)]
enum TaskCommand {
    /// Add a task: reads and checks the data, then writes it in one transaction.
    Add(records::TaskAddArgs),
}

#[derive(Subcommand)]
enum SuiteCommand {
    /// Add a suite's tasks (and fill in the samples of a database from before tasks carried them).
    Add(records::SuiteAddArgs),
}

#[derive(Subcommand)]
enum EvaluateCommand {
    /// Spearman and R² of predicted against actual validation accuracy on each held-out task
    /// (paper Tables 2 and 3), for each meta-features variant.
    Predict(evaluate::PredictArgs),
    /// Architecture search as in the paper's Table 4: infer on each held-out task, train the
    /// proposal, compare with the recorded random children.
    Search(search::SearchArgs),
    /// Accuracy against size on one held-out task as the size penalty and the budget vary.
    Tradeoff(search::TradeoffArgs),
    /// PNG plots: predicted vs actual per held-out task, PCA of learned task embeddings,
    /// Spearman against the number of training tasks.
    Plots(evaluate::PlotArgs),
    /// How much of the suite's ranking is task-specific at all: a model that knows each task's
    /// identity against one that does not, on split halves of every task's children.
    Ceiling(diagnose::CeilingArgs),
    /// How many distinct architectures one model proposes across the suite's tasks.
    Diversity(diagnose::DiversityArgs),
    /// The proposal against fair baselines read from the database's pool (single-best default,
    /// greedy portfolio, nearest task, random search, the hindsight default), leave-one-task-out:
    /// normalised regret, wins / ties / losses, mean ranks, Wilcoxon, any-time curves.
    Compare(compare::CompareArgs),
}

#[derive(Subcommand)]
enum DbCommand {
    /// Per-task trial counts and min / median / max validation accuracy, the workers heard
    /// from, their rates, and an ETA for the whole plan.
    Status(db::StatusArgs),
    /// Copies a whole database (tasks, samples, trials, metadata) between any two stores, e.g.
    /// the shipped SQLite file to a PostgreSQL server and back. Resumable: run it again after
    /// an interruption. Verified by counts and checksums at the end.
    Copy(db::CopyArgs),
    /// Writes one image task of the database as MNIST-format files (gzip), for `archinfer
    /// infer --data`: all its images, training images first.
    ExportTask {
        /// The database: a SQLite file or a postgres:// URL.
        #[arg(long, default_value = "data/fmnist14.sqlite")]
        db: Location,
        /// Fashion-MNIST directory, used only if the task's samples must be filled in.
        #[arg(long)]
        data: Option<PathBuf>,
        /// The task.
        #[arg(long)]
        task: String,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// A JSON manifest of the database: suite, space, training settings, versions, date,
    /// machine and per-task summary.
    Manifest {
        /// The database: a SQLite file or a postgres:// URL.
        #[arg(long, default_value = "data/fmnist14.sqlite")]
        db: Location,
    },
}

#[derive(Parser)]
struct BuildDb {
    /// The database, created if missing: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    db: Location,
    /// Add this suite's tasks first (default: `fmnist14` for a database without tasks).
    #[arg(long)]
    suite: Option<String>,
    /// Children planned per task.
    #[arg(long, default_value_t = 200)]
    children: usize,
    /// Worker threads in this process (other processes may work on the same file).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Fashion-MNIST directory, for adding a suite (default: $ARCHINFER_FASHION_MNIST, else
    /// Debian's location).
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
    /// Seed of the plan (architectures and training seeds) and of the pool.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Space version: 2 adds the training-recipe block (learning rate, weight decay, dropout,
    /// epochs, batch size) around the database's recipe. A version-1 database migrates in
    /// place: its space gains the block, its recorded children stay as they are (they are the
    /// block's base recipe). Default: the database's version.
    #[arg(long)]
    space_version: Option<u32>,
    /// Members of the common pool: the same networks, with the same seeds, trained on every
    /// task (stored in the database; tasks added later get it too). Default: the stored pool's
    /// size, else 64. 0: plan no pool this run. More than the stored size grows the pool (its
    /// members stay; new ones are drawn from the seed and the old size, so 64 → 96 is not
    /// 64 → 80 → 96); fewer is refused.
    #[arg(long)]
    pool: Option<usize>,
    /// Embedding modules to add to the database's space, comma-separated (a module migration:
    /// e.g. `raw,hog144` for images, `lex1024,char1024` for texts). Every task must carry them;
    /// recorded children keep their rows.
    #[arg(long, value_delimiter = ',')]
    add_modules: Vec<String>,
    /// The modules this run's new random children and new pool members draw from,
    /// comma-separated (default: all of the space's). After `--add-modules`, naming the new ones
    /// gives them children without drawing more of the old. It applies to every task below
    /// `--children`, a task added in the same run included.
    #[arg(long, value_delimiter = ',')]
    draw_modules: Vec<String>,
    /// Seconds without a heartbeat after which a worker's running trials are run again.
    #[arg(long, default_value_t = 30)]
    stale_secs: u64,
    /// Stop after this many trials in this process (0: no limit).
    #[arg(long, default_value_t = 0)]
    max_trials: usize,
    /// Child-training path: `auto` (the fused CPU trainer on a CPU device, burn on a GPU),
    /// `fused` or `burn` (the reference).
    #[arg(long, default_value = "auto")]
    train_path: TrainPath,
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::BuildDb(a) => build_db(a),
        Command::Evaluate { command: EvaluateCommand::Predict(p) } => {
            suite_of_db(&p.db, p.data.as_deref()).and_then(|tasks| evaluate::predict(p, tasks))
        }
        Command::TrainDvn(t) => suite_of_db(&t.db, t.data.as_deref()).and_then(|tasks| search::train_dvn(t, tasks)),
        Command::Infer(i) => search::infer(i),
        Command::Evaluate { command: EvaluateCommand::Search(s) } => {
            suite_of_db(&s.db, s.data.as_deref()).and_then(|tasks| search::search(s, tasks))
        }
        Command::Evaluate { command: EvaluateCommand::Tradeoff(t) } => {
            suite_of_db(&t.db, t.data.as_deref()).and_then(|tasks| search::tradeoff(t, tasks))
        }
        Command::Evaluate { command: EvaluateCommand::Plots(p) } => {
            suite_of_db(&p.db, p.data.as_deref()).and_then(|tasks| evaluate::plots(p, tasks))
        }
        Command::Evaluate { command: EvaluateCommand::Ceiling(c) } => {
            suite_of_db(&c.db, c.data.as_deref()).and_then(|tasks| diagnose::run_ceiling(c, tasks))
        }
        Command::Evaluate { command: EvaluateCommand::Diversity(d) } => {
            suite_of_db(&d.db, d.data.as_deref()).and_then(|tasks| diagnose::run_diversity(d, tasks))
        }
        Command::Evaluate { command: EvaluateCommand::Compare(c) } if c.pooled.is_some() => compare::run(c, Vec::new()),
        Command::Evaluate { command: EvaluateCommand::Compare(c) } => {
            suite_of_db(&c.db, c.data.as_deref()).and_then(|tasks| compare::run(c, tasks))
        }
        Command::Task { command: TaskCommand::Add(t) } => records::task_add(t),
        Command::Suite { command: SuiteCommand::Add(s) } => records::suite_add(s),
        Command::Fit(f) => fit::fit(f),
        Command::Predict(p) => fit::predict(p),
        Command::Db { command: DbCommand::Status(s) } => db::status(&s),
        Command::Db { command: DbCommand::Copy(c) } => db::copy(&c),
        Command::Db { command: DbCommand::ExportTask { db, data, task, out } } => export_task(&db, data.as_deref(), &task, &out),
        Command::Db { command: DbCommand::Manifest { db } } => db_manifest(&db),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
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

/// Records `config` as the database's recipe, or checks that it is the recorded one. Compared
/// as values, not text: a recipe written before a field existed reads with that field unset.
fn pin_train_config(store: &dyn ExperimentStore, config: &TrainConfig) -> Result<(), BoxError> {
    match store.meta("train_config")? {
        Some(v) => {
            let stored: TrainConfig = serde_json::from_str(&v)
                .map_err(|e| format!("the database's train_config `{v}` does not parse: {e}"))?;
            if &stored != config {
                let asked = serde_json::to_string(config)?;
                return Err(format!("the database was built with train_config = {v}; this run asks for {asked} (use another --db)").into());
            }
            Ok(())
        }
        None => Ok(store.set_meta("train_config", &serde_json::to_string(config)?)?),
    }
}

/// `archinfer db export-task`.
fn export_task(db: &Location, data: Option<&std::path::Path>, task: &str, out: &std::path::Path) -> Result<(), BoxError> {
    let store = crate::db::open_existing(db)?;
    let record = store.tasks()?.into_iter().find(|t| t.name == task).ok_or_else(|| format!("{db}: no task `{task}`"))?;
    if store.task_data(task)?.is_none() {
        drop(store);
        suite_of_db(db, data)?;
    }
    let store = crate::db::open_existing(db)?;
    let stored = archinfer::eval::load_task(&store, &record, &archinfer::data::default_embedders()?)?;
    let set = stored.bundle.images().ok_or_else(|| format!("task `{task}` is not an image task"))?;
    set.write_dir(out, true)?;
    eprintln!("wrote {} images ({} training) of `{task}` to {}", set.len(), stored.bundle.split[0], out.display());
    Ok(())
}

/// Progress bar of trainings.
pub(crate) fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {what}  {{per_sec}}  ETA {{eta_precise}}  {{msg}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn build_db(a: BuildDb) -> Result<(), BoxError> {
    let config = TrainConfig::new().with_learning_rate(a.lr).with_epochs(a.epochs).with_batch_size(a.batch_size);
    config.validate()?;
    let store = crate::db::open_or_create(&a.db)?;
    let suite = a.suite.clone().or_else(|| store.tasks().ok().filter(|t| t.is_empty()).map(|_| "fmnist14".to_string()));
    if let Some(suite) = &suite {
        records::ensure_suite(&store, suite, a.data.as_deref())?;
    }
    drop(store);
    let tasks = suite_of_db(&a.db, a.data.as_deref())?;
    let store = crate::db::open_existing(&a.db)?;
    let mut space = ArchitectureSpace::from_json(&store.meta("space")?.ok_or("the database has no space")?)?;
    for (t, _) in &tasks {
        records::check_fits(t, &space, &format!("task `{}`", t.name()))?;
    }
    let stored_pool = archinfer::eval::Pool::load(&store)?;
    let pool_size = a.pool.unwrap_or_else(|| stored_pool.as_ref().map_or(64, |p| p.size()));
    let mut wider = match (a.space_version, space.version()) {
        (None, _) => space.clone(),
        (Some(asked), have) if asked == have => space.clone(),
        (Some(2), 1) => space.clone().with_recipes(archinfer::encoding::RecipeSpace::around(config.learning_rate, config.epochs, config.batch_size)?)?,
        (Some(asked), have) => {
            return Err(archinfer::encoding::EncodingError::SpaceVersion { what: format!("--space-version {asked}"), found: asked, expected: have }.into());
        }
    };
    if !a.add_modules.is_empty() {
        let refs: Vec<&Task> = tasks.iter().map(|(t, _)| t.as_ref()).collect();
        wider = archinfer::eval::widen_space(&wider, &refs, &a.add_modules)?;
    }
    let draw = (!a.draw_modules.is_empty()).then(|| archinfer::eval::module_indices(&wider, &a.draw_modules)).transpose()?;
    if pool_size > 0
        && let Some(p) = archinfer::eval::Pool::check(&store, pool_size, a.seed)?
    {
        p.fits(&wider)?;
    }
    // On a database with its tasks, the checks above write nothing; the pins and migrations
    // come after them (a new --suite's tasks are recorded before, by ensure_suite).
    pin_train_config(&store, &config)?;
    pin_meta(&store, "plan_seed", &a.seed.to_string())?;
    if wider != space {
        store.set_meta("space", &wider.to_json()?)?;
        if wider.version() != space.version() {
            eprintln!("migrated the space to version 2 (training-recipe block); recorded children keep their rows");
        }
        if !a.add_modules.is_empty() {
            eprintln!("added module(s) {} to the space; recorded children keep their rows", a.add_modules.join(", "));
        }
        space = wider;
    }
    let mut planned = archinfer::eval::plan_missing_among(&store, &space, a.children, a.seed, draw.as_deref())?;
    if pool_size > 0 {
        planned += archinfer::eval::Pool::ensure_among(&store, &space, pool_size, a.seed, draw.as_deref())?.plan(&store)?;
    }
    archinfer::eval::check_planned(&store, &space)?;
    let stale = Duration::from_secs(a.stale_secs.max(1));
    let requeued = store.requeue_stale(stale)?;
    let summary = store.summary()?;
    let pending: usize = summary.iter().map(|s| s.counts[0] + s.counts[1]).sum();
    let done: usize = summary.iter().map(|s| s.counts[2] + s.counts[3]).sum();
    eprintln!("{done} trials recorded, {pending} to go ({planned} newly planned, {requeued} requeued from dead workers)");
    drop(store);

    let path_line = AdamTrainer::new(config.clone(), archinfer::default_device())?.with_path(a.train_path).describe();
    eprintln!("children train on the {path_line}");
    let bar = bar(pending as u64, "children");
    let by_name: Arc<HashMap<String, Arc<Task>>> =
        Arc::new(tasks.iter().map(|(t, _)| (t.name().to_string(), t.clone())).collect());
    let host = db::host_name();
    // Split the process's trial budget over its workers.
    let workers = a.workers.max(1);
    let mut handles = Vec::new();
    for w in 0..workers {
        let name = format!("{host}:{}:{w}", std::process::id());
        let max_trials = (a.max_trials > 0).then(|| a.max_trials / workers + usize::from(w < a.max_trials % workers));
        let (db, bar, by_name, config, train_path) = (a.db.clone(), bar.clone(), by_name.clone(), config.clone(), a.train_path);
        handles.push(std::thread::spawn(move || -> Result<usize, BoxError> {
            if max_trials == Some(0) {
                return Ok(0);
            }
            let store = Arc::<dyn ExperimentStore>::from(crate::db::open_existing(&db)?);
            let stop = Arc::new(AtomicBool::new(false));
            // Heartbeats from a side thread: a long training must not look like a dead worker.
            let hb = {
                let (store, worker, stop) = (store.clone(), name.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let _ = store.heartbeat(&worker);
                        std::thread::sleep(Duration::from_secs(2));
                    }
                })
            };
            let device = archinfer::default_device();
            let trainer = AdamTrainer::new(config, device.clone())?.with_path(train_path);
            let options = WorkerOptions { name, stale_after: stale, max_trials };
            let r = run_worker(store.as_ref(), &trainer, &by_name, &device, &options, &mut |trial, result, report| {
                if report == Report::Refused {
                    // Not counted: whoever holds the claim now records this trial.
                    let line = format!(
                        "trial {} of `{}`: report refused, this worker lost its claim (no heartbeat for {} s); the trial is run again",
                        trial.trial_index,
                        trial.task,
                        stale.as_secs()
                    );
                    // A hidden bar (stderr not a terminal) prints nothing, but logs must show it.
                    if bar.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        bar.println(line);
                    }
                    return;
                }
                if let Ok(r) = result {
                    bar.set_message(format!("{} val {:.3}", trial.task, r.val_accuracy));
                }
                bar.inc(1);
            });
            stop.store(true, Ordering::Relaxed);
            let _ = hb.join();
            Ok(r?)
        }));
    }
    let mut first_err = None;
    let mut trained = 0;
    for h in handles {
        match h.join() {
            Ok(Ok(n)) => trained += n,
            Ok(Err(e)) => first_err = first_err.or(Some(e)),
            Err(_) => first_err = first_err.or(Some("a worker thread panicked".into())),
        }
    }
    bar.finish();
    eprintln!("this process recorded {trained} children");
    if let Some(e) = first_err {
        return Err(e);
    }
    db::status(&db::StatusArgs { db: a.db.clone(), live_secs: a.stale_secs.max(1) })
}

/// The burn release this build links (kept in step with the workspace manifest).
const BURN_VERSION: &str = "0.22.1";

pub(crate) fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let mem_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()));
    serde_json::json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "memory_gib": mem_kb.map(|k| (k as f64 / 1048576.0 * 10.0).round() / 10.0),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
    })
}

fn db_manifest(db: &Location) -> Result<(), BoxError> {
    let store = crate::db::open_existing(db)?;
    let parse = |k: &str| -> Result<serde_json::Value, BoxError> {
        Ok(match store.meta(k)? {
            Some(v) => serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v)),
            None => serde_json::Value::Null,
        })
    };
    let tasks = store.tasks()?;
    let summary = store.summary()?;
    let per_task: Vec<serde_json::Value> = tasks
        .iter()
        .zip(&summary)
        .map(|(t, s)| serde_json::json!({ "task": t, "summary": s }))
        .collect();
    let trials = store.trials(None)?;
    // A database built in several runs: the union of the trainings' [claim, finish] intervals,
    // so the idle time between runs does not count.
    let mut spans: Vec<(i64, i64)> = trials.iter().filter_map(|t| Some((t.claimed_at?, t.finished_at?))).collect();
    spans.sort_unstable();
    let mut busy_ms = 0i64;
    let mut open: Option<(i64, i64)> = None;
    for (a, b) in spans {
        open = match open {
            Some((s0, e0)) if a <= e0 => Some((s0, e0.max(b))),
            Some((s0, e0)) => {
                busy_ms += e0 - s0;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    busy_ms += open.map_or(0, |(s0, e0)| e0 - s0);
    let busy_hours = busy_ms as f64 / 3.6e6;
    let first = trials.iter().filter_map(|t| t.claimed_at).min();
    let last = trials.iter().filter_map(|t| t.finished_at).max();
    let done = trials.iter().filter(|t| t.result.is_some()).count();
    let wall_hours = match (first, last) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 3.6e6),
        _ => None,
    };
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let m = serde_json::json!({
        "suite": parse("suite")?,
        "space": parse("space")?,
        "train_config": parse("train_config")?,
        "plan_seed": parse("plan_seed")?,
        "schema_version": store.schema_version()?,
        "archinfer_version": env!("CARGO_PKG_VERSION"),
        "burn_version": BURN_VERSION,
        "backends_built": archinfer::built_backends().iter().map(|b| format!("{b:?}").to_lowercase()).collect::<Vec<_>>(),
        "features_built": archinfer::built_features(),
        "generated_unix_seconds": secs,
        "machine": machine(),
        "build": {
            "done_children": done,
            "first_claim_unix_ms": first,
            "last_finish_unix_ms": last,
            "wall_hours_first_claim_to_last_finish": wall_hours,
            "children_per_hour": wall_hours.map(|h| done as f64 / h),
            "busy_wall_hours": busy_hours,
            "children_per_busy_hour": (busy_hours > 0.0).then(|| done as f64 / busy_hours),
            "child_cost_by_module": archinfer::eval::child_costs(&tasks, &trials),
        },
        "tasks": per_task,
    });
    outln!("{}", serde_json::to_string_pretty(&m)?);
    Ok(())
}
