//! Drawing laid-out text into a content stream: runs of natural glyphs shown
//! at once, other glyphs placed one by one, `/ActualText` where the glyphs
//! alone do not read back as the text (docs/decisions.md D24).

use pdf_writer::{Content, Name, Str, TextStr};

use crate::fonts::FontId;
use crate::text::{Laid, Line};

/// Each font's resource name, by [`FontId`].
pub(crate) const FONT_NAMES: [&[u8]; 11] = [
    b"F1", b"F2", b"F3", b"F4", b"F5", b"F6", b"F7", b"F8", b"F9", b"F10", b"F11",
];

/// Text of one content stream (a page or a form XObject), positioned, and
/// the fonts it uses.
pub(crate) struct PageText {
    pub content: Content,
    font: Option<(FontId, f32)>,
    buf: Vec<u8>,
    /// Which fonts it used, by [`FontId`].
    pub fonts: [bool; 11],
}

impl PageText {
    pub fn new() -> PageText {
        let mut content = Content::new();
        content.begin_text();
        PageText {
            content,
            font: None,
            buf: Vec::new(),
            fonts: [false; 11],
        }
    }

    /// A laid-out cell, its first line's baseline at `y`, each further
    /// line `step` lower; right-to-left text is set flush right in `width`.
    pub fn show(&mut self, laid: &Laid, size: f32, (x, y): (f32, f32), width: f32, step: f32) {
        for (i, line) in laid.lines.iter().enumerate() {
            if laid.needs_actual_text {
                // The whole text on the first line, nothing on the others:
                // the cell extracts as it is stored (docs/decisions.md D24).
                let text = if i == 0 { laid.text.as_str() } else { "" };
                self.content
                    .begin_marked_content_with_properties(Name(b"Span"))
                    .properties()
                    .actual_text(TextStr(text));
            }
            let left = if laid.right_to_left {
                x + width - line.width
            } else {
                x
            };
            self.line(line, size, left, y - i as f32 * step);
            if laid.needs_actual_text {
                self.content.end_marked_content();
            }
        }
    }

    /// One line: each run of natural glyphs shown at once, any other glyph
    /// placed on its own.
    fn line(&mut self, line: &Line, size: f32, x: f32, y: f32) {
        let mut pen = x;
        for run in &line.runs {
            if self.font != Some((run.font, size)) {
                self.content
                    .set_font(Name(FONT_NAMES[run.font as usize]), size);
                self.font = Some((run.font, size));
                self.fonts[run.font as usize] = true;
            }
            let mut glyphs = run.glyphs.iter().peekable();
            while let Some(first) = glyphs.next() {
                self.content
                    .set_text_matrix([1.0, 0.0, 0.0, 1.0, pen + first.dx, y + first.dy]);
                self.buf.clear();
                self.buf.extend(first.gid.to_be_bytes());
                pen += first.advance;
                while let Some(g) = glyphs.next_if(|g| first.natural && g.natural) {
                    self.buf.extend(g.gid.to_be_bytes());
                    pen += g.advance;
                }
                self.content.show(Str(&self.buf));
            }
        }
    }
}
