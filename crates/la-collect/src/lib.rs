//! Returns with no hands (docs/decisions.md D29): [`collect`] reads one IMAP
//! folder, ingests every PDF attachment through the very checks of
//! `ingest-outcomes` ([`la_pdf::ingest_bytes`]: identity, ledger, all or
//! nothing per file), records each message once (by Message-ID, else the
//! hash of its bytes), answers its sender with a threaded receipt through the
//! delivery ledger ([`la_notify::receipt`]), and files the message to
//! `Collected` or `Refused`. Messages from anyone who is not an active
//! recipient of the profile are filed to `Refused` unanswered and unread.
//!
//! Crash safety: a message's ingests and its record are one transaction;
//! the receipt and the move come after, and a message found recorded is
//! only answered (if its receipt is still owed) and filed.
//!
//! API: [`collect`], [`CollectOptions`], [`ImapConfig`], [`CollectReport`],
//! [`strangers`]; feature `testing`: a throwaway Dovecot.

mod answer;
mod mailbox;
pub mod message;
mod sql;
#[cfg(feature = "testing")]
pub mod testing;

use diesel::prelude::*;
use la_notify::receipt::{send_receipt, Receipt};
use la_notify::{EmailResult, Transport};
use la_pdf::{IngestOptions, MessageSource};
use la_schema::codes::CollectedStatus;
use la_schema::schema::lead_assignment_collected as lac;
use lettre::message::Mailbox as Address;

pub use answer::SheetResult;
pub use mailbox::ImapConfig;
use mailbox::Mailbox;
use message::Incoming;

/// Why collection could not run. Per-message outcomes are in the report.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The mailbox could not be used (never shows the password).
    #[error("mailbox {server}: {reason}")]
    Mailbox { server: String, reason: String },
    /// The database refused a read or a write.
    #[error("collecting returned sheets: {step}: {source}")]
    Db {
        step: &'static str,
        source: diesel::result::Error,
    },
    /// The sender address is unusable.
    #[error("sender address {0:?} (REPORT_EMAIL_FROM) does not parse")]
    From(String),
}

fn db(step: &'static str) -> impl Fn(diesel::result::Error) -> CollectError {
    move |source| CollectError::Db { step, source }
}

/// How to collect.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub imap: ImapConfig,
    /// The receipts' sender.
    pub from: String,
    /// List what would be ingested and answered; change nothing.
    pub dry_run: bool,
    /// An attachment larger than this is refused unread.
    pub max_file_bytes: u64,
    /// For the ledgers.
    pub run_id: String,
    pub ingested_by: String,
}

/// What happened to one message.
#[derive(Debug)]
pub struct MessageReport {
    pub key: String,
    pub sender: String,
    pub subject: String,
    pub status: Handled,
    pub folder: String,
    pub sheets: Vec<SheetResult>,
    pub others: Vec<String>,
    /// The receipt's result, when one was sent (or tried) now.
    pub receipt: Option<EmailResult>,
}

/// What a message's handling was: recorded now, or processed before and
/// only filed (and its owed receipt sent) now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Now(CollectedStatus),
    Already,
}

impl std::fmt::Display for Handled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Handled::Now(s) => s.as_str(),
            Handled::Already => "already",
        })
    }
}

/// What a collection did.
#[derive(Debug, Default)]
pub struct CollectReport {
    pub messages: Vec<MessageReport>,
    /// Receipts of earlier messages that were owed and sent now.
    pub owed_receipts: Vec<EmailResult>,
}

impl CollectReport {
    /// `N message(s): N collected, N refused, N from strangers, N already done`.
    pub fn line(&self) -> String {
        let n = |s: Handled| self.messages.iter().filter(|m| m.status == s).count();
        format!(
            "{} message(s): {} collected, {} refused, {} from senders who are not recipients (not answered), {} processed before and filed now",
            self.messages.len(),
            n(Handled::Now(CollectedStatus::Collected)),
            n(Handled::Now(CollectedStatus::Refused)),
            n(Handled::Now(CollectedStatus::Stranger)),
            n(Handled::Already)
        )
    }
}

/// Collects the mailbox: every message of the folder, oldest first.
pub fn collect(
    conn: &mut PgConnection,
    options: &CollectOptions,
    transport: &mut dyn Transport,
) -> Result<CollectReport, CollectError> {
    let from: Address = options
        .from
        .parse()
        .map_err(|_| CollectError::From(options.from.clone()))?;
    let mut mailbox = Mailbox::open(&options.imap)?;
    let mut report = CollectReport::default();
    let mut run = Collect {
        conn,
        options,
        from: &from,
        transport,
    };
    for round in mailbox.messages()?.chunks(ROUND) {
        let mut todo = Vec::new();
        for &(uid, size) in round {
            todo.extend(run.classify(&mut mailbox, uid, size)?);
        }
        let parsed = parse_round(&todo);
        let mut moves = Vec::new();
        for (t, sheets) in todo.into_iter().zip(parsed) {
            report.messages.push(run.handle(t, sheets, &mut moves)?);
        }
        if !options.dry_run {
            mailbox.file_all(&moves)?;
            run.filed(&moves)?;
        }
    }
    mailbox.close();
    if !options.dry_run {
        report.owed_receipts = run.owed_receipts()?;
    }
    Ok(report)
}

struct Collect<'a> {
    conn: &'a mut PgConnection,
    options: &'a CollectOptions,
    from: &'a Address,
    transport: &'a mut dyn Transport,
}

/// A receipt recorded with its message and not delivered yet.
#[derive(Queryable)]
struct OwedReceipt {
    key: String,
    to: String,
    subject: String,
    body: String,
    in_reply_to: Option<String>,
}

/// A message's record.
#[derive(Queryable)]
struct Recorded {
    folder: String,
    receipt_key: Option<String>,
    receipt_subject: Option<String>,
    receipt_body: Option<String>,
    sender: String,
    message_id: Option<String>,
}

impl Collect<'_> {
    /// Fetches a message and decides what it is: recorded before, from a
    /// stranger, or to be answered; `None` (with a warning) when it is gone.
    fn classify(
        &mut self,
        mailbox: &mut Mailbox,
        uid: u32,
        size: u64,
    ) -> Result<Option<Todo>, CollectError> {
        // A message far over the attachment limit is not fetched whole.
        let cap = self
            .options
            .max_file_bytes
            .saturating_mul(2)
            .saturating_add(1 << 20);
        let truncated = (size > cap).then_some(size);
        let Some(bytes) = mailbox.fetch(uid, truncated.is_some())? else {
            log::warn!(
                "message UID {uid} left {} before it was read (another client?): not collected now",
                self.options.imap.folder
            );
            return Ok(None);
        };
        let m = message::read(&bytes, self.options.max_file_bytes, truncated);
        let kind = match self.recorded(&m.key)? {
            Some(done) => Kind::Recorded(done),
            None => {
                let sender = m.reply_to.clone().unwrap_or_default();
                if self.is_recipient(&sender)? {
                    Kind::Answer(sender)
                } else {
                    Kind::Stranger(sender)
                }
            }
        };
        Ok(Some(Todo { uid, m, kind }))
    }

    fn handle(
        &mut self,
        t: Todo,
        sheets: Vec<Parsed>,
        moves: &mut Vec<Move>,
    ) -> Result<MessageReport, CollectError> {
        let report = match t.kind {
            Kind::Recorded(done) => self.refile(&t.m, done)?,
            Kind::Stranger(sender) => self.stranger(&t.m, sender)?,
            Kind::Answer(sender) => self.answer(&t.m, sheets, sender)?,
        };
        moves.push(Move {
            uid: t.uid,
            folder: report.folder.clone(),
            key: t.m.key,
        });
        Ok(report)
    }

    fn recorded(&mut self, key: &str) -> Result<Option<Recorded>, CollectError> {
        lac::table
            .filter(lac::message_key.eq(key))
            .select((
                lac::folder,
                lac::receipt_key,
                lac::receipt_subject,
                lac::receipt_body,
                lac::sender,
                lac::message_id,
            ))
            .first(self.conn)
            .optional()
            .map_err(db("reading the collected messages"))
    }

    /// Only active recipients of the profile (any store, any env) are
    /// answered: no backscatter.
    fn is_recipient(&mut self, sender: &str) -> Result<bool, CollectError> {
        if sender.is_empty() {
            return Ok(false);
        }
        sql::is_recipient(self.conn, sender).map_err(db("reading the recipients"))
    }

    /// A message processed before (a crash between its ingest and its move):
    /// its owed receipt is sent, and it is filed.
    fn refile(&mut self, m: &Incoming, done: Recorded) -> Result<MessageReport, CollectError> {
        let mut receipt = None;
        if !self.options.dry_run {
            if let (Some(key), Some(subject), Some(body)) =
                (&done.receipt_key, &done.receipt_subject, &done.receipt_body)
            {
                receipt = self.send(key, &done.sender, subject, body, done.message_id.clone())?;
            }
        }
        Ok(MessageReport {
            key: m.key.clone(),
            sender: done.sender,
            subject: m.subject.clone(),
            status: Handled::Already,
            folder: done.folder,
            sheets: Vec::new(),
            others: Vec::new(),
            receipt,
        })
    }

    /// From someone who is no recipient: filed to Refused, not read, not answered.
    fn stranger(&mut self, m: &Incoming, sender: String) -> Result<MessageReport, CollectError> {
        let folder = self.options.imap.folder_for(CollectedStatus::Stranger);
        if !self.options.dry_run {
            record_in(
                self.conn,
                m,
                &sender,
                CollectedStatus::Stranger,
                &folder,
                &[],
                None,
            )
            .map_err(db("recording a collected message"))?;
        }
        log::warn!(
            "message {} from {sender:?}, who is no recipient: filed to {folder}, not answered",
            m.key
        );
        Ok(MessageReport {
            key: m.key.clone(),
            sender,
            subject: m.subject.clone(),
            status: Handled::Now(CollectedStatus::Stranger),
            folder,
            sheets: Vec::new(),
            others: m.others.clone(),
            receipt: None,
        })
    }

    /// Ingests the sheets and records the message (one transaction), then
    /// answers and files it.
    fn answer(
        &mut self,
        m: &Incoming,
        parsed: Vec<Parsed>,
        sender: String,
    ) -> Result<MessageReport, CollectError> {
        let ingest = self.ingest_options(m, &sender);
        let mut receipt = None;
        let subject = answer::subject(&m.subject);
        let key = format!("receipt-{}", la_pdf::files::long_hash(&[&m.key]));
        let (sheets, status) = if self.options.dry_run {
            let sheets = ingest_all(self.conn, parsed, &ingest);
            let status = status_of(m, &sheets);
            (sheets, status)
        } else {
            let folders = &self.options.imap;
            let (sheets, status, body) = self
                .conn
                .transaction(|c| {
                    let sheets = ingest_all(c, parsed, &ingest);
                    let status = status_of(m, &sheets);
                    let body = answer::body(m, &sheets);
                    let receipt = ReceiptText {
                        key: &key,
                        subject: &subject,
                        body: &body,
                    };
                    let folder = folders.folder_for(status);
                    record_in(c, m, &sender, status, &folder, &sheets, Some(receipt))?;
                    Ok::<_, diesel::result::Error>((sheets, status, body))
                })
                .map_err(db("recording a collected message"))?;
            receipt = self.send(&key, &sender, &subject, &body, m.message_id.clone())?;
            (sheets, status)
        };
        Ok(MessageReport {
            key: m.key.clone(),
            sender,
            subject: m.subject.clone(),
            status: Handled::Now(status),
            folder: self.options.imap.folder_for(status),
            sheets,
            others: m.others.clone(),
            receipt,
        })
    }

    /// How a message's sheets are ingested: as `ingest-outcomes` does, with
    /// the message as their source.
    fn ingest_options(&self, m: &Incoming, sender: &str) -> IngestOptions {
        IngestOptions {
            ingested_by: self.options.ingested_by.clone(),
            check_only: self.options.dry_run,
            max_file_bytes: self.options.max_file_bytes,
            source: Some(MessageSource {
                message_id: m.message_id.clone(),
                sender: sender.to_string(),
                date: m.date,
            }),
            ..IngestOptions::default()
        }
    }

    fn filed(&mut self, moves: &[Move]) -> Result<(), CollectError> {
        let keys: Vec<&str> = moves.iter().map(|m| m.key.as_str()).collect();
        diesel::update(lac::table.filter(lac::message_key.eq_any(keys)))
            .set(lac::filed_at.eq(diesel::dsl::now))
            .execute(self.conn)
            .map(|_| ())
            .map_err(db("marking messages filed"))
    }

    fn send(
        &mut self,
        key: &str,
        to: &str,
        subject: &str,
        body: &str,
        in_reply_to: Option<String>,
    ) -> Result<Option<EmailResult>, CollectError> {
        let Ok(to) = to.parse::<Address>() else {
            return Ok(None);
        };
        let r = Receipt {
            key: key.to_string(),
            from: self.from.clone(),
            to,
            subject: subject.to_string(),
            body: body.to_string(),
            in_reply_to,
            run_id: self.options.run_id.clone(),
        };
        send_receipt(self.conn, self.transport, &r).map_err(db("sending a receipt"))
    }

    /// Receipts of messages filed earlier whose sending failed: sent now.
    fn owed_receipts(&mut self) -> Result<Vec<EmailResult>, CollectError> {
        let delivered = la_notify::receipt::delivered_receipt_keys();
        let rows: Vec<OwedReceipt> = lac::table
            .filter(lac::receipt_key.is_not_null())
            .filter(diesel::dsl::not(
                lac::receipt_key.assume_not_null().eq_any(delivered),
            ))
            .select((
                lac::receipt_key.assume_not_null(),
                lac::sender,
                lac::receipt_subject.assume_not_null(),
                lac::receipt_body.assume_not_null(),
                lac::message_id,
            ))
            .load(self.conn)
            .map_err(db("reading owed receipts"))?;
        let mut out = Vec::new();
        for r in rows {
            out.extend(self.send(&r.key, &r.to, &r.subject, &r.body, r.in_reply_to)?);
        }
        Ok(out)
    }
}

impl ImapConfig {
    /// The folder a message of `status` is filed to.
    fn folder_for(&self, status: CollectedStatus) -> String {
        match status {
            CollectedStatus::Collected => self.collected_folder.clone(),
            CollectedStatus::Refused | CollectedStatus::Stranger => self.refused_folder.clone(),
        }
    }
}

/// Messages handled per round: fetched one by one, their sheets parsed on
/// two threads, then each checked, written and answered, then the round
/// filed with one move per folder.
const ROUND: usize = 16;

/// A fetched message and what it is.
struct Todo {
    uid: u32,
    m: Incoming,
    kind: Kind,
}

enum Kind {
    Recorded(Recorded),
    Stranger(String),
    Answer(String),
}

/// Where a message goes once handled.
pub(crate) struct Move {
    pub uid: u32,
    pub folder: String,
    key: String,
}

/// An attachment parsed as a sheet (or why it is not one), named as sent.
struct Parsed {
    name: String,
    sheet: Result<la_pdf::ParsedSheet, la_pdf::IngestError>,
}

/// Parses the sheets of the messages to answer, on two threads; the
/// others' attachments are not read. Each message gets its sheets in
/// attachment order; a sheet a parser could not return (it cannot, short of
/// a bug) is refused with a word, never dropped.
fn parse_round(todo: &[Todo]) -> Vec<Vec<Parsed>> {
    let jobs: Vec<(usize, &message::Attached)> = todo
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t.kind, Kind::Answer(_)))
        .flat_map(|(i, t)| t.m.sheets.iter().map(move |a| (i, a)))
        .collect();
    let parse = |(_, a): &(usize, &message::Attached)| Parsed {
        name: a.name.clone(),
        sheet: la_pdf::parse_sheet(std::path::Path::new(&a.name), &a.bytes),
    };
    let (even, odd) = std::thread::scope(|s| {
        let other = s.spawn(|| {
            jobs.iter()
                .skip(1)
                .step_by(2)
                .map(parse)
                .collect::<Vec<_>>()
        });
        let mine: Vec<Parsed> = jobs.iter().step_by(2).map(parse).collect();
        (mine, other.join().ok())
    });
    let (mut even, mut odd) = (even.into_iter(), odd.unwrap_or_default().into_iter());
    let mut out: Vec<Vec<Parsed>> = todo.iter().map(|_| Vec::new()).collect();
    for (k, (i, a)) in jobs.iter().enumerate() {
        let parsed = if k % 2 == 0 { even.next() } else { odd.next() };
        out[*i].push(parsed.unwrap_or_else(|| Parsed {
            name: a.name.clone(),
            sheet: Err(la_pdf::IngestError::NotPdf {
                path: a.name.clone().into(),
                reason: "the parser thread stopped before this file".into(),
            }),
        }));
    }
    out
}

/// Collected only when the message had sheets and every one of them, and
/// every attachment, was taken.
fn status_of(m: &Incoming, sheets: &[SheetResult]) -> CollectedStatus {
    let all_taken =
        !sheets.is_empty() && sheets.iter().all(|r| r.result.is_ok()) && m.too_large.is_empty();
    match all_taken {
        true => CollectedStatus::Collected,
        false => CollectedStatus::Refused,
    }
}

fn ingest_all(
    conn: &mut PgConnection,
    parsed: Vec<Parsed>,
    options: &IngestOptions,
) -> Vec<SheetResult> {
    parsed
        .into_iter()
        .map(|p| SheetResult {
            name: p.name,
            result: p
                .sheet
                .and_then(|s| la_pdf::ingest_parsed(conn, &s, options)),
        })
        .collect()
}

/// A receipt as the message's record keeps it, to be sent (again) later.
#[derive(Debug, Clone, Copy)]
struct ReceiptText<'a> {
    key: &'a str,
    subject: &'a str,
    body: &'a str,
}

fn record_in(
    conn: &mut PgConnection,
    m: &Incoming,
    sender: &str,
    status: CollectedStatus,
    folder: &str,
    sheets: &[SheetResult],
    receipt: Option<ReceiptText<'_>>,
) -> QueryResult<()> {
    let ok: Vec<&la_pdf::IngestReport> = sheets
        .iter()
        .filter_map(|s| s.result.as_ref().ok())
        .collect();
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let mut stores: Vec<String> = ok.iter().map(|r| r.sheet.store_code.clone()).collect();
    stores.sort();
    stores.dedup();
    diesel::insert_into(lac::table)
        .values((
            lac::message_key.eq(&m.key),
            lac::message_id.eq(&m.message_id),
            lac::sender.eq(sender),
            lac::subject.eq(&m.subject),
            lac::sent_at.eq(m.date),
            lac::status.eq(status),
            lac::folder.eq(folder),
            lac::sheets.eq(count(sheets.len())),
            lac::refused_sheets.eq(count(sheets.len() - ok.len())),
            lac::outcomes.eq(count(ok.iter().map(|r| r.new + r.changed_leads()).sum())),
            lac::stores.eq(stores),
            lac::receipt_key.eq(receipt.map(|r| r.key)),
            lac::receipt_subject.eq(receipt.map(|r| r.subject)),
            lac::receipt_body.eq(receipt.map(|r| r.body)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A message from a sender who is no recipient.
#[derive(Debug, Clone, Queryable)]
pub struct Stranger {
    pub sender: String,
    pub subject: Option<String>,
    pub collected_at: chrono::DateTime<chrono::Utc>,
}

/// Messages from senders who are no recipients, newest first, for the run
/// summary and `diagnose`.
pub fn strangers(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Stranger>> {
    lac::table
        .filter(lac::status.eq(CollectedStatus::Stranger))
        .order(lac::id.desc())
        .limit(limit)
        .select((lac::sender, lac::subject, lac::collected_at))
        .load(conn)
}
