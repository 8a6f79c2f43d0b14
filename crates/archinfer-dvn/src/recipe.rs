//! The one recipe that turns a preset, a space and training tasks into a value network's
//! configuration and its training settings. Every command that fits a value network calls it,
//! so `train-dvn`, `evaluate predict` and `evaluate search` fit the same network.

use archinfer_encoding::ArchitectureSpace;
use archinfer_metafeatures::MetaFeatures;
use serde::{Deserialize, Serialize};

use crate::batch::DvnTask;
use crate::error::{DvnError, Result};
use crate::model::{DvnConfig, Interaction};
use crate::train_config::{DvnOptimizer, DvnTrainConfig};

/// Embedding module the tower and the statistics read on image spaces.
pub const DEFAULT_SAMPLE_MODULE: &str = "pool4";
/// The sample module of a table space: quantiles in [−1, 1] and one-hot categories, read by a
/// column-pooled tower.
pub const TABLE_SAMPLE_MODULE: &str = "tab-quantile";

/// The sample module `auto`: [`DEFAULT_SAMPLE_MODULE`] when the space has it, else the space's
/// narrowest module (`wl64` for text): the cheapest input for the tower that every task has.
pub const AUTO_SAMPLE_MODULE: &str = "auto";

/// Named value-network configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DvnPreset {
    /// The paper's network and recipe: `z` concatenated into `ρ`'s first layer, L2 loss, SGD
    /// with momentum 0.5, kOuterIters 1, kInnerIters 2, stopped when the training tasks'
    /// held-out triplets stop improving; learning rate 0.01 (the paper's is 1e-4, see
    /// docs/results.md).
    Paper,
    /// Task-aware: `z` also modulates every hidden layer of `ρ` (FiLM), the task's size is part
    /// of `z`, each layer's base-layer choice reaches `ρ` gated by whether the layer is on
    /// ([`DvnConfig::gated_input`]), a within-task pairwise ranking loss beside the L2 one, Adam
    /// (learning rate 1e-3) instead of SGD, and at least 10,000 task picks before early stopping
    /// may end the fit, so the tower has time to learn.
    #[default]
    TaskAware,
}

impl DvnPreset {
    /// Both presets, in the order tables list them.
    pub const ALL: [DvnPreset; 2] = [DvnPreset::Paper, DvnPreset::TaskAware];
}

impl std::fmt::Display for DvnPreset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DvnPreset::Paper => "paper",
            DvnPreset::TaskAware => "task-aware",
        })
    }
}

impl std::str::FromStr for DvnPreset {
    type Err = DvnError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "paper" => Ok(DvnPreset::Paper),
            "task-aware" | "taskaware" => Ok(DvnPreset::TaskAware),
            other => Err(DvnError::UnknownPreset(other.to_string())),
        }
    }
}

/// What a fit is asked for: the preset, the meta-features, the seed and optional overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// The named configuration.
    pub preset: DvnPreset,
    /// Which meta-features feed `ρ`.
    pub meta: MetaFeatures,
    /// Seed of the weights (`seed`) and of Algorithm 1's picks (`1000 + seed`).
    pub seed: u64,
    /// SGD learning rate, if not the preset's.
    pub learning_rate: Option<f64>,
    /// Embedding module the tower and the statistics read ([`AUTO_SAMPLE_MODULE`]: chosen by
    /// the space).
    pub sample_module: String,
    /// Settings changed on top of the preset: `(field, JSON value)` of [`DvnConfig`] or
    /// [`DvnTrainConfig`], e.g. `("optimizer", "adam")`.
    #[serde(default)]
    pub overrides: Vec<(String, serde_json::Value)>,
}

impl Recipe {
    /// `preset` with meta-features `meta`, seed 0, the preset's learning rate and
    /// [`AUTO_SAMPLE_MODULE`].
    pub fn new(preset: DvnPreset, meta: MetaFeatures) -> Self {
        Self { preset, meta, seed: 0, learning_rate: None, sample_module: AUTO_SAMPLE_MODULE.to_string(), overrides: Vec::new() }
    }

    /// The sample module this recipe reads in `space` ([`AUTO_SAMPLE_MODULE`] resolved).
    pub fn sample_module_in(&self, space: &ArchitectureSpace) -> String {
        if self.sample_module != AUTO_SAMPLE_MODULE {
            return self.sample_module.clone();
        }
        let e = space.embeddings();
        if e.iter().any(|m| m.name == TABLE_SAMPLE_MODULE) {
            return TABLE_SAMPLE_MODULE.to_string();
        }
        if e.iter().any(|m| m.name == DEFAULT_SAMPLE_MODULE) {
            return DEFAULT_SAMPLE_MODULE.to_string();
        }
        e.iter().min_by_key(|m| m.dim).map_or_else(|| DEFAULT_SAMPLE_MODULE.to_string(), |m| m.name.clone())
    }

    /// The same with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The same with another learning rate (`None`: the preset's).
    pub fn with_learning_rate(mut self, lr: Option<f64>) -> Self {
        self.learning_rate = lr;
        self
    }

    /// The same with settings changed on top of the preset, parsed from `field=value` pairs
    /// separated by commas (values in JSON; a bare word is taken as a string), e.g.
    /// `optimizer=adam,weight_decay=1e-4`.
    ///
    /// # Errors
    /// [`DvnError::Override`] for a pair without `=`.
    pub fn with_overrides(mut self, spec: &str) -> Result<Self> {
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| DvnError::Override { setting: pair.to_string(), problem: "expected field=value".into() })?;
            let v = v.trim();
            let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
            self.overrides.push((k.trim().to_string(), value));
        }
        Ok(self)
    }

    /// The same reading another embedding module.
    pub fn with_sample_module(mut self, module: impl Into<String>) -> Self {
        self.sample_module = module.into();
        self
    }

    /// The network and training settings for `space` and training tasks `tasks`: the tower's
    /// input width from the tasks' `sample_module`, its label block as wide as the largest class
    /// count, but at least 10 (so a model fitted on binary tasks still reads a 10-class one).
    ///
    /// # Errors
    /// [`DvnError::NoSampleModule`] or [`DvnError::Needs`] when meta-features are asked for
    /// and a task lacks the module or no task has samples; [`DvnError::Setting`] for a
    /// learning rate that is not positive; [`DvnError::Override`] for an override that does
    /// not apply.
    pub fn configs(&self, space: &ArchitectureSpace, tasks: &[DvnTask]) -> Result<(DvnConfig, DvnTrainConfig)> {
        let module = self.sample_module_in(space);
        let data: Vec<_> = tasks.iter().filter_map(|t| t.task.as_deref()).collect();
        let needs_samples = self.meta != MetaFeatures::None;
        if let Some(t) = data.iter().find(|t| t.feature_set(&module).is_none())
            && needs_samples
        {
            let have: Vec<&str> = t.features().iter().map(|f| f.name.as_str()).collect();
            return Err(DvnError::NoSampleModule { task: t.name().to_string(), module: module.clone(), have: have.join(", ") });
        }
        let per_column = archinfer_data::is_table_module(&module);
        let sample_dim = match (data.first().and_then(|t| t.feature_set(&module)), needs_samples) {
            _ if per_column => 1,
            (Some(f), _) => f.dim,
            (None, false) => 1,
            (None, true) => {
                return Err(DvnError::Needs("the training tasks' samples (for meta-features)"));
            }
        };
        let max_classes = data.iter().map(|t| t.num_classes()).max().unwrap_or(2).max(10);
        if let Some(lr) = self.learning_rate
            && !(lr > 0.0 && lr.is_finite())
        {
            return Err(DvnError::Setting { setting: "learning_rate", value: lr.to_string(), expected: "a finite number > 0" });
        }
        let mut cfg = DvnConfig::new(space.clone(), self.meta, sample_dim).with_max_classes(max_classes).with_seed(self.seed);
        if per_column {
            cfg = cfg.with_per_column(true).with_descriptors(archinfer_data::TABLE_DESCRIPTORS.len());
        }
        // A column-pooled tower reads rows × columns cells: fewer rows and a random subset of
        // columns per step, and fewer rows to embed a task, keep its cost near the row tower's.
        let tc_cols = |tc: DvnTrainConfig| if per_column { tc.with_sample_batch(64).with_sample_columns(32).with_eval_samples(512) } else { tc };
        let mut tc = DvnTrainConfig::new()
            .with_learning_rate(self.learning_rate.unwrap_or(0.01))
            .with_sample_module(module.clone())
            .with_seed(1000 + self.seed);
        if self.preset == DvnPreset::TaskAware {
            cfg = cfg.with_interaction(Interaction::Film).with_log_size(true).with_gated_input(true);
            tc = tc
                .with_optimizer(DvnOptimizer::Adam)
                .with_learning_rate(self.learning_rate.unwrap_or(1e-3))
                .with_rank_weight(1.0)
                .with_min_steps(10_000)
                .with_max_steps(40_000);
        }
        let tc = tc_cols(tc);
        if self.overrides.is_empty() {
            return Ok((cfg, tc));
        }
        let bad = |e: serde_json::Error| DvnError::Override { setting: self.overrides.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(","), problem: e.to_string() };
        let mut c = serde_json::to_value(&cfg).map_err(bad)?;
        let mut t = serde_json::to_value(&tc).map_err(bad)?;
        for (k, v) in &self.overrides {
            let target = if c.get(k).is_some() {
                &mut c
            } else if t.get(k).is_some() {
                &mut t
            } else {
                return Err(DvnError::Override { setting: k.clone(), problem: "no such setting in the network or training configuration".into() });
            };
            target[k] = v.clone();
        }
        Ok((serde_json::from_value(c).map_err(bad)?, serde_json::from_value(t).map_err(bad)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use archinfer_encoding::EmbeddingSpec;

    fn space() -> ArchitectureSpace {
        ArchitectureSpace::paper(vec![EmbeddingSpec::new("pool4", 49)]).unwrap()
    }

    #[test]
    fn presets_differ_where_documented() {
        let (pc, pt) = Recipe::new(DvnPreset::Paper, MetaFeatures::None).configs(&space(), &[]).unwrap();
        assert_eq!(pc.interaction, Interaction::Concat);
        assert!(!pc.log_size);
        approx::assert_abs_diff_eq!(pt.rank_weight, 0.0);
        approx::assert_abs_diff_eq!(pt.momentum, 0.5);
        let (tc, _) = Recipe::new(DvnPreset::TaskAware, MetaFeatures::None).configs(&space(), &[]).unwrap();
        assert_eq!(tc.interaction, Interaction::Film);
        assert!(tc.gated_input && !pc.gated_input);
        assert_eq!(tc.max_classes, 10);
        assert_eq!("paper".parse::<DvnPreset>().unwrap(), DvnPreset::Paper);
        assert!(matches!("best".parse::<DvnPreset>(), Err(DvnError::UnknownPreset(_))));
    }

    #[test]
    fn auto_sample_module_follows_the_space() {
        let r = Recipe::new(DvnPreset::Paper, MetaFeatures::None);
        assert_eq!(r.sample_module_in(&space()), "pool4");
        let text = ArchitectureSpace::paper(vec![EmbeddingSpec::new("wl256", 256), EmbeddingSpec::new("wl64", 64)]).unwrap();
        assert_eq!(r.sample_module_in(&text), "wl64");
        assert_eq!(r.with_sample_module("wl256").sample_module_in(&text), "wl256");
    }

    #[test]
    fn overrides_change_named_settings_and_refuse_unknown_ones() {
        let r = Recipe::new(DvnPreset::Paper, MetaFeatures::None).with_overrides("rank_weight=0.5, interaction=film").unwrap();
        let (c, t) = r.configs(&space(), &[]).unwrap();
        assert_eq!(c.interaction, Interaction::Film);
        approx::assert_abs_diff_eq!(t.rank_weight, 0.5);
        let bad = Recipe::new(DvnPreset::Paper, MetaFeatures::None).with_overrides("no_such=1").unwrap();
        assert!(matches!(bad.configs(&space(), &[]), Err(DvnError::Override { .. })));
        assert!(Recipe::new(DvnPreset::Paper, MetaFeatures::None).with_overrides("rank_weight").is_err());
        // Meta-features without task samples cannot be configured.
        assert!(Recipe::new(DvnPreset::Paper, MetaFeatures::Learned).configs(&space(), &[]).is_err());
    }
}
