//! Drawing laid-out text into a content stream: glyphs shown as strings, a
//! new one where a glyph sits off its pen position; `/ActualText` where the
//! glyphs alone do not read back as the text (docs/decisions.md D24).

use pdf_writer::{Content, Name, Str, TextStr};

use crate::fonts::{FontId, FONT_COUNT};
use crate::text::{Laid, Line, Placed};

/// Each font's resource name, by [`FontId`].
pub(crate) const FONT_NAMES: [&[u8]; FONT_COUNT] = [
    b"F1", b"F2", b"F3", b"F4", b"F5", b"F6", b"F7", b"F8", b"F9", b"F10", b"F11",
];

/// Text of one content stream (a page or a form XObject), positioned, and
/// the fonts it uses.
pub(crate) struct PageText {
    pub content: Content,
    font: Option<(FontId, f32)>,
    buf: Vec<u8>,
    /// Which fonts it used, by [`FontId`].
    pub fonts: [bool; FONT_COUNT],
}

impl PageText {
    pub fn new() -> PageText {
        let mut content = Content::new();
        content.begin_text();
        PageText {
            content,
            font: None,
            buf: Vec::new(),
            fonts: [false; FONT_COUNT],
        }
    }

    /// A laid-out cell, its first line's baseline at `y`, each further
    /// line `step` lower; right-to-left text is set flush right in `width`.
    /// Its lines are one marked-content span with `/ActualText` when its
    /// glyphs alone do not read back as its text (docs/decisions.md D24).
    pub fn show(&mut self, laid: &Laid, size: f32, (x, y): (f32, f32), width: f32, step: f32) {
        if let Some(text) = &laid.actual_text {
            self.content
                .begin_marked_content_with_properties(Name(b"Span"))
                .properties()
                .actual_text(TextStr(text));
        }
        for (i, line) in laid.lines.iter().enumerate() {
            let left = if laid.right_to_left {
                x + width - line.width
            } else {
                x
            };
            self.line(line, size, left, y - i as f32 * step);
        }
        if laid.actual_text.is_some() {
            self.content.end_marked_content();
        }
    }

    /// One line, in visual order: glyphs shown as strings, a new one where a
    /// glyph sits off its pen position.
    fn line(&mut self, line: &Line, size: f32, x: f32, y: f32) {
        let mut pen = x;
        for run in &line.runs {
            if self.font != Some((run.font, size)) {
                self.content
                    .set_font(Name(FONT_NAMES[run.font as usize]), size);
                self.font = Some((run.font, size));
                self.fonts[run.font as usize] = true;
            }
            // A string of glyphs from one with an offset (or the run's
            // first) up to the next with an offset or a vertical one.
            let mut start = 0;
            while start < run.glyphs.len() {
                let first = &run.glyphs[start];
                let rest = run.glyphs[start..]
                    .windows(2)
                    .take_while(|w| {
                        first.dy == 0.0 && !w[0].ends_string && w[1].dx == 0.0 && w[1].dy == 0.0
                    })
                    .count();
                let chunk = &run.glyphs[start..start + 1 + rest];
                self.glyphs(chunk, pen, y);
                pen += chunk.iter().map(|g| g.advance).sum::<f32>();
                start += chunk.len();
            }
        }
    }

    /// Glyphs shown from the pen position `x` on baseline `y` (the first
    /// one's offset applied), each advancing by its font width.
    fn glyphs(&mut self, glyphs: &[Placed], x: f32, y: f32) {
        let Some(first) = glyphs.first() else { return };
        self.content
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, x + first.dx, y]);
        // A mark's vertical offset as text rise: its line stays the line.
        if first.dy != 0.0 {
            self.content.set_rise(first.dy);
        }
        self.buf.clear();
        self.buf
            .extend(glyphs.iter().flat_map(|g| g.code.to_be_bytes()));
        self.content.show(Str(&self.buf));
        if first.dy != 0.0 {
            self.content.set_rise(0.0);
        }
    }
}
