//! Any script on the sheets (docs/decisions.md D24): names and addresses in
//! every Indian script, Urdu and Latin are shaped, embedded and extract
//! exactly; long text wraps, then shortens, and still extracts whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::*;
use la_pdf::{layout, render_sheet};
use la_schema::testing::names_in_every_script;
use lopdf::{Document, Object, ObjectId};

#[test]
fn every_script_is_embedded_and_extracts_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = names_in_every_script();
    assert_eq!(
        scripts.len(),
        12,
        "9 Indian scripts, Urdu, Latin, Greek and Cyrillic"
    );
    let s = every_script_sheet();
    let r = render_sheet(&s).unwrap();
    assert!(r.missing_glyphs.is_empty(), "{:?}", r.missing_glyphs);
    let p = write(&dir, "scripts.pdf", &r.bytes);
    qpdf_check(&p);

    let fonts = String::from_utf8(run("pdffonts", &[p.to_str().unwrap()]).stdout).unwrap();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    // A subset per script's font (the form font is only in the form).
    assert_eq!(rows.len(), 11, "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "not embedded: {row}");
    }

    // The form font: a Type0 font, embedded whole, holding the script most
    // of the sheet's letters are in (docs/decisions.md D30).
    let doc = Document::load_mem(&r.bytes).unwrap();
    let dr = acroform(&doc).get(b"DR").unwrap().as_dict().unwrap();
    let form = dr.get(b"Font").unwrap().as_dict().unwrap();
    let form = doc
        .get_dictionary(deref(form.get(b"Wingdings").unwrap()))
        .unwrap();
    assert_eq!(form.get(b"Subtype").unwrap().as_name().unwrap(), b"Type0");
    let base = String::from_utf8_lossy(form.get(b"BaseFont").unwrap().as_name().unwrap());
    assert!(base.ends_with("LAFormSans-Devanagari"), "{base}");
    let cid = doc
        .get_dictionary(deref(form.get(b"DescendantFonts").unwrap()))
        .unwrap();
    let descriptor = doc
        .get_dictionary(deref(cid.get(b"FontDescriptor").unwrap()))
        .unwrap();
    assert!(
        descriptor.get(b"FontFile2").is_ok(),
        "the form font is embedded"
    );

    // pdftotext reads /ActualText where there is one: every name and
    // address back exactly (the other engines: tests/engines.rs).
    let text = normal(&pdftotext(&p));
    for (script, name, address) in &scripts {
        assert!(text.contains(&normal(name)), "{script} name {name}: {text}");
        assert!(
            text.contains(&normal(address)),
            "{script} address {address}"
        );
    }
    assert!(text.contains("Agent: 0001 - प्रियंका शर्मा"), "{text}");
    assert!(text.contains("Store: S001 - कोथरूड"), "{text}");
}

/// The glyphs a page draws in the font whose `BaseFont` contains `font`:
/// (glyph id in the embedded subset, x, y) in drawing order.
fn shown_glyphs(doc: &Document, font: &str) -> (Vec<(u16, f32, f32)>, Vec<u8>) {
    let page = doc.get_pages()[&1];
    let resources = doc.get_page_resources(page).unwrap().0.unwrap();
    let fonts = resources.get(b"Font").unwrap().as_dict().unwrap();
    let (name, type0) = fonts
        .iter()
        .find(|(_, r)| {
            let d = doc.get_dictionary(r.as_reference().unwrap()).unwrap();
            String::from_utf8_lossy(d.get(b"BaseFont").unwrap().as_name().unwrap()).contains(font)
        })
        .map(|(n, r)| (n.clone(), r.as_reference().unwrap()))
        .unwrap();
    let cid = deref(
        doc.get_dictionary(type0)
            .unwrap()
            .get(b"DescendantFonts")
            .unwrap(),
    );
    let cid = doc.get_dictionary(cid).unwrap();
    let widths = glyph_widths(cid.get(b"W").unwrap().as_array().unwrap());
    let descriptor = doc
        .get_dictionary(deref(cid.get(b"FontDescriptor").unwrap()))
        .unwrap();
    let file = deref(descriptor.get(b"FontFile2").unwrap());
    let file = doc
        .get_object(file)
        .unwrap()
        .as_stream()
        .unwrap()
        .decompressed_content()
        .unwrap();

    let face = ttf_parser::Face::parse(&file, 0).unwrap();
    // Codes are glyph ids unless a CIDToGIDMap stream says otherwise.
    let glyph_of: Box<dyn Fn(u16) -> u16> = match cid.get(b"CIDToGIDMap") {
        Ok(Object::Reference(id)) => {
            let map = doc
                .get_object(*id)
                .unwrap()
                .as_stream()
                .unwrap()
                .decompressed_content()
                .unwrap();
            Box::new(move |c: u16| {
                let at = usize::from(c) * 2;
                u16::from_be_bytes([map[at], map[at + 1]])
            })
        }
        _ => Box::new(|c| c),
    };
    let content = lopdf::content::Content::decode(&doc.get_page_content(page)).unwrap();
    let (mut current, mut size, mut at) = (Vec::new(), 0.0, (0.0, 0.0));
    let mut out = Vec::new();
    for op in content.operations {
        let num = |i: usize| op.operands[i].as_float().unwrap();
        match op.operator.as_str() {
            "Tf" => {
                current = op.operands[0].as_name().unwrap().to_vec();
                size = num(1);
            }
            "Tm" => at = (num(4), num(5)),
            "Tj" if current == name => {
                for g in op.operands[0].as_str().unwrap().chunks(2) {
                    let code = u16::from_be_bytes([g[0], g[1]]);
                    let g = glyph_of(code);
                    // A glyph that only carries text (zero wide, no outline)
                    // is not drawn.
                    let carrier = widths[&code] == 0.0
                        && face.glyph_bounding_box(ttf_parser::GlyphId(g)).is_none();
                    if !carrier {
                        out.push((g, at.0, at.1));
                    }
                    at.0 += widths[&code] * size / 1000.0;
                }
            }
            _ => {}
        }
    }
    (out, file)
}

/// The object `o` refers to (the first, for an array of references).
fn deref(o: &Object) -> ObjectId {
    match o {
        Object::Reference(id) => *id,
        Object::Array(a) => deref(&a[0]),
        _ => panic!("not a reference: {o:?}"),
    }
}

/// A `/W` array as glyph → width.
fn glyph_widths(w: &[Object]) -> BTreeMap<u16, f32> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i + 1 < w.len() {
        let first = w[i].as_i64().unwrap() as u16;
        for (k, width) in w[i + 1].as_array().unwrap().iter().enumerate() {
            out.insert(first + k as u16, width.as_float().unwrap());
        }
        i += 2;
    }
    out
}

#[test]
fn conjuncts_and_pre_base_matras_are_shaped_as_the_shaper_says() {
    let word = "क्षितिज श्री";
    let mut s = sheet(1);
    s.rows[0].cx_name = Some(word.into());
    s.rows[0].address = Some("Pune".into());
    let r = render_sheet(&s).unwrap();
    let doc = Document::load_mem(&r.bytes).unwrap();
    let (shown, subset) = shown_glyphs(&doc, "NotoSansDevanagari");
    let embedded = ttf_parser::Face::parse(&subset, 0).unwrap();

    let source = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/fonts/NotoSansDevanagari-Regular.ttf"
    ))
    .unwrap();
    let face = rustybuzz::Face::from_slice(&source, 0).unwrap();
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(word);
    buffer.guess_segment_properties();
    let shaped = rustybuzz::shape(&face, &[], buffer);
    let (infos, positions) = (shaped.glyph_infos(), shaped.glyph_positions());

    // Shaping merged and reordered: fewer glyphs than characters, and the
    // first glyph is not the first character's own.
    assert!(infos.len() < word.chars().count());
    assert_ne!(
        infos[0].glyph_id,
        u32::from(face.glyph_index('क').unwrap().0)
    );

    assert_eq!(shown.len(), infos.len(), "{shown:?}");
    let scale = 8.0 / f32::from(face.units_per_em() as u16);
    let (x0, y0) = (shown[0].1, shown[0].2);
    let mut pen = 0.0;
    for (i, ((gid, x, y), (info, pos))) in shown.iter().zip(infos.iter().zip(positions)).enumerate()
    {
        let theirs = face.glyph_bounding_box(ttf_parser::GlyphId(info.glyph_id as u16));
        let ours = embedded.glyph_bounding_box(ttf_parser::GlyphId(*gid));
        assert_eq!(
            ours, theirs,
            "glyph {i}: outline differs from the shaper's glyph"
        );
        let want_x = (pen + pos.x_offset as f32) * scale;
        assert!(
            (x - x0 - want_x).abs() < 0.05,
            "glyph {i}: x {} vs {want_x}",
            x - x0
        );
        assert!(
            (y - y0 - pos.y_offset as f32 * scale).abs() < 0.05,
            "glyph {i}: y"
        );
        pen += pos.x_advance as f32;
    }
}

#[test]
fn long_names_and_addresses_wrap_onto_two_lines_then_shorten() {
    let dir = tempfile::tempdir().unwrap();
    let name = "Dr. Venkataramanan Subrahmanyam Iyengar.";
    let address = "Flat 12A, Shree Ganesh Co-op Housing Society, Near Karve Road Bus Stop, Erandwane, Kothrud, Pune 411004, India";
    let long = format!("{} Pune 411004", "Plot 7, Lane 3, Erandwane, ".repeat(15));
    assert_eq!((name.chars().count(), address.chars().count()), (40, 110));
    assert!(long.chars().count() >= 400);
    let mut s = sheet(4);
    s.rows[1].cx_name = Some(name.into());
    s.rows[1].address = Some(address.into());
    s.rows[2].address = Some(long.clone());
    let agent = "Venkataramanan Subrahmanyam Iyengar Chandrasekharan";
    let store = "Shree Ganesh Laundry and Dry Cleaners, Erandwane Kothrud Branch";
    s.header.agent_name = agent.into();
    s.header.store_name = Some(store.into());
    let r = render_sheet(&s).unwrap();
    let p = write(&dir, "wrap.pdf", &r.bytes);
    qpdf_check(&p);

    // Every character is in the text layer.
    let text = normal(&pdftotext(&p));
    let header = [
        format!("Agent: 0001 - {agent}"),
        format!("Store: S001 - {store}"),
    ];
    for whole in [name, address, long.as_str(), &header[0], &header[1]] {
        assert!(text.contains(&normal(whole)), "{whole}: {text}");
    }
    // What is drawn: the 400-character address ends in "…" (pypdf reads
    // the glyphs, not /ActualText), the 110-character one is all there.
    let drawn = normal(&pypdf_text(&p));
    assert!(drawn.contains("Kothrud, Pune 411004, India"), "{drawn}");
    assert!(
        drawn.contains('…') && !drawn.contains("Pune 411004 "),
        "{drawn}"
    );

    // Rows with wrapped text are one line taller: the next lead's fields sit
    // that much lower.
    let w = widgets(&r.bytes);
    let conv_y = |i: usize| w[&format!("L2501290001-{i:04}.conv")].1[1];
    let two = layout::row1_height(2) + layout::ROW2_H;
    assert!((conv_y(1) - conv_y(2) - two).abs() < 0.01, "lead 2 wraps");
    assert!((conv_y(2) - conv_y(3) - two).abs() < 0.01, "lead 3 wraps");
    assert!(
        (conv_y(3) - conv_y(4) - layout::LEAD_H).abs() < 0.01,
        "lead 4 does not"
    );
}

#[test]
fn every_page_has_the_legend_and_every_field_a_tooltip() {
    let dir = tempfile::tempdir().unwrap();
    let s = sheet(30);
    let r = render_sheet(&s).unwrap();
    let p = write(&dir, "legend.pdf", &r.bytes);
    let text = pdftotext(&p);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|t| !t.trim().is_empty())
        .collect();
    assert_eq!(pages.len(), r.pages);
    for page in pages {
        let legend = page
            .lines()
            .find(|l| l.contains("E = existing customer"))
            .unwrap();
        for part in ["N = new", "Y or N", "DD-MM-YYYY", "reply to the email"] {
            assert!(legend.contains(part), "{legend}");
        }
    }
    let doc = Document::load_mem(&r.bytes).unwrap();
    let mut tooltips = BTreeMap::new();
    for (_, object) in doc.objects.iter() {
        let Ok(d) = object.as_dict() else { continue };
        if let (Ok(t), Ok(tu)) = (d.get(b"T"), d.get(b"TU")) {
            let name = String::from_utf8_lossy(t.as_str().unwrap()).into_owned();
            tooltips.insert(
                name,
                String::from_utf8_lossy(tu.as_str().unwrap()).into_owned(),
            );
        }
    }
    assert_eq!(tooltips["order_date"], "Order date: DD-MM-YYYY");
    assert!(tooltips["conv"].contains("Y or N"));
    assert_eq!(tooltips.len(), 7, "{tooltips:?}");
    let conv = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .find(|d| {
            d.get(b"T")
                .is_ok_and(|t| t.as_str().is_ok_and(|t| t == b"conv"))
        })
        .unwrap();
    // One options array for every lead's Conv.
    let opt = deref(conv.get(b"Opt").unwrap());
    let options: Vec<String> = (doc.get_object(opt).unwrap().as_array().unwrap().iter())
        .map(|o| String::from_utf8_lossy(o.as_str().unwrap()).into_owned())
        .collect();
    assert_eq!(options, ["", "Y", "N", "Yes", "No"]);
}
