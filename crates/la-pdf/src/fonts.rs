//! The fonts a sheet can draw with, all shipped in `assets/fonts/` under
//! their licences and embedded in the binary (docs/decisions.md D24): DejaVu
//! Sans Condensed for Latin, Greek and Cyrillic, one Noto font per Indian
//! script, Noto Naskh Arabic for Urdu, and the form font for typed values.

use std::sync::OnceLock;

use rustybuzz::Face;
use unicode_script::Script;

/// A font of the catalogue; its discriminant indexes [`FONTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum FontId {
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
pub(crate) struct FontFile {
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
pub(crate) const FONT_COUNT: usize = 11;

/// The catalogue, in [`FontId`] order.
pub(crate) const FONTS: [FontFile; FONT_COUNT] = [
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

/// The form fonts, in [`FontId`] order from Devanagari: DejaVu's Windows
/// Latin-1, rupee sign and punctuation, with the whole block of the script,
/// without shaping tables (docs/decisions.md D30; built by
/// `scripts/make-form-font.py`). A sheet embeds one, whole.
pub(crate) const FORM_FONTS: [FontFile; FONT_COUNT - 1] = [
    font!("LAFormSans-Devanagari", "LAFormSans-Devanagari.ttf"),
    font!("LAFormSans-Bengali", "LAFormSans-Bengali.ttf"),
    font!("LAFormSans-Gurmukhi", "LAFormSans-Gurmukhi.ttf"),
    font!("LAFormSans-Gujarati", "LAFormSans-Gujarati.ttf"),
    font!("LAFormSans-Oriya", "LAFormSans-Oriya.ttf"),
    font!("LAFormSans-Tamil", "LAFormSans-Tamil.ttf"),
    font!("LAFormSans-Telugu", "LAFormSans-Telugu.ttf"),
    font!("LAFormSans-Kannada", "LAFormSans-Kannada.ttf"),
    font!("LAFormSans-Malayalam", "LAFormSans-Malayalam.ttf"),
    font!("LAFormSans-Arabic", "LAFormSans-Arabic.ttf"),
];

/// The script a sheet's form font holds besides Latin (docs/decisions.md
/// D30): the one most of the sheet's characters are in, from `letters`
/// (characters laid out per font: names, addresses, the agent's and the
/// store's); Devanagari when none is an Indian script or Urdu.
pub(crate) fn form_script(letters: &[usize; FONT_COUNT]) -> FontId {
    FontId::ALL[1..]
        .iter()
        .copied()
        .max_by_key(|f| (letters[*f as usize], std::cmp::Reverse(*f as usize)))
        .filter(|f| letters[*f as usize] > 0)
        .unwrap_or(FontId::Devanagari)
}

impl FontId {
    /// Every font, in catalogue order (the fallback order).
    pub(crate) const ALL: [FontId; FONT_COUNT] = [
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
    pub(crate) fn file(self) -> &'static FontFile {
        &FONTS[self as usize]
    }

    /// The form font holding its script with Latin (Latin's: Devanagari's).
    pub(crate) fn form_file(self) -> &'static FontFile {
        &FORM_FONTS[(self as usize).saturating_sub(1)]
    }

    /// The font for a script; `None` for characters that take their
    /// neighbours' font (spaces, digits, punctuation, combining marks).
    pub(crate) fn for_script(script: Script) -> Option<FontId> {
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
    pub(crate) fn face(self) -> Result<&'static Face<'static>, String> {
        static FACES: [OnceLock<Option<Face<'static>>>; FONT_COUNT] =
            [const { OnceLock::new() }; FONT_COUNT];
        FACES[self as usize]
            .get_or_init(|| Face::from_slice(self.file().data, 0))
            .as_ref()
            .ok_or_else(|| format!("embedded font {} cannot be read", self.file().name))
    }

    /// Whether the font has a glyph for `c`.
    pub(crate) fn covers(self, c: char) -> bool {
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
        for (font, c) in samples.into_iter().skip(1) {
            let form = Face::from_slice(font.form_file().data, 0).unwrap();
            for c in "Zoë Œ€ ₹1,250 –…".chars().chain([c]) {
                assert!(
                    form.glyph_index(c).is_some(),
                    "{font:?}'s form font lacks {c}"
                );
            }
        }
    }

    #[test]
    fn a_sheets_form_font_holds_the_script_most_of_its_letters_are_in() {
        let cases: [(&[&str], FontId); 5] = [
            (&["Asha Patil", "Flat 4, Pune"], FontId::Devanagari),
            (&["சுப்ரமணியம்", "Anna Salai", "க"], FontId::Tamil),
            (&["بلال شاہد", "कोथरूड"], FontId::Arabic),
            (&["क ख", "க"], FontId::Devanagari),
            (&["ক", "க"], FontId::Bengali),
        ];
        for (texts, want) in cases {
            let mut shaper = crate::text::Shaper::new().unwrap();
            for t in texts {
                shaper.layout(t, 8.0, 100.0, 2);
            }
            assert_eq!(shaper.form_script(), want, "{texts:?}");
        }
    }
}
