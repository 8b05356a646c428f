//! `report`: what came of the assigned leads, as a table, CSV or JSON on
//! stdout and optionally an HTML page; or the outstanding sheets.

use std::path::Path;

use leads_assignment::outcomes::{
    self, format, Column, GroupBy, HtmlReport, OutstandingFilter, OutstandingSheet, ReportFilter,
    ReportRow,
};

use crate::args::{Format, ReportArgs};
use crate::db::connect;
use crate::error::CmdError;
use crate::exit;
use crate::output::{self, Col};

/// Runs `report`.
pub fn report(args: &ReportArgs) -> Result<u8, CmdError> {
    let mut conn = connect(args.db.url.as_deref())?;
    let unknown = outcomes::unknown_stores(&mut conn, &args.stores)
        .map_err(|e| format!("reading the stores: {e}"))?;
    if !unknown.is_empty() {
        return Err(CmdError::usage(format!(
            "--store {}: no such store (not in store_master, no mapping, no assignment)",
            unknown.join(", ")
        )));
    }
    // The business date where the business is (--timezone), not the
    // server's: it sets the default dates and the sheets' ages.
    let today = leads_assignment::assign::business_date(&mut conn, args.timezone.as_deref())
        .map_err(|e| format!("reading the business date: {e}"))?;
    let to = args.to.unwrap_or(today);
    let from = args.from.unwrap_or_else(|| to - chrono::Days::new(27));
    if from > to {
        return Err(CmdError::usage(format!("--from {from} is after --to {to}")));
    }
    if args.outstanding {
        let filter = OutstandingFilter {
            today,
            older_than_days: args.older_than,
            since: None,
            stores: args.stores.clone(),
        };
        let sheets = outcomes::outstanding_sheets(&mut conn, &filter)
            .map_err(|e| format!("reading the outstanding sheets: {e}"))?;
        out_raw!("{}", outstanding_text(&sheets, args.format)?);
        return Ok(exit::OK);
    }
    let filter = ReportFilter {
        from,
        to,
        stores: args.stores.clone(),
        today,
        older_than_days: args.older_than,
    };
    let by = args.by.group_by();
    let mut query = |by| {
        outcomes::report(&mut conn, by, &filter).map_err(|e| format!("reading the report: {e}"))
    };
    let rows = query(by)?;
    if let Some(path) = &args.html {
        let page = HtmlReport {
            by,
            filter: &filter,
            rows: &rows,
            by_agent: &query(GroupBy::Agent)?,
            by_store: &query(GroupBy::Store)?,
            by_day: &query(GroupBy::Day)?,
        }
        .page()
        .map_err(|e| e.to_string())?;
        write_html(path, &page)?;
    }
    out_raw!("{}", report_text(by, &rows, args.format)?);
    Ok(exit::OK)
}

fn report_text(by: GroupBy, rows: &[ReportRow], f: Format) -> Result<String, CmdError> {
    Ok(match f {
        Format::Table => table(by, rows),
        Format::Csv => format::csv(by, rows).map_err(|e| e.to_string())?,
        Format::Json => json_text(&format::json(by, rows))?,
    })
}

fn json_text(value: &serde_json::Value) -> Result<String, CmdError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| CmdError::from(format!("writing JSON: {e}")))
}

/// Aligned by display width, numbers never cut; "no assignments" when
/// empty.
fn table(by: GroupBy, rows: &[ReportRow]) -> String {
    let columns = Column::for_grouping(by);
    let cols: Vec<Col> = (columns.iter())
        .map(|c| match c {
            Column::AgentName => Col::name(c.heading(), c.width()),
            c if is_figure(*c) => Col::figure(c.heading()),
            c => Col::text(c.heading()),
        })
        .collect();
    let values: Vec<Vec<String>> = (rows.iter())
        .map(|row| columns.iter().map(|c| c.value(row).text()).collect())
        .collect();
    let mut t = output::table(&cols, &values);
    if rows.is_empty() {
        t.push_str("no assignments in these dates\n");
    }
    t
}

fn is_figure(c: Column) -> bool {
    !matches!(
        c,
        Column::StoreCode
            | Column::AgentCode
            | Column::AgentName
            | Column::LeadType
            | Column::BatchDate
    )
}

fn outstanding_text(sheets: &[OutstandingSheet], f: Format) -> Result<String, CmdError> {
    Ok(match f {
        Format::Csv => format::csv_of(sheets).map_err(|e| e.to_string())?,
        Format::Json => json_text(&serde_json::json!(sheets))?,
        Format::Table => {
            const COLS: [Col; 7] = [
                Col::text("store"),
                Col::text("agent"),
                Col::name("name", 16),
                Col::figure("batch"),
                Col::text("date"),
                Col::figure("leads"),
                Col::figure("age (days)"),
            ];
            let rows: Vec<Vec<String>> = (sheets.iter())
                .map(|s| {
                    vec![
                        s.store_code.clone(),
                        s.agent_code.clone(),
                        s.agent_name.clone(),
                        s.batch_id.to_string(),
                        s.batch_date.to_string(),
                        s.leads.to_string(),
                        s.age_days.to_string(),
                    ]
                })
                .collect();
            let mut t = output::table(&COLS, &rows);
            t.push_str(&format!("{} outstanding sheet(s)\n", sheets.len()));
            t
        }
    })
}

/// The page, written atomically and without following a link at the name.
fn write_html(path: &Path, page: &str) -> Result<(), CmdError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CmdError::usage(format!("--html {}: not a file name", path.display())))?;
    leads_assignment::pdf::write_file_atomically(dir, name, page.as_bytes())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(())
}
