//! Passwords in connection strings, whatever their form: a URL's userinfo
//! (`@` inside the password, or percent-encoded as `%40`), a `password=`
//! query parameter, or a libpq `key=value` string. What this module returns
//! for messages and logs never contains them.

/// A connection string with every password replaced by `***`.
pub fn redact_url(conn: &str) -> String {
    let mut out = conn.to_string();
    for s in raw_secrets(conn) {
        out = out.replace(&s, "***");
    }
    out
}

/// Why a URL cannot be used safely, before anything connects with it: an
/// `@` left raw in its user name or password makes libpq take the rest of
/// the password for the host name, and print it in its error.
pub fn check_url(conn: &str) -> Result<(), &'static str> {
    let Some(scheme_end) = conn.find("://") else {
        return Ok(());
    };
    let rest = &conn[scheme_end + 3..];
    let before_query = &rest[..rest.find('?').unwrap_or(rest.len())];
    if before_query.matches('@').count() > 1 {
        return Err("percent-encode @ in the password as %40 (the URL has more than one @)");
    }
    Ok(())
}

/// `message` with every password of `conn` (raw and percent-decoded) and the
/// connection string itself replaced, on one line.
pub fn scrub(message: &str, conn: &str) -> String {
    let mut out = message.replace(conn, &redact_url(conn));
    let mut secrets = raw_secrets(conn);
    secrets.extend(secrets.clone().iter().map(|s| percent_decode(s)));
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s.as_str(), "***");
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The password texts as they appear in `conn` (not decoded).
fn raw_secrets(conn: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(scheme_end) = conn.find("://") {
        let rest = &conn[scheme_end + 3..];
        let before_query = &rest[..rest.find('?').unwrap_or(rest.len())];
        if let Some(at) = before_query.rfind('@') {
            if let Some((_, pw)) = before_query[..at].split_once(':') {
                found.push(pw.to_string());
            }
        }
        if let Some(q) = rest.find('?') {
            for kv in rest[q + 1..].split('&') {
                if let Some((k, v)) = kv.split_once('=') {
                    if k.eq_ignore_ascii_case("password") {
                        found.push(v.to_string());
                    }
                }
            }
        }
    } else {
        for (_, raw) in keyword_values(conn)
            .into_iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("password"))
        {
            if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
                found.push(inner.replace("\\'", "'").replace("\\\\", "\\"));
            }
            found.push(raw);
        }
    }
    found.retain(|s| !s.is_empty());
    // Longest first, so a quoted value goes before its inner text.
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found
}

/// `(keyword, raw value text)` pairs of a libpq `key=value` string; a quoted
/// value keeps its quotes and escapes, as it stands in the string.
fn keyword_values(conn: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = conn.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    while i < chars.len() {
        skip_ws(&mut i);
        let start = i;
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        skip_ws(&mut i);
        if i >= chars.len() || chars[i] != '=' {
            break;
        }
        i += 1;
        skip_ws(&mut i);
        let vstart = i;
        if i < chars.len() && chars[i] == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
        }
        let value: String = chars[vstart..i.min(chars.len())].iter().collect();
        out.push((key, value));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_at_in_the_user_info_is_refused() {
        for bad in [
            "postgres://u:p@ss@db.example.com/leads",
            "postgresql://u:@@h/db",
            "postgres://u@x:pw@h:5432/db?sslmode=require",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        for good in [
            "postgres://u:p%40ss@db.example.com/leads",
            "postgres://u@h/db",
            "postgres://h/db?options=a@b",
            "host=h user=u password=p@ss",
        ] {
            assert_eq!(check_url(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn every_form_is_redacted() {
        let cases = [
            (
                "postgres://app:s3cret@db.example:5432/leads",
                "postgres://app:***@db.example:5432/leads",
            ),
            ("postgres://app@db/leads", "postgres://app@db/leads"),
            (
                "postgres://db/leads?user=a&password=zz",
                "postgres://db/leads?user=a&password=***",
            ),
            ("postgres://u:p@ss@h/d", "postgres://u:***@h/d"),
            ("postgres://u:p%40ss@h/d", "postgres://u:***@h/d"),
            (
                "host=db user=app password=s3cret dbname=leads",
                "host=db user=app password=*** dbname=leads",
            ),
            (
                "host=db password = 'a b\\'c' dbname=leads",
                "host=db password = *** dbname=leads",
            ),
        ];
        for (raw, redacted) in cases {
            assert_eq!(redact_url(raw), redacted, "{raw}");
        }
    }

    #[test]
    fn messages_lose_raw_and_decoded_passwords() {
        let conn = "postgres://u:p%40ss@h/d";
        let msg = format!("could not connect to {conn}: password p@ss rejected\n\tsee log");
        let s = scrub(&msg, conn);
        assert!(!s.contains("p@ss") && !s.contains("p%40ss"), "{s}");
        assert!(!s.contains('\n'));
        let kv = "host=h password='x y'";
        assert!(!scrub("bad 'x y' in host=h password='x y'", kv).contains("x y"));
    }
}
