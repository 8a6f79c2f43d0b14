//! L2-regularised logistic regression with scikit-learn's
//! `LogisticRegression(C=c, solver='lbfgs', tol=1e-4, max_iter=...)` objective, on any
//! [`Design`], sparse or dense.
//!
//! With `K` classes and `n` samples, the model minimised is scikit-learn's, scaled as
//! scikit-learn ≥ 1.1 scales it before handing it to L-BFGS (the minimiser is the same):
//!
//! * `K > 2`, multinomial: `(1/n) Σ_i CE(y_i, softmax(W x_i + b)) + ‖W‖² / (2 C n)` with one
//!   weight vector and one intercept per class;
//! * `K == 2`, binomial: `(1/n) Σ_i ln(1 + exp(-y_i (w·x_i + b))) + ‖w‖² / (2 C n)` with one
//!   weight vector, `y_i = +1` for class 1 and `-1` for class 0.
//!
//! Intercepts are not penalised. The start is all zeros, and the stopping rules are SciPy's for
//! scikit-learn: every gradient entry at most `tol`, or a relative reduction of the objective
//! of at most `64 ε`, or `max_iter` iterations (see [`crate::lbfgs`] for the minimiser).
//!
//! Each objective evaluation runs in two parallel passes on `std::thread::scope` threads: the
//! rows (each row's scores, loss and residual on its own), then blocks of columns (each
//! gradient entry summed over the rows in row order). No floating-point sum depends on which
//! thread did what, so a fit is bit-identical for every thread count and every run.

use serde::{Deserialize, Serialize};

use crate::design::{Design, for_each_parallel, row_blocks, thread_count};
use crate::error::{ClassicError, Result, bad, same_len};
use crate::lbfgs;

/// Settings of a logistic regression fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticConfig {
    /// The inverse regularisation strength `C` (default 1; positive and finite).
    pub c: f64,
    /// The most L-BFGS iterations (default 1000; at least 1).
    pub max_iter: usize,
    /// Stop when every entry of the (scaled) objective's gradient is at most this in absolute
    /// value (default 1e-4, scikit-learn's `tol`; finite, at least 0).
    pub tol: f64,
    /// Worker threads; 0 (default) takes the machine's available parallelism. Results do not
    /// depend on it.
    pub threads: usize,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        LogisticConfig {
            c: 1.0,
            max_iter: 1000,
            tol: 1e-4,
            threads: 0,
        }
    }
}

impl LogisticConfig {
    /// Checks the settings: `C > 0` finite, `max_iter >= 1`, `tol >= 0` finite.
    pub fn check(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(bad("C", self.c, "must be positive and finite"));
        }
        if self.max_iter == 0 {
            return Err(bad("max_iter", self.max_iter, "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(bad("tol", self.tol, "must be finite and not negative"));
        }
        Ok(())
    }
}

/// The fitting entry point.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogisticRegression;

/// Checks `n_classes >= 2` and that `labels` has one label below `n_classes` per row.
pub(crate) fn check_labels(labels: &[u32], rows: usize, n_classes: usize) -> Result<()> {
    if n_classes < 2 {
        return Err(bad("n_classes", n_classes, "needs at least 2 classes"));
    }
    same_len("labels against rows", rows, labels.len())?;
    match labels.iter().find(|&&l| l as usize >= n_classes) {
        Some(&label) => Err(ClassicError::BadLabel {
            label,
            classes: n_classes,
        }),
        None => Ok(()),
    }
}

impl LogisticRegression {
    /// Fits the model to `design` and `labels` (each below `n_classes`).
    ///
    /// Errors: [`LogisticConfig::check`]; [`ClassicError::NoSamples`] on zero rows;
    /// [`ClassicError::LengthMismatch`] when the labels do not match the rows;
    /// [`ClassicError::BadLabel`]; [`ClassicError::NonFinite`] on a NaN or infinite feature;
    /// [`ClassicError::BadParameter`] for fewer than 2 classes.
    pub fn fit<D: Design + ?Sized>(
        config: &LogisticConfig,
        design: &D,
        labels: &[u32],
        n_classes: usize,
    ) -> Result<FittedLogistic> {
        Self::fit_from(config, design, labels, n_classes, None)
    }

    /// As [`fit`](Self::fit), the solver started from `start`'s parameters (a fit of the same
    /// shape at another `C`) instead of zero. The objective is strictly convex, so the optimum
    /// is the same; along a grid of `C` it is reached in far fewer iterations. A `start` of
    /// another shape is ignored.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_from<D: Design + ?Sized>(
        config: &LogisticConfig,
        design: &D,
        labels: &[u32],
        n_classes: usize,
        start: Option<&FittedLogistic>,
    ) -> Result<FittedLogistic> {
        config.check()?;
        let n = design.n_rows();
        if n == 0 {
            return Err(ClassicError::NoSamples);
        }
        check_labels(labels, n, n_classes)?;
        if !design.all_finite() {
            return Err(ClassicError::NonFinite);
        }
        let d = design.n_cols();
        let k = if n_classes == 2 { 1 } else { n_classes };
        let mut problem = Objective::new(design, labels, k, config.c, thread_count(config.threads));
        let options = lbfgs::Options {
            m: 10,
            max_iter: config.max_iter,
            gtol: config.tol,
            ftol: 64.0 * f64::EPSILON,
            max_ls: 50,
        };
        let out = lbfgs::minimize(
            |w, g| problem.value_grad(w, g),
            match start {
                Some(f) if f.n_features == d && f.n_classes == n_classes && f.weights.len() == d * k && f.intercepts.len() == k => {
                    f.weights.iter().chain(&f.intercepts).copied().collect()
                }
                _ => vec![0.0; (d + 1) * k],
            },
            options,
        );
        let mut weights = out.x;
        let intercepts = weights.split_off(d * k);
        Ok(FittedLogistic {
            n_classes,
            n_features: d,
            weights,
            intercepts,
            n_iter: out.n_iter,
            converged: out.converged,
            objective: out.f,
        })
    }
}

/// `ln(1 + e^t)` without overflow.
fn log1p_exp(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// The logistic function without overflow.
fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// The scaled objective and its gradient over the parameters `[W (d × k, feature-major); b (k)]`.
pub(crate) struct Objective<'a, D: Design + ?Sized> {
    x: &'a D,
    labels: &'a [u32],
    k: usize,
    /// `1 / (C n)`.
    reg: f64,
    threads: usize,
    /// Per row, `∂ loss_i / ∂ z_i` (`n × k`).
    residual: Vec<f64>,
    /// Per row, its loss.
    losses: Vec<f64>,
}

impl<'a, D: Design + ?Sized> Objective<'a, D> {
    pub(crate) fn new(x: &'a D, labels: &'a [u32], k: usize, c: f64, threads: usize) -> Self {
        let n = x.n_rows();
        Objective {
            x,
            labels,
            k,
            reg: 1.0 / (c * n as f64),
            threads,
            residual: vec![0.0; n * k],
            losses: vec![0.0; n],
        }
    }

    /// The objective at `params`, its gradient written into `grad`.
    pub(crate) fn value_grad(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        let (n, d, k) = (self.x.n_rows(), self.x.n_cols(), self.k);
        let (w, b) = params.split_at(d * k);
        let (x, labels, threads) = (self.x, self.labels, self.threads);
        // Rows: scores, loss and residual of each.
        let parts = threads.saturating_mul(4);
        let items: Vec<_> = row_blocks(&mut self.residual, n, k, parts)
            .into_iter()
            .zip(row_blocks(&mut self.losses, n, 1, parts))
            .map(|((r, res), (_, loss))| (r, res, loss))
            .collect();
        for_each_parallel(
            items,
            threads,
            |(range, res, loss): (std::ops::Range<usize>, &mut [f64], &mut [f64])| {
                for ((i, z), l) in range.zip(res.chunks_exact_mut(k)).zip(loss.iter_mut()) {
                    x.row_dots(i, w, z);
                    z.iter_mut().zip(b).for_each(|(zc, bc)| *zc += bc);
                    let y = labels[i] as usize;
                    if k == 1 {
                        let t = z[0];
                        let (sign, target) = if y == 1 { (1.0, 1.0) } else { (-1.0, 0.0) };
                        *l = log1p_exp(-sign * t);
                        z[0] = sigmoid(t) - target;
                    } else {
                        let m = z.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v));
                        let lse = m + z.iter().map(|&v| (v - m).exp()).sum::<f64>().ln();
                        *l = lse - z[y];
                        z.iter_mut().for_each(|v| *v = (*v - lse).exp());
                        z[y] -= 1.0;
                    }
                }
            },
        );
        let inv_n = 1.0 / n as f64;
        let loss_sum: f64 = self.losses.iter().sum();
        let w_sq: f64 = w.iter().map(|v| v * v).sum();
        let value = loss_sum * inv_n + 0.5 * self.reg * w_sq;
        // Columns: the gradient of each weight, summed over the rows in row order.
        let (gw, gb) = grad.split_at_mut(d * k);
        gw.fill(0.0);
        let residual = &self.residual;
        let items = row_blocks(gw, d, k, threads.saturating_mul(4));
        for_each_parallel(
            items,
            threads,
            |(cols, block): (std::ops::Range<usize>, &mut [f64])| {
                for (i, r) in residual.chunks_exact(k).enumerate() {
                    x.add_row(i, cols.clone(), r, block);
                }
            },
        );
        gw.iter_mut()
            .zip(w)
            .for_each(|(g, wj)| *g = *g * inv_n + self.reg * wj);
        gb.fill(0.0);
        for r in residual.chunks_exact(k) {
            gb.iter_mut().zip(r).for_each(|(g, rc)| *g += rc);
        }
        gb.iter_mut().for_each(|g| *g *= inv_n);
        value
    }
}

/// A fitted logistic regression. Saved and loaded with serde; loading validates the parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FittedParts")]
pub struct FittedLogistic {
    n_classes: usize,
    n_features: usize,
    /// `n_features × k`, feature-major; `k = 1` for two classes, `n_classes` otherwise.
    weights: Vec<f64>,
    intercepts: Vec<f64>,
    n_iter: usize,
    converged: bool,
    objective: f64,
}

/// The unvalidated form a [`FittedLogistic`] is read from.
#[derive(Deserialize)]
struct FittedParts {
    n_classes: usize,
    n_features: usize,
    weights: Vec<f64>,
    intercepts: Vec<f64>,
    n_iter: usize,
    converged: bool,
    objective: f64,
}

impl TryFrom<FittedParts> for FittedLogistic {
    type Error = ClassicError;

    fn try_from(p: FittedParts) -> Result<FittedLogistic> {
        if p.n_classes < 2 {
            return Err(bad("n_classes", p.n_classes, "needs at least 2 classes"));
        }
        let k = if p.n_classes == 2 { 1 } else { p.n_classes };
        same_len("weights", p.n_features * k, p.weights.len())?;
        same_len("intercepts", k, p.intercepts.len())?;
        if p.weights
            .iter()
            .chain(&p.intercepts)
            .any(|v| !v.is_finite())
        {
            return Err(ClassicError::NonFinite);
        }
        Ok(FittedLogistic {
            n_classes: p.n_classes,
            n_features: p.n_features,
            weights: p.weights,
            intercepts: p.intercepts,
            n_iter: p.n_iter,
            converged: p.converged,
            objective: p.objective,
        })
    }
}

impl FittedLogistic {
    fn k(&self) -> usize {
        self.intercepts.len()
    }

    /// The scores of each row of `design`: for two classes one value per row, `w·x + b`
    /// (positive means class 1); otherwise `n_classes` values per row, row-major.
    ///
    /// Errors: [`ClassicError::LengthMismatch`] when the column count differs from the fit's.
    pub fn decision<D: Design + ?Sized>(&self, design: &D) -> Result<Vec<f64>> {
        same_len("design columns", self.n_features, design.n_cols())?;
        let k = self.k();
        let mut out = vec![0.0; design.n_rows() * k];
        for (i, z) in out.chunks_exact_mut(k).enumerate() {
            design.row_dots(i, &self.weights, z);
            z.iter_mut()
                .zip(&self.intercepts)
                .for_each(|(zc, bc)| *zc += bc);
        }
        Ok(out)
    }

    /// The predicted class of each row: for two classes 1 where the score is positive, else the
    /// class of the largest score (the first on ties), as scikit-learn predicts.
    pub fn predict<D: Design + ?Sized>(&self, design: &D) -> Result<Vec<u32>> {
        let k = self.k();
        let scores = self.decision(design)?;
        Ok(scores
            .chunks_exact(k)
            .map(|z| {
                if k == 1 {
                    u32::from(z[0] > 0.0)
                } else {
                    let mut best = 0;
                    for (c, &v) in z.iter().enumerate() {
                        if v > z[best] {
                            best = c;
                        }
                    }
                    best as u32
                }
            })
            .collect())
    }

    /// The fraction of rows whose predicted class is their label.
    ///
    /// Errors: those of [`FittedLogistic::predict`]; [`ClassicError::NoSamples`] on zero rows;
    /// [`ClassicError::LengthMismatch`] when the labels do not match the rows.
    pub fn accuracy<D: Design + ?Sized>(&self, design: &D, labels: &[u32]) -> Result<f64> {
        same_len("labels against rows", design.n_rows(), labels.len())?;
        if labels.is_empty() {
            return Err(ClassicError::NoSamples);
        }
        let predicted = self.predict(design)?;
        let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
        Ok(right as f64 / labels.len() as f64)
    }

    /// The number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// The number of features (design columns).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The weights, feature-major: `weights()[j * k + c]` for feature `j` and score `c`, with
    /// `k = 1` for two classes and `n_classes` otherwise.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The intercepts (`k` of them).
    pub fn intercepts(&self) -> &[f64] {
        &self.intercepts
    }

    /// The L-BFGS iterations done.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether a stopping rule was met before `max_iter` (scikit-learn warns otherwise).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The scaled objective at the solution (see the module documentation).
    pub fn objective(&self) -> f64 {
        self.objective
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::Dense;
    use crate::sparse::Csr;

    fn tiny() -> (Vec<f32>, usize) {
        (
            vec![
                0.5, 0.0, -1.0, 0.0, 2.0, 0.25, 1.5, -0.5, 0.0, 0.0, 0.0, 1.0, -2.0, 1.0, 0.5,
            ],
            3,
        )
    }

    fn check_gradient<D: Design>(design: &D, labels: &[u32], k: usize) {
        let p = (design.n_cols() + 1) * k;
        let params: Vec<f64> = (0..p).map(|v| 0.3 * (v as f64 * 1.7).sin()).collect();
        let mut obj = Objective::new(design, labels, k, 0.7, 2);
        let mut grad = vec![0.0; p];
        obj.value_grad(&params, &mut grad);
        let mut scratch = vec![0.0; p];
        let h = 1e-6;
        for j in 0..p {
            let (mut up, mut down) = (params.clone(), params.clone());
            up[j] += h;
            down[j] -= h;
            let numeric = (obj.value_grad(&up, &mut scratch) - obj.value_grad(&down, &mut scratch))
                / (2.0 * h);
            assert!(
                (numeric - grad[j]).abs() < 1e-7,
                "k {k} param {j}: {numeric} vs {}",
                grad[j]
            );
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (data, d) = tiny();
        let dense = Dense::new(data.clone(), d).expect("valid");
        let sparse = Csr::from_dense(&data, d).expect("valid");
        let binary = [0, 1, 1, 0, 1];
        let multi = [0, 2, 1, 2, 0];
        check_gradient(&dense, &binary, 1);
        check_gradient(&sparse, &binary, 1);
        check_gradient(&dense, &multi, 3);
        check_gradient(&sparse, &multi, 3);
    }

    #[test]
    fn same_bits_for_any_thread_count() {
        let (data, d) = tiny();
        let sparse = Csr::from_dense(&data, d).expect("valid");
        let labels = [0, 2, 1, 2, 0];
        let fit = |threads| {
            let config = LogisticConfig {
                threads,
                ..LogisticConfig::default()
            };
            LogisticRegression::fit(&config, &sparse, &labels, 3).expect("fits")
        };
        let (one, two, three) = (fit(1), fit(2), fit(3));
        assert_eq!(one, two);
        assert_eq!(one, three);
    }

    #[test]
    fn separable_data() {
        // Class 1 iff x0 > x1, with a margin.
        let mut data = Vec::new();
        let mut labels = Vec::new();
        for i in 0..40 {
            let a = (i as f32 * 0.37).sin() * 2.0;
            let b = (i as f32 * 0.91).cos() * 2.0;
            let shift = if i % 2 == 0 { 0.5 } else { -0.5 };
            data.extend([a + shift, a - shift, b]);
            labels.push(u32::from(i % 2 == 0));
        }
        let x = Dense::new(data, 3).expect("valid");
        let config = LogisticConfig {
            c: 100.0,
            ..LogisticConfig::default()
        };
        let fit = LogisticRegression::fit(&config, &x, &labels, 2).expect("fits");
        assert!(fit.converged(), "{fit:?}");
        assert_eq!(fit.accuracy(&x, &labels), Ok(1.0));
        let w = fit.weights();
        assert!(w[0] > 0.0 && w[1] < 0.0, "{w:?}");
    }

    #[test]
    fn optimum_has_zero_gradient() {
        // At the solution the full (unscaled) stationarity condition holds: C Σ r_i x_i + w = 0.
        let (data, d) = tiny();
        let x = Dense::new(data, d).expect("valid");
        let labels = [0, 2, 1, 2, 0];
        let config = LogisticConfig {
            tol: 1e-10,
            ..LogisticConfig::default()
        };
        let fit = LogisticRegression::fit(&config, &x, &labels, 3).expect("fits");
        assert!(fit.converged());
        let mut params = fit.weights().to_vec();
        params.extend(fit.intercepts());
        let mut obj = Objective::new(&x, &labels, 3, 1.0, 1);
        let mut grad = vec![0.0; params.len()];
        obj.value_grad(&params, &mut grad);
        assert!(grad.iter().all(|g| g.abs() <= 1e-7), "{grad:?}");
        // Multinomial: the intercept gradient is Σ_i (p_i - onehot_i) = 0, so the mean predicted
        // probability of each class is its frequency.
    }

    #[test]
    fn a_warm_start_reaches_the_same_optimum_in_fewer_iterations() {
        // 120 noisy rows of 6 features, 3 classes: large enough that the path matters.
        let d = 6;
        let data: Vec<f32> = (0..120 * d).map(|i| ((i as f32 * 0.731).sin() * 1.9 + (i as f32 * 0.17).cos()) * 1.3).collect();
        let labels: Vec<u32> = (0..120).map(|r| u32::from(data[r * d] + data[r * d + 1] > 0.0) + u32::from(data[r * d + 2] > 0.8)).collect();
        let x = Dense::new(data, d).expect("valid");
        let at = |c| LogisticConfig { c, tol: 1e-9, ..LogisticConfig::default() };
        let small = LogisticRegression::fit(&at(4.0), &x, &labels, 3).expect("fits");
        let cold = LogisticRegression::fit(&at(16.0), &x, &labels, 3).expect("fits");
        let warm = LogisticRegression::fit_from(&at(16.0), &x, &labels, 3, Some(&small)).expect("fits");
        assert!(cold.converged() && warm.converged());
        assert!(warm.n_iter() < cold.n_iter(), "warm {} cold {}", warm.n_iter(), cold.n_iter());
        for (a, b) in cold.weights().iter().zip(warm.weights()) {
            assert!((a - b).abs() < 1e-5 * (1.0 + a.abs()), "{a} vs {b}");
        }
        // A start of another shape is ignored: the cold fit, bit for bit.
        let two: Vec<u32> = labels.iter().map(|&l| l % 2).collect();
        let other = LogisticRegression::fit(&at(0.5), &x, &two, 2).expect("fits");
        assert_eq!(LogisticRegression::fit_from(&at(16.0), &x, &labels, 3, Some(&other)), Ok(cold));
    }

    #[test]
    fn rejects_bad_input() {
        let (data, d) = tiny();
        let x = Dense::new(data, d).expect("valid");
        let c = LogisticConfig::default();
        assert_eq!(
            LogisticRegression::fit(&c, &x, &[0, 1, 2, 3, 0], 3),
            Err(ClassicError::BadLabel {
                label: 3,
                classes: 3
            })
        );
        assert!(matches!(
            LogisticRegression::fit(&c, &x, &[0, 1], 2),
            Err(ClassicError::LengthMismatch { .. })
        ));
        assert!(matches!(
            LogisticRegression::fit(&c, &x, &[0; 5], 1),
            Err(ClassicError::BadParameter { .. })
        ));
        let neg = LogisticConfig {
            c: -1.0,
            ..c.clone()
        };
        assert!(matches!(
            LogisticRegression::fit(&neg, &x, &[0; 5], 2),
            Err(ClassicError::BadParameter { name: "C", .. })
        ));
        let nan = Dense::new(vec![f32::NAN, 1.0], 2).expect("valid");
        assert_eq!(
            LogisticRegression::fit(&c, &nan, &[0], 2),
            Err(ClassicError::NonFinite)
        );
        let empty = Dense::new(vec![], 2).expect("valid");
        assert_eq!(
            LogisticRegression::fit(&c, &empty, &[], 2),
            Err(ClassicError::NoSamples)
        );
        let fit = LogisticRegression::fit(&c, &x, &[0, 1, 0, 1, 1], 2).expect("fits");
        let other = Dense::new(vec![1.0, 2.0], 2).expect("valid");
        assert!(matches!(
            fit.predict(&other),
            Err(ClassicError::LengthMismatch { .. })
        ));
    }
}
