//! The IMAP mailbox: a synchronous client (the `imap` crate) over a socket
//! whose every read and write is bounded by the timeout, TLS required unless
//! turned off for a local server.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::CollectError;

/// Where the replies arrive (the `REPORT_EMAIL_IMAP_*` settings, read by the
/// facade's `env`). `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    /// TLS from the first byte (IMAPS) when true; plain IMAP when false.
    pub use_tls: bool,
    pub username: String,
    pub password: String,
    /// The folder read (default `INBOX`).
    pub folder: String,
    /// Where messages whose sheets were all accepted go.
    pub collected_folder: String,
    /// Where every other message goes.
    pub refused_folder: String,
    /// The bound of connecting and of every read and write.
    pub timeout: Duration,
}

impl std::fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("use_tls", &self.use_tls)
            .field("username", &self.username)
            .field("password", &"***")
            .field("folder", &self.folder)
            .field("collected_folder", &self.collected_folder)
            .field("refused_folder", &self.refused_folder)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ImapConfig {
    /// `host:port`.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// `text` without the password (an empty password hides nothing).
fn redact(text: &str, password: &str) -> String {
    if password.is_empty() {
        text.to_string()
    } else {
        text.replace(password, "***")
    }
}

/// The socket, plain or TLS.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<native_tls::TlsStream<TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// A logged-in session with the folder selected.
pub(crate) struct Mailbox {
    session: imap::Session<Stream>,
    config: ImapConfig,
    /// Folders made (or found) by this session.
    folders: std::collections::HashSet<String>,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailbox({})", self.config.server())
    }
}

impl Mailbox {
    /// Connects (bounded), logs in and selects the folder.
    pub fn open(config: &ImapConfig) -> Result<Mailbox, CollectError> {
        let fail = |reason: String| CollectError::Mailbox {
            server: config.server(),
            reason: redact(&reason, &config.password),
        };
        let addr = (config.host.as_str(), config.port)
            .to_socket_addrs()
            .map_err(|e| fail(format!("cannot resolve: {e}")))?
            .next()
            .ok_or_else(|| fail("no address".into()))?;
        let tcp = TcpStream::connect_timeout(&addr, config.timeout)
            .map_err(|e| fail(format!("cannot connect: {e}")))?;
        tcp.set_read_timeout(Some(config.timeout))
            .and_then(|()| tcp.set_write_timeout(Some(config.timeout)))
            .map_err(|e| fail(e.to_string()))?;
        let stream = if config.use_tls {
            let tls = native_tls::TlsConnector::new().map_err(|e| fail(format!("TLS: {e}")))?;
            Stream::Tls(Box::new(
                tls.connect(&config.host, tcp)
                    .map_err(|e| fail(format!("TLS: {e}")))?,
            ))
        } else {
            Stream::Plain(tcp)
        };
        let mut client = imap::Client::new(stream);
        client
            .read_greeting()
            .map_err(|e| fail(format!("no greeting: {e}")))?;
        let mut session = client
            .login(&config.username, &config.password)
            .map_err(|(e, _)| fail(format!("login refused: {e}")))?;
        session
            .select(&config.folder)
            .map_err(|e| fail(format!("cannot open folder {:?}: {e}", config.folder)))?;
        Ok(Mailbox {
            session,
            config: config.clone(),
            folders: std::collections::HashSet::new(),
        })
    }

    fn fail(&self, what: &str, e: impl std::fmt::Display) -> CollectError {
        CollectError::Mailbox {
            server: self.config.server(),
            reason: redact(&format!("{what}: {e}"), &self.config.password),
        }
    }

    /// Every message of the folder with its size, oldest first (by UID).
    pub fn messages(&mut self) -> Result<Vec<(u32, u64)>, CollectError> {
        let fetched = self
            .session
            .uid_fetch("1:*", "RFC822.SIZE")
            .map_err(|e| self.fail("listing messages", e))?;
        let mut out: Vec<(u32, u64)> = fetched
            .iter()
            .filter_map(|m| Some((m.uid?, m.size.map_or(0, u64::from))))
            .collect();
        out.sort_unstable();
        Ok(out)
    }

    /// The whole message, or only its header when `header_only`; `None`
    /// when the server has no such message any more (another client moved
    /// or deleted it since the listing).
    pub fn fetch(&mut self, uid: u32, header_only: bool) -> Result<Option<Vec<u8>>, CollectError> {
        let query = if header_only {
            "BODY.PEEK[HEADER]"
        } else {
            "BODY.PEEK[]"
        };
        let f = self
            .session
            .uid_fetch(uid.to_string(), query)
            .map_err(|e| self.fail("reading a message", e))?;
        Ok(f.iter()
            .find_map(|m| if header_only { m.header() } else { m.body() })
            .map(<[u8]>::to_vec))
    }

    /// Moves each message to its folder, one move per folder, creating the
    /// folders when missing.
    pub(crate) fn file_all(&mut self, moves: &[crate::Move]) -> Result<(), CollectError> {
        let mut by_folder: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for m in moves {
            by_folder
                .entry(&m.folder)
                .or_default()
                .push(m.uid.to_string());
        }
        for (folder, uids) in by_folder {
            // An existing folder makes CREATE fail; that is fine.
            if self.folders.insert(folder.to_string()) {
                let _ = self.session.create(folder);
            }
            self.session
                .uid_mv(uids.join(","), folder)
                .map_err(|e| self.fail(&format!("moving messages to {folder:?}"), e))?;
        }
        Ok(())
    }

    /// Logs out politely.
    pub fn close(mut self) {
        let _ = self.session.logout();
    }
}
