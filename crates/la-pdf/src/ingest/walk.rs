//! Which files a list of paths names, and reading one safely
//! (docs/decisions.md D25): folders are walked without following links to
//! folders, each file is taken once (by device and inode), anything that is
//! not a regular file is skipped with a word, and a file is opened without
//! blocking, checked to be a regular file of at most the size limit, and
//! read no further than that limit.

use std::collections::HashSet;
use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::IngestError;

/// A path passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: skipped: {}", self.path.display(), self.reason)
    }
}

/// The files to ingest, in order, and what was passed over.
#[derive(Debug, Default)]
pub struct Found {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// The files `paths` name: a file as given (a link the operator names is
/// followed once), a folder searched for `*.pdf` in name order. Inside
/// folders, links to folders are not followed; a file reached twice (two
/// links, a path given twice) is taken once.
pub fn find_sheets(paths: &[PathBuf]) -> Found {
    let mut walk = Walk::default();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk.dir(p, &m),
            Ok(m) => walk.file(p, &m),
            Err(e) => walk.skip(p, format!("cannot read: {e}")),
        }
    }
    walk.found
}

#[derive(Default)]
struct Walk {
    found: Found,
    /// (device, inode) of every file and folder taken.
    seen: HashSet<(u64, u64)>,
}

impl Walk {
    fn skip(&mut self, path: &Path, reason: String) {
        self.found.skipped.push(Skipped {
            path: path.to_path_buf(),
            reason,
        });
    }

    fn file(&mut self, path: &Path, m: &Metadata) {
        if let Some(what) = not_regular(m) {
            return self.skip(path, format!("{what}, not a regular file"));
        }
        if self.seen.insert((m.dev(), m.ino())) {
            self.found.files.push(path.to_path_buf());
        }
    }

    fn dir(&mut self, path: &Path, m: &Metadata) {
        if !self.seen.insert((m.dev(), m.ino())) {
            return;
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return self.skip(path, format!("cannot read the folder: {e}")),
        };
        entries.sort();
        for p in entries {
            let Ok(own) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if own.is_dir() {
                self.dir(&p, &own);
                continue;
            }
            if !is_pdf_name(&p) {
                continue;
            }
            if !own.file_type().is_symlink() {
                self.file(&p, &own);
                continue;
            }
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => self.skip(&p, "a link to a folder, not followed".into()),
                Ok(m) => self.file(&p, &m),
                Err(e) => self.skip(&p, format!("a link that leads nowhere: {e}")),
            }
        }
    }
}

fn is_pdf_name(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
}

/// What a non-regular file is, in words.
fn not_regular(m: &Metadata) -> Option<&'static str> {
    let t = m.file_type();
    Some(if t.is_file() {
        return None;
    } else if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    })
}

/// Reads `path` whole if it is a regular file of at most `limit` bytes. The
/// file is opened without blocking (a FIFO cannot hang the caller), and the
/// checks are made on the open file, so what is read is what was checked.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let m = file.metadata().map_err(io)?;
    if let Some(what) = not_regular(&m) {
        return Err(IngestError::NotRegular {
            path: path.to_path_buf(),
            what,
        });
    }
    if m.len() > limit {
        return Err(too_large(path, m.len(), limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(m.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, bytes.len() as u64, limit));
    }
    Ok(bytes)
}

fn too_large(path: &Path, size: u64, limit: u64) -> IngestError {
    IngestError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    }
}
