//! `archinfer build-db`: plan random children and the common pool for every task, then train
//! them on worker threads ([`run_workers`]); resumable from any stop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use archinfer::data::Task;
use archinfer::eval::{BuildPlan, Report, WorkerPoolOptions, prepare_build, run_workers};
use archinfer::store::ExperimentStore;
use archinfer::train::{AdamTrainer, ChildTrainer, TrainConfig, TrainPath};
use clap::Parser;

use crate::ui::BoxError;

#[derive(Parser)]
pub struct BuildDb {
    #[command(flatten)]
    pub src: crate::db::SuiteArgs,
    /// Add this suite's tasks first (default: `fmnist14` for a database without tasks).
    #[arg(long)]
    pub suite: Option<String>,
    /// Children planned per task.
    #[arg(long, default_value_t = 200)]
    pub children: usize,
    /// Worker threads in this process (other processes may work on the same file).
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Adam learning rate of every child.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Epochs per child.
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Seed of the plan (architectures and training seeds) and of the pool.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Space version: 2 adds the training-recipe block (learning rate, weight decay, dropout,
    /// epochs, batch size) around the database's recipe. A version-1 database migrates in
    /// place: its space gains the block, its recorded children stay as they are (they are the
    /// block's base recipe). Default: the database's version.
    #[arg(long)]
    pub space_version: Option<u32>,
    /// Members of the common pool: the same networks, with the same seeds, trained on every
    /// task (stored in the database; tasks added later get it too). Default: the stored pool's
    /// size, else 64. 0: plan no pool this run. More than the stored size grows the pool (its
    /// members stay; new ones are drawn from the seed and the old size, so 64 → 96 is not
    /// 64 → 80 → 96); fewer is refused.
    #[arg(long)]
    pub pool: Option<usize>,
    /// Embedding modules to add to the database's space, comma-separated (a module migration:
    /// e.g. `raw,hog144` for images, `lex1024,char1024` for texts). Every task must carry them;
    /// recorded children keep their rows.
    #[arg(long, value_delimiter = ',')]
    pub add_modules: Vec<String>,
    /// The modules this run's new random children and new pool members draw from,
    /// comma-separated (default: all of the space's). After `--add-modules`, naming the new ones
    /// gives them children without drawing more of the old. It applies to every task below
    /// `--children`, a task added in the same run included.
    #[arg(long, value_delimiter = ',')]
    pub draw_modules: Vec<String>,
    /// Give the pool linear members on these modules, comma-separated: a child with no hidden
    /// layer at each weight decay of the recipe block (on `tfidf-word,tfidf-char`, the classic
    /// TF-IDF + logistic regression defaults), trained on every task. Added once; a rerun
    /// adds nothing.
    #[arg(long, value_delimiter = ',')]
    pub linear_members: Vec<String>,
    /// Seconds without a heartbeat after which a worker's running trials are run again.
    #[arg(long, default_value_t = 30)]
    pub stale_secs: u64,
    /// Stop after this many trials in this process (0: no limit).
    #[arg(long, default_value_t = 0)]
    pub max_trials: usize,
    /// Child-training path: `auto` (the fused CPU trainer on a CPU device, burn on a GPU),
    /// `fused` or `burn` (the reference).
    #[arg(long, default_value = "auto")]
    pub train_path: TrainPath,
}

/// `archinfer build-db`.
pub fn build_db(a: BuildDb) -> Result<(), BoxError> {
    let config = TrainConfig::new().with_learning_rate(a.lr).with_epochs(a.epochs).with_batch_size(a.batch_size);
    let store = a.src.db.open_or_create()?;
    let suite = a.suite.clone().or_else(|| store.tasks().ok().filter(|t| t.is_empty()).map(|_| "fmnist14".to_string()));
    if let Some(suite) = &suite {
        crate::records::ensure_suite(store.as_ref(), suite, a.src.data.as_deref())?;
    }
    drop(store);
    let tasks = a.src.tasks()?;
    let store = a.src.db.open_existing()?;
    let plan = BuildPlan {
        children: a.children,
        seed: a.seed,
        train: config.clone(),
        pool: a.pool,
        space_version: a.space_version,
        add_modules: a.add_modules.clone(),
        draw_modules: a.draw_modules.clone(),
        linear_members: a.linear_members.clone(),
    };
    let refs: Vec<&Task> = tasks.iter().map(|(t, _)| t.as_ref()).collect();
    let prepared = prepare_build(store.as_ref(), &refs, &plan)?;
    if prepared.migrated_version {
        eprintln!("migrated the space to version 2 (training-recipe block); recorded children keep their rows");
    }
    if prepared.added_modules {
        eprintln!("added module(s) {} to the space; recorded children keep their rows", a.add_modules.join(", "));
    }
    let planned = prepared.planned;
    let stale = Duration::from_secs(a.stale_secs.max(1));
    let requeued = store.requeue_stale(stale)?;
    let summary = store.summary()?;
    let pending: usize = summary.iter().map(|s| s.counts.open()).sum();
    let done: usize = summary.iter().map(|s| s.counts.finished()).sum();
    eprintln!("{done} trials recorded, {pending} to go ({planned} newly planned, {requeued} requeued from dead workers)");
    drop(store);
    train(&a, &config, &tasks, pending, stale)?;
    crate::db::status(&crate::db::StatusArgs { db: crate::db::DbArg { db: a.src.db.clone() }, live_secs: a.stale_secs.max(1) })
}

/// Trains the pending trials on `--workers` threads with a progress bar.
fn train(a: &BuildDb, config: &TrainConfig, tasks: &[(Arc<Task>, String)], pending: usize, stale: Duration) -> Result<(), BoxError> {
    let device = archinfer::default_device();
    eprintln!("children train on the {}", AdamTrainer::new(config.clone(), device.clone())?.with_path(a.train_path).describe());
    let bar = crate::ui::bar(pending as u64, "children");
    let by_name: HashMap<String, Arc<Task>> = tasks.iter().map(|(t, _)| (t.name().to_string(), t.clone())).collect();
    let options = WorkerPoolOptions { max_trials: (a.max_trials > 0).then_some(a.max_trials), ..WorkerPoolOptions::new(a.workers, stale) };
    let open = || -> archinfer::app::Result<Box<dyn ExperimentStore>> { Ok(a.src.db.open()?) };
    let trainer =
        || -> archinfer::app::Result<Box<dyn ChildTrainer>> { Ok(Box::new(AdamTrainer::new(config.clone(), device.clone())?.with_path(a.train_path))) };
    let on_trial = |trial: &archinfer::store::Trial, result: &Result<archinfer::store::TrialResult, String>, report: Report| {
        if report == Report::Refused {
            // Not counted: whoever holds the claim now records this trial. Printed even when
            // the bar is hidden (stderr not a terminal): logs must show it.
            let stale = stale.as_secs();
            let line = format!(
                "trial {} of `{}`: report refused, this worker lost its claim (no heartbeat for {stale} s); the trial is run again",
                trial.trial_index, trial.task
            );
            bar.suspend(|| eprintln!("{line}"));
            return;
        }
        if let Ok(r) = result {
            bar.set_message(format!("{} val {:.3}", trial.task, r.val_accuracy));
        }
        bar.inc(1);
    };
    let trained = run_workers(&open, &trainer, &by_name, &device, &options, &on_trial);
    bar.finish();
    eprintln!("this process recorded {} children", trained.as_ref().map_or(0, |n| *n));
    trained?;
    Ok(())
}
