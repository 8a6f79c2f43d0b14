//! Logit encodings, their relaxation `u`, one-hot sampling and argmax discretisation.

use std::fmt;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{EncodingError, Result};
use crate::recipe::{RECIPE_GROUPS, RecipeChoice};
use crate::space::{Activation, ArchitectureSpace};

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

fn argmax(x: &[f32]) -> usize {
    // First maximum wins, so ties discretise deterministically.
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best
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

/// The embedding module a discrete architecture reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmbeddingChoice {
    /// Index into [`ArchitectureSpace::embeddings`].
    pub index: usize,
    /// Module name (redundant with `index`, kept so stored architectures read on their own).
    pub name: String,
    /// Module output dimension.
    pub dim: usize,
}

/// The choice made for one parametrized layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LayerChoice {
    /// Whether the layer is present (`beta` picked "on"); an absent layer is the identity.
    pub enabled: bool,
    /// Index of the chosen base layer (kept for absent layers too: it is part of `u`).
    pub base: usize,
    /// Width of the chosen base layer.
    pub width: usize,
    /// Activation of the chosen base layer.
    pub activation: Activation,
}

/// A discrete architecture: one embedding module and, per parametrized layer, one base layer
/// and whether it is present. Its human-readable form lists the enabled layers only:
///
/// ```
/// use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec, Encoding};
/// let space = ArchitectureSpace::new(
///     vec![64, 256],
///     vec![archinfer_encoding::Activation::Relu, archinfer_encoding::Activation::Tanh],
///     3,
///     vec![EmbeddingSpec::new("pool14", 196)],
/// ).unwrap();
/// // layer 0: 256 relu (base 2), layer 1 off, layer 2: 64 tanh (base 1)
/// let mut enc = Encoding::uniform(&space);
/// enc.alpha[0][2] = 5.0;
/// enc.beta[1] = [0.0, 5.0];
/// enc.alpha[2][1] = 5.0;
/// let arch = enc.discretize(&space).unwrap();
/// assert_eq!(arch.to_string(), "pool14 → 256 relu → 64 tanh → softmax");
/// assert_eq!(arch.num_params(10), 196 * 256 + 256 + 256 * 64 + 64 + 64 * 10 + 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DiscreteArchitecture {
    /// The embedding module.
    pub embedding: EmbeddingChoice,
    /// One choice per parametrized layer, input to output.
    pub layers: Vec<LayerChoice>,
    /// The training recipe (space version 2). `None`: trained with the database's one recipe,
    /// the version-2 space's [`base`](crate::RecipeSpace::base) choice. Left out of the JSON
    /// when `None`, so children stored before version 2 read and write exactly as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe: Option<RecipeChoice>,
}

impl DiscreteArchitecture {
    /// The recipe this child trains with in `space`: its own, else the base choice of a
    /// version-2 space; `None` in version 1 (the database's one recipe).
    pub fn effective_recipe(&self, space: &ArchitectureSpace) -> Option<RecipeChoice> {
        self.recipe.or_else(|| space.recipes().map(|r| r.base_choice()))
    }

    /// Parses the human-readable form (`"wl256 → 256 relu → 64 tanh → softmax"`; `->` works
    /// too): the module, then one enabled layer per `width activation`, in order; the space's
    /// remaining layers are off. The inverse of `to_string` for architectures whose enabled
    /// layers come first.
    ///
    /// # Errors
    /// [`EncodingError::Parse`] for an unknown module, a width / activation pair the space
    /// lacks, more layers than the space has, or a missing `softmax` at the end.
    pub fn parse(space: &ArchitectureSpace, text: &str) -> Result<Self> {
        let bad = |problem: String| EncodingError::Parse { text: text.to_string(), problem };
        let mut pieces = text.split('·').map(str::trim);
        let network = pieces.next().unwrap_or_default();
        let recipe_parts: Vec<&str> = pieces.collect();
        let recipe = match (space.recipes(), recipe_parts.is_empty()) {
            (Some(r), true) => Some(r.base_choice()),
            (Some(r), false) => Some(r.parse_parts(&recipe_parts).map_err(|e| bad(e.to_string()))?),
            (None, true) => None,
            (None, false) => return Err(bad("a training recipe, but the space is version 1 (no recipe block)".into())),
        };
        let parts: Vec<&str> = network.split(['→']).flat_map(|p| p.split("->")).map(str::trim).collect();
        let (Some(&module), Some(&last)) = (parts.first(), parts.last()) else { return Err(bad("empty".into())) };
        if parts.len() < 2 || last != "softmax" {
            return Err(bad("expected `module → … → softmax`".into()));
        }
        let index = space.embeddings().iter().position(|e| e.name == module).ok_or_else(|| bad(format!("no module `{module}` in the space")))?;
        let hidden = &parts[1..parts.len() - 1];
        if hidden.len() > space.num_layers() {
            return Err(bad(format!("{} layers; the space has {}", hidden.len(), space.num_layers())));
        }
        let mut layers = Vec::with_capacity(space.num_layers());
        for h in hidden {
            let base = (0..space.num_base_layers())
                .find(|&i| {
                    let b = space.base_layer(i);
                    format!("{} {}", b.width, b.activation) == *h
                })
                .ok_or_else(|| bad(format!("no base layer `{h}` in the space")))?;
            let b = space.base_layer(base);
            layers.push(LayerChoice { enabled: true, base, width: b.width, activation: b.activation });
        }
        let off = space.base_layer(0);
        layers.resize(space.num_layers(), LayerChoice { enabled: false, base: 0, width: off.width, activation: off.activation });
        Ok(Self { embedding: Self::embedding_choice(space, index), layers, recipe })
    }

    /// Samples uniformly: base layer, on/off and embedding module independently.
    pub fn sample<R: Rng + ?Sized>(space: &ArchitectureSpace, rng: &mut R) -> Self {
        Self::sample_with(space, rng, |rng| rng.random_range(0..space.num_embeddings()))
    }

    /// Samples as [`sample`](Self::sample), the embedding module uniformly among the space's
    /// modules at `modules` (indices into [`ArchitectureSpace::embeddings`]): how a database
    /// gives modules added by a migration as many children as the old ones have.
    ///
    /// # Errors
    /// [`EncodingError::ShapeMismatch`] for an empty list or an index outside the space.
    pub fn sample_among<R: Rng + ?Sized>(space: &ArchitectureSpace, modules: &[usize], rng: &mut R) -> Result<Self> {
        if modules.is_empty() || modules.iter().any(|&m| m >= space.num_embeddings()) {
            return Err(EncodingError::ShapeMismatch {
                what: "module indices",
                detail: format!("{modules:?}, where a non-empty list below {} was wanted", space.num_embeddings()),
            });
        }
        Ok(Self::sample_with(space, rng, |rng| modules[rng.random_range(0..modules.len())]))
    }

    fn sample_with<R: Rng + ?Sized>(space: &ArchitectureSpace, rng: &mut R, module: impl FnOnce(&mut R) -> usize) -> Self {
        let layers = (0..space.num_layers())
            .map(|_| {
                let base = rng.random_range(0..space.num_base_layers());
                let b = space.base_layer(base);
                LayerChoice {
                    enabled: rng.random_bool(0.5),
                    base,
                    width: b.width,
                    activation: b.activation,
                }
            })
            .collect();
        let index = module(rng);
        // Drawn after the network, so a version-1 space samples exactly as before.
        let recipe = space.recipes().and_then(|r| {
            let sizes = r.sizes();
            let mut idx = [0; RECIPE_GROUPS];
            for (i, n) in idx.iter_mut().zip(sizes) {
                *i = rng.random_range(0..n);
            }
            r.choice(idx).ok()
        });
        Self { embedding: Self::embedding_choice(space, index), layers, recipe }
    }

    fn embedding_choice(space: &ArchitectureSpace, index: usize) -> EmbeddingChoice {
        let e = &space.embeddings()[index];
        EmbeddingChoice { index, name: e.name.clone(), dim: e.dim }
    }

    /// Argmax discretisation of a flat vector (logits or relaxed `u`: softmax keeps the argmax).
    ///
    /// # Errors
    /// Wrong length or non-finite values.
    pub fn from_flat(space: &ArchitectureSpace, v: &[f32]) -> Result<Self> {
        space.check_flat("encoding", v)?;
        Ok(Self::from_flat_unchecked(space, v))
    }

    fn from_flat_unchecked(space: &ArchitectureSpace, v: &[f32]) -> Self {
        let layers = (0..space.num_layers())
            .map(|l| {
                let base = argmax(&v[space.alpha_range(l)]);
                let b = space.base_layer(base);
                let beta = &v[space.beta_range(l)];
                LayerChoice {
                    enabled: beta[0] >= beta[1],
                    base,
                    width: b.width,
                    activation: b.activation,
                }
            })
            .collect();
        let index = argmax(&v[space.gamma_range()]);
        let recipe = space.recipes().and_then(|r| {
            let mut idx = [0; RECIPE_GROUPS];
            for (g, i) in idx.iter_mut().enumerate() {
                *i = space.delta_range(g).map_or(0, |range| argmax(&v[range]));
            }
            r.choice(idx).ok()
        });
        Self { embedding: Self::embedding_choice(space, index), layers, recipe }
    }

    /// Checks that indices, widths, activations and the module agree with `space`.
    ///
    /// # Errors
    /// [`EncodingError::ShapeMismatch`] naming the first disagreement.
    pub fn check(&self, space: &ArchitectureSpace) -> Result<()> {
        let bad = |detail: String| {
            Err(EncodingError::ShapeMismatch { what: "architecture", detail })
        };
        if self.layers.len() != space.num_layers() {
            return bad(format!("{} layers, space has {}", self.layers.len(), space.num_layers()));
        }
        for (l, c) in self.layers.iter().enumerate() {
            if c.base >= space.num_base_layers() {
                return bad(format!("layer {l} picks base layer {} of {}", c.base, space.num_base_layers()));
            }
            let b = space.base_layer(c.base);
            if b.width != c.width || b.activation != c.activation {
                return bad(format!(
                    "layer {l}: base {} is {} {} in the space, not {} {}",
                    c.base, b.width, b.activation, c.width, c.activation
                ));
            }
        }
        let e = &self.embedding;
        match space.embeddings().get(e.index) {
            Some(spec) if spec.name == e.name && spec.dim == e.dim => {}
            _ => return bad(format!("embedding module {} `{}` ({}) is not in the space", e.index, e.name, e.dim)),
        }
        match (&self.recipe, space.recipes()) {
            (Some(c), Some(r)) => r.check(c),
            (Some(_), None) => Err(EncodingError::SpaceVersion { what: "an architecture with a training recipe".into(), found: 2, expected: 1 }),
            (None, _) => Ok(()),
        }
    }

    /// The relaxed `u` of this architecture: exactly one-hot, in the space's layout.
    ///
    /// # Errors
    /// If the architecture does not fit the space.
    pub fn one_hot_u(&self, space: &ArchitectureSpace) -> Result<Vec<f32>> {
        self.check(space)?;
        let mut u = vec![0.0; space.dim()];
        for (l, c) in self.layers.iter().enumerate() {
            u[space.alpha_range(l).start + c.base] = 1.0;
            u[space.beta_range(l).start + usize::from(!c.enabled)] = 1.0;
        }
        u[space.gamma_range().start + self.embedding.index] = 1.0;
        if let Some(r) = self.effective_recipe(space) {
            for (g, &i) in r.index.iter().enumerate() {
                if let Some(range) = space.delta_range(g) {
                    u[range.start + i] = 1.0;
                }
            }
        }
        Ok(u)
    }

    /// The enabled layers, input to output.
    pub fn enabled_layers(&self) -> impl Iterator<Item = &LayerChoice> {
        self.layers.iter().filter(|l| l.enabled)
    }

    /// Widths of the dense layers actually built (input dim, then each enabled layer).
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(self.embedding.dim).chain(self.enabled_layers().map(|l| l.width)).collect()
    }

    /// Trainable parameters (weights and biases) of the plain MLP with `num_classes` outputs.
    pub fn num_params(&self, num_classes: usize) -> usize {
        let w = self.widths();
        let hidden: usize = w.windows(2).map(|p| p[0] * p[1] + p[1]).sum();
        let last = *w.last().unwrap_or(&0);
        hidden + last * num_classes + num_classes
    }

    /// Multiply-accumulates of one forward pass for one sample (the dense layers' FLOPs / 2).
    pub fn num_macs(&self, num_classes: usize) -> usize {
        let w = self.widths();
        let hidden: usize = w.windows(2).map(|p| p[0] * p[1]).sum();
        hidden + w.last().unwrap_or(&0) * num_classes
    }

    /// Serialises to JSON.
    ///
    /// # Errors
    /// Never in practice; kept fallible because serde is.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| EncodingError::Json(e.to_string()))
    }

    /// Parses from JSON and checks the result against `space`.
    ///
    /// # Errors
    /// Malformed JSON or an architecture that does not fit the space.
    pub fn from_json(space: &ArchitectureSpace, s: &str) -> Result<Self> {
        let a: Self = serde_json::from_str(s).map_err(|e| EncodingError::Json(e.to_string()))?;
        a.check(space)?;
        Ok(a)
    }
}

impl fmt::Display for DiscreteArchitecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.embedding.name)?;
        for l in self.enabled_layers() {
            write!(f, " → {} {}", l.width, l.activation)?;
        }
        write!(f, " → softmax")?;
        if let Some(r) = &self.recipe {
            write!(f, " · {r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::EmbeddingSpec;
    use approx::assert_relative_eq;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn space() -> ArchitectureSpace {
        ArchitectureSpace::paper(vec![
            EmbeddingSpec::new("pool7", 16),
            EmbeddingSpec::new("pool14", 49),
            EmbeddingSpec::new("raw", 784),
        ])
        .unwrap()
    }

    #[test]
    fn sample_among_draws_only_the_modules_given() {
        let s = space();
        let mut seen = [0usize; 3];
        for seed in 0..200 {
            let (mut a, mut b) = (StdRng::seed_from_u64(seed), StdRng::seed_from_u64(seed));
            let x = DiscreteArchitecture::sample_among(&s, &[0, 2], &mut a).unwrap();
            seen[x.embedding.index] += 1;
            // Only the module differs from a plain draw: the layers come from the same stream.
            assert_eq!(x.layers, DiscreteArchitecture::sample(&s, &mut b).layers);
        }
        assert!(seen[0] > 60 && seen[1] == 0 && seen[2] > 60, "{seen:?}");
        let mut a = StdRng::seed_from_u64(0);
        for bad in [&[][..], &[3][..]] {
            assert!(matches!(DiscreteArchitecture::sample_among(&s, bad, &mut a), Err(EncodingError::ShapeMismatch { .. })));
        }
    }

    #[test]
    fn parse_reads_what_display_writes() {
        let s = space();
        let a = DiscreteArchitecture::parse(&s, "pool14 → 256 relu → 32 tanh → softmax").unwrap();
        assert_eq!(a.to_string(), "pool14 → 256 relu → 32 tanh → softmax");
        assert_eq!(a.num_params(3), 49 * 256 + 256 + 256 * 32 + 32 + 32 * 3 + 3);
        assert_eq!(DiscreteArchitecture::parse(&s, "raw -> softmax").unwrap().to_string(), "raw → softmax");
        for bad in ["", "pool14 → 256 relu", "nope → softmax", "raw → 100 relu → softmax", "raw → 8 relu → 8 relu → 8 relu → 8 relu → 8 relu → 8 relu → 8 relu → 8 relu → softmax"] {
            assert!(matches!(DiscreteArchitecture::parse(&s, bad), Err(EncodingError::Parse { .. })), "{bad}");
        }
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
    fn sampling_is_seeded() {
        let s = space();
        let a = DiscreteArchitecture::sample(&s, &mut StdRng::seed_from_u64(5));
        let b = DiscreteArchitecture::sample(&s, &mut StdRng::seed_from_u64(5));
        assert_eq!(a, b);
    }

    #[test]
    fn sampling_covers_every_choice() {
        let s = space();
        let mut rng = StdRng::seed_from_u64(1);
        let mut bases = vec![0usize; s.num_base_layers()];
        let mut embs = vec![0usize; s.num_embeddings()];
        let mut on = 0;
        let n = 600;
        for _ in 0..n {
            let a = DiscreteArchitecture::sample(&s, &mut rng);
            bases[a.layers[0].base] += 1;
            embs[a.embedding.index] += 1;
            on += usize::from(a.layers[0].enabled);
        }
        assert!(bases.iter().all(|&c| c > 20), "{bases:?}");
        assert!(embs.iter().all(|&c| c > 120), "{embs:?}");
        assert!((200..400).contains(&on), "{on}");
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
        space().with_recipes(crate::RecipeSpace::around(1e-3, 20, 64).unwrap()).unwrap()
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
    fn an_old_child_is_the_base_recipe_of_the_new_space() {
        let (v1, v2) = (space(), space_v2());
        let old = DiscreteArchitecture::parse(&v1, "pool14 → 256 relu → softmax").unwrap();
        let json = old.to_json().unwrap();
        assert!(!json.contains("recipe"));
        // The stored row parses in the new space, unchanged, and writes back byte for byte.
        let read = DiscreteArchitecture::from_json(&v2, &json).unwrap();
        assert_eq!(read.to_json().unwrap(), json);
        assert_eq!(read.effective_recipe(&v2).unwrap().to_string(), "lr 1e-3 · 20 ep · bs 64");
        let u = read.one_hot_u(&v2).unwrap();
        assert_eq!(&u[..v1.dim()], &old.one_hot_u(&v1).unwrap()[..]);
        for (g, &i) in v2.recipes().unwrap().base.iter().enumerate() {
            assert_eq!(u[v2.delta_range(g).unwrap().start + i], 1.0);
        }
        // The same network with the base recipe written out is the same point of u.
        let explicit = DiscreteArchitecture::parse(&v2, "pool14 → 256 relu → softmax · lr 1e-3 · 20 ep · bs 64").unwrap();
        assert_eq!(explicit.one_hot_u(&v2).unwrap(), u);
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
