//! From a task's samples to a proposed architecture: embed the task, ascend, respect the
//! budget.

use std::path::Path;
use std::time::Instant;

use archinfer_data::Task;
use archinfer_dvn::TrainedDvn;
use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use burn::config::Config;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::cost::Penalty;
use crate::fused::FusedMlp;
use crate::library::TaskLibrary;
use crate::value::{BurnValue, TaskValue};
use crate::ascent::AscentConfig;
use crate::error::InferError;
use crate::error::Result;
use crate::ascent::Solution;
use crate::budget::fit_budget;
use crate::ascent::random_starts;

/// Settings of one proposal.
#[derive(Config, Debug)]
pub struct InferOptions {
    /// The ascent.
    #[config(default = "AscentConfig::new()")]
    pub ascent: AscentConfig,
    /// Weight λ of the size penalty, per million expected parameters (0: the paper's
    /// objective).
    #[config(default = 0.0)]
    pub lambda: f64,
    /// Hard budget on the discretised architecture's parameters.
    #[config(default = "None")]
    pub max_params: Option<usize>,
    /// Starts seeded from the nearest training tasks' best architectures (the rest random;
    /// 0 without a task library).
    #[config(default = 0)]
    pub seeded: usize,
    /// Nearest training tasks to seed from.
    #[config(default = 3)]
    pub neighbours: usize,
    /// Logit of the chosen option in a seeded start (the others 0).
    #[config(default = 3.0)]
    pub seed_scale: f64,
    /// Run the generic burn path instead of the fused CPU one.
    #[config(default = false)]
    pub generic: bool,
    /// How candidates are ranked.
    #[config(default = "Ranking::Discrete")]
    pub ranking: Ranking,
}

/// How a proposal ranks its candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Ranking {
    /// By the predicted value of the architecture that will be trained (the discretised one,
    /// shrunk to the budget), less the size penalty.
    #[default]
    Discrete,
    /// By the ascent's objective at the continuous `u`, as the paper does (under a budget,
    /// [`Discrete`](Self::Discrete) is used, since the budget changes the architectures).
    Continuous,
}

impl std::str::FromStr for Ranking {
    type Err = InferError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "discrete" => Ok(Self::Discrete),
            "continuous" => Ok(Self::Continuous),
            other => Err(InferError::Setting { setting: "ranking", value: other.to_string(), expected: "`discrete` or `continuous`" }),
        }
    }
}

/// One candidate architecture of a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The ascent's solution (its `architecture` as the ascent found it).
    pub solution: Solution,
    /// The architecture proposed from it: the solution's, shrunk to the budget if needed.
    pub architecture: DiscreteArchitecture,
    /// Whether the budget shrank it.
    pub shrunk: bool,
    /// Its parameter count for the task.
    pub params: usize,
    /// Its predicted (per-task normalised) value.
    pub value: f32,
}

/// A proposal for one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Task name.
    pub task: String,
    /// Classes of the task.
    pub num_classes: usize,
    /// Candidates, best first, as [`InferOptions::ranking`] says.
    pub candidates: Vec<Candidate>,
    /// Milliseconds spent computing the task's meta-features.
    pub meta_ms: f64,
    /// Milliseconds spent on the ascent (packing the network, starts, ascent, budget).
    pub ascent_ms: f64,
    /// Which path ran the ascent.
    pub path: String,
}

impl Proposal {
    /// The proposed architecture (the first candidate).
    ///
    /// # Errors
    /// Never for a proposal made by [`Inferencer::propose`], which has at least one candidate.
    pub fn best(&self) -> Result<&Candidate> {
        self.candidates.first().ok_or(InferError::NoCandidates)
    }

    /// The JSON `archinfer infer --json` prints for a task of `samples` samples: the best
    /// candidate (one-line and structured architecture, parameters, predicted values of the
    /// discretised and the continuous solution, iterations), the timings, and every candidate.
    ///
    /// # Errors
    /// [`InferError::NoCandidates`] for a proposal without candidates.
    pub fn to_json(&self, samples: usize) -> Result<serde_json::Value> {
        let best = self.best()?;
        Ok(serde_json::json!({
            "task": self.task,
            "samples": samples,
            "classes": self.num_classes,
            "architecture": best.architecture.to_string(),
            "architecture_json": best.architecture,
            "params": best.params,
            "shrunk_to_budget": best.shrunk,
            "predicted_value": best.value,
            "predicted_value_continuous": best.solution.value,
            "predicted_value_discrete": best.solution.discrete_value,
            "iterations": best.solution.iterations,
            "meta_features_ms": self.meta_ms,
            "ascent_ms": self.ascent_ms,
            "path": self.path,
            "candidates": self.candidates.iter().map(|c| serde_json::json!({
                "architecture": c.architecture.to_string(), "params": c.params, "value": c.value,
                "continuous_value": c.solution.value, "shrunk": c.shrunk,
            })).collect::<Vec<_>>(),
        }))
    }
}

/// A trained value network and its task library: everything inference needs.
#[derive(Debug, Clone)]
pub struct Inferencer {
    /// The value network.
    pub dvn: TrainedDvn,
    /// Its training tasks (for seeded starts), if saved with it.
    pub library: Option<TaskLibrary>,
    /// Further value networks (other seeds); with any, the ascent climbs the mean of all of
    /// them, `dvn` included (an ensemble; fused path only). Saved as `member-1/`, `member-2/` …
    pub members: Vec<TrainedDvn>,
    device: Device,
}

impl Inferencer {
    /// Wraps a trained network.
    pub fn new(dvn: TrainedDvn, library: Option<TaskLibrary>, device: &Device) -> Self {
        Self { dvn, library, members: Vec::new(), device: device.clone() }
    }

    /// The same inferencer climbing the mean of `dvn` and `members`.
    pub fn with_members(mut self, members: Vec<TrainedDvn>) -> Self {
        self.members = members;
        self
    }

    /// Loads a model directory written by [`save`](Self::save).
    ///
    /// # Errors
    /// Missing or malformed files.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        if !dir.is_dir() {
            return Err(InferError::Io { path: dir.display().to_string(), message: "no such model directory".into() });
        }
        let dvn = TrainedDvn::load(dir, None, device)?;
        let library = TaskLibrary::load(dir)?;
        let mut members = Vec::new();
        while dir.join(format!("member-{}", members.len() + 1)).is_dir() {
            members.push(TrainedDvn::load(&dir.join(format!("member-{}", members.len() + 1)), Some(&dvn.config.space), device)?);
        }
        Ok(Self { dvn, library, members, device: device.clone() })
    }

    /// Saves the network and the library into `dir`.
    ///
    /// # Errors
    /// File-system failures.
    pub fn save(&self, dir: &Path) -> Result<()> {
        self.dvn.save(dir)?;
        for (i, m) in self.members.iter().enumerate() {
            m.save(&dir.join(format!("member-{}", i + 1)))?;
        }
        if let Some(l) = &self.library {
            l.save(dir)?;
            // The library is part of the model: cover it too.
            archinfer_dvn::write_checksums(dir, &["dvn.json", "model.bpk", TaskLibrary::FILE])?;
        }
        Ok(())
    }

    /// The task embedding `z` of `task` as a host vector (empty without meta-features).
    ///
    /// # Errors
    /// A task lacking the feature set the model reads.
    pub fn embed(&self, task: &Task) -> Result<Vec<f32>> {
        Ok(archinfer_metafeatures::TaskEncoder::encode_task(&self.dvn, task)?)
    }

    /// The embedding modules whose features this model's task encoders read (the value
    /// network's sample module, and each member's): the modules a task must carry for
    /// [`propose`](Self::propose). The others it reads by their widths only.
    pub fn task_modules(&self) -> Vec<String> {
        let mut m: Vec<String> = std::iter::once(&self.dvn).chain(&self.members).map(|d| d.train_config.sample_module.clone()).collect();
        m.sort();
        m.dedup();
        m
    }

    /// The value network (the mean of the ensemble, with members) bound to `task`: the
    /// function the ascent climbs, to score given encodings with (the prior of few-shot
    /// adaptation).
    ///
    /// # Errors
    /// A task the model cannot embed; a network the fused path cannot pack.
    pub fn task_value(&self, task: &Task) -> Result<FusedMlp> {
        let z = self.embed(task)?;
        let z_tensor = (!z.is_empty()).then(|| Tensor::<2>::from_data(TensorData::new(z.clone(), [1, z.len()]), &self.device));
        if self.members.is_empty() {
            return FusedMlp::from_dvn(&self.dvn.model, z_tensor);
        }
        let mut nets = vec![(&self.dvn.model, z_tensor)];
        for m in &self.members {
            nets.push((&m.model, m.embed_task(Some(task))?));
        }
        FusedMlp::from_dvn_ensemble(&nets)
    }

    /// The value network's mean squared error on its held-out children at the last
    /// convergence check (per-task normalised units; NaN when it recorded none): how far
    /// its predictions stray within the tasks it was fitted on.
    pub fn holdout_mse(&self) -> f64 {
        self.dvn.history.last().map_or(f64::NAN, |h| f64::from(h.1))
    }

    /// Proposes architectures for `task`: embeds it, then runs [`propose_with`] over the fused
    /// MLP (or, with [`InferOptions::generic`], over burn autodiff).
    ///
    /// # Errors
    /// Invalid options, a task the model cannot embed, or a budget nothing fits.
    pub fn propose(&self, task: &Task, opts: &InferOptions) -> Result<Proposal> {
        let space = &self.dvn.config.space;
        let t0 = Instant::now();
        let z = self.embed(task)?;
        let meta_ms = t0.elapsed().as_secs_f64() * 1e3;
        if opts.ascent.starts == 0 {
            return Err(InferError::Setting { setting: "starts", value: "0".into(), expected: "at least 1" });
        }
        let seeded = match (&self.library, opts.seeded) {
            (Some(lib), k) if k > 0 => lib.seed_starts(space, &z, opts.neighbours, k.min(opts.ascent.starts), opts.seed_scale as f32)?,
            _ => Vec::new(),
        };
        let z_tensor = (!z.is_empty()).then(|| Tensor::<2>::from_data(TensorData::new(z.clone(), [1, z.len()]), &self.device));
        if opts.generic && !self.members.is_empty() {
            return Err(InferError::Ensemble("the generic path runs one value network, not an ensemble"));
        }
        // The space as this task sees it: a module narrower here than its declared width (a
        // table's or a TF-IDF vocabulary's own columns) makes a first layer of the task's
        // width, which parameter counts, the size penalty and budgets must read.
        let widths: Vec<usize> = space.embeddings().iter().map(|e| task.feature_set(&e.name).map_or(e.dim, archinfer_data::FeatureSet::input_width)).collect();
        let narrowed = if widths.iter().zip(space.embeddings()).any(|(&w, e)| w != e.dim) { Some(space.with_embedding_dims(&widths)?) } else { None };
        let seen = narrowed.as_ref().unwrap_or(space);
        let mut p = if opts.generic {
            let value = BurnValue::new(&self.dvn.model, z_tensor, &self.device);
            propose_with(&value, seen, task.name(), task.num_classes(), seeded, opts)?
        } else {
            let fused = if self.members.is_empty() {
                FusedMlp::from_dvn(&self.dvn.model, z_tensor)?
            } else {
                let mut nets = vec![(&self.dvn.model, z_tensor)];
                for m in &self.members {
                    nets.push((&m.model, m.embed_task(Some(task))?));
                }
                FusedMlp::from_dvn_ensemble(&nets)?
            };
            propose_with(&fused, seen, task.name(), task.num_classes(), seeded, opts)?
        };
        p.meta_ms = meta_ms;
        // The architectures name the declared widths again (what the database and the trainer
        // record); their parameter counts stay the task's.
        if narrowed.is_some() {
            for c in &mut p.candidates {
                for e in [&mut c.architecture.embedding, &mut c.solution.architecture.embedding] {
                    e.dim = space.embeddings()[e.index].dim;
                }
            }
        }
        Ok(p)
    }
}

/// The proposal machinery over any value model bound to a task: `seeded` starts, then random
/// ones up to [`AscentConfig::starts`], the ascent, the budget and the ranking of
/// [`InferOptions`]. [`Inferencer::propose`] calls it with the fused MLP or burn autodiff;
/// a downstream crate calls it with its own [`TaskValue`]. `meta_ms` of the result is 0.
///
/// # Errors
/// Invalid options or starts, a failure of the model, or a budget nothing fits.
pub fn propose_with(
    value: &dyn TaskValue,
    space: &ArchitectureSpace,
    task: &str,
    num_classes: usize,
    seeded: Vec<Vec<f32>>,
    opts: &InferOptions,
) -> Result<Proposal> {
    let t1 = Instant::now();
    let c = num_classes;
    // Any λ but exactly 0 goes through `Penalty::params`, which refuses negative and NaN ones.
    let penalty = if opts.lambda == 0.0 { None } else { Some(Penalty::params(space, c, opts.lambda)?) };
    if opts.ascent.starts == 0 {
        return Err(InferError::Setting { setting: "starts", value: "0".into(), expected: "at least 1" });
    }
    let mut starts = seeded;
    starts.truncate(opts.ascent.starts);
    let random = random_starts(space, &opts.ascent);
    let missing = opts.ascent.starts - starts.len();
    starts.extend(random.into_iter().take(missing));
    let solutions = value.ascend(space, &starts, &opts.ascent, penalty.as_ref())?;
    let score = |archs: &[DiscreteArchitecture]| -> Result<Vec<f32>> {
        let u = archs.iter().map(|a| a.one_hot_u(space)).collect::<std::result::Result<Vec<_>, _>>()?;
        let v = value.values(&u)?;
        Ok(v.into_iter().zip(archs).map(|(v, a)| v - penalty.as_ref().map_or(0.0, |p| p.scale() * a.num_params(c) as f32)).collect())
    };
    let mut candidates = Vec::with_capacity(solutions.len());
    for s in solutions {
        let (architecture, shrunk) = match opts.max_params {
            Some(b) => fit_budget(space, &s.architecture, c, b, score)?,
            None => (s.architecture.clone(), false),
        };
        let value = if shrunk { value.values(&[architecture.one_hot_u(space)?])?[0] } else { s.discrete_value };
        candidates.push(Candidate { params: architecture.num_params(c), architecture, shrunk, value, solution: s });
    }
    if opts.max_params.is_some() || opts.ranking == Ranking::Discrete {
        let k = penalty.as_ref().map_or(0.0, Penalty::scale);
        candidates.sort_by(|a, b| (b.value - k * b.params as f32).total_cmp(&(a.value - k * a.params as f32)));
    }
    Ok(Proposal { task: task.to_string(), num_classes: c, candidates, meta_ms: 0.0, ascent_ms: t1.elapsed().as_secs_f64() * 1e3, path: value.path() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use archinfer_encoding::{Activation, EmbeddingSpec};
    use rand::SeedableRng;

    #[test]
    fn the_json_report_leads_with_the_best_candidate() {
        let space = ArchitectureSpace::new(vec![4, 8], vec![Activation::Relu], 2, vec![EmbeddingSpec::new("a", 3)]).unwrap();
        let arch = DiscreteArchitecture::sample(&space, &mut rand::rngs::StdRng::seed_from_u64(0));
        let solution = |value: f32| Solution {
            logits: Vec::new(),
            u: Vec::new(),
            value,
            objective: value,
            expected_params: None,
            architecture: arch.clone(),
            discrete_value: value - 0.5,
            iterations: 12,
            trace: Vec::new(),
        };
        let candidate = |value: f32| Candidate { solution: solution(value), architecture: arch.clone(), shrunk: false, params: arch.num_params(2), value };
        let p =
            Proposal { task: "t".into(), num_classes: 2, candidates: vec![candidate(1.5), candidate(0.5)], meta_ms: 1.0, ascent_ms: 2.0, path: "fused".into() };
        let j = p.to_json(40).unwrap();
        assert_eq!((j["task"].as_str(), j["samples"].as_u64(), j["classes"].as_u64()), (Some("t"), Some(40), Some(2)));
        assert_eq!(j["architecture"], arch.to_string());
        assert_eq!(j["params"].as_u64(), Some(arch.num_params(2) as u64));
        assert_eq!((j["predicted_value"].as_f64(), j["predicted_value_discrete"].as_f64()), (Some(1.5), Some(1.0)));
        assert_eq!(j["candidates"].as_array().unwrap().len(), 2);
        assert_eq!(j["candidates"][1]["value"].as_f64(), Some(0.5));
        assert!(Proposal { candidates: Vec::new(), ..p }.to_json(40).is_err());
    }
}
