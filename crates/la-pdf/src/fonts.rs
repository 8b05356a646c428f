//! The fonts a sheet can draw with, all shipped in `assets/fonts/` under
//! their licences and embedded in the binary (docs/decisions.md D24): DejaVu
//! Sans Condensed for Latin, Greek and Cyrillic, one Noto font per Indian
//! script, Noto Naskh Arabic for Urdu, and the form font for typed values.

use std::sync::OnceLock;

use rustybuzz::Face;
use unicode_script::Script;

/// A font of the catalogue; its discriminant indexes [`FONTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontId {
    Latin,
    Devanagari,
    Bengali,
    Gurmukhi,
    Gujarati,
    Oriya,
    Tamil,
    Telugu,
    Kannada,
    Malayalam,
    Arabic,
}

/// One embedded font file.
#[derive(Debug)]
pub struct FontFile {
    /// PostScript name used in the PDF (with a subset tag added).
    pub name: &'static str,
    pub data: &'static [u8],
}

macro_rules! font {
    ($name:literal, $file:literal) => {
        FontFile {
            name: $name,
            data: include_bytes!(concat!("../../../assets/fonts/", $file)),
        }
    };
}

/// How many fonts the catalogue has.
pub const FONT_COUNT: usize = 11;

/// The catalogue, in [`FontId`] order.
pub const FONTS: [FontFile; FONT_COUNT] = [
    font!("DejaVuSansCondensed", "DejaVuSansCondensed.ttf"),
    font!(
        "NotoSansDevanagari-Regular",
        "NotoSansDevanagari-Regular.ttf"
    ),
    font!("NotoSansBengali-Regular", "NotoSansBengali-Regular.ttf"),
    font!("NotoSansGurmukhi-Regular", "NotoSansGurmukhi-Regular.ttf"),
    font!("NotoSansGujarati-Regular", "NotoSansGujarati-Regular.ttf"),
    font!("NotoSansOriya-Regular", "NotoSansOriya-Regular.ttf"),
    font!("NotoSansTamil-Regular", "NotoSansTamil-Regular.ttf"),
    font!("NotoSansTelugu-Regular", "NotoSansTelugu-Regular.ttf"),
    font!("NotoSansKannada-Regular", "NotoSansKannada-Regular.ttf"),
    font!("NotoSansMalayalam-Regular", "NotoSansMalayalam-Regular.ttf"),
    font!("NotoNaskhArabic-Regular", "NotoNaskhArabic-Regular.ttf"),
];

/// The form font: DejaVu's ASCII and rupee sign with Noto's Devanagari block,
/// embedded whole in every sheet so that viewers can draw typed values
/// (built by `scripts/make-form-font.py`).
pub const FORM_FONT: FontFile = font!("LAFormSans", "LAFormSans.ttf");

impl FontId {
    /// Every font, in catalogue order (the fallback order).
    pub const ALL: [FontId; FONT_COUNT] = [
        FontId::Latin,
        FontId::Devanagari,
        FontId::Bengali,
        FontId::Gurmukhi,
        FontId::Gujarati,
        FontId::Oriya,
        FontId::Tamil,
        FontId::Telugu,
        FontId::Kannada,
        FontId::Malayalam,
        FontId::Arabic,
    ];

    /// Its file.
    pub fn file(self) -> &'static FontFile {
        &FONTS[self as usize]
    }

    /// The font for a script; `None` for characters that take their
    /// neighbours' font (spaces, digits, punctuation, combining marks).
    pub fn for_script(script: Script) -> Option<FontId> {
        Some(match script {
            Script::Common | Script::Inherited | Script::Unknown => return None,
            Script::Devanagari => FontId::Devanagari,
            Script::Bengali => FontId::Bengali,
            Script::Gurmukhi => FontId::Gurmukhi,
            Script::Gujarati => FontId::Gujarati,
            Script::Oriya => FontId::Oriya,
            Script::Tamil => FontId::Tamil,
            Script::Telugu => FontId::Telugu,
            Script::Kannada => FontId::Kannada,
            Script::Malayalam => FontId::Malayalam,
            Script::Arabic => FontId::Arabic,
            _ => FontId::Latin,
        })
    }

    /// The parsed font, parsed once per process.
    pub fn face(self) -> Result<&'static Face<'static>, String> {
        static FACES: [OnceLock<Option<Face<'static>>>; FONT_COUNT] =
            [const { OnceLock::new() }; FONT_COUNT];
        FACES[self as usize]
            .get_or_init(|| Face::from_slice(self.file().data, 0))
            .as_ref()
            .ok_or_else(|| format!("embedded font {} cannot be read", self.file().name))
    }

    /// Whether the font has a glyph for `c`.
    pub fn covers(self, c: char) -> bool {
        self.face().is_ok_and(|f| f.glyph_index(c).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_font_parses_and_covers_its_script() {
        let samples = [
            (FontId::Latin, 'ж'),
            (FontId::Devanagari, 'क'),
            (FontId::Bengali, 'ক'),
            (FontId::Gurmukhi, 'ਕ'),
            (FontId::Gujarati, 'ક'),
            (FontId::Oriya, 'କ'),
            (FontId::Tamil, 'க'),
            (FontId::Telugu, 'క'),
            (FontId::Kannada, 'ಕ'),
            (FontId::Malayalam, 'ക'),
            (FontId::Arabic, '\u{06C1}'),
        ];
        for (font, c) in samples {
            assert!(font.covers(c), "{font:?} lacks {c}");
            assert_eq!(
                FontId::for_script(unicode_script::UnicodeScript::script(&c)),
                Some(font)
            );
        }
        assert!(Face::from_slice(FORM_FONT.data, 0)
            .is_some_and(|f| { "A₹कि".chars().all(|c| f.glyph_index(c).is_some()) }));
    }
}
