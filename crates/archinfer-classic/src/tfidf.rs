//! TF-IDF features defined as scikit-learn's
//! `TfidfVectorizer(lowercase=True, min_df=2, sublinear_tf=True, norm='l2', smooth_idf=True)`.
//!
//! The steps, each as scikit-learn takes it:
//!
//! * **Preprocessing**: Unicode lower case (`str.lower`; [`str::to_lowercase`] here); no accent
//!   stripping.
//! * **Word analyzer** (`analyzer='word'`): the tokens are the matches of `(?u)\b\w\w+\b`, the
//!   maximal runs of at least two word characters (alphanumeric or `_`); the n-grams for
//!   `n = min_n..=max_n` are runs of `n` consecutive tokens joined by one space.
//! * **Character analyzer** (`analyzer='char_wb'`, `_char_wb_ngrams`): the text is split on
//!   whitespace; each word `w` becomes `" " + w + " "` and gives, for each `n`, its character
//!   n-grams, where a padded word of at most `n` characters gives itself once and stops the
//!   loop over larger `n` (scikit-learn's `if offset == 0: break`).
//! * **Vocabulary**: the terms found in at least `min_df` training documents, sorted by string
//!   (code-point order, as Python sorts feature names); the column of a term is its rank.
//! * **Weights**: `idf = ln((1 + n_docs) / (1 + df)) + 1`; a term counted `tf` times in a
//!   document weighs `(1 + ln tf) · idf` (sublinear) or `tf · idf`; each row is then scaled to
//!   unit Euclidean norm (a row without a known term stays zero).
//!
//! Known differences from scikit-learn, none of which touches ASCII or Latin text:
//! * `\w` is [`char::is_alphanumeric`] or `_`. Rust's alphabetic property also holds for the
//!   combining marks and symbols of Unicode's `Other_Alphabetic` (Indic vowel signs, circled
//!   letters); Python's `\w` takes letters and numbers by general category only, so those
//!   characters split tokens there and join them here.
//! * Values are computed in `f64` and stored as `f32` (scikit-learn keeps `float64`).
//!
//! Whitespace is Python's `str.split()` whitespace exactly: Unicode `White_Space` plus the
//! separators U+001C–U+001F. Counting uses hash maps for integers only: every floating-point
//! sum runs over sorted columns, so a fit and a transform are bit-identical in every process
//! and for every thread count.

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::design::{for_each_parallel, split_range, thread_count};
use crate::error::{ClassicError, Result, bad, same_len};
use crate::sparse::Csr;

pub use crate::analyzer::Analyzer;


/// The settings of a [`Tfidf`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TfidfConfig {
    /// How texts become terms (default [`Analyzer::WORD`]).
    pub analyzer: Analyzer,
    /// Keep the terms found in at least this many training documents (default 2; at least 1).
    pub min_df: usize,
    /// Weigh a count `tf` as `1 + ln tf` (default true).
    pub sublinear_tf: bool,
    /// The most terms the vocabulary may keep; more is [`ClassicError::VocabularyTooLarge`]
    /// (default 2 000 000).
    pub max_terms: usize,
}

impl Default for TfidfConfig {
    fn default() -> Self {
        TfidfConfig {
            analyzer: Analyzer::WORD,
            min_df: 2,
            sublinear_tf: true,
            max_terms: 2_000_000,
        }
    }
}

impl TfidfConfig {
    /// The default settings with word unigrams and bigrams.
    pub fn word() -> Self {
        TfidfConfig::default()
    }

    /// The default settings with character 2- to 5-grams within words.
    pub fn char_wb() -> Self {
        TfidfConfig {
            analyzer: Analyzer::CHAR_WB,
            ..TfidfConfig::default()
        }
    }

    /// Checks the settings: a valid n-gram range, `min_df >= 1`, `1 <= max_terms <= 2^32`.
    pub fn check(&self) -> Result<()> {
        self.analyzer.check()?;
        if self.min_df == 0 {
            return Err(bad("min_df", self.min_df, "must be at least 1"));
        }
        if self.max_terms == 0 || self.max_terms > u32::MAX as usize + 1 {
            return Err(bad(
                "max_terms",
                self.max_terms,
                "must be in 1..=2^32 (u32 columns)",
            ));
        }
        Ok(())
    }
}

/// A fitted TF-IDF vectoriser: its settings, sorted vocabulary and idf weights. Saved and
/// loaded with serde; loading validates the parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TfidfParts")]
pub struct Tfidf {
    config: TfidfConfig,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    n_docs: usize,
}

/// The unvalidated form a [`Tfidf`] is read from.
#[derive(Deserialize)]
struct TfidfParts {
    config: TfidfConfig,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    n_docs: usize,
}

impl TryFrom<TfidfParts> for Tfidf {
    type Error = ClassicError;

    fn try_from(p: TfidfParts) -> Result<Tfidf> {
        p.config.check()?;
        same_len(
            "idf weights against vocabulary",
            p.vocabulary.len(),
            p.idf.len(),
        )?;
        if p.vocabulary.is_empty() {
            return Err(ClassicError::EmptyVocabulary {
                min_df: p.config.min_df,
            });
        }
        if p.vocabulary.len() > p.config.max_terms {
            return Err(ClassicError::VocabularyTooLarge {
                terms: p.vocabulary.len(),
                limit: p.config.max_terms,
            });
        }
        if p.vocabulary.windows(2).any(|w| w[1] <= w[0]) {
            return Err(bad(
                "vocabulary",
                "(saved)",
                "terms must be sorted and unique",
            ));
        }
        if p.idf.iter().any(|v| !v.is_finite()) {
            return Err(ClassicError::NonFinite);
        }
        Ok(Tfidf {
            config: p.config,
            vocabulary: p.vocabulary,
            idf: p.idf,
            n_docs: p.n_docs,
        })
    }
}

impl Tfidf {
    /// Learns the vocabulary and idf weights from the training `texts`.
    ///
    /// Errors: the configuration's [`TfidfConfig::check`]; [`ClassicError::NoSamples`] without
    /// texts; [`ClassicError::EmptyVocabulary`] when no term reaches `min_df` documents;
    /// [`ClassicError::VocabularyTooLarge`] when more than `max_terms` terms do.
    pub fn fit<S: AsRef<str> + Sync>(config: &TfidfConfig, texts: &[S]) -> Result<Tfidf> {
        config.check()?;
        if texts.is_empty() {
            return Err(ClassicError::NoSamples);
        }
        let threads = thread_count(0);
        let chunks = split_range(texts.len(), threads);
        let mut partial: Vec<HashMap<String, usize>> = vec![HashMap::new(); chunks.len()];
        let items: Vec<_> = chunks.into_iter().zip(partial.iter_mut()).collect();
        for_each_parallel(
            items,
            threads,
            |(range, df): (Range<usize>, &mut HashMap<String, usize>)| {
                let (mut buf, mut spans) = (String::new(), Vec::new());
                for text in &texts[range] {
                    config
                        .analyzer
                        .analyze(&text.as_ref().to_lowercase(), &mut buf, &mut spans);
                    let mut terms: Vec<&str> = spans.iter().map(|r| &buf[r.clone()]).collect();
                    terms.sort_unstable();
                    terms.dedup();
                    for t in terms {
                        match df.get_mut(t) {
                            Some(c) => *c += 1,
                            None => {
                                df.insert(t.to_owned(), 1);
                            }
                        }
                    }
                }
            },
        );
        let mut parts = partial.into_iter();
        let mut df = parts.next().unwrap_or_default();
        for part in parts {
            for (term, c) in part {
                *df.entry(term).or_insert(0) += c;
            }
        }
        let mut kept: Vec<(String, usize)> = df
            .into_iter()
            .filter(|&(_, c)| c >= config.min_df)
            .collect();
        if kept.is_empty() {
            return Err(ClassicError::EmptyVocabulary {
                min_df: config.min_df,
            });
        }
        if kept.len() > config.max_terms {
            return Err(ClassicError::VocabularyTooLarge {
                terms: kept.len(),
                limit: config.max_terms,
            });
        }
        kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let n = texts.len() as f64;
        let idf = kept
            .iter()
            .map(|&(_, c)| ((1.0 + n) / (1.0 + c as f64)).ln() + 1.0)
            .collect();
        let vocabulary = kept.into_iter().map(|(t, _)| t).collect();
        Ok(Tfidf {
            config: config.clone(),
            vocabulary,
            idf,
            n_docs: texts.len(),
        })
    }

    /// Fits on `texts` and returns their TF-IDF matrix too.
    pub fn fit_transform<S: AsRef<str> + Sync>(
        config: &TfidfConfig,
        texts: &[S],
    ) -> Result<(Tfidf, Csr)> {
        let tfidf = Tfidf::fit(config, texts)?;
        let x = tfidf.transform(texts);
        Ok((tfidf, x))
    }

    /// The TF-IDF matrix of `texts`: one L2-normalised row per text, one column per vocabulary
    /// term; terms outside the vocabulary are ignored.
    pub fn transform<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Csr {
        let index: HashMap<&str, u32> = self
            .vocabulary
            .iter()
            .enumerate()
            .map(|(j, t)| (t.as_str(), j as u32))
            .collect();
        let threads = thread_count(0);
        let chunks = split_range(texts.len(), threads.saturating_mul(4));
        let mut outs: Vec<(Vec<usize>, Vec<u32>, Vec<f32>)> =
            vec![Default::default(); chunks.len()];
        let items: Vec<_> = chunks.into_iter().zip(outs.iter_mut()).collect();
        for_each_parallel(items, threads, |(range, (lens, cols_out, vals_out))| {
            let (mut buf, mut spans) = (String::new(), Vec::new());
            let mut cols: Vec<u32> = Vec::new();
            let mut row: Vec<f64> = Vec::new();
            for text in &texts[range] {
                self.config
                    .analyzer
                    .analyze(&text.as_ref().to_lowercase(), &mut buf, &mut spans);
                cols.clear();
                cols.extend(
                    spans
                        .iter()
                        .filter_map(|r| index.get(&buf[r.clone()]).copied()),
                );
                cols.sort_unstable();
                let start = cols_out.len();
                row.clear();
                let mut k = 0;
                while k < cols.len() {
                    let j = cols[k];
                    let run = cols[k..].iter().take_while(|&&c| c == j).count();
                    k += run;
                    let tf = run as f64;
                    let tf = if self.config.sublinear_tf {
                        1.0 + tf.ln()
                    } else {
                        tf
                    };
                    cols_out.push(j);
                    row.push(tf * self.idf[j as usize]);
                }
                let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                let norm = if norm > 0.0 { norm } else { 1.0 };
                vals_out.extend(row.iter().map(|v| (v / norm) as f32));
                lens.push(cols_out.len() - start);
            }
        });
        let mut indptr = Vec::with_capacity(texts.len() + 1);
        indptr.push(0);
        let nnz = outs.iter().map(|o| o.1.len()).sum();
        let (mut indices, mut values) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
        for (lens, cols, vals) in outs {
            for len in lens {
                indptr.push(indptr[indptr.len() - 1] + len);
            }
            indices.extend(cols);
            values.extend(vals);
        }
        Csr::from_parts_unchecked(indptr, indices, values, self.vocabulary.len())
    }

    /// The settings it was fitted with.
    pub fn config(&self) -> &TfidfConfig {
        &self.config
    }

    /// The vocabulary, sorted; a term's column is its index.
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The idf weight of each column.
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The number of columns (vocabulary terms).
    pub fn n_features(&self) -> usize {
        self.vocabulary.len()
    }

    /// The number of training documents.
    pub fn n_docs(&self) -> usize {
        self.n_docs
    }

    /// The column of `term`, if it is in the vocabulary.
    pub fn column(&self, term: &str) -> Option<usize> {
        self.vocabulary
            .binary_search_by(|t| t.as_str().cmp(term))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn word_tokens_and_bigrams() {
        let terms = Analyzer::WORD.terms("Hello, a World_2!  x héllo");
        assert_eq!(
            terms,
            vec![
                "hello",
                "world_2",
                "héllo",
                "hello world_2",
                "world_2 héllo"
            ]
        );
        let tri = Analyzer::Word { min_n: 2, max_n: 3 }.terms("a bb cc dd");
        assert_eq!(tri, vec!["bb cc", "cc dd", "bb cc dd"]);
        assert!(
            Analyzer::Word { min_n: 3, max_n: 4 }
                .terms("bb cc")
                .is_empty()
        );
    }

    #[test]
    fn char_wb_matches_sklearn() {
        // sklearn: TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5)).build_analyzer()("a")
        assert_eq!(Analyzer::CHAR_WB.terms("A"), vec![" a", "a ", " a "]);
        // ngram_range=(4, 5) on "a": the first slice is shorter than n, and the loop stops.
        assert_eq!(
            Analyzer::CharWb { min_n: 4, max_n: 5 }.terms("a"),
            vec![" a "]
        );
        // "ab" with (2, 5): " a","ab","b ", " ab","ab ", " ab " and then stop.
        assert_eq!(
            Analyzer::CHAR_WB.terms(" ab\u{1f}"),
            vec![" a", "ab", "b ", " ab", "ab ", " ab "]
        );
        assert_eq!(
            Analyzer::CharWb { min_n: 3, max_n: 3 }.terms("éa b"),
            vec![" éa", "éa ", " b "]
        );
    }

    /// Three documents computed by hand: n = 3, min_df = 2, word unigrams.
    /// "cat dog" / "cat cat" / "dog fish": df(cat) = 2, df(dog) = 2, df(fish) = 1 (dropped);
    /// idf = ln(4/3) + 1 for both kept terms.
    #[test]
    fn hand_computed_corpus() {
        let config = TfidfConfig {
            analyzer: Analyzer::Word { min_n: 1, max_n: 1 },
            ..TfidfConfig::default()
        };
        let texts = ["cat dog", "cat cat", "dog fish"];
        let (tfidf, x) = Tfidf::fit_transform(&config, &texts).expect("fits");
        assert_eq!(tfidf.vocabulary(), ["cat", "dog"]);
        let idf = (4.0f64 / 3.0).ln() + 1.0;
        assert_relative_eq!(tfidf.idf()[0], idf);
        assert_relative_eq!(tfidf.idf()[1], idf);
        let h = 0.5f32.sqrt();
        assert_eq!(x.row(0).0, [0, 1]);
        assert_relative_eq!(x.row(0).1[0], h, epsilon = 1e-7);
        assert_relative_eq!(x.row(0).1[1], h, epsilon = 1e-7);
        assert_eq!(x.row(1), (&[0u32][..], &[1.0f32][..]));
        assert_eq!(x.row(2), (&[1u32][..], &[1.0f32][..]));
        // Unequal idf and sublinear tf: "cat cat dog" against a 4-document corpus where
        // df(cat) = 3, df(dog) = 2.
        let texts = ["cat cat dog", "cat", "cat dog", "bird"];
        let (tfidf, x) = Tfidf::fit_transform(&config, &texts).expect("fits");
        let (i_cat, i_dog) = ((5.0f64 / 4.0).ln() + 1.0, (5.0f64 / 3.0).ln() + 1.0);
        let (a, b) = ((1.0 + 2f64.ln()) * i_cat, i_dog);
        let norm = (a * a + b * b).sqrt();
        assert_relative_eq!(f64::from(x.row(0).1[0]), a / norm, epsilon = 1e-7);
        assert_relative_eq!(f64::from(x.row(0).1[1]), b / norm, epsilon = 1e-7);
        assert_eq!(x.row(3).0.len(), 0);
        let linear = Tfidf::fit(
            &TfidfConfig {
                sublinear_tf: false,
                ..config
            },
            &texts,
        )
        .expect("fits");
        let x = linear.transform(&texts);
        let a = 2.0 * i_cat;
        let norm = (a * a + b * b).sqrt();
        assert_relative_eq!(f64::from(x.row(0).1[0]), a / norm, epsilon = 1e-7);
        assert_eq!(tfidf.column("dog"), Some(1));
    }

    #[test]
    fn deterministic_bits() {
        let texts: Vec<String> = (0..200)
            .map(|i| {
                format!(
                    "w{} w{} common text number {} and w{}",
                    i % 7,
                    i % 13,
                    i % 5,
                    (i * 31) % 17
                )
            })
            .collect();
        for config in [TfidfConfig::word(), TfidfConfig::char_wb()] {
            let (a, xa) = Tfidf::fit_transform(&config, &texts).expect("fits");
            let (b, xb) = Tfidf::fit_transform(&config, &texts).expect("fits");
            assert_eq!(a, b);
            let bits = |x: &Csr| x.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&xa), bits(&xb));
            assert_eq!(xa.indices(), xb.indices());
            assert_eq!(
                a.idf().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                b.idf().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn errors() {
        let config = TfidfConfig::word();
        assert_eq!(
            Tfidf::fit(&config, &["", ""]),
            Err(ClassicError::EmptyVocabulary { min_df: 2 })
        );
        assert_eq!(
            Tfidf::fit(&config, &["aa bb", "cc dd"]),
            Err(ClassicError::EmptyVocabulary { min_df: 2 })
        );
        assert_eq!(
            Tfidf::fit::<&str>(&config, &[]),
            Err(ClassicError::NoSamples)
        );
        let small = TfidfConfig {
            max_terms: 2,
            ..config.clone()
        };
        assert_eq!(
            Tfidf::fit(&small, &["aa bb", "aa bb"]),
            Err(ClassicError::VocabularyTooLarge { terms: 3, limit: 2 })
        );
        let zero = TfidfConfig {
            min_df: 0,
            ..config.clone()
        };
        assert!(matches!(
            Tfidf::fit(&zero, &["aa"]),
            Err(ClassicError::BadParameter { name: "min_df", .. })
        ));
        let range = TfidfConfig {
            analyzer: Analyzer::Word { min_n: 2, max_n: 1 },
            ..config
        };
        assert!(matches!(
            range.check(),
            Err(ClassicError::BadParameter { name: "max_n", .. })
        ));
    }

    #[test]
    fn loading_validates_the_parts() {
        let parts = |vocabulary: &[&str], idf: Vec<f64>| TfidfParts {
            config: TfidfConfig::word(),
            vocabulary: vocabulary.iter().map(|t| t.to_string()).collect(),
            idf,
            n_docs: 3,
        };
        assert!(Tfidf::try_from(parts(&["aa", "bb"], vec![1.0, 1.5])).is_ok());
        assert!(matches!(
            Tfidf::try_from(parts(&["bb", "aa"], vec![1.0, 1.5])),
            Err(ClassicError::BadParameter { .. })
        ));
        assert!(matches!(
            Tfidf::try_from(parts(&["aa"], vec![1.0, 1.5])),
            Err(ClassicError::LengthMismatch { .. })
        ));
        assert_eq!(
            Tfidf::try_from(parts(&["aa"], vec![f64::NAN])),
            Err(ClassicError::NonFinite)
        );
    }
}
