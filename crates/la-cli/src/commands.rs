//! One function per subcommand. Each returns an exit code or a one-line error.

use std::io::Write;

use crate::{exit, Cli, Command, LogFormat};

/// A command failure, printed as one line.
pub type CmdError = String;

pub fn init_logging(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if format == LogFormat::Json {
        builder.format(|buf, record| {
            let line = serde_json::json!({
                "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "level": record.level().to_string().to_lowercase(),
                "target": record.target(),
                "message": record.args().to_string(),
            });
            writeln!(buf, "{line}")
        });
    }
    builder.init();
}

pub fn dispatch(cli: Cli) -> Result<u8, CmdError> {
    match cli.command {
        Command::Migrate => migrate(cli.database_url.as_deref()),
    }
}

fn database_url(url: Option<&str>) -> Result<&str, CmdError> {
    match url {
        Some(u) if !u.trim().is_empty() => Ok(u),
        _ => Err("no database URL: pass --database-url or set DATABASE_URL".into()),
    }
}

fn connect(url: Option<&str>) -> Result<diesel::PgConnection, CmdError> {
    leads_assignment::schema::connect(database_url(url)?).map_err(|e| e.to_string())
}

fn migrate(url: Option<&str>) -> Result<u8, CmdError> {
    let mut conn = connect(url)?;
    let applied =
        leads_assignment::schema::run_pending_migrations(&mut conn).map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("schema is up to date");
    } else {
        for v in &applied {
            println!("applied {v}");
        }
        println!("{} migration(s) applied", applied.len());
    }
    Ok(exit::OK)
}
