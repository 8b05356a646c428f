//! Rendering subjects and bodies with minijinja, compatible with the Jinja
//! text stored in `email_templates`.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::resolve::Template;

/// A rendered email text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line: line breaks and control characters removed (no header injection).
    pub subject: String,
    pub body: String,
}

/// The work one text may take (minijinja instructions): far above any real
/// template over thousands of stores, far below a runaway loop.
const FUEL: u64 = 20_000_000;

/// The most one rendered text may be (docs/decisions.md D13: a template
/// cannot flood a run).
pub(crate) const MAX_RENDERED_BYTES: usize = 1024 * 1024;

/// Renders `template` with `context`. An error names the template and the
/// reason; the raw template text is never returned as if rendered. Bounded
/// in work (`FUEL`) and in size (`MAX_RENDERED_BYTES` per part).
pub fn render<C: Serialize>(template: &Template, context: &C) -> Result<Rendered, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.set_fuel(Some(FUEL));
    let subject = render_part(&env, &template.subject, context).map_err(|e| {
        format!(
            "template '{}' (subject) failed to render: {e}",
            template.name
        )
    })?;
    let body = render_part(&env, &template.body, context)
        .map_err(|e| format!("template '{}' (body) failed to render: {e}", template.name))?;
    Ok(Rendered {
        subject: one_line(&subject),
        body,
    })
}

fn render_part<C: Serialize>(
    env: &Environment,
    source: &str,
    context: &C,
) -> Result<String, String> {
    let template = env
        .template_from_str(source)
        .map_err(|e| format!("{e:#}"))?;
    let mut out = Capped::default();
    match template.render_captured_to(context, &mut out) {
        Ok(_) => String::from_utf8(out.bytes).map_err(|e| e.to_string()),
        Err(_) if out.over => Err(format!("its output exceeds {} bytes", MAX_RENDERED_BYTES)),
        Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => Err(format!(
            "it takes more work than any email may ({FUEL} template steps; a loop that never ends?)"
        )),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// A writer that refuses to grow past [`MAX_RENDERED_BYTES`].
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_RENDERED_BYTES {
            self.over = true;
            return Err(std::io::Error::other("rendered text too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Collapses all white space (line breaks included) to single spaces and drops
/// control characters.
pub(crate) fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(subject: &str, body: &str) -> Template {
        Template {
            name: "default".into(),
            subject: subject.into(),
            body: body.into(),
            fallback: false,
        }
    }

    #[test]
    fn renders_jinja_constructs() {
        let ctx = serde_json::json!({
            "store_name": "Baner\r\nBcc: evil@x.in",
            "attachments": ["a.pdf", "b.pdf"],
            "store_diagnostics": [{"store_code": "S1", "reasons": ["capped", "no agent"]}],
        });
        let r = render(
            &t(
                "Leads {{ store_name }}",
                "{% if attachments %}{{ attachments | join(', ') }}{% endif %}|{% for s in store_diagnostics %}{{ s.store_code }}: {{ s.reasons | join('; ') }}{% endfor %}",
            ),
            &ctx,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.subject, "Leads Baner Bcc: evil@x.in");
        assert_eq!(r.body, "a.pdf, b.pdf|S1: capped; no agent");
    }

    #[test]
    fn runaway_templates_fail_bounded() {
        let ctx = serde_json::json!({});
        for (body, says) in [
            (
                "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}{% endfor %}{% endfor %}{% endfor %}",
                "more work",
            ),
            ("{% for a in range(100000) %}{{ 'x' * 100 }}{% endfor %}", "exceeds"),
        ] {
            let e = render(&t("s", body), &ctx).unwrap_err();
            assert!(e.contains(says), "{e}");
            assert!(e.contains("template 'default' (body)"), "{e}");
        }
    }

    #[test]
    fn a_broken_template_is_an_error_naming_it() {
        let e = render(&t("{{ oops", "x"), &serde_json::json!({})).unwrap_err();
        assert!(e.contains("template 'default' (subject)"), "{e}");
    }
}
