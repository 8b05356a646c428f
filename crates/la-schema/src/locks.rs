//! PostgreSQL advisory locks keyed by (purpose, row id): the one place that
//! folds an `i64` id into PostgreSQL's two-integer lock key.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer};

/// What a lock protects; each purpose has its own key space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockSpace(i32);

/// A run in progress, keyed by its `pipeline_run_summaries` row (session lock).
pub const RUN: LockSpace = LockSpace(0x4C41_5255); // "LARU"
/// Writing one batch's sheets, keyed by the batch (transaction lock).
pub const SHEETS: LockSpace = LockSpace(0x4C41_5348); // "LASH"

fn key(id: i64) -> i32 {
    (id ^ (id >> 32)) as i32
}

fn call(conn: &mut PgConnection, function: &str, space: LockSpace, id: i64) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Got {
        #[diesel(sql_type = Bool)]
        got: bool,
    }
    // `function` is one of this module's fixed names, never input; void
    // results read as true.
    diesel::sql_query(format!(
        "SELECT coalesce({function}($1, $2)::text, '') <> 'false' AS got"
    ))
    .bind::<Integer, _>(space.0)
    .bind::<Integer, _>(key(id))
    .get_result::<Got>(conn)
    .map(|g| g.got)
}

/// Waits for the session lock.
pub fn lock(conn: &mut PgConnection, space: LockSpace, id: i64) -> QueryResult<()> {
    call(conn, "pg_advisory_lock", space, id).map(|_| ())
}

/// Takes the session lock if nobody holds it.
pub fn try_lock(conn: &mut PgConnection, space: LockSpace, id: i64) -> QueryResult<bool> {
    call(conn, "pg_try_advisory_lock", space, id)
}

/// Releases the session lock.
pub fn unlock(conn: &mut PgConnection, space: LockSpace, id: i64) -> QueryResult<()> {
    call(conn, "pg_advisory_unlock", space, id).map(|_| ())
}

/// Waits for the lock until the end of the current transaction.
pub fn lock_xact(conn: &mut PgConnection, space: LockSpace, id: i64) -> QueryResult<()> {
    call(conn, "pg_advisory_xact_lock", space, id).map(|_| ())
}
