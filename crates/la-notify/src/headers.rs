//! Header values every mail client accepts (docs/decisions.md D27): display
//! names always as a quoted string or as encoded words (never RFC 5322's
//! obsolete phrase syntax), encoded words that never split a grapheme
//! cluster, lines folded, and nothing a name holds can start a header.

use base64::Engine;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::Mailbox;
use unicode_segmentation::UnicodeSegmentation;

/// Bytes of text per encoded word: 40 bytes are 56 base64 characters, so a
/// word is 68 characters and the first line of a header stays under 78.
const WORD_BYTES: usize = 40;

/// `text` as a header value: as it is when it is printable ASCII, else as
/// `=?utf-8?b?…?=` words of whole grapheme clusters, one per folded line.
/// Control characters (a line break among them) become spaces.
pub(crate) fn encode_text(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text;
    }
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for g in text.graphemes(true) {
        if !current.is_empty() && current.len() + g.len() > WORD_BYTES {
            words.push(encoded_word(&current));
            current.clear();
        }
        current.push_str(g);
    }
    if !current.is_empty() {
        words.push(encoded_word(&current));
    }
    words.join("\r\n ")
}

fn encoded_word(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("=?utf-8?b?{b64}?=")
}

/// One mailbox: `"Display Name" <addr>` (a quoted string whenever there is a
/// printable ASCII name), encoded words for any other name, or the bare
/// address.
pub(crate) fn encode_mailbox(m: &Mailbox) -> String {
    let name: String = m
        .name
        .as_deref()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let name = name.trim();
    if name.is_empty() {
        return m.email.to_string();
    }
    if name.is_ascii() {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{quoted}\" <{}>", m.email)
    } else {
        format!("{} <{}>", encode_text(name), m.email)
    }
}

/// A header listing `mailboxes`, one per folded line.
pub(crate) fn mailbox_header(name: &'static str, mailboxes: &[Mailbox]) -> HeaderValue {
    let raw: Vec<String> = mailboxes.iter().map(ToString::to_string).collect();
    let encoded: Vec<String> = mailboxes.iter().map(encode_mailbox).collect();
    HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str(name),
        raw.join(", "),
        encoded.join(",\r\n "),
    )
}

/// The `Subject` header of `subject` (one line already).
pub(crate) fn subject_header(subject: &str) -> HeaderValue {
    HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str("Subject"),
        subject.to_string(),
        encode_text(subject),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(encoded: &str) -> String {
        encoded
            .split("\r\n ")
            .map(|w| {
                let b64 = w
                    .strip_prefix("=?utf-8?b?")
                    .and_then(|w| w.strip_suffix("?="))
                    .unwrap_or_else(|| panic!("{w}"));
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap_or_default();
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| panic!("a word splits a character: {e}"))
            })
            .collect()
    }

    #[test]
    fn encoded_words_keep_grapheme_clusters_whole() {
        for text in [
            "सुनीता देशपांडे सुनीता देशपांडे सुनीता देशपांडे",
            "லீட்ஸ் ஒதுக்கீடு: கிருஷ்ணமூர்த்தி",
            "بلال شاہد حسین",
            "Zoë 👩‍👩‍👧‍👦 Zoë",
        ] {
            let e = encode_text(text);
            assert_eq!(decoded(&e), text);
            for word in e.split("\r\n ") {
                assert!(word.len() <= 75, "{word}");
                let inner = decoded(word);
                let g: Vec<&str> = text.graphemes(true).collect();
                assert!(
                    inner.graphemes(true).all(|x| g.contains(&x)),
                    "{inner:?} splits a cluster of {text:?}"
                );
            }
        }
        assert_eq!(encode_text("Plain subject"), "Plain subject");
        assert_eq!(encode_text("a\r\nBcc: x@y.in"), "a  Bcc: x@y.in");
    }

    #[test]
    fn display_names_are_quoted_or_encoded() {
        let m = |name: &str| {
            Mailbox::new(
                Some(name.into()),
                "x@y.in".parse().unwrap_or_else(|_| unreachable!()),
            )
        };
        assert_eq!(
            encode_mailbox(&m("Dr. A.K. Sharma")),
            "\"Dr. A.K. Sharma\" <x@y.in>"
        );
        assert_eq!(encode_mailbox(&m("A.K.Sharma")), "\"A.K.Sharma\" <x@y.in>");
        assert_eq!(
            encode_mailbox(&m("Say \"hi\"\r\n")),
            "\"Say \\\"hi\\\"\" <x@y.in>"
        );
        assert!(encode_mailbox(&m("सुनीता")).starts_with("=?utf-8?b?"));
        assert_eq!(
            encode_mailbox(&Mailbox::new(
                None,
                "x@y.in".parse().unwrap_or_else(|_| unreachable!())
            )),
            "x@y.in"
        );
    }
}
