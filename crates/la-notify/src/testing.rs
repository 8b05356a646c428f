//! Test support (feature `testing`): a real SMTP server on 127.0.0.1
//! (mailin-embedded) that records every message it accepts and can refuse
//! chosen recipients.

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

    /// Messages received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().map(|v| v.clone()).unwrap_or_default()
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
