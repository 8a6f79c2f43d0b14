//! Discrete architectures: one embedding module and, per parametrized layer, one base layer
//! and whether it is present; sampling, parsing, argmax discretisation and size counts.

use std::fmt;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{EncodingError, Result};
use crate::recipe::{RECIPE_GROUPS, RecipeChoice};
use crate::space::{Activation, ArchitectureSpace};

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

    pub(crate) fn from_flat_unchecked(space: &ArchitectureSpace, v: &[f32]) -> Self {
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

    /// The same architecture reading `dim` input columns: how a child of a sparse module
    /// (declared width in the space, the task's vocabulary in training) is built.
    pub fn with_input_dim(mut self, dim: usize) -> Self {
        self.embedding.dim = dim;
        self
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

    fn space_v2() -> ArchitectureSpace {
        space().with_recipes(crate::recipe::RecipeSpace::around(1e-3, 20, 64).unwrap()).unwrap()
    }

    #[test]
    fn an_architecture_of_a_space_reads_in_the_space_with_modules_added() {
        let s = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 3), EmbeddingSpec::new("b", 5)])
            .unwrap()
            .with_recipes(crate::recipe::RecipeSpace::around(1e-3, 20, 64).unwrap())
            .unwrap();
        let w = s.with_modules(vec![EmbeddingSpec::new("c", 7)]).unwrap();
        // An architecture of the old space reads, with the same JSON, in the wider one.
        let a = DiscreteArchitecture::parse(&s, "b → 8 relu → softmax").unwrap();
        let json = a.to_json().unwrap();
        assert_eq!(DiscreteArchitecture::from_json(&w, &json).unwrap().to_json().unwrap(), json);
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
}
