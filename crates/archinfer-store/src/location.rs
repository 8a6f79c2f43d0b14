//! Where a database lives: one `--db` string for every store.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::Result;
use crate::error::StoreError;
use crate::sqlite::SqliteStore;
use crate::store::ExperimentStore;

/// A database location: a SQLite file (a path, or `sqlite://path`) or a PostgreSQL server
/// (`postgres://` or `postgresql://` URL).
///
/// ```
/// use archinfer_store::Location;
/// let l: Location = "data/fmnist14.sqlite".parse().unwrap();
/// assert!(matches!(l, Location::Sqlite(_)));
/// let l: Location = "postgres://me:secret@db.example/archinfer".parse().unwrap();
/// assert_eq!(l.to_string(), "postgres://me:***@db.example/archinfer");
/// // Other schemes parse, and are refused when opened, with a typed error.
/// assert!("mysql://db/x".parse::<Location>().unwrap().open().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL.
    Postgres(String),
    /// A `scheme://` this build does not know. It parses (so a command line can carry it
    /// without echoing a password) but [`Location::open`] refuses it with
    /// [`StoreError::UnknownScheme`].
    Unsupported {
        /// The scheme.
        scheme: String,
        /// The whole location, password removed.
        location: String,
    },
}

/// The scheme of `s`, if it is written `scheme://…`.
fn scheme(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once("://")?;
    let plausible = scheme.len() >= 2
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    plausible.then_some(scheme)
}

/// `url` with the password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl FromStr for Location {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self> {
        if s.trim().is_empty() {
            return Err(StoreError::BadLocation("empty database location".into()));
        }
        match scheme(s) {
            None => Ok(Location::Sqlite(PathBuf::from(s))),
            Some(sc) => match sc.to_ascii_lowercase().as_str() {
                "sqlite" | "file" => Ok(Location::Sqlite(PathBuf::from(&s[sc.len() + 3..]))),
                "postgres" | "postgresql" => Ok(Location::Postgres(s.to_string())),
                _ => Ok(Location::Unsupported { scheme: sc.to_string(), location: redact(s) }),
            },
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(u) => f.write_str(&redact(u)),
            Location::Unsupported { location, .. } => f.write_str(location),
        }
    }
}

impl From<&Path> for Location {
    fn from(p: &Path) -> Self {
        Location::Sqlite(p.to_path_buf())
    }
}

impl From<PathBuf> for Location {
    fn from(p: PathBuf) -> Self {
        Location::Sqlite(p)
    }
}

impl Location {
    /// Opens the store, creating an empty database (or archinfer's tables on the server) if
    /// there is none.
    ///
    /// # Errors
    /// The store's errors; [`StoreError::PostgresNotBuilt`] for a `postgres://` location in a
    /// build without the `postgres` feature.
    pub fn open(&self) -> Result<Box<dyn ExperimentStore>> {
        match self {
            Location::Sqlite(p) => Ok(Box::new(SqliteStore::open(p)?)),
            #[cfg(feature = "postgres")]
            Location::Postgres(u) => Ok(Box::new(crate::postgres::connection::PostgresStore::connect(u)?)),
            #[cfg(not(feature = "postgres"))]
            Location::Postgres(_) => Err(StoreError::PostgresNotBuilt),
            Location::Unsupported { scheme, location } => Err(StoreError::UnknownScheme { scheme: scheme.clone(), location: location.clone() }),
        }
    }

    /// Opens an existing database: a SQLite file that is not there is an error, not an empty
    /// new database.
    ///
    /// # Errors
    /// [`StoreError::NoDatabase`] for a missing SQLite file; else as [`Location::open`].
    pub fn open_existing(&self) -> Result<Box<dyn ExperimentStore>> {
        if !self.exists() {
            return Err(StoreError::NoDatabase(self.to_string()));
        }
        self.open()
    }

    /// Opens the database, creating it, and a SQLite file's folder, if missing.
    ///
    /// # Errors
    /// [`StoreError::CreateFolder`] for a folder that cannot be made; else as [`Location::open`].
    pub fn open_or_create(&self) -> Result<Box<dyn ExperimentStore>> {
        if let Some(parent) = self.sqlite_path().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::CreateFolder { path: parent.display().to_string(), reason: e.to_string() })?;
        }
        self.open()
    }

    /// Whether there is a database here to read. A SQLite file must exist; a server is asked
    /// when it is opened, so this is true for it.
    pub fn exists(&self) -> bool {
        match self {
            Location::Sqlite(p) => p.exists(),
            Location::Postgres(_) | Location::Unsupported { .. } => true,
        }
    }

    /// The SQLite file, if this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) | Location::Unsupported { .. } => None,
        }
    }
}

/// Opens the store at `location` (a SQLite path or a `postgres://` URL).
///
/// # Errors
/// As [`Location::open`] (which gives [`StoreError::UnknownScheme`] for any other
/// `scheme://`), and [`StoreError::BadLocation`] for an empty location.
pub fn open(location: &str) -> Result<Box<dyn ExperimentStore>> {
    location.parse::<Location>()?.open()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_redact() {
        assert_eq!("a/b.sqlite".parse::<Location>().unwrap(), Location::Sqlite("a/b.sqlite".into()));
        assert_eq!("sqlite:///tmp/x.db".parse::<Location>().unwrap(), Location::Sqlite("/tmp/x.db".into()));
        assert_eq!("C:/x.db".parse::<Location>().unwrap(), Location::Sqlite("C:/x.db".into()));
        let pg: Location = "postgresql://u:pw@h:5433/d?schema=s".parse().unwrap();
        assert_eq!(pg.to_string(), "postgresql://u:***@h:5433/d?schema=s");
        assert_eq!(redact("postgres://u@h/d"), "postgres://u@h/d");
        let unknown: Location = "mysql://u:pw@h/d".parse().unwrap();
        assert_eq!(unknown.to_string(), "mysql://u:***@h/d");
        match unknown.open() {
            Err(StoreError::UnknownScheme { scheme, location }) => {
                assert_eq!(scheme, "mysql");
                assert!(!location.contains("pw"), "{location}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert!(matches!("  ".parse::<Location>(), Err(StoreError::BadLocation(_))));
    }

    #[test]
    fn open_existing_refuses_a_missing_file_and_open_or_create_makes_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let at = Location::Sqlite(tmp.path().join("a/b/db.sqlite"));
        assert!(matches!(at.open_existing().map(|_| ()), Err(StoreError::NoDatabase(m)) if m.ends_with("db.sqlite")));
        assert!(!tmp.path().join("a").exists(), "nothing created");
        at.open_or_create().unwrap();
        assert!(at.exists());
        at.open_existing().unwrap();
    }
}
