//! The table of `evaluate diversity` as a typed value, rendered to markdown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// What a set of proposals (one per task) looks like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diversity {
    /// Proposals judged.
    pub proposals: usize,
    /// Distinct networks among them (architectures equal once absent layers are dropped).
    pub distinct: usize,
    /// How often each embedding module was proposed.
    pub modules: BTreeMap<String, usize>,
    /// Smallest and largest parameter count.
    pub params: (usize, usize),
    /// Fewest and most hidden layers.
    pub depth: (usize, usize),
    /// Mean [`distance`](super::distance) over all pairs of proposals.
    pub mean_distance: f64,
}

/// One model's proposals for every task of a suite, and how diverse they are.
#[derive(Debug, Clone, PartialEq)]
pub struct DiversityTable {
    /// The model (as named in the title).
    pub model: String,
    /// Per task: `(task, proposed, parameters, predicted)`.
    pub rows: Vec<(String, String, usize, f32)>,
    /// How diverse the proposals are.
    pub diversity: Diversity,
}

impl DiversityTable {
    /// The proposals of `inferencer` (default options) for every task of `tasks`, `model`
    /// naming it in the title.
    ///
    /// # Errors
    /// A failed proposal.
    pub fn propose(inferencer: &archinfer_infer::Inferencer, tasks: &[&archinfer_data::Task], model: &str) -> Result<Self> {
        let (mut rows, mut archs) = (Vec::new(), Vec::new());
        for task in tasks {
            let p = inferencer.propose(task, &archinfer_infer::InferOptions::new())?;
            let best = p.best()?;
            rows.push((task.name().to_string(), best.architecture.to_string(), best.params, best.value));
            archs.push((best.architecture.clone(), task.num_classes()));
        }
        let mut diversity = crate::diversity(&archs);
        // Parameter counts as each task trains them (a narrow module's own width), as the rows.
        if let (Some(lo), Some(hi)) = (rows.iter().map(|r| r.2).min(), rows.iter().map(|r| r.2).max()) {
            diversity.params = (lo, hi);
        }
        Ok(Self { model: model.to_string(), rows, diversity })
    }

    /// The `summary.json` fields: the diversity and each proposal.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "diversity": self.diversity,
            "proposals": self.rows.iter().map(|r| serde_json::json!({"task": r.0, "architecture": r.1, "params": r.2, "predicted": r.3})).collect::<Vec<_>>(),
        })
    }

    /// The markdown table and its summary line.
    pub fn markdown(&self) -> String {
        let mut t = format!(
            "Proposals of `{}` (default options: 10 random starts × 1,000 iterations) for every task of the suite.\n\n\
             | task | proposed | parameters | predicted |\n|---|---|---|---|\n",
            self.model
        );
        for (task, arch, params, value) in &self.rows {
            t += &format!("| {task} | {arch} | {params} | {value:.2} |\n");
        }
        let d = &self.diversity;
        t += &format!(
            "\n{} distinct networks over {} tasks; modules {:?}; {}–{} parameters; {}–{} hidden layers; mean pairwise distance {:.2}.\n",
            d.distinct, d.proposals, d.modules, d.params.0, d.params.1, d.depth.0, d.depth.1, d.mean_distance
        );
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diversity_table_renders_its_rows() {
        let d = DiversityTable {
            model: "m".into(),
            rows: vec![("a".into(), "pca32 → softmax".into(), 330, 1.234)],
            diversity: Diversity {
                proposals: 1,
                distinct: 1,
                modules: [("pca32".to_string(), 1)].into(),
                params: (330, 330),
                depth: (0, 0),
                mean_distance: 0.0,
            },
        };
        assert!(d.markdown().contains("| a | pca32 → softmax | 330 | 1.23 |") && d.markdown().contains("1 distinct networks over 1 tasks"));
    }

}
