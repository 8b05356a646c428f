//! The receipt's words (pure): per attached sheet what was recorded, or
//! every problem and what to do; for a message without a sheet, what to
//! attach. Plain text, short, in the sender's terms.

use la_pdf::{IngestError, IngestReport};

use crate::message::Incoming;

/// What became of one attached sheet.
#[derive(Debug)]
pub struct SheetResult {
    pub name: String,
    pub result: Result<IngestReport, IngestError>,
}

/// The subject of the reply to `subject`.
pub fn subject(subject: &str) -> String {
    let s = subject.trim();
    if s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:")) {
        s.to_string()
    } else if s.is_empty() {
        "Re: your returned sheet".into()
    } else {
        format!("Re: {s}")
    }
}

/// The receipt's body.
pub fn body(m: &Incoming, sheets: &[SheetResult]) -> String {
    let mut out =
        String::from("Hello,\n\nThis is the automatic receipt for the sheets in your message");
    if let Some(d) = m.date {
        out.push_str(&format!(" of {}", d.format("%d-%m-%Y %H:%M UTC")));
    }
    out.push_str(".\n\n");
    for s in sheets {
        match &s.result {
            Ok(r) => accepted(&mut out, &s.name, r),
            Err(e) => refused(&mut out, &s.name, e),
        }
    }
    for (name, size) in &m.too_large {
        out.push_str(&format!(
            "{name}: NOT READ, it is {size} bytes, over the limit. Send the sheet file itself, as it was emailed, filled in and saved.\n\n"
        ));
    }
    if sheets.is_empty() && m.too_large.is_empty() {
        out.push_str("No filled sheet was found in your message. Reply with the sheet PDF that was emailed to you attached, filled in and saved (Save, not Print or Scan).\n\n");
    }
    if !m.others.is_empty() {
        out.push_str(&format!(
            "Ignored (not a PDF sheet): {}.\n\n",
            m.others.join(", ")
        ));
    }
    out.push_str("-- leads-assignment\n");
    out
}

fn accepted(out: &mut String, name: &str, r: &IngestReport) {
    out.push_str(&format!(
        "{name}: ACCEPTED. Store {}, agent {}, batch {}: new {}, changed {}, unchanged {}, blank {}.\n",
        r.sheet.store_code,
        r.sheet.agent_code,
        r.sheet.batch_id,
        r.new,
        r.changed_leads(),
        r.unchanged,
        r.blank
    ));
    for c in &r.new_values {
        out.push_str(&format!(
            "  recorded {} {}: \"{}\"\n",
            c.code, c.field, c.new
        ));
    }
    for c in &r.changed {
        out.push_str(&format!("  changed {c}\n"));
    }
    out.push('\n');
}

fn refused(out: &mut String, name: &str, e: &IngestError) {
    out.push_str(&format!("{name}: REFUSED, nothing of it was recorded.\n"));
    match e {
        IngestError::Invalid { problems, .. } => {
            for p in problems {
                out.push_str(&format!("  {p}\n"));
            }
            out.push_str(
                "What to do: correct these fields in the same sheet file and send it again.\n\n",
            );
        }
        other => {
            // The error names the file by the path it was read from; the
            // sender knows it by its attachment name.
            let text = other.to_string();
            let text = text.split_once(": ").map_or(text.as_str(), |(_, t)| t);
            out.push_str(&format!("  {text}\n"));
            out.push_str("What to do: send the sheet file exactly as it was emailed to you, filled in and saved (Save, not Print).\n\n");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reply_subject_of_any_subject() {
        for (sent, reply) in [
            ("", "Re: your returned sheet"),
            ("sheet", "Re: sheet"),
            ("RE: sheet", "RE: sheet"),
            // Not cut inside a character: the second é spans bytes 2..4.
            ("éé", "Re: éé"),
            ("ரிட்டர்ன்", "Re: ரிட்டர்ன்"),
        ] {
            assert_eq!(super::subject(sent), reply, "{sent:?}");
        }
    }
}
