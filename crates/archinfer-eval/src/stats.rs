//! The statistics every evaluation uses, in one place: mean ± standard deviation, ranks (on
//! statrs), wins/ties/losses and an exact Wilcoxon signed-rank test over tasks.

use statrs::statistics::{Data, OrderStatistics, RankTieBreaker};

/// Mean and sample standard deviation (divided by `n − 1`; 0 for fewer than two values): the
/// one definition every table of the evaluation uses.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = if v.len() > 1 { (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
    (m, s)
}

/// `mean ± std` of accuracies in percent; `–` for none.
pub fn pm(v: &[f64]) -> String {
    if v.is_empty() {
        return "–".into();
    }
    let (m, s) = mean_std(v);
    format!("{:.2} ± {:.2}", 100.0 * m, 100.0 * s)
}

/// Wins, ties and losses of `a` against `b`, paired by task (higher is better), with
/// differences within `tie` counted as ties.
pub fn wins_ties_losses(a: &[f64], b: &[f64], tie: f64) -> (usize, usize, usize) {
    a.iter().zip(b).fold((0, 0, 0), |(w, t, l), (x, y)| {
        if (x - y).abs() <= tie {
            (w, t + 1, l)
        } else if x > y {
            (w + 1, t, l)
        } else {
            (w, t, l + 1)
        }
    })
}

/// Mean rank of each method over tasks (`scores[method][task]`, higher is better; rank 1 is
/// best, ties share the mean of their ranks).
pub fn mean_ranks(scores: &[Vec<f64>]) -> Vec<f64> {
    let methods = scores.len();
    let tasks = scores.iter().map(Vec::len).min().unwrap_or(0);
    let mut total = vec![0.0; methods];
    for t in 0..tasks {
        let col: Vec<f64> = scores.iter().map(|s| -s[t]).collect();
        for (m, r) in midranks(&col).into_iter().enumerate() {
            total[m] += r;
        }
    }
    total.into_iter().map(|s| s / tasks.max(1) as f64).collect()
}

/// Ranks (1-based) of `x` ascending, ties sharing their mean rank: the one rank function of
/// the workspace (statrs', as `archinfer_dvn::spearman` ranks).
/// A NaN ranks as +∞ (statrs' ranking panics on NaN; `f64::total_cmp` puts NaN last too).
pub fn midranks(x: &[f64]) -> Vec<f64> {
    Data::new(x.iter().map(|&v| if v.is_nan() { f64::INFINITY } else { v }).collect::<Vec<_>>()).ranks(RankTieBreaker::Average)
}

/// A Wilcoxon signed-rank test of paired samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wilcoxon {
    /// Pairs with a non-zero difference (zeros are dropped, Wilcoxon's convention).
    pub n: usize,
    /// Sum of the ranks of the positive differences.
    pub w_plus: f64,
    /// Two-sided p-value, exact (the null distribution of `W+` enumerated over sign patterns,
    /// mid-ranks for ties).
    pub p_value: f64,
}

/// Two-sided Wilcoxon signed-rank test of `a − b`. `None` with fewer than one non-zero
/// difference.
pub fn wilcoxon(a: &[f64], b: &[f64]) -> Option<Wilcoxon> {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).filter(|d| *d != 0.0).collect();
    if d.is_empty() {
        return None;
    }
    let ranks = midranks(&d.iter().map(|v| v.abs()).collect::<Vec<_>>());
    // Doubled ranks are whole numbers even with ties: count sign patterns by their sum.
    let doubled: Vec<usize> = ranks.iter().map(|r| (r * 2.0).round() as usize).collect();
    let total: usize = doubled.iter().sum();
    let mut ways = vec![0.0f64; total + 1];
    ways[0] = 1.0;
    for &r in &doubled {
        for s in (r..=total).rev() {
            ways[s] += ways[s - r];
        }
    }
    let patterns = 2f64.powi(d.len() as i32);
    let w_plus2: usize = d.iter().zip(&doubled).filter(|(v, _)| **v > 0.0).map(|(_, r)| r).sum();
    // Two-sided: the probability of a W+ at least as far from its mean as the one seen.
    let mean2 = total as f64 / 2.0;
    let dev = (w_plus2 as f64 - mean2).abs();
    let tail: f64 = ways.iter().enumerate().filter(|(s, _)| (*s as f64 - mean2).abs() >= dev - 1e-9).map(|(_, w)| w).sum();
    Some(Wilcoxon { n: d.len(), w_plus: w_plus2 as f64 / 2.0, p_value: (tail / patterns).min(1.0) })
}

