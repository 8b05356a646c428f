//! The eligibility rule and the partial index that serves it say the same
//! (docs/decisions.md D16): PostgreSQL's own form of the index's predicate
//! equals its form of the rule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::prelude::*;
use diesel::sql_types::Text;
use la_schema::eligibility;
use la_schema::testing::migrated_db;

#[derive(QueryableByName)]
struct Predicate {
    #[diesel(sql_type = Text)]
    predicate: String,
}

/// PostgreSQL's form of the predicate of index `name`.
fn predicate(conn: &mut PgConnection, name: &str) -> String {
    diesel::sql_query(
        "SELECT pg_get_expr(i.indpred, i.indrelid) AS predicate
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1",
    )
    .bind::<Text, _>(name)
    .get_result::<Predicate>(conn)
    .unwrap()
    .predicate
}

#[test]
fn the_partial_index_has_the_rules_predicate() {
    let db = migrated_db();
    let mut c = db.conn();
    let index = predicate(&mut c, eligibility::INDEX);
    // The rule, written by PostgreSQL the same way: a probe index in a
    // transaction that is rolled back.
    let mut rule = String::new();
    let rolled_back = c.transaction::<(), _, _>(|c| {
        diesel::sql_query(format!(
            "CREATE INDEX la_probe ON missed_leads (store_code) WHERE {}",
            eligibility::waiting("")
        ))
        .execute(c)?;
        rule = predicate(c, "la_probe");
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(matches!(
        rolled_back,
        Err(diesel::result::Error::RollbackTransaction)
    ));
    assert_eq!(
        index, rule,
        "migration 4's index and la_schema::eligibility drifted apart"
    );
}
