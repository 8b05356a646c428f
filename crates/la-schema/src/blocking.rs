//! Who is in the way (docs/decisions.md D28): the sessions that hold locks
//! on the pipeline's tables (or its advisory locks) right now, and the
//! leads whose rows are locked, so a timed-out wait names its obstacle.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamptz};

/// The pipeline's tables and the operator's tables it writes.
const TABLES: &[&str] = &[
    "missed_leads",
    "lead_assignments",
    "lead_assignment_batches",
    "lead_assignment_outcomes",
    "lead_assignment_deliveries",
    "lead_assignment_ingests",
    "lead_assignment_sheets",
    "documents",
    "pipeline_run_summaries",
    "agents_master",
    "store_lead_assignment_map",
    "agent_leave",
    "__diesel_schema_migrations",
];

/// Another session holding locks the pipeline may wait for.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct Blocker {
    #[diesel(sql_type = Integer)]
    pub pid: i32,
    #[diesel(sql_type = Text)]
    pub application_name: String,
    #[diesel(sql_type = Text)]
    pub user_name: String,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// The first words of its current or last query.
    #[diesel(sql_type = Text)]
    pub query: String,
    /// What it holds: tables (with the lock mode), or the pipeline's
    /// advisory locks.
    #[diesel(sql_type = Text)]
    pub holds: String,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let since = self.since.map_or_else(
            || "?".into(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        write!(
            f,
            "pid {} (application_name {:?}, user {}, {} since {}) holds {}; its query: {}",
            self.pid,
            self.application_name,
            self.user_name,
            self.state,
            since,
            self.holds,
            self.query
        )
    }
}

/// The sessions of this database, other than this one, holding a lock on a
/// pipeline table in a mode stronger than a plain read, or an advisory lock.
pub fn blockers(conn: &mut PgConnection) -> QueryResult<Vec<Blocker>> {
    let tables = TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let classids = crate::locks::classids()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    // `tables` and `classids` are constants, never input.
    diesel::sql_query(format!(
        "SELECT a.pid, coalesce(a.application_name, '') AS application_name,
                coalesce(a.usename::text, '') AS user_name, coalesce(a.state, '') AS state,
                a.state_change AS since,
                left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 80) AS query,
                string_agg(DISTINCT CASE WHEN l.locktype = 'advisory' THEN 'an advisory lock of leads-assignment'
                                         ELSE c.relname || ' (' || l.mode || ')' END, ', ') AS holds
         FROM pg_locks l
         JOIN pg_stat_activity a ON a.pid = l.pid
         LEFT JOIN pg_class c ON c.oid = l.relation
         WHERE l.granted AND l.pid <> pg_backend_pid()
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND ((c.relname IN ({tables}) AND l.mode <> 'AccessShareLock')
                OR (l.locktype = 'advisory' AND l.classid::bigint IN ({classids})))
         GROUP BY a.pid, a.application_name, a.usename, a.state, a.state_change, a.query
         ORDER BY a.pid"
    ))
    .load(conn)
}

/// Up to `limit` unassigned leads (`pickup_row_id`) whose rows another
/// session holds locked (for update, or for an update not of the key).
/// Probes with shared row locks, the mildest that such a lock excludes, in
/// a transaction of its own that is always rolled back; meant for after a
/// lock timeout.
pub(crate) fn locked_leads(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Integer)]
        pickup_row_id: i32,
    }
    let mut found: Option<QueryResult<Vec<Id>>> = None;
    let _ = conn.transaction::<(), diesel::result::Error, _>(|c| {
        found = Some(
            diesel::sql_query(
                "WITH free AS MATERIALIZED (
                     SELECT ctid FROM missed_leads WHERE lead_assigned IS NOT TRUE
                     FOR SHARE SKIP LOCKED)
                 SELECT m.pickup_row_id FROM missed_leads m
                 WHERE m.lead_assigned IS NOT TRUE AND m.ctid NOT IN (SELECT ctid FROM free)
                 ORDER BY m.pickup_row_id LIMIT $1",
            )
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load(c),
        );
        // The probe's row locks must not outlive it.
        Err(diesel::result::Error::RollbackTransaction)
    });
    match found {
        Some(rows) => rows.map(|r| r.into_iter().map(|i| i.pickup_row_id).collect()),
        None => Ok(Vec::new()),
    }
}

/// One paragraph for an error that ran out of waiting: what is locked and
/// by whom, read from the database right now.
pub fn explain(conn: &mut PgConnection) -> String {
    let mut parts = Vec::new();
    match locked_leads(conn, 5) {
        Ok(ids) if !ids.is_empty() => parts.push(format!(
            "missed_leads rows locked by another session: pickup_row_id {}",
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => {}
    }
    match blockers(conn) {
        Ok(b) if b.is_empty() => parts.push(
            "no session holds a lock on the pipeline's tables any more (it may have finished)"
                .into(),
        ),
        Ok(b) => parts.extend(b.iter().map(|b| format!("blocked by {b}"))),
        Err(e) => parts.push(format!("who blocks could not be read: {e}")),
    }
    parts.join("; ")
}
