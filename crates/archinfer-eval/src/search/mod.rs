//! The training phase of `evaluate search` (paper Table 4) as a typed plan: which trainings
//! ([`RunKind`]) of which held-out task and repeat are still missing from the run log, and
//! what each one trains.

mod run;
mod table;

pub use run::{RunKind, SearchRun};
pub use table::{CandidatesTable, FixedTable, ProposalRecord, RecordedChildren, SearchRow, SearchTable};

use std::collections::{BTreeMap, HashMap, HashSet};

use archinfer_data::Task;
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, Encoding};
use archinfer_infer::Proposal;
use archinfer_store::ExperimentStore;
use archinfer_train::{ChildSpec, PreparedTask};

use crate::error::{EvalError, Result};
use crate::proposal::ProposalSetup;
use crate::runner::{ResumableRuns, run_jobs};

/// Training seeds of the search's repeats are `SEARCH_SEED_BASE + repeat`: far from the seeds
/// of the recorded children, so a proposal's trainings are not theirs.
pub const SEARCH_SEED_BASE: u64 = 20_000;

/// Which trainings the search runs for each held-out task: the kinds, each `repeats` times.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    /// Kinds, in the order they run (the discretised proposal first: it is the fastest).
    pub kinds: Vec<RunKind>,
    /// Trainings of each kind.
    pub repeats: usize,
}

impl SearchPlan {
    /// The discretised proposal, the continuous `u` unless `no_continuous`, candidates 1 … K−1
    /// for `candidates = K`, and the fixed network if there is one; `repeats` of each.
    pub fn new(repeats: usize, no_continuous: bool, candidates: usize, fixed: bool) -> Self {
        let mut kinds = vec![RunKind::Discrete];
        if !no_continuous {
            kinds.push(RunKind::Continuous);
        }
        kinds.extend((1..candidates).map(RunKind::Candidate));
        if fixed {
            kinds.push(RunKind::Fixed);
        }
        Self { kinds, repeats }
    }

    /// The `(task, kind, repeat)` trainings of `tasks` not in `done`, in the order they should
    /// run when popped from the back (kind by kind, repeat by repeat, task by task).
    pub fn missing(&self, tasks: &[String], done: &[SearchRun]) -> Vec<(String, RunKind, usize)> {
        let have: HashSet<(&str, RunKind, usize)> = done.iter().map(|r| (r.task.as_str(), r.kind, r.repeat)).collect();
        let mut jobs = Vec::new();
        for &kind in &self.kinds {
            for r in 0..self.repeats {
                for t in tasks {
                    if !have.contains(&(t.as_str(), kind, r)) {
                        jobs.push((t.clone(), kind, r));
                    }
                }
            }
        }
        jobs.reverse();
        jobs
    }
}

/// What a training of `kind` trains for `proposal`: `None` for a candidate the proposal does
/// not have (fewer distinct candidates than asked for).
///
/// # Errors
/// [`EvalError::BadOptions`] for [`RunKind::Fixed`] without a fixed architecture; a proposal
/// without candidates; a continuous `u` that does not fit `space`.
pub fn search_child(kind: RunKind, proposal: &Proposal, space: &ArchitectureSpace, fixed: Option<&DiscreteArchitecture>) -> Result<Option<ChildSpec>> {
    let best = proposal.best()?;
    Ok(match kind {
        RunKind::Fixed => Some(ChildSpec::Discrete(fixed.cloned().ok_or_else(|| EvalError::BadOptions("a fixed run without a fixed architecture".into()))?)),
        RunKind::Continuous => Some(ChildSpec::Continuous { space: space.clone(), encoding: Encoding::from_flat(space, &best.solution.logits)? }),
        RunKind::Discrete => Some(ChildSpec::Discrete(best.architecture.clone())),
        RunKind::Candidate(j) => archinfer_app::distinct_candidates(proposal).get(j).cloned().map(ChildSpec::Discrete),
    })
}

impl ProposalSetup<'_> {
    /// Phase 1 of `evaluate search`: for each task at `held` that `log` lacks, leaves it out,
    /// fits on the rest and proposes ([`crate::proposal::propose_held_out`]), appending each proposal to
    /// `log` and handing it to `on_each` as it lands. Returns every proposal of `log`, by task.
    ///
    /// # Errors
    /// [`EvalError::TooFewTasks`] for an index past `tasks`; as [`crate::proposal::propose_held_out`]; a
    /// proposal without candidates; the log failing.
    pub fn propose_missing(
        &self,
        held: &[usize],
        log: &ResumableRuns<ProposalRecord>,
        on_each: &mut dyn FnMut(&ProposalRecord),
    ) -> Result<BTreeMap<String, ProposalRecord>> {
        let mut proposals: BTreeMap<String, ProposalRecord> = log.read()?.into_iter().map(|p| (p.task.clone(), p)).collect();
        for &k in held {
            let name = &self.tasks.get(k).ok_or(EvalError::TooFewTasks { needed: k + 1, got: self.tasks.len() })?.name;
            if proposals.contains_key(name) {
                continue;
            }
            let h = crate::proposal::propose_held_out(self.store, self.space, self.tasks, k, self.how, self.opts, self.device)?;
            // A proposal without candidates is refused, not logged: the next run retries it.
            h.proposal.best()?;
            let rec = ProposalRecord { task: name.clone(), fit_seconds: h.fit_seconds, proposal: h.proposal };
            log.append(&rec)?;
            on_each(&rec);
            proposals.insert(name.clone(), rec);
        }
        Ok(proposals)
    }

    /// Phase 2 of `evaluate search`: trains `jobs` (from [`SearchPlan::missing`]) of the
    /// `proposals` on `workers` threads with this setup's trainer, repeat `r` from seed
    /// [`SEARCH_SEED_BASE`]` + r` (the setup's `k` and `seed` are not used: the plan says
    /// what to train), appending each run to `log`. `on_done` sees every job, `None`
    /// for a candidate the proposal does not have.
    ///
    /// # Errors
    /// A job of a task without samples or proposal; as [`search_child`]; training or the log
    /// failing.
    pub fn train_search(
        &self,
        jobs: Vec<(String, RunKind, usize)>,
        proposals: &BTreeMap<String, ProposalRecord>,
        fixed: Option<&DiscreteArchitecture>,
        workers: usize,
        log: &ResumableRuns<SearchRun>,
        on_done: &(dyn Fn(Option<&SearchRun>) + Sync),
    ) -> Result<()> {
        let by_name: HashMap<&str, &Task> = self.tasks.iter().filter_map(|t| Some((t.name.as_str(), t.task.as_deref()?))).collect();
        let work = |prepared: &mut HashMap<String, PreparedTask>, (task, kind, repeat): (String, RunKind, usize)| -> Result<Option<SearchRun>> {
            let t = by_name.get(task.as_str()).ok_or_else(|| EvalError::NoSamples(task.clone()))?;
            let proposal = &proposals.get(&task).ok_or_else(|| EvalError::UnknownTask(task.clone()))?.proposal;
            let Some(spec) = search_child(kind, proposal, self.space, fixed)? else {
                return Ok(None);
            };
            let prep = prepared.entry(task.clone()).or_insert_with(|| PreparedTask::new(t, self.device));
            let o = self.trainer.train(&spec, prep, SEARCH_SEED_BASE + repeat as u64)?;
            Ok(Some(SearchRun { task, kind, repeat, val: o.val_accuracy, test: o.test_accuracy, seconds: o.seconds, done: o.is_done() }))
        };
        run_jobs(jobs, workers, log, &|| Ok(HashMap::new()), &work, on_done)
    }
}

/// The markdown of a search and its summary: the Table 4 analogue ([`SearchTable`]), then with
/// `candidates > 1` the best-of-K table ([`CandidatesTable`]) and with `fixed` (its one-line
/// name) the fixed network's ([`FixedTable`]).
///
/// # Errors
/// Store failures; a proposal without candidates.
pub fn search_tables(
    order: &[String],
    proposals: &BTreeMap<String, ProposalRecord>,
    runs: &[SearchRun],
    store: &dyn ExperimentStore,
    candidates: usize,
    fixed: Option<&str>,
) -> Result<(String, serde_json::Value)> {
    let search = SearchTable::of(order, proposals, runs, store)?;
    let (mut table, mut summary) = (search.markdown(), search.summary());
    if candidates > 1 {
        let c = CandidatesTable::of(order, runs, store, candidates)?;
        table += &format!("\n{}", c.markdown());
        summary["candidates"] = c.summary();
    }
    if let Some(f) = fixed {
        let t = FixedTable::of(f, order, runs, store)?;
        table += &format!("\n{}", t.markdown());
        summary["fixed"] = t.summary();
    }
    Ok((table, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_and_write_as_the_log_spells_them() {
        for (k, s) in [(RunKind::Discrete, "discrete"), (RunKind::Continuous, "continuous"), (RunKind::Candidate(3), "cand3"), (RunKind::Fixed, "fixed")] {
            assert_eq!(k.to_string(), s);
            assert_eq!(s.parse::<RunKind>().unwrap(), k);
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{s}\""));
        }
        assert!("cand0".parse::<RunKind>().is_err() && "x".parse::<RunKind>().is_err());
        assert_eq!(RunKind::candidate(0), RunKind::Discrete);
    }

    #[test]
    fn the_plan_lists_what_the_log_lacks() {
        let plan = SearchPlan::new(2, true, 2, true);
        assert_eq!(plan.kinds, vec![RunKind::Discrete, RunKind::Candidate(1), RunKind::Fixed]);
        let tasks = vec!["a".to_string(), "b".to_string()];
        let done = vec![SearchRun { task: "a".into(), kind: RunKind::Discrete, repeat: 0, val: 0.5, test: 0.5, seconds: 1.0, done: true }];
        let jobs = plan.missing(&tasks, &done);
        assert_eq!(jobs.len(), 3 * 2 * 2 - 1);
        // Popped from the back: the discretised proposal of b, repeat 0, runs first.
        assert_eq!(jobs.last(), Some(&("b".to_string(), RunKind::Discrete, 0)));
    }
}
