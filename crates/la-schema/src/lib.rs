//! The database side of leads-assignment: the only crate that knows table
//! layouts. It owns the Diesel `table!` schema ([`schema`]), the row types
//! ([`models`]), the SQL migrations embedded from `migrations/`, and how to
//! connect ([`connect`], [`pool`]) and upgrade ([`run_pending_migrations`]).
//! Other crates build their queries from these definitions.

pub mod models;
pub mod schema;
pub mod seed;
#[cfg(feature = "testing")]
pub mod testing;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The migrations of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// A pool of PostgreSQL connections.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// Errors of this crate. Messages never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The URL could not be used (malformed, host unreachable, bad credentials…).
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL with any password replaced by `***`.
        url: String,
        /// The driver's message.
        reason: String,
    },
    /// Building the pool failed.
    #[error("cannot build a connection pool for {url}: {reason}")]
    Pool {
        /// The URL with any password replaced by `***`.
        url: String,
        /// The pool's message.
        reason: String,
    },
    /// A migration failed; nothing of that migration was kept.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A query around the migrations failed.
    #[error("{step}: {source}")]
    Query {
        /// What was being done.
        step: &'static str,
        /// The database error.
        source: diesel::result::Error,
    },
}

/// `url` with the password (if any) replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    // scheme://user:password@host/...
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return redact_query_password(url);
    };
    let userinfo = &authority[..at];
    let redacted_userinfo = match userinfo.find(':') {
        Some(colon) => format!("{}:***", &userinfo[..colon]),
        None => userinfo.to_string(),
    };
    redact_query_password(&format!(
        "{}{}{}",
        &url[..scheme_end + 3],
        redacted_userinfo,
        &rest[at..]
    ))
}

fn redact_query_password(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_string();
    };
    let params: Vec<String> = url[q + 1..]
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{}?{}", &url[..q], params.join("&"))
}

/// Scrubs any occurrence of the URL's password from a driver message.
fn scrub(message: &str, url: &str) -> String {
    let mut out = message.to_string();
    if let Some(pw) = password_of(url) {
        if !pw.is_empty() {
            out = out.replace(&pw, "***");
        }
    }
    // One line: driver messages span several ("...failed: ...\n\tIs the server running...").
    out.replace(url, &redact_url(url))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn password_of(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    Some(userinfo.split_once(':')?.1.to_string())
}

/// Opens one connection.
pub fn connect(url: &str) -> Result<PgConnection, SchemaError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(SchemaError::Connect {
            url: redact_url(url),
            reason: "not a PostgreSQL URL (expected postgres://user:password@host:port/database)"
                .into(),
        });
    }
    PgConnection::establish(url).map_err(|e| SchemaError::Connect {
        url: redact_url(url),
        reason: scrub(e.to_string().trim(), url),
    })
}

/// An r2d2 pool of at most `max_size` connections; checks one connection out
/// first so a bad URL fails here rather than on first use.
pub fn pool(url: &str, max_size: u32) -> Result<PgPool, SchemaError> {
    connect(url)?;
    Pool::builder()
        .max_size(max_size)
        .build(ConnectionManager::<PgConnection>::new(url))
        .map_err(|e| SchemaError::Pool {
            url: redact_url(url),
            reason: scrub(&e.to_string(), url),
        })
}

/// Applies every pending migration, each in its own transaction (except the
/// concurrent index build, which runs outside one). Returns the versions applied,
/// oldest first; empty when the schema is up to date.
pub fn run_pending_migrations(conn: &mut PgConnection) -> Result<Vec<String>, SchemaError> {
    drop_invalid_eligibility_index(conn)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| SchemaError::Migration(e.to_string()))?;
    let versions: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
    for v in &versions {
        log::info!("applied migration {v}");
    }
    Ok(versions)
}

/// Versions of the embedded migrations not yet applied.
pub fn pending_migrations(conn: &mut PgConnection) -> Result<Vec<String>, SchemaError> {
    let pending = conn
        .pending_migrations(MIGRATIONS)
        .map_err(|e| SchemaError::Migration(e.to_string()))?;
    Ok(pending
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
}

/// A `CREATE INDEX CONCURRENTLY` interrupted part-way leaves an INVALID index
/// behind, which `IF NOT EXISTS` would then accept as done. Drop it so the
/// migration builds it again.
fn drop_invalid_eligibility_index(conn: &mut PgConnection) -> Result<(), SchemaError> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        invalid: bool,
    }
    let found: Vec<Found> = diesel::sql_query(
        "SELECT NOT i.indisvalid AS invalid FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE c.relname = 'ix_missed_leads_assign_eligible' \
           AND c.relnamespace = current_schema()::regnamespace",
    )
    .load(conn)
    .map_err(|source| SchemaError::Query {
        step: "checking for an interrupted eligibility index build",
        source,
    })?;
    if found.iter().any(|f| f.invalid) {
        log::warn!(
            "dropping invalid index ix_missed_leads_assign_eligible left by an interrupted build"
        );
        conn.batch_execute("DROP INDEX CONCURRENTLY IF EXISTS ix_missed_leads_assign_eligible")
            .map_err(|source| SchemaError::Query {
                step: "dropping the invalid eligibility index",
                source,
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.example:5432/leads"),
            "postgres://app:***@db.example:5432/leads"
        );
        assert_eq!(
            redact_url("postgres://app@db/leads"),
            "postgres://app@db/leads"
        );
        assert_eq!(
            redact_url("postgres://db/leads?user=a&password=zz"),
            "postgres://db/leads?user=a&password=***"
        );
        assert_eq!(redact_url("postgres://u:p@ss@h/d"), "postgres://u:***@h/d");
        assert!(!scrub("failed for p@ss", "postgres://u:p@ss@h/d").contains("p@ss"));
    }
}
