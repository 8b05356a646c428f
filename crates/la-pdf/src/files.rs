//! Where the pipeline's files go and how they are written: the reports-folder
//! layout, file names built from codes (docs/decisions.md D9, D15), and the
//! one safe way to write a file (random temp name, create-new, fsync, rename).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// The reports tree under a root: `{root}/leads_assignment/{YYYY-MM-DD}/` for
/// sheets and `{root}/leads_assignment/outbox/` for `.eml` files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportsLayout {
    root: PathBuf,
}

impl ReportsLayout {
    /// The layout under `root`.
    pub fn new(root: impl Into<PathBuf>) -> ReportsLayout {
        ReportsLayout { root: root.into() }
    }

    /// The folder of one business date's sheets.
    pub fn sheet_dir(&self, batch_date: NaiveDate) -> PathBuf {
        self.base().join(batch_date.format("%Y-%m-%d").to_string())
    }

    /// The folder of one business date's sheets, made if missing, as an
    /// absolute path (docs/decisions.md D15: `documents.file_path` is
    /// absolute, whatever the root was). Staged files a killed process left
    /// there more than a day ago are removed on the way.
    pub(crate) fn ready_sheet_dir(&self, batch_date: NaiveDate) -> std::io::Result<PathBuf> {
        let dir = self.ready(&batch_date.format("%Y-%m-%d").to_string())?;
        sweep_staged(&dir, std::time::Duration::from_secs(24 * 3600));
        Ok(dir)
    }

    /// The outbox folder.
    pub fn outbox_dir(&self) -> PathBuf {
        self.base().join("outbox")
    }

    /// `{root}/leads_assignment/{leaf}`, each folder below the root made if
    /// missing and refused if it is a link or not a folder (docs/decisions.md
    /// D26: the root may be a link the operator chose; nothing below it is
    /// followed). Absolute.
    fn ready(&self, leaf: &str) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.root)?;
        let root = std::fs::canonicalize(&self.root)?;
        let base = real_dir(&root.join("leads_assignment"))?;
        real_dir(&base.join(leaf))
    }

    fn base(&self) -> PathBuf {
        self.root.join("leads_assignment")
    }
}

/// Makes `dir` if missing (never through a link) and checks that it is a
/// folder, not a link to one.
pub fn real_dir(dir: &Path) -> std::io::Result<PathBuf> {
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let m = std::fs::symlink_metadata(dir)?;
    if m.file_type().is_symlink() || !m.is_dir() {
        let what = if m.file_type().is_symlink() {
            "a link"
        } else {
            "not a folder"
        };
        return Err(std::io::Error::other(format!(
            "{} is {what}; refusing to write through it (remove it, and let the pipeline make the folder)",
            dir.display()
        )));
    }
    Ok(dir.to_path_buf())
}

/// Reads the regular file at `path` without following a link at it and
/// without blocking on a FIFO; what is read is what was checked.
pub(crate) fn read_no_follow(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    let m = file.metadata()?;
    if !m.is_file() {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(m.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// SHA-256 of `bytes`, lowercase hex: how `documents.checksum` is written.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file at `path` if it is exactly what was written: a regular file, not
/// a link, whose SHA-256 is `checksum` (docs/decisions.md D26).
pub fn read_verified(path: &Path, checksum: Option<&str>) -> Result<Vec<u8>, String> {
    let bytes = read_no_follow(path).map_err(|e| e.to_string())?;
    match checksum {
        Some(c) if c.eq_ignore_ascii_case(&sha256_hex(&bytes)) => Ok(bytes),
        Some(_) => Err(
            "its content is not what was written (SHA-256 differs from documents.checksum)".into(),
        ),
        None => Err("documents has no checksum for it".into()),
    }
}

/// Removes the files [`stage_file`] left in `dir` (a process killed between
/// staging and naming) once they are older than `age`, so no live writer's
/// file is touched. Best effort: what cannot be removed is logged.
fn sweep_staged(dir: &Path, age: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(STAGED_PREFIX) && name.ends_with(STAGED_SUFFIX)) {
            continue;
        }
        // symlink_metadata: a link is judged (and removed) as itself.
        let old = e
            .path()
            .symlink_metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|elapsed| elapsed > age);
        if old {
            match std::fs::remove_file(e.path()) {
                Ok(()) => log::info!("removed a stale staged file {}", e.path().display()),
                Err(err) => log::warn!("cannot remove {}: {err}", e.path().display()),
            }
        }
    }
}

/// How staged files are named: `.la-{random}.tmp`.
const STAGED_PREFIX: &str = ".la-";
const STAGED_SUFFIX: &str = ".tmp";

/// A path part safe for any file system: letters, digits, `-`, `_`; anything
/// else becomes `_`, so no value can leave the reports root (D9).
pub fn sanitize(part: &str) -> String {
    let s: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

/// A code as one part of a file name (D15). A code of only letters, digits
/// and `-` is used as it is; any other code is sanitized and gets `-` and a
/// short stable hash of the raw code appended, so two codes never share a
/// part, and (since such parts always contain `_`, which verbatim parts never
/// do) parts joined by `_` never run into each other.
pub fn file_part(code: &str) -> String {
    let verbatim = !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if verbatim {
        return code.to_string();
    }
    let hash = Sha256::digest(code.as_bytes());
    let hex: String = hash.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", sanitize(code))
}

/// `leads_assignment_{YYYY-MM-DD}_{store}_{agent_code}_b{batch_id}.pdf` (D9, D15).
pub(crate) fn sheet_file_name(
    batch_date: NaiveDate,
    store_code: &str,
    agent_code: &str,
    batch_id: i64,
) -> String {
    format!(
        "leads_assignment_{}_{}_{}_b{batch_id}.pdf",
        batch_date.format("%Y-%m-%d"),
        file_part(store_code),
        file_part(agent_code)
    )
}

/// The name a sheet gets when [`sheet_file_name`] is already another sheet's
/// in its batch (docs/decisions.md D15, D26): a 128-bit hash of the raw store
/// and agent codes before the batch id, so it still ends in `_b{batch}.pdf`.
pub(crate) fn unique_sheet_file_name(
    batch_date: NaiveDate,
    store_code: &str,
    agent_code: &str,
    batch_id: i64,
) -> String {
    let base = sheet_file_name(batch_date, store_code, agent_code, batch_id);
    let stem = base
        .strip_suffix(&format!("_b{batch_id}.pdf"))
        .unwrap_or(&base);
    let hash = long_hash(&[store_code, agent_code]);
    format!("{stem}_{hash}_b{batch_id}.pdf")
}

/// 32 hex digits of the SHA-256 of `parts` joined by NUL: what a crafted
/// collision of [`file_part`]'s short hash cannot also share.
pub fn long_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The batch id a sheet's file name carries (inverse of [`sheet_file_name`]);
/// what the tests check names against.
#[cfg(test)]
pub(crate) fn batch_of_file_name(file_name: &str) -> Option<i64> {
    file_name
        .strip_suffix(".pdf")?
        .rsplit_once("_b")?
        .1
        .parse()
        .ok()
}

/// Writes `bytes` to `dir/name` so that no reader ever sees a partial file and
/// nothing planted in the folder is followed: a temp file with a random name is
/// created next to the target with create-new semantics, written, synced and
/// renamed over `name` (a link at `name` is replaced, never followed). On any
/// failure the temp file is removed. `name` must be a plain file name.
pub fn write_file_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    plain_name(name)?;
    stage_file(dir, bytes)?.place(name)
}

/// A file written and synced under a random name in its folder, not yet at
/// its own name; removed when dropped unless placed. Staging is the slow part
/// (the sync), and can run on any thread.
#[derive(Debug)]
pub struct StagedFile {
    /// Closed: a staged file holds no descriptor while it waits.
    tmp: tempfile::TempPath,
    dir: PathBuf,
}

/// The first half of [`write_file_atomically`]: create-new under a random
/// name in `dir`, write, sync.
pub(crate) fn stage_file(dir: &Path, bytes: &[u8]) -> std::io::Result<StagedFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(STAGED_PREFIX)
        .suffix(STAGED_SUFFIX)
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(StagedFile {
        tmp: tmp.into_temp_path(),
        dir: dir.to_path_buf(),
    })
}

impl StagedFile {
    /// Renames the file to `name` in its folder (a link there is replaced,
    /// never followed).
    pub fn place(self, name: &str) -> std::io::Result<PathBuf> {
        plain_name(name)?;
        let path = self.dir.join(name);
        self.tmp.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }
}

fn plain_name(name: &str) -> std::io::Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{name:?} is not a plain file name"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitized_parts_cannot_escape() {
        assert_eq!(sanitize("../../etc"), "______etc");
        assert_eq!(sanitize("A/1"), "A_1");
        assert_eq!(sanitize(""), "_");
    }

    #[test]
    fn file_parts_keep_plain_codes_and_never_collide() {
        assert_eq!(file_part("S01"), "S01");
        assert_eq!(file_part("0001"), "0001");
        let pairs = [
            ("BLR.01", "BLR_01"),
            ("A 1", "A_1"),
            ("../x", "__/x"),
            ("", "_"),
        ];
        for (a, b) in pairs {
            assert_ne!(file_part(a), file_part(b), "{a:?} vs {b:?}");
            assert_eq!(file_part(a), file_part(a), "stable");
            assert!(file_part(a).contains('_'), "{}", file_part(a));
        }
        // Store S1_X + agent 01 versus store S1 + agent X_01.
        let d = NaiveDate::from_ymd_opt(2025, 1, 29).unwrap_or_default();
        assert_ne!(
            sheet_file_name(d, "S1_X", "01", 5),
            sheet_file_name(d, "S1", "X_01", 5)
        );
    }

    #[test]
    fn sheet_names_round_trip_their_batch() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 29).unwrap_or_default();
        assert_eq!(
            sheet_file_name(d, "S01", "0001", 7),
            "leads_assignment_2025-01-29_S01_0001_b7.pdf"
        );
        assert_eq!(
            batch_of_file_name(&sheet_file_name(d, "A_b1", "0001", 17)),
            Some(17)
        );
    }

    #[test]
    fn atomic_writes_replace_links_instead_of_following_them() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, b"keep")?;
        let target = dir.path().join("sheets");
        std::fs::create_dir_all(&target)?;
        std::os::unix::fs::symlink(&outside, target.join("a.pdf"))?;
        let path = write_file_atomically(&target, "a.pdf", b"new")?;
        assert_eq!(std::fs::read(&outside)?, b"keep");
        assert_eq!(std::fs::read(&path)?, b"new");
        assert!(!std::fs::symlink_metadata(&path)?.file_type().is_symlink());
        assert!(write_file_atomically(&target, "../b.pdf", b"x").is_err());
        let leftovers: Vec<_> = std::fs::read_dir(&target)?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        Ok(())
    }
}
