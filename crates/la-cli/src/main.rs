//! `leads-assignment`: the command-line face of the pipeline. Argument parsing,
//! environment variables and printing live here and only here; the work is
//! done by the library crates through the `leads-assignment` facade.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod commands;

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
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending database migrations.
    Migrate,
}

/// Exit codes (README "Exit codes").
pub mod exit {
    /// Done.
    pub const OK: u8 = 0;
    /// Failed; nothing or everything of the failed step rolled back.
    pub const FAILED: u8 = 1;
    /// Usage error (clap's own code).
    pub const USAGE: u8 = 2;
    /// Partly done: assignments committed, some sheets or emails failed.
    pub const PARTIAL: u8 = 3;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::init_logging(cli.log_format);
    match commands::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}
