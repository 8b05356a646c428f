//! The renderer alone: real PDF files checked by qpdf, lopdf, pdftotext and pdftoppm.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use la_pdf::{layout, render_sheet, FIELD_NAMES};

#[test]
fn sheet_is_valid_with_seven_named_fields_per_lead() {
    let dir = tempfile::tempdir().unwrap();
    let s = sheet(30);
    let r = render_sheet(&s).unwrap();
    let p = write(&dir, "s.pdf", &r.bytes);
    qpdf_check(&p);
    let f = fields(&r.bytes);
    // Seven per lead, plus the hidden identity field on page 1.
    assert_eq!(f.len(), 30 * 7 + 1);
    assert_eq!(f.get(la_pdf::IDENTITY_FIELD), Some(&0));
    for row in &s.rows {
        for k in FIELD_NAMES {
            assert!(
                f.contains_key(&format!("{}.{k}", row.lead_assignment_code)),
                "{} {k}",
                row.lead_assignment_code
            );
        }
    }
    let doc = lopdf::Document::load_mem(&r.bytes).unwrap();
    let form = acroform(&doc);
    assert!(form.get(b"NeedAppearances").unwrap().as_bool().unwrap());
    assert!(form.get(b"DR").is_ok() && form.get(b"DA").is_ok());
}

#[test]
fn text_is_extractable_in_order_including_non_latin_names() {
    let dir = tempfile::tempdir().unwrap();
    let s = sheet(40);
    let r = render_sheet(&s).unwrap();
    assert!(r.missing_glyphs.is_empty(), "{:?}", r.missing_glyphs);
    let text = pdftotext(&write(&dir, "s.pdf", &r.bytes));
    for name in [
        "José Müller",
        "Ελένη Παπαδοπούλου",
        "Иван Петров",
        "Zoë Ångström",
    ] {
        assert!(text.contains(name), "{name} missing from text");
    }
    let mut last = 0;
    for row in &s.rows {
        let at = text[last..]
            .find(&row.lead_assignment_code)
            .map(|i| i + last);
        let at =
            at.unwrap_or_else(|| panic!("{} missing or out of order", row.lead_assignment_code));
        let line_end = text[at..].find('\n').map_or(text.len(), |i| i + at);
        let line = &text[at..line_end];
        assert!(line.contains(&row.mobile_number), "{line}");
        assert!(line.contains(row.cx_name.as_deref().unwrap()), "{line}");
        last = at;
    }
    for h in [
        "Page Group Code: L2501290001",
        "Agent: 0001 - Asha Kulkarni",
        "Store: S001 - Kothrud",
        "Batch Date: 29-01-2025 (batch 17)",
    ] {
        assert!(text.contains(h), "header {h} missing");
    }
}

#[test]
fn thousand_lead_sheet_paginates_without_splitting_a_lead() {
    let dir = tempfile::tempdir().unwrap();
    let s = sheet(1000);
    let r = render_sheet(&s).unwrap();
    let expected = layout::paginate(&[layout::ROW1_H; 1000]).len();
    assert_eq!(r.pages, expected);
    let p = write(&dir, "big.pdf", &r.bytes);
    qpdf_check(&p);
    let doc = lopdf::Document::load_mem(&r.bytes).unwrap();
    assert_eq!(doc.get_pages().len(), expected);

    let text = pdftotext(&p);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(pages.len(), expected);
    let mut page_of_code = std::collections::HashMap::new();
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains("Page Group Code: L2501290001"),
            "page {} header",
            i + 1
        );
        assert!(
            page.contains(&format!("Page {} of {expected}", i + 1)),
            "page {} number",
            i + 1
        );
        assert!(
            page.contains("RowID") && page.contains("Payment Amt"),
            "page {} headings",
            i + 1
        );
        for row in &s.rows {
            if page.contains(&row.lead_assignment_code) {
                page_of_code.insert(row.lead_assignment_code.clone(), i);
            }
        }
    }
    assert_eq!(page_of_code.len(), 1000);
    // Row 2 (the widgets) is on the same page as Row 1 (the code's text).
    for (name, page) in fields(&r.bytes) {
        let Some((code, _)) = name.split_once('.') else {
            continue;
        };
        assert_eq!(page_of_code[code], page, "{name}");
    }
    let out = run(
        "pdftoppm",
        &[
            "-r",
            "15",
            "-png",
            p.to_str().unwrap(),
            dir.path().join("pg").to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("pg")
        })
        .count();
    assert_eq!(rendered, expected);
}

#[test]
fn long_values_wrap_then_shorten_and_still_extract_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sheet(3);
    let address = format!("Start{}End", " Lane".repeat(100));
    s.rows[1].address = Some(address.clone());
    s.rows[1].cx_name = Some(format!("Name\u{7}\r\n{}", "Verylongname ".repeat(16)));
    let r = render_sheet(&s).unwrap();
    let p = write(&dir, "long.pdf", &r.bytes);
    qpdf_check(&p);
    // The whole address is in the text layer (its /ActualText); what is
    // drawn ends in "…" on the second line (pypdf reads the glyphs only).
    let text = pdftotext(&p);
    assert!(text.contains(&address), "{text}");
    assert!(!text.contains('\u{7}'));
    let drawn = pypdf_text(&p);
    assert!(drawn.contains('…') && !drawn.contains("End"), "{drawn}");
    // The neighbour cells are intact on the same line.
    let line = text
        .lines()
        .find(|l| l.contains("L2501290001-0002"))
        .unwrap();
    assert!(
        line.contains("9800000002") && line.contains("google"),
        "{line}"
    );
}

#[test]
fn a_character_no_font_covers_is_a_placeholder_reported_and_still_extracts() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sheet(2);
    s.rows[0].cx_name = Some("Ravi 山田 🪔".into());
    let r = render_sheet(&s).unwrap();
    assert_eq!(r.missing_glyphs.len(), 1);
    assert_eq!(r.missing_glyphs[0].0, "L2501290001-0001");
    assert_eq!(r.missing_glyphs[0].1, ['山', '田', '🪔']);
    let p = write(&dir, "m.pdf", &r.bytes);
    assert!(pdftotext(&p).contains("Ravi 山田 🪔"));
    let drawn = pypdf_text(&p);
    assert!(drawn.contains("Ravi \u{FFFD}\u{FFFD} \u{FFFD}"), "{drawn}");
}
