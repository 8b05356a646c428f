//! Test support (feature `testing`): one throwaway server per test binary and a
//! fresh, fully migrated database per test, cloned from a template database
//! migrated once. Failures here abort the calling test with a message.
#![allow(clippy::panic, clippy::expect_used)]

use std::sync::OnceLock;

use diesel::PgConnection;
use la_pgtemp::TempServer;

const TEMPLATE: &str = "la_template";

/// The server shared by every test of this binary (started on first use).
pub fn server() -> &'static TempServer {
    static SERVER: OnceLock<TempServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = TempServer::start().unwrap_or_else(|e| panic!("throwaway PostgreSQL: {e}"));
        let url = server
            .create_database(TEMPLATE, None)
            .unwrap_or_else(|e| panic!("template database: {e}"));
        let mut conn = crate::connect(&url).unwrap_or_else(|e| panic!("{e}"));
        crate::run_pending_migrations(&mut conn)
            .unwrap_or_else(|e| panic!("migrating the template: {e}"));
        drop(conn);
        server
    })
}

/// A database private to one test.
#[derive(Debug, Clone)]
pub struct TestDb {
    /// Its connection URL.
    pub url: String,
    /// Its name.
    pub name: String,
}

impl TestDb {
    /// A new connection to it.
    pub fn conn(&self) -> PgConnection {
        crate::connect(&self.url).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A fresh database with every migration applied.
pub fn migrated_db() -> TestDb {
    let server = server();
    let name = server.unique_name("t");
    let url = server
        .create_database(&name, Some(TEMPLATE))
        .unwrap_or_else(|e| panic!("{e}"));
    TestDb { url, name }
}

/// A fresh empty database (no migrations), e.g. to load a legacy schema first.
pub fn empty_db() -> TestDb {
    let server = server();
    let name = server.unique_name("e");
    let url = server
        .create_database(&name, None)
        .unwrap_or_else(|e| panic!("{e}"));
    TestDb { url, name }
}

/// A customer in each script the sheets draw, as (script, name, address),
/// from `tests/fixtures/names_in_every_script.tsv`.
pub fn names_in_every_script() -> Vec<(&'static str, &'static str, &'static str)> {
    include_str!("../../../tests/fixtures/names_in_every_script.tsv")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.split('\t');
            Some((parts.next()?, parts.next()?, parts.next()?))
        })
        .collect()
}

/// The legacy fixture (`tests/fixtures/legacy_schema.sql`): the operator's
/// database before this project.
pub const LEGACY_FIXTURE: &str = include_str!("../../../tests/fixtures/legacy_schema.sql");

/// Loads the legacy fixture with `missed_leads_rows` missed leads.
pub fn load_legacy_fixture(
    conn: &mut PgConnection,
    missed_leads_rows: u32,
) -> Result<(), diesel::result::Error> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        &LEGACY_FIXTURE.replace(":missed_leads_rows", &missed_leads_rows.to_string()),
    )
}

/// How many migrations the binary embeds (what a fresh `migrate` applies).
pub fn migration_count() -> usize {
    use diesel::migration::MigrationSource;
    MigrationSource::<diesel::pg::Pg>::migrations(&crate::MIGRATIONS)
        .map(|m| m.len())
        .unwrap_or_else(|e| panic!("reading the embedded migrations: {e}"))
}

/// Fails, naming the statement and PostgreSQL's reason, unless every one of
/// `statements` (name, text) can be planned against the migrated schema: a
/// table or column renamed under a crate's raw SQL fails here, not at run
/// time. Parameters take the types PostgreSQL infers for them.
pub fn assert_statements_plan(statements: &[(&str, String)]) {
    use diesel::connection::SimpleConnection;
    let mut conn = migrated_db().conn();
    for (name, text) in statements {
        conn.batch_execute(&format!(
            "PREPARE la_plan_check AS {text}; DEALLOCATE la_plan_check"
        ))
        .unwrap_or_else(|e| {
            panic!("statement {name} does not plan against the schema: {e}\n{text}")
        });
    }
}

/// The Python the tests drive PDF tools with (`LA_TEST_PYTHON`, else the
/// venv `scripts/install-test-deps` makes, else `python3`).
pub fn python() -> String {
    std::env::var("LA_TEST_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/ci-venv/bin/python"
        );
        if std::path::Path::new(venv).exists() {
            venv.to_string()
        } else {
            "python3".to_string()
        }
    })
}
