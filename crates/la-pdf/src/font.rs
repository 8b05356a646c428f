//! The sheet font (DejaVu Sans Condensed, shipped in `assets/fonts/` under its
//! licence): glyph lookup and widths from the real metrics, ellipsis fitting,
//! and the per-document subset with its ToUnicode map.

use std::collections::HashMap;
use std::sync::OnceLock;

use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

/// The embedded font file.
pub const FONT_DATA: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansCondensed.ttf");
/// PostScript name used in the PDF (with the subset tag added).
pub const FONT_NAME: &str = "DejaVuSansCondensed";
/// Drawn in place of a character the font lacks.
pub const PLACEHOLDER: char = '\u{FFFD}';
const ELLIPSIS: char = '…';

/// The parsed font, parsed once per process.
pub fn face() -> Result<&'static Face<'static>, String> {
    static FACE: OnceLock<Result<Face<'static>, String>> = OnceLock::new();
    FACE.get_or_init(|| Face::parse(FONT_DATA, 0).map_err(|e| format!("embedded font: {e}")))
        .as_ref()
        .map_err(Clone::clone)
}

/// Text laid out in one font size: remapped glyph ids (for the subset) and
/// the width in font units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shaped {
    /// Glyph ids of the document's subset, two bytes each when shown.
    pub glyphs: Vec<u16>,
    /// Advance width in font units.
    pub width: u32,
}

impl Shaped {
    /// Width in points at `size`, for a font of `units_per_em`.
    pub fn width_pt(&self, size: f32, units_per_em: f32) -> f32 {
        self.width as f32 * size / units_per_em
    }
}

/// Per-document shaper: caches lookups, remaps glyphs into the subset, keeps
/// the ToUnicode pairs, and records characters the font lacks.
#[derive(Debug)]
pub struct Shaper {
    face: &'static Face<'static>,
    units_per_em: f32,
    /// Lookups of characters below U+0800 (Latin, Greek, Cyrillic…), by code point.
    small: Vec<Option<(u16, u16, bool)>>,
    cache: HashMap<char, (u16, u16, bool)>,
    /// Old → new glyph ids.
    pub remapper: GlyphRemapper,
    /// New glyph id → the character it shows.
    pub to_unicode: Vec<(u16, char)>,
    /// Widths (font units) of new glyph ids, indexed by new id.
    pub widths: Vec<u16>,
}

impl Shaper {
    /// A shaper over the embedded font.
    pub fn new() -> Result<Shaper, String> {
        let face = face()?;
        let mut shaper = Shaper {
            face,
            units_per_em: f32::from(face.units_per_em()),
            small: vec![None; 0x800],
            cache: HashMap::new(),
            remapper: GlyphRemapper::new(),
            to_unicode: Vec::new(),
            widths: Vec::new(),
        };
        // .notdef must be glyph 0 of the subset.
        shaper.remapper.remap(0);
        shaper
            .widths
            .push(face.glyph_hor_advance(GlyphId(0)).unwrap_or(0));
        Ok(shaper)
    }

    /// Font units per em.
    pub fn units_per_em(&self) -> f32 {
        self.units_per_em
    }

    /// Ascender in font units.
    pub fn ascender(&self) -> i16 {
        self.face.ascender()
    }

    /// Descender in font units.
    pub fn descender(&self) -> i16 {
        self.face.descender()
    }

    /// Cap height in font units.
    pub fn cap_height(&self) -> i16 {
        self.face.capital_height().unwrap_or(self.face.ascender())
    }

    /// Font bounding box in font units.
    pub fn bbox(&self) -> ttf_parser::Rect {
        self.face.global_bounding_box()
    }

    /// (new glyph id, advance, whether the character was missing).
    fn glyph(&mut self, c: char) -> (u16, u16, bool) {
        let small = (c as usize) < self.small.len();
        if small {
            if let Some(hit) = self.small[c as usize] {
                return hit;
            }
        } else if let Some(hit) = self.cache.get(&c) {
            return *hit;
        }
        let (shown, missing) = match self.face.glyph_index(c) {
            Some(g) => ((g, c), false),
            None => {
                let g = self
                    .face
                    .glyph_index(PLACEHOLDER)
                    .or_else(|| self.face.glyph_index('?'));
                ((g.unwrap_or(GlyphId(0)), PLACEHOLDER), true)
            }
        };
        let (old, ch) = shown;
        let advance = self.face.glyph_hor_advance(old).unwrap_or(0);
        let before = self.remapper.num_gids();
        let new = self.remapper.remap(old.0);
        if self.remapper.num_gids() != before {
            self.to_unicode.push((new, ch));
            self.widths.push(advance);
        }
        let hit = (new, advance, missing);
        if small {
            self.small[c as usize] = Some(hit);
        } else {
            self.cache.insert(c, hit);
        }
        hit
    }

    /// Shapes `text` (after [`clean`]) to fit `max_width` points at `size`,
    /// cutting it with an ellipsis when longer. Returns the shaped text and
    /// the characters the font lacks.
    pub fn fit(&mut self, text: &str, size: f32, max_width: f32) -> (Shaped, Vec<char>) {
        let max_units = (max_width.max(0.0) * self.units_per_em / size) as u32;
        let mut out = Shaped::default();
        let mut missing = Vec::new();
        for c in clean(text).chars() {
            let (g, adv, miss) = self.glyph(c);
            if miss {
                missing.push(c);
            }
            out.glyphs.push(g);
            out.width += u32::from(adv);
        }
        if out.width > max_units {
            let (eg, eadv, _) = self.glyph(ELLIPSIS);
            let eadv = u32::from(eadv);
            while out.width + eadv > max_units {
                let Some(g) = out.glyphs.pop() else { break };
                let adv = self.widths.get(usize::from(g)).copied().unwrap_or(0);
                out.width -= u32::from(adv);
            }
            if out.width + eadv <= max_units {
                out.glyphs.push(eg);
                out.width += eadv;
            }
        }
        (out, missing)
    }
}

/// Control characters removed; line breaks and tabs become spaces; runs of
/// white space folded; trimmed.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    let simple = !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.contains("  ")
        && text
            .chars()
            .all(|c| c == ' ' || !(c.is_whitespace() || c.is_control()));
    if simple {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if !c.is_control() {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_controls_and_folds_space() {
        assert_eq!(clean(" a\r\n\tb\u{7}c  d "), "a bc d");
        assert_eq!(clean("\u{1b}[31mred"), "[31mred");
    }

    #[test]
    fn fit_cuts_with_ellipsis_within_the_width() {
        let mut s = Shaper::new().unwrap();
        let long = "x".repeat(500);
        let (shaped, missing) = s.fit(&long, 8.0, 100.0);
        assert!(missing.is_empty());
        assert!(shaped.width as f32 * 8.0 / s.units_per_em() <= 100.0);
        assert!(shaped.glyphs.len() < 500);
        let (short, _) = s.fit("José", 8.0, 100.0);
        assert_eq!(short.glyphs.len(), 4);
        let (_, missing) = s.fit("a\u{10FFFD}b", 8.0, 100.0);
        assert_eq!(missing, vec!['\u{10FFFD}']);
    }
}
