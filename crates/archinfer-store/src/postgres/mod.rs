//! The PostgreSQL store: one database shared by workers on many machines.
//!
//! Claims use `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on each
//! other's rows. Liveness uses the *server's* clock (heartbeats and the requeue cutoff are both
//! computed by PostgreSQL), so workers on machines with skewed clocks cannot declare each other
//! dead. A lost connection is retried with exponential backoff; the two operations that are not
//! idempotent, claiming and reporting, carry a client-made token (`claimed_at` / `finished_at`),
//! so a retry after a commit whose answer was lost finds its own committed row instead of
//! claiming or reporting twice.
//!
//! [`connection`] holds the store and its connection (reconnecting with backoff, migrating the
//! schema), [`schema`] the tables and their migrations, [`failure`] the classification of
//! PostgreSQL errors, [`rows`] the queries and row conversions shared by the operations, and
//! [`store`] the [`ExperimentStore`](crate::store::ExperimentStore) implementation.

pub(crate) mod connection;
mod failure;
mod rows;
mod schema;
mod store;

pub use connection::{PostgresOptions, PostgresStore};
pub use schema::POSTGRES_SCHEMA_VERSION;
