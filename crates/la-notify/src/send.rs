//! `send_for_batch`: gather the batch's facts, plan, pick what is still owed,
//! render, send, record each attempt in the ledger, report.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use la_pdf::{ExpectedSheet, SheetState};
use la_schema::locks;
use la_schema::models::{DeliveryOutcome, NewDelivery};
use la_schema::schema::{lead_assignment_batches as lab, store_master as sm};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde::Serialize;

use crate::headers;
use crate::ledger;
use crate::plan::{
    self, AgentFacts, AttachmentFacts, BatchFacts, EmailKey, EmailKind, PlannedEmail,
    StoreDiagnostic, StoreFacts,
};
use crate::render::render;
use crate::resolve::{self, RunEnv, Template};
use crate::transport::{Transport, TransportError, TransportKind};

/// Which of a batch's planned emails to send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Selection {
    /// Those the ledger does not show as delivered (sent or written to the
    /// outbox): what `notify --batch N` does, so nothing is sent twice.
    #[default]
    Undelivered,
    /// Every email again (`--all`).
    All,
    /// Exactly these (`--only KEY`, repeatable); an unknown key is an error.
    Only(Vec<EmailKey>),
    /// These owed emails (finishing a batch): each is skipped if, by the time
    /// it is claimed, the ledger shows it delivered.
    Owed(Vec<EmailKey>),
}

impl Selection {
    /// Whether an email delivered before this call started is sent again.
    fn resends(&self) -> bool {
        matches!(self, Selection::All | Selection::Only(_))
    }
}

/// How to notify.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {
    /// Selects profile and recipients (`any` always matches).
    pub run_env: RunEnv,
    /// Run id shown in the emails and the ledger (default: the batch's, else `batch-{id}`).
    pub run_id: Option<String>,
    /// Sender mailbox, e.g. `Reports <reports@example.com>`.
    pub from: String,
    /// Per-store lines of the run summary; default: the batch's counts only.
    pub store_diagnostics: Option<Vec<StoreDiagnostic>>,
    /// Called with (emails done, emails planned).
    pub progress: Option<la_pdf::Progress>,
    /// Which emails.
    pub select: Selection,
    /// Commands that finish the run, for the summary email (already known
    /// before the emails, e.g. a failed sheet).
    pub finish_commands: Vec<String>,
    /// The command that re-sends what is not delivered; the summary email
    /// lists it when a store email of this call was not delivered.
    pub resend_command: Option<String>,
    /// The summary lists sheets without any outcome this many days after
    /// their batch (default [`la_report::DEFAULT_OUTSTANDING_DAYS`]).
    pub outstanding_after_days: Option<u32>,
    /// The summary's "Returned sheets" lines (docs/decisions.md D29).
    pub returned: Vec<String>,
}

/// What happened to one planned email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum EmailResult {
    /// Accepted by the SMTP server.
    Sent,
    /// Written to the outbox folder; nothing was sent.
    WrittenToOutbox,
    /// Email disabled for the run.
    Skipped,
    Failed(String),
    /// Not tried (an earlier connection failure, or the store's sheets are missing).
    NotAttempted(String),
    /// Nobody is configured to receive it (not an error).
    NoRecipients,
    /// Deliberately not sent, for the reason given (recorded `skipped`), e.g.
    /// a run summary with no one entitled to see every store.
    Withheld(String),
    /// Another process is sending it, or has just sent it: left to that one
    /// (nothing recorded here).
    Elsewhere(String),
}

impl EmailResult {
    /// The ledger outcome; None when there was nothing to attempt.
    pub fn outcome(&self) -> Option<DeliveryOutcome> {
        match self {
            EmailResult::Sent => Some(DeliveryOutcome::Sent),
            EmailResult::WrittenToOutbox => Some(DeliveryOutcome::WrittenToOutbox),
            EmailResult::Skipped => Some(DeliveryOutcome::Skipped),
            EmailResult::Failed(_) => Some(DeliveryOutcome::Failed),
            EmailResult::NotAttempted(_) => Some(DeliveryOutcome::NotAttempted),
            EmailResult::Withheld(_) => Some(DeliveryOutcome::Skipped),
            EmailResult::NoRecipients | EmailResult::Elsewhere(_) => None,
        }
    }

    /// Sent, or written to the outbox.
    pub fn is_delivered(&self) -> bool {
        self.outcome().is_some_and(DeliveryOutcome::is_delivered)
    }

    pub(crate) fn from_outcome(outcome: DeliveryOutcome) -> EmailResult {
        match outcome {
            DeliveryOutcome::WrittenToOutbox => EmailResult::WrittenToOutbox,
            DeliveryOutcome::Skipped => EmailResult::Skipped,
            _ => EmailResult::Sent,
        }
    }
}

impl std::fmt::Display for EmailResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmailResult::Sent => f.write_str("sent"),
            EmailResult::WrittenToOutbox => f.write_str("written to the outbox"),
            EmailResult::Skipped => f.write_str("skipped (email disabled)"),
            EmailResult::Failed(reason) => write!(f, "FAILED: {reason}"),
            EmailResult::NotAttempted(reason) => write!(f, "NOT ATTEMPTED: {reason}"),
            EmailResult::NoRecipients => f.write_str("no recipients"),
            EmailResult::Withheld(reason) => write!(f, "not sent: {reason}"),
            EmailResult::Elsewhere(reason) => write!(f, "skipped here: {reason}"),
        }
    }
}

/// One planned email and its result.
#[derive(Debug, Clone, Serialize)]
pub struct EmailReport {
    pub key: EmailKey,
    pub kind: EmailKind,
    pub store_code: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub attachments: Vec<String>,
    pub document_ids: Vec<i64>,
    pub message_id: Option<String>,
    pub result: EmailResult,
}

/// Counts of a set of emails by result, and the one sentence that says them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub sent: usize,
    pub written_to_outbox: usize,
    pub skipped: usize,
    pub failed: usize,
    pub not_attempted: usize,
    pub without_recipients: usize,
    pub already_delivered: usize,
    /// Summaries withheld (nobody may see every store).
    pub withheld: usize,
    /// Left to another process sending them at the same time.
    pub elsewhere: usize,
}

impl Tally {
    fn add(&mut self, r: &EmailResult) {
        match r {
            EmailResult::Sent => self.sent += 1,
            EmailResult::WrittenToOutbox => self.written_to_outbox += 1,
            EmailResult::Skipped => self.skipped += 1,
            EmailResult::Failed(_) => self.failed += 1,
            EmailResult::NotAttempted(_) => self.not_attempted += 1,
            EmailResult::NoRecipients => self.without_recipients += 1,
            EmailResult::Withheld(_) => self.withheld += 1,
            EmailResult::Elsewhere(_) => self.elsewhere += 1,
        }
    }
}

impl std::fmt::Display for Tally {
    /// E.g. `3 sent, 1 failed, 2 not attempted, 1 without recipients`; the
    /// outbox is never called "sent".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [
            (self.sent, "sent"),
            (self.written_to_outbox, "written to the outbox"),
            (self.skipped, "skipped (email disabled)"),
            (self.failed, "failed"),
            (self.not_attempted, "not attempted"),
            (self.without_recipients, "without recipients"),
            (self.already_delivered, "already delivered earlier"),
            (self.withheld, "withheld (no summary recipients)"),
            (self.elsewhere, "left to another process sending them"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            f.write_str("no emails")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Every planned email with its result.
#[derive(Debug, Clone, Serialize)]
pub struct NotifyReport {
    pub batch_id: i64,
    pub transport: String,
    pub transport_kind: TransportKind,
    /// `code/env/scope/attach_mode` of the profile used, if any.
    pub profile: Option<String>,
    pub emails: Vec<EmailReport>,
    /// Emails the ledger already shows as delivered: not sent again.
    pub already_delivered: Vec<EmailKey>,
    pub warnings: Vec<String>,
}

impl NotifyReport {
    fn count(&self, f: impl Fn(&EmailResult) -> bool) -> usize {
        self.emails.iter().filter(|e| f(&e.result)).count()
    }
    /// Emails accepted by an SMTP server.
    pub fn sent(&self) -> usize {
        self.count(|r| *r == EmailResult::Sent)
    }
    /// Emails that reached their destination (SMTP or the outbox).
    pub fn delivered(&self) -> usize {
        self.count(|r| r.outcome().is_some_and(DeliveryOutcome::is_delivered))
    }
    /// Emails that failed.
    pub fn failed(&self) -> usize {
        self.count(|r| matches!(r, EmailResult::Failed(_)))
    }
    /// Emails not tried.
    pub fn not_attempted(&self) -> usize {
        self.count(|r| matches!(r, EmailResult::NotAttempted(_)))
    }
    /// Store emails with nobody to send to (a summary without recipients is
    /// not counted: docs/decisions.md D17).
    pub fn without_recipients(&self) -> usize {
        self.emails
            .iter()
            .filter(|e| e.kind != EmailKind::Summary && e.result == EmailResult::NoRecipients)
            .count()
    }
    /// Keys of the emails that are owed (failed or not attempted).
    pub fn undelivered_keys(&self) -> Vec<EmailKey> {
        self.emails
            .iter()
            .filter(|e| {
                matches!(
                    e.result,
                    EmailResult::Failed(_) | EmailResult::NotAttempted(_)
                )
            })
            .map(|e| e.key.clone())
            .collect()
    }
    /// The counts of the emails of some kinds.
    pub fn tally_of(&self, kinds: &[EmailKind]) -> Tally {
        let mut t = Tally::default();
        for e in self.emails.iter().filter(|e| kinds.contains(&e.kind)) {
            t.add(&e.result);
        }
        t
    }
    /// The counts of every email of this call.
    pub fn tally(&self) -> Tally {
        let mut t = self.tally_of(&[EmailKind::Store, EmailKind::AllSheets, EmailKind::Summary]);
        t.already_delivered = self.already_delivered.len();
        t
    }
    /// The report of one store's email.
    pub fn for_store(&self, store_code: &str) -> Option<&EmailReport> {
        self.emails
            .iter()
            .find(|e| e.store_code.as_deref() == Some(store_code))
    }
}

/// Why notification could not start or had to stop. Per-email failures are
/// in the report.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No such batch.
    #[error("batch {0} does not exist")]
    NoBatch(i64),
    /// The sender address is unusable.
    #[error("sender address {0:?} does not parse: {1}")]
    From(String, String),
    /// `--only` named keys the batch has no email for.
    #[error("batch {batch_id} has no email {}; its emails are: {}",
            unknown.iter().map(|k| format!("{:?}", k.to_string())).collect::<Vec<_>>().join(", "),
            known.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    UnknownKeys {
        batch_id: i64,
        unknown: Vec<EmailKey>,
        known: Vec<EmailKey>,
    },
    /// A query failed.
    #[error("notifying batch {batch_id}: {step}: {source}")]
    Query {
        batch_id: i64,
        step: &'static str,
        source: diesel::result::Error,
    },
    /// An attempt could not be recorded; emails after it were not tried.
    #[error("batch {batch_id}: email {key} was {outcome}, but recording it in the delivery ledger failed (it may be sent again by the next notify): {source}")]
    Ledger {
        batch_id: i64,
        key: EmailKey,
        outcome: &'static str,
        source: diesel::result::Error,
    },
}

fn at(batch_id: i64, step: &'static str) -> impl FnOnce(diesel::result::Error) -> NotifyError {
    move |source| NotifyError::Query {
        batch_id,
        step,
        source,
    }
}

/// Plans, renders and sends the emails of `batch_id` that `options.select`
/// picks (any past batch: this is how an undelivered email is re-sent),
/// recording every attempt in the ledger. One failed email never stops the
/// others, except that after a connection-level failure the rest are recorded
/// `not_attempted` (a run costs at most one timeout). Nothing is retried (D12).
pub fn send_for_batch(
    conn: &mut PgConnection,
    batch_id: i64,
    options: &NotifyOptions,
    transport: &mut dyn Transport,
) -> Result<NotifyReport, NotifyError> {
    let from: Mailbox = options
        .from
        .parse()
        .map_err(|e: lettre::address::AddressError| {
            NotifyError::From(options.from.clone(), e.to_string())
        })?;
    // Taken before anything reads the ledger: a delivery after it was made
    // by another process while this one worked (docs/decisions.md D13).
    let mark = if options.select.resends() {
        ledger::mark(conn).map_err(at(batch_id, "reading the delivery ledger"))?
    } else {
        0
    };
    let (batch_date, run_id) = batch_of(conn, batch_id, options)?;
    let mut report = NotifyReport {
        batch_id,
        transport: transport.describe(),
        transport_kind: transport.kind(),
        profile: None,
        emails: Vec::new(),
        already_delivered: Vec::new(),
        warnings: Vec::new(),
    };
    let Some(setup) = profile(conn, batch_id, options.run_env, &mut report)? else {
        return Ok(report);
    };

    let facts = batch_facts(conn, batch_id, batch_date, &run_id, options.run_env)?;
    let planned = plan::plan(setup.scope, setup.attach_mode, &setup.recipients, &facts);
    let emails = select(conn, batch_id, planned, &options.select, &mut report)?;
    let smtp_only = smtp_only(conn, batch_id)?;
    let mut outbox = Outbox {
        conn,
        batch_id,
        smtp_only,
        mark,
        run_id: &run_id,
        from: &from,
        transport,
        total: emails.len(),
        progress: options.progress.as_ref(),
        report: &mut report,
    };
    for email in emails.iter().filter(|e| e.kind != EmailKind::Summary) {
        let context = match email.store_code.as_deref().and_then(|s| facts.store(s)) {
            Some(store) => store_context(&facts, store, email),
            None => all_context(&facts, email),
        };
        let waiting = missing_sheets(&facts, email);
        outbox.deliver(email, &setup.store_template, &context, waiting)?;
    }
    if let Some(summary) = emails.iter().find(|e| e.kind == EmailKind::Summary) {
        let context = full_summary_context(&mut outbox, &facts, options)?;
        outbox.deliver(summary, &setup.summary_template, &context, None)?;
    }
    log_results(&report, options.run_env);
    Ok(report)
}

/// The run env's notification profile, noted in the report with its
/// warnings; None (a warning: no emails) when there is none.
fn profile(
    conn: &mut PgConnection,
    batch_id: i64,
    run_env: RunEnv,
    report: &mut NotifyReport,
) -> Result<Option<resolve::Setup>, NotifyError> {
    let setup = resolve::resolve(conn, run_env)
        .map_err(at(batch_id, "resolving the notification profile"))?;
    let Some(setup) = setup else {
        let w = format!(
            "no active notification profile '{}' of pipeline '{}' for env '{}' or 'any': no emails",
            resolve::PROFILE_CODE,
            resolve::PIPELINE_CODE,
            run_env
        );
        log::warn!("{w}");
        report.warnings.push(w);
        return Ok(None);
    };
    report.profile = Some(format!(
        "{}/{}/{}/{}",
        setup.profile.code, setup.profile.env, setup.profile.scope, setup.profile.attach_mode
    ));
    report.warnings.extend(setup.warnings.iter().cloned());
    Ok(Some(setup))
}

/// Whether the batch's emails are settled only by SMTP (docs/decisions.md D13).
fn smtp_only(conn: &mut PgConnection, batch_id: i64) -> Result<bool, NotifyError> {
    Ok(ledger::batch_delivery(conn, &[batch_id])
        .map_err(at(batch_id, "reading the batch's delivery"))?
        .get(&batch_id)
        .is_some_and(|d| d.smtp_only))
}

/// The batch's date and the run id its emails show: the caller's, else the
/// batch's, else `batch-{id}`.
fn batch_of(
    conn: &mut PgConnection,
    batch_id: i64,
    options: &NotifyOptions,
) -> Result<(NaiveDate, String), NotifyError> {
    let (batch_date, batch_run_id): (NaiveDate, Option<String>) = lab::table
        .find(batch_id)
        .select((lab::batch_date, lab::run_id))
        .first(conn)
        .optional()
        .map_err(at(batch_id, "reading the batch"))?
        .ok_or(NotifyError::NoBatch(batch_id))?;
    let run_id = (options.run_id.clone())
        .or(batch_run_id)
        .unwrap_or_else(|| format!("batch-{batch_id}"));
    Ok((batch_date, run_id))
}

/// The summary's context with the outstanding sheets.
fn full_summary_context(
    outbox: &mut Outbox<'_>,
    facts: &BatchFacts,
    options: &NotifyOptions,
) -> Result<serde_json::Value, NotifyError> {
    let outstanding = outstanding_by_store(outbox.conn, facts.batch_date, options)
        .map_err(at(facts.batch_id, "reading the outstanding sheets"))?;
    let mut context = summary_context(facts, outbox.report, options);
    context["outstanding_stores"] = serde_json::json!(outstanding);
    context["outstanding_after_days"] = serde_json::json!(options
        .outstanding_after_days
        .unwrap_or(la_report::DEFAULT_OUTSTANDING_DAYS));
    Ok(context)
}

/// The sheets still outstanding, per store, for the summary
/// (docs/decisions.md D21): every one, whatever its age, until an outcome
/// of it is ingested.
#[derive(Debug, Serialize)]
struct OutstandingStore {
    store_code: String,
    store_name: Option<String>,
    sheets: Vec<la_report::OutstandingSheet>,
}

fn outstanding_by_store(
    conn: &mut PgConnection,
    batch_date: NaiveDate,
    options: &NotifyOptions,
) -> QueryResult<Vec<OutstandingStore>> {
    let filter = la_report::OutstandingFilter {
        today: batch_date,
        older_than_days: options
            .outstanding_after_days
            .unwrap_or(la_report::DEFAULT_OUTSTANDING_DAYS),
        since: None,
        stores: Vec::new(),
    };
    let mut stores: Vec<OutstandingStore> = Vec::new();
    for sheet in la_report::outstanding_sheets(conn, &filter)? {
        match stores.last_mut() {
            Some(s) if s.store_code == sheet.store_code => s.sheets.push(sheet),
            _ => stores.push(OutstandingStore {
                store_code: sheet.store_code.clone(),
                store_name: sheet.store_name.clone(),
                sheets: vec![sheet],
            }),
        }
    }
    Ok(stores)
}

/// Keeps the planned emails `selection` picks; for [`Selection::Undelivered`]
/// notes the ones already delivered in the report.
fn select(
    conn: &mut PgConnection,
    batch_id: i64,
    mut planned: Vec<PlannedEmail>,
    selection: &Selection,
    report: &mut NotifyReport,
) -> Result<Vec<PlannedEmail>, NotifyError> {
    match selection {
        Selection::All => {}
        Selection::Only(keys) => {
            let unknown: Vec<EmailKey> = keys
                .iter()
                .filter(|k| !planned.iter().any(|e| &e.key == *k))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(NotifyError::UnknownKeys {
                    batch_id,
                    unknown,
                    known: planned.into_iter().map(|e| e.key).collect(),
                });
            }
            planned.retain(|e| keys.contains(&e.key));
        }
        Selection::Owed(keys) => planned.retain(|e| keys.contains(&e.key)),
        Selection::Undelivered => {
            let outcomes = ledger::outcomes(conn, &[batch_id])
                .map_err(at(batch_id, "reading the delivery ledger"))?
                .remove(&batch_id)
                .unwrap_or_default();
            let delivered = |e: &PlannedEmail| {
                outcomes
                    .get(&e.key.to_string())
                    .is_some_and(|o| o.is_delivered())
            };
            report.already_delivered = planned
                .iter()
                .filter(|e| delivered(e))
                .map(|e| e.key.clone())
                .collect();
            planned.retain(|e| !delivered(e));
        }
    }
    Ok(planned)
}

/// Why an email must wait for sheets: the missing sheets of its store (or of
/// any store, for the all-sheets email).
fn missing_sheets(facts: &BatchFacts, email: &PlannedEmail) -> Option<String> {
    let missing: Vec<&String> = match &email.store_code {
        Some(code) => facts
            .store(code)
            .map(|s| s.missing_sheets.iter().collect())
            .unwrap_or_default(),
        None if email.kind == EmailKind::AllSheets => facts
            .stores
            .iter()
            .flat_map(|s| s.missing_sheets.iter())
            .collect(),
        None => Vec::new(),
    };
    (!missing.is_empty()).then(|| {
        format!(
            "sheet(s) not on disk: {}; write them first (pdf --batch {})",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            facts.batch_id
        )
    })
}

/// One call's sending state: where emails go and where results are recorded.
struct Outbox<'a> {
    conn: &'a mut PgConnection,
    batch_id: i64,
    /// The batch's emails are settled only by SMTP (docs/decisions.md D13).
    smtp_only: bool,
    /// A delivery recorded after this ledger row id makes an email done
    /// (0: any delivery does; the newest row at the start when resending).
    mark: i64,
    run_id: &'a str,
    from: &'a Mailbox,
    transport: &'a mut dyn Transport,
    total: usize,
    progress: Option<&'a la_pdf::Progress>,
    report: &'a mut NotifyReport,
}

impl Outbox<'_> {
    /// Sends one email (unless it cannot or need not be), records the
    /// attempt, and reports it.
    fn deliver(
        &mut self,
        email: &PlannedEmail,
        template: &Template,
        context: &serde_json::Value,
        waiting_for_sheets: Option<String>,
    ) -> Result<(), NotifyError> {
        let (result, message_id, claim) = match self.cannot_send(email, waiting_for_sheets) {
            Some(result) => (result, None, None),
            None => self.send_claimed(email, template, context)?,
        };
        if let Some(outcome) = result.outcome() {
            let row = ledger_row(
                self.batch_id,
                self.run_id,
                self.transport.kind(),
                email,
                &result,
                outcome,
                message_id.clone(),
            );
            ledger::record(self.conn, &row).map_err(|source| NotifyError::Ledger {
                batch_id: self.batch_id,
                key: email.key.clone(),
                outcome: outcome.as_str(),
                source,
            })?;
        }
        // Released only once the ledger says what happened.
        if let Some(id) = claim {
            locks::unlock(self.conn, locks::EMAIL, id)
                .map_err(at(self.batch_id, "releasing an email"))?;
        }
        self.report
            .emails
            .push(email_report(email, result, message_id));
        if let Some(p) = self.progress {
            p.report(self.report.emails.len(), self.total);
        }
        Ok(())
    }

    /// Why `email` is not sent at all, if it is not.
    fn cannot_send(&self, email: &PlannedEmail, waiting: Option<String>) -> Option<EmailResult> {
        if email.addressees.is_empty() {
            // docs/decisions.md D17: a summary nobody may see is withheld, on record.
            return Some(if email.kind == EmailKind::Summary {
                EmailResult::Withheld(plan::NO_SUMMARY_RECIPIENTS.into())
            } else {
                EmailResult::NoRecipients
            });
        }
        if let Some(cause) = self.transport.broken() {
            return Some(EmailResult::NotAttempted(format!(
                "after an earlier failure: {cause}"
            )));
        }
        let kind = self.transport.kind();
        if kind == TransportKind::Disabled {
            // Email disabled is a decision for every email, waiting or not.
            return Some(EmailResult::Skipped);
        }
        if self.smtp_only && kind == TransportKind::Outbox {
            return Some(EmailResult::NotAttempted(format!(
                "batch {} delivers by SMTP and this process has no SMTP settings (REPORT_EMAIL_SMTP_HOST): the email stays owed",
                self.batch_id
            )));
        }
        waiting.map(EmailResult::NotAttempted)
    }

    /// Claims the email (docs/decisions.md D13: one sender at a time, the
    /// claim ending with its session), then sends it unless another process
    /// delivered it meanwhile. Returns the claim to release after the
    /// ledger row.
    fn send_claimed(
        &mut self,
        email: &PlannedEmail,
        template: &Template,
        context: &serde_json::Value,
    ) -> Result<(EmailResult, Option<String>, Option<i64>), NotifyError> {
        let key = email.key.to_string();
        let id = locks::email_id(self.batch_id, &key);
        let claimed = locks::try_lock(self.conn, locks::EMAIL, id)
            .map_err(at(self.batch_id, "claiming an email"))?;
        if !claimed {
            let why = "another process is sending it right now".to_string();
            return Ok((EmailResult::Elsewhere(why), None, None));
        }
        let done =
            ledger::delivered_after(self.conn, self.batch_id, &key, self.mark, self.smtp_only)
                .map_err(at(self.batch_id, "reading the delivery ledger"));
        if !matches!(done, Ok(false)) {
            locks::unlock(self.conn, locks::EMAIL, id)
                .map_err(at(self.batch_id, "releasing an email"))?;
            done?;
            let why = "another process delivered it meanwhile".to_string();
            return Ok((EmailResult::Elsewhere(why), None, None));
        }
        let message_id = new_message_id(self.batch_id, &email.key, self.from);
        let sent = build_message(email, self.from, template, context, &message_id)
            .and_then(|m| self.transport.send(&email.outbox_stem, &m));
        let result = match sent {
            Ok(outcome) => EmailResult::from_outcome(outcome),
            Err(e) => EmailResult::Failed(e.to_string()),
        };
        Ok((result, Some(message_id), Some(id)))
    }
}

fn ledger_row(
    batch_id: i64,
    run_id: &str,
    kind: TransportKind,
    email: &PlannedEmail,
    result: &EmailResult,
    outcome: DeliveryOutcome,
    message_id: Option<String>,
) -> NewDelivery {
    let list = |v: &[Mailbox]| v.iter().map(|m| m.email.to_string()).collect();
    NewDelivery {
        batch_id: Some(batch_id),
        email_key: email.key.to_string(),
        transport: kind,
        to_addresses: list(&email.addressees.to),
        cc_addresses: list(&email.addressees.cc),
        bcc_addresses: list(&email.addressees.bcc),
        document_ids: email.attachments.iter().map(|a| a.document_id).collect(),
        outcome,
        error: match result {
            EmailResult::Failed(r) | EmailResult::NotAttempted(r) | EmailResult::Withheld(r) => {
                Some(r.clone())
            }
            _ => None,
        },
        message_id,
        run_id: Some(run_id.chars().take(64).collect()),
    }
}

/// `<la.{nanos}.{pid}.{file stem}@{sender's domain}>`: unique per attempt.
fn new_message_id(batch_id: i64, key: &EmailKey, from: &Mailbox) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "<la.{nanos}.{}.{}@{}>",
        std::process::id(),
        la_pdf::sanitize(&key.file_stem(batch_id)),
        from.email.domain()
    )
}

fn log_results(report: &NotifyReport, run_env: RunEnv) {
    for e in &report.emails {
        let to = e.to.len() + e.cc.len() + e.bcc.len();
        match &e.result {
            EmailResult::Failed(_) | EmailResult::NotAttempted(_) => {
                log::error!("email {}: {}", e.key, e.result)
            }
            EmailResult::NoRecipients if e.kind == EmailKind::Summary => {
                log::info!(
                    "email {}: no recipients configured for env {run_env}",
                    e.key
                )
            }
            EmailResult::NoRecipients => {
                log::warn!(
                    "email {}: no recipients configured for env {run_env}",
                    e.key
                )
            }
            r => log::info!("email {} {r} ({to} recipient(s))", e.key),
        }
    }
    if !report.already_delivered.is_empty() {
        log::info!(
            "batch {}: {} email(s) already delivered earlier, not sent again",
            report.batch_id,
            report.already_delivered.len()
        );
    }
}

fn email_report(e: &PlannedEmail, result: EmailResult, message_id: Option<String>) -> EmailReport {
    let list = |v: &[Mailbox]| v.iter().map(|m| m.email.to_string()).collect();
    EmailReport {
        key: e.key.clone(),
        kind: e.kind,
        store_code: e.store_code.clone(),
        to: list(&e.addressees.to),
        cc: list(&e.addressees.cc),
        bcc: list(&e.addressees.bcc),
        attachments: e.attachments.iter().map(|a| a.file_name.clone()).collect(),
        document_ids: e.attachments.iter().map(|a| a.document_id).collect(),
        message_id,
        result,
    }
}

fn store_context(
    facts: &BatchFacts,
    store: &StoreFacts,
    email: &PlannedEmail,
) -> serde_json::Value {
    serde_json::json!({
        "store_code": store.store_code,
        "store_name": store.store_name,
        "run_env": facts.run_env,
        "run_id": facts.run_id,
        "batch_id": facts.batch_id,
        "batch_date": facts.batch_date.to_string(),
        "lead_count": store.lead_count(),
        "agents": store.agents,
        "attachments": email.attachments.iter().map(|a| a.file_name.as_str()).collect::<Vec<_>>(),
    })
}

fn all_context(facts: &BatchFacts, email: &PlannedEmail) -> serde_json::Value {
    serde_json::json!({
        "store_code": "ALL",
        "store_name": "all stores",
        "run_env": facts.run_env,
        "run_id": facts.run_id,
        "batch_id": facts.batch_id,
        "batch_date": facts.batch_date.to_string(),
        "lead_count": facts.stores.iter().map(StoreFacts::lead_count).sum::<i64>(),
        "agents": facts.stores.iter().flat_map(|s| s.agents.iter()).collect::<Vec<_>>(),
        "attachments": email.attachments.iter().map(|a| a.file_name.as_str()).collect::<Vec<_>>(),
    })
}

/// The summary's context: the batch, the store emails' tally so far (in the
/// same words as everywhere), per-store lines, and how to finish.
fn summary_context(
    facts: &BatchFacts,
    report: &NotifyReport,
    options: &NotifyOptions,
) -> serde_json::Value {
    let mut diagnostics = options.store_diagnostics.clone().unwrap_or_else(|| {
        facts
            .stores
            .iter()
            .map(|s| StoreDiagnostic {
                store_code: s.store_code.clone(),
                store_name: None,
                assigned: s.lead_count(),
                reasons: Vec::new(),
            })
            .collect()
    });
    for d in diagnostics.iter_mut().filter(|d| d.store_name.is_none()) {
        d.store_name = facts
            .store(&d.store_code)
            .and_then(|s| s.store_name.clone());
    }
    let stores = report.tally_of(&[EmailKind::Store, EmailKind::AllSheets]);
    let mut finish = options.finish_commands.clone();
    if stores.failed + stores.not_attempted > 0 {
        if let Some(c) = &options.resend_command {
            if !finish.contains(c) {
                finish.push(c.clone());
            }
        }
    }
    serde_json::json!({
        "returned": options.returned,
        "run_id": facts.run_id,
        "run_env": facts.run_env,
        "batch_id": facts.batch_id,
        "batch_date": facts.batch_date.to_string(),
        "assignment_count": facts.stores.iter().map(StoreFacts::lead_count).sum::<i64>(),
        "document_count": facts.stores.iter().map(|s| s.documents.len()).sum::<usize>(),
        "emails_planned": report.emails.len(),
        "emails_sent": stores.sent,
        "emails_written_to_outbox": stores.written_to_outbox,
        "emails_failed": stores.failed + stores.not_attempted,
        "emails_without_recipients": stores.without_recipients,
        "emails_line": stores.to_string(),
        "store_diagnostics": diagnostics,
        "finish_commands": finish,
    })
}

fn build_message(
    email: &PlannedEmail,
    from: &Mailbox,
    template: &Template,
    context: &serde_json::Value,
    message_id: &str,
) -> Result<Message, TransportError> {
    let text = render(template, context).map_err(TransportError::Build)?;
    let a = &email.addressees;
    // docs/decisions.md D27: every address header and the subject encoded
    // here (quoted names, whole grapheme clusters); Bcc only in the envelope.
    let recipients: Vec<lettre::Address> = a.all().map(|m| m.email.clone()).collect();
    let envelope = lettre::address::Envelope::new(Some(from.email.clone()), recipients)
        .map_err(|e| TransportError::Build(e.to_string()))?;
    let mut b = Message::builder()
        .raw_header(headers::mailbox_header("From", std::slice::from_ref(from)))
        .raw_header(headers::subject_header(&text.subject))
        .message_id(Some(message_id.to_string()))
        .envelope(envelope);
    if !a.to.is_empty() {
        b = b.raw_header(headers::mailbox_header("To", &a.to));
    }
    if !a.cc.is_empty() {
        b = b.raw_header(headers::mailbox_header("Cc", &a.cc));
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(text.body));
    for att in &email.attachments {
        // docs/decisions.md D26: only the very bytes that were written.
        let bytes =
            la_pdf::files::read_verified(&att.path, att.checksum.as_deref()).map_err(|e| {
                TransportError::Build(format!(
                    "attachment {} ({}): {e}",
                    att.file_name,
                    att.path.display()
                ))
            })?;
        // The name on Content-Type too: many clients read it there.
        let pdf = ContentType::parse(&format!("application/pdf; name=\"{}\"", att.file_name))
            .map_err(|e| TransportError::Build(e.to_string()))?;
        parts = parts.singlepart(Attachment::new(att.file_name.clone()).body(bytes, pdf));
    }
    Ok(b.multipart(parts)?)
}

/// The batch as the emails describe it: per store, its agents' lead counts,
/// its sheets on disk and the ones missing.
fn batch_facts(
    conn: &mut PgConnection,
    batch_id: i64,
    batch_date: NaiveDate,
    run_id: &str,
    run_env: RunEnv,
) -> Result<BatchFacts, NotifyError> {
    let sheets = la_pdf::batch_sheets(conn, &[batch_id])
        .map_err(at(batch_id, "reading the batch's sheets"))?;
    let codes: Vec<&str> = sheets.iter().map(|s| s.store_code.as_str()).collect();
    let names: BTreeMap<String, Option<String>> = sm::table
        .filter(sm::store_code.eq_any(&codes))
        .select((sm::store_code, sm::store_name))
        .load::<(String, Option<String>)>(conn)
        .map_err(at(batch_id, "reading store names"))?
        .into_iter()
        .collect();
    Ok(facts_from_sheets(
        batch_id, batch_date, run_id, run_env, &sheets, &names,
    ))
}

/// Builds a batch's facts from its expected sheets (pure).
pub(crate) fn facts_from_sheets(
    batch_id: i64,
    batch_date: NaiveDate,
    run_id: &str,
    run_env: RunEnv,
    sheets: &[ExpectedSheet],
    store_names: &BTreeMap<String, Option<String>>,
) -> BatchFacts {
    let mut stores: BTreeMap<&str, StoreFacts> = BTreeMap::new();
    for s in sheets.iter().filter(|s| s.batch_id == batch_id) {
        let store = stores.entry(&s.store_code).or_insert_with(|| StoreFacts {
            store_code: s.store_code.clone(),
            store_name: store_names.get(&s.store_code).cloned().flatten(),
            agents: Vec::new(),
            documents: Vec::new(),
            missing_sheets: Vec::new(),
        });
        store.agents.push(AgentFacts {
            code: s.agent_code.clone(),
            name: s.agent_name.clone(),
            lead_count: s.leads,
        });
        match (&s.state, s.document_id, &s.path) {
            (SheetState::Ok, Some(document_id), Some(path)) => {
                store.documents.push(AttachmentFacts {
                    document_id,
                    file_name: s.file_name.clone(),
                    path: path.clone(),
                    checksum: s.checksum.clone(),
                })
            }
            (state, ..) => store
                .missing_sheets
                .push(format!("{} ({state})", s.file_name)),
        }
    }
    BatchFacts {
        batch_id,
        batch_date,
        run_id: run_id.to_string(),
        run_env: run_env.to_string(),
        stores: stores.into_values().collect(),
    }
}

/// Per batch, the emails still owed: planned, with recipients, and not
/// settled in the ledger (delivered, or skipped because email was disabled).
/// Each batch is judged for the env it recorded (docs/decisions.md D13),
/// `run_env` only for batches made before that was recorded. `sheets` are
/// the batches' expected sheets ([`la_pdf::batch_sheets`]).
pub fn owed_emails(
    conn: &mut PgConnection,
    run_env: RunEnv,
    sheets: &[ExpectedSheet],
) -> Result<BTreeMap<i64, Vec<EmailKey>>, NotifyError> {
    let mut batches: BTreeMap<i64, NaiveDate> = BTreeMap::new();
    for s in sheets {
        batches.insert(s.batch_id, s.batch_date);
    }
    let Some(first) = batches.keys().next().copied() else {
        return Ok(BTreeMap::new());
    };
    let ids: Vec<i64> = batches.keys().copied().collect();
    let ledger = ledger::outcomes(conn, &ids).map_err(at(first, "reading the delivery ledger"))?;
    let delivery =
        ledger::batch_delivery(conn, &ids).map_err(at(first, "reading the batches' delivery"))?;
    let mut setups: BTreeMap<&'static str, Option<resolve::Setup>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (batch_id, batch_date) in batches {
        let env = delivery
            .get(&batch_id)
            .and_then(|d| d.env)
            .unwrap_or(run_env);
        if !setups.contains_key(env.as_str()) {
            let setup = resolve::resolve(conn, env)
                .map_err(at(batch_id, "resolving the notification profile"))?;
            setups.insert(env.as_str(), setup);
        }
        let Some(Some(setup)) = setups.get(env.as_str()) else {
            continue;
        };
        let facts = facts_from_sheets(batch_id, batch_date, "", env, sheets, &BTreeMap::new());
        let settled = ledger.get(&batch_id);
        let owed: Vec<EmailKey> =
            plan::plan(setup.scope, setup.attach_mode, &setup.recipients, &facts)
                .into_iter()
                .filter(|e| !e.addressees.is_empty())
                .filter(|e| {
                    !settled
                        .and_then(|m| m.get(&e.key.to_string()))
                        .is_some_and(|o| o.is_settled())
                })
                .map(|e| e.key)
                .collect();
        if !owed.is_empty() {
            out.insert(batch_id, owed);
        }
    }
    Ok(out)
}
