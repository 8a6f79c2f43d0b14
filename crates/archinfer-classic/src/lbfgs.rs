//! A compact L-BFGS minimiser with the stopping rules SciPy's L-BFGS-B applies for
//! scikit-learn's `solver='lbfgs'`.
//!
//! Why not a crate: `argmin` 0.11 (with `argmin-math`'s `Vec` backend) builds quickly and was
//! tried first, but its L-BFGS fits this use badly:
//! * it stops on the Euclidean norm of the gradient and on an absolute change of the cost,
//!   where SciPy stops on the largest gradient entry (`gtol`, scikit-learn's `tol`) and on the
//!   relative reduction `(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol` (scikit-learn
//!   passes `64 · f64::EPSILON`); replicating scikit-learn needs its own stopping rules;
//! * it asks for the cost and the gradient in separate calls (its Moré–Thuente line search
//!   calls both at each trial point, and L-BFGS asks for the gradient again at the accepted
//!   point), while one pass over the data gives both here: it would need a cache behind
//!   interior mutability to avoid doubling the passes;
//! * its `Vec` arithmetic allocates a fresh vector per operation, several per history pair and
//!   iteration, for parameter vectors of millions of entries (classes × TF-IDF terms);
//! * by default it brings `rand` 0.9 beside the workspace's 0.10.
//!
//! What is here: the two-loop recursion with `m = 10` pairs and the initial inverse Hessian
//! `(s·y / y·y) I` (as L-BFGS-B); a first step of `1 / ‖g‖₂` along `-g` (as L-BFGS-B); a line
//! search for the strong Wolfe conditions (`c1 = 1e-3`, `c2 = 0.9`, L-BFGS-B's values) by
//! bracketing and cubic-interpolation zoom (Nocedal & Wright, algorithms 3.5 and 3.6) with at
//! most 50 evaluations (`maxls`); a pair is skipped when `s·y <= ε · y·y`; when a line search
//! fails, the memory is dropped and a steepest-descent step tried once before giving up.

use std::collections::VecDeque;

/// Settings of [`minimize`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Pairs kept in memory.
    pub m: usize,
    /// The most iterations (line searches).
    pub max_iter: usize,
    /// Stop when every gradient entry is at most this in absolute value.
    pub gtol: f64,
    /// Stop when the relative reduction of the objective is at most this.
    pub ftol: f64,
    /// The most objective evaluations in one line search.
    pub max_ls: usize,
}

/// What [`minimize`] found.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// The last point accepted.
    pub x: Vec<f64>,
    /// The objective there.
    pub f: f64,
    /// Iterations done.
    pub n_iter: usize,
    /// Whether a stopping rule (gradient or relative reduction) was met.
    pub converged: bool,
}

const C1: f64 = 1e-3;
const C2: f64 = 0.9;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// A step and the objective and directional derivative there.
#[derive(Debug, Clone, Copy)]
struct Point {
    a: f64,
    f: f64,
    d: f64,
}

/// The line search's state: evaluates the objective along `x + a · dir` into `x_new`/`g_new`.
struct Search<'a, F> {
    fg: &'a mut F,
    x: &'a [f64],
    dir: &'a [f64],
    x_new: &'a mut [f64],
    g_new: &'a mut [f64],
    evals: usize,
}

impl<F: FnMut(&[f64], &mut [f64]) -> f64> Search<'_, F> {
    fn eval(&mut self, a: f64) -> Point {
        for ((xn, &x), &d) in self.x_new.iter_mut().zip(self.x).zip(self.dir) {
            *xn = x + a * d;
        }
        let f = (self.fg)(self.x_new, self.g_new);
        self.evals += 1;
        let d = dot(self.g_new, self.dir);
        if f.is_finite() && d.is_finite() {
            Point { a, f, d }
        } else {
            Point {
                a,
                f: f64::INFINITY,
                d: f64::NAN,
            }
        }
    }
}

/// The minimiser of the cubic through `lo` and `hi` (values and slopes), kept inside the
/// interval away from its ends; the midpoint when the cubic does not help.
fn interpolate(lo: Point, hi: Point) -> f64 {
    let mid = 0.5 * (lo.a + hi.a);
    if !hi.f.is_finite() {
        return mid;
    }
    let d1 = lo.d + hi.d - 3.0 * (lo.f - hi.f) / (lo.a - hi.a);
    let disc = d1 * d1 - lo.d * hi.d;
    if disc.is_nan() || disc < 0.0 {
        return mid;
    }
    let d2 = (hi.a - lo.a).signum() * disc.sqrt();
    let a = hi.a - (hi.a - lo.a) * (hi.d + d2 - d1) / (hi.d - lo.d + 2.0 * d2);
    let (left, right) = (lo.a.min(hi.a), lo.a.max(hi.a));
    let margin = 0.1 * (right - left);
    if a.is_finite() && a >= left + margin && a <= right - margin {
        a
    } else {
        mid
    }
}

/// Finds a step meeting the strong Wolfe conditions along `dir` from a point with objective
/// `f0` and slope `d0 < 0`; on success `x_new`/`g_new` hold the accepted point.
fn line_search<F: FnMut(&[f64], &mut [f64]) -> f64>(
    s: &mut Search<'_, F>,
    f0: f64,
    d0: f64,
    first: f64,
    max_ls: usize,
) -> Option<Point> {
    let armijo = |p: Point| p.f <= f0 + C1 * p.a * d0;
    let curvature = |p: Point| p.d.abs() <= -C2 * d0;
    let mut prev = Point {
        a: 0.0,
        f: f0,
        d: d0,
    };
    let mut a = first;
    let (mut lo, mut hi);
    loop {
        let p = s.eval(a);
        if !armijo(p) || (prev.a > 0.0 && p.f >= prev.f) {
            (lo, hi) = (prev, p);
            break;
        }
        if curvature(p) {
            return Some(p);
        }
        if p.d >= 0.0 {
            (lo, hi) = (p, prev);
            break;
        }
        if s.evals >= max_ls {
            return Some(p); // a decrease without the curvature condition: still a valid step
        }
        prev = p;
        a *= 4.0;
    }
    // Zoom: `lo` meets the Armijo condition with the lowest value seen; the minimiser lies
    // between `lo` and `hi`.
    while s.evals < max_ls {
        if (hi.a - lo.a).abs() <= f64::EPSILON * lo.a.abs().max(hi.a.abs()) {
            break;
        }
        let p = s.eval(interpolate(lo, hi));
        if !armijo(p) || p.f >= lo.f {
            hi = p;
        } else {
            if curvature(p) {
                return Some(p);
            }
            if p.d * (hi.a - lo.a) >= 0.0 {
                hi = lo;
            }
            lo = p;
        }
    }
    if lo.a > 0.0 && lo.f < f0 {
        // Accept the best decrease found (Armijo holds there), evaluated again.
        let p = s.eval(lo.a);
        return p.f.is_finite().then_some(p);
    }
    None
}

/// Minimises `fg` (which returns the objective and writes the gradient into its second
/// argument) from `x0`.
pub(crate) fn minimize<F: FnMut(&[f64], &mut [f64]) -> f64>(
    mut fg: F,
    x0: Vec<f64>,
    opt: Options,
) -> Outcome {
    let p = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; p];
    let mut f = fg(&x, &mut g);
    let mut x_new = vec![0.0; p];
    let mut g_new = vec![0.0; p];
    let mut dir = vec![0.0; p];
    // (s, y, 1 / s·y), oldest first
    let mut memory: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(opt.m);
    let mut alpha = vec![0.0; opt.m];
    if !f.is_finite() {
        return Outcome {
            x,
            f,
            n_iter: 0,
            converged: false,
        };
    }
    if max_abs(&g) <= opt.gtol {
        return Outcome {
            x,
            f,
            n_iter: 0,
            converged: true,
        };
    }
    let mut n_iter = 0;
    while n_iter < opt.max_iter {
        n_iter += 1;
        let mut restarted = false;
        let accepted = loop {
            // dir = -H g by the two-loop recursion.
            dir.iter_mut().zip(&g).for_each(|(d, &gi)| *d = -gi);
            for (k, (s, y, rho)) in memory.iter().enumerate().rev() {
                alpha[k] = rho * dot(s, &dir);
                dir.iter_mut()
                    .zip(y)
                    .for_each(|(d, &yi)| *d -= alpha[k] * yi);
            }
            if let Some((s, y, _)) = memory.back() {
                let gamma = dot(s, y) / dot(y, y);
                dir.iter_mut().for_each(|d| *d *= gamma);
            }
            for (k, (s, y, rho)) in memory.iter().enumerate() {
                let beta = rho * dot(y, &dir);
                dir.iter_mut()
                    .zip(s)
                    .for_each(|(d, &si)| *d += (alpha[k] - beta) * si);
            }
            let mut slope = dot(&g, &dir);
            if slope.is_nan() || slope >= 0.0 {
                // Not a descent direction (rounding): fall back on steepest descent.
                memory.clear();
                dir.iter_mut().zip(&g).for_each(|(d, &gi)| *d = -gi);
                slope = dot(&g, &dir);
            }
            let first = if memory.is_empty() {
                1.0 / dot(&g, &g).sqrt()
            } else {
                1.0
            };
            let mut search = Search {
                fg: &mut fg,
                x: &x,
                dir: &dir,
                x_new: &mut x_new,
                g_new: &mut g_new,
                evals: 0,
            };
            match line_search(&mut search, f, slope, first, opt.max_ls) {
                Some(point) => break Some(point),
                None if !memory.is_empty() && !restarted => {
                    memory.clear();
                    restarted = true;
                }
                None => break None,
            }
        };
        let Some(point) = accepted else {
            return Outcome {
                x,
                f,
                n_iter,
                converged: false,
            };
        };
        // The new pair, in the oldest pair's buffers when the memory is full.
        let (mut s, mut y, _) = if memory.len() == opt.m {
            memory.pop_front().unwrap_or_default()
        } else {
            (vec![0.0; p], vec![0.0; p], 0.0)
        };
        s.iter_mut()
            .zip(x_new.iter().zip(&x))
            .for_each(|(si, (a, b))| *si = a - b);
        y.iter_mut()
            .zip(g_new.iter().zip(&g))
            .for_each(|(yi, (a, b))| *yi = a - b);
        let sy = dot(&s, &y);
        if sy > f64::EPSILON * dot(&y, &y) {
            memory.push_back((s, y, 1.0 / sy));
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        let f_old = f;
        f = point.f;
        if max_abs(&g) <= opt.gtol {
            return Outcome {
                x,
                f,
                n_iter,
                converged: true,
            };
        }
        if (f_old - f) / f_old.abs().max(f.abs()).max(1.0) <= opt.ftol {
            return Outcome {
                x,
                f,
                n_iter,
                converged: true,
            };
        }
    }
    Outcome {
        x,
        f,
        n_iter,
        converged: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            m: 10,
            max_iter: 500,
            gtol: 1e-9,
            ftol: 0.0,
            max_ls: 50,
        }
    }

    #[test]
    fn rosenbrock() {
        let out = minimize(
            |x, g| {
                let (a, b) = (x[0], x[1]);
                g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
                g[1] = 200.0 * (b - a * a);
                (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
            },
            vec![-1.2, 1.0],
            options(),
        );
        assert!(out.converged, "{out:?}");
        assert!(
            (out.x[0] - 1.0).abs() < 1e-6 && (out.x[1] - 1.0).abs() < 1e-6,
            "{out:?}"
        );
    }

    #[test]
    fn ill_conditioned_quadratic() {
        // Condition number 10^2.45; SciPy L-BFGS-B needs 201 iterations for gtol 1e-9 here.
        let scales: Vec<f64> = (0..50).map(|i| 10f64.powf(f64::from(i) / 20.0)).collect();
        let out = minimize(
            |x, g| {
                let mut f = 0.0;
                for ((xi, gi), s) in x.iter().zip(g.iter_mut()).zip(&scales) {
                    *gi = s * (xi - 1.0);
                    f += 0.5 * s * (xi - 1.0).powi(2);
                }
                f
            },
            vec![0.0; 50],
            options(),
        );
        assert!(out.converged, "{out:?}");
        assert!(out.x.iter().all(|v| (v - 1.0).abs() < 1e-8), "{out:?}");
    }
}
