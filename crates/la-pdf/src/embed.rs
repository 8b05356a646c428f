//! Embedding fonts in a sheet: each used font as a Type0 / CIDFontType2
//! subset with its widths and ToUnicode map, and the form font whole
//! (docs/decisions.md D24).

use std::borrow::Cow;
use std::sync::OnceLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Name, Rect, Ref, Str};

use crate::fonts::{FontId, FONT_COUNT};
use crate::pack::{compress, Objects};
use crate::sheet::RenderError;
use crate::text::Subset;

/// The objects of one embedded font.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FontRefs {
    pub type0: Ref,
    cid: Ref,
    descriptor: Ref,
    file: Ref,
    to_unicode: Ref,
    /// The CIDToGIDMap stream, written only when codes are not glyph ids.
    map: Ref,
}

impl FontRefs {
    /// Six new object ids from `next`.
    pub fn new(mut next: impl FnMut() -> Ref) -> FontRefs {
        FontRefs {
            type0: next(),
            cid: next(),
            descriptor: next(),
            file: next(),
            to_unicode: next(),
            map: next(),
        }
    }
}

/// A font ready to embed as a Type0 font: the (subset) file deflated,
/// widths in thousandths of an em by code, each code's glyph, what each
/// code reads as (deflated).
struct Embeddable<'a> {
    name: String,
    face: &'a ttf_parser::Face<'a>,
    deflated: Cow<'a, [u8]>,
    length: usize,
    widths: Cow<'a, [f32]>,
    /// The glyph of each code, unless every code is its glyph's id.
    code_to_glyph: Option<&'a [u16]>,
    to_unicode: Cow<'a, [u8]>,
}

const SYSTEM: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// The ToUnicode map, deflated.
fn to_unicode<'a>(pairs: impl IntoIterator<Item = (u16, &'a str)>) -> Vec<u8> {
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), SYSTEM);
    for (g, text) in pairs {
        cmap.pair_with_multiple(g, text.chars());
    }
    compress(&cmap.finish())
}

/// Embeds the glyphs of `subset` from `font`.
pub(crate) fn write_subset(
    objects: &mut Objects,
    refs: FontRefs,
    font: FontId,
    subset: &Subset,
) -> Result<(), RenderError> {
    let file = font.file();
    let data = subsetter::subset(file.data, 0, &subset.remapper)
        .map_err(|e| RenderError::Font(format!("subsetting {}: {e:?}", file.name)))?;
    let face = font.face().map_err(RenderError::Font)?;
    let scale = 1000.0 / face.units_per_em() as f32;
    let font = Embeddable {
        name: format!("LASUBS+{}", file.name),
        face,
        deflated: compress(&data).into(),
        length: data.len(),
        widths: subset.widths.iter().map(|w| *w as f32 * scale).collect(),
        code_to_glyph: (!subset.codes_are_glyphs()).then_some(subset.code_to_glyph.as_slice()),
        to_unicode: to_unicode(subset.to_unicode.iter().map(|(g, t)| (*g, t.as_str()))).into(),
    };
    write(objects, refs, &font);
    Ok(())
}

/// A form font, prepared once per process: the whole file deflated hard,
/// each glyph's width, and the ToUnicode map from each glyph to the
/// character the font's own cmap gives it.
struct FormFont {
    face: ttf_parser::Face<'static>,
    deflated: Vec<u8>,
    length: usize,
    /// Widths by glyph id, in whole thousandths of an em (as exact as a
    /// viewer draws a typed value, and short).
    widths: Vec<f32>,
    to_unicode: Vec<u8>,
}

fn form_font(script: FontId) -> Result<&'static FormFont, RenderError> {
    static FORM: [OnceLock<Result<FormFont, String>>; FONT_COUNT] =
        [const { OnceLock::new() }; FONT_COUNT];
    FORM[script as usize]
        .get_or_init(|| prepare_form_font(script.form_file().data))
        .as_ref()
        .map_err(|e| RenderError::Font(format!("form font {}: {e}", script.form_file().name)))
}

fn prepare_form_font(data: &'static [u8]) -> Result<FormFont, String> {
    let face = ttf_parser::Face::parse(data, 0).map_err(|e| e.to_string())?;
    let scale = 1000.0 / f32::from(face.units_per_em());
    let widths = (0..face.number_of_glyphs())
        .map(|g| f32::from(face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0)))
        .map(|w| (w * scale).round())
        .collect();
    // Each glyph reads as the first character the cmap maps to it (a
    // viewer encoding a typed value looks the character up here).
    let mut reads: std::collections::BTreeMap<u16, char> = std::collections::BTreeMap::new();
    if let Some(cmap) = face.tables().cmap {
        for sub in cmap.subtables.into_iter().filter(|s| s.is_unicode()) {
            sub.codepoints(|cp| {
                let glyph = char::from_u32(cp).and_then(|c| Some((sub.glyph_index(cp)?, c)));
                if let Some((g, c)) = glyph {
                    reads.entry(g.0).or_insert(c);
                }
            });
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, data).map_err(|e| e.to_string())?;
    let reads: Vec<(u16, String)> = reads.into_iter().map(|(g, c)| (g, c.to_string())).collect();
    Ok(FormFont {
        deflated: z.finish().map_err(|e| e.to_string())?,
        length: data.len(),
        widths,
        to_unicode: to_unicode(reads.iter().map(|(g, c)| (*g, c.as_str()))),
        face,
    })
}

/// Embeds the whole form font holding `script` as a Type0 font whose codes
/// are its glyph ids, with its cmap (for viewers that encode typed values
/// through the font) and a ToUnicode map (for those that encode through
/// it): every character of the font can be typed, and Latin-1 is Latin-1
/// everywhere (docs/decisions.md D30).
pub(crate) fn write_form_font(
    objects: &mut Objects,
    refs: FontRefs,
    script: FontId,
) -> Result<(), RenderError> {
    let form = form_font(script)?;
    let font = Embeddable {
        name: format!("LAFORM+{}", script.form_file().name),
        face: &form.face,
        deflated: Cow::Borrowed(&form.deflated),
        length: form.length,
        widths: Cow::Borrowed(&form.widths),
        code_to_glyph: None,
        to_unicode: Cow::Borrowed(&form.to_unicode),
    };
    write(objects, refs, &font);
    Ok(())
}

/// A font descriptor from the font's own metrics.
fn descriptor(objects: &mut Objects, id: Ref, name: &str, face: &ttf_parser::Face, file: Ref) {
    let scale = 1000.0 / f32::from(face.units_per_em());
    let units = |v: i16| f32::from(v) * scale;
    let b = face.global_bounding_box();
    objects.packed(id, |c| {
        c.font_descriptor(id)
            .name(Name(name.as_bytes()))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                units(b.x_min),
                units(b.y_min),
                units(b.x_max),
                units(b.y_max),
            ))
            .italic_angle(0.0)
            .ascent(units(face.ascender()))
            .descent(units(face.descender()))
            .cap_height(units(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(80.0)
            .font_file2(file);
    });
}

/// The five objects of a Type0 font.
fn write(objects: &mut Objects, refs: FontRefs, font: &Embeddable) {
    // A code → glyph map (two bytes a code) when codes are not glyph ids.
    let map = font.code_to_glyph.as_ref().map(|_| refs.map);
    if let (Some(id), Some(glyphs)) = (map, &font.code_to_glyph) {
        let bytes: Vec<u8> = glyphs.iter().flat_map(|g| g.to_be_bytes()).collect();
        let data = compress(&bytes);
        objects.top(id, |c| {
            c.stream(id, &data).filter(Filter::FlateDecode);
        });
    }
    let base = Name(font.name.as_bytes());
    objects.packed(refs.type0, |c| {
        c.type0_font(refs.type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(refs.cid)
            .to_unicode(refs.to_unicode);
    });
    objects.packed(refs.cid, |c| {
        let mut c = c.cid_font(refs.cid);
        c.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(SYSTEM)
            .font_descriptor(refs.descriptor)
            .default_width(0.0);
        match &map {
            Some(stream) => c.pair(Name(b"CIDToGIDMap"), *stream),
            None => c.cid_to_gid_map_predefined(Name(b"Identity")),
        };
        c.widths().consecutive(0, font.widths.iter().copied());
    });
    descriptor(objects, refs.descriptor, &font.name, font.face, refs.file);
    file_and_cmap(
        objects,
        (refs.file, &font.deflated, font.length),
        (refs.to_unicode, &font.to_unicode),
    );
}

/// The font file (deflated, with its length before) and the ToUnicode map
/// (deflated).
fn file_and_cmap(objects: &mut Objects, file: (Ref, &[u8], usize), cmap: (Ref, &[u8])) {
    let (id, deflated, length) = file;
    objects.top(id, |c| {
        c.stream(id, deflated)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), i32::try_from(length).unwrap_or(i32::MAX));
    });
    objects.top(cmap.0, |c| {
        c.cmap(cmap.0, cmap.1).filter(Filter::FlateDecode);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_font_reads_back_latin_1_and_its_script() {
        for script in FontId::ALL {
            let form = form_font(script).unwrap();
            let cmap = String::from_utf8_lossy(&flate2_inflate(&form.to_unicode)).into_owned();
            // ë (U+00EB) and ₹ (U+20B9) each read back from one glyph.
            for c in ["00EB", "20B9"] {
                assert!(cmap.contains(&format!("<{c}>")), "{script:?}: {c}");
            }
        }
    }

    fn flate2_inflate(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(data), &mut out).unwrap();
        out
    }
}
