//! Embedding fonts in a sheet: each used font as a Type0 / CIDFontType2
//! subset with its widths and ToUnicode map, and the form font whole
//! (docs/decisions.md D24).

use std::sync::OnceLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Name, Rect, Ref, Str};

use crate::fonts::{FontId, FORM_FONT};
use crate::pack::{compress, Objects};
use crate::render::RenderError;
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

/// A font ready to embed: the (subset) file deflated, widths in font units
/// by code, each code's glyph, what each code reads as.
struct Embeddable<'a> {
    name: String,
    face: &'a ttf_parser::Face<'a>,
    deflated: Vec<u8>,
    length: usize,
    widths: Vec<i32>,
    /// The glyph of each code, unless every code is its glyph's id.
    code_to_glyph: Option<Vec<u16>>,
    to_unicode: Vec<u8>,
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
    let font = Embeddable {
        name: format!("LASUBS+{}", file.name),
        face,
        deflated: compress(&data),
        length: data.len(),
        widths: subset.widths.clone(),
        code_to_glyph: (!subset.codes_are_glyphs()).then(|| subset.code_to_glyph.clone()),
        to_unicode: to_unicode(subset.to_unicode.iter().map(|(g, t)| (*g, t.as_str()))),
    };
    write(objects, refs, &font);
    Ok(())
}

/// The form font's codes above ASCII: (character, glyph name). Viewers
/// that build a typed value's appearance encode it through this table (and
/// the ToUnicode map); pdftk's own builder knows only the names of the
/// Adobe Glyph List, so it draws ASCII and punctuation (docs/decisions.md D24).
fn form_extra_chars() -> Vec<(char, String)> {
    let named = [
        ('—', "emdash"),
        ('–', "endash"),
        ('‘', "quoteleft"),
        ('’', "quoteright"),
        ('“', "quotedblleft"),
        ('”', "quotedblright"),
        ('•', "bullet"),
        ('…', "ellipsis"),
    ];
    let devanagari = (0x901..=0x939)
        .chain(0x93C..=0x94D)
        .chain([0x950])
        .chain(0x958..=0x970);
    let mut out: Vec<(char, String)> = vec![('₹', "uni20B9".to_owned())];
    out.extend(named.iter().map(|(c, n)| (*c, (*n).to_owned())));
    out.extend(
        devanagari
            .filter_map(char::from_u32)
            .map(|c| (c, format!("uni{:04X}", c as u32))),
    );
    out
}

/// First code of [`form_extra_chars`].
const FORM_EXTRA: u8 = 128;

/// The form font, prepared once per process: the whole file deflated hard,
/// its simple-font encoding, widths and ToUnicode map.
struct FormFont {
    face: ttf_parser::Face<'static>,
    deflated: Vec<u8>,
    length: usize,
    /// Widths (1/1000 em) of codes 32..=255.
    widths: Vec<f32>,
    differences: Vec<String>,
    to_unicode: Vec<u8>,
}

fn form_font() -> Result<&'static FormFont, RenderError> {
    static FORM: OnceLock<Result<FormFont, String>> = OnceLock::new();
    FORM.get_or_init(|| {
        let face = ttf_parser::Face::parse(FORM_FONT.data, 0).map_err(|e| e.to_string())?;
        let extra = form_extra_chars();
        let mut codes: Vec<(u8, char)> = (32u8..127).map(|b| (b, char::from(b))).collect();
        codes.extend((FORM_EXTRA..=255).zip(extra.iter().map(|e| e.0)));
        let scale = 1000.0 / f32::from(face.units_per_em());
        let mut widths = vec![0.0; 224];
        let mut cmap = UnicodeCmap::new(Name(b"Custom"), SYSTEM);
        for (code, c) in &codes {
            let advance = face.glyph_index(*c).and_then(|g| face.glyph_hor_advance(g));
            widths[usize::from(code - 32)] = f32::from(advance.unwrap_or(0)) * scale;
            cmap.pair(*code, *c);
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, FORM_FONT.data).map_err(|e| e.to_string())?;
        Ok(FormFont {
            face,
            deflated: z.finish().map_err(|e| e.to_string())?,
            length: FORM_FONT.data.len(),
            widths,
            differences: extra.into_iter().map(|e| e.1).collect(),
            to_unicode: compress(&cmap.finish()),
        })
    })
    .as_ref()
    .map_err(|e| RenderError::Font(format!("form font: {e}")))
}

/// The form font's objects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FormFontRefs {
    pub font: Ref,
    descriptor: Ref,
    file: Ref,
    to_unicode: Ref,
}

impl FormFontRefs {
    /// Four new object ids from `next`.
    pub fn new(mut next: impl FnMut() -> Ref) -> FormFontRefs {
        FormFontRefs {
            font: next(),
            descriptor: next(),
            file: next(),
            to_unicode: next(),
        }
    }
}

/// Embeds the whole form font as a simple TrueType font: ASCII as in
/// WinAnsi, the rupee sign, punctuation and Devanagari from code 128.
pub(crate) fn write_form_font(
    objects: &mut Objects,
    refs: FormFontRefs,
) -> Result<(), RenderError> {
    let form = form_font()?;
    let base = format!("LAFORM+{}", FORM_FONT.name);
    objects.packed(refs.font, |c| {
        let mut d = c.indirect(refs.font).dict();
        d.pair(Name(b"Type"), Name(b"Font"));
        d.pair(Name(b"Subtype"), Name(b"TrueType"));
        d.pair(Name(b"BaseFont"), Name(base.as_bytes()));
        d.pair(Name(b"FirstChar"), 32);
        d.pair(Name(b"LastChar"), 255);
        d.insert(Name(b"Widths"))
            .array()
            .items(form.widths.iter().copied());
        d.pair(Name(b"FontDescriptor"), refs.descriptor);
        d.pair(Name(b"ToUnicode"), refs.to_unicode);
        let mut enc = d.insert(Name(b"Encoding")).dict();
        enc.pair(Name(b"Type"), Name(b"Encoding"));
        enc.pair(Name(b"BaseEncoding"), Name(b"WinAnsiEncoding"));
        let mut diff = enc.insert(Name(b"Differences")).array();
        diff.item(i32::from(FORM_EXTRA));
        for name in &form.differences {
            diff.item(Name(name.as_bytes()));
        }
    });
    descriptor(objects, refs.descriptor, &base, &form.face, refs.file);
    file_and_cmap(
        objects,
        (refs.file, &form.deflated, form.length),
        (refs.to_unicode, &form.to_unicode),
    );
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
    let scale = 1000.0 / f32::from(font.face.units_per_em());
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
        c.widths()
            .consecutive(0, font.widths.iter().map(|w| *w as f32 * scale));
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
    fn every_form_character_has_a_code_and_a_glyph() {
        let extra = form_extra_chars();
        assert!(extra.len() <= usize::from(u8::MAX - FORM_EXTRA) + 1);
        let face = ttf_parser::Face::parse(FORM_FONT.data, 0).unwrap();
        let ascii = (32u8..127).map(char::from);
        for c in ascii.chain(extra.iter().map(|e| e.0)) {
            assert!(face.glyph_index(c).is_some(), "{c:?}");
        }
    }
}
