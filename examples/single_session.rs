//! The single-session pipeline as a host: it does its own work, then runs
//! lead assignment as its tail step (which honours
//! `system_config.skip_lead_assignment` itself) with its own run id. A lead-assignment failure is reported by
//! the host and never undoes the host's own (already committed) work.
//!
//! `DATABASE_URL=postgres://… RUN_ENV=prod REPORT_EMAIL_SMTP_HOST=… LEADS_TIMEZONE=Asia/Kolkata cargo run --example single_session`

#![allow(clippy::print_stdout, clippy::print_stderr, dead_code)]

use diesel::prelude::*;
use leads_assignment::schema::schema::pipeline_run_summaries;
use leads_assignment::{run_pipeline, OverallStatus, PipelineOptions, PipelineReport};

/// What the host did.
#[derive(Debug)]
pub struct HostOutcome {
    /// The host's own summary row was committed.
    pub host_work_done: bool,
    /// None: skipped by `skip_lead_assignment`; Some(Err): failed and reported.
    pub lead_assignment: Option<Result<PipelineReport, String>>,
}

/// The host's run: its own work first, then lead assignment as the tail step.
pub fn run_host(
    conn: &mut PgConnection,
    run_id: &str,
    options: &PipelineOptions,
) -> Result<HostOutcome, String> {
    // 1. The host's own work, committed on its own.
    conn.transaction(|conn| {
        diesel::insert_into(pipeline_run_summaries::table)
            .values((
                pipeline_run_summaries::pipeline_name.eq("single_session"),
                pipeline_run_summaries::run_id.eq(run_id),
                pipeline_run_summaries::overall_status.eq("success"),
                pipeline_run_summaries::summary_text.eq("downloads and reports done"),
            ))
            .execute(conn)
    })
    .map_err(|e| format!("host work failed: {e}"))?;

    // 2. The tail step. The runner honours system_config.skip_lead_assignment
    // itself; the host only reports it.
    let la_options = PipelineOptions {
        triggered_by: "pipeline:single_session".into(),
        run_id: Some(run_id.to_string()),
        ..options.clone()
    };
    let result = run_pipeline(conn, &la_options).map_err(|e| {
        log::error!("lead assignment failed (host run {run_id} continues): {e}");
        e.to_string()
    });
    if let Ok(r) = &result {
        if r.overall_status == OverallStatus::Skipped {
            log::info!("skip_lead_assignment is true: lead assignment skipped");
            return Ok(HostOutcome {
                host_work_done: true,
                lead_assignment: None,
            });
        }
    }
    Ok(HostOutcome {
        host_work_done: true,
        lead_assignment: Some(result),
    })
}

fn main() {
    env_logger::init();
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("set DATABASE_URL");
        std::process::exit(2);
    };
    let mut conn = match leads_assignment::schema::connect(&url) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let run_id = leads_assignment::generate_run_id().replace("la-", "ss-");
    // Configured as the CLI's `run` is, through the library alone: RUN_ENV,
    // REPORTS_ROOT, LEADS_TIMEZONE, REPORT_EMAIL_* (SMTP, sender, mailbox).
    let options = match PipelineOptions::from_env() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    match run_host(&mut conn, &run_id, &options) {
        Ok(HostOutcome {
            lead_assignment: None,
            ..
        }) => println!("host run {run_id} done; lead assignment skipped"),
        Ok(HostOutcome {
            lead_assignment: Some(Ok(r)),
            ..
        }) => println!("host run {run_id} done; {}", r.summary_text),
        Ok(HostOutcome {
            lead_assignment: Some(Err(e)),
            ..
        }) => println!("host run {run_id} done; lead assignment FAILED: {e}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
