//! A database's settings as typed values: its space, its child training recipe, the plan's
//! seed and its suite, read and pinned through one type instead of metadata strings.

use archinfer_encoding::ArchitectureSpace;
use archinfer_store::{ExperimentStore, MetaKey};
use archinfer_train::TrainConfig;

use crate::error::{AppError, Result};

/// The typed settings of one store.
///
/// ```
/// use archinfer_app::DbSettings;
/// use archinfer_store::MemoryStore;
/// use archinfer_train::TrainConfig;
/// let store = MemoryStore::new();
/// let settings = DbSettings::of(&store);
/// let recipe = TrainConfig::new().with_epochs(5);
/// settings.pin_train_config(&recipe).unwrap(); // recorded
/// settings.pin_train_config(&recipe).unwrap(); // the same: fine
/// assert!(settings.pin_train_config(&TrainConfig::new().with_epochs(7)).is_err());
/// assert_eq!(settings.train_config().unwrap(), Some(recipe));
/// ```
#[derive(Clone, Copy)]
pub struct DbSettings<'a> {
    store: &'a dyn ExperimentStore,
}

fn bad(key: MetaKey, value: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Setting { key: key.as_str(), message: format!("`{value}` does not parse: {e}") }
}

impl<'a> DbSettings<'a> {
    /// The settings of `store`.
    pub fn of(store: &'a dyn ExperimentStore) -> Self {
        Self { store }
    }

    /// The space, if the database has one.
    ///
    /// # Errors
    /// A stored space that does not parse; store failures.
    pub fn space(&self) -> Result<Option<ArchitectureSpace>> {
        Ok(self.store.meta(MetaKey::Space.as_str())?.map(|s| ArchitectureSpace::from_json(&s)).transpose()?)
    }

    /// The space; a database without one is an error.
    ///
    /// # Errors
    /// [`AppError::Setting`] for a database without a space; as [`space`](Self::space).
    pub fn require_space(&self) -> Result<ArchitectureSpace> {
        self.space()?.ok_or(AppError::Setting { key: MetaKey::Space.as_str(), message: "the database has none".into() })
    }

    /// Records `space` (a migration replaces the old one).
    ///
    /// # Errors
    /// Store failures.
    pub fn set_space(&self, space: &ArchitectureSpace) -> Result<()> {
        Ok(self.store.set_meta(MetaKey::Space.as_str(), &space.to_json()?)?)
    }

    /// The child training recipe, if recorded.
    ///
    /// # Errors
    /// A stored recipe that does not parse; store failures.
    pub fn train_config(&self) -> Result<Option<TrainConfig>> {
        let key = MetaKey::TrainConfig;
        self.store.meta(key.as_str())?.map(|s| serde_json::from_str(&s).map_err(|e| bad(key, &s, e))).transpose()
    }

    /// The recipe; a database without one is an error.
    ///
    /// # Errors
    /// [`AppError::Setting`] for a database without a recipe; as [`train_config`](Self::train_config).
    pub fn require_train_config(&self) -> Result<TrainConfig> {
        self.train_config()?.ok_or(AppError::Setting { key: MetaKey::TrainConfig.as_str(), message: "the database has none".into() })
    }

    /// Records `config` as the recipe, or checks that it is the recorded one (compared as
    /// values: a recipe written before a field existed reads with that field unset).
    ///
    /// # Errors
    /// [`AppError::Setting`] naming both recipes when they differ; store failures.
    pub fn pin_train_config(&self, config: &TrainConfig) -> Result<()> {
        let key = MetaKey::TrainConfig;
        let asked = serde_json::to_string(config).map_err(|e| bad(key, "", e))?;
        match self.train_config()? {
            Some(stored) if &stored == config => Ok(()),
            Some(stored) => {
                let stored = serde_json::to_string(&stored).map_err(|e| bad(key, "", e))?;
                Err(AppError::Setting {
                    key: key.as_str(),
                    message: format!("the database was built with {stored}; this run asks for {asked} (use another --db)"),
                })
            }
            None => Ok(self.store.set_meta(key.as_str(), &asked)?),
        }
    }

    /// The seed of the plan and the pool, if recorded.
    ///
    /// # Errors
    /// A stored seed that is not a number; store failures.
    pub fn plan_seed(&self) -> Result<Option<u64>> {
        let key = MetaKey::PlanSeed;
        self.store.meta(key.as_str())?.map(|s| s.parse().map_err(|e| bad(key, &s, e))).transpose()
    }

    /// Records `seed` as the plan's seed, or checks that it is the recorded one.
    ///
    /// # Errors
    /// [`AppError::Setting`] when it differs; store failures.
    pub fn pin_plan_seed(&self, seed: u64) -> Result<()> {
        match self.plan_seed()? {
            Some(s) if s != seed => Err(AppError::Setting {
                key: MetaKey::PlanSeed.as_str(),
                message: format!("the database was built with seed {s}; this run asks for {seed} (use another --db)"),
            }),
            Some(_) => Ok(()),
            None => Ok(self.store.set_meta(MetaKey::PlanSeed.as_str(), &seed.to_string())?),
        }
    }

    /// The suite the database was built from, if recorded.
    ///
    /// # Errors
    /// Store failures.
    pub fn suite(&self) -> Result<Option<String>> {
        Ok(self.store.meta(MetaKey::Suite.as_str())?)
    }

    /// Records `suite` unless one is recorded.
    ///
    /// # Errors
    /// Store failures.
    pub fn set_suite_if_missing(&self, suite: &str) -> Result<()> {
        if self.suite()?.is_none() {
            self.store.set_meta(MetaKey::Suite.as_str(), suite)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use archinfer_store::MemoryStore;

    #[test]
    fn seeds_pin_and_bad_values_are_named() {
        let store = MemoryStore::new();
        let s = DbSettings::of(&store);
        assert_eq!(s.plan_seed().unwrap(), None);
        s.pin_plan_seed(3).unwrap();
        s.pin_plan_seed(3).unwrap();
        assert!(matches!(s.pin_plan_seed(4), Err(AppError::Setting { key: "plan_seed", .. })));
        store.set_meta("train_config", "{oops").unwrap();
        let e = s.train_config().unwrap_err().to_string();
        assert!(e.contains("train_config") && e.contains("{oops"), "{e}");
        assert!(matches!(s.require_space(), Err(AppError::Setting { key: "space", .. })));
        s.set_suite_if_missing("a").unwrap();
        s.set_suite_if_missing("b").unwrap();
        assert_eq!(s.suite().unwrap().as_deref(), Some("a"));
    }
}
