//! Where emails go: SMTP (lettre, one connection reused across the batch), a
//! folder of `.eml` files (DESIGN §3.11), or memory (tests). No retries (DESIGN §3.12).

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Message;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::Transport as _;

/// Sends one message; `key` identifies it within the batch.
pub trait Transport {
    /// Delivers `message` (envelope included) or says why not.
    fn send(&mut self, key: &str, message: &Message) -> Result<(), String>;
    /// One line for logs and reports, without credentials.
    fn describe(&self) -> String;
}

/// SMTP settings (the existing pipelines' `REPORT_EMAIL_*` variables, read by
/// the CLI/facade). `Debug` never shows the password.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// Sender, e.g. `Reports <reports@example.com>`.
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// STARTTLS required when true; plain SMTP when false.
    pub use_tls: bool,
    /// Connect/command timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("use_tls", &self.use_tls)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// SMTP through lettre.
pub struct SmtpTransport {
    inner: lettre::SmtpTransport,
    host: String,
    port: u16,
    secret: Option<String>,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SmtpTransport {
    /// Builds the transport (no connection is made until the first send).
    pub fn new(config: &SmtpConfig) -> Result<SmtpTransport, String> {
        let tls = if config.use_tls {
            Tls::Required(
                TlsParameters::new(config.host.clone())
                    .map_err(|e| format!("TLS settings for {}: {e}", config.host))?,
            )
        } else {
            Tls::None
        };
        let mut builder = lettre::SmtpTransport::builder_dangerous(config.host.as_str())
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout))
            .pool_config(PoolConfig::new().max_size(1));
        if let Some(user) = &config.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                config.password.clone().unwrap_or_default(),
            ));
        }
        Ok(SmtpTransport {
            inner: builder.build(),
            host: config.host.clone(),
            port: config.port,
            secret: config.password.clone().filter(|p| !p.is_empty()),
        })
    }
}

impl Transport for SmtpTransport {
    fn send(&mut self, _key: &str, message: &Message) -> Result<(), String> {
        self.inner.send(message).map(|_| ()).map_err(|e| {
            let mut msg = format!("SMTP {}:{}: {e}", self.host, self.port);
            if let Some(s) = &self.secret {
                msg = msg.replace(s.as_str(), "***");
            }
            msg
        })
    }

    fn describe(&self) -> String {
        format!("SMTP {}:{}", self.host, self.port)
    }
}

/// Writes each message as `{dir}/{key}.eml` (replaced when re-sent); nothing
/// is sent.
#[derive(Debug, Clone)]
pub struct FileOutbox {
    dir: PathBuf,
}

impl FileOutbox {
    /// An outbox in `dir` (created on first use).
    pub fn new(dir: impl Into<PathBuf>) -> FileOutbox {
        FileOutbox { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Transport for FileOutbox {
    fn send(&mut self, key: &str, message: &Message) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("creating outbox {}: {e}", self.dir.display()))?;
        let name = la_pdf::sanitize(key);
        let path = self.dir.join(format!("{name}.eml"));
        let tmp = self.dir.join(format!(".{name}.eml.tmp"));
        std::fs::write(&tmp, message.formatted())
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("writing {}: {e}", path.display()))
    }

    fn describe(&self) -> String {
        format!("outbox folder {} (nothing is sent)", self.dir.display())
    }
}

/// A message kept by [`MemoryTransport`].
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub key: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
    /// The formatted message.
    pub bytes: Vec<u8>,
}

/// Keeps messages in memory (tests, dry runs).
#[derive(Debug, Default)]
pub struct MemoryTransport {
    pub sent: Vec<SentMessage>,
}

impl Transport for MemoryTransport {
    fn send(&mut self, key: &str, message: &Message) -> Result<(), String> {
        self.sent.push(SentMessage {
            key: key.to_string(),
            rcpt: message
                .envelope()
                .to()
                .iter()
                .map(|a| a.to_string())
                .collect(),
            bytes: message.formatted(),
        });
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}
