//! Test support (feature `testing`): a throwaway Dovecot IMAP server on
//! 127.0.0.1, from its own config in a temp folder (passwd-file user,
//! Maildir, plaintext login), stopped when dropped. Failures abort the test.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::mailbox::{ImapConfig, Stream};

/// The user and password of the mailbox.
pub const USER: &str = "leads";
pub const PASSWORD: &str = "s3cret-imap";

/// A running Dovecot.
#[derive(Debug)]
pub struct ImapServer {
    pub port: u16,
    dir: tempfile::TempDir,
}

fn dovecot() -> PathBuf {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!("dovecot is needed: run scripts/install-test-deps (Debian's dovecot-imapd)")
        })
}

impl ImapServer {
    /// Starts a server on a free port; waits until it accepts connections.
    pub fn start() -> ImapServer {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // The mail user: an unprivileged uid that owns the Maildir.
        let (uid, gid) = (65534, 65534);
        let home = root.join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::os::unix::fs::chown(&home, Some(uid), Some(gid)).unwrap();
        std::fs::write(
            root.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        let conf = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nfirst_valid_uid = 1\nfirst_valid_gid = 1\n\
             mail_location = maildir:~/Maildir\n\
             passdb {{\n  driver = passwd-file\n  args = {r}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={h}\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n",
            r = root.display(),
            h = home.display(),
        );
        let conf_path = root.join("dovecot.conf");
        std::fs::write(&conf_path, conf).unwrap();
        // The daemon keeps whatever it inherits open: give it nothing to
        // hold (its own log says what goes wrong).
        let status = std::process::Command::new(dovecot())
            .arg("-c")
            .arg(&conf_path)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "dovecot did not start: {}",
            std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default()
        );
        let server = ImapServer { port, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot never listened: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Its log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The settings that reach it.
    pub fn config(&self) -> ImapConfig {
        ImapConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            use_tls: false,
            username: USER.into(),
            password: PASSWORD.into(),
            folder: "INBOX".into(),
            collected_folder: "Collected".into(),
            refused_folder: "Refused".into(),
            timeout: Duration::from_secs(10),
        }
    }

    fn session(&self) -> imap::Session<Stream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut client = imap::Client::new(Stream::Plain(tcp));
        client.read_greeting().unwrap();
        client.login(USER, PASSWORD).map_err(|(e, _)| e).unwrap()
    }

    /// Puts a message into `folder` (IMAP APPEND), as a reply arriving.
    pub fn append(&self, folder: &str, message: &[u8]) {
        let mut s = self.session();
        let _ = s.create(folder);
        s.append(folder, message).finish().unwrap();
        let _ = s.logout();
    }

    /// How many messages `folder` holds (0 when it does not exist).
    pub fn count(&self, folder: &str) -> usize {
        let mut s = self.session();
        let n = s.select(folder).map(|m| m.exists as usize).unwrap_or(0);
        let _ = s.logout();
        n
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.dir.path().join("run").join("master.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok());
        if let Some(pid) = pid {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
    }
}

/// A reply from `from` with the given attachments (name, content type,
/// bytes), threaded to nothing in particular.
pub fn reply(
    from: &str,
    message_id: &str,
    subject: &str,
    attachments: &[(&str, &str, &[u8])],
) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut m = String::new();
    let _ = write!(
        m,
        "From: {from}\r\nTo: leads@example.com\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFilled sheet attached.\r\n"
    );
    for (name, ctype, bytes) in attachments {
        let b64 = base64_lines(bytes);
        let _ = write!(
            m,
            "--XX\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
        );
    }
    m.push_str("--XX--\r\n");
    m.into_bytes()
}

fn base64_lines(bytes: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    lines.join("\r\n")
}
