//! The database connection every command opens: its URL checked, its
//! session bounded, its schema up to date; what is in the way when a wait
//! ran out.

use leads_assignment::schema::session::SessionOptions;
use leads_assignment::Vars;

use crate::error::CmdError;

fn database_url(url: Option<&str>) -> Result<&str, CmdError> {
    match url {
        Some(u) if !u.trim().is_empty() => {
            leads_assignment::schema::check_url(u)
                .map_err(|why| CmdError::usage(format!("the database URL: {why}")))?;
            Ok(u)
        }
        _ => Err(CmdError::usage(
            "no database: pass --database-url or set DATABASE_URL",
        )),
    }
}

/// How this process's connections behave: named after the command, bounded
/// by `LEADS_DB_*_TIMEOUT` (docs/decisions.md D28). Set once by [`set_session`].
static SESSION: std::sync::OnceLock<SessionOptions> = std::sync::OnceLock::new();

/// Sets how this process's connections behave, for `command`.
pub fn set_session(command: &str) -> Result<(), CmdError> {
    let options = Vars::process().session(SessionOptions::for_command(command))?;
    let _ = SESSION.set(options);
    Ok(())
}

pub fn connect_any(url: Option<&str>) -> Result<diesel::PgConnection, CmdError> {
    let options = SESSION.get().cloned().unwrap_or_default();
    Ok(
        leads_assignment::schema::session::connect_with(database_url(url)?, &options)
            .map_err(|e| e.to_string())?,
    )
}

/// A failure that ran out of waiting on the database gets what is in the
/// way, read right now on a fresh connection (docs/decisions.md D28).
pub fn with_obstacle(url: Option<&str>, mut e: CmdError) -> CmdError {
    if !leads_assignment::schema::session::is_wait_timeout(&e.message) {
        return e;
    }
    if let Ok(mut conn) = connect_any(url) {
        let why = leads_assignment::schema::blocking::explain(&mut conn);
        e.message
            .push_str(&format!("\n  waiting on the database ran out: {why}"));
    }
    e
}

/// A connection to a database whose schema is up to date; else the hint to
/// run `migrate`.
pub fn connect(url: Option<&str>) -> Result<diesel::PgConnection, CmdError> {
    let mut conn = connect_any(url)?;
    let pending = leads_assignment::schema::pending_migrations(&mut conn)
        .map_err(|e| format!("checking the schema: {e}"))?;
    if !pending.is_empty() {
        return Err(format!(
            "the database is not migrated ({} pending migration(s)): run `leads-assignment migrate`",
            pending.len()
        )
        .into());
    }
    Ok(conn)
}
