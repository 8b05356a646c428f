//! Reading a filled sheet's form: each lead's seven values, the page its
//! fields are on, and the sheet's identity field. Pure; never panics.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::{IngestError, Problem};
use crate::identity::IDENTITY_FIELD;
use crate::layout::FIELD_NAMES;

/// The raw values of one lead's seven fields (None = field absent or empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOutcome {
    pub code: String,
    /// The page (from 1) its fields are on, when the file says.
    pub page: Option<u32>,
    /// In [`FIELD_NAMES`] order.
    pub values: [Option<String>; 7],
}

/// What a sheet's form holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetFields {
    /// Every lead, in code order.
    pub leads: Vec<RawOutcome>,
    /// The identity field's value; None on sheets made before it existed.
    pub identity: Option<String>,
}

/// One terminal field: its fully qualified name, value and page.
struct Terminal {
    name: String,
    value: Option<String>,
    page: Option<u32>,
}

/// A form node and its object id (None when it is a direct object).
#[derive(Clone, Copy)]
struct Node<'a> {
    id: Option<ObjectId>,
    dict: &'a Dictionary,
}

/// Where each widget is: the page that lists it in `/Annots`.
type Pages = HashMap<ObjectId, u32>;

pub(super) fn is_lead_code(name: &str) -> bool {
    // L{yymmdd}{agent_code}-{rowid:04}
    let Some((group, rowid)) = name.rsplit_once('-') else {
        return false;
    };
    let g = group.as_bytes();
    g.len() > 7
        && g[0] == b'L'
        && g[1..7].iter().all(u8::is_ascii_digit)
        && rowid.len() >= 4
        && rowid.bytes().all(|b| b.is_ascii_digit())
}

fn text(doc: &Document, obj: &Object) -> Option<String> {
    let (_, obj) = doc.dereference(obj).ok()?;
    match obj {
        Object::String(..) => lopdf::decode_text_string(obj).ok(),
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        Object::Array(items) => items.iter().find_map(|o| text(doc, o)),
        Object::Integer(i) => Some(i.to_string()),
        Object::Real(r) => Some(r.to_string()),
        _ => None,
    }
}

fn node<'a>(doc: &'a Document, obj: &'a Object) -> Option<Node<'a>> {
    let (id, o) = doc.dereference(obj).ok()?;
    Some(Node {
        id,
        dict: o.as_dict().ok()?,
    })
}

fn array<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Vec<&'a Object> {
    d.get(key)
        .ok()
        .and_then(|k| doc.dereference(k).ok())
        .and_then(|(_, k)| k.as_array().ok())
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn widget_pages(doc: &Document) -> Pages {
    let mut pages = Pages::new();
    for (n, page_id) in doc.get_pages() {
        let Ok(page) = doc.get_dictionary(page_id) else {
            continue;
        };
        for a in array(doc, page, b"Annots") {
            if let Ok(id) = a.as_reference() {
                pages.entry(id).or_insert(n);
            }
        }
    }
    pages
}

/// Terminal fields as (fully qualified name, value, page). A value stored on
/// a widget kid (no `/T`) counts for its field. A field object reached twice
/// (listed twice, or its own kid) is read once; two distinct fields with one
/// name are both kept, so the file can be refused as ambiguous.
struct Walk<'a> {
    doc: &'a Document,
    pages: Pages,
    visited: HashSet<ObjectId>,
    out: Vec<Terminal>,
}

impl Walk<'_> {
    fn field(&mut self, n: Node, prefix: &str, depth: usize) {
        if depth > 8 || n.id.is_some_and(|id| !self.visited.insert(id)) {
            return;
        }
        let name = n.dict.get(b"T").ok().and_then(|t| text(self.doc, t));
        let fq = match (&name, prefix.is_empty()) {
            (Some(n), true) => n.clone(),
            (Some(n), false) => format!("{prefix}.{n}"),
            (None, _) => prefix.to_string(),
        };
        let kids: Vec<Node> = array(self.doc, n.dict, b"Kids")
            .into_iter()
            .filter_map(|k| node(self.doc, k))
            .collect();
        if kids.iter().any(|k| k.dict.has(b"T")) {
            for k in kids.into_iter().filter(|k| k.dict.has(b"T")) {
                self.field(k, &fq, depth + 1);
            }
            return;
        }
        let value_of = |d: &Dictionary| d.get(b"V").ok().and_then(|v| text(self.doc, v));
        let value = value_of(n.dict).or_else(|| kids.iter().find_map(|w| value_of(w.dict)));
        let page = std::iter::once(n)
            .chain(kids)
            .find_map(|w| w.id.and_then(|id| self.pages.get(&id).copied()));
        self.out.push(Terminal {
            name: fq,
            value,
            page,
        });
    }
}

/// Reads every lead's values and the identity. Never panics.
pub fn read_sheet(path: &Path, bytes: &[u8]) -> Result<SheetFields, IngestError> {
    let doc = load_pdf(path, bytes)?;
    let catalog = doc.catalog().map_err(|e| IngestError::NotPdf {
        path: path.to_path_buf(),
        reason: format!("no catalog: {e}"),
    })?;
    let flattened = || IngestError::Flattened {
        path: path.to_path_buf(),
    };
    let form = catalog
        .get(b"AcroForm")
        .ok()
        .and_then(|f| node(&doc, f))
        .ok_or_else(flattened)?;
    let fields = array(&doc, form.dict, b"Fields");
    if fields.is_empty() {
        return Err(flattened());
    }
    let mut walk = Walk {
        doc: &doc,
        pages: widget_pages(&doc),
        visited: HashSet::new(),
        out: Vec::new(),
    };
    for f in fields.into_iter().filter_map(|f| node(&doc, f)) {
        walk.field(f, "", 0);
    }
    let sheet = sheet_fields(walk.out).map_err(|problems| IngestError::Invalid {
        path: path.to_path_buf(),
        problems,
    })?;
    if sheet.leads.is_empty() {
        return Err(IngestError::NotASheet {
            path: path.to_path_buf(),
            reason: "no lead fields (L{yymmdd}{agent}-{rowid}.conv …) in its form".into(),
        });
    }
    Ok(sheet)
}

/// Parses the bytes as a complete, unencrypted PDF.
fn load_pdf(path: &Path, bytes: &[u8]) -> Result<Document, IngestError> {
    let not_pdf = |reason: String| IngestError::NotPdf {
        path: path.to_path_buf(),
        reason,
    };
    let encrypted = || IngestError::Encrypted {
        path: path.to_path_buf(),
    };
    if bytes.is_empty() {
        return Err(not_pdf("the file is empty".into()));
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(not_pdf("no %PDF- header".into()));
    }
    // A complete file (incremental updates included) ends with %%EOF.
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(not_pdf("no %%EOF at the end: the file is truncated".into()));
    }
    let doc = std::panic::catch_unwind(|| Document::load_mem(bytes))
        .map_err(|_| not_pdf("the PDF parser gave up on this file".into()))?
        .map_err(|e| {
            if matches!(e, lopdf::Error::Decryption(_))
                || e.to_string().to_lowercase().contains("encrypt")
            {
                encrypted()
            } else {
                not_pdf(e.to_string())
            }
        })?;
    if doc.is_encrypted() || doc.was_encrypted() {
        return Err(encrypted());
    }
    Ok(doc)
}

/// docs/decisions.md D10: each lead's values under its parent field, named
/// by its lead_assignment_code; no header parsing. In code order. Two
/// fields with one name (a lead's value or the identity) make the file
/// ambiguous (D25): which one the agent saw cannot be known, so every such
/// name is a problem and nothing of the file is used.
fn sheet_fields(terminal: Vec<Terminal>) -> Result<SheetFields, Vec<Problem>> {
    let mut leads: BTreeMap<String, RawOutcome> = BTreeMap::new();
    let mut identity = None;
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    for t in terminal {
        let copies = names.entry(t.name.clone()).or_insert(0);
        *copies += 1;
        if *copies == 2 {
            problems.push(ambiguous(&t));
        }
        if *copies > 1 {
            continue;
        }
        if t.name == IDENTITY_FIELD {
            identity = t.value;
            continue;
        }
        let Some((code, i)) = lead_field(&t.name) else {
            continue;
        };
        let entry = leads.entry(code.to_string()).or_insert_with(|| RawOutcome {
            code: code.to_string(),
            ..RawOutcome::default()
        });
        entry.page = entry.page.or(t.page);
        entry.values[i] = t
            .value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(SheetFields {
        leads: leads.into_values().collect(),
        identity: identity.filter(|v| !v.trim().is_empty()),
    })
}

/// `CODE.field` of a lead: its code and the field's index in [`FIELD_NAMES`].
fn lead_field(name: &str) -> Option<(&str, usize)> {
    let (code, field) = name.split_once('.')?;
    let i = FIELD_NAMES.iter().position(|f| *f == field)?;
    is_lead_code(code).then_some((code, i))
}

/// The problem of a name that two fields carry.
fn ambiguous(t: &Terminal) -> Problem {
    let (code, field) = lead_field(&t.name)
        .map(|(code, i)| (code.to_string(), FIELD_NAMES[i].to_string()))
        .unwrap_or_else(|| (t.name.clone(), "-".to_string()));
    let raw = RawOutcome {
        code,
        page: t.page,
        ..RawOutcome::default()
    };
    Problem::of(
        &raw,
        &field,
        "",
        format!(
            "ambiguous: the form has more than one field named {}; which one was filled in cannot be known, so the file is refused",
            t.name
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert!(is_lead_code("L2501290001-0007"));
        assert!(is_lead_code("L250129A_1-12345"));
        assert!(!is_lead_code("L2501290001"));
        assert!(!is_lead_code("X2501290001-0007"));
        assert!(!is_lead_code("L25012\u{2dc}0001-0001"));
    }
}
