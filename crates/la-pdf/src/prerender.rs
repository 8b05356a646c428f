//! Sheets rendered ahead (docs/decisions.md D23): while a batch's assignment
//! transaction is still open, each sheet is rendered beside it and
//! staged (written and synced under a random name in the sheet folder) by
//! two renderer threads.
//! After the commit, [`Prerender::finish`] names each file and writes its
//! `documents` row, then writes the usual way whatever is still missing. If
//! the run rolls back, dropping the `Prerender` deletes every staged file.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use diesel::PgConnection;

use crate::files::ReportsLayout;
use crate::identity::{sign_sheet, SheetKey};
use crate::sheet::Sheet;
use crate::sheets::{
    generate_sheets, PdfError, PdfOptions, SheetMeta, SheetOutcome, SheetSink, Staged,
};

/// Sheets queued for the renderers before the assignment waits for them
/// (about 16,000 leads of 250-lead sheets: a few MB).
const QUEUE: usize = 64;

/// Renderer threads: one renders while the other waits for its file's sync.
const RENDERERS: usize = 2;

/// A sheet rendered ahead: its place in the queue, what names it, its file.
struct Ahead {
    seq: usize,
    meta: SheetMeta,
    staged: Result<Staged, String>,
}

type Rendered = Vec<Ahead>;

/// A batch's sheets being rendered ahead of its commit.
#[derive(Debug)]
pub struct Prerender {
    reports_root: PathBuf,
    key: SheetKey,
    /// The sheet folder, once the first sheet named the batch date.
    dir: Option<PathBuf>,
    queue: Option<SyncSender<(usize, i64, Sheet)>>,
    workers: Vec<JoinHandle<Rendered>>,
    /// Sheets queued so far.
    queued: usize,
    /// Set when rendering ahead cannot go on; the sheets are then written
    /// after the commit instead.
    stopped: bool,
}

impl Prerender {
    /// Nothing runs until the first sheet arrives.
    pub fn new(reports_root: &Path, key: SheetKey) -> Prerender {
        Prerender {
            reports_root: reports_root.to_path_buf(),
            key,
            dir: None,
            queue: None,
            workers: Vec::new(),
            queued: 0,
            stopped: false,
        }
    }

    /// Signs `sheet` (it belongs to agent `agent_id`) and queues it; waits
    /// while the renderer is `QUEUE` sheets behind. A sheet that cannot be
    /// queued is simply written after the commit.
    pub fn add(&mut self, mut sheet: Sheet, agent_id: i64) {
        if self.stopped {
            return;
        }
        if let Err(e) = sign_sheet(&mut sheet, agent_id, &self.key) {
            return self.stop(&e.to_string());
        }
        if self.queue.is_none() {
            if let Err(e) = self.start(sheet.header.batch_date) {
                return self.stop(&e);
            }
        }
        let sent = self
            .queue
            .as_ref()
            .is_some_and(|q| q.send((self.queued, agent_id, sheet)).is_ok());
        if sent {
            self.queued += 1;
        } else {
            self.stop("the renderer threads stopped");
        }
    }

    fn start(&mut self, batch_date: chrono::NaiveDate) -> Result<(), String> {
        let layout = ReportsLayout::new(&self.reports_root);
        let dir = layout
            .ready_sheet_dir(batch_date)
            .map_err(|e| format!("{}: {e}", layout.sheet_dir(batch_date).display()))?;
        let (tx, rx) = sync_channel::<(usize, i64, Sheet)>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for k in 0..RENDERERS {
            let (rx, dir) = (Arc::clone(&rx), dir.clone());
            let worker = std::thread::Builder::new()
                .name(format!("la-sheets-ahead-{k}"))
                .spawn(move || render_queue(&rx, &dir))
                .map_err(|e| format!("starting a renderer thread: {e}"))?;
            self.workers.push(worker);
        }
        self.dir = Some(dir);
        self.queue = Some(tx);
        Ok(())
    }

    fn stop(&mut self, why: &str) {
        log::warn!("sheets are written after the commit instead of ahead: {why}");
        self.stopped = true;
    }

    /// Waits for the renderers and hands their sheets over, in queue order.
    fn rendered(&mut self) -> Rendered {
        self.queue = None;
        let mut all: Rendered = self
            .workers
            .drain(..)
            .filter_map(|w| w.join().ok())
            .flatten()
            .collect();
        all.sort_by_key(|a| a.seq);
        all
    }

    /// After the batch is committed: names each staged file and writes its
    /// row (in order, under the batch's lock), then writes whatever sheet of
    /// the batch is still missing as [`generate_sheets`] does.
    pub fn finish(
        mut self,
        conn: &mut PgConnection,
        batch_id: i64,
        options: &PdfOptions,
    ) -> Result<Vec<SheetOutcome>, PdfError> {
        let rendered = self.rendered();
        let mut done = Vec::new();
        if let Some(dir) = self.dir.take() {
            let mut sink = SheetSink::new(batch_id, &dir, options, rendered.len());
            for a in rendered {
                sink.place(conn, &a.meta, a.staged);
            }
            // A sheet that failed here is written again below.
            done = match sink.finish() {
                Ok(d) | Err(PdfError::Sheets { done: d, .. }) => d,
                Err(e) => return Err(e),
            };
        }
        let rest = PdfOptions {
            only_missing: true,
            ..options.clone()
        };
        match generate_sheets(conn, batch_id, &rest) {
            Ok(more) => {
                done.extend(more);
                Ok(done)
            }
            Err(PdfError::Sheets {
                done: more, failed, ..
            }) => {
                done.extend(more);
                Err(PdfError::Sheets {
                    batch_id,
                    done,
                    failed,
                })
            }
            Err(e) => Err(e),
        }
    }
}

/// One renderer: takes queued sheets until the queue closes.
fn render_queue(rx: &Mutex<Receiver<(usize, i64, Sheet)>>, dir: &Path) -> Rendered {
    let mut out = Vec::new();
    loop {
        // The lock is held only to take the next sheet.
        let next = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => break,
        };
        let Ok((seq, agent_id, sheet)) = next else {
            break;
        };
        let staged = Staged::render(&sheet, dir);
        let meta = SheetMeta {
            agent_id,
            leads: sheet.rows.len(),
            header: sheet.header,
        };
        out.push(Ahead { seq, meta, staged });
    }
    out
}

impl Drop for Prerender {
    /// A run that did not commit: the renderer is stopped and joined, and
    /// every staged file is deleted with its result.
    fn drop(&mut self) {
        drop(self.rendered());
    }
}
