//! Which emails a batch produces, to whom, with which sheets — pure, no
//! database, no network (docs/decisions.md S5 rule 6).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use lettre::message::Mailbox;
use serde::Serialize;

use crate::resolve::{AttachMode, Recipient, Scope, SendAs};

/// An agent's share of a store's batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentFacts {
    pub code: String,
    pub name: String,
    pub lead_count: i64,
}

/// A sheet to attach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentFacts {
    pub document_id: i64,
    pub file_name: String,
    pub path: PathBuf,
    /// `documents.checksum`: the file is attached only if it still hashes to it.
    pub checksum: Option<String>,
}

/// What a store got in the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreFacts {
    pub store_code: String,
    pub store_name: Option<String>,
    pub agents: Vec<AgentFacts>,
    pub documents: Vec<AttachmentFacts>,
    /// Sheets of the store that are not on disk as recorded (one line each):
    /// its email waits until they are written.
    pub missing_sheets: Vec<String>,
}

impl StoreFacts {
    /// Leads assigned to the store in the batch.
    pub(crate) fn lead_count(&self) -> i64 {
        self.agents.iter().map(|a| a.lead_count).sum()
    }
}

/// The batch as the emails describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchFacts {
    pub batch_id: i64,
    pub batch_date: NaiveDate,
    pub run_id: String,
    pub run_env: String,
    pub stores: Vec<StoreFacts>,
}

impl BatchFacts {
    /// One store's facts.
    pub fn store(&self, store_code: &str) -> Option<&StoreFacts> {
        self.stores.iter().find(|s| s.store_code == store_code)
    }
}

/// Per-store line of the run summary: how many leads, and why not more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreDiagnostic {
    pub store_code: String,
    pub store_name: Option<String>,
    pub assigned: i64,
    pub reasons: Vec<String>,
}

/// What an email is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// One store's sheets to its recipients.
    Store,
    /// All the batch's sheets to the store-less recipients.
    AllSheets,
    /// The run summary to the store-less recipients.
    Summary,
}

/// To / Cc / Bcc after matching, de-duplication and cc promotion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressees {
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
}

impl Addressees {
    /// No one at all.
    pub fn is_empty(&self) -> bool {
        self.to.is_empty() && self.cc.is_empty() && self.bcc.is_empty()
    }

    /// Every address, for reports.
    pub fn all(&self) -> impl Iterator<Item = &Mailbox> {
        self.to.iter().chain(&self.cc).chain(&self.bcc)
    }
}

/// Groups recipients: an address appears once, in its strongest role
/// (to > cc > bcc); with no `to` but some `cc`, the cc list becomes `to`.
pub fn group<'a>(recipients: impl IntoIterator<Item = &'a Recipient>) -> Addressees {
    let mut best: BTreeMap<String, (SendAs, usize, &Mailbox)> = BTreeMap::new();
    for (i, r) in recipients.into_iter().enumerate() {
        let key = r.mailbox.email.to_string().to_lowercase();
        let entry = best.entry(key).or_insert((r.send_as, i, &r.mailbox));
        if r.send_as < entry.0 {
            *entry = (r.send_as, entry.1, &r.mailbox);
        }
    }
    let mut ordered: Vec<(SendAs, usize, &Mailbox)> = best.into_values().collect();
    ordered.sort_by_key(|(_, i, _)| *i);
    let mut a = Addressees::default();
    for (send_as, _, m) in ordered {
        match send_as {
            SendAs::To => a.to.push(m.clone()),
            SendAs::Cc => a.cc.push(m.clone()),
            SendAs::Bcc => a.bcc.push(m.clone()),
        }
    }
    if a.to.is_empty() && !a.cc.is_empty() {
        a.to = std::mem::take(&mut a.cc);
    }
    a
}

/// An email's stable identity within a batch: the ledger's `email_key`, the
/// `--only` value, and (as a file part) the outbox file name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EmailKey {
    /// `store-{code}`: one store's sheets.
    Store(String),
    /// `all-sheets`: every sheet to the store-less recipients.
    AllSheets,
    /// `summary`: the run summary.
    Summary,
}

impl std::fmt::Display for EmailKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmailKey::Store(code) => write!(f, "store-{code}"),
            EmailKey::AllSheets => f.write_str("all-sheets"),
            EmailKey::Summary => f.write_str("summary"),
        }
    }
}

impl std::str::FromStr for EmailKey {
    type Err = String;
    fn from_str(s: &str) -> Result<EmailKey, String> {
        match s {
            "all-sheets" => Ok(EmailKey::AllSheets),
            "summary" => Ok(EmailKey::Summary),
            _ => match s.strip_prefix("store-") {
                Some(code) if !code.is_empty() => Ok(EmailKey::Store(code.to_string())),
                _ => Err(format!(
                    "{s:?} is not an email key (store-CODE, all-sheets or summary)"
                )),
            },
        }
    }
}

impl Serialize for EmailKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl EmailKey {
    /// The outbox file name's stem for this email of `batch_id`
    /// (docs/decisions.md D15: codes never collide in file names).
    pub(crate) fn file_stem(&self, batch_id: i64) -> String {
        match self {
            EmailKey::Store(code) => format!("b{batch_id}-store-{}", la_pdf::file_part(code)),
            other => format!("b{batch_id}-{other}"),
        }
    }

    /// The stems of `keys`' outbox files for `batch_id`: [`Self::file_stem`],
    /// except that keys whose stems coincide (a crafted collision of the
    /// short hash) each get a long hash of the raw key appended (docs/
    /// decisions.md D26). Depends only on the set of keys, so every run of
    /// the batch names its files the same way.
    pub(crate) fn outbox_stems<'a>(
        keys: impl IntoIterator<Item = &'a EmailKey>,
        batch_id: i64,
    ) -> BTreeMap<&'a EmailKey, String> {
        let mut by_stem: BTreeMap<String, Vec<&EmailKey>> = BTreeMap::new();
        for k in keys {
            by_stem.entry(k.file_stem(batch_id)).or_default().push(k);
        }
        let mut out = BTreeMap::new();
        for (stem, keys) in by_stem {
            let shared = keys.len() > 1;
            for k in keys {
                let name = if shared {
                    format!("{stem}-{}", la_pdf::files::long_hash(&[&k.to_string()]))
                } else {
                    stem.clone()
                };
                out.insert(k, name);
            }
        }
        out
    }
}

/// docs/decisions.md D17 (need to know): the run summary names every store,
/// so it goes to the recipients of every store: those with no store code
/// (NULL or `ALL`); when there are none, the addresses that are recipients
/// of each store of the batch; when there are none of those either, nobody.
pub(crate) fn summary_recipients<'a>(
    recipients: &'a [Recipient],
    facts: &BatchFacts,
) -> Vec<&'a Recipient> {
    let storeless: Vec<&Recipient> = recipients
        .iter()
        .filter(|r| r.store_code.is_none())
        .collect();
    if !storeless.is_empty() || facts.stores.is_empty() {
        return storeless;
    }
    let address = |r: &Recipient| r.mailbox.email.to_string().to_lowercase();
    let of_every_store = |a: &str| {
        facts.stores.iter().all(|s| {
            recipients
                .iter()
                .any(|r| address(r) == a && r.matches_store(&s.store_code))
        })
    };
    recipients
        .iter()
        .filter(|r| of_every_store(&address(r)))
        .collect()
}

/// What the run says when its summary has nobody to go to.
pub const NO_SUMMARY_RECIPIENTS: &str =
    "no summary recipients: add a recipient with store_code NULL";

/// One email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEmail {
    /// Stable identity within the batch.
    pub key: EmailKey,
    /// Its outbox file's stem, unique within the batch.
    pub outbox_stem: String,
    pub kind: EmailKind,
    pub store_code: Option<String>,
    pub addressees: Addressees,
    pub attachments: Vec<AttachmentFacts>,
}

/// Plans the emails of a batch for a profile's `scope` and `attach_mode`:
/// `per_store_pdf` → one email per store with sheets (written or missing),
/// attaching that store's sheets only; `all_store_pdfs` / `all_docs_for_run`
/// → one email with every sheet to the store-less recipients; `none` → no
/// attachments (per store for scope `store`, else one email). The run summary
/// is always planned, to `summary_recipients` (docs/decisions.md D17).
pub fn plan(
    scope: Scope,
    attach_mode: AttachMode,
    recipients: &[Recipient],
    facts: &BatchFacts,
) -> Vec<PlannedEmail> {
    let storeless: Vec<&Recipient> = recipients
        .iter()
        .filter(|r| r.store_code.is_none())
        .collect();
    let mut emails = Vec::new();
    let per_store = |with_attachments: bool| {
        facts
            .stores
            .iter()
            .filter(|s| {
                !with_attachments || !s.documents.is_empty() || !s.missing_sheets.is_empty()
            })
            .map(|s| PlannedEmail {
                key: EmailKey::Store(s.store_code.clone()),
                outbox_stem: String::new(),
                kind: EmailKind::Store,
                store_code: Some(s.store_code.clone()),
                addressees: group(recipients.iter().filter(|r| r.matches_store(&s.store_code))),
                attachments: if with_attachments {
                    s.documents.clone()
                } else {
                    Vec::new()
                },
            })
            .collect::<Vec<_>>()
    };
    match (attach_mode, scope) {
        (AttachMode::PerStorePdf, _) => emails.extend(per_store(true)),
        (AttachMode::None, Scope::Store) => emails.extend(per_store(false)),
        (mode, _) => emails.push(PlannedEmail {
            key: EmailKey::AllSheets,
            outbox_stem: String::new(),
            kind: EmailKind::AllSheets,
            store_code: None,
            addressees: group(storeless.iter().copied()),
            attachments: if mode == AttachMode::None {
                Vec::new()
            } else {
                facts
                    .stores
                    .iter()
                    .flat_map(|s| s.documents.iter().cloned())
                    .collect()
            },
        }),
    }
    let summary_to = group(summary_recipients(recipients, facts));
    emails.push(PlannedEmail {
        key: EmailKey::Summary,
        outbox_stem: String::new(),
        kind: EmailKind::Summary,
        store_code: None,
        addressees: summary_to,
        attachments: Vec::new(),
    });
    let stems: Vec<String> = {
        let by_key = EmailKey::outbox_stems(emails.iter().map(|e| &e.key), facts.batch_id);
        emails
            .iter()
            .map(|e| by_key.get(&e.key).cloned().unwrap_or_default())
            .collect()
    };
    for (e, stem) in emails.iter_mut().zip(stems) {
        e.outbox_stem = stem;
    }
    emails
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: i64, store: Option<&str>, email: &str, send_as: SendAs) -> Recipient {
        Recipient {
            id,
            store_code: store.map(str::to_string),
            mailbox: Mailbox::new(None, email.parse().unwrap_or_else(|_| unreachable!())),
            send_as,
        }
    }

    fn facts() -> BatchFacts {
        let doc = |id: i64, store: &str| AttachmentFacts {
            document_id: id,
            file_name: format!("{store}.pdf"),
            path: PathBuf::from(format!("/r/{store}.pdf")),
            checksum: None,
        };
        BatchFacts {
            batch_id: 1,
            batch_date: NaiveDate::from_ymd_opt(2025, 1, 29).unwrap_or_default(),
            run_id: "r".into(),
            run_env: "dev".into(),
            stores: vec![
                StoreFacts {
                    store_code: "A".into(),
                    store_name: None,
                    agents: vec![],
                    documents: vec![doc(1, "A"), doc(2, "A")],
                    missing_sheets: vec![],
                },
                StoreFacts {
                    store_code: "B".into(),
                    store_name: None,
                    agents: vec![],
                    documents: vec![doc(3, "B")],
                    missing_sheets: vec![],
                },
            ],
        }
    }

    #[test]
    fn per_store_isolation_and_storeless_everywhere() {
        let rs = vec![
            rec(1, Some("a"), "a@x.in", SendAs::To),
            rec(2, Some("B"), "b@x.in", SendAs::Cc),
            rec(3, None, "ops@x.in", SendAs::Bcc),
        ];
        let p = plan(Scope::Store, AttachMode::PerStorePdf, &rs, &facts());
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[0].attachments
                .iter()
                .map(|a| a.document_id)
                .collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(
            p[1].attachments
                .iter()
                .map(|a| a.document_id)
                .collect::<Vec<_>>(),
            vec![3]
        );
        assert_eq!(p[0].addressees.to.len(), 1);
        assert_eq!(p[0].addressees.bcc.len(), 1);
        // cc promoted when there is no to.
        assert_eq!(p[1].addressees.to[0].email.to_string(), "b@x.in");
        assert!(p[1].addressees.cc.is_empty());
        assert_eq!(p[2].kind, EmailKind::Summary);
        assert_eq!(p[2].addressees.bcc[0].email.to_string(), "ops@x.in");
    }

    #[test]
    fn duplicates_keep_the_strongest_role() {
        let rs = vec![
            rec(1, None, "x@x.in", SendAs::Bcc),
            rec(2, Some("A"), "X@x.in", SendAs::To),
            rec(3, Some("A"), "x@x.in", SendAs::Cc),
        ];
        let a = group(&rs);
        assert_eq!((a.to.len(), a.cc.len(), a.bcc.len()), (1, 0, 0));
    }

    #[test]
    fn summary_goes_to_every_recipient_once_when_none_is_storeless() {
        // The specification's data: one row per store, all to the operator.
        let rs = vec![
            rec(1, Some("A"), "ops@x.in", SendAs::To),
            rec(2, Some("B"), "OPS@x.in", SendAs::To),
        ];
        let p = plan(Scope::Store, AttachMode::PerStorePdf, &rs, &facts());
        let summary = p.iter().find(|e| e.key == EmailKey::Summary);
        let to: Vec<String> = summary
            .map(|e| e.addressees.all().map(|m| m.email.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(to, vec!["ops@x.in".to_string()]);
    }

    #[test]
    fn the_summary_goes_only_to_who_sees_every_store() {
        let summary_to = |rs: &[Recipient]| -> Vec<String> {
            summary_recipients(rs, &facts())
                .iter()
                .map(|r| r.mailbox.email.to_string())
                .collect()
        };
        // Store managers only: nobody (each would see the other store).
        let managers = [
            rec(1, Some("A"), "a@x.in", SendAs::To),
            rec(2, Some("B"), "b@x.in", SendAs::To),
        ];
        assert!(summary_to(&managers).is_empty());
        // A manager of one store plus an operator of both: the operator.
        let mixed = [
            rec(1, Some("A"), "a@x.in", SendAs::To),
            rec(2, Some("A"), "ops@x.in", SendAs::Cc),
            rec(3, Some("b"), "OPS@x.in", SendAs::To),
        ];
        assert_eq!(summary_to(&mixed), vec!["ops@x.in", "OPS@x.in"]);
        // Store-less recipients win.
        let storeless = [
            rec(1, Some("A"), "a@x.in", SendAs::To),
            rec(2, None, "boss@x.in", SendAs::To),
        ];
        assert_eq!(summary_to(&storeless), vec!["boss@x.in"]);
    }

    #[test]
    fn email_keys_round_trip_and_name_distinct_files() {
        for key in [
            EmailKey::Store("S 1,$(x)".into()),
            EmailKey::AllSheets,
            EmailKey::Summary,
        ] {
            assert_eq!(key.to_string().parse::<EmailKey>(), Ok(key.clone()));
        }
        assert!("store-".parse::<EmailKey>().is_err());
        assert!("bogus".parse::<EmailKey>().is_err());
        assert_ne!(
            EmailKey::Store("BLR.01".into()).file_stem(3),
            EmailKey::Store("BLR_01".into()).file_stem(3)
        );
        assert_eq!(EmailKey::Store("A".into()).file_stem(3), "b3-store-A");
    }

    #[test]
    fn all_sheets_and_none_modes() {
        let rs = vec![
            rec(1, None, "ops@x.in", SendAs::To),
            rec(2, Some("A"), "a@x.in", SendAs::To),
        ];
        let p = plan(Scope::Run, AttachMode::AllStorePdfs, &rs, &facts());
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].attachments.len(), 3);
        assert_eq!(p[0].addressees.to.len(), 1);
        let p = plan(Scope::Store, AttachMode::None, &rs, &facts());
        assert_eq!(p.len(), 3);
        assert!(p.iter().all(|e| e.attachments.is_empty()));
    }
}
