//! Unfinished batches (docs/decisions.md D14): a committed batch whose sheets
//! are not all on disk as recorded, or whose emails (with recipients) are not
//! all settled in the delivery ledger. Every run first finishes those of the
//! last 7 days; `diagnose` lists them at any age with the commands that
//! finish each.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use la_notify::{
    send_for_batch, EmailKey, NotifyOptions, NotifyReport, RunEnv, Selection, Transport,
    TransportKind,
};
use la_pdf::{
    generate_sheets, ExpectedSheet, PdfError, PdfOptions, SheetFailure, SheetOutcome, SheetState,
};
use la_schema::schema::lead_assignment_batches as lab;
use serde::Serialize;

use crate::options::{PipelineError, PipelineOptions};
use crate::report::FinishCommand;

/// How far back a run looks for unfinished batches.
pub const FINISH_WINDOW_DAYS: i64 = 7;

/// A batch that still owes sheets or emails.
#[derive(Debug, Clone, Serialize)]
pub struct UnfinishedBatch {
    pub batch_id: i64,
    pub batch_date: NaiveDate,
    /// `file name (state)` of each sheet that is not on disk as recorded.
    pub missing_sheets: Vec<String>,
    /// Emails with recipients that the ledger does not show as delivered.
    pub owed_emails: Vec<EmailKey>,
    /// The env its emails go to: the one its run recorded (docs/decisions.md
    /// D13), else the asking run's.
    pub run_env: RunEnv,
    /// Its emails are settled only by SMTP.
    pub smtp_only: bool,
    /// Store emails owed that were never attempted: their store had nobody
    /// to send to, and has recipients now (sent by the next run).
    pub for_new_recipients: Vec<EmailKey>,
}

impl UnfinishedBatch {
    /// The commands that finish it (sheets first, then emails).
    pub fn commands(&self, reports_root: &Path) -> Vec<FinishCommand> {
        let mut out = Vec::new();
        if !self.missing_sheets.is_empty() {
            out.push(FinishCommand::pdf(self.batch_id, reports_root));
        }
        if !self.owed_emails.is_empty() {
            out.push(FinishCommand::notify(
                self.batch_id,
                self.run_env,
                reports_root,
            ));
        }
        out
    }
}

/// What finishing one batch did.
#[derive(Debug, Clone, Serialize)]
pub struct FinishedBatch {
    pub batch_id: i64,
    pub batch_date: NaiveDate,
    pub sheets: Vec<SheetOutcome>,
    pub sheet_failures: Vec<SheetFailure>,
    pub notify: Option<NotifyReport>,
    /// Why finishing stopped early, if it did.
    pub error: Option<String>,
    /// Why its owed emails were left for another time, when this run cannot
    /// send them (email disabled; owed to SMTP and no SMTP here). Not a
    /// failure of this run: the batch stays unfinished and says how to finish.
    pub emails_left: Option<String>,
    /// The env its emails go to.
    pub run_env: RunEnv,
    /// Store emails that waited for a store's first recipients and went
    /// out now.
    pub to_new_recipients: Vec<EmailKey>,
    /// Whether the batch is finished now.
    pub done: bool,
}

/// Batches created since `since` (all when None) that are unfinished for
/// `run_env`'s recipients, oldest first. Batches made before the delivery
/// ledger existed are checked for their sheets only.
pub fn unfinished_batches(
    conn: &mut PgConnection,
    run_env: RunEnv,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<UnfinishedBatch>, PipelineError> {
    let q = |step: &'static str| move |source| PipelineError::Query { step, source };
    let mut query = lab::table
        .select((lab::id, lab::delivery_tracked))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(lab::created_at.ge(since));
    }
    let batches: Vec<(i64, bool)> = query
        .order(lab::id)
        .load(conn)
        .map_err(q("listing recent batches"))?;
    let ids: Vec<i64> = batches.iter().map(|b| b.0).collect();
    let sheets = la_pdf::batch_sheets(conn, &ids).map_err(q("checking the batches' sheets"))?;
    let tracked: Vec<ExpectedSheet> = sheets
        .iter()
        .filter(|s| batches.iter().any(|(id, t)| *id == s.batch_id && *t))
        .cloned()
        .collect();
    let mut owed = la_notify::owed_emails(conn, run_env, &tracked)
        .map_err(|e| PipelineError::Notify(format!("checking the batches' emails: {e}")))?;
    let delivery = la_notify::ledger::batch_delivery(conn, &ids)
        .map_err(q("reading the batches' delivery"))?;
    let ledger =
        la_notify::ledger::outcomes(conn, &ids).map_err(q("reading the delivery ledger"))?;
    let mut out: Vec<UnfinishedBatch> = Vec::new();
    for s in &sheets {
        if out.last().is_none_or(|b| b.batch_id != s.batch_id) {
            let d = delivery.get(&s.batch_id).copied().unwrap_or_default();
            let owed_emails = owed.remove(&s.batch_id).unwrap_or_default();
            let tried = ledger.get(&s.batch_id);
            let for_new_recipients = owed_emails
                .iter()
                .filter(|k| matches!(k, EmailKey::Store(_)))
                .filter(|k| !tried.is_some_and(|t| t.contains_key(&k.to_string())))
                .cloned()
                .collect();
            out.push(UnfinishedBatch {
                batch_id: s.batch_id,
                batch_date: s.batch_date,
                missing_sheets: Vec::new(),
                owed_emails,
                run_env: d.env.unwrap_or(run_env),
                smtp_only: d.smtp_only,
                for_new_recipients,
            });
        }
        if s.state != SheetState::Ok {
            if let Some(b) = out.last_mut() {
                b.missing_sheets
                    .push(format!("{} ({})", s.file_name, s.state));
            }
        }
    }
    out.retain(|b| !b.missing_sheets.is_empty() || !b.owed_emails.is_empty());
    Ok(out)
}

/// Finishes the unfinished batches of the last 7 days (sheets, then emails,
/// into the options' reports root and through their email delivery): what
/// every run does first, for a host pipeline too.
pub fn finish_unfinished(
    conn: &mut PgConnection,
    options: &PipelineOptions,
) -> Result<Vec<FinishedBatch>, PipelineError> {
    let mut transport = crate::options::transport_for(&options.email)?;
    finish_with(conn, options, transport.as_mut(), None)
}

pub(crate) fn finish_with(
    conn: &mut PgConnection,
    options: &PipelineOptions,
    transport: &mut dyn Transport,
    run_id: Option<&str>,
) -> Result<Vec<FinishedBatch>, PipelineError> {
    let since = Utc::now() - chrono::Duration::days(FINISH_WINDOW_DAYS);
    let unfinished = unfinished_batches(conn, options.run_env, Some(since))?;
    Ok(unfinished
        .iter()
        .map(|b| finish_one(conn, options, transport, run_id, b))
        .collect())
}

fn finish_one(
    conn: &mut PgConnection,
    options: &PipelineOptions,
    transport: &mut dyn Transport,
    run_id: Option<&str>,
    batch: &UnfinishedBatch,
) -> FinishedBatch {
    log::info!(
        "finishing batch {} of {}: {} sheet(s) missing, {} email(s) owed",
        batch.batch_id,
        batch.batch_date,
        batch.missing_sheets.len(),
        batch.owed_emails.len()
    );
    let mut done = FinishedBatch {
        batch_id: batch.batch_id,
        batch_date: batch.batch_date,
        sheets: Vec::new(),
        sheet_failures: Vec::new(),
        notify: None,
        error: None,
        emails_left: None,
        run_env: batch.run_env,
        to_new_recipients: Vec::new(),
        done: false,
    };
    if !batch.missing_sheets.is_empty() {
        let pdf = PdfOptions {
            reports_root: options.reports_root.clone(),
            progress: None,
            only_missing: true,
        };
        match generate_sheets(conn, batch.batch_id, &pdf) {
            Ok(s) => done.sheets = s,
            Err(PdfError::Sheets {
                done: d, failed, ..
            }) => {
                done.sheets = d;
                done.sheet_failures = failed;
            }
            Err(e) => done.error = Some(e.to_string()),
        }
    }
    done.emails_left = emails_left(batch, transport.kind());
    if !batch.owed_emails.is_empty() && done.emails_left.is_none() && done.error.is_none() {
        send_owed(conn, options, transport, run_id, batch, &mut done);
    }
    let emails_ok = batch.owed_emails.is_empty()
        || done
            .notify
            .as_ref()
            .is_some_and(|n| n.failed() + n.not_attempted() == 0);
    done.done = done.error.is_none() && done.sheet_failures.is_empty() && emails_ok;
    done
}

/// Sends what `batch` owes, for its own env (docs/decisions.md D13), and
/// notes which emails had waited for new recipients.
fn send_owed(
    conn: &mut PgConnection,
    options: &PipelineOptions,
    transport: &mut dyn Transport,
    run_id: Option<&str>,
    batch: &UnfinishedBatch,
    done: &mut FinishedBatch,
) {
    let notify = NotifyOptions {
        run_env: batch.run_env,
        run_id: run_id.map(str::to_string),
        from: options.from.clone(),
        select: Selection::Owed(batch.owed_emails.clone()),
        ..Default::default()
    };
    match send_for_batch(conn, batch.batch_id, &notify, transport) {
        Ok(n) => {
            let delivered = |k: &EmailKey| {
                n.emails
                    .iter()
                    .any(|e| &e.key == k && e.result.is_delivered())
            };
            done.to_new_recipients = (batch.for_new_recipients.iter())
                .filter(|k| delivered(k))
                .cloned()
                .collect();
            done.notify = Some(n);
        }
        Err(e) => done.error = Some(e.to_string()),
    }
}

/// Why this run leaves `batch`'s owed emails alone (docs/decisions.md D13):
/// email is disabled, or they are owed to SMTP and this run has none.
fn emails_left(batch: &UnfinishedBatch, kind: TransportKind) -> Option<String> {
    if batch.owed_emails.is_empty() {
        return None;
    }
    match kind {
        TransportKind::Disabled => Some("email is disabled in this run".into()),
        TransportKind::Outbox if batch.smtp_only => Some(
            "they are owed to SMTP and this run has no SMTP settings (REPORT_EMAIL_SMTP_HOST)"
                .into(),
        ),
        _ => None,
    }
}

/// Per store, emails that waited for its first recipients, in batch order:
/// `(store, batches)`.
fn by_store<'a>(keys: impl Iterator<Item = (i64, &'a EmailKey)>) -> Vec<(String, Vec<i64>)> {
    let mut out: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for (batch, key) in keys {
        if let EmailKey::Store(code) = key {
            out.entry(code.clone()).or_default().push(batch);
        }
    }
    out.into_iter().collect()
}

fn batch_list(batches: &[i64]) -> String {
    let ids: Vec<String> = batches.iter().map(ToString::to_string).collect();
    format!("batch {}", ids.join(", "))
}

/// `diagnose`: `store S: N email(s) waiting for its new recipients (batch …)`.
pub fn waiting_for_new_recipients(batches: &[UnfinishedBatch]) -> Vec<String> {
    let keys = batches
        .iter()
        .flat_map(|b| b.for_new_recipients.iter().map(move |k| (b.batch_id, k)));
    by_store(keys)
        .into_iter()
        .map(|(store, b)| {
            format!(
                "store {store}: {} email(s) waiting for its new recipients ({}); the next run sends them",
                b.len(),
                batch_list(&b)
            )
        })
        .collect()
}

/// The run: `store S: N earlier email(s) sent to its new recipients (batch …)`.
pub fn sent_to_new_recipients(batches: &[FinishedBatch]) -> Vec<String> {
    let keys = batches
        .iter()
        .flat_map(|b| b.to_new_recipients.iter().map(move |k| (b.batch_id, k)));
    by_store(keys)
        .into_iter()
        .map(|(store, b)| {
            format!(
                "store {store}: {} earlier email(s) sent to its new recipients ({})",
                b.len(),
                batch_list(&b)
            )
        })
        .collect()
}
