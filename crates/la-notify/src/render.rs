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

/// Renders `template` with `context`. An error names the template and the
/// reason; the raw template text is never returned as if rendered.
pub fn render<C: Serialize>(template: &Template, context: &C) -> Result<Rendered, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    let fail = |part: &str, e: minijinja::Error| {
        format!(
            "template '{}' ({part}) failed to render: {e:#}",
            template.name
        )
    };
    let subject = env
        .render_str(&template.subject, context)
        .map_err(|e| fail("subject", e))?;
    let body = env
        .render_str(&template.body, context)
        .map_err(|e| fail("body", e))?;
    Ok(Rendered {
        subject: one_line(&subject),
        body,
    })
}

/// Collapses all white space (line breaks included) to single spaces and drops
/// control characters.
pub fn one_line(s: &str) -> String {
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
    fn a_broken_template_is_an_error_naming_it() {
        let e = render(&t("{{ oops", "x"), &serde_json::json!({})).unwrap_err();
        assert!(e.contains("template 'default' (subject)"), "{e}");
    }
}
