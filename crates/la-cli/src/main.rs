//! `leads-assignment`: the command-line face of the pipeline. Argument parsing,
//! environment variables and printing live here and only here; the work is
//! done by the library crates through the `leads-assignment` facade.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use leads_assignment::notify::EmailKey;

fn parse_email_key(s: &str) -> Result<EmailKey, String> {
    s.parse()
}

/// `println!` that ignores a closed stdout (e.g. piped into `head`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod agents;
mod commands;
mod demo;
mod output;

/// Hands missed pickup leads to call agents, prints their sheets, emails them,
/// and reads the filled sheets back.
#[derive(Debug, Parser)]
#[command(name = "leads-assignment", version, about)]
pub struct Cli {
    /// PostgreSQL URL, e.g. postgres://user:password@host:5432/db
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "LOG_FORMAT")]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (ts, level, pipeline, run_id, phase, status, message, …).
    Json,
    /// Human-readable lines.
    Text,
}

/// Run environment: selects notification profiles and recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Env {
    Dev,
    Prod,
    Local,
}

impl Env {
    /// The text stored in the notification tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Env::Dev => "dev",
            Env::Prod => "prod",
            Env::Local => "local",
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending database migrations.
    Migrate,
    /// Assign eligible leads, write the sheets, email them.
    Run {
        #[arg(long, value_enum, env = "RUN_ENV", default_value_t = Env::Dev)]
        env: Env,
        /// Run id (generated when absent).
        #[arg(long)]
        run_id: Option<String>,
        /// Who started the run.
        #[arg(long, default_value = "cli")]
        triggered_by: String,
        /// Plan and report; keep nothing.
        #[arg(long)]
        dry_run: bool,
        /// Send no emails (they are recorded as skipped; `notify --batch N` sends them later).
        #[arg(long)]
        no_email: bool,
        /// Run even when system_config skip_lead_assignment is 'true'.
        #[arg(long)]
        ignore_skip_flag: bool,
        /// Root of the reports tree (sheets, outbox).
        #[arg(long, env = "REPORTS_ROOT", default_value = "./reports")]
        reports_root: PathBuf,
        /// Session time zone for the business date, e.g. Asia/Kolkata.
        #[arg(long, env = "LEADS_TIMEZONE")]
        timezone: Option<String>,
    },
    /// (Re)write the sheets of a batch and their documents rows.
    Pdf {
        #[arg(long)]
        batch: i64,
        #[arg(long, env = "REPORTS_ROOT", default_value = "./reports")]
        reports_root: PathBuf,
    },
    /// Send the emails of a batch that the delivery ledger does not show as delivered.
    Notify {
        /// The batch whose emails to send.
        #[arg(long)]
        batch: i64,
        /// Only this email (repeatable): store-CODE, all-sheets or summary; sent even if delivered before.
        #[arg(long, value_parser = parse_email_key, conflicts_with = "all")]
        only: Vec<EmailKey>,
        /// Send every email of the batch again, delivered or not.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, env = "RUN_ENV", default_value_t = Env::Dev)]
        env: Env,
        #[arg(long, env = "REPORTS_ROOT", default_value = "./reports")]
        reports_root: PathBuf,
    },
    /// Read filled sheets (files or folders of *.pdf) into lead_assignment_outcomes.
    IngestOutcomes {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Per store: why its leads would or would not be assigned and emailed.
    Diagnose {
        #[arg(long)]
        store: Option<String>,
        #[arg(long, value_enum, env = "RUN_ENV", default_value_t = Env::Dev)]
        env: Env,
        #[arg(long)]
        json: bool,
        #[arg(long, env = "LEADS_TIMEZONE")]
        timezone: Option<String>,
        /// Root of the reports tree, for the commands printed for unfinished batches.
        #[arg(long, env = "REPORTS_ROOT", default_value = "./reports")]
        reports_root: PathBuf,
    },
    /// Agents: who they are, their stores and counts, and their leave.
    Agents {
        #[command(subcommand)]
        command: AgentsCommand,
    },
    /// Everything on a throwaway PostgreSQL with realistic data: two runs, sheets and .eml files.
    Demo {
        /// Missed leads to seed.
        #[arg(long, default_value_t = 3000)]
        leads: usize,
        /// Where sheets and emails go.
        #[arg(long, default_value = "./demo-output")]
        out: PathBuf,
    },
}

/// `agents …`.
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// Each agent: code, name, active, leave, stores with priority and caps, today's and 28 days' leads.
    List {
        /// Only agents mapped to this store.
        #[arg(long)]
        store: Option<String>,
        /// Session time zone of the business date, e.g. Asia/Kolkata.
        #[arg(long, env = "LEADS_TIMEZONE")]
        timezone: Option<String>,
    },
    /// Agent leave: dated ranges in which an agent gets no leads.
    Leave {
        #[command(subcommand)]
        command: LeaveCommand,
    },
}

/// `agents leave …`.
#[derive(Debug, Subcommand)]
pub enum LeaveCommand {
    /// Record leave for an agent, first and last day inclusive.
    Add {
        /// The agent's code (agents_master.agent_code).
        agent_code: String,
        /// First day of leave, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        from: chrono::NaiveDate,
        /// Last day of leave, YYYY-MM-DD (inclusive).
        #[arg(long, value_parser = parse_date)]
        to: chrono::NaiveDate,
        /// Why, shown wherever the agent is reported skipped.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Current and future leave, one line each, its id first.
    List {
        /// Only this agent's leave.
        #[arg(long)]
        agent: Option<String>,
        /// Past leave too.
        #[arg(long)]
        all: bool,
    },
    /// Delete one leave by its id (from `agents leave list`).
    Remove {
        /// The leave's id.
        id: i64,
    },
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// Exit codes (README "Exit codes").
pub mod exit {
    /// Done (including "nothing to assign").
    pub const OK: u8 = 0;
    /// Failed.
    pub const FAILED: u8 = 1;
    /// Usage mistake; nothing was written.
    pub const USAGE: u8 = 2;
    /// Partly done: assignments committed, some sheets or emails failed.
    pub const PARTIAL: u8 = 3;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::init_logging(cli.log_format);
    let url = cli.database_url.clone().unwrap_or_default();
    match commands::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // No password of the connection string is ever printed, whatever
            // the driver put into its message.
            let message = if url.is_empty() {
                e.message
            } else {
                leads_assignment::schema::scrub(&e.message, &url)
            };
            eprintln!("error: {message}");
            ExitCode::from(e.code)
        }
    }
}
