//! Migrations against a real PostgreSQL: fresh database, legacy upgrade,
//! idempotence, upgrade of an earlier implementation, and revert.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel_migrations::MigrationHarness;
use la_schema::testing::{empty_db, load_legacy_fixture, migration_count};
use la_schema::{run_pending_migrations, MIGRATIONS};

#[derive(QueryableByName, Debug, PartialEq, Eq, Clone)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<Text>)]
    column_default: Option<String>,
}

fn columns(conn: &mut PgConnection, table: &str) -> Vec<Col> {
    diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind::<Text, _>(table)
    .load(conn)
    .unwrap()
}

#[derive(QueryableByName, Debug)]
struct One {
    #[diesel(sql_type = Text)]
    v: String,
}

fn texts(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<One>(conn)
        .unwrap()
        .into_iter()
        .map(|o| o.v)
        .collect()
}

fn scalar(conn: &mut PgConnection, sql: &str) -> String {
    texts(conn, sql).into_iter().next().unwrap_or_default()
}

/// Unique constraints as "table(col,col)".
fn uniques(conn: &mut PgConnection) -> Vec<String> {
    texts(
        conn,
        "SELECT c.conrelid::regclass::text || '(' || string_agg(a.attname, ',' ORDER BY k.ord) || ')' AS v \
         FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         WHERE c.contype = 'u' AND c.connamespace = 'public'::regnamespace GROUP BY c.oid, c.conrelid ORDER BY 1",
    )
}

/// Foreign keys as "table.col->table.col".
fn foreign_keys(conn: &mut PgConnection) -> Vec<String> {
    texts(
        conn,
        "SELECT c.conrelid::regclass::text || '.' || a.attname || '->' || c.confrelid::regclass::text || '.' || af.attname AS v \
         FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] \
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace ORDER BY 1",
    )
}

/// Everything the catalog says about the schema, for before/after comparisons.
fn schema_fingerprint(conn: &mut PgConnection) -> String {
    scalar(
        conn,
        "SELECT md5(string_agg(x, E'\\n' ORDER BY x)) AS v FROM ( \
           SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':' || coalesce(column_default, '') AS x \
             FROM information_schema.columns WHERE table_schema = 'public' \
           UNION ALL SELECT conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid) || ':' || convalidated \
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
           UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public') s",
    )
}

fn check_spec_schema(conn: &mut PgConnection) {
    let expect =
        |conn: &mut PgConnection, table: &str, cols: &[(&str, &str, &str, Option<&str>)]| {
            let got = columns(conn, table);
            for (name, ty, nullable, default) in cols {
                let col = got
                    .iter()
                    .find(|c| c.column_name == *name)
                    .unwrap_or_else(|| panic!("{table}.{name} missing"));
                assert_eq!(col.data_type, *ty, "{table}.{name} type");
                assert_eq!(col.is_nullable, *nullable, "{table}.{name} nullability");
                match default {
                    Some(d) => assert!(
                        col.column_default.as_deref().unwrap_or("").contains(d),
                        "{table}.{name} default {:?} should contain {d}",
                        col.column_default
                    ),
                    None => assert_eq!(col.column_default, None, "{table}.{name} default"),
                }
            }
        };
    expect(
        conn,
        "store_master",
        &[("assign_leads", "boolean", "NO", Some("false"))],
    );
    expect(
        conn,
        "missed_leads",
        &[("lead_assigned", "boolean", "NO", Some("false"))],
    );
    expect(
        conn,
        "agents_master",
        &[
            ("id", "bigint", "NO", Some("nextval")),
            ("agent_code", "character", "YES", None),
            ("agent_name", "character varying", "NO", None),
            ("mobile_number", "character varying", "NO", None),
            ("is_active", "boolean", "NO", Some("true")),
        ],
    );
    expect(
        conn,
        "store_lead_assignment_map",
        &[
            ("id", "bigint", "NO", Some("nextval")),
            ("store_code", "character varying", "NO", None),
            ("agent_id", "bigint", "NO", None),
            ("is_enabled", "boolean", "NO", Some("true")),
            ("priority", "integer", "NO", Some("100")),
            ("max_existing_per_lot", "integer", "YES", None),
            ("max_new_per_lot", "integer", "YES", None),
            ("max_daily_leads", "integer", "YES", None),
        ],
    );
    expect(
        conn,
        "lead_assignment_batches",
        &[
            ("id", "bigint", "NO", Some("nextval")),
            ("batch_date", "date", "NO", None),
            ("triggered_by", "text", "YES", None),
            ("run_id", "text", "YES", None),
            (
                "created_at",
                "timestamp with time zone",
                "NO",
                Some("now()"),
            ),
        ],
    );
    expect(
        conn,
        "lead_assignments",
        &[
            ("id", "bigint", "NO", Some("nextval")),
            ("assignment_batch_id", "bigint", "NO", None),
            ("lead_id", "integer", "NO", None),
            ("agent_id", "bigint", "NO", None),
            ("page_group_code", "text", "NO", None),
            ("rowid", "integer", "NO", None),
            ("lead_assignment_code", "text", "NO", None),
            ("store_code", "character varying", "NO", None),
            ("store_name", "character varying", "YES", None),
            ("lead_date", "date", "YES", None),
            ("lead_type", "character", "YES", None),
            ("mobile_number", "character varying", "NO", None),
            ("cx_name", "character varying", "YES", None),
            ("address", "character varying", "YES", None),
            ("lead_source", "character varying", "YES", None),
            (
                "assigned_at",
                "timestamp with time zone",
                "NO",
                Some("now()"),
            ),
        ],
    );
    expect(
        conn,
        "lead_assignment_outcomes",
        &[
            ("id", "bigint", "NO", Some("nextval")),
            ("lead_assignment_id", "bigint", "NO", None),
            ("converted_flag", "boolean", "YES", None),
            ("order_number", "character varying", "YES", None),
            ("order_date", "date", "YES", None),
            ("order_value", "numeric", "YES", None),
            ("payment_mode", "character varying", "YES", None),
            ("payment_amount", "numeric", "YES", None),
            ("remarks", "text", "YES", None),
            (
                "created_at",
                "timestamp with time zone",
                "NO",
                Some("now()"),
            ),
            (
                "updated_at",
                "timestamp with time zone",
                "NO",
                Some("now()"),
            ),
        ],
    );
    let precision = scalar(
        conn,
        "SELECT string_agg(column_name || ':' || numeric_precision || ',' || numeric_scale, ' ' ORDER BY column_name) AS v \
         FROM information_schema.columns WHERE table_name = 'lead_assignment_outcomes' AND data_type = 'numeric'",
    );
    assert_eq!(precision, "order_value:12,2 payment_amount:12,2");
    let char_len = scalar(
        conn,
        "SELECT string_agg(table_name || '.' || column_name || ':' || character_maximum_length, ' ' ORDER BY table_name, column_name) AS v \
         FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'character'",
    );
    assert_eq!(
        char_len,
        "agents_master.agent_code:4 lead_assignments.lead_type:1"
    );

    let u = uniques(conn);
    for want in [
        "agents_master(agent_code)",
        "store_lead_assignment_map(store_code,agent_id)",
        "lead_assignments(lead_assignment_code)",
        "lead_assignments(lead_id)",
        "lead_assignment_outcomes(lead_assignment_id)",
    ] {
        assert!(
            u.iter().any(|x| x == want),
            "unique {want} missing from {u:?}"
        );
    }
    let fk = foreign_keys(conn);
    for want in [
        "store_lead_assignment_map.agent_id->agents_master.id",
        "lead_assignments.assignment_batch_id->lead_assignment_batches.id",
        "lead_assignments.lead_id->missed_leads.pickup_row_id",
        "lead_assignments.agent_id->agents_master.id",
        "lead_assignment_outcomes.lead_assignment_id->lead_assignments.id",
    ] {
        assert!(
            fk.iter().any(|x| x == want),
            "foreign key {want} missing from {fk:?}"
        );
    }
    let checks = texts(
        conn,
        "SELECT conname::text AS v FROM pg_constraint WHERE contype = 'c' AND conname LIKE 'ck_%' ORDER BY 1",
    );
    for want in [
        "ck_lead_assignments_lead_type",
        "ck_lead_assignments_rowid_positive",
        "ck_slam_max_daily_leads_nonneg",
        "ck_slam_max_existing_per_lot_nonneg",
        "ck_slam_max_new_per_lot_nonneg",
    ] {
        assert!(checks.iter().any(|c| c == want), "check {want} missing");
    }
    let indexes = texts(
        conn,
        "SELECT indexname::text AS v FROM pg_indexes WHERE schemaname = 'public'",
    );
    for want in [
        "ix_lead_assignments_batch",
        "ix_lead_assignments_page_group",
        "ix_lead_assignment_batches_date",
        "ix_store_lead_assignment_map_store",
        "ix_missed_leads_assign_eligible",
    ] {
        assert!(indexes.iter().any(|i| i == want), "index {want} missing");
    }
    let valid = scalar(
        conn,
        "SELECT (indisvalid AND indpred IS NOT NULL)::text AS v FROM pg_index WHERE indexrelid = 'ix_missed_leads_assign_eligible'::regclass",
    );
    assert_eq!(valid, "true", "eligibility index must be valid and partial");

    // Seed (docs/decisions.md S3.1–3.2), templates, and never recipients.
    assert_eq!(
        scalar(
            conn,
            "SELECT p.scope || '/' || p.attach_mode || '/' || p.env || '/' || p.is_active || '/' || p.description AS v \
             FROM notification_profiles p JOIN pipelines pl ON pl.id = p.pipeline_id \
             WHERE pl.code = 'leads_assignment' AND pl.description = 'Leads Assignment' AND p.code = 'leads_assignment'"
        ),
        "store/per_store_pdf/any/true/Assign leads as and when needed"
    );
    assert_eq!(
        texts(
            conn,
            "SELECT t.name AS v FROM email_templates t JOIN notification_profiles p ON p.id = t.profile_id \
             WHERE p.code = 'leads_assignment' ORDER BY 1"
        ),
        vec!["default".to_string(), "summary".to_string()]
    );
}

fn recipients_of_lead_assignment(conn: &mut PgConnection) -> String {
    scalar(
        conn,
        "SELECT count(*)::text AS v FROM notification_recipients r JOIN notification_profiles p ON p.id = r.profile_id \
         WHERE p.code = 'leads_assignment'",
    )
}

#[test]
fn fresh_empty_database_gets_the_whole_spec_schema() {
    let db = empty_db();
    let mut conn = db.conn();
    let applied = run_pending_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), migration_count(), "{applied:?}");
    check_spec_schema(&mut conn);
    assert_eq!(recipients_of_lead_assignment(&mut conn), "0");
}

/// md5 over the rows of `table` (those with a primary key up to 2^31, i.e.
/// all rows that existed when first called), in key order, restricted to `cols`.
fn table_digest(conn: &mut PgConnection, table: &str, cols: &[String], pk: &str) -> String {
    table_digest_upto(conn, table, cols, pk, i64::from(i32::MAX))
}

fn table_digest_upto(
    conn: &mut PgConnection,
    table: &str,
    cols: &[String],
    pk: &str,
    max_pk: i64,
) -> String {
    let list = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    scalar(
        conn,
        &format!(
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {pk}), '')) || ':' || count(*) AS v \
             FROM (SELECT {list} FROM {table} WHERE {pk} <= {max_pk}) t"
        ),
    )
}

const LEGACY_TABLES: [(&str, &str); 9] = [
    ("store_master", "id"),
    ("missed_leads", "pickup_row_id"),
    ("pipelines", "id"),
    ("notification_profiles", "id"),
    ("email_templates", "id"),
    ("notification_recipients", "id"),
    ("documents", "id"),
    ("pipeline_run_summaries", "id"),
    ("system_config", "id"),
];

#[test]
fn legacy_database_upgrades_without_touching_existing_values() {
    let db = empty_db();
    let mut conn = db.conn();
    load_legacy_fixture(&mut conn, 50_000).unwrap();

    let mut before = Vec::new();
    for (table, pk) in LEGACY_TABLES {
        let cols: Vec<String> = columns(&mut conn, table)
            .into_iter()
            .map(|c| c.column_name)
            .collect();
        let max_pk: i64 = scalar(
            &mut conn,
            &format!("SELECT coalesce(max({pk}), 0)::text AS v FROM {table}"),
        )
        .parse()
        .unwrap();
        let digest = table_digest_upto(&mut conn, table, &cols, pk, max_pk);
        before.push((table, pk, cols, digest, max_pk));
    }
    assert!(before[1].3.ends_with(":50000"));
    let filenode_before = scalar(
        &mut conn,
        "SELECT relfilenode::text AS v FROM pg_class WHERE oid = 'missed_leads'::regclass",
    );

    let applied = run_pending_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), migration_count());
    check_spec_schema(&mut conn);

    for (table, pk, cols, digest, max_pk) in &before {
        assert_eq!(
            &table_digest_upto(&mut conn, table, cols, pk, *max_pk),
            digest,
            "{table} changed"
        );
    }
    // Metadata-only column addition: the table was not rewritten.
    let filenode_after = scalar(
        &mut conn,
        "SELECT relfilenode::text AS v FROM pg_class WHERE oid = 'missed_leads'::regclass",
    );
    assert_eq!(
        filenode_before, filenode_after,
        "missed_leads was rewritten"
    );
    assert_eq!(
        scalar(&mut conn, "SELECT count(*)::text AS v FROM missed_leads WHERE lead_assigned IS DISTINCT FROM false"),
        "0"
    );
    assert_eq!(
        scalar(&mut conn, "SELECT count(*)::text AS v FROM store_master WHERE assign_leads IS DISTINCT FROM false"),
        "0"
    );
    // Other pipelines' profiles and templates are still theirs.
    assert_eq!(
        scalar(&mut conn, "SELECT count(*)::text AS v FROM pipelines"),
        "3"
    );
    assert_eq!(recipients_of_lead_assignment(&mut conn), "0");
}

#[test]
fn applying_twice_applies_nothing_and_changes_nothing() {
    let db = empty_db();
    let mut conn = db.conn();
    load_legacy_fixture(&mut conn, 1_000).unwrap();
    run_pending_migrations(&mut conn).unwrap();
    let fingerprint = schema_fingerprint(&mut conn);
    let seed = scalar(
        &mut conn,
        "SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) AS v FROM email_templates t",
    );
    let again = run_pending_migrations(&mut conn).unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert!(la_schema::pending_migrations(&mut conn).unwrap().is_empty());
    assert_eq!(schema_fingerprint(&mut conn), fingerprint);
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) AS v FROM email_templates t"
        ),
        seed
    );
}

/// The tables as an earlier implementation created them: docs/decisions.md S2 verbatim,
/// without this project's checks and indexes, with rows (one violating a check).
const EARLIER_IMPLEMENTATION: &str = r#"
ALTER TABLE store_master ADD COLUMN IF NOT EXISTS assign_leads boolean NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS agents_master (
    id bigserial PRIMARY KEY, agent_code char(4) UNIQUE, agent_name varchar(32) NOT NULL,
    mobile_number varchar(16) NOT NULL, is_active boolean NOT NULL DEFAULT true);
CREATE TABLE IF NOT EXISTS store_lead_assignment_map (
    id bigserial PRIMARY KEY, store_code varchar NOT NULL, agent_id bigint NOT NULL REFERENCES agents_master(id),
    is_enabled boolean NOT NULL DEFAULT true, priority int NOT NULL DEFAULT 100,
    max_existing_per_lot int, max_new_per_lot int, max_daily_leads int, UNIQUE (store_code, agent_id));
ALTER TABLE missed_leads ADD COLUMN IF NOT EXISTS lead_assigned boolean NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS lead_assignment_batches (
    id bigserial PRIMARY KEY, batch_date date NOT NULL, triggered_by text, run_id text,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS lead_assignments (
    id bigserial PRIMARY KEY, assignment_batch_id bigint NOT NULL REFERENCES lead_assignment_batches(id),
    lead_id integer NOT NULL REFERENCES missed_leads(pickup_row_id), agent_id bigint NOT NULL REFERENCES agents_master(id),
    page_group_code text NOT NULL, rowid int NOT NULL, lead_assignment_code text NOT NULL,
    store_code varchar NOT NULL, store_name varchar, lead_date date, lead_type char(1),
    mobile_number varchar NOT NULL, cx_name varchar, address varchar, lead_source varchar,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_lead_assignments_code UNIQUE (lead_assignment_code),
    CONSTRAINT uq_lead_assignments_lead UNIQUE (lead_id));
CREATE TABLE IF NOT EXISTS lead_assignment_outcomes (
    id bigserial PRIMARY KEY, lead_assignment_id bigint NOT NULL UNIQUE REFERENCES lead_assignments(id),
    converted_flag boolean, order_number varchar, order_date date, order_value numeric(12,2),
    payment_mode varchar, payment_amount numeric(12,2), remarks text,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO pipelines (code, description) VALUES ('leads_assignment', 'Leads Assignment');
INSERT INTO agents_master (agent_code, agent_name, mobile_number) VALUES ('0001', 'Asha', '9000000001');
INSERT INTO store_lead_assignment_map (store_code, agent_id, max_daily_leads) VALUES ('S001', 1, -1);
INSERT INTO lead_assignment_batches (batch_date, triggered_by) VALUES ('2025-01-29', 'manual');
INSERT INTO lead_assignments (assignment_batch_id, lead_id, agent_id, page_group_code, rowid, lead_assignment_code,
    store_code, mobile_number, lead_type)
VALUES (1, 1, 1, 'L2501290001', 1, 'L2501290001-0001', 'S002', '9100000001', 'E');
UPDATE missed_leads SET lead_assigned = true WHERE pickup_row_id = 1;
"#;

#[test]
fn earlier_implementation_tables_upgrade_cleanly() {
    let db = empty_db();
    let mut conn = db.conn();
    load_legacy_fixture(&mut conn, 500).unwrap();
    conn.batch_execute(EARLIER_IMPLEMENTATION).unwrap();
    let assignments_before = scalar(
        &mut conn,
        "SELECT md5(string_agg(t::text, ',')) AS v FROM lead_assignments t",
    );

    let applied = run_pending_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), migration_count());
    check_spec_schema(&mut conn);
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT md5(string_agg(t::text, ',')) AS v FROM lead_assignments t"
        ),
        assignments_before
    );
    // The violating row keeps the migration from failing: the check is NOT VALID but enforced.
    assert_eq!(
        scalar(&mut conn, "SELECT convalidated::text AS v FROM pg_constraint WHERE conname = 'ck_slam_max_daily_leads_nonneg'"),
        "false"
    );
    assert_eq!(
        scalar(&mut conn, "SELECT convalidated::text AS v FROM pg_constraint WHERE conname = 'ck_lead_assignments_lead_type'"),
        "true"
    );
    let err = conn
        .batch_execute("INSERT INTO store_lead_assignment_map (store_code, agent_id, max_new_per_lot) VALUES ('S009', 1, -5)")
        .unwrap_err();
    assert!(
        err.to_string().contains("ck_slam_max_new_per_lot_nonneg"),
        "{err}"
    );
    // The pre-existing pipelines row was kept; the profile was added to it.
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*)::text AS v FROM pipelines WHERE code = 'leads_assignment'"
        ),
        "1"
    );
}

#[test]
fn lead_assignment_migrations_revert_and_reapply() {
    let db = empty_db();
    let mut conn = db.conn();
    load_legacy_fixture(&mut conn, 200).unwrap();
    run_pending_migrations(&mut conn).unwrap();
    let fingerprint = schema_fingerprint(&mut conn);
    let legacy_digest = {
        let cols: Vec<String> = [
            "pickup_row_id",
            "mobile_number",
            "customer_name",
            "run_date",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        table_digest(&mut conn, "missed_leads", &cols, "pickup_row_id")
    };

    // Every migration of this project's own (all but the existing infrastructure).
    for _ in 1..migration_count() {
        conn.revert_last_migration(MIGRATIONS).unwrap();
    }
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        e: bool,
    }
    let exists = |conn: &mut PgConnection, sql: &str| {
        diesel::sql_query(sql).get_result::<Exists>(conn).unwrap().e
    };
    for table in [
        "agents_master",
        "store_lead_assignment_map",
        "lead_assignment_batches",
        "lead_assignments",
        "lead_assignment_outcomes",
    ] {
        assert!(
            !exists(
                &mut conn,
                &format!("SELECT to_regclass('{table}') IS NOT NULL AS e")
            ),
            "{table} still there"
        );
    }
    assert!(!exists(&mut conn, "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'missed_leads' AND column_name = 'lead_assigned') AS e"));
    assert!(!exists(&mut conn, "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'store_master' AND column_name = 'assign_leads') AS e"));
    assert!(!exists(
        &mut conn,
        "SELECT to_regclass('ix_missed_leads_assign_eligible') IS NOT NULL AS e"
    ));
    assert!(!exists(
        &mut conn,
        "SELECT EXISTS (SELECT 1 FROM pipelines WHERE code = 'leads_assignment') AS e"
    ));
    // The existing tables and their rows are untouched.
    let cols: Vec<String> = [
        "pickup_row_id",
        "mobile_number",
        "customer_name",
        "run_date",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        table_digest(&mut conn, "missed_leads", &cols, "pickup_row_id"),
        legacy_digest
    );
    let n: i64 = diesel::dsl::sql::<BigInt>("SELECT count(*) FROM documents")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(n, 200);

    let reapplied = run_pending_migrations(&mut conn).unwrap();
    assert_eq!(reapplied.len(), migration_count() - 1);
    assert_eq!(schema_fingerprint(&mut conn), fingerprint);
}

#[test]
fn interrupted_concurrent_index_build_is_rebuilt() {
    let db = empty_db();
    let mut conn = db.conn();
    run_pending_migrations(&mut conn).unwrap();
    // Back to before the index (the fourth migration).
    for _ in 3..migration_count() {
        conn.revert_last_migration(MIGRATIONS).unwrap();
    }
    // Simulate what an interrupted CREATE INDEX CONCURRENTLY leaves behind.
    conn.batch_execute(
        "CREATE INDEX ix_missed_leads_assign_eligible ON missed_leads (store_code) WHERE lead_assigned = false; \
         UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ix_missed_leads_assign_eligible'::regclass;",
    )
    .unwrap();
    assert_eq!(
        run_pending_migrations(&mut conn).unwrap().len(),
        migration_count() - 3
    );
    assert_eq!(
        scalar(&mut conn, "SELECT indisvalid::text AS v FROM pg_index WHERE indexrelid = 'ix_missed_leads_assign_eligible'::regclass"),
        "true"
    );
    let def = scalar(
        &mut conn,
        "SELECT pg_get_indexdef('ix_missed_leads_assign_eligible'::regclass) AS v",
    );
    assert!(def.contains("pickup_created_date DESC NULLS LAST"), "{def}");
}

#[test]
fn pool_hands_out_working_connections() {
    let db = la_schema::testing::migrated_db();
    let pool = la_schema::pool(&db.url, 2).unwrap();
    let mut conn = pool.get().unwrap();
    assert_eq!(
        scalar(&mut conn, "SELECT count(*)::text AS v FROM pipelines"),
        "1"
    );
    let bad = la_schema::pool("postgres://u:hunter2@127.0.0.1:1/x", 2).unwrap_err();
    assert!(!bad.to_string().contains("hunter2"));
}
