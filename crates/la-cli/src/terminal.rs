//! What reaches the terminal. Every line the CLI prints, on stdout or
//! stderr, log lines included, passes through [`escape`]: no name, value or
//! file name from the database, a sheet or a mailbox can move the cursor,
//! ring the bell, rewrite a line or turn text around (docs/decisions.md D31).

use std::borrow::Cow;
use std::io::Write;

/// How a line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Plain text: a character that drives the terminal as `\u{1b}` (`\r`,
    /// `\t` and `\n` as such).
    Text,
    /// A JSON line serde_json wrote (control characters already escaped):
    /// bidi controls as `\u202e`, so the line stays valid JSON.
    Json,
}

/// Characters that drive a terminal or reorder text: C0 and C1 controls,
/// DEL, and the bidi marks, embeddings, overrides and isolates.
fn drives_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `line` with every character that drives a terminal escaped, as `style`
/// writes it; the rest as it is (Hindi stays Hindi).
pub fn escape(line: &str, style: Style) -> Cow<'_, str> {
    if !line.chars().any(drives_terminal) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        match (drives_terminal(c), style) {
            (false, _) => out.push(c),
            (true, Style::Text) => out.extend(c.escape_default()),
            (true, Style::Json) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

/// `text` written line by line, each escaped; a newline after the last
/// unless `raw`. A closed pipe (`| head`) is not an error.
pub fn write(mut to: impl Write, text: &str, raw: bool) {
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let _ = to.write_all(escape(line, Style::Text).as_bytes());
        if lines.peek().is_some() || !raw {
            let _ = to.write_all(b"\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_drives_a_terminal_is_escaped_and_nothing_else() {
        let cases = [
            ("plain", "plain", "plain"),
            ("हिन्दी ₹1,250 Zoë", "हिन्दी ₹1,250 Zoë", "हिन्दी ₹1,250 Zoë"),
            ("a\u{1b}[31mb", "a\\u{1b}[31mb", "a\\u001b[31mb"),
            ("bell\u{7}", "bell\\u{7}", "bell\\u0007"),
            ("over\rwrite", "over\\rwrite", "over\\u000dwrite"),
            ("c1\u{9b}2J", "c1\\u{9b}2J", "c1\\u009b2J"),
            (
                "evil\u{202e}txt.pdf",
                "evil\\u{202e}txt.pdf",
                "evil\\u202etxt.pdf",
            ),
            ("iso\u{2067}late", "iso\\u{2067}late", "iso\\u2067late"),
            ("del\u{7f}", "del\\u{7f}", "del\\u007f"),
        ];
        for (raw, text, json) in cases {
            assert_eq!(escape(raw, Style::Text), text, "{raw:?}");
            assert_eq!(escape(raw, Style::Json), json, "{raw:?}");
        }
    }

    #[test]
    fn lines_keep_their_breaks() {
        let mut out = Vec::new();
        write(&mut out, "one\u{1b}\ntwo", false);
        assert_eq!(out, b"one\\u{1b}\ntwo\n");
        let mut out = Vec::new();
        write(&mut out, "x\n", true);
        assert_eq!(out, b"x\n");
    }
}
