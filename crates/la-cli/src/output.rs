//! Human-readable summaries printed on stdout.

use std::fmt::Write;

use std::path::Path;

use leads_assignment::notify::{NotifyReport, TransportKind};
use leads_assignment::{
    finished_batches_line, left_reasons, PipelineReport, StoreDiagnosis, UnfinishedBatch,
};

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
    for run in &r.interrupted_runs {
        let _ = writeln!(
            s,
            "Earlier run {run} was interrupted (its process ended): marked interrupted"
        );
    }
    if !r.finished_batches.is_empty() {
        let _ = writeln!(s, "Finished {}", finished_batches_line(&r.finished_batches));
    }
    if a.assigned > 0 || !a.pairs.is_empty() {
        let _ = writeln!(
            s,
            "{:<10} {:<6} {:<20} {:>4} {:>4} {:>5} {:>5}  {:<44} {:<60} email",
            "store", "agent", "name", "E", "N", "today", "28d", "cap hit", "sheet"
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
            .map(|e| e.result.to_string())
            .unwrap_or_else(|| "-".into());
        let caps: Vec<String> = p.caps_reached.iter().map(ToString::to_string).collect();
        let name: String = p.agent_name.chars().take(20).collect();
        let _ = writeln!(
            s,
            "{:<10} {:<6} {:<20} {:>4} {:>4} {:>5} {:>5}  {:<44} {:<60} {email}",
            p.store_code,
            p.agent_code,
            name,
            p.existing_assigned,
            p.new_assigned,
            p.assigned_before_today + i64::from(p.existing_assigned + p.new_assigned),
            p.assigned_before_window + i64::from(p.existing_assigned + p.new_assigned),
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
            "{:<10} agent {} {} skipped: {}",
            sk.store_code,
            sk.agent_code
                .as_deref()
                .map(str::trim_end)
                .unwrap_or("(no code)"),
            sk.agent_name,
            sk.reason
        );
    }
    for st in a.stores.iter().filter(|st| st.unassigned > 0) {
        let _ = writeln!(s, "{:<10} {}", st.store_code, left_reasons(st).join("; "));
    }
    if !a.repaired_flags.is_empty() {
        let _ = writeln!(
            s,
            "warning: {} lead(s) flagged unassigned already had an assignment; flag repaired: pickup_row_id {:?}",
            a.repaired_flags.len(),
            a.repaired_flags
        );
    }
    let unassigned: u32 = a.stores.iter().map(|x| x.unassigned).sum();
    let (verb, left) = if a.dry_run {
        ("would be assigned", "would be left")
    } else {
        ("assigned", "left")
    };
    let _ = writeln!(
        s,
        "Totals: {} of {} eligible lead(s) {verb}, {} {left}; {} sheet(s), {} failed",
        a.assigned,
        a.eligible_leads,
        unassigned,
        r.sheets.len(),
        r.sheet_failures.len()
    );
    match &r.notify {
        Some(n) => {
            let _ = writeln!(s, "Emails: {} via {}", n.tally(), n.transport);
            if n.transport_kind == TransportKind::Outbox {
                let _ = writeln!(
                    s,
                    "No SMTP host configured (REPORT_EMAIL_SMTP_HOST): emails were written to {}.",
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

/// The "Partly done" block: the committed batches and the commands that
/// finish them, each ready to paste into a shell.
pub fn partly_done(r: &PipelineReport) -> String {
    let ids: Vec<String> = r
        .unfinished_batch_ids()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut s = format!(
        "Partly done: assignments of batch {} are committed. To finish:\n",
        ids.join(", ")
    );
    for c in &r.finish_commands {
        let _ = writeln!(s, "  {c}");
    }
    s
}

/// `diagnose`: the unfinished batches of any age and what finishes each.
pub fn unfinished_table(batches: &[UnfinishedBatch], env: &str, reports_root: &Path) -> String {
    let mut s = String::new();
    if batches.is_empty() {
        let _ = writeln!(s, "Unfinished batches: none");
        return s;
    }
    let _ = writeln!(s, "Unfinished batches ({}):", batches.len());
    for b in batches {
        let _ = writeln!(
            s,
            "  batch {} of {}: {} sheet(s) missing, {} email(s) not delivered",
            b.batch_id,
            b.batch_date,
            b.missing_sheets.len(),
            b.owed_emails.len()
        );
        for m in &b.missing_sheets {
            let _ = writeln!(s, "    sheet {m}");
        }
        for k in &b.owed_emails {
            let _ = writeln!(s, "    email {k}");
        }
        for c in b.commands(env, reports_root) {
            let _ = writeln!(s, "    to finish: {c}");
        }
    }
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
            e.key.to_string(),
            format!("{:?}", e.kind),
            to.join(","),
            e.attachments.len(),
            e.result
        );
    }
    for w in &n.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    if n.emails.is_empty() && !n.already_delivered.is_empty() {
        let _ = writeln!(
            s,
            "batch {}: nothing to send: all {} email(s) were already delivered (--all sends them again)",
            n.batch_id,
            n.already_delivered.len()
        );
    } else {
        let _ = writeln!(s, "batch {}: {} via {}", n.batch_id, n.tally(), n.transport);
    }
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
                "  agent {:<6} {:<20} prio {:>3}: today {}/{} daily, 28 days {}, lot caps E {} N {}, next run {}{}",
                a.agent_code.as_deref().unwrap_or("(none)"),
                a.agent_name,
                a.priority,
                a.assigned_today,
                cap(a.max_daily_leads),
                a.assigned_window,
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
