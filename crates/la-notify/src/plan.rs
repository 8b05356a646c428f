//! Which emails a batch produces, to whom, with which sheets — pure, no
//! database, no network (spec §5 rule 6).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use lettre::message::Mailbox;
use serde::Serialize;

use crate::resolve::{Recipient, SendAs};

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
}

/// What a store got in the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreFacts {
    pub store_code: String,
    pub store_name: Option<String>,
    pub agents: Vec<AgentFacts>,
    pub documents: Vec<AttachmentFacts>,
}

impl StoreFacts {
    /// Leads assigned to the store in the batch.
    pub fn lead_count(&self) -> i64 {
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

/// One email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEmail {
    /// Stable identity within the batch (`store-S001`, `all-sheets`, `summary`).
    pub key: String,
    pub kind: EmailKind,
    pub store_code: Option<String>,
    pub addressees: Addressees,
    pub attachments: Vec<AttachmentFacts>,
}

/// Plans the emails of a batch for a profile's `scope` and `attach_mode`:
/// `per_store_pdf` → one email per store with sheets, attaching that store's
/// sheets only; `all_store_pdfs` / `all_docs_for_run` → one email with every
/// sheet to the store-less recipients; `none` → no attachments (per store
/// for scope `store`, else one email). The run summary is always planned.
pub fn plan(
    scope: &str,
    attach_mode: &str,
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
            .filter(|s| !with_attachments || !s.documents.is_empty())
            .map(|s| PlannedEmail {
                key: format!("store-{}", s.store_code),
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
        ("per_store_pdf", _) => emails.extend(per_store(true)),
        ("none", "store") => emails.extend(per_store(false)),
        (mode, _) => emails.push(PlannedEmail {
            key: "all-sheets".into(),
            kind: EmailKind::AllSheets,
            store_code: None,
            addressees: group(storeless.iter().copied()),
            attachments: if mode == "none" {
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
    emails.push(PlannedEmail {
        key: "summary".into(),
        kind: EmailKind::Summary,
        store_code: None,
        addressees: group(storeless.iter().copied()),
        attachments: Vec::new(),
    });
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
                },
                StoreFacts {
                    store_code: "B".into(),
                    store_name: None,
                    agents: vec![],
                    documents: vec![doc(3, "B")],
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
        let p = plan("store", "per_store_pdf", &rs, &facts());
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
    fn all_sheets_and_none_modes() {
        let rs = vec![
            rec(1, None, "ops@x.in", SendAs::To),
            rec(2, Some("A"), "a@x.in", SendAs::To),
        ];
        let p = plan("run", "all_store_pdfs", &rs, &facts());
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].attachments.len(), 3);
        assert_eq!(p[0].addressees.to.len(), 1);
        let p = plan("store", "none", &rs, &facts());
        assert_eq!(p.len(), 3);
        assert!(p.iter().all(|e| e.attachments.is_empty()));
    }
}
