//! The command line: every command and option, with its help. Values are
//! checked here, when the arguments are parsed (dates, time zones, email
//! keys), so a usage mistake exits 2 before anything is written.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use leads_assignment::notify::EmailKey;
use leads_assignment::outcomes::{GroupBy, DEFAULT_OUTSTANDING_DAYS};

/// Hands a laundry franchise's missed pickup leads to call agents: assigns
/// them fairly, prints a fillable PDF sheet per store and agent, emails the
/// sheets, and reads the filled sheets back.
#[derive(Debug, Parser)]
#[command(
    name = "leads-assignment",
    version,
    about = "Hands missed pickup leads to call agents, prints and emails their sheets, and reads the filled sheets back",
    long_about = None
)]
pub struct Cli {
    /// Format of the log lines on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "LOG_FORMAT")]
    pub log_format: LogFormat,

    /// Print only warnings and errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The database connection, for the commands that use one.
#[derive(Debug, Clone, Args)]
pub struct Db {
    /// PostgreSQL connection: postgres://user:password@host:5432/db or libpq key=value pairs (the password is never printed).
    #[arg(
        long = "database-url",
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    pub url: Option<String>,
}

/// The reports tree.
#[derive(Debug, Clone, Args)]
pub struct Reports {
    /// Root of the reports tree: sheets under leads_assignment/DATE/, emails without SMTP under leads_assignment/outbox/.
    #[arg(long, env = "REPORTS_ROOT", default_value = "./reports")]
    pub reports_root: PathBuf,
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
    /// Development.
    Dev,
    /// Production (needs SMTP, or --no-email for `run`).
    Prod,
    /// A local machine.
    Local,
}

impl Env {
    /// The library's run environment.
    pub fn run_env(self) -> leads_assignment::RunEnv {
        match self {
            Env::Dev => leads_assignment::RunEnv::Dev,
            Env::Prod => leads_assignment::RunEnv::Prod,
            Env::Local => leads_assignment::RunEnv::Local,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending database migrations (safe on the live database).
    Migrate {
        #[command(flatten)]
        db: Db,
    },
    /// Finish earlier unfinished batches, then assign eligible leads, write the sheets and email them.
    Run(RunArgs),
    /// (Re)write the sheets of a batch and their documents rows.
    Pdf {
        #[command(flatten)]
        db: Db,
        /// The batch whose sheets to write.
        #[arg(long)]
        batch: i64,
        #[command(flatten)]
        reports: Reports,
    },
    /// Send the emails of a batch that the delivery ledger does not show as delivered.
    Notify {
        #[command(flatten)]
        db: Db,
        /// The batch whose emails to send.
        #[arg(long)]
        batch: i64,
        /// Only this email (repeatable): store-CODE, all-sheets or summary; sent even if delivered before.
        #[arg(long, value_parser = parse_email_key, conflicts_with = "all")]
        only: Vec<EmailKey>,
        /// Send every email of the batch again, delivered or not.
        #[arg(long)]
        all: bool,
        /// Run environment: selects notification profiles and recipients.
        #[arg(long, value_enum, env = "RUN_ENV", default_value_t = Env::Dev)]
        env: Env,
        #[command(flatten)]
        reports: Reports,
    },
    /// Read filled sheets (files, or folders searched for *.pdf) into lead_assignment_outcomes.
    IngestOutcomes {
        #[command(flatten)]
        db: Db,
        /// Filled sheets, or folders to search for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Validate and report exactly as an ingest would, writing nothing; exit 1 when a file would fail.
        #[arg(long)]
        check: bool,
        /// Who ingests, for the ingest ledger (default: the OS user).
        #[arg(long, value_name = "WHO")]
        ingested_by: Option<String>,
        /// Let blank fields clear stored values (of leads the file fills in at least one field of); without it a blank never erases. Each cleared value is printed.
        #[arg(long)]
        clear_blanks: bool,
        /// Refuse, unread, any file larger than this many megabytes.
        #[arg(long, value_name = "MB", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=4096))]
        max_file_size: u64,
    },
    /// Reads the reply mailbox (REPORT_EMAIL_IMAP_*): ingests every returned sheet as ingest-outcomes would, files each message to Collected or Refused, and answers its sender.
    Collect {
        #[command(flatten)]
        db: Db,
        /// Run environment (its SMTP settings send the receipts).
        #[arg(long, value_enum, env = "RUN_ENV", default_value_t = Env::Dev)]
        env: Env,
        /// List what would be ingested and answered; move nothing, send nothing, write nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        reports: Reports,
    },
    /// Per store: why its leads would or would not be assigned and emailed; unfinished batches.
    Diagnose {
        #[command(flatten)]
        db: Db,
        /// Only this store (case-insensitive).
        #[arg(long)]
        store: Option<String>,
        /// Run environment whose recipients count.
        #[arg(long, value_enum, env = "RUN_ENV", default_value_t = Env::Dev)]
        env: Env,
        /// Print the store diagnostics as JSON.
        #[arg(long)]
        json: bool,
        /// Time zone of the business date: an IANA name such as Asia/Kolkata.
        #[arg(long, env = "LEADS_TIMEZONE", value_parser = parse_timezone)]
        timezone: Option<String>,
        #[command(flatten)]
        reports: Reports,
    },
    /// Agents: who they are, their stores and counts, and their leave.
    Agents {
        #[command(flatten)]
        db: Db,
        #[command(subcommand)]
        command: AgentsCommand,
    },
    /// Everything on a throwaway PostgreSQL with realistic data: two runs, sheets and .eml files.
    Demo {
        /// Missed leads to seed.
        #[arg(long, default_value_t = 3000)]
        leads: usize,
        /// Where sheets and emails go (what an earlier demo wrote there is cleared first).
        #[arg(long, default_value = "./demo-output")]
        out: PathBuf,
    },
    /// Print a shell completion script to stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// What came of the assigned leads, per agent, store, lead type or day; outstanding sheets.
    Report(ReportArgs),
    /// Print the man page (roff) to stdout.
    Man,
}

/// `report`'s grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    Agent,
    Store,
    StoreAgent,
    LeadType,
    Day,
}

impl By {
    /// The library's grouping.
    pub fn group_by(self) -> GroupBy {
        match self {
            By::Agent => GroupBy::Agent,
            By::Store => GroupBy::Store,
            By::StoreAgent => GroupBy::StoreAgent,
            By::LeadType => GroupBy::LeadType,
            By::Day => GroupBy::Day,
        }
    }
}

/// `report`'s output format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// `report`'s options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub db: Db,
    /// What each row is.
    #[arg(long, value_enum, default_value_t = By::StoreAgent)]
    pub by: By,
    /// First batch date, YYYY-MM-DD (default: 27 days before --to).
    #[arg(long, value_parser = parse_date)]
    pub from: Option<chrono::NaiveDate>,
    /// Last batch date, YYYY-MM-DD (default: today's business date).
    #[arg(long, value_parser = parse_date)]
    pub to: Option<chrono::NaiveDate>,
    /// Only this store (repeatable; case-insensitive).
    #[arg(long = "store", value_name = "CODE")]
    pub stores: Vec<String>,
    /// Output on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write one self-contained HTML page with the table and charts.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// List the outstanding sheets (no outcome for any lead) instead.
    #[arg(long, conflicts_with_all = ["by", "html"])]
    pub outstanding: bool,
    /// A sheet is outstanding this many days after its batch date.
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_OUTSTANDING_DAYS)]
    pub older_than: u32,
    /// Time zone of the business date: an IANA name such as Asia/Kolkata.
    #[arg(long, env = "LEADS_TIMEZONE", value_parser = parse_timezone)]
    pub timezone: Option<String>,
}

/// `run`'s options.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub db: Db,
    /// Run environment: selects notification profiles and recipients.
    #[arg(long, value_enum, env = "RUN_ENV", default_value_t = Env::Dev)]
    pub env: Env,
    /// Run id recorded with the batch and the summary row (generated when absent).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Who started the run, e.g. cron or pipeline:single_session.
    #[arg(long, default_value = "cli")]
    pub triggered_by: String,
    /// Say what would be assigned; keep nothing (no batch, sheets, emails or summary row).
    #[arg(long)]
    pub dry_run: bool,
    /// Send no emails (they are recorded as skipped; `notify --batch N` sends them later).
    #[arg(long)]
    pub no_email: bool,
    /// Do not read the reply mailbox first (it is read when REPORT_EMAIL_IMAP_HOST is set).
    #[arg(long)]
    pub no_collect: bool,
    /// Run even when system_config skip_lead_assignment is 'true'.
    #[arg(long)]
    pub ignore_skip_flag: bool,
    #[command(flatten)]
    pub reports: Reports,
    /// Time zone of the business date: an IANA name such as Asia/Kolkata.
    #[arg(long, env = "LEADS_TIMEZONE", value_parser = parse_timezone)]
    pub timezone: Option<String>,
    /// Print the run report as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The summary email lists sheets with no outcome this many days after their batch.
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_OUTSTANDING_DAYS)]
    pub outstanding_after: u32,
}

impl Command {
    /// The command's name, as `leads-assignment <name>` shows in
    /// `application_name`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Migrate { .. } => "migrate",
            Command::Run(_) => "run",
            Command::Pdf { .. } => "pdf",
            Command::Notify { .. } => "notify",
            Command::IngestOutcomes { .. } => "ingest-outcomes",
            Command::Diagnose { .. } => "diagnose",
            Command::Collect { .. } => "collect",
            Command::Agents { .. } => "agents",
            Command::Report(_) => "report",
            Command::Demo { .. } => "demo",
            Command::Completions { .. } => "completions",
            Command::Man => "man",
        }
    }

    /// The connection string given to the command, if it takes one.
    pub fn database_url(&self) -> Option<&str> {
        match self {
            Command::Migrate { db }
            | Command::Run(RunArgs { db, .. })
            | Command::Pdf { db, .. }
            | Command::Notify { db, .. }
            | Command::IngestOutcomes { db, .. }
            | Command::Collect { db, .. }
            | Command::Diagnose { db, .. }
            | Command::Agents { db, .. }
            | Command::Report(ReportArgs { db, .. }) => db.url.as_deref(),
            Command::Demo { .. } | Command::Completions { .. } | Command::Man => None,
        }
    }
}

/// `agents …`.
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// Each agent: code, name, active, leave, stores with priority and caps, today's and 28 days' leads.
    List {
        /// Only agents mapped to this store.
        #[arg(long)]
        store: Option<String>,
        /// Time zone of the business date: an IANA name such as Asia/Kolkata.
        #[arg(long, env = "LEADS_TIMEZONE", value_parser = parse_timezone)]
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

fn parse_email_key(s: &str) -> Result<EmailKey, String> {
    s.parse()
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// An IANA time zone name (the facade's rule, as a host reads
/// `LEADS_TIMEZONE`).
fn parse_timezone(s: &str) -> Result<String, String> {
    leads_assignment::env::check_timezone(s)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        if cmd.get_about().is_none() && path != "leads-assignment" {
            missing.push(format!("{path}: no about"));
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg
                .get_help()
                .is_none_or(|h| h.to_string().trim().is_empty())
            {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }

    #[test]
    fn every_command_and_option_has_help() {
        let cmd = Cli::command();
        cmd.clone().debug_assert();
        let mut missing = Vec::new();
        walk(&cmd, "leads-assignment", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:?}");
    }

    #[test]
    fn demo_and_the_generators_take_no_database() {
        let cmd = Cli::command();
        for name in ["demo", "completions", "man"] {
            let sub = cmd.find_subcommand(name).map(|s| {
                s.get_arguments()
                    .map(|a| a.get_id().to_string())
                    .collect::<Vec<_>>()
            });
            assert!(
                sub.is_some_and(|ids| !ids.iter().any(|i| i == "url")),
                "{name}"
            );
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            parse_timezone("Asia/Kolkata").as_deref(),
            Ok("Asia/Kolkata")
        );
        assert!(parse_timezone("+05:30").is_err());
        assert!(parse_timezone("Mars/Olympus").is_err());
    }
}
