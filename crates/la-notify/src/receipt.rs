//! Receipts for returned sheets (docs/decisions.md D29): one plain-text
//! reply per collected message, threaded to it, sent through the same
//! transport and delivery ledger as every other email (claimed first, never
//! twice; a failure stays owed), under no batch.

use diesel::prelude::*;
use la_schema::locks;
use la_schema::models::{DeliveryOutcome, NewDelivery};
use la_schema::schema::lead_assignment_deliveries as ld;
use lettre::message::{Mailbox, SinglePart};
use lettre::Message;

use crate::headers;
use crate::send::EmailResult;
use crate::transport::{Transport, TransportError, TransportKind};

/// One receipt to send.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// Its key in the delivery ledger (`receipt-…`), stable per message.
    pub key: String,
    pub from: Mailbox,
    pub to: Mailbox,
    pub subject: String,
    pub body: String,
    /// The Message-ID of the message it answers.
    pub in_reply_to: Option<String>,
    pub run_id: String,
}

/// The keys of the receipts the ledger shows delivered: the one rule, for
/// a single receipt here and for every owed one in a query (`la-collect`).
pub fn delivered_receipt_keys() -> ld::BoxedQuery<'static, diesel::pg::Pg, diesel::sql_types::Text>
{
    ld::table
        .filter(ld::batch_id.is_null())
        .filter(ld::outcome.eq_any(DeliveryOutcome::DELIVERED))
        .select(ld::email_key)
        .into_boxed()
}

/// Whether the ledger shows receipt `key` delivered.
fn receipt_delivered(conn: &mut PgConnection, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        delivered_receipt_keys().filter(ld::email_key.eq(key)),
    ))
    .get_result(conn)
}

/// Sends `r` unless it was delivered already or another process holds it;
/// records the attempt. `Ok(None)`: nothing to do (already delivered, or
/// left to the other process).
pub fn send_receipt(
    conn: &mut PgConnection,
    transport: &mut dyn Transport,
    r: &Receipt,
) -> QueryResult<Option<EmailResult>> {
    let id = locks::email_id(0, &r.key);
    if !locks::try_lock(conn, locks::EMAIL, id)? {
        return Ok(None);
    }
    let result = (|| {
        if receipt_delivered(conn, &r.key)? {
            return Ok(None);
        }
        let message_id = format!(
            "<la.receipt.{}@{}>",
            la_pdf::files::long_hash(&[&r.key, &r.run_id]),
            r.from.email.domain()
        );
        // Email disabled: the receipt stays owed for a collect that may send.
        if transport.kind() == TransportKind::Disabled {
            return Ok(None);
        }
        let result = match build(r, &message_id)
            .and_then(|m| transport.send(&la_pdf::sanitize(&r.key), &m))
        {
            Ok(outcome) => EmailResult::from_outcome(outcome),
            Err(e) => EmailResult::Failed(e.to_string()),
        };
        if let Some(outcome) = result.outcome() {
            diesel::insert_into(ld::table)
                .values(&NewDelivery {
                    batch_id: None,
                    email_key: r.key.clone(),
                    transport: transport.kind(),
                    to_addresses: vec![r.to.email.to_string()],
                    cc_addresses: Vec::new(),
                    bcc_addresses: Vec::new(),
                    document_ids: Vec::new(),
                    outcome,
                    error: match &result {
                        EmailResult::Failed(e) => Some(e.clone()),
                        _ => None,
                    },
                    message_id: Some(message_id),
                    run_id: Some(r.run_id.chars().take(64).collect()),
                })
                .execute(conn)?;
        }
        Ok(Some(result))
    })();
    locks::unlock(conn, locks::EMAIL, id)?;
    result
}

fn build(r: &Receipt, message_id: &str) -> Result<Message, TransportError> {
    let envelope =
        lettre::address::Envelope::new(Some(r.from.email.clone()), vec![r.to.email.clone()])
            .map_err(|e| TransportError::Build(e.to_string()))?;
    let mut b = Message::builder()
        .raw_header(headers::mailbox_header(
            "From",
            std::slice::from_ref(&r.from),
        ))
        .raw_header(headers::mailbox_header("To", std::slice::from_ref(&r.to)))
        .raw_header(headers::subject_header(&r.subject))
        .message_id(Some(message_id.to_string()))
        .envelope(envelope);
    if let Some(parent) = &r.in_reply_to {
        b = b.in_reply_to(parent.clone()).references(parent.clone());
    }
    Ok(b.singlepart(SinglePart::plain(r.body.clone()))?)
}
