//! Shared helpers of la-pdf's tests: sample sheets and the external checkers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use la_pdf::{Sheet, SheetHeader, SheetKey, SheetRow};

pub const NAMES: [&str; 6] = [
    "José Müller",
    "Ελένη Παπαδοπούλου",
    "Иван Петров",
    "Asha Patil",
    "Zoë Ångström",
    "Rahul Sharma",
];

pub fn sheet(n: usize) -> Sheet {
    let date = NaiveDate::from_ymd_opt(2025, 1, 29).unwrap();
    let mut sheet = Sheet {
        header: SheetHeader {
            page_group_code: "L2501290001".into(),
            agent_code: "0001".into(),
            agent_name: "Asha Kulkarni".into(),
            store_code: "S001".into(),
            store_name: Some("Kothrud".into()),
            batch_id: 17,
            batch_date: date,
        },
        rows: (1..=n)
            .map(|i| SheetRow {
                rowid: i as i32,
                lead_assignment_code: format!("L2501290001-{i:04}"),
                lead_date: Some(date),
                lead_type: Some(if i % 3 == 0 { "N" } else { "E" }.into()),
                mobile_number: format!("98{i:08}"),
                cx_name: Some(NAMES[i % NAMES.len()].into()),
                address: Some(format!("Flat {i}, Karve Road, Pune")),
                lead_source: Some("google".into()),
            })
            .collect(),
        identity: None,
    };
    la_pdf::identity::sign_sheet(&mut sheet, 1, &SheetKey::from_bytes(&[1; 32])).unwrap();
    sheet
}

/// NFC, white space folded to single spaces, without the bidi embeddings
/// and isolates pdftotext wraps right-to-left runs in.
pub fn normal(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = text
        .nfc()
        .filter(|c| !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The every-script sheet: a lead per script of the fixture
/// (`names_in_every_script`), the agent and the store in Devanagari.
pub fn every_script_sheet() -> Sheet {
    let scripts = la_schema::testing::names_in_every_script();
    let mut s = sheet(scripts.len());
    for (row, (_, name, address)) in s.rows.iter_mut().zip(&scripts) {
        row.cx_name = Some((*name).into());
        row.address = Some((*address).into());
    }
    s.header.agent_name = "प्रियंका शर्मा".into();
    s.header.store_name = Some("कोथरूड".into());
    s
}

/// `bytes` written to `name` in `dir`.
pub fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

pub fn run(cmd: &str, args: &[&str]) -> std::process::Output {
    Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("{cmd} is required for this test: run scripts/install-test-deps (Debian: qpdf, poppler-utils, pdftk-java): {e}")
    })
}

pub fn qpdf_check(path: &Path) {
    let out = run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "qpdf --check {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn pdftotext(path: &Path) -> String {
    let out = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The document's AcroForm dictionary (direct or referenced).
pub fn acroform(doc: &lopdf::Document) -> &lopdf::Dictionary {
    match doc.catalog().unwrap().get(b"AcroForm").unwrap() {
        lopdf::Object::Reference(id) => doc.get_dictionary(*id).unwrap(),
        other => other.as_dict().unwrap(),
    }
}

/// Fully qualified field names of the AcroForm, with the page index of each
/// terminal field's widget.
pub fn fields(bytes: &[u8]) -> BTreeMap<String, usize> {
    widgets(bytes)
        .into_iter()
        .map(|(k, (page, _))| (k, page))
        .collect()
}

/// Each terminal field's widget: page index and `/Rect`.
pub fn widgets(bytes: &[u8]) -> BTreeMap<String, (usize, [f32; 4])> {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let pages: BTreeMap<lopdf::ObjectId, usize> = doc
        .get_pages()
        .into_iter()
        .map(|(n, id)| (id, n as usize - 1))
        .collect();
    let form = acroform(&doc);
    let mut out = BTreeMap::new();
    fn walk(
        doc: &lopdf::Document,
        id: lopdf::ObjectId,
        prefix: &str,
        pages: &BTreeMap<lopdf::ObjectId, usize>,
        out: &mut BTreeMap<String, (usize, [f32; 4])>,
    ) {
        let d = doc.get_dictionary(id).unwrap();
        let t = d
            .get(b"T")
            .ok()
            .and_then(|t| t.as_str().ok())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let name = if prefix.is_empty() {
            t
        } else {
            format!("{prefix}.{t}")
        };
        match d.get(b"Kids") {
            Ok(kids) => {
                for k in kids.as_array().unwrap() {
                    walk(doc, k.as_reference().unwrap(), &name, pages, out);
                }
            }
            Err(_) => {
                let page = d
                    .get(b"P")
                    .ok()
                    .and_then(|p| p.as_reference().ok())
                    .and_then(|p| pages.get(&p).copied())
                    .unwrap_or(usize::MAX);
                let mut rect = [0.0; 4];
                for (r, v) in rect
                    .iter_mut()
                    .zip(d.get(b"Rect").unwrap().as_array().unwrap())
                {
                    *r = v.as_float().unwrap();
                }
                assert!(
                    out.insert(name.clone(), (page, rect)).is_none(),
                    "duplicate field {name}"
                );
            }
        }
    }
    for f in form.get(b"Fields").unwrap().as_array().unwrap() {
        walk(&doc, f.as_reference().unwrap(), "", &pages, &mut out);
    }
    out
}

pub use la_schema::testing::python;

pub fn pypdf_fill(src: &Path, dst: &Path, values: &BTreeMap<String, String>, incremental: bool) {
    let json = dst.with_extension("json");
    let body = values
        .iter()
        .map(|(k, v)| format!("{:?}: {:?}", k, v))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(&json, format!("{{{body}}}")).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fill/pypdf_fill.py");
    let mut cmd = Command::new(python());
    cmd.arg(script).arg(src).arg(dst).arg(&json);
    if incremental {
        cmd.arg("incremental");
    }
    let out = cmd
        .output()
        .expect("python with pypdf is required: run scripts/install-test-deps (it makes target/ci-venv), or set LA_TEST_PYTHON");
    assert!(
        out.status.success(),
        "pypdf fill: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The text pypdf extracts: the drawn glyphs through their ToUnicode maps
/// (pypdf does not read `/ActualText`).
pub fn pypdf_text(pdf: &Path) -> String {
    let mut cmd = Command::new(python());
    cmd.args([
        "-c",
        "import sys, pypdf; print(''.join(p.extract_text() for p in pypdf.PdfReader(sys.argv[1]).pages))",
    ])
    .arg(pdf);
    String::from_utf8(checked(cmd, "python with pypdf")).unwrap()
}

/// `cmd`'s stdout; the test fails (naming `needs` and its stderr) unless
/// it ran and succeeded.
pub fn checked(mut cmd: Command, needs: &str) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{needs} is required: run scripts/install-test-deps ({e})"));
    assert!(
        out.status.success(),
        "{needs}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn pdftk_fill(src: &Path, dst: &Path, values: &BTreeMap<String, String>) {
    pdftk_fill_with(src, dst, values, &[]);
}

/// pdftk's `fill_form` with extra output options (e.g. `need_appearances`).
pub fn pdftk_fill_with(src: &Path, dst: &Path, values: &BTreeMap<String, String>, extra: &[&str]) {
    let mut by_code: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (k, v) in values {
        let (code, field) = k.split_once('.').unwrap();
        by_code.entry(code).or_default().push((field, v));
    }
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut xfdf = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xfdf xmlns=\"http://ns.adobe.com/xfdf/\"><fields>");
    for (code, fields) in by_code {
        xfdf.push_str(&format!("<field name=\"{code}\">"));
        for (f, v) in fields {
            xfdf.push_str(&format!(
                "<field name=\"{f}\"><value>{}</value></field>",
                esc(v)
            ));
        }
        xfdf.push_str("</field>");
    }
    xfdf.push_str("</fields></xfdf>");
    let data = dst.with_extension("xfdf");
    std::fs::write(&data, xfdf).unwrap();
    let out = run(
        "pdftk",
        &[
            src.to_str().unwrap(),
            "fill_form",
            data.to_str().unwrap(),
            "output",
            dst.to_str().unwrap(),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .collect::<Vec<_>>(),
    );
    assert!(
        out.status.success(),
        "pdftk: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Dark pixels poppler draws inside `rect` (points, inset by 2) of page 1,
/// rendered in grey at 144 dpi.
pub fn ink(pdf: &Path, rect: [f32; 4]) -> usize {
    let px = |v: f32| ((v * 2.0).round() as i64).to_string();
    let out = pdf.with_extension("ink");
    let [x0, y0, x1, y1] = rect;
    let status = run(
        "pdftoppm",
        &[
            "-r",
            "144",
            "-gray",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            "-x",
            &px(x0 + 2.0),
            "-y",
            &px(la_pdf::layout::PAGE_H - y1 + 2.0),
            "-W",
            &px(x1 - x0 - 4.0),
            "-H",
            &px(y1 - y0 - 4.0),
            pdf.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let pgm = std::fs::read(format!("{}.pgm", out.display())).unwrap();
    // P5 header: magic, width, height, maximum, each followed by white space.
    let mut fields = 0;
    let mut at = 0;
    while fields < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields += 1;
    }
    pgm[at + 1..].iter().filter(|v| **v < 128).count()
}

/// `node` running `script` with pdfjs-dist found in target/ci-node (where
/// scripts/install-test-deps puts it), or through `LA_TEST_NODE_PATH`.
pub fn node(script: &str, args: &[&str]) -> String {
    let modules = std::env::var("LA_TEST_NODE_PATH").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/ci-node/node_modules"
        )
        .to_string()
    });
    let mut cmd = Command::new("node");
    cmd.arg(script).args(args).env("NODE_PATH", modules);
    String::from_utf8(checked(cmd, "node with pdfjs-dist")).unwrap()
}

const ENGINES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/engines/");

/// The text pdf.js (Firefox), PDFium (Chrome), MuPDF and poppler
/// (`pdftotext`, reading order) extract from `pdf`, by engine name.
pub fn engine_texts(pdf: &Path) -> BTreeMap<&'static str, String> {
    let path = pdf.to_str().unwrap();
    let mut cmd = Command::new(python());
    cmd.arg(format!("{ENGINES}engines.py")).args(["text", path]);
    let out = checked(cmd, "python with pypdfium2 and PyMuPDF");
    let both: BTreeMap<String, String> = serde_json::from_slice(&out).unwrap();
    let poppler = run("pdftotext", &[path, "-"]).stdout;
    BTreeMap::from([
        (
            "pdf.js",
            node(&format!("{ENGINES}pdfjs.mjs"), &["text", path]),
        ),
        ("PDFium", both["pdfium"].clone()),
        ("MuPDF", both["mupdf"].clone()),
        ("poppler", String::from_utf8(poppler).unwrap()),
    ])
}

/// What a viewer drew in one field: the fonts and the text it showed.
#[derive(Debug, serde::Deserialize)]
pub struct Drawn {
    pub field: String,
    #[serde(default)]
    pub fonts: Vec<String>,
    pub text: serde_json::Value,
    #[serde(default = "yes")]
    pub drawn: bool,
}

fn yes() -> bool {
    true
}

/// `values` (field → text) written to a JSON file next to `pdf`.
fn values_file(pdf: &Path, values: &[(&str, &str)]) -> std::path::PathBuf {
    let map: BTreeMap<&str, &str> = values.iter().copied().collect();
    let json = pdf.with_extension("values.json");
    std::fs::write(&json, serde_json::to_vec(&map).unwrap()).unwrap();
    json
}

/// `values` typed into `pdf` with PDFium as Chrome types them, saved to
/// `out`: what PDFium drew in each of those fields.
pub fn pdfium_type(pdf: &Path, out: &Path, values: &[(&str, &str)]) -> Vec<Drawn> {
    let json = values_file(pdf, values);
    let args = [pdf, out, &json].map(|p| p.to_str().unwrap().to_string());
    let mut cmd = Command::new(python());
    cmd.arg(format!("{ENGINES}engines.py"))
        .arg("pdfium-type")
        .args(&args);
    serde_json::from_slice(&checked(cmd, "python with pypdfium2")).unwrap()
}

/// Every widget of every page as pdf.js prints it, with `values` typed in:
/// whether it is drawn, and the text it draws.
pub fn pdfjs_print(pdf: &Path, values: &[(&str, &str)]) -> Vec<Vec<Drawn>> {
    let json = values_file(pdf, values);
    let args = ["print", pdf.to_str().unwrap(), json.to_str().unwrap()];
    let out: serde_json::Value =
        serde_json::from_str(&node(&format!("{ENGINES}pdfjs.mjs"), &args)).unwrap();
    serde_json::from_value(out["pages"].clone()).unwrap()
}
