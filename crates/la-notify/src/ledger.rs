//! The delivery ledger (docs/decisions.md D13): one `lead_assignment_deliveries`
//! row per email attempt. It is what makes `notify --batch N` exact (only what
//! was not delivered is sent again) and what marks a batch unfinished (D14).

use std::collections::BTreeMap;

use diesel::prelude::*;
use la_schema::models::{DeliveryOutcome, NewDelivery, TransportKind};
use la_schema::schema::{lead_assignment_batches as lab, lead_assignment_deliveries as ld};

use crate::resolve::RunEnv;

/// Records one attempt.
pub fn record(conn: &mut PgConnection, row: &NewDelivery) -> QueryResult<()> {
    diesel::insert_into(ld::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Per batch, per email key, the best outcome on record (delivered beats
/// skipped beats not delivered). For a batch that delivers by SMTP, a copy
/// written to the outbox delivers nothing (docs/decisions.md D13).
pub fn outcomes(
    conn: &mut PgConnection,
    batch_ids: &[i64],
) -> QueryResult<BTreeMap<i64, BTreeMap<String, DeliveryOutcome>>> {
    let rows: Vec<(
        i64,
        String,
        DeliveryOutcome,
        TransportKind,
        Option<TransportKind>,
    )> = ld::table
        .inner_join(lab::table)
        .filter(ld::batch_id.eq_any(batch_ids))
        .select((
            ld::batch_id.assume_not_null(),
            ld::email_key,
            ld::outcome,
            ld::transport,
            lab::delivery_transport,
        ))
        .distinct()
        .load(conn)?;
    let mut out: BTreeMap<i64, BTreeMap<String, DeliveryOutcome>> = BTreeMap::new();
    for (batch, key, outcome, transport, owed_to) in rows {
        let by_smtp_only = owed_to == Some(TransportKind::Smtp);
        if by_smtp_only && transport != TransportKind::Smtp && outcome.is_delivered() {
            continue;
        }
        let slot = out.entry(batch).or_default().entry(key).or_insert(outcome);
        if rank(outcome) > rank(*slot) {
            *slot = outcome;
        }
    }
    Ok(out)
}

/// The newest ledger row id (0 when empty): what a call saw when it started.
pub fn mark(conn: &mut PgConnection) -> QueryResult<i64> {
    ld::table
        .select(diesel::dsl::max(ld::id))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// Whether email `key` of `batch_id` was delivered in a row newer than
/// `mark` (by another process, while this one was busy), by SMTP when the
/// batch is owed to SMTP.
pub(crate) fn delivered_after(
    conn: &mut PgConnection,
    batch_id: i64,
    key: &str,
    mark: i64,
    smtp_only: bool,
) -> QueryResult<bool> {
    let mut q = ld::table
        .filter(ld::batch_id.eq(batch_id))
        .filter(ld::email_key.eq(key))
        .filter(ld::id.gt(mark))
        .filter(ld::outcome.eq_any(DeliveryOutcome::DELIVERED))
        .into_boxed();
    if smtp_only {
        q = q.filter(ld::transport.eq(TransportKind::Smtp));
    }
    diesel::select(diesel::dsl::exists(q)).get_result(conn)
}

/// How a batch's emails are delivered, as the batch recorded it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchDelivery {
    /// Its emails are settled only by SMTP.
    pub smtp_only: bool,
    /// The env of the run that made it (None for batches made before this
    /// was recorded).
    pub env: Option<RunEnv>,
}

/// What `batch_ids` recorded about their delivery.
pub fn batch_delivery(
    conn: &mut PgConnection,
    batch_ids: &[i64],
) -> QueryResult<BTreeMap<i64, BatchDelivery>> {
    let rows: Vec<(i64, Option<TransportKind>, Option<RunEnv>)> = lab::table
        .filter(lab::id.eq_any(batch_ids))
        .select((lab::id, lab::delivery_transport, lab::delivery_env))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, transport, env)| {
            let d = BatchDelivery {
                smtp_only: transport == Some(TransportKind::Smtp),
                env,
            };
            (id, d)
        })
        .collect())
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
