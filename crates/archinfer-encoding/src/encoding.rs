//! Logit encodings, their relaxation `u`, one-hot sampling and argmax discretisation.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::architecture::DiscreteArchitecture;
use crate::error::{EncodingError, Result};
use crate::recipe::RECIPE_GROUPS;
use crate::space::ArchitectureSpace;

/// Logit that one-hot encodings give every unchosen option: `exp(-1000)` underflows to exactly
/// zero in `f32`, so the relaxed `u` of a one-hot encoding is exactly 0/1.
pub const ONE_HOT_OFF_LOGIT: f32 = -1000.0;

/// The architecture logits of section 3.4: `alpha` `[L × P]`, `beta` `[L × 2]` (`[on, off]`),
/// `gamma` `[E]`.
///
/// The relaxed encoding `u` is the per-group softmax of these logits (see
/// [`ArchitectureSpace`] for the flat layout).
///
/// ```
/// use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec, Encoding};
/// use rand::SeedableRng;
/// let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("raw", 784)]).unwrap();
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
/// let enc = Encoding::sample_one_hot(&space, &mut rng);
/// let u = enc.relaxed(&space).unwrap();
/// assert_eq!(u.iter().filter(|&&x| x == 1.0).count(), 7 + 7 + 1);
/// let arch = enc.discretize(&space).unwrap();
/// assert_eq!(Encoding::one_hot(&space, &arch).unwrap(), enc);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    /// One row of `P` base-layer logits per parametrized layer.
    pub alpha: Vec<Vec<f32>>,
    /// One `[on, off]` pair of presence logits per parametrized layer.
    pub beta: Vec<[f32; 2]>,
    /// Embedding-module logits.
    pub gamma: Vec<f32>,
    /// Training-recipe logits, one row per recipe group (space version 2; empty in version 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delta: Vec<Vec<f32>>,
}

/// Rows of δ logits for `space`: `pick(group, size)` per recipe group, none in version 1.
fn delta_rows(space: &ArchitectureSpace, mut pick: impl FnMut(usize, usize) -> Vec<f32>) -> Vec<Vec<f32>> {
    space.recipes().map_or_else(Vec::new, |r| r.sizes().iter().enumerate().map(|(g, &n)| pick(g, n)).collect())
}

/// Numerically stable softmax of `x` into `out` (same length).
pub fn softmax_into(x: &[f32], out: &mut [f32]) {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (v - m).exp();
        s += *o;
    }
    for o in out.iter_mut() {
        *o /= s;
    }
}

/// Per-group softmax of flat logits into the relaxed encoding `u`.
///
/// # Errors
/// Wrong length or non-finite logits.
pub fn relax_flat(space: &ArchitectureSpace, logits: &[f32]) -> Result<Vec<f32>> {
    space.check_flat("logits", logits)?;
    let mut u = vec![0.0; logits.len()];
    for g in space.groups() {
        softmax_into(&logits[g.clone()], &mut u[g]);
    }
    Ok(u)
}

impl Encoding {
    /// All-zero logits: the uniform relaxed architecture.
    pub fn uniform(space: &ArchitectureSpace) -> Self {
        Self {
            alpha: vec![vec![0.0; space.num_base_layers()]; space.num_layers()],
            beta: vec![[0.0; 2]; space.num_layers()],
            gamma: vec![0.0; space.num_embeddings()],
            delta: delta_rows(space, |_, n| vec![0.0; n]),
        }
    }

    /// Checks that the encoding's shape fits the space and that every logit is finite.
    ///
    /// # Errors
    /// [`EncodingError::ShapeMismatch`] or [`EncodingError::NonFinite`].
    pub fn check(&self, space: &ArchitectureSpace) -> Result<()> {
        let mismatch = |what, detail: String| Err(EncodingError::ShapeMismatch { what, detail });
        if self.alpha.len() != space.num_layers() {
            return mismatch(
                "alpha",
                format!("{} rows for {} layers", self.alpha.len(), space.num_layers()),
            );
        }
        if let Some((l, row)) =
            self.alpha.iter().enumerate().find(|(_, r)| r.len() != space.num_base_layers())
        {
            return mismatch(
                "alpha",
                format!("row {l} has {} entries, space has {}", row.len(), space.num_base_layers()),
            );
        }
        if self.beta.len() != space.num_layers() {
            return mismatch(
                "beta",
                format!("{} pairs for {} layers", self.beta.len(), space.num_layers()),
            );
        }
        if self.gamma.len() != space.num_embeddings() {
            return mismatch(
                "gamma",
                format!("{} entries for {} modules", self.gamma.len(), space.num_embeddings()),
            );
        }
        let sizes: Vec<usize> = space.recipes().map_or_else(Vec::new, |r| r.sizes().to_vec());
        if self.delta.len() != sizes.len() || self.delta.iter().zip(&sizes).any(|(row, &n)| row.len() != n) {
            return mismatch(
                "delta",
                format!(
                    "{} recipe groups of sizes {:?}; the space (version {}) has {sizes:?}",
                    self.delta.len(),
                    self.delta.iter().map(Vec::len).collect::<Vec<_>>(),
                    space.version()
                ),
            );
        }
        let flat = self.flat_unchecked();
        if let Some(index) = flat.iter().position(|x| !x.is_finite()) {
            return Err(EncodingError::NonFinite { what: "logits", index });
        }
        Ok(())
    }

    fn flat_unchecked(&self) -> Vec<f32> {
        let mut v: Vec<f32> = self.alpha.iter().flatten().copied().collect();
        v.extend(self.beta.iter().flatten());
        v.extend(&self.gamma);
        v.extend(self.delta.iter().flatten());
        v
    }

    /// The logits as one flat vector in the space's layout.
    ///
    /// # Errors
    /// If the encoding does not fit the space.
    pub fn to_flat(&self, space: &ArchitectureSpace) -> Result<Vec<f32>> {
        self.check(space)?;
        Ok(self.flat_unchecked())
    }

    /// Rebuilds an encoding from flat logits in the space's layout.
    ///
    /// # Errors
    /// Wrong length or non-finite values.
    pub fn from_flat(space: &ArchitectureSpace, logits: &[f32]) -> Result<Self> {
        space.check_flat("logits", logits)?;
        let alpha = (0..space.num_layers()).map(|l| logits[space.alpha_range(l)].to_vec()).collect();
        let beta = (0..space.num_layers())
            .map(|l| {
                let r = space.beta_range(l);
                [logits[r.start], logits[r.start + 1]]
            })
            .collect();
        let gamma = logits[space.gamma_range()].to_vec();
        let delta = (0..RECIPE_GROUPS).filter_map(|g| space.delta_range(g)).map(|r| logits[r].to_vec()).collect();
        Ok(Self { alpha, beta, gamma, delta })
    }

    /// The relaxed encoding `u`: softmax per group, flat, in the space's layout.
    ///
    /// # Errors
    /// If the encoding does not fit the space.
    pub fn relaxed(&self, space: &ArchitectureSpace) -> Result<Vec<f32>> {
        relax_flat(space, &self.to_flat(space)?)
    }

    /// A uniformly random one-hot encoding: every layer picks a base layer uniformly, is on or
    /// off with probability 1/2, and one embedding module is picked uniformly.
    pub fn sample_one_hot<R: Rng + ?Sized>(space: &ArchitectureSpace, rng: &mut R) -> Self {
        let arch = DiscreteArchitecture::sample(space, rng);
        Self::one_hot_unchecked(space, &arch)
    }

    /// The one-hot encoding of a discrete architecture (chosen logit 0, others
    /// [`ONE_HOT_OFF_LOGIT`]).
    ///
    /// # Errors
    /// If the architecture does not fit the space.
    pub fn one_hot(space: &ArchitectureSpace, arch: &DiscreteArchitecture) -> Result<Self> {
        arch.check(space)?;
        Ok(Self::one_hot_unchecked(space, arch))
    }

    fn one_hot_unchecked(space: &ArchitectureSpace, arch: &DiscreteArchitecture) -> Self {
        let pick = |n: usize, k: usize| {
            (0..n).map(|i| if i == k { 0.0 } else { ONE_HOT_OFF_LOGIT }).collect::<Vec<_>>()
        };
        Self {
            alpha: arch.layers.iter().map(|l| pick(space.num_base_layers(), l.base)).collect(),
            beta: arch
                .layers
                .iter()
                .map(|l| if l.enabled { [0.0, ONE_HOT_OFF_LOGIT] } else { [ONE_HOT_OFF_LOGIT, 0.0] })
                .collect(),
            gamma: pick(space.num_embeddings(), arch.embedding.index),
            delta: match arch.effective_recipe(space) {
                Some(r) => delta_rows(space, |g, n| pick(n, r.index[g])),
                None => Vec::new(),
            },
        }
    }

    /// Argmax discretisation: each group's largest logit wins (the first on ties).
    ///
    /// # Errors
    /// If the encoding does not fit the space.
    pub fn discretize(&self, space: &ArchitectureSpace) -> Result<DiscreteArchitecture> {
        self.check(space)?;
        Ok(DiscreteArchitecture::from_flat_unchecked(space, &self.flat_unchecked()))
    }

    /// Serialises to JSON.
    ///
    /// # Errors
    /// Non-finite logits cannot be written as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| EncodingError::Json(e.to_string()))
    }

    /// Parses from JSON and checks the result against `space`.
    ///
    /// # Errors
    /// Malformed JSON or an encoding that does not fit the space.
    pub fn from_json(space: &ArchitectureSpace, s: &str) -> Result<Self> {
        let e: Self = serde_json::from_str(s).map_err(|e| EncodingError::Json(e.to_string()))?;
        e.check(space)?;
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::EmbeddingSpec;
    use approx::assert_relative_eq;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    fn space() -> ArchitectureSpace {
        ArchitectureSpace::paper(vec![
            EmbeddingSpec::new("pool7", 16),
            EmbeddingSpec::new("pool14", 49),
            EmbeddingSpec::new("raw", 784),
        ])
        .unwrap()
    }

    #[test]
    fn softmax_hand_values() {
        let mut out = [0.0; 3];
        softmax_into(&[0.0, 0.0, (2.0f32).ln()], &mut out);
        assert_relative_eq!(out[0], 0.25, epsilon = 1e-6);
        assert_relative_eq!(out[1], 0.25, epsilon = 1e-6);
        assert_relative_eq!(out[2], 0.5, epsilon = 1e-6);
        // Large logits do not overflow.
        softmax_into(&[1000.0, 1000.0, 0.0], &mut out);
        assert_relative_eq!(out[0], 0.5, epsilon = 1e-6);
        assert_eq!(out[2], 0.0);
    }

    #[test]
    fn every_group_sums_to_one() {
        let s = space();
        let mut rng = StdRng::seed_from_u64(3);
        let logits: Vec<f32> = (0..s.dim()).map(|_| rng.random_range(-4.0..4.0)).collect();
        let u = relax_flat(&s, &logits).unwrap();
        for g in s.groups() {
            let sum: f32 = u[g.clone()].iter().sum();
            assert_relative_eq!(sum, 1.0, epsilon = 1e-5);
            assert!(u[g].iter().all(|&x| x > 0.0));
        }
    }

    #[test]
    fn one_hot_relaxes_exactly_and_round_trips() {
        let s = space();
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..20 {
            let e = Encoding::sample_one_hot(&s, &mut rng);
            let u = e.relaxed(&s).unwrap();
            assert!(u.iter().all(|&x| x == 0.0 || x == 1.0));
            let a = e.discretize(&s).unwrap();
            assert_eq!(a.one_hot_u(&s).unwrap(), u);
            assert_eq!(DiscreteArchitecture::from_flat(&s, &u).unwrap(), a);
            assert_eq!(Encoding::one_hot(&s, &a).unwrap(), e);
        }
    }

    #[test]
    fn flat_round_trip() {
        let s = space();
        let flat: Vec<f32> = (0..s.dim()).map(|i| i as f32 * 0.01).collect();
        let e = Encoding::from_flat(&s, &flat).unwrap();
        assert_eq!(e.to_flat(&s).unwrap(), flat);
        assert_eq!(e.beta[1], [flat[s.beta_range(1).start], flat[s.beta_range(1).start + 1]]);
    }

    #[test]
    fn json_round_trips() {
        let s = space();
        let mut rng = StdRng::seed_from_u64(2);
        let logits: Vec<f32> = (0..s.dim()).map(|_| rng.random_range(-3.0..3.0)).collect();
        let e = Encoding::from_flat(&s, &logits).unwrap();
        let back = Encoding::from_json(&s, &e.to_json().unwrap()).unwrap();
        assert_eq!(back, e);
        let a = e.discretize(&s).unwrap();
        let back = DiscreteArchitecture::from_json(&s, &a.to_json().unwrap()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn mismatches_are_typed_errors() {
        let s = space();
        assert!(matches!(
            Encoding::from_flat(&s, &[0.0; 3]),
            Err(EncodingError::DimMismatch { got: 3, .. })
        ));
        let mut flat = vec![0.0; s.dim()];
        flat[5] = f32::NAN;
        assert!(matches!(
            Encoding::from_flat(&s, &flat),
            Err(EncodingError::NonFinite { index: 5, .. })
        ));
        let mut e = Encoding::uniform(&s);
        e.gamma.push(0.0);
        assert!(matches!(e.check(&s), Err(EncodingError::ShapeMismatch { what: "gamma", .. })));
        let mut a = e.alpha.clone();
        a[2].pop();
        let e = Encoding { alpha: a, ..Encoding::uniform(&s) };
        assert!(matches!(e.check(&s), Err(EncodingError::ShapeMismatch { what: "alpha", .. })));
        let mut arch = Encoding::uniform(&s).discretize(&s).unwrap();
        arch.layers[0].width = 999;
        assert!(arch.check(&s).is_err());
        assert!(Encoding::one_hot(&s, &arch).is_err());
    }

    #[test]
    fn argmax_ties_pick_first_and_beta_ties_mean_on() {
        let s = space();
        let a = Encoding::uniform(&s).discretize(&s).unwrap();
        assert!(a.layers.iter().all(|l| l.enabled && l.base == 0));
        assert_eq!(a.embedding.index, 0);
        assert_eq!(a.to_string(), "pool7 → 8 relu → 8 relu → 8 relu → 8 relu → 8 relu → 8 relu → 8 relu → softmax");
    }

    fn space_v2() -> ArchitectureSpace {
        space().with_recipes(crate::recipe::RecipeSpace::around(1e-3, 20, 64).unwrap()).unwrap()
    }

    #[test]
    fn version_2_adds_the_recipe_block_after_gamma() {
        let (v1, v2) = (space(), space_v2());
        assert_eq!((v1.version(), v2.version()), (1, 2));
        assert_eq!(v2.dim(), v1.dim() + 17);
        assert_eq!(v2.delta_range(0), Some(v1.dim()..v1.dim() + 4));
        assert_eq!(v2.delta_range(4), Some(v1.dim() + 14..v1.dim() + 17));
        assert_eq!(v1.delta_range(0), None);
        assert_eq!(v2.groups().len(), v1.groups().len() + 5);
        // A version-1 space's JSON has no recipe block and reads back as version 1.
        assert!(!v1.to_json().unwrap().contains("recipes"));
        assert_eq!(ArchitectureSpace::from_json(&v2.to_json().unwrap()).unwrap(), v2);
        assert_eq!(v2.without_recipes(), v1);
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..20 {
            let e = Encoding::sample_one_hot(&v2, &mut rng);
            let a = e.discretize(&v2).unwrap();
            assert!(a.recipe.is_some());
            assert_eq!(a.one_hot_u(&v2).unwrap(), e.relaxed(&v2).unwrap());
            assert_eq!(Encoding::one_hot(&v2, &a).unwrap(), e);
            assert_eq!(DiscreteArchitecture::parse(&v2, &a.to_string()).unwrap().to_string(), a.to_string());
        }
        // Sampling a version-1 space draws exactly what it drew before the block existed.
        let a = DiscreteArchitecture::sample(&v1, &mut StdRng::seed_from_u64(9));
        let b = DiscreteArchitecture::sample(&v2, &mut StdRng::seed_from_u64(9));
        assert_eq!((a.embedding.clone(), a.layers.clone(), a.recipe), (b.embedding, b.layers, None));
    }

    #[test]
    fn malformed_recipes_are_typed_errors_that_name_them() {
        let (v1, v2) = (space(), space_v2());
        let a = DiscreteArchitecture::parse(&v2, "raw → softmax · lr 3e-3 · 40 ep").unwrap();
        assert_eq!(a.to_string(), "raw → softmax · lr 3e-3 · 40 ep · bs 64");
        // A recipe in a version-1 space names both versions.
        assert!(matches!(a.check(&v1), Err(EncodingError::SpaceVersion { found: 2, expected: 1, .. })));
        assert!(matches!(DiscreteArchitecture::parse(&v1, "raw → softmax · lr 3e-3"), Err(EncodingError::Parse { problem, .. }) if problem.contains("version 1")));
        for bad in ["raw → softmax · lr 7", "raw → softmax · 3 ep", "raw → softmax · momentum 0.9", "raw → softmax · bs x"] {
            assert!(matches!(DiscreteArchitecture::parse(&v2, bad), Err(EncodingError::Parse { .. })), "{bad}");
        }
        // A stored trial with a forged recipe is refused by from_json.
        let mut json: serde_json::Value = serde_json::from_str(&a.to_json().unwrap()).unwrap();
        json["recipe"]["epochs"] = serde_json::json!(41);
        assert!(matches!(DiscreteArchitecture::from_json(&v2, &json.to_string()), Err(EncodingError::BadRecipe(_))));
        json["recipe"]["index"] = serde_json::json!([0, 0, 0, 99, 0]);
        assert!(matches!(DiscreteArchitecture::from_json(&v2, &json.to_string()), Err(EncodingError::BadRecipe(m)) if m.contains("epochs")));
        // An unknown module in a stored trial is an error naming it.
        let mut json: serde_json::Value = serde_json::from_str(&a.to_json().unwrap()).unwrap();
        json["embedding"]["name"] = serde_json::json!("hog9");
        assert!(matches!(DiscreteArchitecture::from_json(&v2, &json.to_string()), Err(EncodingError::ShapeMismatch { detail, .. }) if detail.contains("hog9")));
        // Encodings of one version do not fit the other.
        assert!(matches!(Encoding::uniform(&v1).check(&v2), Err(EncodingError::ShapeMismatch { what: "delta", .. })));
    }

    #[test]
    fn param_count_by_hand() {
        let s = space();
        let mut a = Encoding::uniform(&s).discretize(&s).unwrap();
        for l in &mut a.layers {
            l.enabled = false;
        }
        // Logistic regression on pool7 (16 features), 3 classes.
        assert_eq!(a.num_params(3), 16 * 3 + 3);
        assert_eq!(a.to_string(), "pool7 → softmax");
        a.layers[4].enabled = true; // 8 relu
        assert_eq!(a.num_params(3), 16 * 8 + 8 + 8 * 3 + 3);
        assert_eq!(a.num_macs(3), 16 * 8 + 8 * 3);
    }
}
