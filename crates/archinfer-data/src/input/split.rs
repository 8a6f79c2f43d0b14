//! A user's data split into a task: every sample lands in exactly one part.

use archinfer_text::{TEXT_MODULES_VERSION, default_text_module_names};

use crate::bundle::TaskBundle;
use crate::embed::{Embedder, default_embedders};
use crate::error::{DataError, Result};
use crate::idx::ImageSet;
use crate::input::{USER_SPLIT_SEED, UserData, UserSamples};
use crate::task::Splits;

impl UserData {
    /// The task bundle: shuffled with [`USER_SPLIT_SEED`] into `fractions` (train,
    /// validation, test); every sample lands in some part. Images are embedded by the default
    /// image modules, texts carry the default text modules' names.
    ///
    /// # Errors
    /// [`DataError::UserData`] naming the data for unlabelled data, and for too few samples to
    /// give every part at least one (it says how many are needed); the bundle's errors.
    pub fn bundle(&self, fractions: [f64; 3]) -> Result<TaskBundle> {
        self.bundle_with(fractions, &default_embedders()?)
    }

    /// As [`bundle`](Self::bundle), images embedded by `embedders` (built once by a caller
    /// that embeds the task's features with the same modules).
    ///
    /// # Errors
    /// As [`bundle`](Self::bundle).
    pub fn bundle_with(&self, fractions: [f64; 3], embedders: &[Box<dyn Embedder>]) -> Result<TaskBundle> {
        let labels = self
            .labels
            .as_ref()
            .ok_or_else(|| DataError::UserData { path: self.source.clone(), message: "no labels: a task needs a class for every sample".into() })?;
        let sum: f64 = fractions.iter().sum();
        if fractions.iter().any(|f| !f.is_finite() || *f < 0.0) || (sum - 1.0).abs() > 1e-9 {
            let message = format!("split fractions {fractions:?} must be non-negative and sum to 1, so that every sample lands in one part");
            return Err(DataError::BadSpec(message));
        }
        let s = Splits::random(self.len(), fractions, USER_SPLIT_SEED).map_err(|e| match e {
            DataError::EmptySplit(part) => self.too_few(part, fractions),
            other => other,
        })?;
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
                Ok(TaskBundle::from_images(&set, ordered, self.class_names.clone(), split, embedders)?)
            }
            UserSamples::Texts(texts) => Ok(TaskBundle::from_texts(
                order.iter().map(|&i| texts[i].clone()).collect(),
                ordered,
                self.class_names.clone(),
                split,
                default_text_module_names(),
                TEXT_MODULES_VERSION,
            )?),
            UserSamples::Table { table, label, dropped } => {
                Ok(TaskBundle::from_table(table.gather(&order), label.clone(), dropped.clone(), ordered, self.class_names.clone(), split)?)
            }
        }
    }

    /// The error for data too small for `fractions`: which part got no sample, and how many
    /// samples every part needs.
    fn too_few(&self, part: &str, fractions: [f64; 3]) -> DataError {
        let n = self.len();
        let needed = (n + 1..=n + 10_000).find(|&m| Splits::random(m, fractions, USER_SPLIT_SEED).is_ok());
        let pct = fractions.map(|f| format!("{:.0}", 100.0 * f)).join("/");
        let classes = if self.class_names.is_empty() { String::new() } else { format!(" in {} classes", self.class_names.len()) };
        let need = needed.map_or_else(String::new, |m| format!("; a task needs at least {m} samples"));
        DataError::UserData {
            path: self.source.clone(),
            message: format!("{n} samples{classes} are too few to split {pct} into train, validation and test: the {part} part gets none{need}"),
        }
    }
}
