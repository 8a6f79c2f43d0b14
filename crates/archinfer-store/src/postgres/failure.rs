//! What went wrong talking to PostgreSQL: a lost connection worth reconnecting for, a conflict
//! worth retrying, or a final answer.

use std::fmt::Write as _;

use postgres::error::SqlState;

use crate::error::StoreError;

/// Is `e` a lost or refused connection (worth reconnecting), rather than an SQL error?
pub(super) fn is_connection_error(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(c) => is_connection_code(c),
        // No server error at all: an I/O failure or a dropped socket.
        None => true,
    }
}

/// Class 08 (connection exception), and the server shutting down or starting up: worth
/// waiting for, whether it comes from a query or from a connection attempt.
pub(super) fn is_connection_code(c: &SqlState) -> bool {
    c.code().starts_with("08") || *c == SqlState::ADMIN_SHUTDOWN || *c == SqlState::CRASH_SHUTDOWN || *c == SqlState::CANNOT_CONNECT_NOW
}

/// Is `e` a conflict after which PostgreSQL rolled the transaction back and a retry is safe?
pub(super) fn is_transient_conflict(e: &postgres::Error) -> bool {
    e.code().is_some_and(is_transient_code)
}

pub(super) fn is_transient_code(c: &SqlState) -> bool {
    *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
}

/// What went wrong inside one attempt: a PostgreSQL error (maybe a lost connection), or an
/// answer that is final (unknown task, conflict …).
pub(super) enum Failure {
    Pg(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Self {
        Failure::Pg(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

/// The error and its sources, on one line (the driver's own message is often just "db error").
pub(super) fn error_chain(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(x) = src {
        let _ = write!(s, ": {x}");
        src = x.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlocks_and_serialization_failures_are_retried_other_errors_are_not() {
        // A restart's "the database system is starting up" is waited out, on connect too.
        assert!(is_connection_code(&SqlState::CANNOT_CONNECT_NOW));
        assert!(is_connection_code(&SqlState::ADMIN_SHUTDOWN));
        assert!(is_connection_code(&SqlState::CONNECTION_FAILURE));
        assert!(!is_connection_code(&SqlState::INVALID_PASSWORD));
        assert!(!is_connection_code(&SqlState::UNIQUE_VIOLATION));
        assert!(is_transient_code(&SqlState::T_R_DEADLOCK_DETECTED));
        assert!(is_transient_code(&SqlState::T_R_SERIALIZATION_FAILURE));
        assert!(!is_transient_code(&SqlState::UNIQUE_VIOLATION));
        assert!(!is_transient_code(&SqlState::UNDEFINED_TABLE));
    }
}
