//! Where emails go: SMTP (lettre's client, one connection reused across the
//! batch, every step bounded by the timeout), a folder of `.eml` files
//! (docs/decisions.md D11), memory (tests), or nowhere (email disabled).
//! No retries (D12).

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use la_schema::codes::TransportKind;
use la_schema::models::DeliveryOutcome;
use lettre::message::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

/// Why an email did not go out, in words.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    #[error("SMTP host {server} did not answer within {secs} s ({step})")]
    Timeout {
        server: String,
        secs: u64,
        step: &'static str,
    },
    #[error("SMTP host {server} refused the connection (nothing accepts connections there)")]
    Refused { server: String },
    #[error("SMTP host {server} cannot be reached: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("SMTP host {server}: TLS failed: {reason}")]
    Tls { server: String, reason: String },
    #[error("SMTP host {server} did not accept the login (authentication): {reason}")]
    Auth { server: String, reason: String },
    #[error("SMTP host {server}: the connection broke: {reason}")]
    Broken { server: String, reason: String },
    #[error("SMTP host {server} rejected the message: {reason}")]
    Rejected { server: String, reason: String },
    #[error("writing {}: {reason}", path.display())]
    Outbox { path: PathBuf, reason: String },
    #[error("building the message: {0}")]
    Build(String),
}

impl TransportError {
    /// A failure of the connection itself (refused, timeout, TLS, login):
    /// the remaining emails of the run are not attempted (D12's bound).
    pub(crate) fn is_connection_level(&self) -> bool {
        matches!(
            self,
            TransportError::Timeout { .. }
                | TransportError::Refused { .. }
                | TransportError::Unreachable { .. }
                | TransportError::Tls { .. }
                | TransportError::Auth { .. }
                | TransportError::Broken { .. }
        )
    }
}

impl From<lettre::error::Error> for TransportError {
    fn from(e: lettre::error::Error) -> Self {
        TransportError::Build(e.to_string())
    }
}

/// Sends one message; `name` identifies it within the batch (and names its
/// outbox file).
pub trait Transport {
    /// Which kind of transport this is.
    fn kind(&self) -> TransportKind;
    /// Delivers `message` (envelope included) or says why not.
    fn send(&mut self, name: &str, message: &Message) -> Result<DeliveryOutcome, TransportError>;
    /// One line for logs and reports, without credentials.
    fn describe(&self) -> String;
    /// The connection-level failure that ended this transport's connection
    /// for good: every later email is recorded `not_attempted` with it.
    fn broken(&self) -> Option<&TransportError> {
        None
    }
}

/// SMTP settings (the existing pipelines' `REPORT_EMAIL_*` variables, read by
/// the facade's `env`). `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// STARTTLS required when true; plain SMTP when false.
    pub use_tls: bool,
    /// Bound of every step: connecting, the greeting (however many
    /// continuation lines it has), each command, the message.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("use_tls", &self.use_tls)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// SMTP through lettre's client, one connection for the whole batch.
///
/// Each step runs on a helper thread and is abandoned when it overruns the
/// timeout: a server that trickles continuation lines forever cannot hold the
/// run (the helper ends when the server finally stops or the socket times out).
pub struct SmtpTransport {
    config: SmtpConfig,
    tls: Option<TlsParameters>,
    conn: Option<SmtpConnection>,
    broken: Option<TransportError>,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SmtpTransport {
    /// Checks the settings; no connection is made until the first send.
    pub fn new(config: &SmtpConfig) -> Result<SmtpTransport, TransportError> {
        let tls = if config.use_tls {
            Some(
                TlsParameters::new(config.host.clone()).map_err(|e| TransportError::Tls {
                    server: server(config),
                    reason: e.to_string(),
                })?,
            )
        } else {
            None
        };
        Ok(SmtpTransport {
            config: config.clone(),
            tls,
            conn: None,
            broken: None,
        })
    }

    fn connect(&self) -> Result<SmtpConnection, TransportError> {
        let c = self.config.clone();
        let tls = self.tls.clone();
        let creds = c
            .username
            .clone()
            .map(|u| Credentials::new(u, c.password.clone().unwrap_or_default()));
        let hello = ClientId::default();
        let target = (c.host.clone(), c.port);
        let timeout = c.timeout;
        let mut conn = bounded(&c, "connecting and waiting for the greeting", move || {
            SmtpConnection::connect(target, Some(timeout), &hello, None, None)
        })?
        .map_err(|e| connect_error(&c, &e, |t| self.scrub(t)))?;
        if let Some(tls) = tls {
            let hello = ClientId::default();
            conn = bounded(&c, "STARTTLS", move || {
                conn.starttls(&tls, &hello).map(|()| conn)
            })?
            .map_err(|e| TransportError::Tls {
                server: server(&c),
                reason: self.scrub(&e.to_string()),
            })?;
        }
        if let Some(creds) = creds {
            conn = bounded(&c, "logging in", move || {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
                    .map(|_| conn)
            })?
            .map_err(|e| TransportError::Auth {
                server: server(&c),
                reason: self.scrub(&e.to_string()),
            })?;
        }
        Ok(conn)
    }

    /// Removes the password from a message (a server may echo anything).
    fn scrub(&self, text: &str) -> String {
        match self.config.password.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => text.replace(p, "***"),
            None => text.to_string(),
        }
    }
}

fn server(c: &SmtpConfig) -> String {
    format!("{}:{}", c.host, c.port)
}

/// Runs `f` on a helper thread; `Err(Timeout)` when it overruns the timeout.
fn bounded<T: Send + 'static>(
    c: &SmtpConfig,
    step: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TransportError> {
    bounded_for(c, c.timeout, step, f)
}

fn bounded_for<T: Send + 'static>(
    c: &SmtpConfig,
    limit: Duration,
    step: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TransportError> {
    let timeout = TransportError::Timeout {
        server: server(c),
        secs: c.timeout.as_secs().max(1),
        step,
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("la-smtp".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| TransportError::Broken {
            server: server(c),
            reason: format!("cannot start the SMTP helper thread: {e}"),
        })?;
    rx.recv_timeout(limit).map_err(|_| timeout)
}

fn io_kind(e: &lettre::transport::smtp::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = err.source();
    }
    None
}

fn connect_error(
    c: &SmtpConfig,
    e: &lettre::transport::smtp::Error,
    scrub: impl Fn(&str) -> String,
) -> TransportError {
    let kind = io_kind(e);
    if e.is_timeout() || kind == Some(std::io::ErrorKind::WouldBlock) {
        TransportError::Timeout {
            server: server(c),
            secs: c.timeout.as_secs().max(1),
            step: "connecting and waiting for the greeting",
        }
    } else if kind == Some(std::io::ErrorKind::ConnectionRefused) {
        TransportError::Refused { server: server(c) }
    } else {
        TransportError::Unreachable {
            server: server(c),
            reason: scrub(&describe_lettre(e)),
        }
    }
}

/// lettre's message plus the OS's words for an I/O cause.
fn describe_lettre(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        let s = err.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = err.source();
    }
    text
}

impl Transport for SmtpTransport {
    fn kind(&self) -> TransportKind {
        TransportKind::Smtp
    }

    fn send(&mut self, _name: &str, message: &Message) -> Result<DeliveryOutcome, TransportError> {
        if let Some(e) = &self.broken {
            return Err(e.clone());
        }
        let result = self.send_once(message);
        if let Err(e) = &result {
            if e.is_connection_level() {
                self.broken = Some(e.clone());
            }
        }
        result
    }

    fn describe(&self) -> String {
        format!("SMTP {}", server(&self.config))
    }

    fn broken(&self) -> Option<&TransportError> {
        self.broken.as_ref()
    }
}

impl SmtpTransport {
    fn send_once(&mut self, message: &Message) -> Result<DeliveryOutcome, TransportError> {
        let conn = match self.conn.take() {
            Some(c) if !c.has_broken() => c,
            _ => self.connect()?,
        };
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        // One deadline for the whole transaction (MAIL, every RCPT, DATA and
        // the message), however many recipients it has; only the body gets
        // more, at 64 KiB/s, so a large attachment is not cut short.
        let body = Duration::from_secs(bytes.len() as u64 / 65_536);
        let limit = self.config.timeout + body;
        let mut conn_back = None;
        let result = bounded_for(&self.config, limit, "sending the message", move || {
            let mut conn = conn;
            let r = conn.send(&envelope, &bytes);
            (conn, r)
        })
        .map(|(conn, r)| {
            conn_back = Some(conn);
            r
        })?;
        self.conn = conn_back.filter(|c| !c.has_broken());
        match result {
            Ok(_) => Ok(DeliveryOutcome::Sent),
            Err(e) if e.is_timeout() => Err(TransportError::Timeout {
                server: server(&self.config),
                secs: self.config.timeout.as_secs().max(1),
                step: "sending the message",
            }),
            Err(e) if e.is_permanent() || e.is_transient() || e.is_client() || e.is_response() => {
                Err(TransportError::Rejected {
                    server: server(&self.config),
                    reason: self.scrub(&e.to_string()),
                })
            }
            Err(e) => Err(TransportError::Broken {
                server: server(&self.config),
                reason: self.scrub(&describe_lettre(&e)),
            }),
        }
    }
}

impl Drop for SmtpTransport {
    fn drop(&mut self) {
        if let Some(mut c) = self.conn.take() {
            // A polite QUIT, bounded (and short: the work is done).
            let limit = self.config.timeout.min(Duration::from_secs(5));
            let _ = bounded_for(&self.config, limit, "QUIT", move || c.quit().is_ok());
        }
    }
}

/// Writes each message as `{dir}/{name}.eml` (replaced when re-sent); nothing
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
    fn kind(&self) -> TransportKind {
        TransportKind::Outbox
    }

    fn send(&mut self, name: &str, message: &Message) -> Result<DeliveryOutcome, TransportError> {
        let file = format!("{}.eml", la_pdf::sanitize(name));
        ready_outbox(&self.dir)
            .and_then(|dir| la_pdf::write_file_atomically(&dir, &file, &message.formatted()))
            .map(|_| DeliveryOutcome::WrittenToOutbox)
            .map_err(|e| TransportError::Outbox {
                path: self.dir.join(&file),
                reason: e.to_string(),
            })
    }

    fn describe(&self) -> String {
        format!("the outbox folder {} (nothing is sent)", self.dir.display())
    }
}

/// The outbox folder and the folder it is in, made if missing and never
/// links (docs/decisions.md D26); the folder above them may be a link the
/// operator chose.
fn ready_outbox(dir: &Path) -> std::io::Result<PathBuf> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Some(root) = parent.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(root)?;
        }
        la_pdf::files::real_dir(parent)?;
    }
    la_pdf::files::real_dir(dir)
}

/// Email disabled (`--no-email`): nothing is built or sent; every email is
/// recorded `skipped`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DisabledTransport;

impl Transport for DisabledTransport {
    fn kind(&self) -> TransportKind {
        TransportKind::Disabled
    }

    fn send(&mut self, _name: &str, _message: &Message) -> Result<DeliveryOutcome, TransportError> {
        Ok(DeliveryOutcome::Skipped)
    }

    fn describe(&self) -> String {
        "nothing (email disabled)".into()
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

/// Keeps messages in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryTransport {
    pub sent: Vec<SentMessage>,
}

impl Transport for MemoryTransport {
    fn kind(&self) -> TransportKind {
        TransportKind::Memory
    }

    fn send(&mut self, name: &str, message: &Message) -> Result<DeliveryOutcome, TransportError> {
        self.sent.push(SentMessage {
            key: name.to_string(),
            rcpt: message
                .envelope()
                .to()
                .iter()
                .map(|a| a.to_string())
                .collect(),
            bytes: message.formatted(),
        });
        Ok(DeliveryOutcome::Sent)
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}
