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
/// Sending one email of a batch, keyed by [`email_id`] (session lock).
pub const EMAIL: LockSpace = LockSpace(0x4C41_454D); // "LAEM"

/// The lock id of email `key` of batch `batch_id`.
pub fn email_id(batch_id: i64, key: &str) -> i64 {
    // FNV-1a over the batch and the key: stable across processes.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in batch_id.to_le_bytes().iter().chain(key.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// The assignment of a batch: one transaction lock for every run, so
/// concurrent runs take turns (docs/decisions.md D8). A single 64-bit key.
pub(crate) const ASSIGNMENT: i64 = 0x4C45_4144_5341_5347; // "LEADSASG"

/// Waits (at most the session's `lock_timeout`) for `ASSIGNMENT` until the
/// end of the current transaction.
pub fn lock_assignment(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(ASSIGNMENT)
        .execute(conn)
        .map(|_| ())
}

/// `pg_locks.classid` of every advisory lock of this pipeline: how another
/// session's lock is recognised as ours.
pub(crate) fn classids() -> [i64; 4] {
    let space = |s: LockSpace| i64::from(s.0 as u32);
    [
        space(RUN),
        space(SHEETS),
        space(EMAIL),
        (ASSIGNMENT >> 32) & 0xFFFF_FFFF,
    ]
}

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
