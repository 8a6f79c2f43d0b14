//! Choosing `C` on a validation split.

use crate::design::Design;
use crate::error::{ClassicError, Result, bad};
use crate::logistic::{FittedLogistic, LogisticConfig, LogisticRegression, check_labels};

/// The values of `C` tried by default: `4⁻⁸ … 4⁴` (1/65,536 … 256), a factor of 4 apart
/// around scikit-learn's default of 1. Shorter grids kept a `C` at one end on many tasks (the
/// largest on texts and with the RBF features; the smallest, 1/256, on standardised pixels for
/// 17 of 30 image tasks): a baseline held back by its grid would flatter what it is compared
/// with. Small values cost little (they converge in a few iterations).
pub const DEFAULT_C_GRID: [f64; 13] = [
    1.0 / 65536.0,
    1.0 / 16384.0,
    1.0 / 4096.0,
    1.0 / 1024.0,
    1.0 / 256.0,
    1.0 / 64.0,
    1.0 / 16.0,
    0.25,
    1.0,
    4.0,
    16.0,
    64.0,
    256.0,
];

/// Fits one model per `C` in `grid` (the other settings from `base`) on the training split and
/// keeps the one with the best validation accuracy, the first in grid order on ties.
///
/// Returns the chosen `C`, its model and its validation accuracy. Errors: an empty grid or a
/// bad `C` ([`ClassicError::BadParameter`]), and those of [`LogisticRegression::fit`] and
/// [`FittedLogistic::accuracy`]; validation labels are checked before any fit.
pub fn fit_best_c<D: Design + ?Sized>(
    grid: &[f64],
    base: &LogisticConfig,
    train: &D,
    train_labels: &[u32],
    valid: &D,
    valid_labels: &[u32],
    n_classes: usize,
) -> Result<(f64, FittedLogistic, f64)> {
    if grid.is_empty() {
        return Err(bad("c_grid", "[]", "needs at least one value"));
    }
    for &c in grid {
        LogisticConfig { c, ..base.clone() }.check()?;
    }
    if valid.n_rows() == 0 {
        return Err(ClassicError::NoSamples);
    }
    check_labels(valid_labels, valid.n_rows(), n_classes)?;
    let mut best: Option<(f64, FittedLogistic, f64)> = None;
    let mut previous: Option<FittedLogistic> = None;
    for &c in grid {
        // Warm-started from the previous C's optimum: the same optimum, far fewer iterations.
        let fit = LogisticRegression::fit_from(
            &LogisticConfig { c, ..base.clone() },
            train,
            train_labels,
            n_classes,
            previous.as_ref(),
        )?;
        let acc = fit.accuracy(valid, valid_labels)?;
        if best.as_ref().is_none_or(|b| acc > b.2) {
            best = Some((c, fit.clone(), acc));
        }
        previous = Some(fit);
    }
    best.ok_or(ClassicError::NoSamples)
}
