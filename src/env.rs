//! Configuration from the environment, for a host that configures the
//! pipeline as the CLI does: the existing pipelines' `REPORT_EMAIL_*`
//! variables, `RUN_ENV`, `REPORTS_ROOT`, `LEADS_TIMEZONE` and the
//! `LEADS_DB_*_TIMEOUT` bounds. The one place the library reads the
//! environment, and only when a host asks ([`PipelineOptions::from_env`],
//! [`EmailDelivery::from_env`], or [`Vars`] with its own lookup).

use std::path::{Path, PathBuf};
use std::time::Duration;

use la_collect::ImapConfig;
use la_notify::{RunEnv, SmtpConfig};
use la_schema::session::SessionOptions;

use crate::options::{check_sender, default_outbox, EmailDelivery, PipelineOptions};
use crate::DEFAULT_SENDER;

/// A setting that cannot be used; nothing was done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A variable's value does not parse.
    #[error("{name}={value:?} is not {expected}")]
    Invalid {
        name: String,
        value: String,
        expected: &'static str,
    },
    /// The sender (`REPORT_EMAIL_FROM`) is not an address.
    #[error("{0}")]
    Sender(String),
    /// The time zone is not an IANA name.
    #[error("{0}")]
    TimeZone(String),
}

/// Where settings are read from: the process environment
/// ([`Vars::process`]) or any lookup (a host's own settings, a test).
#[derive(Clone, Copy)]
pub struct Vars<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
}

impl std::fmt::Debug for Vars<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vars")
    }
}

fn process_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl<'a> Vars<'a> {
    /// The process environment.
    pub fn process() -> Vars<'static> {
        Vars { get: &process_var }
    }

    /// Settings looked up by `get`.
    pub fn from_lookup(get: &'a dyn Fn(&str) -> Option<String>) -> Vars<'a> {
        Vars { get }
    }

    /// A variable, trimmed; unset or blank is None.
    pub fn text(&self, name: &str) -> Option<String> {
        (self.get)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A secret, as it is (spaces count); unset or empty is None.
    fn secret(&self, name: &str) -> Option<String> {
        (self.get)(name).filter(|v| !v.is_empty())
    }

    fn invalid(name: &str, value: String, expected: &'static str) -> ConfigError {
        ConfigError::Invalid {
            name: name.to_string(),
            value,
            expected,
        }
    }

    /// A true/false variable (`1/0`, `yes/no`, `on/off` too); `default` when unset.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.text(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
            Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
            Some(v) => Err(Self::invalid(name, v, "true/false")),
        }
    }

    /// A port number; `default` when unset.
    pub fn port(&self, name: &str, default: u16) -> Result<u16, ConfigError> {
        match self.text(name) {
            None => Ok(default),
            Some(p) => (p.parse::<u16>().ok())
                .filter(|p| *p > 0)
                .ok_or_else(|| Self::invalid(name, p, "a port number")),
        }
    }

    /// A number of seconds (at least 1); `default` when unset.
    pub fn secs(&self, name: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.text(name) {
            None => Ok(default),
            Some(v) => (v.parse::<u64>().ok())
                .filter(|n| *n > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| Self::invalid(name, v, "a number of seconds (at least 1)")),
        }
    }

    /// `RUN_ENV`: dev (default), prod or local.
    pub fn run_env(&self) -> Result<RunEnv, ConfigError> {
        match self.text("RUN_ENV") {
            None => Ok(RunEnv::Dev),
            Some(v) => v
                .parse()
                .map_err(|_| Self::invalid("RUN_ENV", v, "dev, prod or local")),
        }
    }

    /// `LEADS_TIMEZONE`, checked ([`check_timezone`]).
    pub fn timezone(&self) -> Result<Option<String>, ConfigError> {
        self.text("LEADS_TIMEZONE")
            .map(|tz| check_timezone(&tz).map_err(ConfigError::TimeZone))
            .transpose()
    }

    /// `d` bounded by `LEADS_DB_CONNECT_TIMEOUT`, `LEADS_DB_LOCK_TIMEOUT`
    /// and `LEADS_DB_STATEMENT_TIMEOUT` where they are set.
    pub fn session(&self, d: SessionOptions) -> Result<SessionOptions, ConfigError> {
        Ok(SessionOptions {
            connect_timeout: self.secs("LEADS_DB_CONNECT_TIMEOUT", d.connect_timeout)?,
            lock_timeout: self.secs("LEADS_DB_LOCK_TIMEOUT", d.lock_timeout)?,
            statement_timeout: self.secs("LEADS_DB_STATEMENT_TIMEOUT", d.statement_timeout)?,
            ..d
        })
    }

    /// How emails go (`REPORT_EMAIL_*`; no SMTP host: the outbox under
    /// `reports_root`; `disabled`: none), and the sender, checked.
    pub fn email(
        &self,
        disabled: bool,
        reports_root: &Path,
    ) -> Result<(EmailDelivery, String), ConfigError> {
        let from = self
            .text("REPORT_EMAIL_FROM")
            .unwrap_or_else(|| DEFAULT_SENDER.into());
        check_sender(&from).map_err(ConfigError::Sender)?;
        if disabled {
            return Ok((EmailDelivery::Disabled, from));
        }
        let Some(host) = self.text("REPORT_EMAIL_SMTP_HOST") else {
            return Ok((EmailDelivery::Outbox(default_outbox(reports_root)), from));
        };
        let use_tls = self.flag("REPORT_EMAIL_USE_TLS", true)?;
        let smtp = SmtpConfig {
            host,
            port: self.port("REPORT_EMAIL_SMTP_PORT", if use_tls { 587 } else { 25 })?,
            username: self.text("REPORT_EMAIL_SMTP_USERNAME"),
            password: self.secret("REPORT_EMAIL_SMTP_PASSWORD"),
            use_tls,
            timeout: self.secs("REPORT_EMAIL_SMTP_TIMEOUT", Duration::from_secs(30))?,
        };
        Ok((EmailDelivery::Smtp(smtp), from))
    }

    /// The reply mailbox (`REPORT_EMAIL_IMAP_*`); None without a host.
    pub fn imap(&self) -> Result<Option<ImapConfig>, ConfigError> {
        let Some(host) = self.text("REPORT_EMAIL_IMAP_HOST") else {
            return Ok(None);
        };
        let use_tls = self.flag("REPORT_EMAIL_IMAP_USE_TLS", true)?;
        let folder = |name: &str, default: &str| self.text(name).unwrap_or_else(|| default.into());
        Ok(Some(ImapConfig {
            host,
            port: self.port("REPORT_EMAIL_IMAP_PORT", if use_tls { 993 } else { 143 })?,
            use_tls,
            username: self.text("REPORT_EMAIL_IMAP_USERNAME").unwrap_or_default(),
            password: self
                .secret("REPORT_EMAIL_IMAP_PASSWORD")
                .unwrap_or_default(),
            folder: folder("REPORT_EMAIL_IMAP_FOLDER", "INBOX"),
            collected_folder: folder("REPORT_EMAIL_IMAP_COLLECTED_FOLDER", "Collected"),
            refused_folder: folder("REPORT_EMAIL_IMAP_REFUSED_FOLDER", "Refused"),
            timeout: self.secs("REPORT_EMAIL_IMAP_TIMEOUT", Duration::from_secs(30))?,
        }))
    }

    /// A run's options as the CLI's `run` takes them from the environment:
    /// `RUN_ENV`, `REPORTS_ROOT` (default `./reports`), `LEADS_TIMEZONE`,
    /// the email settings and the reply mailbox.
    pub fn pipeline_options(&self) -> Result<PipelineOptions, ConfigError> {
        let reports_root = self
            .text("REPORTS_ROOT")
            .map_or_else(|| PathBuf::from("reports"), PathBuf::from);
        let (email, from) = self.email(false, &reports_root)?;
        Ok(PipelineOptions {
            timezone: self.timezone()?,
            email,
            from,
            collect: self.imap()?,
            reports_root,
            ..PipelineOptions::new(self.run_env()?)
        })
    }
}

/// An IANA time zone name. Numeric offsets are refused: PostgreSQL reads
/// `+05:30` with the POSIX sign, i.e. as UTC−05:30, the opposite of ISO 8601.
pub fn check_timezone(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.starts_with(['+', '-']) || name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return Err(format!(
            "{s:?} is a numeric offset; use an IANA time zone name such as Asia/Kolkata (PostgreSQL would read {s:?} with the opposite sign)"
        ));
    }
    name.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| {
            format!("{s:?} is not an IANA time zone name (e.g. Asia/Kolkata, Europe/London, UTC)")
        })
}

impl EmailDelivery {
    /// How emails go, and the sender, from the process environment
    /// (`REPORT_EMAIL_*`), as the CLI reads them.
    pub fn from_env(disabled: bool, reports_root: &Path) -> Result<(Self, String), ConfigError> {
        Vars::process().email(disabled, reports_root)
    }
}

impl PipelineOptions {
    /// A run's options from the process environment, as the CLI's `run`
    /// reads them ([`Vars::pipeline_options`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Vars::process().pipeline_options()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            (pairs.iter())
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn settings_parse_with_the_same_rules_and_words_as_the_cli() {
        let get = vars(&[
            ("RUN_ENV", "prod"),
            ("REPORTS_ROOT", "/srv/reports"),
            ("LEADS_TIMEZONE", "Asia/Kolkata"),
            ("REPORT_EMAIL_SMTP_HOST", " mail.example.com "),
            ("REPORT_EMAIL_USE_TLS", "off"),
            ("REPORT_EMAIL_FROM", "Leads <leads@example.com>"),
        ]);
        let o = Vars::from_lookup(&get).pipeline_options().unwrap();
        assert_eq!(o.run_env, RunEnv::Prod);
        assert_eq!(o.timezone.as_deref(), Some("Asia/Kolkata"));
        assert_eq!(o.from, "Leads <leads@example.com>");
        let EmailDelivery::Smtp(smtp) = &o.email else {
            panic!("{:?}", o.email)
        };
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.use_tls),
            ("mail.example.com", 25, false)
        );
        assert!(o.collect.is_none());

        let bad = [
            (
                ("REPORT_EMAIL_USE_TLS", "maybe"),
                "REPORT_EMAIL_USE_TLS=\"maybe\" is not true/false",
            ),
            (
                ("REPORT_EMAIL_SMTP_PORT", "0"),
                "REPORT_EMAIL_SMTP_PORT=\"0\" is not a port number",
            ),
            (
                ("REPORT_EMAIL_SMTP_TIMEOUT", "-1"),
                "is not a number of seconds (at least 1)",
            ),
            (("LEADS_TIMEZONE", "+05:30"), "is a numeric offset"),
            (
                ("RUN_ENV", "staging"),
                "RUN_ENV=\"staging\" is not dev, prod or local",
            ),
            (("REPORT_EMAIL_FROM", "nobody"), "nobody"),
        ];
        for ((name, value), said) in bad {
            let pairs = [("REPORT_EMAIL_SMTP_HOST", "h"), (name, value)];
            let get = vars(&pairs);
            let e = Vars::from_lookup(&get).pipeline_options().unwrap_err();
            assert!(e.to_string().contains(said), "{name}={value}: {e}");
        }
    }

    #[test]
    fn no_smtp_host_writes_the_outbox_and_disabled_sends_nothing() {
        let get = vars(&[]);
        let v = Vars::from_lookup(&get);
        let (email, from) = v.email(false, Path::new("/r")).unwrap();
        assert_eq!(
            email,
            EmailDelivery::Outbox(default_outbox(Path::new("/r")))
        );
        assert_eq!(from, DEFAULT_SENDER);
        assert_eq!(
            v.email(true, Path::new("/r")).unwrap().0,
            EmailDelivery::Disabled
        );
        assert_eq!(v.imap().unwrap(), None);
    }
}
