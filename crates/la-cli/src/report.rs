//! `report`: what came of the assigned leads, as a table, CSV or JSON on
//! stdout and optionally an HTML page; or the outstanding sheets.

use std::path::Path;

use leads_assignment::outcomes::{
    self, format, Column, GroupBy, HtmlReport, OutstandingFilter, OutstandingSheet, ReportFilter,
    ReportRow,
};

use crate::args::{Format, ReportArgs};
use crate::commands::{connect, CmdError};
use crate::exit;
use crate::output::cell;

/// Runs `report`.
pub fn report(args: &ReportArgs) -> Result<u8, CmdError> {
    let mut conn = connect(args.db.url.as_deref())?;
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

/// Aligned, within 100 columns; "no assignments" when empty.
fn table(by: GroupBy, rows: &[ReportRow]) -> String {
    let columns = Column::for_grouping(by);
    let line = |cells: Vec<String>| cells.join(" ").trim_end().to_string() + "\n";
    let mut t = line(
        columns
            .iter()
            .map(|c| cell(c.heading(), c.width(), !is_figure(*c)))
            .collect(),
    );
    for row in rows {
        t.push_str(&line(
            columns
                .iter()
                .map(|c| {
                    let v = c.value(row);
                    cell(&v.text(), c.width(), !v.is_number())
                })
                .collect(),
        ));
    }
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
            let mut t = format!(
                "{} {} {} {} {} {} {}\n",
                cell("store", 8, true),
                cell("agent", 5, true),
                cell("name", 16, true),
                cell("batch", 6, false),
                cell("date", 10, true),
                cell("leads", 5, false),
                cell("age (days)", 10, false),
            );
            for s in sheets {
                t.push_str(&format!(
                    "{} {} {} {} {} {} {}\n",
                    cell(&s.store_code, 8, true),
                    cell(&s.agent_code, 5, true),
                    cell(&s.agent_name, 16, true),
                    cell(&s.batch_id.to_string(), 6, false),
                    cell(&s.batch_date.to_string(), 10, true),
                    cell(&s.leads.to_string(), 5, false),
                    cell(&s.age_days.to_string(), 10, false),
                ));
            }
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
