//! The file around a sheet's objects: small dictionaries (fields, widgets,
//! fonts) packed into compressed object streams, the rest (content streams,
//! pages, the catalog) at top level, and a compressed cross-reference stream
//! (PDF 1.5). Each object's byte range is recorded as it is written, so its
//! bytes and number are known exactly without parsing anything. Every
//! stream is deflated by [`compress`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;

use pdf_writer::{Chunk, Ref, Settings};

/// Objects per object stream: enough to compress well, few enough that a
/// reader never inflates much to reach one object.
const PER_STREAM: usize = 200;

/// A sheet's objects: two chunks (top level, and to be packed), and the byte
/// range of each object in them.
pub(crate) struct Objects {
    top: Chunk,
    top_spans: Vec<(i32, Range<usize>)>,
    packed: Chunk,
    packed_spans: Vec<(i32, Range<usize>)>,
}

impl Default for Objects {
    fn default() -> Objects {
        Objects {
            top: chunk(),
            top_spans: Vec::new(),
            packed: chunk(),
            packed_spans: Vec::new(),
        }
    }
}

/// Where an object lives, for its cross-reference entry.
#[derive(Clone, Copy)]
enum Entry {
    Free,
    /// At this byte offset of the file.
    InFile(usize),
    /// The `index`-th object of object stream `stream`.
    Packed {
        stream: i32,
        index: u16,
    },
}

fn chunk() -> Chunk {
    Chunk::with_settings(Settings { pretty: false })
}

impl Objects {
    /// Writes object `id` at top level (streams, pages, catalog): `write`
    /// writes exactly that one object.
    pub fn top<R>(&mut self, id: Ref, write: impl FnOnce(&mut Chunk) -> R) -> R {
        let start = self.top.len();
        let r = write(&mut self.top);
        self.top_spans.push((id.get(), start..self.top.len()));
        r
    }

    /// Writes object `id`, a small dictionary, into an object stream.
    pub(crate) fn packed<R>(&mut self, id: Ref, write: impl FnOnce(&mut Chunk) -> R) -> R {
        let start = self.packed.len();
        let r = write(&mut self.packed);
        self.packed_spans.push((id.get(), start..self.packed.len()));
        r
    }

    /// The file. `next_id` is the first object number not yet used.
    pub fn finish(self, next_id: i32, catalog: Ref, info: Ref) -> Result<Vec<u8>, String> {
        let mut out: Vec<u8> = b"%PDF-1.7\n%\x80\x80\x80\x80\n".to_vec();
        let mut entries: Vec<(i32, Entry)> =
            Vec::with_capacity(self.top_spans.len() + self.packed_spans.len() + 16);
        let top = self.top.as_bytes();
        out.reserve(top.len() + self.packed.len() / 4);
        for (id, span) in &self.top_spans {
            entries.push((*id, Entry::InFile(out.len() + span.start)));
        }
        out.extend_from_slice(top);
        let packed = self.packed.as_bytes();
        let mut next = next_id;
        for group in self.packed_spans.chunks(PER_STREAM) {
            let stream = next;
            next += 1;
            let mut header = String::new();
            let mut data =
                Vec::with_capacity(packed.len() / self.packed_spans.len().max(1) * group.len());
            for (index, (id, span)) in group.iter().enumerate() {
                let id = *id;
                let _ = write!(header, "{id} {} ", data.len());
                data.extend_from_slice(body(&packed[span.clone()], id)?);
                data.push(b'\n');
                let index = u16::try_from(index).map_err(|e| e.to_string())?;
                entries.push((id, Entry::Packed { stream, index }));
            }
            let first = header.len();
            let mut raw = header.into_bytes();
            raw.extend_from_slice(&data);
            entries.push((stream, Entry::InFile(out.len())));
            write_stream(
                &mut out,
                stream,
                &format!("/Type/ObjStm/N {}/First {first}", group.len()),
                &compress(&raw),
            );
        }
        let xref = next;
        let xref_offset = out.len();
        entries.push((xref, Entry::InFile(xref_offset)));
        let table = xref_table(entries, xref + 1)?;
        write_stream(
            &mut out,
            xref,
            &format!(
                "/Type/XRef/Size {}/W[1 4 2]/Root {} 0 R/Info {} 0 R",
                xref + 1,
                catalog.get(),
                info.get()
            ),
            &compress(&table),
        );
        let _ = write!(out, "startxref\n{xref_offset}\n%%EOF\n");
        Ok(out)
    }
}

/// The object's value, without `N 0 obj` and `endobj`.
fn body(bytes: &[u8], id: i32) -> Result<&[u8], String> {
    // "N 0 obj" is the first line; nothing else of the object precedes it.
    let line = bytes.iter().position(|&b| b == b'\n');
    line.filter(|&n| bytes[..n].ends_with(b" 0 obj"))
        .and_then(|n| bytes[n + 1..].strip_suffix(b"\nendobj\n"))
        .ok_or_else(|| format!("object {id} is not one plain object"))
}

fn write_stream(out: &mut Vec<u8>, id: i32, dict: &str, data: &[u8]) {
    let _ = write!(
        out,
        "{id} 0 obj\n<<{dict}/Filter/FlateDecode/Length {}>>\nstream\n",
        data.len()
    );
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
}

/// The cross-reference stream's rows for objects `0..size`, 7 bytes each
/// (`/W [1 4 2]`); numbers never written are free.
fn xref_table(entries: Vec<(i32, Entry)>, size: i32) -> Result<Vec<u8>, String> {
    let size = usize::try_from(size).map_err(|e| e.to_string())?;
    let mut rows = vec![Entry::Free; size];
    for (id, entry) in entries {
        let slot = usize::try_from(id)
            .ok()
            .and_then(|i| rows.get_mut(i))
            .ok_or_else(|| format!("object number {id} out of range"))?;
        if !matches!(slot, Entry::Free) {
            return Err(format!("object number {id} written twice"));
        }
        *slot = entry;
    }
    let mut table = Vec::with_capacity(size * 7);
    for (i, entry) in rows.into_iter().enumerate() {
        let (kind, field2, field3): (u8, u32, u16) = match entry {
            Entry::Free if i == 0 => (0, 0, 0xFFFF),
            Entry::Free => (0, 0, 0),
            Entry::InFile(offset) => (1, u32::try_from(offset).map_err(|e| e.to_string())?, 0),
            Entry::Packed { stream, index } => {
                (2, u32::try_from(stream).map_err(|e| e.to_string())?, index)
            }
        };
        table.push(kind);
        table.extend_from_slice(&field2.to_be_bytes());
        table.extend_from_slice(&field3.to_be_bytes());
    }
    Ok(table)
}

/// `data` deflated (zlib), as every stream of a sheet is.
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    thread_local! {
        // One deflate state per thread, reset between streams: a sheet has
        // dozens of streams, and a fresh state costs more than a small one.
        static DEFLATE: std::cell::RefCell<flate2::Compress> =
            std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), true));
    }
    DEFLATE.with(|z| {
        let mut z = z.borrow_mut();
        z.reset();
        let mut out = Vec::with_capacity(data.len() / 3 + 64);
        loop {
            let consumed = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
            let rest = data.get(consumed..).unwrap_or_default();
            match z.compress_vec(rest, &mut out, flate2::FlushCompress::Finish) {
                Ok(flate2::Status::StreamEnd) => break,
                // More room needed: grow and go on.
                Ok(_) => out.reserve(out.capacity().max(64)),
                // Deflating into memory does not fail; were it to, the
                // stream is stored uncompressed instead of being cut short.
                Err(_) => return stored(data),
            }
        }
        out
    })
}

/// `data` as a zlib stream of stored (uncompressed) blocks.
fn stored(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::none());
    let _ = std::io::Write::write_all(&mut z, data);
    z.finish().unwrap_or_default()
}
