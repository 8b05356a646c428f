//! One function per subcommand. Each returns an exit code or a one-line error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use leads_assignment::notify::{send_for_batch, NotifyError, NotifyOptions, Selection};
use leads_assignment::pdf::{generate_sheets, IngestOptions, PdfError, PdfOptions};
use leads_assignment::{
    diagnose, run_pipeline_with, transport_for, unfinished_batches, DiagnoseOptions, EmailDelivery,
    PhaseProgress, PipelineError, PipelineOptions,
};

use crate::args::RunArgs;
use crate::db::{self, connect};
use crate::error::CmdError;
use crate::terminal::{self, Style};
use crate::{exit, output, Cli, Command, Env, LogFormat};

struct Kv<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl<'kvs> log::kv::VisitSource<'kvs> for Kv<'_> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        self.0.insert(
            key.to_string(),
            serde_json::Value::String(value.to_string()),
        );
        Ok(())
    }
}

pub fn init_logging(format: LogFormat, quiet: bool) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if quiet {
        // --quiet wins over RUST_LOG's default level: warnings and errors only.
        builder.filter_level(log::LevelFilter::Warn);
    }
    if format == LogFormat::Text {
        // env_logger's own layout, every message escaped for the terminal.
        builder.format(|buf, record| {
            let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let line = format!(
                "[{ts} {:<5} {}] {}",
                record.level(),
                record.target(),
                record.args()
            );
            terminal::write(buf, &line, false);
            Ok(())
        });
    } else {
        // The existing pipelines' status-log style: one object per line.
        builder.format(|buf, record| {
            let mut obj = serde_json::Map::new();
            obj.insert(
                "ts".into(),
                chrono::Utc::now()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    .into(),
            );
            obj.insert(
                "level".into(),
                record.level().to_string().to_lowercase().into(),
            );
            obj.insert("pipeline".into(), leads_assignment::PIPELINE_NAME.into());
            let _ = record.key_values().visit(&mut Kv(&mut obj));
            obj.insert("message".into(), record.args().to_string().into());
            obj.entry("target")
                .or_insert_with(|| record.target().into());
            let line = serde_json::Value::Object(obj).to_string();
            writeln!(buf, "{}", terminal::escape(&line, Style::Json))
        });
    }
    builder.init();
}

/// The final error line: plain text, or a JSON object like every log line.
pub fn print_error(format: LogFormat, message: &str) {
    let line = match format {
        LogFormat::Text => format!("error: {message}"),
        LogFormat::Json => {
            let json = serde_json::json!({
                "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "level": "error",
                "pipeline": leads_assignment::PIPELINE_NAME,
                "phase": "exit",
                "status": "failed",
                "message": message,
            });
            terminal::escape(&json.to_string(), Style::Json).into_owned()
        }
    };
    terminal::write(std::io::stderr().lock(), &line, false);
}

pub fn dispatch(cli: Cli) -> Result<u8, CmdError> {
    let url = cli.command.database_url().map(str::to_string);
    db::set_session(cli.command.name())?;
    run_command(cli).map_err(|e| db::with_obstacle(url.as_deref(), e))
}

fn run_command(cli: Cli) -> Result<u8, CmdError> {
    let quiet = cli.quiet;
    let url = cli.command.database_url().map(str::to_string);
    let url = url.as_deref();
    match cli.command {
        Command::Migrate { .. } => migrate(url),
        Command::Run(args) => run(url, &args, quiet),
        Command::Pdf { batch, reports, .. } => pdf(url, batch, reports.reports_root, quiet),
        Command::Notify {
            batch,
            only,
            all,
            env,
            reports,
            ..
        } => notify(
            url,
            batch,
            selection(all, only),
            env,
            reports.reports_root,
            quiet,
        ),
        Command::IngestOutcomes {
            paths,
            check,
            ingested_by,
            clear_blanks,
            max_file_size,
            ..
        } => {
            let options = IngestOptions {
                ingested_by: ingested_by.unwrap_or_else(crate::ingest::os_user),
                check_only: check,
                clear_blanks,
                max_file_bytes: max_file_size * 1024 * 1024,
                source: None,
            };
            crate::ingest::ingest(url, &paths, &options)
        }
        Command::Diagnose {
            store,
            env,
            json,
            timezone,
            reports,
            ..
        } => diagnose_cmd(url, store, env, json, timezone, reports.reports_root),
        Command::Demo { leads, out } => crate::demo::demo(leads, &out),
        Command::Agents { command, .. } => crate::agents::agents(url, command),
        Command::Completions { shell } => completions(shell),
        Command::Report(args) => crate::report::report(&args),
        Command::Collect {
            env,
            dry_run,
            reports,
            ..
        } => crate::collect::collect(url, env, dry_run, &reports.reports_root),
        Command::Man => man(),
    }
}

/// `notify`'s email selection: `--all`, `--only KEY…`, else what is undelivered.
fn selection(all: bool, only: Vec<leads_assignment::notify::EmailKey>) -> Selection {
    match (all, only.is_empty()) {
        (true, _) => Selection::All,
        (false, false) => Selection::Only(only),
        (false, true) => Selection::Undelivered,
    }
}

fn completions(shell: clap_complete::Shell) -> Result<u8, CmdError> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "leads-assignment", &mut std::io::stdout());
    Ok(exit::OK)
}

fn man() -> Result<u8, CmdError> {
    let man = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
    man.render(&mut std::io::stdout())
        .map_err(|e| format!("writing the man page: {e}"))?;
    Ok(exit::OK)
}

fn migrate(url: Option<&str>) -> Result<u8, CmdError> {
    let mut conn = db::connect_any(url)?;
    let applied =
        leads_assignment::schema::run_pending_migrations(&mut conn).map_err(|e| e.to_string())?;
    if applied.is_empty() {
        out!("schema is up to date");
    } else {
        for v in &applied {
            out!("applied {v}");
        }
        out!("{} migration(s) applied", applied.len());
    }
    Ok(exit::OK)
}

/// A progress bar on stderr for the sheet and email phases, when it is a terminal.
fn progress() -> Option<PhaseProgress> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar: Arc<Mutex<Option<(String, indicatif::ProgressBar)>>> = Arc::new(Mutex::new(None));
    Some(PhaseProgress(Arc::new(
        move |phase: &str, done: usize, total: usize| {
            let Ok(mut guard) = bar.lock() else { return };
            if guard.as_ref().is_none_or(|(p, _)| p != phase) {
                if let Some((_, old)) = guard.take() {
                    old.finish_and_clear();
                }
                let pb = indicatif::ProgressBar::new(total as u64);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg:>7} [{bar:40}] {pos}/{len} {elapsed}",
                ) {
                    pb.set_style(style.progress_chars("=> "));
                }
                pb.set_message(phase.to_string());
                *guard = Some((phase.to_string(), pb));
            }
            if let Some((_, pb)) = guard.as_ref() {
                pb.set_position(done as u64);
                if done >= total {
                    pb.finish_and_clear();
                }
            }
        },
    )))
}

fn run(url: Option<&str>, args: &RunArgs, quiet: bool) -> Result<u8, CmdError> {
    let (email, from) = EmailDelivery::from_env(args.no_email, &args.reports.reports_root)?;
    // docs/decisions.md D29: the reply mailbox first, unless --no-collect.
    let collect = match args.no_collect {
        true => None,
        false => crate::collect::imap_from_env()?,
    };
    let options = PipelineOptions {
        run_env: args.env.run_env(),
        run_id: args.run_id.clone(),
        triggered_by: args.triggered_by.clone(),
        dry_run: args.dry_run,
        ignore_skip_flag: args.ignore_skip_flag,
        reports_root: args.reports.reports_root.clone(),
        timezone: args.timezone.clone(),
        email,
        from,
        progress: if quiet || args.json { None } else { progress() },
        outstanding_after_days: Some(args.outstanding_after),
        collect,
    };
    // Checked, and the one transport built, before connecting: a refused
    // run touches nothing.
    let transport = options.ready().map_err(|e| e.to_string())?;
    let mut conn = connect(url)?;
    let report = run_pipeline_with(&mut conn, &options, transport).map_err(|e| match e {
        PipelineError::Config(_) => CmdError::usage(e.to_string()),
        e => CmdError::from(e.to_string()),
    })?;
    if args.json {
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| format!("writing the report as JSON: {e}"))?;
        out!("{json}");
    } else if !quiet {
        out_raw!("{}", output::run_summary(&report, &options.reports_root));
    }
    if report.partly_done() {
        if !args.json {
            out_raw!("{}", output::partly_done(&report));
        }
        return Ok(exit::PARTIAL);
    }
    Ok(exit::OK)
}

fn pdf(url: Option<&str>, batch: i64, reports_root: PathBuf, quiet: bool) -> Result<u8, CmdError> {
    let mut conn = connect(url)?;
    let options = PdfOptions {
        reports_root,
        progress: progress().map(|p| p.for_phase("sheets")),
        only_missing: false,
    };
    match generate_sheets(&mut conn, batch, &options) {
        Ok(_) if quiet => Ok(exit::OK),
        Ok(done) => {
            for s in &done {
                out!(
                    "{}  {} leads, {} pages  {}",
                    s.store_code,
                    s.leads,
                    s.pages,
                    s.path.display()
                );
            }
            out!(
                "batch {batch}: {} sheet(s) written and registered in documents",
                done.len()
            );
            Ok(exit::OK)
        }
        Err(PdfError::Sheets { done, failed, .. }) => {
            for s in &done {
                out!("{}  {} leads  {}", s.store_code, s.leads, s.path.display());
            }
            for f in &failed {
                out!("FAILED {} {}: {}", f.store_code, f.agent_code, f.reason);
            }
            Err(format!(
                "batch {batch}: {} of {} sheet(s) failed",
                failed.len(),
                failed.len() + done.len()
            )
            .into())
        }
        Err(e) => Err(e.to_string().into()),
    }
}

fn notify(
    url: Option<&str>,
    batch: i64,
    select: Selection,
    env: Env,
    reports_root: PathBuf,
    quiet: bool,
) -> Result<u8, CmdError> {
    let (delivery, from) = EmailDelivery::from_env(false, &reports_root)?;
    if delivery.check_env(env.run_env()).is_err() {
        return Err(CmdError::from(
            "refusing to start: env prod needs an SMTP host (REPORT_EMAIL_SMTP_HOST); nothing was sent",
        ));
    }
    let mut transport = transport_for(&delivery).map_err(|e| e.to_string())?;
    let mut conn = connect(url)?;
    let options = NotifyOptions {
        run_env: env.run_env(),
        from,
        select,
        progress: progress().map(|p| p.for_phase("emails")),
        ..Default::default()
    };
    let report =
        send_for_batch(&mut conn, batch, &options, transport.as_mut()).map_err(|e| match e {
            NotifyError::UnknownKeys { .. } => CmdError::usage(e.to_string()),
            e => CmdError::from(e.to_string()),
        })?;
    if !quiet {
        out_raw!("{}", output::notify_summary(&report));
    }
    let owed = report.failed() + report.not_attempted();
    if owed > 0 {
        return Err(format!("batch {batch}: {owed} email(s) not delivered").into());
    }
    Ok(exit::OK)
}

fn diagnose_cmd(
    url: Option<&str>,
    store: Option<String>,
    env: Env,
    json: bool,
    timezone: Option<String>,
    reports_root: PathBuf,
) -> Result<u8, CmdError> {
    let mut conn = connect(url)?;
    let d = diagnose(
        &mut conn,
        &DiagnoseOptions {
            store: store.clone(),
            run_env: env.run_env(),
            timezone,
        },
    )
    .map_err(|e| e.to_string())?;
    if d.is_empty() && store.is_none() {
        out!("No stores: store_master is empty and no mapping or missed lead names a store. Register stores, agents and mappings first (README \"First setup\", docs/operator-setup.sql).");
        return Ok(exit::OK);
    }
    if let Some(s) = &store {
        if d.is_empty() {
            return Err(format!(
                "store {s:?} is unknown: not in store_master, no mapping, no leads"
            )
            .into());
        }
    }
    let unfinished =
        unfinished_batches(&mut conn, env.run_env(), None).map_err(|e| e.to_string())?;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&d).map_err(|e| CmdError::from(e.to_string()))?
        );
    } else {
        out_raw!("{}", output::diagnose_table(&d, env.run_env().as_str()));
        out_raw!("{}", output::unfinished_table(&unfinished, &reports_root));
        // docs/decisions.md D28: who could make the pipeline wait right now.
        let blockers = leads_assignment::schema::blocking::blockers(&mut conn)
            .map_err(|e| format!("reading the sessions that hold locks: {e}"))?;
        out_raw!("{}", output::blockers_table(&blockers));
        // docs/decisions.md D29: replies from senders who are no recipients.
        let strangers = leads_assignment::collect::strangers(&mut conn, 10)
            .map_err(|e| format!("reading the collected messages: {e}"))?;
        for m in strangers {
            out!(
                "Reply from {} ({:?}, {}) is not from a recipient: filed to Refused, not answered, not read",
                m.sender,
                m.subject.unwrap_or_default(),
                m.collected_at.format("%Y-%m-%d %H:%M UTC")
            );
        }
    }
    Ok(exit::OK)
}
