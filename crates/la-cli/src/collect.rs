//! `collect`: the reply mailbox read, every returned sheet ingested, each
//! message filed and answered (docs/decisions.md D29).

use std::path::Path;

use leads_assignment::collect::{CollectOptions, CollectReport, ImapConfig};

use crate::db::connect;
use crate::error::CmdError;
use crate::{exit, Env};

/// The `REPORT_EMAIL_IMAP_*` settings; None without a host.
pub fn imap_from_env() -> Result<Option<ImapConfig>, CmdError> {
    Ok(leads_assignment::Vars::process().imap()?)
}

/// `collect`: 0 when the mailbox was processed (refused sheets are answered,
/// not failures), 1 when the mailbox or the database could not be used.
pub fn collect(
    url: Option<&str>,
    env: Env,
    dry_run: bool,
    reports_root: &Path,
) -> Result<u8, CmdError> {
    let imap = imap_from_env()?.ok_or_else(|| {
        CmdError::usage("no mailbox: set REPORT_EMAIL_IMAP_HOST (and REPORT_EMAIL_IMAP_USERNAME, REPORT_EMAIL_IMAP_PASSWORD)")
    })?;
    let (email, from) = leads_assignment::EmailDelivery::from_env(false, reports_root)?;
    if !dry_run {
        email
            .check_env(env.run_env())
            .map_err(|e| format!("refusing to start: {e}"))?;
    }
    let mut transport = leads_assignment::transport_for(&email).map_err(|e| e.to_string())?;
    let mut conn = connect(url)?;
    let options = CollectOptions {
        imap,
        from,
        dry_run,
        max_file_bytes: leads_assignment::pdf::ingest::DEFAULT_MAX_FILE_BYTES,
        run_id: leads_assignment::generate_run_id(),
        ingested_by: format!("collect ({})", crate::ingest::os_user()),
    };
    let report = leads_assignment::collect::collect(&mut conn, &options, transport.as_mut())
        .map_err(|e| e.to_string())?;
    out_raw!("{}", lines(&report, dry_run));
    Ok(exit::OK)
}

/// One block per message and a total.
pub fn lines(r: &CollectReport, dry_run: bool) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for m in &r.messages {
        let verb = if dry_run { "would be " } else { "" };
        let _ = writeln!(
            s,
            "{} \"{}\" from {}: {verb}{} (→ {})",
            m.key, m.subject, m.sender, m.status, m.folder
        );
        for sh in &m.sheets {
            match &sh.result {
                Ok(rep) => {
                    let _ = writeln!(s, "  {}: {} ({})", sh.name, rep.counts(), rep.sheet);
                }
                Err(e) => {
                    let _ = writeln!(s, "  {}: REFUSED {e}", sh.name);
                }
            }
        }
        if !m.others.is_empty() {
            let _ = writeln!(s, "  ignored (not a PDF): {}", m.others.join(", "));
        }
        if let Some(rc) = &m.receipt {
            let _ = writeln!(s, "  receipt: {rc}");
        }
    }
    for rc in &r.owed_receipts {
        let _ = writeln!(s, "owed receipt of an earlier message: {rc}");
    }
    let _ = writeln!(s, "{}", r.line());
    s
}
