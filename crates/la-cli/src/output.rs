//! Human-readable summaries printed on stdout.

use std::fmt::Write;

use std::path::Path;

use leads_assignment::notify::{NotifyReport, TransportKind};
use leads_assignment::{
    finished_batches_line, later_line, left_reasons, PipelineReport, StoreDiagnosis,
    UnfinishedBatch,
};

/// `text` in exactly `width` terminal columns: what drives a terminal
/// escaped (as every printed line is), wide and combining characters
/// measured as displayed, cut with "…" when too wide, padded on the right
/// (`left`) or the left.
pub fn cell(text: &str, width: usize, left: bool) -> String {
    use unicode_width::UnicodeWidthStr;
    let clean = crate::terminal::escape(text, crate::terminal::Style::Text);
    let mut out = String::new();
    if clean.width() <= width {
        out = clean.into_owned();
    } else {
        for c in clean.chars() {
            let next = format!("{out}{c}");
            if next.width() + 1 > width {
                break;
            }
            out = next;
        }
        out.push('…');
    }
    let pad = " ".repeat(width.saturating_sub(out.width()));
    if left {
        format!("{out}{pad}")
    } else {
        format!("{pad}{out}")
    }
}

/// A table's column: its heading, whether it is left-aligned (text) or
/// right-aligned (figures), and the widest a name in it may be before it is
/// cut with "…"; every other column is as wide as its widest value, so that
/// no number or code is ever cut.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub heading: &'static str,
    pub left: bool,
    pub cut_at: Option<usize>,
}

impl Col {
    pub const fn text(heading: &'static str) -> Col {
        Col {
            heading,
            left: true,
            cut_at: None,
        }
    }
    pub const fn figure(heading: &'static str) -> Col {
        Col {
            heading,
            left: false,
            cut_at: None,
        }
    }
    pub const fn name(heading: &'static str, cut_at: usize) -> Col {
        Col {
            heading,
            left: true,
            cut_at: Some(cut_at),
        }
    }
}

/// The heading line and one line per row, columns aligned by display width.
pub fn table(cols: &[Col], rows: &[Vec<String>]) -> String {
    use unicode_width::UnicodeWidthStr;
    let shown = |t: &str| crate::terminal::escape(t, crate::terminal::Style::Text).width();
    let widths: Vec<usize> = (cols.iter().enumerate())
        .map(|(i, c)| {
            let widest = (rows.iter().filter_map(|r| r.get(i)))
                .map(|v| shown(v))
                .chain([shown(c.heading)])
                .max()
                .unwrap_or(0);
            c.cut_at
                .map_or(widest, |cut| widest.min(cut.max(shown(c.heading))))
        })
        .collect();
    let line = |values: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<String> = (cols.iter().zip(&widths).zip(values))
            .map(|((c, w), v)| cell(v, *w, c.left))
            .collect();
        cells.join(" ").trim_end().to_string() + "\n"
    };
    let mut out = line(&mut cols.iter().map(|c| c.heading));
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// The run table's columns.
const COLUMNS: [Col; 10] = [
    Col::text("store"),
    Col::text("agent"),
    Col::name("name", 14),
    Col::figure("E"),
    Col::figure("N"),
    Col::figure("today"),
    Col::figure("28d"),
    Col::text("caps reached"),
    Col::text("sheet"),
    Col::text("email"),
];

fn cap_word(c: &leads_assignment::assign::engine::Cap) -> &'static str {
    use leads_assignment::assign::engine::Cap;
    match c {
        Cap::MaxExistingPerLot => "E-lot",
        Cap::MaxNewPerLot => "N-lot",
        Cap::MaxDailyLeads => "daily",
    }
}

fn email_word(r: &leads_assignment::notify::EmailResult) -> &'static str {
    use leads_assignment::notify::EmailResult;
    match r {
        EmailResult::Sent => "sent",
        EmailResult::WrittenToOutbox => "written to the outbox",
        EmailResult::Skipped => "skipped",
        EmailResult::Failed(_) => "FAILED (below)",
        EmailResult::NotAttempted(_) => "NOT ATTEMPTED (below)",
        EmailResult::NoRecipients => "no recipients",
        EmailResult::Withheld(_) => "withheld",
        EmailResult::Elsewhere(_) => "another process",
    }
}

/// After `run`: one line per store × agent (100 columns), then what failed,
/// what was left and why, and the totals.
pub fn run_summary(r: &PipelineReport, reports_root: &Path) -> String {
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
    if let Some(line) = later_line(r) {
        let _ = writeln!(s, "Warning: {line}");
    }
    if let Some(line) = leads_assignment::returned_line(&r.returned) {
        let _ = writeln!(s, "{line}");
    }
    for line in leads_assignment::sent_to_new_recipients(&r.finished_batches) {
        let _ = writeln!(s, "New recipients: {line}");
    }
    run_table(&mut s, r);
    run_failures(&mut s, r, reports_root);
    run_left(&mut s, r);
    run_totals(&mut s, r);
    s
}

/// One line per store × agent.
fn run_table(s: &mut String, r: &PipelineReport) {
    let a = &r.assignment;
    if a.pairs.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = a.pairs.iter().map(|p| run_row(r, p)).collect();
    s.push_str(&table(&COLUMNS, &rows));
}

fn run_row(r: &PipelineReport, p: &leads_assignment::assign::engine::PairSummary) -> Vec<String> {
    let done = |store: &str, agent: &str| store == p.store_code && agent == p.agent_code;
    let sheet = if r.sheets.iter().any(|x| done(&x.store_code, &x.agent_code)) {
        "ok"
    } else if (r.sheet_failures.iter()).any(|f| done(&f.store_code, &f.agent_code)) {
        "FAILED"
    } else {
        "-"
    };
    let email = (r.notify.as_ref())
        .and_then(|n| n.for_store(&p.store_code))
        .map_or("-", |e| email_word(&e.result));
    let caps: Vec<&str> = p.caps_reached.iter().map(cap_word).collect();
    let this_run = i64::from(p.existing_assigned + p.new_assigned);
    vec![
        p.store_code.clone(),
        p.agent_code.clone(),
        p.agent_name.clone(),
        p.existing_assigned.to_string(),
        p.new_assigned.to_string(),
        (p.assigned_before_today + this_run).to_string(),
        (p.assigned_before_window + this_run).to_string(),
        if caps.is_empty() {
            "-".to_string()
        } else {
            caps.join(",")
        },
        sheet.to_string(),
        email.to_string(),
    ]
}

/// The sheet folder, then each sheet and email that failed, with why.
fn run_failures(s: &mut String, r: &PipelineReport, reports_root: &Path) {
    if !r.sheets.is_empty() || !r.sheet_failures.is_empty() {
        if let Some(date) = r.batch_date {
            let dir = leads_assignment::pdf::ReportsLayout::new(reports_root).sheet_dir(date);
            let _ = writeln!(s, "Sheets: {}", dir.display());
        }
    }
    for f in &r.sheet_failures {
        let _ = writeln!(
            s,
            "sheet of {} {} FAILED: {}",
            f.store_code, f.agent_code, f.reason
        );
    }
    if let Some(n) = &r.notify {
        for e in &n.emails {
            if matches!(
                e.result,
                leads_assignment::notify::EmailResult::Failed(_)
                    | leads_assignment::notify::EmailResult::NotAttempted(_)
            ) {
                let _ = writeln!(s, "email {}: {}", e.key, e.result);
            }
        }
    }
}

/// Skipped agents, leads left and why, repaired flags.
fn run_left(s: &mut String, r: &PipelineReport) {
    let a = &r.assignment;
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
}

/// Totals, emails, status.
fn run_totals(s: &mut String, r: &PipelineReport) {
    let a = &r.assignment;
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
    if let Some(line) = leads_assignment::unreadable_line(r) {
        let _ = writeln!(s, "warning: {line}");
    }
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
    if a.dry_run {
        let _ = writeln!(s, "Dry run: nothing was kept.");
    } else {
        let _ = writeln!(s, "Status: {}", r.overall_status.as_str());
    }
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
pub fn unfinished_table(batches: &[UnfinishedBatch], reports_root: &Path) -> String {
    let mut s = String::new();
    if batches.is_empty() {
        let _ = writeln!(s, "Unfinished batches: none");
        return s;
    }
    let _ = writeln!(s, "Unfinished batches ({}):", batches.len());
    for line in leads_assignment::waiting_for_new_recipients(batches) {
        let _ = writeln!(s, "  {line}");
    }
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
        if b.smtp_only && !b.owed_emails.is_empty() {
            let _ = writeln!(
                s,
                "    (its emails go by SMTP: run the command with REPORT_EMAIL_SMTP_HOST set)"
            );
        }
        for c in b.commands(reports_root) {
            let _ = writeln!(s, "    to finish: {c}");
        }
    }
    s
}

/// `diagnose`: the sessions holding locks the pipeline may wait for.
pub fn blockers_table(blockers: &[leads_assignment::schema::blocking::Blocker]) -> String {
    let mut s = String::new();
    if blockers.is_empty() {
        let _ = writeln!(s, "Sessions holding locks on the pipeline's tables: none");
        return s;
    }
    let _ = writeln!(
        s,
        "Sessions holding locks on the pipeline's tables ({}; a run waits for them at most LEADS_DB_LOCK_TIMEOUT):",
        blockers.len()
    );
    for b in blockers {
        let _ = writeln!(s, "  {b}");
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
        for o in &x.outstanding_sheets {
            let _ = writeln!(
                s,
                "  outstanding sheet: agent {} {}, batch {} of {}, {} leads, {} days without an outcome",
                o.agent_code, o.agent_name, o.batch_id, o.batch_date, o.leads, o.age_days
            );
        }
        let _ = writeln!(s, "  => {}", x.verdict);
    }
    s
}
