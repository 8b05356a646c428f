//! Values that have enums are read as the enums at the Diesel boundary: a
//! stored value the code does not know is one typed error where the row is
//! read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use la_schema::models::{Delivery, DeliveryOutcome};
use la_schema::schema::lead_assignment_deliveries as ld;
use la_schema::testing::migrated_db;

/// A delivery outcome the code does not know is one typed error where the
/// row is read, naming the column and the value (not a skipped row).
#[test]
fn an_unknown_stored_outcome_is_an_error_at_the_edge() {
    let db = migrated_db();
    let mut c = db.conn();
    for (i, outcome) in DeliveryOutcome::ALL.iter().enumerate() {
        c.batch_execute(&format!(
            "INSERT INTO lead_assignment_deliveries (email_key, transport, outcome)
             VALUES ('k{i}', 'smtp', '{}')",
            outcome.as_str()
        ))
        .unwrap();
    }
    let read: Vec<DeliveryOutcome> = ld::table
        .order(ld::id)
        .select(ld::outcome)
        .load(&mut c)
        .unwrap();
    assert_eq!(read, DeliveryOutcome::ALL);
    c.batch_execute(
        "ALTER TABLE lead_assignment_deliveries DROP CONSTRAINT ck_deliveries_outcome;
         INSERT INTO lead_assignment_deliveries (email_key, transport, outcome) VALUES ('k9', 'smtp', 'bounced')",
    )
    .unwrap();
    let err = ld::table
        .select(Delivery::as_select())
        .load(&mut c)
        .unwrap_err();
    assert!(
        matches!(err, diesel::result::Error::DeserializationError(_)),
        "{err:?}"
    );
    // The field, then the column and the value.
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        chain.push_str(&format!(": {e}"));
        source = e.source();
    }
    assert!(chain.contains("field 'outcome'"), "{chain}");
    assert!(
        chain.contains("lead_assignment_deliveries.outcome \"bounced\" is not a delivery outcome"),
        "{chain}"
    );
}
