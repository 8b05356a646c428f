//! The delivery ledger (docs/decisions.md D13): one `lead_assignment_deliveries`
//! row per email attempt. It is what makes `notify --batch N` exact (only what
//! was not delivered is sent again) and what marks a batch unfinished (D14).

use std::collections::BTreeMap;

use diesel::prelude::*;
use la_schema::models::{DeliveryOutcome, NewDelivery};
use la_schema::schema::lead_assignment_deliveries as ld;

/// Records one attempt.
pub fn record(conn: &mut PgConnection, row: &NewDelivery) -> QueryResult<()> {
    diesel::insert_into(ld::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Per batch, per email key, the best outcome on record (delivered beats
/// skipped beats not delivered).
pub fn outcomes(
    conn: &mut PgConnection,
    batch_ids: &[i64],
) -> QueryResult<BTreeMap<i64, BTreeMap<String, DeliveryOutcome>>> {
    let rows: Vec<(i64, String, String)> = ld::table
        .filter(ld::batch_id.eq_any(batch_ids))
        .select((ld::batch_id, ld::email_key, ld::outcome))
        .distinct()
        .load(conn)?;
    let mut out: BTreeMap<i64, BTreeMap<String, DeliveryOutcome>> = BTreeMap::new();
    for (batch, key, outcome) in rows {
        let Some(outcome) = DeliveryOutcome::parse(&outcome) else {
            continue;
        };
        let slot = out.entry(batch).or_default().entry(key).or_insert(outcome);
        if rank(outcome) > rank(*slot) {
            *slot = outcome;
        }
    }
    Ok(out)
}

fn rank(o: DeliveryOutcome) -> u8 {
    if o.is_delivered() {
        2
    } else if o.is_settled() {
        1
    } else {
        0
    }
}
