//! The architecture space: which base layers, how many parametrized layers, which embedding
//! modules, and the flat layout of the relaxed encoding `u`.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{EncodingError, Result};
use crate::recipe::{RECIPE_GROUPS, RecipeSpace};

/// Activation function of a base layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// Hyperbolic tangent.
    Tanh,
}

impl Activation {
    /// Applies the activation to one value (host side; used by tests and fused paths).
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Tanh => x.tanh(),
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
        })
    }
}

/// One base layer `o_i` of Eq. (4): a dense layer of a given width and activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BaseLayer {
    /// Output width.
    pub width: usize,
    /// Activation applied after the affine map.
    pub activation: Activation,
}

/// A fixed embedding module (feature map) a child may read its input from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmbeddingSpec {
    /// Short name, used in the human-readable form of an architecture (e.g. `pool14`).
    pub name: String,
    /// Dimension of the features this module produces.
    pub dim: usize,
}

impl EmbeddingSpec {
    /// A module called `name` producing `dim` features.
    pub fn new(name: impl Into<String>, dim: usize) -> Self {
        Self { name: name.into(), dim }
    }
}

/// The search space of section 3.4 of the paper.
///
/// A child network is: an embedding module soft-selected by `gamma` (one of
/// [`embeddings`](Self::embeddings)), then [`num_layers`](Self::num_layers) parametrized
/// layers, each a softmax(`alpha`)-weighted mix of the `P = widths × activations` base layers and
/// gated on/off by `beta`, then a linear softmax classifier.
///
/// # Layout of `u`
///
/// The relaxed encoding is one flat `f32` vector of length [`dim`](Self::dim) =
/// `L·P + 2·L + E` (plus the recipe block's length in version 2), laid out as
///
/// ```text
/// [ alpha[0][0..P] , alpha[1][0..P] , … , alpha[L-1][0..P] ,   // L·P, one softmax group per layer
///   beta[0][on, off] , … , beta[L-1][on, off] ,                // 2·L, one group per layer
///   gamma[0..E] ,                                              // E, one group
///   delta[lr] , delta[wd] , delta[dropout] , delta[epochs] , delta[batch] ]  // version 2 only
/// ```
///
/// Within a layer's `alpha` group, base layer `i = width_index · A + activation_index`
/// (`A` activations), so with the paper's defaults index 0 is `8 relu`, 1 is `8 tanh`, 2 is
/// `16 relu`, … 11 is `256 tanh`. In each `beta` group index 0 means "layer present", index 1
/// "layer replaced by the identity". This layout is part of the public contract: stored
/// encodings and trained value networks depend on it.
///
/// ```
/// use archinfer_encoding::{ArchitectureSpace, EmbeddingSpec};
/// let space = ArchitectureSpace::paper(vec![
///     EmbeddingSpec::new("pool7", 16), EmbeddingSpec::new("pool14", 49),
///     EmbeddingSpec::new("pca", 32), EmbeddingSpec::new("raw", 784),
/// ]).unwrap();
/// assert_eq!(space.num_base_layers(), 12);
/// assert_eq!(space.dim(), 7 * 12 + 7 * 2 + 4); // 102
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSpace", into = "RawSpace")]
pub struct ArchitectureSpace {
    widths: Vec<usize>,
    activations: Vec<Activation>,
    num_layers: usize,
    embeddings: Vec<EmbeddingSpec>,
    recipes: Option<RecipeSpace>,
}

/// Unchecked mirror used so that deserialisation goes through validation. A version-1 space
/// has no `recipes` and serialises exactly as before.
#[derive(Serialize, Deserialize)]
struct RawSpace {
    widths: Vec<usize>,
    activations: Vec<Activation>,
    num_layers: usize,
    embeddings: Vec<EmbeddingSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recipes: Option<RecipeSpace>,
}

impl TryFrom<RawSpace> for ArchitectureSpace {
    type Error = EncodingError;
    fn try_from(r: RawSpace) -> Result<Self> {
        let s = ArchitectureSpace::new(r.widths, r.activations, r.num_layers, r.embeddings)?;
        match r.recipes {
            Some(rec) => s.with_recipes(rec),
            None => Ok(s),
        }
    }
}

impl From<ArchitectureSpace> for RawSpace {
    fn from(s: ArchitectureSpace) -> Self {
        RawSpace {
            widths: s.widths,
            activations: s.activations,
            num_layers: s.num_layers,
            embeddings: s.embeddings,
            recipes: s.recipes,
        }
    }
}

/// The paper's base-layer widths.
pub const PAPER_WIDTHS: [usize; 6] = [8, 16, 32, 64, 128, 256];
/// The paper's number of parametrized layers.
pub const PAPER_LAYERS: usize = 7;

impl ArchitectureSpace {
    /// A validated space.
    ///
    /// # Errors
    /// Empty or duplicate widths, a zero width, empty or duplicate activations, zero layers, no
    /// embedding modules, a zero-dimensional module, or empty / duplicate module names.
    pub fn new(
        widths: Vec<usize>,
        activations: Vec<Activation>,
        num_layers: usize,
        embeddings: Vec<EmbeddingSpec>,
    ) -> Result<Self> {
        if widths.is_empty() {
            return Err(EncodingError::NoWidths);
        }
        let mut seen = HashSet::new();
        for (index, &w) in widths.iter().enumerate() {
            if w == 0 {
                return Err(EncodingError::ZeroWidth { index });
            }
            if !seen.insert(w) {
                return Err(EncodingError::DuplicateWidth { width: w });
            }
        }
        if activations.is_empty() {
            return Err(EncodingError::NoActivations);
        }
        let mut seen = HashSet::new();
        for a in &activations {
            if !seen.insert(*a) {
                return Err(EncodingError::DuplicateActivation(a.to_string()));
            }
        }
        if num_layers == 0 {
            return Err(EncodingError::NoLayers);
        }
        if embeddings.is_empty() {
            return Err(EncodingError::NoEmbeddings);
        }
        let mut names = HashSet::new();
        for e in &embeddings {
            if e.name.trim().is_empty() || !names.insert(e.name.clone()) {
                return Err(EncodingError::BadEmbeddingName(e.name.clone()));
            }
            if e.dim == 0 {
                return Err(EncodingError::ZeroEmbeddingDim { name: e.name.clone() });
            }
        }
        Ok(Self { widths, activations, num_layers, embeddings, recipes: None })
    }

    /// This space with the training-recipe block δ (space version 2): `u` grows by
    /// [`RecipeSpace::dim`] entries after `gamma`, one softmax group per recipe setting.
    ///
    /// # Errors
    /// [`EncodingError::BadRecipe`] for an invalid block.
    pub fn with_recipes(mut self, recipes: RecipeSpace) -> Result<Self> {
        recipes.validate()?;
        self.recipes = Some(recipes);
        Ok(self)
    }

    /// The training-recipe block, in a version-2 space.
    pub fn recipes(&self) -> Option<&RecipeSpace> {
        self.recipes.as_ref()
    }

    /// This space with embedding modules `extra` appended to `gamma`: what a module migration
    /// does. Modules keep their indices, so every architecture of this space is one of the wider
    /// space, with the same JSON.
    ///
    /// # Errors
    /// As [`new`](Self::new): a module already in the space (or named twice), an empty name, or
    /// a zero dimension.
    pub fn with_modules(&self, extra: Vec<EmbeddingSpec>) -> Result<Self> {
        let embeddings = self.embeddings.iter().cloned().chain(extra).collect();
        let wider = Self::new(self.widths.clone(), self.activations.clone(), self.num_layers, embeddings)?;
        Ok(Self { recipes: self.recipes.clone(), ..wider })
    }

    /// This space with its modules' widths replaced by `dims` (one per module, in order): the
    /// space as one task sees it, where a module's declared width (a table's or a TF-IDF
    /// vocabulary's upper bound) is wider than the task's own columns. Parameter counts, the
    /// size penalty and budgets read widths; the layout of `u` does not change.
    ///
    /// # Errors
    /// [`EncodingError::DimMismatch`](crate::EncodingError::DimMismatch) for a count of widths
    /// other than the modules', [`EncodingError::ZeroEmbeddingDim`](crate::EncodingError::ZeroEmbeddingDim)
    /// for a zero width.
    pub fn with_embedding_dims(&self, dims: &[usize]) -> Result<Self> {
        if dims.len() != self.embeddings.len() {
            return Err(crate::EncodingError::DimMismatch { expected: self.embeddings.len(), got: dims.len() });
        }
        let embeddings = self.embeddings.iter().zip(dims).map(|(e, &d)| EmbeddingSpec::new(e.name.clone(), d)).collect();
        let narrowed = Self::new(self.widths.clone(), self.activations.clone(), self.num_layers, embeddings)?;
        Ok(Self { recipes: self.recipes.clone(), ..narrowed })
    }

    /// The space's version: 1 without a recipe block (every child trained with the database's
    /// one recipe), 2 with one.
    pub fn version(&self) -> u32 {
        if self.recipes.is_some() { 2 } else { 1 }
    }

    /// The version-1 space under this one (the same layers and modules, no recipe block).
    pub fn without_recipes(&self) -> Self {
        Self { recipes: None, ..self.clone() }
    }

    /// Range of recipe group `g` (0 learning rate, 1 weight decay, 2 dropout, 3 epochs, 4 batch
    /// size) in the flat layout, after `gamma`; `None` in a version-1 space.
    pub fn delta_range(&self, g: usize) -> Option<Range<usize>> {
        let r = self.recipes.as_ref()?;
        if g >= RECIPE_GROUPS {
            return None;
        }
        let sizes = r.sizes();
        let start = self.gamma_range().end + sizes[..g].iter().sum::<usize>();
        Some(start..start + sizes[g])
    }

    /// The paper's space (widths {8 … 256} × {relu, tanh}, 7 layers) over the given modules.
    ///
    /// # Errors
    /// As [`new`](Self::new), for the embedding modules.
    pub fn paper(embeddings: Vec<EmbeddingSpec>) -> Result<Self> {
        Self::new(
            PAPER_WIDTHS.to_vec(),
            vec![Activation::Relu, Activation::Tanh],
            PAPER_LAYERS,
            embeddings,
        )
    }

    /// Base-layer widths, in the order they index `alpha`.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// Activations, in the order they index `alpha`.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// Number of parametrized layers `L`.
    pub fn num_layers(&self) -> usize {
        self.num_layers
    }

    /// The embedding modules `gamma` chooses from.
    pub fn embeddings(&self) -> &[EmbeddingSpec] {
        &self.embeddings
    }

    /// Number of embedding modules `E`.
    pub fn num_embeddings(&self) -> usize {
        self.embeddings.len()
    }

    /// Number of base layers per parametrized layer, `P = widths × activations`.
    pub fn num_base_layers(&self) -> usize {
        self.widths.len() * self.activations.len()
    }

    /// Base layer `i` of every parametrized layer (`i = width_index · A + activation_index`).
    ///
    /// # Panics
    /// If `i >= num_base_layers()`.
    pub fn base_layer(&self, i: usize) -> BaseLayer {
        let a = self.activations.len();
        BaseLayer { width: self.widths[i / a], activation: self.activations[i % a] }
    }

    /// All base layers in `alpha` order.
    pub fn base_layers(&self) -> Vec<BaseLayer> {
        (0..self.num_base_layers()).map(|i| self.base_layer(i)).collect()
    }

    /// Largest base-layer width.
    pub fn max_width(&self) -> usize {
        self.widths.iter().copied().max().unwrap_or(0)
    }

    /// Largest embedding dimension.
    pub fn max_embedding_dim(&self) -> usize {
        self.embeddings.iter().map(|e| e.dim).max().unwrap_or(0)
    }

    /// Width of the zero-padded hidden stream of the continuous child network: every
    /// parametrized layer reads and writes vectors of this width so that a layer that is off
    /// can pass its input through unchanged.
    pub fn stream_width(&self) -> usize {
        self.max_width().max(self.max_embedding_dim())
    }

    /// Length of the flat relaxed encoding `u` (and of the flat logits).
    pub fn dim(&self) -> usize {
        self.num_layers * (self.num_base_layers() + 2) + self.num_embeddings() + self.recipes.as_ref().map_or(0, RecipeSpace::dim)
    }

    /// Range of `alpha` logits / probabilities of parametrized layer `layer` in the flat layout.
    ///
    /// # Panics
    /// If `layer >= num_layers()`.
    pub fn alpha_range(&self, layer: usize) -> Range<usize> {
        assert!(layer < self.num_layers, "layer {layer} out of range");
        let p = self.num_base_layers();
        layer * p..(layer + 1) * p
    }

    /// Range of the `beta` pair `[on, off]` of parametrized layer `layer` in the flat layout.
    ///
    /// # Panics
    /// If `layer >= num_layers()`.
    pub fn beta_range(&self, layer: usize) -> Range<usize> {
        assert!(layer < self.num_layers, "layer {layer} out of range");
        let start = self.num_layers * self.num_base_layers() + 2 * layer;
        start..start + 2
    }

    /// Range of the `gamma` group in the flat layout.
    pub fn gamma_range(&self) -> Range<usize> {
        let start = self.num_layers * (self.num_base_layers() + 2);
        start..start + self.num_embeddings()
    }

    /// The softmax groups of the flat layout, in order: `L` alpha groups, `L` beta groups,
    /// gamma, then (version 2) the recipe groups of δ.
    pub fn groups(&self) -> Vec<Range<usize>> {
        let mut g: Vec<_> = (0..self.num_layers).map(|l| self.alpha_range(l)).collect();
        g.extend((0..self.num_layers).map(|l| self.beta_range(l)));
        g.push(self.gamma_range());
        g.extend((0..RECIPE_GROUPS).filter_map(|i| self.delta_range(i)));
        g
    }

    /// Column offsets of each base layer's output inside the concatenated pre-activation of a
    /// parametrized layer (base layers side by side, in `alpha` order).
    pub fn base_offsets(&self) -> Vec<usize> {
        let mut off = Vec::with_capacity(self.num_base_layers());
        let mut acc = 0;
        for b in self.base_layers() {
            off.push(acc);
            acc += b.width;
        }
        off
    }

    /// Sum of all base-layer widths: the width of a parametrized layer's concatenated
    /// pre-activation.
    pub fn total_base_width(&self) -> usize {
        self.base_layers().iter().map(|b| b.width).sum()
    }

    /// Checks a flat vector's length and finiteness against the space.
    ///
    /// # Errors
    /// [`EncodingError::DimMismatch`] or [`EncodingError::NonFinite`].
    pub fn check_flat(&self, what: &'static str, v: &[f32]) -> Result<()> {
        if v.len() != self.dim() {
            return Err(EncodingError::DimMismatch { expected: self.dim(), got: v.len() });
        }
        if let Some(index) = v.iter().position(|x| !x.is_finite()) {
            return Err(EncodingError::NonFinite { what, index });
        }
        Ok(())
    }

    /// Serialises the space to JSON.
    ///
    /// # Errors
    /// Never in practice; kept fallible because serde is.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| EncodingError::Json(e.to_string()))
    }

    /// Parses and validates a space from JSON.
    ///
    /// # Errors
    /// Malformed JSON or an invalid space.
    pub fn from_json(s: &str) -> Result<Self> {
        serde_json::from_str(s).map_err(|e| EncodingError::Json(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_space_with_the_task_s_widths_keeps_its_layout() {
        let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 4096), EmbeddingSpec::new("b", 64)]).unwrap();
        let narrow = space.with_embedding_dims(&[12, 64]).unwrap();
        assert_eq!((narrow.dim(), narrow.embeddings()[0].dim, narrow.embeddings()[0].name.as_str()), (space.dim(), 12, "a"));
        assert!(space.with_embedding_dims(&[12]).is_err());
        assert!(space.with_embedding_dims(&[0, 64]).is_err());
    }

    fn mods() -> Vec<EmbeddingSpec> {
        vec![EmbeddingSpec::new("a", 3), EmbeddingSpec::new("b", 5)]
    }

    #[test]
    fn a_module_migration_appends_to_gamma() {
        let s = ArchitectureSpace::paper(mods()).unwrap().with_recipes(crate::recipe::RecipeSpace::around(1e-3, 20, 64).unwrap()).unwrap();
        let w = s.with_modules(vec![EmbeddingSpec::new("c", 7)]).unwrap();
        assert_eq!(w.embeddings().iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!((w.dim(), w.version(), w.gamma_range()), (s.dim() + 1, 2, 98..101));
        for bad in [vec![EmbeddingSpec::new("a", 3)], vec![EmbeddingSpec::new("", 3)], vec![EmbeddingSpec::new("d", 0)]] {
            assert!(s.with_modules(bad).is_err());
        }
    }

    #[test]
    fn paper_layout() {
        let s = ArchitectureSpace::paper(mods()).unwrap();
        assert_eq!(s.num_base_layers(), 12);
        assert_eq!(s.dim(), 84 + 14 + 2);
        assert_eq!(s.alpha_range(1), 12..24);
        assert_eq!(s.beta_range(0), 84..86);
        assert_eq!(s.beta_range(6), 96..98);
        assert_eq!(s.gamma_range(), 98..100);
        assert_eq!(s.base_layer(0), BaseLayer { width: 8, activation: Activation::Relu });
        assert_eq!(s.base_layer(3), BaseLayer { width: 16, activation: Activation::Tanh });
        assert_eq!(s.base_layer(11), BaseLayer { width: 256, activation: Activation::Tanh });
        assert_eq!(s.total_base_width(), 2 * (8 + 16 + 32 + 64 + 128 + 256));
        assert_eq!(s.base_offsets()[2], 16);
        assert_eq!(s.stream_width(), 256);
        let total: usize = s.groups().iter().map(|g| g.len()).sum();
        assert_eq!(total, s.dim());
    }

    #[test]
    fn invalid_spaces_are_rejected() {
        let acts = vec![Activation::Relu];
        assert_eq!(
            ArchitectureSpace::new(vec![], acts.clone(), 1, mods()),
            Err(EncodingError::NoWidths)
        );
        assert_eq!(
            ArchitectureSpace::new(vec![4, 0], acts.clone(), 1, mods()),
            Err(EncodingError::ZeroWidth { index: 1 })
        );
        assert_eq!(
            ArchitectureSpace::new(vec![4, 4], acts.clone(), 1, mods()),
            Err(EncodingError::DuplicateWidth { width: 4 })
        );
        assert_eq!(
            ArchitectureSpace::new(vec![4], vec![], 1, mods()),
            Err(EncodingError::NoActivations)
        );
        assert!(matches!(
            ArchitectureSpace::new(vec![4], vec![Activation::Tanh, Activation::Tanh], 1, mods()),
            Err(EncodingError::DuplicateActivation(_))
        ));
        assert_eq!(
            ArchitectureSpace::new(vec![4], acts.clone(), 0, mods()),
            Err(EncodingError::NoLayers)
        );
        assert_eq!(
            ArchitectureSpace::new(vec![4], acts.clone(), 1, vec![]),
            Err(EncodingError::NoEmbeddings)
        );
        assert!(matches!(
            ArchitectureSpace::new(vec![4], acts.clone(), 1, vec![EmbeddingSpec::new("x", 0)]),
            Err(EncodingError::ZeroEmbeddingDim { .. })
        ));
        assert!(matches!(
            ArchitectureSpace::new(
                vec![4],
                acts,
                1,
                vec![EmbeddingSpec::new("x", 1), EmbeddingSpec::new("x", 2)]
            ),
            Err(EncodingError::BadEmbeddingName(_))
        ));
    }

    #[test]
    fn json_round_trip_and_validation() {
        let s = ArchitectureSpace::paper(mods()).unwrap();
        let back = ArchitectureSpace::from_json(&s.to_json().unwrap()).unwrap();
        assert_eq!(s, back);
        let bad = r#"{"widths":[],"activations":["relu"],"num_layers":1,"embeddings":[{"name":"a","dim":1}]}"#;
        assert!(ArchitectureSpace::from_json(bad).is_err());
    }
}
