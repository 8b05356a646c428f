//! The database side of leads-assignment: the only crate that knows table
//! layouts. It owns the Diesel `table!` schema ([`schema`]), the row types
//! ([`models`]), the SQL migrations embedded from `migrations/`, and how to
//! connect ([`connect`], [`pool`]) and upgrade ([`run_pending_migrations`]).
//! Other crates build their queries from these definitions.
//!
//! API: [`schema`], [`models`] and [`codes`] for queries; [`connect`],
//! [`pool`], [`session`] and [`run_pending_migrations`]; [`eligibility`],
//! [`locks`] and [`blocking`] for the rules other crates share; [`secrets`]
//! for anything that prints a URL; [`seed`] for tests, benchmarks and the
//! demo; feature `testing` for test databases.

pub mod blocking;
pub mod codes;
pub mod eligibility;
pub mod locks;
pub mod models;
pub mod schema;
pub mod secrets;
pub mod seed;
pub mod session;

pub use secrets::{check_url, redact_url, scrub};

/// This pipeline's name wherever the database records it: `pipelines.code`,
/// the notification profile's code, `pipeline_run_summaries.pipeline_name`,
/// `documents.doc_type`.
pub const PIPELINE: &str = "leads_assignment";
#[cfg(feature = "testing")]
pub mod testing;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::RunQueryDsl;
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

/// Opens one connection with the default session bounds
/// ([`session::SessionOptions`]).
pub fn connect(url: &str) -> Result<PgConnection, SchemaError> {
    session::connect_with(url, &session::SessionOptions::default())
}

/// An r2d2 pool of at most `max_size` connections; checks one connection out
/// first so a bad URL fails here rather than on first use.
pub fn pool(url: &str, max_size: u32) -> Result<PgPool, SchemaError> {
    connect(url)?;
    let options = session::SessionOptions::default();
    Pool::builder()
        .max_size(max_size)
        .connection_customizer(Box::new(Bounded(options.clone())))
        .build(ConnectionManager::<PgConnection>::new(
            session::with_parameters(url, &options),
        ))
        .map_err(|e| SchemaError::Pool {
            url: redact_url(url),
            reason: scrub(&e.to_string(), url),
        })
}

/// Every pooled connection gets the session's lock and statement bounds.
#[derive(Debug)]
struct Bounded(session::SessionOptions);

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for Bounded {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&session::bounds_sql(&self.0))
            .map_err(diesel::r2d2::Error::QueryError)
    }
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
