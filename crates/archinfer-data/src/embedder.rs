//! One embedder trait over any sample type: what a modality's fixed modules implement, so that
//! turning samples into feature sets is one generic function whatever the samples are
//! (pixels `[f32]`, texts `str`, and rows next).
//!
//! The image modules implement [`Embedder`] and the text modules
//! [`archinfer_text::TextEmbedder`]; both are [`SampleEmbedder`]s through the blanket
//! implementations here, so existing modules need no change. A new modality implements
//! [`SampleEmbedder`] for its own sample type directly.

use archinfer_text::TextEmbedder;

use crate::embed::Embedder;
use crate::error::Result;
use crate::task::FeatureSet;

/// A fixed, deterministic map from one sample of type `S` to `dim()` numbers.
pub trait SampleEmbedder<S: ?Sized>: Send + Sync {
    /// Short name: the feature set's and the embedding module's.
    fn name(&self) -> &str;
    /// Output dimension.
    fn dim(&self) -> usize;
    /// Embeds `samples`; returns `samples.len() × dim()` values, row-major.
    ///
    /// # Errors
    /// A sample the module cannot read.
    fn embed_batch(&self, samples: &[&S]) -> Result<Vec<f32>>;
}

impl<E: Embedder + ?Sized> SampleEmbedder<[f32]> for E {
    fn name(&self) -> &str {
        Embedder::name(self)
    }
    fn dim(&self) -> usize {
        Embedder::dim(self)
    }
    fn embed_batch(&self, samples: &[&[f32]]) -> Result<Vec<f32>> {
        let d = Embedder::dim(self);
        let mut out = vec![0.0; samples.len() * d];
        for (s, o) in samples.iter().zip(out.chunks_exact_mut(d.max(1))) {
            self.embed_into(s, o);
        }
        Ok(out)
    }
}

impl<E: TextEmbedder + ?Sized> SampleEmbedder<str> for E {
    fn name(&self) -> &str {
        TextEmbedder::name(self)
    }
    fn dim(&self) -> usize {
        TextEmbedder::dim(self)
    }
    fn embed_batch(&self, samples: &[&str]) -> Result<Vec<f32>> {
        Ok(self.embed(samples)?)
    }
}

/// The feature set of every module of `modules` over `samples`, in module order: how a task's
/// samples become what the value network and the children read, for any modality.
///
/// # Errors
/// The first module that cannot embed a sample.
pub fn feature_sets<S: ?Sized, E: SampleEmbedder<S> + ?Sized>(modules: &[Box<E>], samples: &[&S]) -> Result<Vec<FeatureSet>> {
    modules.iter().map(|m| Ok(FeatureSet::new(m.name(), m.dim(), m.embed_batch(samples)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::AvgPool;

    #[test]
    fn images_through_the_generic_trait_match_embed_all() {
        let pool: Vec<Box<dyn Embedder>> = vec![Box::new(AvgPool::new(4, 2).unwrap())];
        let pixels: Vec<f32> = (0..32).map(|i| i as f32 / 32.0).collect();
        let refs: Vec<&[f32]> = pixels.chunks_exact(16).collect();
        let sets = feature_sets(&pool, &refs).unwrap();
        assert_eq!(sets[0].values, pool[0].embed_all(&pixels, 16));
        // The first 2 × 2 block of the first image: (0 + 1 + 4 + 5) / 4 / 32.
        approx::assert_relative_eq!(sets[0].values[0], 2.5 / 32.0);
        assert_eq!((sets[0].name.as_str(), sets[0].dim), ("pool2", 4));
    }
}
