//! `archinfer train-dvn`, `archinfer infer` and `archinfer evaluate search` (paper Table 4).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use archinfer::data::Task;
use archinfer::dvn::DvnTask;
use archinfer::encoding::{ArchitectureSpace, DiscreteArchitecture, Encoding};
use archinfer::infer::{AscentConfig, InferOptions, Inferencer, Proposal, Ranking};
use archinfer::metafeatures::MetaFeatures;
use archinfer::store::{ExperimentStore, Location, Trial};
use archinfer::train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, TrainConfig};
use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::{BoxError, outln};
use crate::evaluate::{held_tasks, load_dvn_tasks, mean_std};

/// How a value network is fitted (shared by `train-dvn` and `evaluate search`).
#[derive(Parser, Debug, Clone)]
pub struct FitArgs {
    /// Meta-features: none, statistical, learned or both.
    #[arg(long, default_value = "learned")]
    pub variant: MetaFeatures,
    /// Seed of the network and of Algorithm 1.
    #[arg(long, default_value_t = 0)]
    pub dvn_seed: u64,
    #[command(flatten)]
    pub recipe: crate::evaluate::RecipeArgs,
    /// Best recorded architectures kept per training task for seeded starts.
    #[arg(long, default_value_t = 5)]
    pub library_best: usize,
    /// Value networks to fit (seeds dvn-seed, dvn-seed + 1, …); with more than one, the ascent
    /// climbs their mean.
    #[arg(long, default_value_t = 1)]
    pub ensemble: usize,
}

impl FitArgs {
    /// The library's description of this fit.
    pub fn inferencer_recipe(&self) -> Result<archinfer::eval::InferencerRecipe, BoxError> {
        Ok(archinfer::eval::InferencerRecipe {
            recipe: self.recipe.recipe(self.variant, self.dvn_seed)?,
            ensemble: self.ensemble,
            library_best: self.library_best,
        })
    }
}

/// Fits a value network on `train` and builds its task library from the recorded children.
pub fn fit_inferencer(space: &ArchitectureSpace, train: &[DvnTask], fit: &FitArgs, store: &dyn ExperimentStore) -> Result<Inferencer, BoxError> {
    Ok(archinfer::eval::fit_inferencer(store, space, train, &fit.inferencer_recipe()?, &archinfer::default_device())?)
}

/// Arguments of `archinfer train-dvn`.
#[derive(Parser, Debug)]
pub struct TrainDvnArgs {
    /// The experiment database: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Fashion-MNIST directory (default: $ARCHINFER_FASHION_MNIST, else Debian's location).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output model directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Tasks to leave out (comma-separated), e.g. to infer on them afterwards.
    #[arg(long)]
    pub exclude: Option<String>,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// `archinfer train-dvn`.
pub fn train_dvn(a: TrainDvnArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let (space, tasks) = load_dvn_tasks(&a.db, &suite_tasks)?;
    let skip: HashSet<&str> = a.exclude.as_deref().map(|s| s.split(',').map(str::trim).collect()).unwrap_or_default();
    let train: Vec<DvnTask> = tasks.into_iter().filter(|t| !skip.contains(t.name.as_str())).collect();
    let store = crate::db::open_existing(&a.db)?;
    let t0 = Instant::now();
    let inf = fit_inferencer(&space, &train, &a.fit, &store)?;
    inf.save(&a.out)?;
    eprintln!(
        "fitted on {} tasks in {:.1} s ({} task picks); saved to {}",
        train.len(),
        t0.elapsed().as_secs_f64(),
        inf.dvn.history.last().map_or(0, |h| h.0),
        a.out.display()
    );
    Ok(())
}

/// Settings of the ascent shared by `infer` and `evaluate search`.
#[derive(Parser, Debug, Clone)]
pub struct AscentArgs {
    /// Starting points.
    #[arg(long, default_value_t = 10)]
    pub starts: usize,
    /// Iterations at most.
    #[arg(long, default_value_t = 1000)]
    pub iters: usize,
    /// Starts seeded from the nearest training tasks' best architectures (0: all random, as
    /// in the paper).
    #[arg(long, default_value_t = 0)]
    pub seeded: usize,
}

/// Arguments of `archinfer infer`.
#[derive(Parser, Debug)]
pub struct InferArgs {
    /// Model directory written by `archinfer train-dvn`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub input: crate::records::DataArgs,
    /// Hard budget on the proposed architecture's parameters.
    #[arg(long)]
    pub max_params: Option<usize>,
    /// Size penalty λ, in predicted value per million expected parameters.
    #[arg(long, default_value_t = 0.0)]
    pub lambda: f64,
    #[command(flatten)]
    pub ascent: AscentArgs,
    /// Seed of the random starts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run the generic burn path instead of the fused one.
    #[arg(long)]
    pub generic: bool,
    /// Rank candidates by the predicted value of their discretised architecture (`discrete`)
    /// or by the ascent's objective at the continuous u (`continuous`, the paper's rule).
    #[arg(long, default_value = "discrete")]
    pub rank: Ranking,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reads a task from an IDX directory or a CSV file and computes the embedding modules, split
/// as `task add` and `fit` split it ([`USER_SPLIT`](crate::records::USER_SPLIT)), so `infer`
/// and `fit` propose the same for the same file.
pub fn read_task(path: &Path, label: &str, text: Option<&str>) -> Result<Task, BoxError> {
    let name = path.file_stem().map_or_else(|| "task".to_string(), |s| s.to_string_lossy().into_owned());
    let input = crate::records::DataArgs { data: path.to_path_buf(), label: label.to_string(), text: text.map(str::to_string) };
    let bundle = crate::records::user_data_bundle(&crate::records::read_data(&input)?)?;
    crate::records::bundle_to_task(&bundle, &name)
}

/// `archinfer infer`.
pub fn infer(a: InferArgs) -> Result<(), BoxError> {
    let device = archinfer::default_device();
    let t0 = Instant::now();
    let inf = Inferencer::load(&a.model, &device)?;
    let load_model_ms = t0.elapsed().as_secs_f64() * 1e3;
    let t1 = Instant::now();
    let task = read_task(&a.input.data, &a.input.label, a.input.text.as_deref())?;
    crate::records::check_model_fits(&task, &inf.dvn.config.space, &a.input.data.display().to_string())?;
    let load_task_ms = t1.elapsed().as_secs_f64() * 1e3;
    let opts = InferOptions::new()
        .with_ascent(AscentConfig::new().with_starts(a.ascent.starts).with_max_iters(a.ascent.iters).with_seed(a.seed))
        .with_lambda(a.lambda)
        .with_max_params(a.max_params)
        .with_seeded(a.ascent.seeded)
        .with_generic(a.generic)
        .with_ranking(a.rank);
    let p = inf.propose(&task, &opts)?;
    let best = p.best()?;
    if a.json {
        let out = serde_json::json!({
            "task": p.task,
            "samples": task.samples(),
            "classes": p.num_classes,
            "architecture": best.architecture.to_string(),
            "architecture_json": best.architecture,
            "params": best.params,
            "shrunk_to_budget": best.shrunk,
            "predicted_value": best.value,
            "predicted_value_continuous": best.solution.value,
            "predicted_value_discrete": best.solution.discrete_value,
            "iterations": best.solution.iterations,
            "meta_features_ms": p.meta_ms,
            "ascent_ms": p.ascent_ms,
            "load_model_ms": load_model_ms,
            "load_task_ms": load_task_ms,
            "path": p.path,
            "candidates": p.candidates.iter().map(|c| serde_json::json!({
                "architecture": c.architecture.to_string(), "params": c.params, "value": c.value,
                "continuous_value": c.solution.value, "shrunk": c.shrunk,
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        outln!("task        {} ({} samples, {} classes)", p.task, task.samples(), p.num_classes);
        outln!("proposed    {}", best.architecture);
        outln!("parameters  {}{}", best.params, if best.shrunk { " (shrunk to the budget)" } else { "" });
        outln!(
            "predicted   {:.3} (normalised: σ above the mean child of a task); continuous u {:.3}, its argmax {:.3}",
            best.value, best.solution.value, best.solution.discrete_value
        );
        outln!(
            "time        meta-features {:.1} ms, ascent {:.1} ms ({}; {} starts × ≤ {} iterations)",
            p.meta_ms, p.ascent_ms, p.path, a.ascent.starts, a.ascent.iters
        );
        outln!("            (loading: model {load_model_ms:.0} ms, task and embedding modules {load_task_ms:.0} ms)");
    }
    Ok(())
}

/// Arguments of `archinfer evaluate search`.
#[derive(Parser, Debug)]
pub struct SearchArgs {
    /// The experiment database: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Fashion-MNIST directory (default: $ARCHINFER_FASHION_MNIST, else Debian's location).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Only these held-out tasks (comma-separated; default: all).
    #[arg(long)]
    pub tasks: Option<String>,
    /// Trainings of each proposed architecture (continuous and discretised).
    #[arg(long, default_value_t = 10)]
    pub repeats: usize,
    #[command(flatten)]
    pub ascent: AscentArgs,
    /// Candidate ranking: `continuous` (the paper's: the ascent's objective at u) or
    /// `discrete` (the predicted value of the discretised architecture).
    #[arg(long, default_value = "continuous")]
    pub rank: Ranking,
    /// Skip training the continuous `u` (much slower than the discretised architecture).
    #[arg(long)]
    pub no_continuous: bool,
    /// Also train the 2nd … K-th best distinct candidates (each `repeats` times) and report
    /// keeping the best of the first 1, 3 and 5 by validation accuracy, as `archinfer fit
    /// --candidates K` does.
    #[arg(long, default_value_t = 1)]
    pub candidates: usize,
    /// A fixed default architecture to train beside the proposals on every task (the trivial
    /// baseline: what a hand-picked network scores), e.g. `wl256 → 256 relu → softmax`.
    #[arg(long)]
    pub fixed: Option<String>,
    /// Parallel trainings.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Output folder; proposals.jsonl and runs.jsonl make it resumable (default: results/search
    /// for the paper preset, results/search-task-aware for task-aware).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// What inference proposed for one held-out task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposalRecord {
    /// Held-out task.
    pub task: String,
    /// Seconds to fit the value network on the other tasks.
    pub fit_seconds: f64,
    /// The proposal.
    pub proposal: Proposal,
}

/// One training of a proposed architecture.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainRun {
    /// Held-out task.
    pub task: String,
    /// `continuous` or `discrete`.
    pub kind: String,
    /// Repeat (training seed).
    pub repeat: usize,
    /// Validation accuracy.
    pub val: f32,
    /// Test accuracy.
    pub test: f32,
    /// Training seconds.
    pub seconds: f64,
    /// Whether training completed.
    pub done: bool,
}

pub(crate) fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, BoxError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect::<Result<_, _>>()?),
        Err(_) => Ok(Vec::new()),
    }
}

pub(crate) fn append_jsonl<T: Serialize>(path: &Path, rec: &T) -> Result<(), BoxError> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(f, "{}", serde_json::to_string(rec)?)?;
    Ok(f.flush()?)
}

/// `archinfer evaluate search`.
pub fn search(a: SearchArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let started = Instant::now();
    let (space, dvn_tasks) = load_dvn_tasks(&a.db, &suite_tasks)?;
    let store = crate::db::open_existing(&a.db)?;
    let train_config: TrainConfig = serde_json::from_str(&store.meta("train_config")?.ok_or("the database has no train_config")?)?;
    let held = held_tasks(a.tasks.as_deref(), &dvn_tasks);
    // A bad --fixed string is refused before anything is written or fitted.
    let fixed = a.fixed.as_deref().map(|f| DiscreteArchitecture::parse(&space, f)).transpose()?;
    let out_dir = crate::default_out(a.out.clone(), "results/search", a.fit.recipe.preset);
    std::fs::create_dir_all(&out_dir)?;
    let prop_path = out_dir.join("proposals.jsonl");
    let runs_path = out_dir.join("runs.jsonl");
    let mut proposals: BTreeMap<String, ProposalRecord> =
        read_jsonl::<ProposalRecord>(&prop_path)?.into_iter().map(|p| (p.task.clone(), p)).collect();
    // Phase 1: leave-one-task-out fit and inference (seconds per task).
    for &k in &held {
        let name = &dvn_tasks[k].name;
        if proposals.contains_key(name) {
            continue;
        }
        let opts = InferOptions::new()
            .with_ascent(AscentConfig::new().with_starts(a.ascent.starts).with_max_iters(a.ascent.iters))
            .with_seeded(a.ascent.seeded)
            .with_ranking(a.rank);
        let held = archinfer::eval::propose_held_out(&store, &space, &dvn_tasks, k, &a.fit.inferencer_recipe()?, &opts, &archinfer::default_device())?;
        let (proposal, fit_seconds) = (held.proposal, held.fit_seconds);
        let best = proposal.best()?;
        eprintln!(
            "{name}: {} (predicted {:.2}, continuous {:.2}); fit {fit_seconds:.1} s, meta {:.1} ms, ascent {:.1} ms",
            best.architecture, best.value, best.solution.value, proposal.meta_ms, proposal.ascent_ms
        );
        let rec = ProposalRecord { task: name.clone(), fit_seconds, proposal };
        append_jsonl(&prop_path, &rec)?;
        proposals.insert(name.clone(), rec);
    }
    // Phase 2: train each proposal `repeats` times, discretised first (fast), then continuous.
    let runs: Vec<TrainRun> = read_jsonl(&runs_path)?;
    let done: HashSet<(String, String, usize)> = runs.iter().map(|r| (r.task.clone(), r.kind.clone(), r.repeat)).collect();
    let mut jobs: Vec<(usize, String, usize)> = Vec::new();
    let mut kinds: Vec<String> = if a.no_continuous { vec!["discrete".into()] } else { vec!["discrete".into(), "continuous".into()] };
    kinds.extend((1..a.candidates).map(|j| format!("cand{j}")));
    if fixed.is_some() {
        kinds.push("fixed".into());
    }
    for kind in &kinds {
        for r in 0..a.repeats {
            for &k in &held {
                if !done.contains(&(dvn_tasks[k].name.clone(), kind.clone(), r)) {
                    jobs.push((k, kind.clone(), r));
                }
            }
        }
    }
    jobs.reverse();
    eprintln!("{} trainings to run ({} already in {})", jobs.len(), runs.len(), runs_path.display());
    let bar = crate::bar(jobs.len() as u64, "trainings");
    let jobs = Arc::new(Mutex::new(jobs));
    let sink = Arc::new(Mutex::new(()));
    let proposals = Arc::new(proposals);
    let dvn_tasks = Arc::new(dvn_tasks);
    let handles: Vec<_> = (0..a.workers.max(1))
        .map(|_| {
            let (jobs, sink, proposals, dvn_tasks, space, bar) =
                (jobs.clone(), sink.clone(), proposals.clone(), dvn_tasks.clone(), space.clone(), bar.clone());
            let (tc, runs_path, fixed) = (train_config.clone(), runs_path.clone(), fixed.clone());
            std::thread::spawn(move || -> Result<(), BoxError> {
                let device = archinfer::default_device();
                let trainer = AdamTrainer::new(tc, device.clone())?;
                let mut prepared: HashMap<usize, PreparedTask> = HashMap::new();
                loop {
                    let Some((k, kind, repeat)) = jobs.lock().map_err(|_| "lock")?.pop() else { return Ok(()) };
                    let t = &dvn_tasks[k];
                    let task = t.task.as_deref().ok_or("a task without samples")?;
                    let prep = prepared.entry(k).or_insert_with(|| PreparedTask::new(task, &device));
                    let proposal = &proposals.get(&t.name).ok_or("a task without a proposal")?.proposal;
                    let best = proposal.best()?.clone();
                    let spec = if kind == "fixed" {
                        ChildSpec::Discrete(fixed.clone().ok_or("no fixed architecture")?)
                    } else if kind == "continuous" {
                        ChildSpec::Continuous { space: space.clone(), encoding: Encoding::from_flat(&space, &best.solution.logits)? }
                    } else if let Some(j) = kind.strip_prefix("cand") {
                        let j: usize = j.parse()?;
                        match archinfer::eval::distinct_candidates(proposal).get(j) {
                            Some(c) => ChildSpec::Discrete(c.clone()),
                            None => {
                                bar.inc(1);
                                continue;
                            }
                        }
                    } else {
                        ChildSpec::Discrete(best.architecture.clone())
                    };
                    let o = trainer.train(&spec, prep, 20_000 + repeat as u64)?;
                    let run = TrainRun {
                        task: t.name.clone(),
                        kind: kind.to_string(),
                        repeat,
                        val: o.val_accuracy,
                        test: o.test_accuracy,
                        seconds: o.seconds,
                        done: o.is_done(),
                    };
                    {
                        let _g = sink.lock().map_err(|_| "lock")?;
                        append_jsonl(&runs_path, &run)?;
                    }
                    bar.set_message(format!("{} {} test {:.3}", run.task, run.kind, run.test));
                    bar.inc(1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "a training thread panicked")??;
    }
    bar.finish_and_clear();
    let runs: Vec<TrainRun> = read_jsonl(&runs_path)?;
    let order: Vec<String> = held.iter().map(|&k| dvn_tasks[k].name.clone()).collect();
    let (mut table, mut summary) = search_table(&order, &proposals, &runs, &store)?;
    if a.candidates > 1 {
        let (t, s) = candidates_table(&order, &runs, &store, a.candidates)?;
        table.push('\n');
        table.push_str(&t);
        summary["candidates"] = s;
    }
    if let Some(f) = &a.fixed {
        let (t, s) = fixed_table(f, &order, &runs, &store)?;
        table.push('\n');
        table.push_str(&t);
        summary["fixed"] = s;
    }
    std::fs::write(out_dir.join("table.md"), &table)?;
    let summary = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": crate::machine(),
        "wall_seconds_this_invocation": started.elapsed().as_secs_f64(),
        "settings": { "repeats": a.repeats, "starts": a.ascent.starts, "iters": a.ascent.iters, "seeded": a.ascent.seeded,
                      "variant": a.fit.variant.to_string(), "preset": a.fit.recipe.preset.to_string(), "dvn_lr": a.fit.recipe.lr, "dvn_set": a.fit.recipe.dvn_set, "rank": format!("{:?}", a.rank), "ensemble": a.fit.ensemble,
                      "train_config": train_config },
        "summary": summary,
    });
    std::fs::write(out_dir.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    outln!("{table}");
    Ok(())
}

fn pm(v: &[f64]) -> String {
    if v.is_empty() {
        return "–".into();
    }
    let (m, s) = mean_std(v);
    format!("{:.2} ± {:.2}", 100.0 * m, 100.0 * s)
}

/// Keeping the best of the first K candidates by validation accuracy, K = 1, 3, 5, …: per
/// repeat, the candidate with the best validation accuracy among the first K is kept and its
/// test accuracy counts; K trainings are spent.
fn candidates_table(order: &[String], runs: &[TrainRun], store: &dyn ExperimentStore, max_k: usize) -> Result<(String, serde_json::Value), BoxError> {
    let ks: Vec<usize> = [1, 3, 5, 10].into_iter().filter(|&k| k <= max_k).chain((max_k > 10).then_some(max_k)).collect();
    // The recorded children per task (the "best of all" column), as the database has them.
    let n_all = order.iter().map(|name| store.trials(Some(name)).map(|t| t.iter().filter(|x| x.result.is_some()).count())).collect::<Result<Vec<_>, _>>()?.into_iter().max().unwrap_or(0);
    let mut t = format!(
        "| task | {} | Random (first 10) | best of first 10 by val | best of {n_all} by val |\n|---|{}---|---|---|\n",
        ks.iter().map(|k| format!("K = {k}")).collect::<Vec<_>>().join(" | "),
        "---|".repeat(ks.len())
    );
    let mut gaps: Vec<Vec<f64>> = vec![Vec::new(); ks.len()];
    let mut beats = vec![0usize; ks.len()];
    let (mut gap10, mut beats10) = (Vec::new(), 0usize);
    let mut n = 0;
    for name in order {
        let kind_of = |j: usize| if j == 0 { "discrete".to_string() } else { format!("cand{j}") };
        let repeats: HashSet<usize> = runs.iter().filter(|r| &r.task == name && r.kind == "discrete").map(|r| r.repeat).collect();
        if repeats.is_empty() {
            continue;
        }
        let mut trials: Vec<Trial> = store.trials(Some(name))?.into_iter().filter(|t| t.result.is_some()).collect();
        trials.sort_by_key(|t| t.trial_index);
        let test = |t: &Trial| f64::from(t.result.as_ref().map_or(0.0, |r| r.test_accuracy));
        let val = |t: &Trial| t.result.as_ref().map_or(0.0, |r| r.val_accuracy);
        let random = mean_std(&trials.iter().take(10).map(test).collect::<Vec<_>>()).0;
        let best_of = |ts: &[Trial]| ts.iter().max_by(|a, b| val(a).total_cmp(&val(b))).map(test).unwrap_or(0.0);
        let b10 = best_of(&trials[..trials.len().min(10)]);
        let ball = best_of(&trials);
        n += 1;
        gap10.push(100.0 * (ball - b10));
        beats10 += usize::from(b10 > random);
        let mut cells = Vec::new();
        for (i, &k) in ks.iter().enumerate() {
            let mut per_repeat = Vec::new();
            for &r in &repeats {
                let trained: Vec<(f32, f32)> = (0..k)
                    .filter_map(|j| runs.iter().find(|x| &x.task == name && x.kind == kind_of(j) && x.repeat == r))
                    .map(|x| (x.val, x.test))
                    .collect();
                if let Some(test) = archinfer::eval::keep_best(&trained) {
                    per_repeat.push(f64::from(test));
                }
            }
            let m = mean_std(&per_repeat).0;
            gaps[i].push(100.0 * (ball - m));
            beats[i] += usize::from(m > random);
            cells.push(pm(&per_repeat));
        }
        t.push_str(&format!("| {name} | {} | {:.2} | {:.2} | {:.2} |\n", cells.join(" | "), 100.0 * random, 100.0 * b10, 100.0 * ball));
    }
    let mut s = serde_json::Map::new();
    t.push_str(&format!("\n| K (trainings spent) | beats Random | mean gap to best of {n_all} (points) |\n|---|---|---|\n"));
    for (i, &k) in ks.iter().enumerate() {
        let g = mean_std(&gaps[i]).0;
        t.push_str(&format!("| {k} | {}/{n} | {g:.2} |\n", beats[i]));
        s.insert(format!("k{k}"), serde_json::json!({ "beats_random": [beats[i], n], "mean_gap_points": g, "trainings": k }));
    }
    let g10 = mean_std(&gap10).0;
    t.push_str(&format!("| best of first 10 (10 trainings) | {beats10}/{n} | {g10:.2} |\n| best of {n_all} ({n_all} trainings) | | 0 |\n"));
    s.insert("best_of_first_10".into(), serde_json::json!({ "beats_random": [beats10, n], "mean_gap_points": g10, "trainings": 10 }));
    Ok((t, serde_json::Value::Object(s)))
}

/// The fixed default architecture against Random and the best of all children: the trivial
/// baseline the proposals must beat to show that inference helps.
fn fixed_table(name: &str, order: &[String], runs: &[TrainRun], store: &dyn ExperimentStore) -> Result<(String, serde_json::Value), BoxError> {
    let mut t = format!("| task | fixed `{name}` | proposal (K = 1) | Random (first 10) | best of all by val |\n|---|---|---|---|---|\n");
    let (mut beats, mut gaps, mut wins, mut n) = (0, Vec::new(), 0, 0);
    for task in order {
        let test = |kind: &str| runs.iter().filter(|r| &r.task == task && r.kind == kind).map(|r| f64::from(r.test)).collect::<Vec<_>>();
        let (fx, prop) = (test("fixed"), test("discrete"));
        if fx.is_empty() {
            continue;
        }
        let mut trials: Vec<Trial> = store.trials(Some(task))?.into_iter().filter(|x| x.result.is_some()).collect();
        trials.sort_by_key(|x| x.trial_index);
        let acc = |x: &Trial| x.result.as_ref().map_or((0.0, 0.0), |r| (r.val_accuracy, f64::from(r.test_accuracy)));
        let random = mean_std(&trials.iter().take(10).map(|x| acc(x).1).collect::<Vec<_>>()).0;
        let best = trials.iter().max_by(|a, b| acc(a).0.total_cmp(&acc(b).0)).map_or(0.0, |x| acc(x).1);
        let (m, p) = (mean_std(&fx).0, mean_std(&prop).0);
        n += 1;
        beats += usize::from(m > random);
        wins += usize::from(p > m);
        gaps.push(100.0 * (best - m));
        t.push_str(&format!("| {task} | {} | {} | {:.2} | {:.2} |\n", pm(&fx), pm(&prop), 100.0 * random, 100.0 * best));
    }
    let g = mean_std(&gaps).0;
    t.push_str(&format!("\nThe fixed architecture beats Random on {beats}/{n} tasks, is {g:.2} points short of the best of all on average; the proposal beats it on {wins}/{n}.\n"));
    Ok((t, serde_json::json!({ "architecture": name, "beats_random": [beats, n], "mean_gap_points": g, "proposal_beats_fixed": [wins, n] })))
}

/// The Table 4 analogue and the numbers the goal is judged by.
fn search_table(
    order: &[String],
    proposals: &BTreeMap<String, ProposalRecord>,
    runs: &[TrainRun],
    store: &dyn ExperimentStore,
) -> Result<(String, serde_json::Value), BoxError> {
    let mut t = String::from(
        "| task | proposed architecture | inference ms | proposed, continuous u | proposed, discretised | Random (first 10) | best of first 10 by val | best of all by val |\n|---|---|---|---|---|---|---|---|\n",
    );
    let (mut beats_c, mut beats_d, mut n_c, mut n_d) = (0, 0, 0, 0);
    let (mut gap_c, mut gap_d) = (Vec::new(), Vec::new());
    let (mut infer_ms, mut ten_s, mut all_s, mut n_all) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for name in order {
        let Some(p) = proposals.get(name) else { continue };
        let best = p.proposal.best()?;
        let mut trials: Vec<Trial> = store.trials(Some(name))?.into_iter().filter(|t| t.result.is_some()).collect();
        trials.sort_by_key(|t| t.trial_index);
        let res = |t: &Trial| t.result.clone().ok_or("no result");
        let first10: Vec<&Trial> = trials.iter().take(10).collect();
        let random: Vec<f64> = first10.iter().map(|t| res(t).map(|r| f64::from(r.test_accuracy))).collect::<Result<_, _>>()?;
        let pick = |ts: &[&Trial]| -> Result<(f64, f64), BoxError> {
            let b = ts.iter().max_by(|a, b| {
                let (x, y) = (a.result.as_ref().map_or(0.0, |r| r.val_accuracy), b.result.as_ref().map_or(0.0, |r| r.val_accuracy));
                x.total_cmp(&y)
            });
            let b = b.ok_or("no trials")?;
            let secs: f64 = ts.iter().filter_map(|t| t.result.as_ref().map(|r| r.seconds)).sum();
            Ok((f64::from(res(b)?.test_accuracy), secs))
        };
        let (b10, s10) = pick(&first10)?;
        let all: Vec<&Trial> = trials.iter().collect();
        let (ball, sall) = pick(&all)?;
        let cont: Vec<f64> = runs.iter().filter(|r| &r.task == name && r.kind == "continuous").map(|r| f64::from(r.test)).collect();
        let disc: Vec<f64> = runs.iter().filter(|r| &r.task == name && r.kind == "discrete").map(|r| f64::from(r.test)).collect();
        let rmean = mean_std(&random).0;
        if !cont.is_empty() {
            n_c += 1;
            beats_c += usize::from(mean_std(&cont).0 > rmean);
            gap_c.push(100.0 * (ball - mean_std(&cont).0));
        }
        if !disc.is_empty() {
            n_d += 1;
            beats_d += usize::from(mean_std(&disc).0 > rmean);
            gap_d.push(100.0 * (ball - mean_std(&disc).0));
        }
        let ms = p.proposal.meta_ms + p.proposal.ascent_ms;
        infer_ms.push(ms);
        ten_s.push(s10);
        all_s.push(sall);
        n_all = n_all.max(all.len());
        t.push_str(&format!(
            "| {name} | {} | {ms:.0} | {} | {} | {} | {:.2} | {:.2} |\n",
            best.architecture,
            pm(&cont),
            pm(&disc),
            pm(&random),
            100.0 * b10,
            100.0 * ball,
        ));
    }
    let mean = |v: &[f64]| mean_std(v).0;
    let gap = |v: &[f64]| if v.is_empty() { "–".to_string() } else { format!("{:.2}", mean(v)) };
    t.push_str(&format!(
        "\nProposed beats Random (mean test accuracy): continuous {beats_c}/{n_c}, discretised {beats_d}/{n_d}. \
         Mean gap to the best of {n_all} recorded children (points, positive = proposal worse): continuous {}, discretised {}.\n\
         Mean time per task: inference {:.0} ms; best of first 10: {:.0} s of training; best of {n_all}: {:.0} s of training.\n",
        gap(&gap_c),
        gap(&gap_d),
        mean(&infer_ms),
        mean(&ten_s),
        mean(&all_s),
    ));
    let summary = serde_json::json!({
        "beats_random_continuous": [beats_c, n_c], "beats_random_discrete": [beats_d, n_d],
        "mean_gap_to_best_continuous_points": (!gap_c.is_empty()).then(|| mean(&gap_c)),
        "mean_gap_to_best_discrete_points": (!gap_d.is_empty()).then(|| mean(&gap_d)),
        "mean_inference_ms": mean(&infer_ms), "mean_train_seconds_first10": mean(&ten_s), "mean_train_seconds_all": mean(&all_s),
    });
    Ok((t, summary))
}

/// Arguments of `archinfer evaluate tradeoff`.
#[derive(Parser, Debug)]
pub struct TradeoffArgs {
    /// The experiment database: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "data/fmnist14.sqlite")]
    pub db: Location,
    /// Fashion-MNIST directory (default: $ARCHINFER_FASHION_MNIST, else Debian's location).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The held-out task.
    #[arg(long, default_value = "all10-pixel-noise")]
    pub task: String,
    /// Size penalties λ to try (value per million expected parameters).
    #[arg(long, default_value = "0,1,2,5,10,20,50")]
    pub lambdas: String,
    /// Hard budgets to try (parameters), with λ = 0.
    #[arg(long, default_value = "50000,20000,5000")]
    pub budgets: String,
    /// Trainings of each proposed (discretised) architecture.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Candidate ranking (`discrete` or `continuous`).
    #[arg(long, default_value = "discrete")]
    pub rank: Ranking,
    /// Output folder (default: results/tradeoff for the paper preset, results/tradeoff-task-aware
    /// for task-aware).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub fit: FitArgs,
}

/// `archinfer evaluate tradeoff`: accuracy against size on one held-out task, as the size
/// penalty λ and the hard budget vary.
pub fn tradeoff(a: TradeoffArgs, suite_tasks: Vec<(Arc<Task>, String)>) -> Result<(), BoxError> {
    let (space, dvn_tasks) = load_dvn_tasks(&a.db, &suite_tasks)?;
    let store = crate::db::open_existing(&a.db)?;
    let train_config: TrainConfig = serde_json::from_str(&store.meta("train_config")?.ok_or("the database has no train_config")?)?;
    let k = dvn_tasks.iter().position(|t| t.name == a.task).ok_or_else(|| format!("no task `{}` in the database", a.task))?;
    let train: Vec<DvnTask> = dvn_tasks.iter().enumerate().filter(|(i, _)| *i != k).map(|(_, t)| t.clone()).collect();
    let inf = fit_inferencer(&space, &train, &a.fit, &store)?;
    let task = dvn_tasks[k].task.as_deref().ok_or("a task without samples")?;
    let device = archinfer::default_device();
    let trainer = AdamTrainer::new(train_config, device.clone())?;
    let prep = PreparedTask::new(task, &device);
    let parse = |s: &str| -> Result<Vec<f64>, BoxError> { Ok(s.split(',').filter(|x| !x.trim().is_empty()).map(|x| x.trim().parse::<f64>()).collect::<Result<_, _>>()?) };
    let mut settings: Vec<(f64, Option<usize>)> = parse(&a.lambdas)?.into_iter().map(|l| (l, None)).collect();
    settings.extend(parse(&a.budgets)?.into_iter().map(|b| (0.0, Some(b as usize))));
    let out_dir = crate::default_out(a.out.clone(), "results/tradeoff", a.fit.recipe.preset);
    std::fs::create_dir_all(&out_dir)?;
    let mut t = format!(
        "Held-out task `{}`; value network fitted on the other {} tasks. Discretised proposals trained {} times each.\n\n\
         | λ (per M params) | budget | proposed architecture | parameters | predicted | test accuracy |\n|---|---|---|---|---|---|\n",
        a.task,
        train.len(),
        a.repeats
    );
    let mut rows = Vec::new();
    for (lambda, budget) in settings {
        let opts = InferOptions::new().with_lambda(lambda).with_max_params(budget).with_ranking(a.rank);
        let p = inf.propose(task, &opts)?;
        let best = p.best()?.clone();
        let mut tests = Vec::new();
        for r in 0..a.repeats {
            let o = trainer.train(&ChildSpec::Discrete(best.architecture.clone()), &prep, 20_000 + r as u64)?;
            tests.push(f64::from(o.test_accuracy));
        }
        eprintln!("λ {lambda} budget {budget:?}: {} ({} params) test {}", best.architecture, best.params, pm(&tests));
        t.push_str(&format!(
            "| {lambda} | {} | {} | {} | {:.2} | {} |\n",
            budget.map_or("–".to_string(), |b| b.to_string()),
            best.architecture,
            best.params,
            best.value,
            pm(&tests)
        ));
        rows.push(serde_json::json!({"lambda": lambda, "budget": budget, "architecture": best.architecture.to_string(),
            "params": best.params, "predicted": best.value, "test": tests}));
    }
    std::fs::write(out_dir.join("table.md"), &t)?;
    let summary = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "machine": crate::machine(),
        "rows": rows,
    });
    std::fs::write(out_dir.join("summary.json"), serde_json::to_string_pretty(&summary)?)?;
    outln!("{t}");
    Ok(())
}
