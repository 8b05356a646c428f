//! How every connection of the pipeline behaves (docs/decisions.md D28): a
//! bounded connect, TCP keepalives, an `application_name` that says which
//! command it is, and bounded lock waits and statements, so no command
//! waits forever on the database.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::Connection;

use crate::secrets::{check_url, redact_url, scrub};
use crate::SchemaError;

/// The bounds and the name of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// `application_name`, e.g. `leads-assignment run`.
    pub application_name: String,
    /// libpq's `connect_timeout`: the whole connection setup.
    pub connect_timeout: Duration,
    /// `lock_timeout`: the longest wait for any one lock (a row, a table,
    /// another run's advisory lock).
    pub lock_timeout: Duration,
    /// `statement_timeout`: the longest any one statement may run.
    pub statement_timeout: Duration,
}

/// Default connect timeout: 10 s.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default lock wait: one minute.
pub(crate) const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);
/// Default statement bound: 30 minutes, some twenty times the longest
/// statement of a 1,000,000-lead run.
pub(crate) const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

impl Default for SessionOptions {
    fn default() -> SessionOptions {
        SessionOptions {
            application_name: "leads-assignment".into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
        }
    }
}

impl SessionOptions {
    /// The options for `leads-assignment <command>`.
    pub fn for_command(command: &str) -> SessionOptions {
        SessionOptions {
            application_name: format!("leads-assignment {command}"),
            ..SessionOptions::default()
        }
    }

    /// libpq parameters this adds to a connection string, unless the string
    /// sets them itself.
    fn parameters(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "connect_timeout",
                self.connect_timeout.as_secs().max(1).to_string(),
            ),
            ("keepalives", "1".into()),
            ("keepalives_idle", "30".into()),
            ("keepalives_interval", "10".into()),
            ("keepalives_count", "3".into()),
            ("application_name", self.application_name.clone()),
        ]
    }
}

/// `url` with the session's parameters added (URL or key=value form).
pub(crate) fn with_parameters(url: &str, options: &SessionOptions) -> String {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let mut out = url.trim().to_string();
    for (key, value) in options.parameters() {
        if is_url {
            if out.contains(&format!("?{key}=")) || out.contains(&format!("&{key}=")) {
                continue;
            }
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(&format!("{key}={}", percent_encode(&value)));
        } else {
            if out
                .split_whitespace()
                .any(|p| p.starts_with(&format!("{key}=")))
            {
                continue;
            }
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            out.push_str(&format!(" {key}='{quoted}'"));
        }
    }
    out
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Opens one connection with `options`: bounded connect and keepalives from
/// the connection string, then the session's lock and statement bounds.
pub fn connect_with(url: &str, options: &SessionOptions) -> Result<PgConnection, SchemaError> {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !is_url && !url.contains('=') {
        return Err(SchemaError::Connect {
            url: redact_url(url),
            reason: "not a PostgreSQL URL (expected postgres://user:password@host:port/database) or libpq key=value connection string"
                .into(),
        });
    }
    check_url(url).map_err(|reason| SchemaError::Connect {
        url: redact_url(url),
        reason: reason.into(),
    })?;
    let full = with_parameters(url, options);
    let mut conn = PgConnection::establish(&full).map_err(|e| SchemaError::Connect {
        url: redact_url(url),
        reason: scrub(&scrub(e.to_string().trim(), url), &full),
    })?;
    conn.batch_execute(&bounds_sql(options))
        .map_err(|source| SchemaError::Query {
            step: "setting the session's lock and statement timeouts",
            source,
        })?;
    Ok(conn)
}

/// The statements that set a session's lock and statement bounds.
pub(crate) fn bounds_sql(options: &SessionOptions) -> String {
    format!(
        "SET lock_timeout = {}; SET statement_timeout = {};",
        options.lock_timeout.as_millis().max(1),
        options.statement_timeout.as_millis().max(1)
    )
}

/// Whether a database message is a bounded wait that ran out (a lock or a
/// statement timeout) rather than another failure.
pub fn is_wait_timeout(message: &str) -> bool {
    message.contains("lock timeout") || message.contains("statement timeout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_join_either_form_and_keep_the_callers() {
        let o = SessionOptions::for_command("run");
        let u = with_parameters("postgres://u:p@h:5432/db", &o);
        assert!(
            u.starts_with("postgres://u:p@h:5432/db?connect_timeout=10&keepalives=1"),
            "{u}"
        );
        assert!(
            u.ends_with("application_name=leads-assignment%20run"),
            "{u}"
        );
        let u = with_parameters("postgres://h/db?sslmode=require&connect_timeout=3", &o);
        assert!(
            u.contains("sslmode=require&connect_timeout=3&keepalives=1"),
            "{u}"
        );
        assert_eq!(u.matches("connect_timeout").count(), 1, "{u}");
        let k = with_parameters("host=h dbname=db", &o);
        assert!(
            k.contains(" connect_timeout='10'")
                && k.contains(" application_name='leads-assignment run'"),
            "{k}"
        );
    }
}
