//! Text on a sheet (docs/decisions.md D24): a cell's text is itemized by
//! font (one per script) and bidi level, each run shaped (rustybuzz; plain
//! Latin, Greek and Cyrillic map one character to one glyph and skip the
//! shaper), wrapped onto at most the lines the cell allows, and shortened
//! with "…" only when it still does not fit. Glyphs land in per-font subsets
//! whose codes remember what each glyph shown reads as.

use std::collections::HashMap;

use rustybuzz::{Direction, ShapePlan, UnicodeBuffer};
use subsetter::GlyphRemapper;
use unicode_bidi::{BidiInfo, Level};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_script::{Script, UnicodeScript};

use crate::fonts::{FontId, FONT_COUNT};

/// Drawn in place of a character no font covers.
pub(crate) const PLACEHOLDER: char = '\u{FFFD}';
const ELLIPSIS: char = '…';

/// One glyph as placed, in points at the size it was laid out in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placed {
    /// The code that shows it (its font's CID).
    pub code: u16,
    /// Pen advance.
    pub advance: f32,
    /// Offset from the pen position. Its code's width is its advance less
    /// `dx`, so the next glyph follows it in the same string unless `dy`
    /// is not zero.
    pub dx: f32,
    pub dy: f32,
    /// Its code's width is not its advance less `dx` (a zero-wide mark):
    /// the next glyph starts a new string at its own position.
    pub ends_string: bool,
}

impl Placed {
    /// An invisible zero-width glyph that only carries text.
    fn invisible(code: u16) -> Placed {
        Placed {
            code,
            advance: 0.0,
            dx: 0.0,
            dy: 0.0,
            ends_string: false,
        }
    }
}

/// Glyphs of one font, in visual order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub font: FontId,
    pub glyphs: Vec<Placed>,
}

/// One line of a cell, in visual order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Line {
    pub runs: Vec<Run>,
    pub width: f32,
    /// The text it stands for (a shortened line: all the text left).
    pub text: String,
    /// Its glyphs do not read back as `text` in every reader (shaped left
    /// to right, shortened, or with placeholders).
    pub needs_actual_text: bool,
    /// The text goes on after a space (a wrapped line broken at one).
    pub space_after: bool,
}

/// A cell's text, laid out.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Laid {
    pub lines: Vec<Line>,
    /// The whole text as extracted (cleaned).
    pub text: String,
    /// What `/ActualText` gives for the whole cell, when its glyphs do not
    /// read back as its text in every reader: its lines' text as their
    /// glyphs read, joined as the text was broken.
    pub actual_text: Option<String>,
    /// Characters no font covers, drawn as placeholders.
    pub missing: Vec<char>,
    /// The text reads right to left (its first strong character does).
    pub right_to_left: bool,
}

/// One font's glyphs used by a document, and the codes (CIDs) that show
/// them. A glyph gets a code per text it stands for, so that a reader
/// mapping codes to text (ToUnicode) gets each cluster's text once, in the
/// order the codes are shown; and per width, so that after a glyph placed
/// off its pen position the text position is back on the pen (readers that
/// guess spaces from gaps see none inside a word).
#[derive(Debug)]
pub(crate) struct Subset {
    /// Font glyph ids → subset glyph ids.
    pub remapper: GlyphRemapper,
    /// Subset glyph id by code.
    pub code_to_glyph: Vec<u16>,
    /// Width (font units) by code.
    pub widths: Vec<i32>,
    /// Codes by subset glyph id: (what it reads as, width, code).
    codes: HashMap<u16, Vec<(String, i32, u16)>>,
    /// What each code reads as, for the ToUnicode map.
    pub to_unicode: Vec<(u16, String)>,
    /// Points per font unit at size 1.
    pub scale: f32,
}

impl Subset {
    fn new(font: FontId) -> Result<Subset, String> {
        let face = font.face()?;
        let mut remapper = GlyphRemapper::new();
        // .notdef must be glyph 0 of the subset, and code 0 show it.
        remapper.remap(0);
        let notdef = face.glyph_hor_advance(ttf_parser::GlyphId(0)).unwrap_or(0);
        Ok(Subset {
            remapper,
            code_to_glyph: vec![0],
            widths: vec![i32::from(notdef)],
            codes: HashMap::from([(0, vec![(String::new(), i32::from(notdef), 0)])]),
            to_unicode: Vec::new(),
            scale: 1.0 / face.units_per_em() as f32,
        })
    }

    /// The code showing font glyph `old` as `reads`, `width` units wide.
    fn add(&mut self, old: u16, width: i32, reads: &str) -> u16 {
        let glyph = self.remapper.remap(old);
        let codes = self.codes.entry(glyph).or_default();
        if let Some((_, _, code)) = codes.iter().find(|(r, w, _)| r == reads && *w == width) {
            return *code;
        }
        let code = u16::try_from(self.code_to_glyph.len()).unwrap_or(0);
        self.code_to_glyph.push(glyph);
        self.widths.push(width);
        codes.push((reads.to_owned(), width, code));
        self.to_unicode.push((code, reads.to_owned()));
        code
    }

    /// Whether every code is its glyph's id (the `Identity` map).
    pub(crate) fn codes_are_glyphs(&self) -> bool {
        (self.code_to_glyph.iter().enumerate()).all(|(c, g)| c == usize::from(*g))
    }
}

/// A run of text in one font and one direction (byte range of the line).
#[derive(Debug, Clone, PartialEq)]
struct Item {
    start: usize,
    end: usize,
    /// `None`: no font covers the characters; drawn as placeholders.
    font: Option<FontId>,
    level: Level,
}

/// What shaping one line gave.
#[derive(Debug, Default)]
struct Shaped {
    line: Line,
    missing: Vec<char>,
    complex: bool,
    right_to_left: bool,
    /// (byte where a cluster starts, width of the clusters before it), in
    /// logical order; filled only when asked for.
    bounds: Vec<(usize, f32)>,
    /// Characters per font (shaped text only).
    letters: Vec<(FontId, usize)>,
}

/// Per-document shaper: the subsets, and a direct cache for plain text.
#[derive(Debug)]
pub(crate) struct Shaper {
    subsets: Vec<Option<Subset>>,
    /// Characters laid out per font, for the form font's script.
    letters: [usize; FONT_COUNT],
    /// Plain characters below U+0800.
    plain: Vec<Option<PlainGlyph>>,
    plain_more: HashMap<char, PlainGlyph>,
    plans: Plans,
}

/// A plain character's glyph.
#[derive(Debug, Clone, Copy)]
struct PlainGlyph {
    code: u16,
    /// Advance in font units.
    advance: u16,
    /// No font has the character: the code shows the placeholder.
    missing: bool,
}

/// Shaping plans by (font, right to left, script).
#[derive(Default)]
struct Plans(HashMap<(FontId, bool, rustybuzz::ttf_parser::Tag), ShapePlan>);

impl std::fmt::Debug for Plans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} shaping plans", self.0.len())
    }
}

/// Characters drawn one glyph each, without the shaper: Latin, Greek and
/// Cyrillic letters without combining marks, punctuation, currency signs.
fn is_plain(c: char) -> bool {
    matches!(c as u32, 0..=0x2FF | 0x370..=0x482 | 0x48A..=0x58F | 0x2000..=0x20CF)
}

/// Strongly right-to-left characters (Hebrew, Arabic and their forms).
fn is_rtl(c: char) -> bool {
    matches!(c as u32, 0x590..=0x8FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

impl Shaper {
    /// A shaper with nothing used yet.
    pub(crate) fn new() -> Result<Shaper, String> {
        let mut shaper = Shaper {
            subsets: FontId::ALL.iter().map(|_| None).collect(),
            letters: [0; FONT_COUNT],
            plain: vec![None; 0x800],
            plain_more: HashMap::new(),
            plans: Plans::default(),
        };
        shaper.subset(FontId::Latin)?;
        Ok(shaper)
    }

    /// The script of the document's form font: the one most of what was
    /// laid out is in (docs/decisions.md D30).
    pub(crate) fn form_script(&self) -> FontId {
        crate::fonts::form_script(&self.letters)
    }

    /// The subsets used so far, by font.
    pub(crate) fn subsets(&self) -> impl Iterator<Item = (FontId, &Subset)> {
        FontId::ALL
            .into_iter()
            .zip(&self.subsets)
            .filter_map(|(f, s)| s.as_ref().map(|s| (f, s)))
    }

    /// A font's subset, started on first use.
    pub(crate) fn subset(&mut self, font: FontId) -> Result<&mut Subset, String> {
        let slot = &mut self.subsets[font as usize];
        if slot.is_none() {
            *slot = Some(Subset::new(font)?);
        }
        slot.as_mut().ok_or_else(|| "subset".to_owned())
    }

    /// Lays `text` out at `size` in `width` points on at most `max_lines`
    /// lines.
    pub(crate) fn layout(&mut self, text: &str, size: f32, width: f32, max_lines: usize) -> Laid {
        let text = clean(text).into_owned();
        let whole = self.shape(&text, size, false);
        for (font, n) in &whole.letters {
            self.letters[*font as usize] += n;
        }
        let fits = whole.line.width <= width;
        let rtl = whole.right_to_left;
        let lines = if fits {
            vec![whole.line]
        } else {
            self.wrap(&text, size, width, (max_lines, rtl))
        };
        // Left-to-right text broken over lines too: readers put a line
        // break where the text may have none (docs/decisions.md D24).
        let needs = lines.iter().any(|l| l.needs_actual_text) || (lines.len() > 1 && !rtl);
        let actual_text = needs.then(|| {
            let mut all = String::with_capacity(text.len() + 8);
            for l in &lines {
                all.push_str(&l.text);
                if l.space_after {
                    all.push(' ');
                }
            }
            all
        });
        Laid {
            lines,
            text,
            actual_text,
            missing: whole.missing,
            right_to_left: rtl,
        }
    }

    /// `text`, too wide for one line, wrapped at spaces (a single long word
    /// between clusters) onto at most `max_lines`, the last one shortened
    /// with "…" when the rest does not fit.
    fn wrap(
        &mut self,
        text: &str,
        size: f32,
        width: f32,
        (max_lines, rtl): (usize, bool),
    ) -> Vec<Line> {
        let mut lines = Vec::with_capacity(max_lines);
        let mut rest = text;
        while lines.len() + 1 < max_lines.max(1) {
            let shaped = self.shape(rest, size, true);
            let end = break_at(rest, &shaped.bounds, width);
            let piece = rest[..end].trim_end();
            let mut line = self.shape(piece, size, false).line;
            if line.text.is_empty() {
                line.text = piece.to_owned();
            }
            // Broken at a space (not inside a long word).
            line.space_after = rest[end..].starts_with(char::is_whitespace)
                || rest[..end].ends_with(char::is_whitespace);
            lines.push(line);
            rest = rest[end..].trim_start();
            let mut next = self.shape(rest, size, false);
            if next.line.width <= width {
                if next.line.text.is_empty() {
                    next.line.text = rest.to_owned();
                }
                lines.push(next.line);
                return lines;
            }
        }
        lines.push(self.shorten(rest, size, width, rtl));
        lines
    }

    /// `text` cut between clusters so that it and "…" fit in `width`.
    fn shorten(&mut self, text: &str, size: f32, width: f32, rtl: bool) -> Line {
        let ellipsis = self.plain_run(&ELLIPSIS.to_string(), size, &mut Vec::new());
        let e: f32 = ellipsis.glyphs.iter().map(|g| g.advance).sum();
        let shaped = self.shape(text, size, true);
        let cut = shaped
            .bounds
            .iter()
            .take_while(|(_, before)| before + e <= width)
            .map(|(at, _)| *at)
            .last()
            .unwrap_or(0);
        let mut line = self.shape(text[..cut].trim_end(), size, false).line;
        line.width += e;
        line.text = text.to_owned();
        line.needs_actual_text = true;
        if rtl {
            line.runs.insert(0, ellipsis);
        } else {
            line.runs.push(ellipsis);
        }
        line
    }

    /// Shapes one line of `text`; with `bounds`, also where its clusters start.
    fn shape(&mut self, text: &str, size: f32, bounds: bool) -> Shaped {
        let mut out = Shaped::default();
        let mut clusters = Vec::new();
        if text.chars().all(is_plain) {
            let run = self.plain_run(text, size, &mut out.missing);
            // Its text only when /ActualText may need it (wrap sets a
            // wrapped line's): plain text reads back as itself.
            if !out.missing.is_empty() {
                out.line.text = text.to_owned();
            }
            if bounds {
                let starts = text.char_indices().map(|(i, _)| i);
                clusters.extend(starts.zip(run.glyphs.iter().map(|g| g.advance)));
            }
            out.line.width = run.glyphs.iter().map(|g| g.advance).sum();
            out.line.runs.push(run);
        } else {
            out.complex = true;
            let (items, base) = itemize(text);
            out.right_to_left = base.is_rtl();
            let mut runs = Vec::with_capacity(items.len());
            // The glyphs' text only for a line that is kept (`bounds`
            // shaping is for break positions).
            let mut reads = String::with_capacity(if bounds { 0 } else { text.len() });
            for item in &items {
                let mut collect = Collect {
                    missing: &mut out.missing,
                    clusters: &mut clusters,
                    reads: (!bounds).then_some(&mut reads),
                };
                let run = self.item_run(text, item, size, &mut collect);
                runs.push((item.level, run));
                if let Some(font) = item.font {
                    out.letters
                        .push((font, text[item.start..item.end].chars().count()));
                }
            }
            // What the glyphs read, in logical order: the text /ActualText
            // gives for them, so that readers matching the two agree.
            out.line.text = reads;
            reorder(&mut runs);
            out.line.width = runs
                .iter()
                .flat_map(|(_, r)| &r.glyphs)
                .map(|g| g.advance)
                .sum();
            out.line.runs = runs.into_iter().map(|(_, r)| r).collect();
        }
        if bounds {
            out.bounds = cluster_bounds(clusters);
        }
        // Shaped left-to-right text too: readers other than pdf.js guess
        // spaces from where marks sit and take /ActualText instead.
        out.line.needs_actual_text = !out.missing.is_empty() || (out.complex && !out.right_to_left);
        out
    }

    /// Plain text: one glyph per character, from the Latin font.
    fn plain_run(&mut self, text: &str, size: f32, missing: &mut Vec<char>) -> Run {
        let scale = self.subsets[FontId::Latin as usize]
            .as_ref()
            .map_or(0.0, |s| s.scale * size);
        let glyphs = text
            .chars()
            .map(|c| {
                let PlainGlyph {
                    code,
                    advance,
                    missing: miss,
                } = self.plain_glyph(c);
                if miss {
                    missing.push(c);
                }
                Placed {
                    code,
                    advance: f32::from(advance) * scale,
                    dx: 0.0,
                    dy: 0.0,
                    ends_string: false,
                }
            })
            .collect();
        Run {
            font: FontId::Latin,
            glyphs,
        }
    }

    /// A plain character's glyph, looked up once per document.
    fn plain_glyph(&mut self, c: char) -> PlainGlyph {
        let small = (c as usize) < self.plain.len();
        let hit = if small {
            self.plain[c as usize]
        } else {
            self.plain_more.get(&c).copied()
        };
        if let Some(hit) = hit {
            return hit;
        }
        let Ok(face) = FontId::Latin.face() else {
            return PlainGlyph {
                code: 0,
                advance: 0,
                missing: true,
            };
        };
        let (old, reads, miss) = match face.glyph_index(c) {
            Some(g) => (g, c, false),
            None => {
                let g = face
                    .glyph_index(PLACEHOLDER)
                    .or_else(|| face.glyph_index('?'));
                (g.unwrap_or(ttf_parser::GlyphId(0)), PLACEHOLDER, true)
            }
        };
        let advance = face.glyph_hor_advance(old).unwrap_or(0);
        let code = match self.subset(FontId::Latin) {
            Ok(s) => s.add(old.0, i32::from(advance), reads.encode_utf8(&mut [0; 4])),
            Err(_) => 0,
        };
        let hit = PlainGlyph {
            code,
            advance,
            missing: miss,
        };
        if small {
            self.plain[c as usize] = Some(hit);
        } else {
            self.plain_more.insert(c, hit);
        }
        hit
    }

    /// One item shaped by rustybuzz (or drawn as placeholders), reporting
    /// to `out`.
    fn item_run(&mut self, text: &str, item: &Item, size: f32, out: &mut Collect) -> Run {
        let piece = &text[item.start..item.end];
        let rtl = item.level.is_rtl();
        if item.font.is_none() || rtl {
            if let Some(reads) = out.reads.as_deref_mut() {
                reads.push_str(piece);
            }
        }
        let Some(font) = item.font else {
            out.missing.extend(piece.chars());
            let placeholders: String = piece.chars().map(|_| PLACEHOLDER).collect();
            let run = self.plain_run(&placeholders, size, &mut Vec::new());
            let starts = piece.char_indices().map(|(i, _)| item.start + i);
            (out.clusters).extend(starts.zip(run.glyphs.iter().map(|g| g.advance)));
            return run;
        };
        let empty = Run {
            font,
            glyphs: Vec::new(),
        };
        let Ok(face) = font.face() else { return empty };
        let shaped = self.shape_piece(font, face, piece, rtl);
        let Ok(subset) = self.subset(font) else {
            return empty;
        };
        let widths: Vec<i32> = (shaped.glyph_positions().iter())
            .map(|p| p.x_advance)
            .collect();
        let slots = reading_slots(piece, shaped.glyph_infos(), &widths, rtl);
        if !rtl {
            if let Some(reads) = out.reads.as_deref_mut() {
                reads.extend(slots.iter().map(|s| s.reads));
            }
        }
        let at = Piece {
            text: piece,
            start: item.start,
            scale: subset.scale * size,
            invisible: face.glyph_index(' ').map_or(0, |g| g.0),
        };
        let glyphs = place(subset, &shaped, slots, &at, out);
        Run { font, glyphs }
    }
}

/// Where shaping a line reports: characters no font has, each glyph's
/// (cluster byte, advance), what the glyphs read as in logical order.
struct Collect<'a> {
    missing: &'a mut Vec<char>,
    clusters: &'a mut Vec<(usize, f32)>,
    /// None when only the clusters' bounds are wanted.
    reads: Option<&'a mut String>,
}

/// A shaped piece of a line: its text, where it starts in the line, points
/// per font unit, the font's glyph that draws nothing.
struct Piece<'a> {
    text: &'a str,
    start: usize,
    scale: f32,
    invisible: u16,
}

/// The shaped glyphs as placed, one per slot, each with the code that shows
/// it reading as its slot says.
fn place(
    subset: &mut Subset,
    shaped: &rustybuzz::GlyphBuffer,
    slots: Vec<Slot>,
    at: &Piece,
    out: &mut Collect,
) -> Vec<Placed> {
    let (infos, positions) = (shaped.glyph_infos(), shaped.glyph_positions());
    let mut glyphs = Vec::with_capacity(slots.len());
    let mut buf = [0; 4];
    for slot in slots {
        let reads_as = &*slot.reads.encode_utf8(&mut buf);
        let Some(i) = slot.glyph else {
            glyphs.push(Placed::invisible(subset.add(at.invisible, 0, reads_as)));
            continue;
        };
        let (info, pos) = (&infos[i], &positions[i]);
        let old = u16::try_from(info.glyph_id).unwrap_or(0);
        let cluster = cluster_text(at.text, infos, i);
        if old == 0 && !cluster.chars().all(is_default_ignorable) {
            out.missing.extend(cluster.chars());
        }
        // Shown at its offset, it must leave the text position on the next
        // pen position: its width is its advance less its offset; a mark
        // read as a mark is zero wide (see `reading_slots`).
        let width = if slot.zero {
            0
        } else {
            pos.x_advance - pos.x_offset
        };
        let advance = pos.x_advance as f32 * at.scale;
        (out.clusters).push((at.start + info.cluster as usize, advance));
        glyphs.push(Placed {
            code: subset.add(old, width, reads_as),
            advance,
            dx: pos.x_offset as f32 * at.scale,
            dy: pos.y_offset as f32 * at.scale,
            ends_string: slot.zero && pos.x_advance != pos.x_offset,
        });
    }
    glyphs
}

impl Shaper {
    /// rustybuzz's glyphs for `piece`, with a shaping plan compiled once per
    /// font, direction and script.
    fn shape_piece(
        &mut self,
        font: FontId,
        face: &rustybuzz::Face,
        piece: &str,
        rtl: bool,
    ) -> rustybuzz::GlyphBuffer {
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(piece);
        let direction = if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        };
        buffer.set_direction(direction);
        buffer.guess_segment_properties();
        let script = buffer.script();
        let plan = (self.plans.0)
            .entry((font, rtl, script.tag()))
            .or_insert_with(|| ShapePlan::new(face, direction, Some(script), None, &[]));
        rustybuzz::shape_with_plan(face, plan, buffer)
    }
}

/// The text of the cluster glyph `i` belongs to.
fn cluster_text<'a>(piece: &'a str, infos: &[rustybuzz::GlyphInfo], i: usize) -> &'a str {
    let start = infos[i].cluster as usize;
    // Clusters are monotonic (either way); the next larger cluster ends it.
    let end = infos
        .iter()
        .map(|g| g.cluster as usize)
        .filter(|c| *c > start)
        .min()
        .unwrap_or(piece.len());
    piece.get(start..end).unwrap_or_default()
}

/// One glyph of a shaped piece as it is shown: a glyph of the font
/// (`glyph`, its index in the shaped buffer) or an invisible zero-width one,
/// and what it reads as (its ToUnicode text).
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    glyph: Option<usize>,
    reads: char,
    /// Its code is zero wide: it reads as text with a nonspacing mark.
    zero: bool,
}

/// What the glyphs of a shaped piece read as, in the order they are shown
/// (docs/decisions.md D24). Each cluster's characters are handed out in
/// order, one to each of its glyphs, so that a reader concatenating the
/// glyphs' text gets the cluster once and no glyph reads as nothing (readers
/// invent a character for an empty entry). pdf.js takes any glyph whose text
/// holds a nonspacing mark for a zero-width diacritic and stops tracking its
/// width: so a glyph with an advance never reads as a nonspacing mark, and a
/// mark no zero-width glyph can take is read from an invisible zero-width
/// glyph in its place. A cluster with more glyphs than characters takes its
/// canonical decomposition (ொ as ெ + ா); right-to-left clusters are handed
/// out reversed, as readers reverse right-to-left text shown in visual order.
fn reading_slots(
    piece: &str,
    infos: &[rustybuzz::GlyphInfo],
    advances: &[i32],
    rtl: bool,
) -> Vec<Slot> {
    let mut out = Vec::with_capacity(infos.len());
    let (mut chars, mut glyphs) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < infos.len() {
        let n = infos[i..]
            .iter()
            .take_while(|g| g.cluster == infos[i].cluster)
            .count();
        let text = cluster_text(piece, infos, i);
        chars.clear();
        chars.extend(text.chars());
        if chars.len() < n {
            chars.clear();
            chars.extend(text.nfd());
        }
        if rtl {
            chars.reverse();
        }
        glyphs.clear();
        glyphs.extend((i..i + n).map(|g| (g, advances[g] == 0)));
        cluster_slots(&chars, &glyphs, &mut out);
        i += n;
    }
    out
}

/// One cluster's slots: its glyphs `(index, zero advance)` in order, each
/// taking the next character it may read as (a glyph with an advance: no
/// nonspacing mark); characters passed over, and any left at the end, are
/// read from invisible glyphs where they stand. A glyph with nothing left
/// takes the last slot's text over when it may, else a word joiner.
fn cluster_slots(chars: &[char], glyphs: &[(usize, bool)], out: &mut Vec<Slot>) {
    let mut next = 0;
    for &(glyph, zero_advance) in glyphs {
        let found = chars[next..]
            .iter()
            .position(|c| zero_advance || !is_nonspacing_mark(*c));
        let Some(at) = found else {
            out.push(Slot {
                glyph: Some(glyph),
                reads: WORD_JOINER,
                zero: false,
            });
            continue;
        };
        out.extend(chars[next..next + at].iter().map(|c| invisible(*c)));
        let c = chars[next + at];
        out.push(Slot {
            glyph: Some(glyph),
            reads: c,
            zero: is_nonspacing_mark(c),
        });
        next += at + 1;
    }
    out.extend(chars[next..].iter().map(|c| invisible(*c)));
}

fn invisible(c: char) -> Slot {
    Slot {
        glyph: None,
        reads: c,
        zero: true,
    }
}

fn is_nonspacing_mark(c: char) -> bool {
    /// U+0300 to U+0FFF (Arabic and the Indian scripts), looked up once.
    static TABLE: std::sync::OnceLock<Vec<bool>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0x300..0x1000)
            .map(|c| {
                char::from_u32(c)
                    .is_some_and(|c| c.general_category() == GeneralCategory::NonspacingMark)
            })
            .collect()
    });
    match c as usize {
        0..0x300 => false,
        i @ 0x300..0x1000 => table[i - 0x300],
        _ => c.general_category() == GeneralCategory::NonspacingMark,
    }
}

/// Read from a glyph that stands for no character of its own: invisible,
/// and ignored by search.
const WORD_JOINER: char = '\u{2060}';

fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32, 0x200B..=0x200F | 0x2060..=0x206F | 0xFE00..=0xFE0F | 0xFEFF)
}

/// (cluster start, width before it) in logical order, with the end.
fn cluster_bounds(mut clusters: Vec<(usize, f32)>) -> Vec<(usize, f32)> {
    clusters.sort_by_key(|c| c.0);
    let mut out: Vec<(usize, f32)> = Vec::with_capacity(clusters.len());
    let mut before = 0.0;
    for (at, advance) in clusters {
        if out.last().is_none_or(|last| last.0 != at) {
            out.push((at, before));
        }
        before += advance;
    }
    out.push((usize::MAX, before));
    out
}

/// Where the first line of `text` ends: after the last space that lets it
/// fit, else after the last cluster that fits (at least one cluster).
fn break_at(text: &str, bounds: &[(usize, f32)], width: f32) -> usize {
    let mut space = None;
    let mut cluster = None;
    for &(at, before) in bounds.iter().filter(|b| b.0 < text.len()) {
        if before > width {
            break;
        }
        if at > 0 {
            cluster = Some(at);
            if text.as_bytes()[at] == b' ' {
                space = Some(at);
            }
        }
    }
    let first_end = bounds.get(1).map_or(text.len(), |b| b.0.min(text.len()));
    space.or(cluster).unwrap_or(first_end)
}

/// The line's items in logical order, and its base direction.
fn itemize(text: &str) -> (Vec<Item>, Level) {
    let bidi = text.chars().any(is_rtl).then(|| BidiInfo::new(text, None));
    let base = bidi
        .as_ref()
        .and_then(|b| b.paragraphs.first().map(|p| p.level))
        .unwrap_or_else(Level::ltr);
    let fonts = char_fonts(text);
    let mut items: Vec<Item> = Vec::new();
    for ((at, c), font) in text.char_indices().zip(fonts) {
        let level = bidi.as_ref().map_or(base, |b| b.levels[at]);
        match items.last_mut() {
            Some(last) if last.font == font && last.level == level => last.end = at + c.len_utf8(),
            _ => items.push(Item {
                start: at,
                end: at + c.len_utf8(),
                font,
                level,
            }),
        }
    }
    (items, base)
}

/// The font of each character: its script's font when that covers it;
/// marks stay with their base; spaces, digits and punctuation take the
/// font before them, else the next script's, else any that covers them.
fn char_fonts(text: &str) -> Vec<Option<FontId>> {
    let chars: Vec<char> = text.chars().collect();
    let strong: Vec<Option<FontId>> = chars
        .iter()
        .map(|c| FontId::for_script(c.script()))
        .collect();
    let mut next_strong = vec![None; chars.len()];
    let mut next = None;
    for i in (0..chars.len()).rev() {
        next_strong[i] = next;
        next = strong[i].or(next);
    }
    let any = |c: char| FontId::ALL.into_iter().find(|f| f.covers(c));
    let mut fonts: Vec<Option<FontId>> = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev = fonts.last().copied().flatten();
        let font = match strong[i] {
            Some(f) if f.covers(c) => Some(f),
            Some(_) => any(c),
            None if c.script() == Script::Inherited && prev.is_some() => prev,
            None => [prev, next_strong[i]]
                .into_iter()
                .flatten()
                .find(|f| f.covers(c))
                .or_else(|| any(c)),
        };
        fonts.push(font);
    }
    fonts
}

/// Visual order (rule L2 of the bidi algorithm): from the highest level
/// down to the lowest odd one, reverse every stretch at that level or above.
fn reorder(runs: &mut [(Level, Run)]) {
    let Some(highest) = runs.iter().map(|r| r.0.number()).max() else {
        return;
    };
    let lowest_odd = runs
        .iter()
        .map(|r| r.0.number())
        .filter(|l| l % 2 == 1)
        .min()
        .unwrap_or(highest + 1);
    for level in (lowest_odd..=highest).rev() {
        let mut i = 0;
        while i < runs.len() {
            if runs[i].0.number() < level {
                i += 1;
                continue;
            }
            let start = i;
            while i < runs.len() && runs[i].0.number() >= level {
                i += 1;
            }
            runs[start..i].reverse();
        }
    }
}

/// Control characters removed; line breaks and tabs become spaces; runs of
/// white space folded; trimmed.
pub(crate) fn clean(text: &str) -> std::borrow::Cow<'_, str> {
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

    fn laid(text: &str, width: f32, lines: usize) -> Laid {
        Shaper::new().unwrap().layout(text, 8.0, width, lines)
    }

    #[test]
    fn plain_text_that_fits_is_one_line_without_offsets() {
        let l = laid("José Müller", 200.0, 2);
        assert_eq!(l.lines.len(), 1);
        assert!(!l.lines[0].needs_actual_text);
        assert!(l.lines[0].runs[0]
            .glyphs
            .iter()
            .all(|g| g.dx == 0.0 && g.dy == 0.0));
    }

    #[test]
    fn long_text_wraps_at_a_space_then_shortens() {
        let two = laid("Dr. Venkataramanan Subrahmanyam Iyer", 100.0, 2);
        assert_eq!(two.lines.len(), 2);
        assert!(two.lines.iter().all(|l| l.width <= 100.0));
        let long = "x ".repeat(200);
        let cut = laid(&long, 100.0, 2);
        assert_eq!(cut.lines.len(), 2);
        assert!(cut.lines[1].width <= 100.0 + 0.01);
        assert_eq!(cut.text, long.trim_end());
        let one = laid("x".repeat(500).as_str(), 100.0, 1);
        assert_eq!(one.lines.len(), 1);
        assert!(one.lines[0].width <= 100.0 + 0.01);
    }

    #[test]
    fn scripts_get_their_fonts_and_urdu_runs_right_to_left() {
        let l = laid("Asha आशा", 200.0, 1);
        let fonts: Vec<FontId> = l.lines[0].runs.iter().map(|r| r.font).collect();
        assert_eq!(fonts, [FontId::Latin, FontId::Devanagari]);
        let u = laid("شاہد 12", 200.0, 1);
        assert!(u.right_to_left);
        assert!(u.missing.is_empty());
        assert!(u.lines[0].runs.iter().all(|r| r.font == FontId::Arabic));
    }

    #[test]
    fn a_character_no_font_covers_is_missing() {
        let l = laid("ok 🪔", 200.0, 1);
        assert_eq!(l.missing, ['🪔']);
        assert!(l.lines[0].needs_actual_text);
    }
}
