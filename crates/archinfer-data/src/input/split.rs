//! A user's data split into a task: every sample lands in exactly one part.

use archinfer_text::{TEXT_MODULES_VERSION, default_text_module_names};

use crate::error::{DataError, Result};
use crate::input::{USER_SPLIT_SEED, UserData, UserSamples};
use crate::idx::ImageSet;
use crate::task::Splits;
use crate::bundle::TaskBundle;
use crate::embed::default_embedders;

impl UserData {
    /// The task bundle: shuffled with [`USER_SPLIT_SEED`] into `fractions` (train,
    /// validation, test); every sample lands in some part. Images are embedded by the default
    /// image modules, texts carry the default text modules' names.
    ///
    /// # Errors
    /// [`DataError::UserData`] for unlabelled data; the split's and the bundle's errors.
    pub fn bundle(&self, fractions: [f64; 3]) -> Result<TaskBundle> {
        let labels = self
            .labels
            .as_ref()
            .ok_or_else(|| DataError::UserData { path: self.source.clone(), message: "no labels: a task needs a class for every sample".into() })?;
        let sum: f64 = fractions.iter().sum();
        if fractions.iter().any(|f| !f.is_finite() || *f < 0.0) || (sum - 1.0).abs() > 1e-9 {
            let message = format!("split fractions {fractions:?} must be non-negative and sum to 1, so that every sample lands in one part");
            return Err(DataError::BadSpec(message));
        }
        let s = Splits::random(self.len(), fractions, USER_SPLIT_SEED)?;
        let order: Vec<usize> = s.train.iter().chain(&s.validation).chain(&s.test).copied().collect();
        let split = [s.train.len(), s.validation.len(), s.test.len()];
        let ordered: Vec<u32> = order.iter().map(|&i| labels[i]).collect();
        match &self.samples {
            UserSamples::Images(set) => {
                let px = set.side * set.side;
                let mut pixels = Vec::with_capacity(order.len() * px);
                for &i in &order {
                    pixels.extend_from_slice(set.image(i));
                }
                let small = ordered.iter().map(|&l| u8::try_from(l).unwrap_or(u8::MAX)).collect();
                let set = ImageSet { pixels, labels: small, side: set.side };
                Ok(TaskBundle::from_images(&set, ordered, self.class_names.clone(), split, &default_embedders()?)?)
            }
            UserSamples::Texts(texts) => Ok(TaskBundle::from_texts(
                order.iter().map(|&i| texts[i].clone()).collect(),
                ordered,
                self.class_names.clone(),
                split,
                default_text_module_names(),
                TEXT_MODULES_VERSION,
            )?),
        }
    }
}

