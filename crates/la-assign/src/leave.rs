//! Agent leave (docs/decisions.md D19) and the agents overview: what the
//! `agents` commands read and write. Leave never touches the mappings; the
//! engine reads it as "this agent cannot be used today".

use chrono::NaiveDate;
use diesel::prelude::*;
use la_schema::models::{AgentLeave, NewAgentLeave, StoreAgentMapping};
use la_schema::schema::{
    agent_leave as al, agents_master as am, store_lead_assignment_map as slam,
};
use serde::Serialize;

use crate::engine::{self, Leave};
use crate::persist::{business_date, leave_on, pair_counts};
use crate::AssignError;

/// Why a leave command did nothing.
#[derive(Debug, thiserror::Error)]
pub enum LeaveError {
    /// `--to` before `--from`: malformed input.
    #[error("leave ends ({to}) before it starts ({from}): --to must be on or after --from")]
    Range { from: NaiveDate, to: NaiveDate },
    /// No agent has that code.
    #[error("no agent has the code {0:?} (see `leads-assignment agents list`)")]
    UnknownAgent(String),
    /// The agent already has leave on some of those days.
    #[error("agent {agent_code} already has leave {first_day} to {last_day} (id {id}), which overlaps {from} to {to}; nothing was written")]
    Overlap {
        agent_code: String,
        id: i64,
        first_day: NaiveDate,
        last_day: NaiveDate,
        from: NaiveDate,
        to: NaiveDate,
    },
    /// No leave has that id.
    #[error("no leave has the id {0} (see `leads-assignment agents leave list --all`)")]
    NoSuchLeave(i64),
    #[error(transparent)]
    Assign(#[from] AssignError),
    #[error("agent leave: {0}")]
    Query(#[from] diesel::result::Error),
}

impl LeaveError {
    /// The input itself is malformed (as opposed to breaking a rule).
    pub fn is_malformed(&self) -> bool {
        matches!(self, LeaveError::Range { .. })
    }
}

/// One leave, with its agent.
#[derive(Debug, Clone, Serialize)]
pub struct LeaveLine {
    pub id: i64,
    pub agent_code: String,
    pub agent_name: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub reason: Option<String>,
    pub created_by: Option<String>,
}

fn agent_by_code(conn: &mut PgConnection, code: &str) -> Result<(i64, String), LeaveError> {
    am::table
        .filter(am::agent_code.eq(code.trim()))
        .select((am::id, am::agent_name))
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| LeaveError::UnknownAgent(code.to_string()))
}

/// Records leave for the agent with `agent_code`, `from` to `to` inclusive.
/// Refuses an unknown agent, a reversed range and leave that overlaps the
/// agent's other leave, writing nothing.
pub fn add_leave(
    conn: &mut PgConnection,
    agent_code: &str,
    from: NaiveDate,
    to: NaiveDate,
    reason: Option<&str>,
    created_by: &str,
) -> Result<LeaveLine, LeaveError> {
    if to < from {
        return Err(LeaveError::Range { from, to });
    }
    conn.transaction(|conn| {
        // The agent's row lock serializes two adds for the same agent.
        let (agent_id, agent_name) = agent_by_code(conn, agent_code)?;
        let overlapping: Option<AgentLeave> = al::table
            .filter(al::agent_id.eq(agent_id))
            .filter(al::first_day.le(to))
            .filter(al::last_day.ge(from))
            .select(AgentLeave::as_select())
            .first(conn)
            .optional()?;
        if let Some(o) = overlapping {
            return Err(LeaveError::Overlap {
                agent_code: agent_code.trim().to_string(),
                id: o.id,
                first_day: o.first_day,
                last_day: o.last_day,
                from,
                to,
            });
        }
        let row: AgentLeave = diesel::insert_into(al::table)
            .values(&NewAgentLeave {
                agent_id,
                first_day: from,
                last_day: to,
                reason: reason
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                created_by: Some(created_by.to_string()),
            })
            .returning(AgentLeave::as_returning())
            .get_result(conn)?;
        Ok(line(row, agent_code.trim(), &agent_name))
    })
}

fn line(row: AgentLeave, agent_code: &str, agent_name: &str) -> LeaveLine {
    LeaveLine {
        id: row.id,
        agent_code: agent_code.to_string(),
        agent_name: agent_name.to_string(),
        first_day: row.first_day,
        last_day: row.last_day,
        reason: row.reason,
        created_by: row.created_by,
    }
}

/// Leave ending on or after `from_day` (every leave when None), optionally of
/// one agent, in agent then date order.
pub fn list_leave(
    conn: &mut PgConnection,
    agent_code: Option<&str>,
    from_day: Option<NaiveDate>,
) -> Result<Vec<LeaveLine>, LeaveError> {
    let mut q = al::table
        .inner_join(am::table)
        .select((AgentLeave::as_select(), am::agent_code, am::agent_name))
        .order((am::agent_code, al::first_day))
        .into_boxed();
    if let Some(code) = agent_code {
        q = q.filter(am::agent_code.eq(code.trim()));
    }
    if let Some(day) = from_day {
        q = q.filter(al::last_day.ge(day));
    }
    let rows: Vec<(AgentLeave, Option<String>, String)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, code, name)| line(row, code.as_deref().unwrap_or("").trim_end(), &name))
        .collect())
}

/// Deletes one leave; returns what it was.
pub fn remove_leave(conn: &mut PgConnection, id: i64) -> Result<LeaveLine, LeaveError> {
    conn.transaction(|conn| {
        let found = list_leave_by_id(conn, id)?;
        diesel::delete(al::table.find(id)).execute(conn)?;
        Ok(found)
    })
}

fn list_leave_by_id(conn: &mut PgConnection, id: i64) -> Result<LeaveLine, LeaveError> {
    let (row, code, name): (AgentLeave, Option<String>, String) = al::table
        .inner_join(am::table)
        .filter(al::id.eq(id))
        .select((AgentLeave::as_select(), am::agent_code, am::agent_name))
        .first(conn)
        .optional()?
        .ok_or(LeaveError::NoSuchLeave(id))?;
    Ok(line(row, code.as_deref().unwrap_or("").trim_end(), &name))
}

/// One agent's mapping as the overview shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AgentStore {
    pub store_code: String,
    pub enabled: bool,
    pub priority: i32,
    pub max_existing_per_lot: Option<i32>,
    pub max_new_per_lot: Option<i32>,
    pub max_daily_leads: Option<i32>,
    /// Leads of this store assigned to the agent on the business date.
    pub assigned_today: i64,
    /// … and over the fair-deal window (28 days, today included).
    pub assigned_window: i64,
}

/// One agent: code, name, active, leave, and every mapping with its counts.
#[derive(Debug, Clone, Serialize)]
pub struct AgentOverview {
    pub agent_id: i64,
    pub agent_code: Option<String>,
    pub agent_name: String,
    pub active: bool,
    pub leave: Option<Leave>,
    pub stores: Vec<AgentStore>,
}

/// Every agent (or those mapped to `store`), on the business date.
pub fn agents_overview(
    conn: &mut PgConnection,
    store: Option<&str>,
    timezone: Option<&str>,
) -> Result<(NaiveDate, Vec<AgentOverview>), LeaveError> {
    conn.build_transaction().read_only().run(|conn| {
        let day = business_date(conn, timezone)?;
        let window_start = day - chrono::Duration::days(engine::FAIR_WINDOW_DAYS - 1);
        let today = pair_counts(conn, day, day)?;
        let window = pair_counts(conn, window_start, day)?;
        let leave = leave_on(conn, day)?;
        let agents: Vec<(i64, Option<String>, String, bool)> = am::table
            .select((am::id, am::agent_code, am::agent_name, am::is_active))
            .order((am::agent_code, am::id))
            .load(conn)?;
        let maps: Vec<StoreAgentMapping> = slam::table
            .select(StoreAgentMapping::as_select())
            .order((slam::store_code, slam::priority))
            .load(conn)?;
        let wanted = |s: &str| store.is_none_or(|w| w.trim().eq_ignore_ascii_case(s.trim()));
        let out = agents
            .into_iter()
            .map(|(agent_id, agent_code, agent_name, active)| AgentOverview {
                stores: maps
                    .iter()
                    .filter(|m| m.agent_id == agent_id)
                    .map(|m| {
                        let key = (m.store_code.clone(), agent_id);
                        AgentStore {
                            store_code: m.store_code.clone(),
                            enabled: m.is_enabled,
                            priority: m.priority,
                            max_existing_per_lot: m.max_existing_per_lot,
                            max_new_per_lot: m.max_new_per_lot,
                            max_daily_leads: m.max_daily_leads,
                            assigned_today: today.get(&key).copied().unwrap_or(0),
                            assigned_window: window.get(&key).copied().unwrap_or(0),
                        }
                    })
                    .collect(),
                leave: leave.get(&agent_id).cloned(),
                agent_id,
                agent_code: agent_code.map(|c| c.trim_end().to_string()),
                agent_name,
                active,
            })
            .filter(|a| store.is_none() || a.stores.iter().any(|s| wanted(&s.store_code)))
            .collect();
        Ok((day, out))
    })
}
