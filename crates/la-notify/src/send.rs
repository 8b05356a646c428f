//! `send_for_batch`: gather the batch's facts, plan, render, send, report.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;
use la_schema::schema::{
    agents_master as am, lead_assignment_batches as lab, lead_assignments as la, store_master as sm,
};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde::Serialize;

use crate::plan::{
    self, AgentFacts, AttachmentFacts, BatchFacts, EmailKind, PlannedEmail, StoreDiagnostic,
    StoreFacts,
};
use crate::render::render;
use crate::resolve::{self, Template};
use crate::transport::Transport;

/// How to notify.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {
    /// `dev`, `prod`, `local`…: selects profile and recipients (`any` always matches).
    pub run_env: String,
    /// Run id shown in the emails (default: the batch's, else `batch-{id}`).
    pub run_id: Option<String>,
    /// Sender mailbox, e.g. `Reports <reports@example.com>`.
    pub from: String,
    /// Per-store lines of the run summary; default: the batch's counts only.
    pub store_diagnostics: Option<Vec<StoreDiagnostic>>,
    /// Called with (emails done, emails planned).
    pub progress: Option<la_pdf::Progress>,
    /// Send only the emails with these keys (`store-S001`, `all-sheets`,
    /// `summary`): how a run's failed emails are re-sent without repeating
    /// the delivered ones. None: every email.
    pub only: Option<Vec<String>>,
}

/// What happened to one planned email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum EmailResult {
    Sent,
    Failed(String),
    /// Nobody is configured to receive it (not an error).
    NoRecipients,
}

/// One planned email and its result.
#[derive(Debug, Clone, Serialize)]
pub struct EmailReport {
    pub key: String,
    pub kind: EmailKind,
    pub store_code: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub attachments: Vec<String>,
    pub result: EmailResult,
}

/// Every planned email with its result.
#[derive(Debug, Clone, Serialize)]
pub struct NotifyReport {
    pub batch_id: i64,
    pub transport: String,
    /// `code/env/scope/attach_mode` of the profile used, if any.
    pub profile: Option<String>,
    pub emails: Vec<EmailReport>,
    pub warnings: Vec<String>,
}

impl NotifyReport {
    fn count(&self, f: impl Fn(&EmailResult) -> bool) -> usize {
        self.emails.iter().filter(|e| f(&e.result)).count()
    }
    /// Emails delivered to the transport.
    pub fn sent(&self) -> usize {
        self.count(|r| *r == EmailResult::Sent)
    }
    /// Emails that failed.
    pub fn failed(&self) -> usize {
        self.count(|r| matches!(r, EmailResult::Failed(_)))
    }
    /// Emails with nobody to send to.
    pub fn without_recipients(&self) -> usize {
        self.count(|r| *r == EmailResult::NoRecipients)
    }
    /// Keys of the emails that failed, for a `--only` re-send.
    pub fn failed_keys(&self) -> Vec<String> {
        self.emails
            .iter()
            .filter(|e| matches!(e.result, EmailResult::Failed(_)))
            .map(|e| e.key.clone())
            .collect()
    }

    /// The report of one store's email.
    pub fn for_store(&self, store_code: &str) -> Option<&EmailReport> {
        self.emails
            .iter()
            .find(|e| e.store_code.as_deref() == Some(store_code))
    }
}

/// Why notification could not start. Per-email failures are in the report.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No such batch.
    #[error("batch {0} does not exist")]
    NoBatch(i64),
    /// The sender address is unusable.
    #[error("sender address {0:?} does not parse: {1}")]
    From(String, String),
    /// A query failed.
    #[error("notifying batch {batch_id}: {step}: {source}")]
    Query {
        batch_id: i64,
        step: &'static str,
        source: diesel::result::Error,
    },
}

/// Plans, renders and sends every email of `batch_id` (any past batch: this is
/// how a failed delivery is re-sent). One failed email never stops the others;
/// nothing is retried (DESIGN §3.12).
pub fn send_for_batch(
    conn: &mut PgConnection,
    batch_id: i64,
    options: &NotifyOptions,
    transport: &mut dyn Transport,
) -> Result<NotifyReport, NotifyError> {
    let q = |step| {
        move |source| NotifyError::Query {
            batch_id,
            step,
            source,
        }
    };
    let from: Mailbox = options
        .from
        .parse()
        .map_err(|e: lettre::address::AddressError| {
            NotifyError::From(options.from.clone(), e.to_string())
        })?;
    let (batch_date, batch_run_id): (NaiveDate, Option<String>) = lab::table
        .find(batch_id)
        .select((lab::batch_date, lab::run_id))
        .first(conn)
        .optional()
        .map_err(q("reading the batch"))?
        .ok_or(NotifyError::NoBatch(batch_id))?;
    let run_id = options
        .run_id
        .clone()
        .or(batch_run_id)
        .unwrap_or_else(|| format!("batch-{batch_id}"));
    let mut report = NotifyReport {
        batch_id,
        transport: transport.describe(),
        profile: None,
        emails: Vec::new(),
        warnings: Vec::new(),
    };
    let Some(setup) = resolve::resolve(conn, &options.run_env)
        .map_err(q("resolving the notification profile"))?
    else {
        let w = format!(
            "no active notification profile '{}' of pipeline '{}' for env '{}' or 'any': no emails",
            resolve::PROFILE_CODE,
            resolve::PIPELINE_CODE,
            options.run_env
        );
        log::warn!("{w}");
        report.warnings.push(w);
        return Ok(report);
    };
    report.profile = Some(format!(
        "{}/{}/{}/{}",
        setup.profile.code, setup.profile.env, setup.profile.scope, setup.profile.attach_mode
    ));
    report.warnings.extend(setup.warnings.iter().cloned());

    let facts = batch_facts(conn, batch_id, batch_date, &run_id, &options.run_env)?;
    let mut emails = plan::plan(
        &setup.profile.scope,
        &setup.profile.attach_mode,
        &setup.recipients,
        &facts,
    );
    if let Some(only) = &options.only {
        let unknown: Vec<&String> = only
            .iter()
            .filter(|k| !emails.iter().any(|e| &e.key == *k))
            .collect();
        if !unknown.is_empty() {
            report
                .warnings
                .push(format!("no planned email has the key(s) {unknown:?}"));
        }
        emails.retain(|e| only.contains(&e.key));
    }
    let stores: BTreeMap<&str, &StoreFacts> = facts
        .stores
        .iter()
        .map(|s| (s.store_code.as_str(), s))
        .collect();

    let total = emails.len();
    for email in emails.iter().filter(|e| e.kind != EmailKind::Summary) {
        let context = match email.store_code.as_deref().and_then(|s| stores.get(s)) {
            Some(store) => store_context(&facts, store, email),
            None => all_context(&facts, email),
        };
        let result = deliver(
            batch_id,
            email,
            &setup.store_template,
            &context,
            &from,
            transport,
        );
        report.emails.push(email_report(email, result));
        if let Some(p) = &options.progress {
            p.report(report.emails.len(), total);
        }
    }
    if let Some(summary) = emails.iter().find(|e| e.kind == EmailKind::Summary) {
        let diagnostics = options.store_diagnostics.clone().unwrap_or_else(|| {
            facts
                .stores
                .iter()
                .map(|s| StoreDiagnostic {
                    store_code: s.store_code.clone(),
                    store_name: s.store_name.clone(),
                    assigned: s.lead_count(),
                    reasons: Vec::new(),
                })
                .collect()
        });
        let planned = report.emails.len();
        let context = serde_json::json!({
            "run_id": facts.run_id,
            "run_env": facts.run_env,
            "batch_id": facts.batch_id,
            "batch_date": facts.batch_date.to_string(),
            "assignment_count": facts.stores.iter().map(StoreFacts::lead_count).sum::<i64>(),
            "document_count": facts.stores.iter().map(|s| s.documents.len()).sum::<usize>(),
            "emails_planned": planned,
            "emails_sent": report.sent(),
            "emails_failed": report.failed(),
            "emails_without_recipients": report.without_recipients(),
            "store_diagnostics": diagnostics,
        });
        let result = deliver(
            batch_id,
            summary,
            &setup.summary_template,
            &context,
            &from,
            transport,
        );
        report.emails.push(email_report(summary, result));
        if let Some(p) = &options.progress {
            p.report(report.emails.len(), total);
        }
    }
    for e in &report.emails {
        match &e.result {
            EmailResult::Sent => log::info!(
                "email {} sent to {} recipient(s)",
                e.key,
                e.to.len() + e.cc.len() + e.bcc.len()
            ),
            EmailResult::Failed(reason) => log::error!("email {} failed: {reason}", e.key),
            EmailResult::NoRecipients => log::warn!(
                "email {}: no recipients configured for env {}",
                e.key,
                options.run_env
            ),
        }
    }
    Ok(report)
}

fn email_report(e: &PlannedEmail, result: EmailResult) -> EmailReport {
    let list = |v: &[Mailbox]| v.iter().map(|m| m.email.to_string()).collect();
    EmailReport {
        key: e.key.clone(),
        kind: e.kind,
        store_code: e.store_code.clone(),
        to: list(&e.addressees.to),
        cc: list(&e.addressees.cc),
        bcc: list(&e.addressees.bcc),
        attachments: e.attachments.iter().map(|a| a.file_name.clone()).collect(),
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

fn deliver(
    batch_id: i64,
    email: &PlannedEmail,
    template: &Template,
    context: &serde_json::Value,
    from: &Mailbox,
    transport: &mut dyn Transport,
) -> EmailResult {
    if email.addressees.is_empty() {
        return EmailResult::NoRecipients;
    }
    let message = render(template, context)
        .and_then(|text| build_message(email, from, &text.subject, text.body));
    // The transport key names the batch too, so outbox files of batches never collide.
    let key = format!("b{batch_id}-{}", email.key);
    match message.and_then(|m| transport.send(&key, &m)) {
        Ok(()) => EmailResult::Sent,
        Err(reason) => EmailResult::Failed(reason),
    }
}

fn build_message(
    email: &PlannedEmail,
    from: &Mailbox,
    subject: &str,
    body: String,
) -> Result<Message, String> {
    let mut b = Message::builder().from(from.clone()).subject(subject);
    for m in &email.addressees.to {
        b = b.to(m.clone());
    }
    for m in &email.addressees.cc {
        b = b.cc(m.clone());
    }
    for m in &email.addressees.bcc {
        b = b.bcc(m.clone());
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
    let pdf = ContentType::parse("application/pdf").map_err(|e| e.to_string())?;
    for a in &email.attachments {
        let bytes = std::fs::read(&a.path)
            .map_err(|e| format!("attachment {} ({}): {e}", a.file_name, a.path.display()))?;
        parts = parts.singlepart(Attachment::new(a.file_name.clone()).body(bytes, pdf.clone()));
    }
    b.multipart(parts)
        .map_err(|e| format!("building the message: {e}"))
}

/// The batch as the emails describe it: per store, its agents' lead counts and
/// its sheets (documents registered by la-pdf).
fn batch_facts(
    conn: &mut PgConnection,
    batch_id: i64,
    batch_date: NaiveDate,
    run_id: &str,
    run_env: &str,
) -> Result<BatchFacts, NotifyError> {
    let q = |step| {
        move |source| NotifyError::Query {
            batch_id,
            step,
            source,
        }
    };
    let counts: Vec<(String, Option<String>, String, i64)> = la::table
        .inner_join(am::table)
        .filter(la::assignment_batch_id.eq(batch_id))
        .group_by((la::store_code, am::agent_code, am::agent_name))
        .select((la::store_code, am::agent_code, am::agent_name, count_star()))
        .order((la::store_code, am::agent_code))
        .load(conn)
        .map_err(q("counting the batch's assignments"))?;
    let codes: Vec<&str> = counts.iter().map(|c| c.0.as_str()).collect();
    let names: BTreeMap<String, Option<String>> = sm::table
        .filter(sm::store_code.eq_any(&codes))
        .select((sm::store_code, sm::store_name))
        .load::<(String, Option<String>)>(conn)
        .map_err(q("reading store names"))?
        .into_iter()
        .collect();
    let documents =
        la_pdf::documents_for_batch(conn, batch_id).map_err(q("reading the batch's sheets"))?;

    let mut stores: BTreeMap<String, StoreFacts> = BTreeMap::new();
    for (store, code, name, n) in counts {
        stores
            .entry(store.clone())
            .or_insert_with(|| StoreFacts {
                store_name: names.get(&store).cloned().flatten(),
                store_code: store,
                agents: Vec::new(),
                documents: Vec::new(),
            })
            .agents
            .push(AgentFacts {
                code: code.unwrap_or_default().trim_end().to_string(),
                name,
                lead_count: n,
            });
    }
    for d in documents {
        let Some(store) = d.reference_id_2.as_deref() else {
            continue;
        };
        let Some(path) = d.file_path.clone() else {
            continue;
        };
        if let Some(s) = stores.get_mut(store) {
            s.documents.push(AttachmentFacts {
                document_id: d.id,
                file_name: d.file_name.clone(),
                path: path.into(),
            });
        }
    }
    Ok(BatchFacts {
        batch_id,
        batch_date,
        run_id: run_id.to_string(),
        run_env: run_env.to_string(),
        stores: stores.into_values().collect(),
    })
}
