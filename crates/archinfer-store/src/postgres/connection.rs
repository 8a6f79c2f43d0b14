//! The PostgreSQL store itself: its options, its one connection (reconnected with backoff when
//! lost) and the migration of its schema on connect.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::{Client, NoTls};

use crate::error::Result;
use crate::error::StoreError;
use crate::postgres::failure::{Failure, error_chain, is_connection_code, is_connection_error, is_transient_conflict};
use crate::postgres::schema::{MIGRATIONS, POSTGRES_SCHEMA_VERSION};

/// How a [`PostgresStore`] connects and rides out a lost connection.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Give up on one connection attempt after this long (an unreachable server is an error,
    /// not a hang).
    pub connect_timeout: Duration,
    /// Keep retrying a lost connection for this long in all before failing the operation.
    pub reconnect_for: Duration,
    /// First wait between reconnection attempts; it doubles up to 5 s.
    pub initial_backoff: Duration,
    /// Print a line on standard error when the connection is lost and when it is back.
    pub report: bool,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            reconnect_for: Duration::from_secs(120),
            initial_backoff: Duration::from_millis(250),
            report: true,
        }
    }
}

/// An [`ExperimentStore`] in a PostgreSQL database, shared by any number of worker processes
/// on any number of machines.
///
/// The location is a `postgres://user:password@host:port/database` URL. An optional
/// `schema=NAME` query parameter puts archinfer's tables in their own PostgreSQL schema (default
/// `archinfer`), so one database can hold several archinfer databases next to other data.
pub struct PostgresStore {
    config: postgres::Config,
    schema: String,
    server: String,
    options: PostgresOptions,
    client: Mutex<Option<Client>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("server", &self.server).field("schema", &self.schema).finish()
    }
}

/// Splits our own `schema=` parameter off a URL (the driver refuses parameters it does not know).
fn split_schema(url: &str) -> Result<(String, String)> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_string(), "archinfer".into())) };
    let mut schema = "archinfer".to_string();
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", v)) => schema = v.to_string(),
            _ => rest.push(pair),
        }
    }
    let valid = !schema.is_empty()
        && schema.len() <= 63
        && schema.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && schema.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(StoreError::BadLocation(format!(
            "schema `{schema}`: use lower-case letters, digits and `_`, starting with a letter"
        )));
    }
    let url = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
    Ok((url, schema))
}

impl PostgresStore {
    /// Connects to the database at `url` (creating and migrating archinfer's tables as needed)
    /// with default [`PostgresOptions`].
    ///
    /// # Errors
    /// [`StoreError::Unreachable`] (no answer within the connect timeout),
    /// [`StoreError::Authentication`] (wrong user or password), [`StoreError::BadLocation`],
    /// [`StoreError::SchemaTooNew`], or another PostgreSQL error.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PostgresOptions::default())
    }

    /// [`PostgresStore::connect`] with explicit options.
    ///
    /// # Errors
    /// As [`PostgresStore::connect`].
    pub fn connect_with(url: &str, options: PostgresOptions) -> Result<Self> {
        let (url, schema) = split_schema(url)?;
        let mut config = postgres::Config::from_str(&url).map_err(|e| StoreError::BadLocation(format!("{e}")))?;
        config.connect_timeout(options.connect_timeout);
        // A server that vanishes without closing its sockets must not hang a worker forever.
        config.keepalives(true).keepalives_idle(Duration::from_secs(30));
        config.tcp_user_timeout(Duration::from_secs(60));
        if config.get_application_name().is_none() {
            config.application_name("archinfer");
        }
        let server = describe(&config);
        let store = Self { config, schema, server, options, client: Mutex::new(None) };
        let client = store.open_client()?;
        *store.lock() = Some(client);
        store.migrate()?;
        Ok(store)
    }

    /// Where this store lives, without the password: `user@host:port/database (schema s)`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The PostgreSQL schema holding archinfer's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Client>> {
        // A panic while holding the lock leaves at worst a broken connection, which is replaced.
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One connection attempt, classified.
    fn open_client(&self) -> Result<Client> {
        let mut client = self.config.connect(NoTls).map_err(|e| self.connect_error(&e))?;
        let first = client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {0}; SET search_path TO {0}", self.schema));
        match first {
            Ok(()) => {}
            // Two processes creating the schema at once: the loser sees a unique violation.
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => client
                .batch_execute(&format!("SET search_path TO {}", self.schema))
                .map_err(|e| self.connect_error(&e))?,
            Err(e) => return Err(self.connect_error(&e)),
        }
        Ok(client)
    }

    fn connect_error(&self, e: &postgres::Error) -> StoreError {
        let reason = error_chain(e);
        match e.code() {
            Some(c) if *c == SqlState::INVALID_PASSWORD || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                StoreError::Authentication { server: self.server.clone(), reason }
            }
            Some(c) if *c == SqlState::INVALID_CATALOG_NAME => StoreError::NoSuchDatabase { server: self.server.clone(), reason },
            // A server still starting up after a restart (57P03) refuses connections for a
            // moment: retried like an unreachable one, not reported as an SQL error.
            Some(c) if is_connection_code(c) => StoreError::Unreachable { server: self.server.clone(), reason },
            Some(_) => StoreError::Postgres(reason),
            None => StoreError::Unreachable { server: self.server.clone(), reason },
        }
    }

    /// Runs `op` on the connection, reconnecting with backoff while the connection is lost.
    /// `op` gets the attempt number (0 first), so an operation that is not idempotent can look
    /// for the effect of an earlier attempt whose answer was lost.
    pub(super) fn run<T>(&self, mut op: impl FnMut(&mut Client, usize) -> Result<T, Failure>) -> Result<T> {
        let started = Instant::now();
        let mut backoff = self.options.initial_backoff;
        let mut attempt = 0;
        let mut guard = self.lock();
        let mut lost: Option<String> = None;
        let mut conflicts = 0usize;
        loop {
            if guard.as_ref().is_some_and(Client::is_closed) {
                // The server closed the connection while it was idle (a restart, say).
                let reason = "the server closed the connection".to_string();
                if self.options.report {
                    eprintln!("archinfer: lost the connection to {}: {reason}; reconnecting", self.server);
                }
                lost = Some(reason);
                *guard = None;
            }
            if guard.is_none() {
                match self.open_client() {
                    Ok(c) => {
                        if let (Some(_), true) = (&lost, self.options.report) {
                            eprintln!("archinfer: reconnected to {} after {:.1} s", self.server, started.elapsed().as_secs_f64());
                        }
                        *guard = Some(c);
                    }
                    Err(StoreError::Unreachable { reason, .. }) => {
                        if started.elapsed() + backoff > self.options.reconnect_for {
                            return Err(self.gave_up(started, lost.unwrap_or(reason)));
                        }
                        if lost.is_none() && self.options.report {
                            eprintln!("archinfer: cannot reach {}: {reason}; retrying", self.server);
                        }
                        lost.get_or_insert(reason);
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let Some(client) = guard.as_mut() else { continue };
            match op(client, attempt) {
                Ok(v) => return Ok(v),
                Err(Failure::Store(e)) => return Err(e),
                Err(Failure::Pg(e)) if is_connection_error(&e) => {
                    let reason = error_chain(&e);
                    if self.options.report {
                        eprintln!("archinfer: lost the connection to {}: {reason}; reconnecting", self.server);
                    }
                    lost = Some(reason.clone());
                    *guard = None;
                    attempt += 1;
                    if started.elapsed() + backoff > self.options.reconnect_for {
                        return Err(self.gave_up(started, reason));
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                // A deadlock (two requeues locking the same stale rows in different orders) or a
                // serialization failure rolled the whole transaction back: run it again.
                Err(Failure::Pg(e)) if is_transient_conflict(&e) && conflicts < 20 => {
                    conflicts += 1;
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(5 * conflicts as u64));
                }
                Err(Failure::Pg(e)) => return Err(StoreError::Postgres(error_chain(&e))),
            }
        }
    }

    /// The error after reconnecting for too long since `started`.
    fn gave_up(&self, started: Instant, reason: String) -> StoreError {
        StoreError::ConnectionLost { server: self.server.clone(), seconds: started.elapsed().as_secs_f64(), reason }
    }

    /// Applies the missing migrations under an advisory lock, so processes starting together
    /// migrate once.
    fn migrate(&self) -> Result<()> {
        self.run(|c, _| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&format!("archinfer-migrate-{}", self.schema)])?;
            tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")?;
            let version: i64 = tx.query_one("SELECT COALESCE(max(version), 0) FROM schema_migrations", &[])?.get(0);
            if version > POSTGRES_SCHEMA_VERSION {
                return Err(Failure::Store(StoreError::SchemaTooNew { found: version, supported: POSTGRES_SCHEMA_VERSION }));
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.batch_execute(sql)?;
                tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&((i + 1) as i64)])?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// A new connection of its own to the same server, for administration and tests (its
    /// search path is not set).
    ///
    /// # Errors
    /// As [`PostgresStore::connect`].
    pub fn raw_client(&self) -> Result<Client> {
        self.config.connect(NoTls).map_err(|e| self.connect_error(&e))
    }

    /// The server's process id of this store's current connection (to test reconnection by
    /// terminating it).
    ///
    /// # Errors
    /// PostgreSQL errors.
    pub fn backend_pid(&self) -> Result<i32> {
        self.run(|c, _| Ok(c.query_one("SELECT pg_backend_pid()", &[])?.get(0)))
    }

    /// Drops archinfer's schema and everything in it. For tests and for starting over.
    ///
    /// # Errors
    /// PostgreSQL errors.
    pub fn drop_schema(self) -> Result<()> {
        let schema = self.schema.clone();
        self.run(|c, _| Ok(c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?))
    }
}

/// `user@host:port/db`, no password.
fn describe(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(s) => s.clone(),
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{}@{host}:{port}/{}", config.get_user().unwrap_or("?"), config.get_dbname().unwrap_or("?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_split_off_and_validated() {
        assert_eq!(split_schema("postgres://h/d").unwrap(), ("postgres://h/d".to_string(), "archinfer".to_string()));
        assert_eq!(
            split_schema("postgres://h/d?connect_timeout=3&schema=team_a").unwrap(),
            ("postgres://h/d?connect_timeout=3".to_string(), "team_a".to_string())
        );
        for bad in ["Team", "1abc", "a-b", "a;drop"] {
            assert!(matches!(split_schema(&format!("postgres://h/d?schema={bad}")), Err(StoreError::BadLocation(_))), "{bad}");
        }
    }
}
