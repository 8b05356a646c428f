//! Human-readable summaries printed on stdout.

use std::fmt::Write;

use leads_assignment::notify::{EmailResult, NotifyReport};
use leads_assignment::{PipelineReport, StoreDiagnosis};

fn email_result(r: &EmailResult) -> String {
    match r {
        EmailResult::Sent => "sent".into(),
        EmailResult::Failed(reason) => format!("FAILED: {reason}"),
        EmailResult::NoRecipients => "no recipients".into(),
    }
}

/// After `run`: one line per store × agent, then totals.
pub fn run_summary(r: &PipelineReport) -> String {
    let a = &r.assignment;
    let mut s = String::new();
    let batch = r
        .batch_id
        .map_or_else(|| "none (dry run)".to_string(), |b| b.to_string());
    let _ = writeln!(
        s,
        "Leads assignment run {} (env {}), batch {batch} dated {}",
        r.run_id, r.run_env, a.batch_date
    );
    if a.assigned > 0 || !a.pairs.is_empty() {
        let _ = writeln!(
            s,
            "{:<10} {:<6} {:<20} {:>4} {:>4}  {:<44} {:<60} email",
            "store", "agent", "name", "E", "N", "cap hit", "sheet"
        );
    }
    for p in &a.pairs {
        let sheet = r
            .sheets
            .iter()
            .find(|x| x.store_code == p.store_code && x.agent_code == p.agent_code)
            .map(|x| x.path.display().to_string())
            .or_else(|| {
                r.sheet_failures
                    .iter()
                    .find(|f| f.store_code == p.store_code && f.agent_code == p.agent_code)
                    .map(|f| format!("FAILED: {}", f.reason))
            })
            .unwrap_or_else(|| "-".into());
        let email = r
            .notify
            .as_ref()
            .and_then(|n| n.for_store(&p.store_code))
            .map(|e| email_result(&e.result))
            .unwrap_or_else(|| "-".into());
        let caps: Vec<String> = p.caps_reached.iter().map(ToString::to_string).collect();
        let name: String = p.agent_name.chars().take(20).collect();
        let _ = writeln!(
            s,
            "{:<10} {:<6} {:<20} {:>4} {:>4}  {:<44} {:<60} {email}",
            p.store_code,
            p.agent_code,
            name,
            p.existing_assigned,
            p.new_assigned,
            if caps.is_empty() {
                "-".into()
            } else {
                caps.join(",")
            },
            sheet
        );
    }
    for sk in &a.skipped_agents {
        let _ = writeln!(
            s,
            "{:<10} agent {} skipped: {}",
            sk.store_code, sk.agent_id, sk.reason
        );
    }
    for st in a.stores.iter().filter(|st| st.unassigned > 0) {
        let why: Vec<String> = st
            .unassigned_reasons
            .iter()
            .map(|(r, t, n)| format!("{n} {:?}: {r}", t))
            .collect();
        let _ = writeln!(
            s,
            "{:<10} {} lead(s) left: {}",
            st.store_code,
            st.unassigned,
            why.join("; ")
        );
    }
    let unassigned: u32 = a.stores.iter().map(|x| x.unassigned).sum();
    let _ = writeln!(
        s,
        "Totals: {} of {} eligible lead(s) assigned, {} left; {} sheet(s), {} failed",
        a.assigned,
        a.eligible_leads,
        unassigned,
        r.sheets.len(),
        r.sheet_failures.len()
    );
    match &r.notify {
        Some(n) => {
            let _ = writeln!(
                s,
                "Emails: {} sent, {} failed, {} without recipients via {}",
                n.sent(),
                n.failed(),
                n.without_recipients(),
                n.transport
            );
            if r.email_delivery.starts_with("outbox") {
                let _ = writeln!(
                    s,
                    "No SMTP host configured (REPORT_EMAIL_SMTP_HOST): emails went to the {}.",
                    n.transport
                );
            }
            for w in &n.warnings {
                let _ = writeln!(s, "warning: {w}");
            }
        }
        None => {
            let _ = writeln!(
                s,
                "Emails: none ({})",
                if a.assigned == 0 {
                    "nothing assigned"
                } else {
                    r.email_delivery.as_str()
                }
            );
        }
    }
    let _ = writeln!(s, "Status: {}", r.overall_status.as_str());
    s
}

/// After `notify`: one line per email.
pub fn notify_summary(n: &NotifyReport) -> String {
    let mut s = String::new();
    for e in &n.emails {
        let to: Vec<&str> =
            e.to.iter()
                .chain(&e.cc)
                .chain(&e.bcc)
                .map(String::as_str)
                .collect();
        let _ = writeln!(
            s,
            "{:<16} {:<9} to {:<50} {} attachment(s)  {}",
            e.key,
            format!("{:?}", e.kind),
            to.join(","),
            e.attachments.len(),
            email_result(&e.result)
        );
    }
    for w in &n.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = writeln!(
        s,
        "batch {}: {} sent, {} failed, {} without recipients via {}",
        n.batch_id,
        n.sent(),
        n.failed(),
        n.without_recipients(),
        n.transport
    );
    s
}

/// `diagnose` as text.
pub fn diagnose_table(d: &[StoreDiagnosis], env: &str) -> String {
    let mut s = String::new();
    for x in d {
        let _ = writeln!(
            s,
            "{} {}",
            x.store_code,
            x.store_name.as_deref().unwrap_or("")
        );
        let _ = writeln!(
            s,
            "  assign_leads {}, enabled mappings {}, usable agents {}, eligible E {} / N {}, waiting {}, recipients ({env}) {}",
            x.assign_leads,
            x.enabled_mappings,
            x.agents.iter().filter(|a| a.unusable.is_none()).count(),
            x.eligible_existing,
            x.eligible_new,
            x.waiting_leads,
            x.recipients
        );
        for a in &x.agents {
            let cap = |c: Option<i32>| c.map_or("-".to_string(), |c| c.to_string());
            let _ = writeln!(
                s,
                "  agent {:<6} {:<20} prio {:>3}: today {}/{} daily, lot caps E {} N {}, next run {}{}",
                a.agent_code.as_deref().unwrap_or("(none)"),
                a.agent_name,
                a.priority,
                a.assigned_today,
                cap(a.max_daily_leads),
                cap(a.max_existing_per_lot),
                cap(a.max_new_per_lot),
                a.next_run,
                a.unusable.as_ref().map(|u| format!(" — unusable: {u}")).unwrap_or_default()
            );
        }
        match x.last_batch {
            Some(b) if x.last_batch_sheets_missing.is_empty() => {
                let _ = writeln!(s, "  last batch {b}: sheets on disk");
            }
            Some(b) => {
                let _ = writeln!(
                    s,
                    "  last batch {b}: sheets MISSING: {}",
                    x.last_batch_sheets_missing.join(", ")
                );
            }
            None => {}
        }
        let _ = writeln!(s, "  => {}", x.verdict);
    }
    s
}
