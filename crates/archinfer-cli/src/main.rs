//! The `archinfer` command line: build and inspect the experiment database, fit and evaluate
//! value networks, propose architectures (`infer`), train and use them (`fit`, `predict`).

use clap::{Parser, Subcommand};

mod build_db;
mod compare;
mod data;
mod db;
mod diagnose;
mod evaluate;
mod fit;
mod infer;
mod records;
mod search;
mod ui;

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
    BuildDb(build_db::BuildDb),
    /// Add your own task (a folder of class folders of images, a CSV of image paths, IDX, a pixel CSV, or texts) to the database.
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
    TrainDvn(infer::TrainDvnArgs),
    /// Propose an architecture for a task (any data `task add` takes) with a saved model.
    Infer(infer::InferArgs),
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
    /// The classic defaults a user would run instead (TF-IDF or pixels with logistic
    /// regression, an RBF kernel approximation) on each task's own splits, C by validation.
    Classic(compare::ClassicArgs),
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
    ExportTask(db::ExportArgs),
    /// A JSON manifest of the database: suite, space, training settings, versions, date,
    /// machine and per-task summary.
    Manifest(db::DbArg),
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::BuildDb(a) => build_db::build_db(a),
        Command::Evaluate { command: EvaluateCommand::Predict(p) } => p.src.tasks().and_then(|tasks| evaluate::predict(p, tasks)),
        Command::TrainDvn(t) => t.src.tasks().and_then(|tasks| infer::train_dvn(t, tasks)),
        Command::Infer(i) => infer::infer(i),
        Command::Evaluate { command: EvaluateCommand::Search(s) } => s.src.tasks().and_then(|tasks| search::search(s, tasks)),
        Command::Evaluate { command: EvaluateCommand::Tradeoff(t) } => t.src.tasks().and_then(|tasks| search::tradeoff(t, tasks)),
        Command::Evaluate { command: EvaluateCommand::Plots(p) } => p.src.tasks().and_then(|tasks| evaluate::plots(p, tasks)),
        Command::Evaluate { command: EvaluateCommand::Ceiling(c) } => c.src.tasks().and_then(|tasks| diagnose::run_ceiling(c, tasks)),
        Command::Evaluate { command: EvaluateCommand::Diversity(d) } => d.src.tasks().and_then(|tasks| diagnose::run_diversity(d, tasks)),
        Command::Evaluate { command: EvaluateCommand::Compare(c) } if c.pooled.is_some() => compare::run(c, Vec::new()),
        Command::Evaluate { command: EvaluateCommand::Compare(c) } => c.src.tasks().and_then(|tasks| compare::run(c, tasks)),
        Command::Evaluate { command: EvaluateCommand::Classic(c) } => compare::classic(c),
        Command::Task { command: TaskCommand::Add(t) } => records::task_add(t),
        Command::Suite { command: SuiteCommand::Add(s) } => records::suite_add(s),
        Command::Fit(f) => fit::fit(f),
        Command::Predict(p) => fit::predict(p),
        Command::Db { command: DbCommand::Status(s) } => db::status(&s),
        Command::Db { command: DbCommand::Copy(c) } => db::copy(&c),
        Command::Db { command: DbCommand::ExportTask(e) } => db::export_task(&e),
        Command::Db { command: DbCommand::Manifest(m) } => db::manifest(&m.db),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

