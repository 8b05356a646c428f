//! Test support (feature `testing`): a real SMTP server on 127.0.0.1
//! (mailin-embedded) that records every message it accepts and can refuse
//! chosen recipients. Every message it hands to a test has passed a strict
//! parser first (Python's `email` package with `policy=default`): a header
//! defect fails the test that reads it.
#![allow(clippy::panic)]

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mailin_embedded::response::{NO_MAILBOX, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};

/// A message as the server received it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    pub from: String,
    /// Envelope recipients (RCPT TO).
    pub rcpt: Vec<String>,
    /// The raw message.
    pub data: Vec<u8>,
}

#[derive(Clone)]
struct Sink {
    inbox: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<Mutex<HashSet<String>>>,
    current: Received,
}

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> Response {
        let refused = self
            .refuse
            .lock()
            .map(|r| r.contains(&to.to_lowercase()))
            .unwrap_or(false);
        if refused {
            NO_MAILBOX
        } else {
            OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Received {
            from: from.to_string(),
            rcpt: to.to_vec(),
            data: Vec::new(),
        };
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.push(std::mem::take(&mut self.current));
        }
        OK
    }
}

/// A running SMTP server; it lives until the process ends.
#[derive(Debug, Clone)]
pub struct SmtpSink {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<Mutex<HashSet<String>>>,
}

impl SmtpSink {
    /// Starts a server on a free 127.0.0.1 port.
    pub fn start() -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(Mutex::new(HashSet::new()));
        let handler = Sink {
            inbox: inbox.clone(),
            refuse: refuse.clone(),
            current: Received::default(),
        };
        let mut server = Server::new(handler);
        server
            .with_name("sink.test")
            .with_ssl(SslConfig::None)
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .with_num_threads(4)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                log::error!("SMTP sink stopped: {e}");
            }
        });
        Ok(SmtpSink {
            port,
            inbox,
            refuse,
        })
    }

    /// The settings that reach it (no login, no TLS).
    pub fn config(&self) -> crate::SmtpConfig {
        crate::SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            username: None,
            password: None,
            use_tls: false,
            timeout: std::time::Duration::from_secs(10),
        }
    }

    /// Messages received so far, each checked by the strict parser.
    pub fn received(&self) -> Vec<Received> {
        let all = self.inbox.lock().map(|v| v.clone()).unwrap_or_default();
        if let Err(defects) = strictly_parsed(&all) {
            panic!("a received email has header defects:\n{defects}");
        }
        all
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        if let Ok(mut v) = self.inbox.lock() {
            v.clear();
        }
    }

    /// Refuses (550) RCPT TO for `address` from now on.
    pub fn refuse(&self, address: &str) {
        if let Ok(mut r) = self.refuse.lock() {
            r.insert(address.to_lowercase());
        }
    }

    /// Accepts every recipient again.
    pub fn accept_all(&self) {
        if let Ok(mut r) = self.refuse.lock() {
            r.clear();
        }
    }
}

/// Parses every message with Python's `email` package (`policy=default`,
/// the strict modern parser) and lists every defect it finds in a message,
/// a part or a header (an obsolete phrase, a bad encoded word, …).
pub fn strictly_parsed(messages: &[Received]) -> Result<(), String> {
    if messages.is_empty() {
        return Ok(());
    }
    let dir = tempfile_dir()?;
    let mut paths = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let path = dir.join(format!("{i}.eml"));
        std::fs::write(&path, &m.data).map_err(|e| e.to_string())?;
        paths.push(path);
    }
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(STRICT_PARSER)
        .args(&paths)
        .output()
        .map_err(|e| format!("python3 (for the strict email parser): {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "la-strict-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

const STRICT_PARSER: &str = r#"
import sys, email
from email import policy
bad = []
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        msg = email.message_from_binary_file(f, policy=policy.default)
    found = [repr(d) for d in msg.defects]
    for part in msg.walk():
        found += [repr(d) for d in part.defects]
        for name, value in part.items():
            found += ['%s: %r' % (name, d) for d in getattr(value, 'defects', ())]
        if part.get_content_disposition() == 'attachment':
            if not part.get_param('name'):
                found.append('attachment without name= on Content-Type')
    if found:
        bad.append('%s: %s' % (path, '; '.join(found)))
print('\n'.join(bad))
sys.exit(1 if bad else 0)
"#;
