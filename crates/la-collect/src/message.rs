//! One message as collection sees it (pure): its key, who to answer, and
//! its attachments sorted into sheets and the rest.

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// An attached file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// Its name as sent (sanitized for display), or `attachment-N.pdf`.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What a message holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Incoming {
    /// Message-ID, else `sha256:` and the hash of its bytes: what makes it
    /// processed at most once.
    pub key: String,
    pub message_id: Option<String>,
    /// Reply-To, else From (lowercase address), if any.
    pub reply_to: Option<String>,
    pub reply_to_name: Option<String>,
    pub subject: String,
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    /// PDF attachments (by content type or `.pdf` name).
    pub sheets: Vec<Attached>,
    /// Names of the other attachments (ignored).
    pub others: Vec<String>,
    /// Attachments (or the whole message) refused unread: name and size.
    pub too_large: Vec<(String, u64)>,
}

/// Reads `bytes` (a whole message, or only its header when the message was
/// too large to fetch: `truncated`); PDFs over `max_bytes` are refused unread.
pub fn read(bytes: &[u8], max_bytes: u64, truncated: Option<u64>) -> Incoming {
    let parsed = MessageParser::default().parse(bytes);
    let mut m = Incoming {
        key: format!("sha256:{:x}", Sha256::digest(bytes)),
        ..Incoming::default()
    };
    let Some(p) = parsed else {
        return m;
    };
    m.message_id = p.message_id().map(|id| format!("<{id}>"));
    if let Some(id) = &m.message_id {
        m.key = id.clone();
    }
    let who = p
        .reply_to()
        .and_then(|a| a.first())
        .or_else(|| p.from().and_then(|a| a.first()));
    m.reply_to = who
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase());
    m.reply_to_name = who.and_then(|a| a.name()).map(str::to_string);
    m.subject = p.subject().unwrap_or("").to_string();
    m.date = p
        .date()
        .and_then(|d| chrono::DateTime::from_timestamp(d.to_timestamp(), 0));
    if let Some(size) = truncated {
        m.too_large.push(("the whole message".into(), size));
        return m;
    }
    for (i, a) in p.attachments().enumerate() {
        let name = a
            .attachment_name()
            .map(display_name)
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        let is_pdf = a.content_type().is_some_and(|t| {
            t.ctype().eq_ignore_ascii_case("application")
                && t.subtype().is_some_and(|s| s.eq_ignore_ascii_case("pdf"))
        }) || name.to_ascii_lowercase().ends_with(".pdf");
        let bytes = a.contents();
        if !is_pdf {
            m.others.push(name);
        } else if bytes.len() as u64 > max_bytes {
            m.too_large.push((name, bytes.len() as u64));
        } else {
            m.sheets.push(Attached {
                name,
                bytes: bytes.to_vec(),
            });
        }
    }
    m
}

/// A file name as sent, without folders or control characters.
fn display_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    if clean.trim().is_empty() {
        "attachment.pdf".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheets_others_and_who_to_answer() {
        let raw = b"From: Asha <Asha@Example.com>\r\nReply-To: desk@example.com\r\nMessage-ID: <m1@x>\r\nSubject: sheet\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream; name=\"../S1.PDF\"\r\nContent-Disposition: attachment; filename=\"../S1.PDF\"\r\n\r\n%PDF-1.7 x\r\n--b\r\nContent-Type: image/jpeg; name=\"photo.jpg\"\r\nContent-Disposition: attachment; filename=\"photo.jpg\"\r\n\r\nJFIF\r\n--b--\r\n";
        let m = read(raw, 1024, None);
        assert_eq!(m.key, "<m1@x>");
        assert_eq!(m.reply_to.as_deref(), Some("desk@example.com"));
        assert_eq!(m.sheets.len(), 1);
        assert_eq!(m.sheets[0].name, "S1.PDF");
        assert_eq!(m.others, vec!["photo.jpg".to_string()]);
        let small = read(raw, 3, None);
        assert_eq!(small.sheets.len(), 0);
        assert_eq!(small.too_large.len(), 1);
    }
}
