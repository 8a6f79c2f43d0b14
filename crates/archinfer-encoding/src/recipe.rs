//! The training-recipe block δ of space version 2: learning rate, weight decay, dropout,
//! epochs and batch size, each a softmax group of a few choices, like `gamma`.
//!
//! A child of a version-1 space has no recipe: it was trained with its database's one recipe,
//! which the version-2 space names as its [`RecipeSpace::base`] choice. So an old child is a
//! point of the new space, and its stored row never changes.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::error::{EncodingError, Result};

/// Number of softmax groups in δ.
pub const RECIPE_GROUPS: usize = 5;

/// The names of δ's groups, in layout order.
pub const RECIPE_GROUP_NAMES: [&str; RECIPE_GROUPS] = ["learning rate", "weight decay", "dropout", "epochs", "batch size"];

/// The choices of δ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipeSpace {
    /// Adam learning rates.
    pub learning_rates: Vec<f64>,
    /// L2 weight decays (0: none).
    pub weight_decays: Vec<f64>,
    /// Dropout rates on hidden layers (0: none).
    pub dropouts: Vec<f64>,
    /// Training epochs.
    pub epochs: Vec<usize>,
    /// Mini-batch sizes.
    pub batch_sizes: Vec<usize>,
    /// Index per group of the recipe that children without one were trained with (the
    /// version-1 database's recipe).
    pub base: [usize; RECIPE_GROUPS],
}

// `validate` refuses NaN, so equality is total on valid blocks.
impl Eq for RecipeSpace {}

impl RecipeSpace {
    /// The default block, around `base` = (learning rate, epochs, batch size) of a version-1
    /// database (`1e-3`, `20`, `64` for the shipped ones): learning rates {3e-4, 1e-3, 3e-3,
    /// 1e-2}, weight decay {0, 1e-4, 1e-3}, dropout {0, 0.2, 0.5}, epochs {5, 10, 20, 40},
    /// batch sizes {32, 64, 128}. A base value missing from a list is added to it.
    ///
    /// # Errors
    /// [`EncodingError::BadRecipe`] for a non-positive or non-finite base.
    pub fn around(learning_rate: f64, epochs: usize, batch_size: usize) -> Result<Self> {
        let mut lrs = vec![3e-4, 1e-3, 3e-3, 1e-2];
        let mut eps = vec![5, 10, 20, 40];
        let mut bss = vec![32, 64, 128];
        if !(learning_rate.is_finite() && learning_rate > 0.0) || epochs == 0 || batch_size == 0 {
            return Err(EncodingError::BadRecipe(format!("base recipe lr {learning_rate}, {epochs} epochs, batch {batch_size}")));
        }
        let at_f = |v: &mut Vec<f64>, x: f64| match v.iter().position(|y| same(*y, x)) {
            Some(i) => i,
            None => {
                v.push(x);
                v.sort_by(f64::total_cmp);
                v.iter().position(|y| same(*y, x)).unwrap_or(0)
            }
        };
        let at_u = |v: &mut Vec<usize>, x: usize| match v.iter().position(|&y| y == x) {
            Some(i) => i,
            None => {
                v.push(x);
                v.sort_unstable();
                v.iter().position(|&y| y == x).unwrap_or(0)
            }
        };
        let base = [at_f(&mut lrs, learning_rate), 0, 0, at_u(&mut eps, epochs), at_u(&mut bss, batch_size)];
        let s = Self { learning_rates: lrs, weight_decays: vec![0.0, 1e-4, 1e-3], dropouts: vec![0.0, 0.2, 0.5], epochs: eps, batch_sizes: bss, base };
        s.validate()?;
        Ok(s)
    }

    /// Choices per group, in layout order.
    pub fn sizes(&self) -> [usize; RECIPE_GROUPS] {
        [self.learning_rates.len(), self.weight_decays.len(), self.dropouts.len(), self.epochs.len(), self.batch_sizes.len()]
    }

    /// Total length of δ in `u`.
    pub fn dim(&self) -> usize {
        self.sizes().iter().sum()
    }

    /// Checks every list: non-empty, no duplicates, learning rates finite and > 0, decays ≥ 0,
    /// dropouts in [0, 1), epochs and batch sizes ≥ 1, `base` in range.
    ///
    /// # Errors
    /// [`EncodingError::BadRecipe`] naming the group.
    pub fn validate(&self) -> Result<()> {
        let bad = |g: usize, why: &str| Err(EncodingError::BadRecipe(format!("{} choices: {why}", RECIPE_GROUP_NAMES[g])));
        let floats = [&self.learning_rates, &self.weight_decays, &self.dropouts];
        for (g, v) in floats.iter().enumerate() {
            if v.is_empty() {
                return bad(g, "none given");
            }
            if v.iter().any(|x| !x.is_finite() || *x < 0.0) || (g == 0 && v.iter().any(|x| *x <= 0.0)) || (g == 2 && v.iter().any(|x| *x >= 1.0)) {
                return bad(g, "out of range");
            }
            if v.iter().enumerate().any(|(i, x)| v[..i].iter().any(|y| same(*x, *y))) {
                return bad(g, "listed twice");
            }
        }
        for (g, v) in [(3, &self.epochs), (4, &self.batch_sizes)] {
            if v.is_empty() || v.contains(&0) {
                return bad(g, "empty or zero");
            }
            if v.iter().enumerate().any(|(i, x)| v[..i].contains(x)) {
                return bad(g, "listed twice");
            }
        }
        if let Some(g) = (0..RECIPE_GROUPS).find(|&g| self.base[g] >= self.sizes()[g]) {
            return bad(g, "base choice out of range");
        }
        Ok(())
    }

    /// The recipe of choice indices `index` (one per group).
    ///
    /// # Errors
    /// [`EncodingError::BadRecipe`] for an index out of range.
    pub fn choice(&self, index: [usize; RECIPE_GROUPS]) -> Result<RecipeChoice> {
        if let Some(g) = (0..RECIPE_GROUPS).find(|&g| index[g] >= self.sizes()[g]) {
            return Err(EncodingError::BadRecipe(format!("{} choice {} of {}", RECIPE_GROUP_NAMES[g], index[g], self.sizes()[g])));
        }
        Ok(RecipeChoice {
            index,
            learning_rate: self.learning_rates[index[0]],
            weight_decay: self.weight_decays[index[1]],
            dropout: self.dropouts[index[2]],
            epochs: self.epochs[index[3]],
            batch_size: self.batch_sizes[index[4]],
        })
    }

    /// The recipe children without one were trained with.
    pub fn base_choice(&self) -> RecipeChoice {
        // `validate` keeps `base` in range.
        self.choice(self.base).unwrap_or(RecipeChoice {
            index: self.base,
            learning_rate: 1e-3,
            weight_decay: 0.0,
            dropout: 0.0,
            epochs: 20,
            batch_size: 64,
        })
    }

    /// Checks that `c`'s indices and values agree with this block.
    ///
    /// # Errors
    /// [`EncodingError::BadRecipe`] naming the first disagreement.
    pub fn check(&self, c: &RecipeChoice) -> Result<()> {
        let want = self.choice(c.index)?;
        if &want != c {
            return Err(EncodingError::BadRecipe(format!("`{c}` is not the space's choice {:?} (`{want}`)", c.index)));
        }
        Ok(())
    }

    /// Finds the choice with these values (a missing weight decay or dropout means 0).
    ///
    /// # Errors
    /// [`EncodingError::BadRecipe`] naming a value the block lacks.
    pub fn find(&self, learning_rate: f64, weight_decay: f64, dropout: f64, epochs: usize, batch_size: usize) -> Result<RecipeChoice> {
        let pos_f = |g: usize, v: &[f64], x: f64| {
            v.iter().position(|y| same(*y, x)).ok_or_else(|| EncodingError::BadRecipe(format!("no {} {x} in the space (choices {v:?})", RECIPE_GROUP_NAMES[g])))
        };
        let pos_u = |g: usize, v: &[usize], x: usize| {
            v.iter().position(|&y| y == x).ok_or_else(|| EncodingError::BadRecipe(format!("no {} {x} in the space (choices {v:?})", RECIPE_GROUP_NAMES[g])))
        };
        self.choice([
            pos_f(0, &self.learning_rates, learning_rate)?,
            pos_f(1, &self.weight_decays, weight_decay)?,
            pos_f(2, &self.dropouts, dropout)?,
            pos_u(3, &self.epochs, epochs)?,
            pos_u(4, &self.batch_sizes, batch_size)?,
        ])
    }

    /// Parses the recipe suffix of the one-line form (`lr 3e-3 · wd 1e-4 · dropout 0.2 · 40 ep
    /// · bs 128`, parts separated by `·`, any order); parts left out take the base choice.
    ///
    /// # Errors
    /// [`EncodingError::BadRecipe`] for an unknown part or a value the block lacks.
    pub fn parse_parts(&self, parts: &[&str]) -> Result<RecipeChoice> {
        let b = self.base_choice();
        let (mut lr, mut wd, mut dr, mut ep, mut bs) = (b.learning_rate, b.weight_decay, b.dropout, b.epochs, b.batch_size);
        let bad = |p: &str| EncodingError::BadRecipe(format!("recipe part `{p}` (expected `lr X`, `wd X`, `dropout X`, `N ep` or `bs N`)"));
        let mut seen = [false; RECIPE_GROUPS];
        for p in parts {
            let w: Vec<&str> = p.split_whitespace().collect();
            let g = match w.as_slice() {
                ["lr", _] => 0,
                ["wd", _] => 1,
                ["dropout", _] => 2,
                [_, "ep"] => 3,
                ["bs", _] => 4,
                _ => return Err(bad(p)),
            };
            if std::mem::replace(&mut seen[g], true) {
                return Err(EncodingError::BadRecipe(format!("recipe part `{p}`: {} given twice", RECIPE_GROUP_NAMES[g])));
            }
            match w.as_slice() {
                ["lr", x] => lr = x.parse().map_err(|_| bad(p))?,
                ["wd", x] => wd = x.parse().map_err(|_| bad(p))?,
                ["dropout", x] => dr = x.parse().map_err(|_| bad(p))?,
                [n, "ep"] => ep = n.parse().map_err(|_| bad(p))?,
                ["bs", n] => bs = n.parse().map_err(|_| bad(p))?,
                _ => return Err(bad(p)),
            }
        }
        self.find(lr, wd, dr, ep, bs)
    }
}

/// Whether two recipe values are the same choice (relative 1e-9, so `3e-3` written as text
/// and as a constant agree).
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// One recipe of a [`RecipeSpace`]: its choice indices and their values.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RecipeChoice {
    /// Choice index per group, in layout order.
    pub index: [usize; RECIPE_GROUPS],
    /// Adam learning rate.
    pub learning_rate: f64,
    /// L2 weight decay (0: none).
    pub weight_decay: f64,
    /// Dropout rate on hidden layers (0: none).
    pub dropout: f64,
    /// Epochs.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
}

impl PartialEq for RecipeChoice {
    fn eq(&self, o: &Self) -> bool {
        self.index == o.index
            && self.learning_rate.to_bits() == o.learning_rate.to_bits()
            && self.weight_decay.to_bits() == o.weight_decay.to_bits()
            && self.dropout.to_bits() == o.dropout.to_bits()
            && self.epochs == o.epochs
            && self.batch_size == o.batch_size
    }
}

impl Eq for RecipeChoice {}

impl Hash for RecipeChoice {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.index.hash(h);
        for v in [self.learning_rate, self.weight_decay, self.dropout] {
            v.to_bits().hash(h);
        }
        self.epochs.hash(h);
        self.batch_size.hash(h);
    }
}

/// `3e-3`, `1e-4`, `0.2`: short forms for the one-line architecture.
fn short(x: f64) -> String {
    let e = format!("{x:e}");
    let d = format!("{x}");
    if d.len() <= e.len() { d } else { e }
}

impl fmt::Display for RecipeChoice {
    /// `lr 3e-3 · wd 1e-4 · dropout 0.2 · 40 ep · bs 128`; a zero decay or dropout is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lr {}", short(self.learning_rate))?;
        if self.weight_decay > 0.0 {
            write!(f, " · wd {}", short(self.weight_decay))?;
        }
        if self.dropout > 0.0 {
            write!(f, " · dropout {}", short(self.dropout))?;
        }
        write!(f, " · {} ep · bs {}", self.epochs, self.batch_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn around_the_shipped_recipe() {
        let r = RecipeSpace::around(1e-3, 20, 64).unwrap();
        assert_eq!(r.sizes(), [4, 3, 3, 4, 3]);
        assert_eq!(r.dim(), 17);
        assert_eq!(r.base, [1, 0, 0, 2, 1]);
        let b = r.base_choice();
        assert_eq!((b.learning_rate, b.weight_decay, b.dropout, b.epochs, b.batch_size), (1e-3, 0.0, 0.0, 20, 64));
        assert_eq!(b.to_string(), "lr 1e-3 · 20 ep · bs 64");
        // A base value outside the defaults joins its list, sorted.
        let r = RecipeSpace::around(5e-4, 30, 50).unwrap();
        assert_eq!(r.learning_rates, vec![3e-4, 5e-4, 1e-3, 3e-3, 1e-2]);
        assert_eq!(r.base_choice().epochs, 30);
        assert_eq!(r.epochs, vec![5, 10, 20, 30, 40]);
        assert!(RecipeSpace::around(0.0, 20, 64).is_err());
    }

    #[test]
    fn text_round_trips_and_bad_parts_are_named() {
        let r = RecipeSpace::around(1e-3, 20, 64).unwrap();
        let c = r.parse_parts(&["lr 3e-3", "wd 1e-4", "40 ep"]).unwrap();
        assert_eq!(c.index, [2, 1, 0, 3, 1]);
        assert_eq!(c.to_string(), "lr 3e-3 · wd 1e-4 · 40 ep · bs 64");
        let parts: Vec<String> = c.to_string().split('·').map(|s| s.trim().to_string()).collect();
        let back = r.parse_parts(&parts.iter().map(String::as_str).collect::<Vec<_>>()).unwrap();
        assert_eq!(back, c);
        assert!(matches!(r.parse_parts(&["lr 5e-3"]), Err(EncodingError::BadRecipe(m)) if m.contains("learning rate 0.005")));
        assert!(matches!(r.parse_parts(&["momentum 0.9"]), Err(EncodingError::BadRecipe(m)) if m.contains("momentum")));
        assert!(matches!(r.parse_parts(&["lr 1e-3", "lr 3e-3"]), Err(EncodingError::BadRecipe(m)) if m.contains("twice")));
        // A stored choice whose values disagree with its indices is refused.
        let mut forged = c;
        forged.learning_rate = 0.5;
        assert!(r.check(&forged).is_err());
        assert!(r.choice([9, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn invalid_blocks_are_refused() {
        let mut r = RecipeSpace::around(1e-3, 20, 64).unwrap();
        r.dropouts.push(1.0);
        assert!(matches!(r.validate(), Err(EncodingError::BadRecipe(m)) if m.contains("dropout")));
        let mut r = RecipeSpace::around(1e-3, 20, 64).unwrap();
        r.epochs.push(20);
        assert!(matches!(r.validate(), Err(EncodingError::BadRecipe(m)) if m.contains("epochs")));
        let mut r = RecipeSpace::around(1e-3, 20, 64).unwrap();
        r.base[4] = 7;
        assert!(r.validate().is_err());
    }
}
