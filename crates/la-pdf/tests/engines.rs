//! The sheets in the PDF engines people use (docs/decisions.md D24, D30):
//! pdf.js (Firefox), PDFium (Chrome, through pypdfium2), MuPDF (PyMuPDF)
//! and poppler. What they extract, what they print, what they draw when an
//! agent types.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use la_pdf::render_sheet;
use la_schema::testing::names_in_every_script;

#[test]
fn every_engine_extracts_every_name_address_and_code_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let s = every_script_sheet();
    let p = write(&dir, "scripts.pdf", &render_sheet(&s).unwrap().bytes);
    let mut wanted: Vec<String> = names_in_every_script()
        .iter()
        .flat_map(|(_, name, address)| [name.to_string(), address.to_string()])
        .collect();
    wanted.extend(s.rows.iter().map(|r| r.lead_assignment_code.clone()));
    wanted.extend(["प्रियंका शर्मा".to_string(), "कोथरूड".to_string()]);
    for (engine, text) in engine_texts(&p) {
        let text = normal(&text);
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|w| !text.contains(&normal(w)))
            .collect();
        assert!(
            missing.is_empty(),
            "{engine} misses {missing:?} in:\n{text}"
        );
    }
}

#[test]
fn pdfjs_reads_an_urdu_address_with_digits_and_commas_in_logical_order() {
    // The others read such a line by their own bidi guesses (README: "The
    // sheets in PDF viewers").
    let dir = tempfile::tempdir().unwrap();
    let mut s = sheet(2);
    s.rows[1].address = Some("مکان ۱۲، گلی ۳، لکھنؤ".into());
    let p = write(&dir, "urdu.pdf", &render_sheet(&s).unwrap().bytes);
    let text = normal(&engine_texts(&p)["pdf.js"]);
    assert!(text.contains("مکان ۱۲، گلی ۳، لکھنؤ"), "{text}");
    assert!(text.contains("L2501290001-0002"), "{text}");
}

#[test]
fn pdfjs_prints_every_field_and_typed_latin_1_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    let s = every_script_sheet();
    let p = write(&dir, "print.pdf", &render_sheet(&s).unwrap().bytes);
    let typed = [
        ("L2501290001-0011.remarks", "Zoë ₹1,250"),
        ("L2501290001-0011.order_value", "₹1,250"),
        ("L2501290001-0011.conv", "Y"),
    ];
    let pages = pdfjs_print(&p, &typed);
    let widgets: Vec<&Drawn> = pages.iter().flatten().collect();
    assert_eq!(widgets.len(), s.rows.len() * 7, "every input field");
    let undrawn: Vec<&str> = (widgets.iter())
        .filter(|w| !w.drawn)
        .map(|w| w.field.as_str())
        .collect();
    assert!(undrawn.is_empty(), "pdf.js prints no {undrawn:?}");
    for (field, value) in typed {
        let w = widgets.iter().find(|w| w.field == field).unwrap();
        assert_eq!(w.text, *value, "{field}");
    }
}

#[test]
fn pdfjs_and_pdfium_draw_typed_latin_1_tamil_and_urdu_with_the_sheets_form_font() {
    let dir = tempfile::tempdir().unwrap();
    // A Tamil store's sheet and an Urdu-speaking agent's sheet: each form
    // font holds its script and Latin-1.
    for (script, name, remark) in [
        ("Tamil", "சுப்ரமணியம்", "நன்றி, நாளை வருவார்"),
        ("Arabic", "بلال شاہد", "شکریہ، کل آئیں گے"),
    ] {
        let mut s = sheet(2);
        s.rows[0].cx_name = Some(name.into());
        let p = write(
            &dir,
            &format!("{script}.pdf"),
            &render_sheet(&s).unwrap().bytes,
        );
        let typed = [
            ("L2501290001-0001.remarks", remark),
            ("L2501290001-0002.remarks", "Zoë ₹1,250"),
        ];
        // pdf.js draws each typed character with the form font's glyph, in
        // the order typed (unshaped, left to right).
        let printed = pdfjs_print(&p, &typed);
        for (field, value) in typed {
            let w = printed.iter().flatten().find(|w| w.field == field).unwrap();
            assert_eq!(w.text, *value, "pdf.js, {script}: {field}");
        }
        let out = dir.path().join(format!("{script}-typed.pdf"));
        let drawn = pdfium_type(&p, &out, &typed);
        assert_eq!(drawn.len(), 2, "{drawn:?}");
        for (d, (_, value)) in drawn.iter().zip(typed) {
            let font = format!("/LAFORM+LAFormSans-{script}");
            assert_eq!(d.fonts, [font], "{script}: {d:?}");
            // Every character drawn, each from the form font's glyph for it
            // (unshaped: PDFium does not shape typed text; right-to-left
            // text it places letter by letter, in visual order).
            let shown: String = (d.text.as_array().unwrap().iter())
                .map(|t| t.as_str().unwrap())
                .collect();
            if script == "Arabic" && value != "Zoë ₹1,250" {
                let letters = |t: &str| {
                    let mut v: Vec<char> = t.chars().filter(|c| *c != ' ').collect();
                    v.sort_unstable();
                    v
                };
                assert_eq!(
                    letters(&shown),
                    letters(value),
                    "{script}: PDFium drew {shown:?}"
                );
            } else {
                assert_eq!(shown, value, "{script}");
            }
        }
    }
}
