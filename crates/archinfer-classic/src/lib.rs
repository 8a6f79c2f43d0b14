//! # archinfer-classic
//!
//! The classic models a user would fit instead of a neural network, the `classic-*` baselines
//! of `evaluate compare`: TF-IDF (word or character n-grams) or pixels (standardised, or
//! mapped by random Fourier features of an RBF kernel) under an L2-regularised logistic
//! regression whose `C` is chosen on the validation split. Each step replicates the definition
//! of its scikit-learn counterpart, so that a peer script can check the accuracies.
//!
//! ```
//! use archinfer_classic::{ClassicKind, ClassicOptions, run_text};
//!
//! let train = ["good fine film", "bad awful film", "good good plot", "awful bad plot",
//!              "fine good acting", "bad awful acting"];
//! let train_y = [1, 0, 1, 0, 1, 0];
//! let valid = ["good film", "awful plot"];
//! let test = ["fine acting good", "bad film awful"];
//! let score = run_text(
//!     ClassicKind::TfidfWord,
//!     &train, &train_y,
//!     &valid, &[1, 0],
//!     &test, &[1, 0],
//!     2,
//!     &ClassicOptions::default(),
//! )?;
//! assert_eq!(score.kind_name, "tfidf-word-lr");
//! assert_eq!(score.test, 1.0);
//! # Ok::<(), archinfer_classic::ClassicError>(())
//! ```
//!
//! ## Pieces
//!
//! * [`Tfidf`]: scikit-learn's `TfidfVectorizer` (lower case, `min_df`, sublinear tf, smooth
//!   idf, L2 rows) with the `word` or `char_wb` analyzer, into a sparse [`Csr`] matrix;
//! * [`Standardizer`]: `StandardScaler`; [`RbfSampler`] and [`gamma_scale`]: `RBFSampler`
//!   with SVC's `gamma='scale'`;
//! * [`LogisticRegression`]: `LogisticRegression(solver='lbfgs')`'s objective and stopping
//!   rules on any [`Design`], sparse or [`Dense`]; [`fit_best_c`] picks `C`.
//!
//! ## Why a solver of our own
//!
//! `linfa-logistic` takes dense `ndarray` matrices only. A TF-IDF design of 10⁴ documents by
//! 10⁵ terms is 4 GB dense in `f32` (8 GB in `f64`) but a few tens of MB sparse, so the
//! logistic regression here runs on a [`Design`] trait with a CSR implementation, minimised by
//! a compact L-BFGS (see the `lbfgs` module for why not `argmin`).
//!
//! ## Determinism
//!
//! Hash maps only count integers; every floating-point sum runs in a fixed order (sorted
//! columns, rows in order), and the parallel loops give each thread disjoint outputs. Every
//! result is bit-identical across runs, processes and thread counts. Random features come
//! from a seeded [`rand::rngs::StdRng`].
//!
//! ## Known differences from scikit-learn
//!
//! * Python's `\w` (letters and numbers by general category) is approximated by
//!   [`char::is_alphanumeric`], which also admits Unicode's `Other_Alphabetic` marks (Indic
//!   vowel signs and the like); ASCII and Latin text tokenise identically.
//! * Features are stored as `f32` (scikit-learn's TF-IDF keeps `float64`); the solver works
//!   in `f64`.
//! * The RBF features draw from `StdRng`, not NumPy's generator: equal in distribution, not in
//!   value.

mod analyzer;
mod design;
mod error;
mod lbfgs;
mod logistic;
mod rbf;
mod scale;
mod select;
mod sparse;
mod tfidf;

pub use design::{Dense, Design};
pub use error::{ClassicError, Result};
pub use logistic::{FittedLogistic, LogisticConfig, LogisticRegression};
pub use rbf::{RbfSampler, gamma_scale};
pub use scale::Standardizer;
pub use select::{DEFAULT_C_GRID, fit_best_c};
pub use sparse::Csr;
pub use tfidf::{Analyzer, Tfidf, TfidfConfig};

use serde::{Deserialize, Serialize};

use error::{bad, same_len};
use logistic::check_labels;

/// A classic baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClassicKind {
    /// Word 1- and 2-gram TF-IDF, then logistic regression.
    TfidfWord,
    /// Character 2- to 5-gram (within words) TF-IDF, then logistic regression.
    TfidfChar,
    /// Standardised pixels, then logistic regression.
    PixelsLogistic,
    /// Random Fourier features of the RBF kernel (SVC's `gamma='scale'` on the raw pixels),
    /// then logistic regression.
    PixelsRbf,
    /// A table's standardised numbers, one-hot categories and missing indicators (the
    /// `tab-std` module), standardised again, then logistic regression.
    OneHotLogistic,
}

impl ClassicKind {
    /// The baselines for text tasks.
    pub const TEXT: [ClassicKind; 2] = [ClassicKind::TfidfWord, ClassicKind::TfidfChar];
    /// The baselines for image (or other dense-feature) tasks.
    pub const IMAGE: [ClassicKind; 2] = [ClassicKind::PixelsLogistic, ClassicKind::PixelsRbf];
    /// The baselines for tables (a gradient-boosted trees default runs in the scikit-learn peer).
    pub const TABLE: [ClassicKind; 1] = [ClassicKind::OneHotLogistic];
    /// Every baseline.
    pub const ALL: [ClassicKind; 5] = [
        ClassicKind::TfidfWord,
        ClassicKind::TfidfChar,
        ClassicKind::PixelsLogistic,
        ClassicKind::PixelsRbf,
        ClassicKind::OneHotLogistic,
    ];

    /// The short name: `tfidf-word-lr`, `tfidf-char-lr`, `pixels-lr` or `pixels-rbf-lr`.
    pub fn name(&self) -> &'static str {
        match self {
            ClassicKind::TfidfWord => "tfidf-word-lr",
            ClassicKind::TfidfChar => "tfidf-char-lr",
            ClassicKind::PixelsLogistic => "pixels-lr",
            ClassicKind::PixelsRbf => "pixels-rbf-lr",
            ClassicKind::OneHotLogistic => "onehot-lr",
        }
    }

    /// The kind of a [`ClassicKind::name`].
    pub fn from_name(name: &str) -> Option<ClassicKind> {
        ClassicKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether it reads texts (else dense rows).
    pub fn reads_text(&self) -> bool {
        matches!(self, ClassicKind::TfidfWord | ClassicKind::TfidfChar)
    }
}

impl std::fmt::Display for ClassicKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings shared by the baselines. Missing fields read as their defaults. The logistic
/// regression uses every available thread; results do not depend on their number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassicOptions {
    /// The values of `C` tried (default [`DEFAULT_C_GRID`]).
    pub c_grid: Vec<f64>,
    /// The number of random Fourier features `D` (default 2048).
    pub rbf_components: usize,
    /// The seed of the random Fourier features (default 0).
    pub seed: u64,
    /// The most L-BFGS iterations of one fit (default 1000).
    pub max_iter: usize,
    /// The gradient tolerance of the logistic regression (default 1e-4).
    pub tol: f64,
    /// The largest TF-IDF vocabulary allowed (default 2 000 000).
    pub max_terms: usize,
    /// The TF-IDF minimum document frequency (default 2).
    pub min_df: usize,
    /// Sublinear TF-IDF term frequencies (default true).
    pub sublinear_tf: bool,
}

impl Default for ClassicOptions {
    fn default() -> Self {
        ClassicOptions {
            c_grid: DEFAULT_C_GRID.to_vec(),
            rbf_components: 2048,
            seed: 0,
            max_iter: 1000,
            tol: 1e-4,
            max_terms: 2_000_000,
            min_df: 2,
            sublinear_tf: true,
        }
    }
}

impl ClassicOptions {
    /// The logistic regression settings (with `C` = 1; the grid sets it).
    pub fn logistic(&self) -> LogisticConfig {
        LogisticConfig {
            c: 1.0,
            max_iter: self.max_iter,
            tol: self.tol,
            threads: 0,
        }
    }

    /// The TF-IDF settings for `analyzer`.
    pub fn tfidf(&self, analyzer: Analyzer) -> TfidfConfig {
        TfidfConfig {
            analyzer,
            min_df: self.min_df,
            sublinear_tf: self.sublinear_tf,
            max_terms: self.max_terms,
        }
    }

    /// Checks every setting.
    pub fn check(&self) -> Result<()> {
        if self.c_grid.is_empty() {
            return Err(bad("c_grid", "[]", "needs at least one value"));
        }
        for &c in &self.c_grid {
            LogisticConfig {
                c,
                ..self.logistic()
            }
            .check()?;
        }
        if self.rbf_components == 0 {
            return Err(bad(
                "rbf_components",
                self.rbf_components,
                "must be positive",
            ));
        }
        self.tfidf(Analyzer::WORD).check()
    }
}

/// The score of one baseline on one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassicScore {
    /// [`ClassicKind::name`].
    pub kind_name: String,
    /// The `C` chosen on the validation split.
    pub c: f64,
    /// Validation accuracy at that `C`.
    pub valid: f64,
    /// Test accuracy at that `C`.
    pub test: f64,
    /// The number of features the logistic regression saw.
    pub features: usize,
    /// L-BFGS iterations of the chosen fit.
    pub n_iter: usize,
    /// Whether the chosen fit met a stopping rule before `max_iter`.
    pub converged: bool,
}

fn wrong_kind(kind: ClassicKind, why: &'static str) -> ClassicError {
    bad("kind", kind.name(), why)
}

/// Chooses `C` on `valid` and scores `test`, for designs already built.
fn select_and_score<D: Design>(
    kind: ClassicKind,
    train: (&D, &[u32]),
    valid: (&D, &[u32]),
    test: (&D, &[u32]),
    n_classes: usize,
    options: &ClassicOptions,
) -> Result<ClassicScore> {
    let (c, fit, valid_acc) = fit_best_c(
        &options.c_grid,
        &options.logistic(),
        train.0,
        train.1,
        valid.0,
        valid.1,
        n_classes,
    )?;
    let test_acc = fit.accuracy(test.0, test.1)?;
    Ok(ClassicScore {
        kind_name: kind.name().to_owned(),
        c,
        valid: valid_acc,
        test: test_acc,
        features: train.0.n_cols(),
        n_iter: fit.n_iter(),
        converged: fit.converged(),
    })
}

/// Checks the three splits' labels and that none is empty.
fn check_splits(rows: [usize; 3], labels: [&[u32]; 3], n_classes: usize) -> Result<()> {
    for (n, y) in rows.into_iter().zip(labels) {
        if n == 0 {
            return Err(ClassicError::NoSamples);
        }
        check_labels(y, n, n_classes)?;
    }
    Ok(())
}

/// Runs a text baseline ([`ClassicKind::TEXT`]): TF-IDF fitted on the training texts, a
/// logistic regression per `C` of the grid, `C` chosen by validation accuracy, then the test
/// accuracy of that model.
///
/// Errors: a dense kind ([`ClassicError::BadParameter`]); an empty split
/// ([`ClassicError::NoSamples`]); labels not matching their texts
/// ([`ClassicError::LengthMismatch`]) or not below `n_classes` ([`ClassicError::BadLabel`]);
/// the TF-IDF and fitting errors.
#[allow(clippy::too_many_arguments)]
pub fn run_text<S: AsRef<str> + Sync>(
    kind: ClassicKind,
    train_texts: &[S],
    train_y: &[u32],
    valid_texts: &[S],
    valid_y: &[u32],
    test_texts: &[S],
    test_y: &[u32],
    n_classes: usize,
    options: &ClassicOptions,
) -> Result<ClassicScore> {
    let analyzer = match kind {
        ClassicKind::TfidfWord => Analyzer::WORD,
        ClassicKind::TfidfChar => Analyzer::CHAR_WB,
        _ => {
            return Err(wrong_kind(
                kind,
                "run_text takes a text kind (ClassicKind::TEXT)",
            ));
        }
    };
    options.check()?;
    check_splits(
        [train_texts.len(), valid_texts.len(), test_texts.len()],
        [train_y, valid_y, test_y],
        n_classes,
    )?;
    let (tfidf, x_train) = Tfidf::fit_transform(&options.tfidf(analyzer), train_texts)?;
    let x_valid = tfidf.transform(valid_texts);
    let x_test = tfidf.transform(test_texts);
    select_and_score(
        kind,
        (&x_train, train_y),
        (&x_valid, valid_y),
        (&x_test, test_y),
        n_classes,
        options,
    )
}

/// Runs a dense baseline ([`ClassicKind::IMAGE`]) on row-major rows of `n_features` values:
/// a [`Standardizer`] fitted on the training rows (`pixels-lr`), or random Fourier features
/// with [`gamma_scale`] of the raw training rows (`pixels-rbf-lr`), then a logistic regression
/// per `C`, chosen by validation accuracy, and the test accuracy of that model.
///
/// Errors: a text kind ([`ClassicError::BadParameter`]); an empty split
/// ([`ClassicError::NoSamples`]); a split whose values are not `n_features` per label
/// ([`ClassicError::LengthMismatch`]); a label not below `n_classes`; a NaN or infinite value;
/// the fitting errors.
#[allow(clippy::too_many_arguments)]
pub fn run_dense(
    kind: ClassicKind,
    n_features: usize,
    train_rows: &[f32],
    train_y: &[u32],
    valid_rows: &[f32],
    valid_y: &[u32],
    test_rows: &[f32],
    test_y: &[u32],
    n_classes: usize,
    options: &ClassicOptions,
) -> Result<ClassicScore> {
    if kind.reads_text() {
        return Err(wrong_kind(
            kind,
            "run_dense takes a dense kind (ClassicKind::IMAGE)",
        ));
    }
    options.check()?;
    if n_features == 0 {
        return Err(bad("n_features", n_features, "must be positive"));
    }
    let splits = [
        (train_rows, train_y, "training values"),
        (valid_rows, valid_y, "validation values"),
        (test_rows, test_y, "test values"),
    ];
    for (rows, y, what) in splits {
        same_len(what, y.len() * n_features, rows.len())?;
    }
    check_splits(
        [train_y.len(), valid_y.len(), test_y.len()],
        [train_y, valid_y, test_y],
        n_classes,
    )?;
    let dense = |rows: &[f32]| -> Result<Dense> {
        if rows.iter().any(|v| !v.is_finite()) {
            return Err(ClassicError::NonFinite);
        }
        Dense::new(rows.to_vec(), n_features)
    };
    let (raw_train, raw_valid, raw_test) =
        (dense(train_rows)?, dense(valid_rows)?, dense(test_rows)?);
    let (x_train, x_valid, x_test) = match kind {
        ClassicKind::PixelsLogistic | ClassicKind::OneHotLogistic => {
            let scaler = Standardizer::fit(&raw_train)?;
            (
                scaler.transform(&raw_train)?,
                scaler.transform(&raw_valid)?,
                scaler.transform(&raw_test)?,
            )
        }
        _ => {
            let gamma = gamma_scale(&raw_train)?;
            let map = RbfSampler::fit(n_features, gamma, options.rbf_components, options.seed)?;
            (
                map.transform(&raw_train)?,
                map.transform(&raw_valid)?,
                map.transform(&raw_test)?,
            )
        }
    };
    select_and_score(
        kind,
        (&x_train, train_y),
        (&x_valid, valid_y),
        (&x_test, test_y),
        n_classes,
        options,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ClassicKind::ALL {
            assert_eq!(ClassicKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(
            ClassicKind::TEXT.map(|k| k.name()),
            ["tfidf-word-lr", "tfidf-char-lr"]
        );
        assert_eq!(
            ClassicKind::IMAGE.map(|k| k.name()),
            ["pixels-lr", "pixels-rbf-lr"]
        );
        assert!(ClassicKind::from_name("nope").is_none());
    }

    #[test]
    fn wrong_inputs() {
        let o = ClassicOptions::default();
        let t = ["aa bb", "aa cc"];
        let y = [0, 1];
        assert!(matches!(
            run_text(ClassicKind::PixelsRbf, &t, &y, &t, &y, &t, &y, 2, &o),
            Err(ClassicError::BadParameter { .. })
        ));
        assert_eq!(
            run_text(ClassicKind::TfidfWord, &t, &y, &t, &[0, 2], &t, &y, 2, &o),
            Err(ClassicError::BadLabel {
                label: 2,
                classes: 2
            })
        );
        assert!(matches!(
            run_text(ClassicKind::TfidfWord, &t, &y, &t, &[0], &t, &y, 2, &o),
            Err(ClassicError::LengthMismatch { .. })
        ));
        let r = [0.0f32, 1.0, 1.0, 0.0];
        assert!(matches!(
            run_dense(ClassicKind::TfidfChar, 2, &r, &y, &r, &y, &r, &y, 2, &o),
            Err(ClassicError::BadParameter { .. })
        ));
        assert!(matches!(
            run_dense(
                ClassicKind::PixelsLogistic,
                3,
                &r,
                &y,
                &r,
                &y,
                &r,
                &y,
                2,
                &o
            ),
            Err(ClassicError::LengthMismatch { .. })
        ));
        let no_grid = ClassicOptions {
            c_grid: vec![],
            ..o.clone()
        };
        assert!(matches!(
            run_dense(
                ClassicKind::PixelsLogistic,
                2,
                &r,
                &y,
                &r,
                &y,
                &r,
                &y,
                2,
                &no_grid
            ),
            Err(ClassicError::BadParameter { .. })
        ));
        let nan = [f32::NAN, 1.0, 1.0, 0.0];
        assert_eq!(
            run_dense(ClassicKind::PixelsRbf, 2, &nan, &y, &r, &y, &r, &y, 2, &o),
            Err(ClassicError::NonFinite)
        );
        assert_eq!(
            run_dense(ClassicKind::PixelsRbf, 2, &r, &y, &[], &[], &r, &y, 2, &o),
            Err(ClassicError::NoSamples)
        );
    }

    #[test]
    fn fitted_types_are_serde() {
        fn assert_serde<T: Serialize + for<'de> Deserialize<'de>>() {}
        assert_serde::<Tfidf>();
        assert_serde::<Standardizer>();
        assert_serde::<RbfSampler>();
        assert_serde::<FittedLogistic>();
        assert_serde::<ClassicOptions>();
        assert_serde::<ClassicScore>();
        assert_serde::<TfidfConfig>();
        assert_serde::<LogisticConfig>();
    }
}
