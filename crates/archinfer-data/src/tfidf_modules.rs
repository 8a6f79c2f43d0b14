//! The sparse text modules `tfidf-word` and `tfidf-char`: scikit-learn's TF-IDF (sublinear tf,
//! `min_df = 2`, L2 rows) with the vocabulary and idf learned from the task's training split
//! only, so validation and test texts never shape their own features.
//!
//! Unlike the fixed modules they are fitted per task: a fitted model saves the [`Tfidf`] it
//! read (vocabulary and idf) so `predict` builds the same columns for new texts.

use archinfer_classic::{ClassicError, Tfidf, TfidfConfig};

use crate::error::{DataError, Result};
use crate::task::FeatureSet;

/// Names of the sparse text modules, in the order a text task carries them.
pub const TFIDF_MODULES: [&str; 2] = ["tfidf-word", "tfidf-char"];

/// The most vocabulary terms a sparse text module keeps, and so its declared width in the
/// architecture space: a task whose training texts keep more terms after `min_df` is refused
/// ([`DataError::Vocabulary`]) rather than truncated, since a first layer of 2^18 rows × 256
/// units with Adam's moments already takes 0.8 GB.
pub const TFIDF_MAX_TERMS: usize = 1 << 18;

/// Whether `name` is one of the sparse text modules.
pub fn is_tfidf_module(name: &str) -> bool {
    TFIDF_MODULES.contains(&name)
}

/// The TF-IDF settings of module `name` (`tfidf-word`: word 1–2-grams; `tfidf-char`:
/// character 2–5-grams within words), `None` for another name.
pub fn tfidf_config(name: &str) -> Option<TfidfConfig> {
    let c = match name {
        "tfidf-word" => TfidfConfig::word(),
        "tfidf-char" => TfidfConfig::char_wb(),
        _ => return None,
    };
    Some(TfidfConfig { max_terms: TFIDF_MAX_TERMS, ..c })
}

/// Fits module `module` on the training texts of task `task`.
///
/// # Errors
/// [`DataError::Vocabulary`] naming the task and module: no training text, no term in
/// `min_df` training texts (all empty, or all different), or more than [`TFIDF_MAX_TERMS`]
/// terms; [`DataError::Modules`] for a name that is not a sparse text module.
pub fn fit_tfidf_module(task: &str, module: &str, train: &[&str]) -> Result<Tfidf> {
    let config = tfidf_config(module).ok_or_else(|| DataError::Modules {
        task: task.to_string(),
        recorded: module.to_string(),
        available: TFIDF_MODULES.join(", "),
    })?;
    Tfidf::fit(&config, train).map_err(|source| DataError::Vocabulary { task: task.to_string(), module: module.to_string(), source })
}

/// The sparse feature set of `texts` through a fitted module.
pub fn tfidf_feature_set(module: &str, tfidf: &Tfidf, texts: &[&str]) -> FeatureSet {
    FeatureSet::new_sparse(module, TFIDF_MAX_TERMS, tfidf.transform(texts))
}

/// Both sparse text modules of a task whose first `n_train` texts are its training split:
/// each fitted on those, then applied to every text. Returns the feature sets and the fits.
///
/// # Errors
/// As [`fit_tfidf_module`].
pub fn tfidf_feature_sets(task: &str, texts: &[&str], n_train: usize) -> Result<Vec<(FeatureSet, Tfidf)>> {
    let train = &texts[..n_train.min(texts.len())];
    TFIDF_MODULES
        .iter()
        .map(|m| {
            let fit = fit_tfidf_module(task, m, train)?;
            Ok((tfidf_feature_set(m, &fit, texts), fit))
        })
        .collect()
}

/// A one-line reason for a vocabulary error, for [`DataError::Vocabulary`]'s message.
pub(crate) fn vocabulary_reason(e: &ClassicError) -> String {
    match e {
        ClassicError::EmptyVocabulary { min_df } => {
            format!("no term is in {min_df} or more training texts (the texts are empty, or all different)")
        }
        ClassicError::VocabularyTooLarge { terms, limit } => {
            format!("{terms} terms are in 2 or more training texts, over the module's limit of {limit}")
        }
        ClassicError::NoSamples => "the training split has no text".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_from_the_training_split_only() {
        let texts = ["good film", "good plot", "bad film", "unseen words only"];
        let sets = tfidf_feature_sets("t", &texts, 3).unwrap();
        let (word, fit) = &sets[0];
        // min_df = 2 over the first three: `good` and `film` (each in two texts).
        assert_eq!(fit.vocabulary(), ["film", "good"]);
        assert_eq!((word.dim, word.input_width(), word.samples()), (TFIDF_MAX_TERMS, 2, 4));
        let rows = word.sparse.as_ref().unwrap();
        // `good film`: both terms, same idf (df 2 of 3 docs), unit norm → 1/√2 each.
        let (cols, vals) = rows.row(0);
        assert_eq!(cols, [0, 1]);
        approx::assert_abs_diff_eq!(vals[0], 0.5f32.sqrt(), epsilon = 1e-6);
        // The test text shares nothing with the vocabulary: an empty row.
        assert_eq!(rows.row(3).0.len(), 0);
        assert_eq!(word.gather(&[2]), vec![1.0, 0.0]);
    }

    #[test]
    fn an_empty_vocabulary_names_the_task_and_module() {
        for texts in [["", "", "", ""], ["alpha", "beta", "gamma", "delta"]] {
            let e = tfidf_feature_sets("my-task", &texts, 3).unwrap_err();
            let msg = e.to_string();
            assert!(matches!(e, DataError::Vocabulary { .. }), "{e:?}");
            assert!(msg.contains("my-task") && msg.contains("tfidf-word") && msg.contains("empty, or all different"), "{msg}");
        }
    }

    #[test]
    fn a_vocabulary_over_the_limit_is_refused() {
        let c = TfidfConfig { max_terms: 2, ..tfidf_config("tfidf-word").unwrap() };
        let e = Tfidf::fit(&c, &["a1 b1 c1", "a1 b1 c1"]).unwrap_err();
        let e = DataError::Vocabulary { task: "big".into(), module: "tfidf-word".into(), source: e };
        assert!(e.to_string().contains("over the module's limit of 2"), "{e}");
    }
}
