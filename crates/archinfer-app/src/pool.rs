//! The common pool: the same M networks, with the same training seeds, trained on every task of
//! a database. Its results are the configs × tasks matrix that the fair baselines of
//! `archinfer-eval`'s comparison read, as in TabRepo, HPO-B and Auto-sklearn 2.0.
//!
//! The members are drawn once from the database's seed (not a task's) and stored in the
//! database's metadata under [`Pool::META_KEY`], architectures included, so a task added later
//! gets exactly the same networks even if the space's sampler changes. Pool trials sit at trial
//! indices [`POOL_FIRST_INDEX`]` + m`, apart from the random children (`0 … children − 1`).

use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture};
use archinfer_store::{ExperimentStore, PlannedTrial, Trial};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Result};

/// Trial index of the first pool member of every task; member `m` is at `POOL_FIRST_INDEX + m`.
/// Random children and recorded `fit` trainings stay below it.
pub const POOL_FIRST_INDEX: usize = 1_000_000;

/// One pool member: an architecture and the seed it is trained with on every task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolMember {
    /// The architecture, as the store keeps it (JSON).
    pub architecture: String,
    /// Training seed, the same on every task.
    pub seed: u64,
}

/// The pool of a database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    /// The seed the members were drawn from.
    pub seed: u64,
    /// The members, in order.
    pub members: Vec<PoolMember>,
}

impl Pool {
    /// The metadata key the pool is stored under.
    pub const META_KEY: &'static str = archinfer_store::MetaKey::Pool.as_str();

    /// Draws `size` architectures uniformly from `space` with `seed` (salted, so the pool is not
    /// the first task's random children).
    ///
    /// # Errors
    /// An architecture that does not serialise.
    pub fn draw(space: &ArchitectureSpace, size: usize, seed: u64) -> Result<Self> {
        let mut p = Self { seed, members: Vec::new() };
        p.push_drawn(space, size, None, StdRng::seed_from_u64(seed ^ 0x706f_6f6c_5eed_0001))?;
        Ok(p)
    }

    /// This pool with `extra` members appended: drawn from `space`, their module among
    /// `modules` (indices into the space's modules; all of them when `None`), from a stream
    /// of the pool's seed and its current size. The first members stay as they are, so results
    /// already recorded keep their meaning; how a pool gets a migration's new modules.
    ///
    /// # Errors
    /// A bad module index ([`AppError::BadOptions`]) or an architecture that does not serialise.
    pub fn grown(&self, space: &ArchitectureSpace, extra: usize, modules: Option<&[usize]>) -> Result<Self> {
        let mut p = self.clone();
        let salt = (self.size() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        p.push_drawn(space, extra, modules, StdRng::seed_from_u64(self.seed ^ 0x706f_6f6c_5eed_0001 ^ salt))?;
        Ok(p)
    }

    /// This pool with the linear members of `modules` appended where missing: for each
    /// module, a child with no hidden layer (logistic regression on the module's features) at
    /// each weight decay of the recipe block, trained with its largest learning rate and epoch
    /// count, no dropout and its smallest batch, so it trains to convergence. On a TF-IDF
    /// module these are the classic text defaults (L2 weight decay in place of `C`), so
    /// single-best and the portfolio can pick them. Members already in the pool are not added
    /// again, so a rerun changes nothing.
    ///
    /// # Errors
    /// A space without a recipe block or a bad module index ([`AppError::BadOptions`]).
    pub fn with_linear_members(&self, space: &ArchitectureSpace, modules: &[usize]) -> Result<Self> {
        let recipes = space.recipes().ok_or_else(|| AppError::BadOptions("linear pool members need the recipe block (space version 2)".into()))?;
        let [_, n_wd, _, _, _] = recipes.sizes();
        let argmax = |v: &[f64]| v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
        let lr = argmax(&recipes.learning_rates);
        let epochs = recipes.epochs.iter().enumerate().max_by_key(|e| e.1).map_or(0, |(i, _)| i);
        let batch = recipes.batch_sizes.iter().enumerate().min_by_key(|e| e.1).map_or(0, |(i, _)| i);
        let dropout = recipes.dropouts.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
        let mut p = self.clone();
        for &m in modules {
            for wd in 0..n_wd {
                let mut a = DiscreteArchitecture::sample_among(space, &[m], &mut StdRng::seed_from_u64(0)).map_err(|e| AppError::BadOptions(e.to_string()))?;
                a.layers.iter_mut().for_each(|l| l.enabled = false);
                a.recipe = Some(recipes.choice([lr, wd, dropout, epochs, batch])?);
                let json = a.to_json()?;
                if p.members.iter().any(|x| x.architecture == json) {
                    continue;
                }
                let k = p.members.len();
                p.members.push(PoolMember { architecture: json, seed: p.seed.wrapping_mul(0x9e37_79b9).wrapping_add(7_000_000 + k as u64) });
            }
        }
        Ok(p)
    }

    /// Stores [`with_linear_members`](Self::with_linear_members) of the stored pool and plans
    /// the new members on every task; returns how many trials were planned.
    ///
    /// # Errors
    /// No stored pool ([`AppError::BadPool`]), and as `with_linear_members`.
    pub fn add_linear_members(store: &dyn ExperimentStore, space: &ArchitectureSpace, modules: &[usize]) -> Result<usize> {
        let p = Self::load(store)?.ok_or_else(|| AppError::BadPool("the database has no pool to add linear members to".into()))?;
        let grown = p.with_linear_members(space, modules)?;
        if grown.size() == p.size() {
            return Ok(0);
        }
        let json = serde_json::to_string(&grown).map_err(|e| AppError::BadPool(e.to_string()))?;
        store.set_meta(Self::META_KEY, &json)?;
        grown.plan(store)
    }

    fn push_drawn(&mut self, space: &ArchitectureSpace, n: usize, modules: Option<&[usize]>, mut rng: StdRng) -> Result<()> {
        let seed = self.seed;
        for _ in 0..n {
            let m = self.members.len();
            self.members.push(PoolMember {
                architecture: draw(space, modules, &mut rng)?.to_json()?,
                seed: seed.wrapping_mul(0x9e37_79b9).wrapping_add(7_000_000 + m as u64),
            });
        }
        Ok(())
    }

    /// Number of members.
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// The pool stored in `store`, if it has one.
    ///
    /// # Errors
    /// Storage failures; [`AppError::BadPool`] if the stored value does not parse.
    pub fn load(store: &dyn ExperimentStore) -> Result<Option<Self>> {
        store.meta(Self::META_KEY)?.map(|v| serde_json::from_str(&v).map_err(|e| AppError::BadPool(e.to_string()))).transpose()
    }

    /// The database's pool: the stored one, or (when it has none) one of `size` members drawn
    /// from `space` and `seed`, then stored. A stored pool of another seed, or larger than
    /// `size`, is refused, so every task of a database is trained on the same members; a smaller
    /// one grows to `size` (see [`ensure_among`](Self::ensure_among)).
    ///
    /// # Errors
    /// [`AppError::PoolConflict`], storage failures.
    pub fn ensure(store: &dyn ExperimentStore, space: &ArchitectureSpace, size: usize, seed: u64) -> Result<Self> {
        Self::ensure_among(store, space, size, seed, None)
    }

    /// As [`ensure`](Self::ensure); new members (a new pool, or those added to a stored one, see
    /// [`grown`](Self::grown)) draw their module among `modules` (all of the space's when
    /// `None`, which draws as [`draw`](Self::draw)).
    ///
    /// # Errors
    /// As [`ensure`](Self::ensure), and [`AppError::BadOptions`] for a bad module index.
    pub fn ensure_among(store: &dyn ExperimentStore, space: &ArchitectureSpace, size: usize, seed: u64, modules: Option<&[usize]>) -> Result<Self> {
        let p = match Self::check(store, size, seed)? {
            Some(p) if p.size() == size => {
                p.fits(space)?;
                return Ok(p);
            }
            Some(p) => {
                p.fits(space)?;
                p.grown(space, size - p.size(), modules)?
            }
            None => {
                let mut p = Self { seed, members: Vec::new() };
                p.push_drawn(space, size, modules, StdRng::seed_from_u64(seed ^ 0x706f_6f6c_5eed_0001))?;
                p
            }
        };
        let json = serde_json::to_string(&p).map_err(|e| AppError::BadPool(e.to_string()))?;
        store.set_meta(Self::META_KEY, &json)?;
        Ok(p)
    }

    /// The stored pool, if any, after checking that it was drawn with `seed` and has at most
    /// `size` members (a pool grows; it never shrinks); writes nothing.
    ///
    /// # Errors
    /// [`AppError::PoolConflict`], [`AppError::BadPool`], storage failures.
    pub fn check(store: &dyn ExperimentStore, size: usize, seed: u64) -> Result<Option<Self>> {
        match Self::load(store)? {
            Some(p) if p.size() > size || p.seed != seed => {
                Err(AppError::PoolConflict { stored: p.size(), stored_seed: p.seed, asked: size, asked_seed: seed })
            }
            other => Ok(other),
        }
    }

    /// Checks every member's architecture against `space` (modules, layers, recipe).
    ///
    /// # Errors
    /// [`AppError::BadPool`] naming the first member that does not fit.
    pub fn fits(&self, space: &ArchitectureSpace) -> Result<()> {
        for (m, p) in self.members.iter().enumerate() {
            DiscreteArchitecture::from_json(space, &p.architecture).map_err(|e| AppError::BadPool(format!("member {m}: {e}")))?;
        }
        Ok(())
    }

    /// The members as planned trials (trial index [`POOL_FIRST_INDEX`]` + m`).
    pub fn planned(&self) -> Vec<PlannedTrial> {
        self.members
            .iter()
            .enumerate()
            .map(|(m, p)| PlannedTrial { trial_index: POOL_FIRST_INDEX + m, architecture: p.architecture.clone(), seed: p.seed })
            .collect()
    }

    /// Plans the pool on every task of `store` that lacks some of it; existing trials are left as
    /// they are. Returns how many trials were added.
    ///
    /// # Errors
    /// Storage failures.
    pub fn plan(&self, store: &dyn ExperimentStore) -> Result<usize> {
        let planned = self.planned();
        let mut added = 0;
        for t in store.tasks()? {
            added += store.plan(&t.name, &planned)?;
        }
        Ok(added)
    }

    /// Whether `trial` is a pool member's training.
    pub fn is_member(&self, trial: &Trial) -> bool {
        (POOL_FIRST_INDEX..POOL_FIRST_INDEX + self.size()).contains(&trial.trial_index)
    }
}

/// One random architecture of `space`, its module among `modules` when given.
pub(crate) fn draw(space: &ArchitectureSpace, modules: Option<&[usize]>, rng: &mut StdRng) -> Result<DiscreteArchitecture> {
    match modules {
        None => Ok(DiscreteArchitecture::sample(space, rng)),
        Some(m) => DiscreteArchitecture::sample_among(space, m, rng).map_err(|e| AppError::BadOptions(e.to_string())),
    }
}
