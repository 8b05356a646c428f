//! `agents list` and `agents leave add|list|remove`.

use std::fmt::Write as _;

use leads_assignment::assign::engine::Leave;
use leads_assignment::assign::leave::{
    add_leave, agents_overview, list_leave, remove_leave, AgentOverview, LeaveError, LeaveLine,
};

use crate::db::connect;
use crate::error::CmdError;
use crate::{exit, AgentsCommand, LeaveCommand};

fn leave_error(e: LeaveError) -> CmdError {
    if e.is_malformed() {
        CmdError::usage(e.to_string())
    } else {
        CmdError::from(e.to_string())
    }
}

pub fn agents(url: Option<&str>, command: AgentsCommand) -> Result<u8, CmdError> {
    match command {
        AgentsCommand::List { store, timezone } => {
            let mut conn = connect(url)?;
            let (day, agents) = agents_overview(&mut conn, store.as_deref(), timezone.as_deref())
                .map_err(leave_error)?;
            out_raw!("{}", overview(day, &agents));
        }
        AgentsCommand::Leave { command } => leave(url, command)?,
    }
    Ok(exit::OK)
}

fn leave(url: Option<&str>, command: LeaveCommand) -> Result<(), CmdError> {
    match command {
        LeaveCommand::Add {
            agent_code,
            from,
            to,
            reason,
        } => {
            if to < from {
                return Err(leave_error(LeaveError::Range { from, to }));
            }
            let mut conn = connect(url)?;
            let by = std::env::var("USER").unwrap_or_else(|_| "cli".into());
            let l = add_leave(&mut conn, &agent_code, from, to, reason.as_deref(), &by)
                .map_err(leave_error)?;
            out!("added leave {}", leave_line(&l));
        }
        LeaveCommand::List { agent, all } => {
            let mut conn = connect(url)?;
            let today = if all {
                None
            } else {
                Some(chrono::Local::now().date_naive())
            };
            let lines = list_leave(&mut conn, agent.as_deref(), today).map_err(leave_error)?;
            if lines.is_empty() {
                out!(
                    "no leave recorded{}",
                    if all { "" } else { " from today on" }
                );
            }
            for l in &lines {
                out!("{}", leave_line(l));
            }
        }
        LeaveCommand::Remove { id } => {
            let mut conn = connect(url)?;
            let l = remove_leave(&mut conn, id).map_err(leave_error)?;
            out!("removed leave {}", leave_line(&l));
        }
    }
    Ok(())
}

fn leave_line(l: &LeaveLine) -> String {
    format!(
        "{:<6} {:<6} {:<20} {} to {}{}",
        l.id,
        l.agent_code,
        l.agent_name,
        l.first_day,
        l.last_day,
        l.reason
            .as_deref()
            .map(|r| format!("  {r}"))
            .unwrap_or_default()
    )
}

fn leave_words(l: &Option<Leave>) -> String {
    l.as_ref()
        .map(|l| leads_assignment::assign::engine::SkipReason::OnLeave(l.clone()).to_string())
        .unwrap_or_else(|| "not on leave".into())
}

/// `agents list` as text: one block per agent.
fn overview(day: chrono::NaiveDate, agents: &[AgentOverview]) -> String {
    let mut s = format!("Agents on {day} (counts: leads of the store today / over 28 days)\n");
    for a in agents {
        let _ = writeln!(
            s,
            "{:<6} {:<20} {}, {}",
            a.agent_code.as_deref().unwrap_or("(none)"),
            a.agent_name,
            if a.active { "active" } else { "INACTIVE" },
            leave_words(&a.leave)
        );
        let cap = |c: Option<i32>| c.map_or("-".to_string(), |c| c.to_string());
        for m in &a.stores {
            let _ = writeln!(
                s,
                "  store {:<10} prio {:>3}{} caps E {} N {} daily {}: today {}, 28 days {}",
                m.store_code,
                m.priority,
                if m.enabled { "" } else { " (disabled)" },
                cap(m.max_existing_per_lot),
                cap(m.max_new_per_lot),
                cap(m.max_daily_leads),
                m.assigned_today,
                m.assigned_window
            );
        }
    }
    s
}
