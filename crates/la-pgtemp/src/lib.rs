//! A throwaway PostgreSQL server for tests, benchmarks and the `demo` command.
//!
//! It owns finding the local server binaries, `initdb` into a temporary
//! directory, starting `postgres` on a free 127.0.0.1 port (as the unprivileged
//! `postgres` user when running as root, since PostgreSQL refuses root), creating
//! databases (optionally cloned from a template), and removing everything again.
//!
//! Cleanup does not depend on destructors: the server runs under a small
//! `sh` watchdog whose standard input is a pipe held by this process. When the
//! pipe closes — [`TempServer::stop`], or this process exiting for any reason,
//! `SIGKILL` included — the watchdog shuts the server down and deletes the
//! directory. This crate reads `PATH` to locate executables, like a shell does;
//! it reads no other environment.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};

/// Why the throwaway server could not be provided.
#[derive(Debug, thiserror::Error)]
pub enum PgTempError {
    /// No `initdb`/`postgres` pair was found.
    #[error(
        "PostgreSQL server binaries (initdb, postgres) not found on PATH or under \
         /usr/lib/postgresql/*/bin; install them (Debian/Ubuntu: apt-get install postgresql)"
    )]
    BinariesNotFound,
    /// Running as root but there is no unprivileged `postgres` user to run the server as.
    #[error("running as root and no 'postgres' user exists in /etc/passwd: PostgreSQL refuses to run as root; create that user or run as a normal user")]
    NoPostgresUser,
    /// A file-system or process step failed.
    #[error("{step}: {source}")]
    Io {
        /// What was being done.
        step: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `initdb` failed.
    #[error("initdb failed: {0}")]
    Initdb(String),
    /// The server did not come up.
    #[error("PostgreSQL did not start: {0}")]
    Start(String),
    /// A database statement failed.
    #[error("{step}: {message}")]
    Sql {
        /// What was being done.
        step: String,
        /// The database's message.
        message: String,
    },
}

fn io_err(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgTempError {
    let step = step.into();
    move |source| PgTempError::Io { step, source }
}

/// Directory holding `initdb` and `postgres`: next to `initdb` on PATH
/// (following symlinks), else the newest `/usr/lib/postgresql/*/bin`.
pub(crate) fn find_bin_dir() -> Result<PathBuf, PgTempError> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if let Ok(real) = std::fs::canonicalize(&initdb) {
                if let Some(parent) = real.parent() {
                    if has_both(parent) {
                        return Ok(parent.to_path_buf());
                    }
                }
            }
        }
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                    Some((version, e.path().join("bin")))
                })
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .map(|(_, d)| d)
        .find(|d| has_both(d))
        .ok_or(PgTempError::BinariesNotFound)
}

/// uid/gid of the `postgres` user, from /etc/passwd.
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut parts = line.split(':');
        if parts.next()? != "postgres" {
            return None;
        }
        let _password = parts.next()?;
        let uid = parts.next()?.parse().ok()?;
        let gid = parts.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn free_port() -> Result<u16, PgTempError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_err("binding a free port"))?;
    let port = listener
        .local_addr()
        .map_err(io_err("reading the free port"))?
        .port();
    Ok(port)
}

const WATCHDOG: &str = r#"
"$LA_PG_BIN/postgres" -D "$LA_PG_ROOT/data" -p "$LA_PG_PORT" -k "$LA_PG_ROOT/sock" \
  -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
  -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB \
  -c max_locks_per_transaction=256 >"$LA_PG_ROOT/server.log" 2>&1 &
pg=$!
read -r _ignored || true
kill -INT "$pg" 2>/dev/null
wait "$pg"
rm -rf "$LA_PG_ROOT"
"#;

/// A running throwaway server. Dropping it (or [`TempServer::stop`]) shuts it
/// down and deletes its files; so does the end of this process.
#[derive(Debug)]
pub struct TempServer {
    port: u16,
    root: PathBuf,
    child: Mutex<Option<(Child, ChildStdin)>>,
    counter: AtomicU64,
    create_lock: Mutex<()>,
    password: Option<String>,
}

impl TempServer {
    /// initdb + start with trust authentication; blocks until the server
    /// accepts connections.
    pub fn start() -> Result<TempServer, PgTempError> {
        Self::start_inner(None)
    }

    /// Like [`TempServer::start`], but TCP connections must authenticate with
    /// `password` (scram-sha-256) as user `postgres`.
    pub fn start_with_password(password: &str) -> Result<TempServer, PgTempError> {
        Self::start_inner(Some(password.to_string()))
    }

    fn start_inner(password: Option<String>) -> Result<TempServer, PgTempError> {
        let bin = find_bin_dir()?;
        let as_user = if running_as_root() {
            Some(postgres_user().ok_or(PgTempError::NoPostgresUser)?)
        } else {
            None
        };
        let root = prepare_root(as_user)?;
        if let Err(e) = run_initdb(&bin, &root, password.as_deref(), as_user) {
            let _ = std::fs::remove_dir_all(&root);
            return Err(e);
        }
        let port = free_port()?;
        let (child, stdin) = spawn_watchdog(&bin, &root, port, as_user)?;
        let server = TempServer {
            port,
            root,
            child: Mutex::new(Some((child, stdin))),
            counter: AtomicU64::new(0),
            create_lock: Mutex::new(()),
            password,
        };
        server.wait_ready()?;
        log::info!(
            "throwaway PostgreSQL on 127.0.0.1:{port} in {}",
            server.root.display()
        );
        Ok(server)
    }

    fn wait_ready(&self) -> Result<(), PgTempError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && PgConnection::establish(&self.url("postgres")).is_ok()
            {
                return Ok(());
            }
            let exited = match self.child.lock() {
                Ok(mut guard) => match guard.as_mut() {
                    Some((child, _)) => matches!(child.try_wait(), Ok(Some(_))),
                    None => true,
                },
                Err(_) => true,
            };
            if exited || Instant::now() > deadline {
                let mut log = String::new();
                if let Ok(mut f) = std::fs::File::open(self.root.join("server.log")) {
                    let _ = f.read_to_string(&mut log);
                }
                return Err(PgTempError::Start(format!(
                    "server on port {} not ready; log: {}",
                    self.port,
                    log.trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connection URL for database `db` (user `postgres`, with the password if any).
    pub fn url(&self, db: &str) -> String {
        match &self.password {
            Some(pw) => format!("postgres://postgres:{pw}@127.0.0.1:{}/{db}", self.port),
            None => format!("postgres://postgres@127.0.0.1:{}/{db}", self.port),
        }
    }

    /// A new database name unique within this server.
    pub fn unique_name(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}_{}_{n}", std::process::id())
    }

    /// `CREATE DATABASE name [TEMPLATE template]`; returns the new database's URL.
    pub fn create_database(
        &self,
        name: &str,
        template: Option<&str>,
    ) -> Result<String, PgTempError> {
        let _serial = self.create_lock.lock();
        let sql_err = |step: &str| {
            let step = step.to_string();
            move |e: diesel::result::Error| PgTempError::Sql {
                step,
                message: e.to_string(),
            }
        };
        let mut conn =
            PgConnection::establish(&self.url("postgres")).map_err(|e| PgTempError::Sql {
                step: "connecting to the maintenance database".into(),
                message: e.to_string(),
            })?;
        let sql = match template {
            Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{name}\""),
        };
        diesel::sql_query(sql)
            .execute(&mut conn)
            .map_err(sql_err(&format!("creating database {name}")))?;
        Ok(self.url(name))
    }

    /// Shuts the server down and removes its files; waits for both.
    pub fn stop(&self) {
        let taken = self.child.lock().ok().and_then(|mut g| g.take());
        if let Some((mut child, stdin)) = taken {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl Drop for TempServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// (uid, gid) the server runs as when this process is root.
type RunAs = Option<(u32, u32)>;

fn run_as(cmd: &mut Command, as_user: RunAs) {
    if let Some((uid, gid)) = as_user {
        cmd.uid(uid).gid(gid);
    }
}

/// A fresh temporary directory with a socket folder, owned by the server's user.
fn prepare_root(as_user: RunAs) -> Result<PathBuf, PgTempError> {
    let root = tempfile::Builder::new()
        .prefix("la-pgtemp-")
        .tempdir()
        .map_err(io_err("creating the temporary directory"))?
        .keep();
    std::fs::create_dir(root.join("sock")).map_err(io_err("creating the socket directory"))?;
    if let Some((uid, gid)) = as_user {
        for p in [root.clone(), root.join("sock")] {
            std::os::unix::fs::chown(&p, Some(uid), Some(gid))
                .map_err(io_err(format!("chown {} to postgres", p.display())))?;
        }
    }
    Ok(root)
}

/// `initdb` into `root/data`: trust locally, and a password over TCP when given.
fn run_initdb(
    bin: &Path,
    root: &Path,
    password: Option<&str>,
    as_user: RunAs,
) -> Result<(), PgTempError> {
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(root.join("data"))
        .args(["-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        .current_dir(root)
        .stdin(Stdio::null());
    match password {
        None => {
            initdb.args(["-A", "trust"]);
        }
        Some(pw) => {
            let pwfile = root.join("pwfile");
            std::fs::write(&pwfile, pw).map_err(io_err("writing the password file"))?;
            if let Some((uid, gid)) = as_user {
                std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid))
                    .map_err(io_err("chown of the password file"))?;
            }
            initdb
                .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display()));
        }
    }
    run_as(&mut initdb, as_user);
    let out = initdb.output().map_err(io_err("running initdb"))?;
    if !out.status.success() {
        return Err(PgTempError::Initdb(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(())
}

/// The server under a shell watchdog that stops it when this process's pipe closes.
fn spawn_watchdog(
    bin: &Path,
    root: &Path,
    port: u16,
    as_user: RunAs,
) -> Result<(Child, ChildStdin), PgTempError> {
    let mut sh = Command::new("/bin/sh");
    sh.arg("-c")
        .arg(WATCHDOG)
        .env("LA_PG_BIN", bin)
        .env("LA_PG_ROOT", root)
        .env("LA_PG_PORT", port.to_string())
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    run_as(&mut sh, as_user);
    let mut child = sh.spawn().map_err(io_err("starting postgres"))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| PgTempError::Start("no pipe to the watchdog".into()))?;
    Ok((child, stdin))
}
