//! `leads-assignment`: the command-line face of the pipeline. Argument parsing,
//! environment variables and printing live here and only here; the work is
//! done by the library crates through the `leads-assignment` facade.
#![allow(clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;

/// A command line that does not parse: clap's own message (and help and
/// version output), except that with JSON logs the error is a JSON line too.
fn usage_error(e: clap::Error) -> ExitCode {
    let json_logs = {
        let args: Vec<String> = std::env::args().collect();
        let flag = args
            .windows(2)
            .any(|w| w[0] == "--log-format" && w[1] == "json")
            || args.iter().any(|a| a == "--log-format=json");
        flag || std::env::var("LOG_FORMAT").is_ok_and(|v| v == "json")
    };
    if !e.use_stderr() || !json_logs {
        e.exit();
    }
    let message = e.render().to_string();
    let first = message
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ");
    commands::print_error(LogFormat::Json, first);
    ExitCode::from(exit::USAGE)
}

/// `println!` through [`terminal::write`]: every line escaped, a closed
/// stdout (e.g. piped into `head`) ignored.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::terminal::write(std::io::stdout().lock(), &format!($($arg)*), false)
    };
}

/// `print!` through [`terminal::write`].
macro_rules! out_raw {
    ($($arg:tt)*) => {
        $crate::terminal::write(std::io::stdout().lock(), &format!($($arg)*), true)
    };
}

mod agents;
mod args;
mod collect;
mod commands;
mod db;
mod demo;
mod error;
mod ingest;
mod output;
mod report;
mod terminal;

pub use args::{AgentsCommand, Cli, Command, Env, LeaveCommand, LogFormat};

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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    commands::init_logging(cli.log_format, cli.quiet);
    let url = cli.command.database_url().unwrap_or_default().to_string();
    let format = cli.log_format;
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
            commands::print_error(format, &message);
            ExitCode::from(e.code)
        }
    }
}
