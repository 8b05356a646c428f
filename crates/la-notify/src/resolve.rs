//! Which profile, templates and recipients apply to a run (docs/decisions.md E semantics).

use diesel::prelude::*;
pub use la_schema::codes::{AttachMode, RunEnv, Scope, SendAs};
use la_schema::codes::{ProfileEnv, UnknownCode};
use la_schema::models::{EmailTemplate, NotificationProfile, NotificationRecipient};
use la_schema::schema::{
    email_templates, notification_profiles, notification_recipients, pipelines,
};
use lettre::message::Mailbox;
use serde::Serialize;

/// Pipeline and profile code of this pipeline (docs/decisions.md S3.1–3.2).
pub(crate) const PIPELINE_CODE: &str = la_schema::PIPELINE;
/// Profile code.
pub(crate) const PROFILE_CODE: &str = la_schema::PIPELINE;
/// Template of the per-store email.
pub(crate) const STORE_TEMPLATE: &str = "default";
/// Template of the run summary.
pub(crate) const SUMMARY_TEMPLATE: &str = "summary";

/// Built-in store template, used (with a warning) when the row is missing.
pub(crate) const FALLBACK_STORE_SUBJECT: &str =
    "Leads assignment {{ batch_date }}: {{ store_code }}{% if store_name %} {{ store_name }}{% endif %} ({{ lead_count }} leads)";
/// Built-in store body.
pub(crate) const FALLBACK_STORE_BODY: &str = "Hello,\n\n{{ lead_count }} missed pickup leads of store {{ store_code }} were assigned on {{ batch_date }}.\n\n{% for a in agents %}- Agent {{ a.code }} {{ a.name }}: {{ a.lead_count }} leads\n{% endfor %}\nAttached sheets: {{ attachments | join(', ') }}\n\nBatch {{ batch_id }} / run {{ run_id }} / env {{ run_env }}\n";
/// Built-in summary subject.
pub(crate) const FALLBACK_SUMMARY_SUBJECT: &str =
    "Leads assignment run {{ run_id }} ({{ run_env }}): {{ assignment_count }} leads assigned";
/// Built-in summary body.
pub(crate) const FALLBACK_SUMMARY_BODY: &str = "Run {{ run_id }} (env {{ run_env }}), batch {{ batch_id }} dated {{ batch_date }}\n\nAssignments: {{ assignment_count }}\nSheets: {{ document_count }}\nStore emails: {{ emails_line }}\n\n{% for s in store_diagnostics %}- {{ s.store_code }}: {{ s.assigned }} assigned{% if s.reasons %}; {{ s.reasons | join('; ') }}{% endif %}\n{% endfor %}{% if returned %}\nReturned sheets (collected from the mailbox):\n{% for r in returned %}- {{ r }}\n{% endfor %}{% endif %}{% if finish_commands %}\nTo finish this run:\n{% for c in finish_commands %}  {{ c }}\n{% endfor %}{% endif %}";

/// A subject + body pair of Jinja text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub name: String,
    pub subject: String,
    pub body: String,
    /// True when the built-in fallback is used.
    pub fallback: bool,
}

/// A usable recipient row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub id: i64,
    /// None: every store (NULL or `ALL` in the table).
    pub store_code: Option<String>,
    #[serde(serialize_with = "ser_mailbox")]
    pub mailbox: Mailbox,
    pub send_as: SendAs,
}

fn ser_mailbox<S: serde::Serializer>(m: &Mailbox, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.email.as_ref())
}

impl Recipient {
    /// Whether this recipient receives `store_code`'s email (case-insensitive).
    pub fn matches_store(&self, store_code: &str) -> bool {
        match &self.store_code {
            None => true,
            Some(s) => s.trim().eq_ignore_ascii_case(store_code.trim()),
        }
    }
}

/// Everything resolved for a run env.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    pub profile: NotificationProfile,
    /// The profile's scope and attach mode, parsed once.
    pub scope: Scope,
    pub attach_mode: AttachMode,
    pub store_template: Template,
    pub summary_template: Template,
    pub recipients: Vec<Recipient>,
    pub warnings: Vec<String>,
}

/// Resolves the profile (exact env preferred over `any`), templates (with
/// fallbacks) and recipients. `Ok(None)` when no active profile exists.
pub fn resolve(conn: &mut PgConnection, env: RunEnv) -> QueryResult<Option<Setup>> {
    let run_env = env.as_str();
    let profiles: Vec<NotificationProfile> = notification_profiles::table
        .inner_join(pipelines::table)
        .filter(pipelines::code.eq(PIPELINE_CODE))
        .filter(notification_profiles::code.eq(PROFILE_CODE))
        .filter(notification_profiles::is_active.eq(true))
        .filter(notification_profiles::env.eq_any([run_env, "any"]))
        .select(NotificationProfile::as_select())
        .load(conn)?;
    let Some(profile) = profiles
        .iter()
        .find(|p| p.env.is(ProfileEnv::from(env)))
        .or_else(|| profiles.first())
        .cloned()
    else {
        return Ok(None);
    };
    let mut warnings = Vec::new();
    let scope = parsed_or(
        profile.scope.0.clone(),
        Scope::Store,
        profile.id,
        &mut warnings,
    );
    let attach_mode = parsed_or(
        profile.attach_mode.0.clone(),
        AttachMode::PerStorePdf,
        profile.id,
        &mut warnings,
    );
    let (store_template, summary_template) = templates(conn, &profile, &mut warnings)?;
    let recipients = recipients(conn, profile.id, run_env, &mut warnings)?;
    Ok(Some(Setup {
        profile,
        scope,
        attach_mode,
        store_template,
        summary_template,
        recipients,
        warnings,
    }))
}

/// The store and summary templates of the profile; a missing one falls back
/// to the built-in text with a warning.
fn templates(
    conn: &mut PgConnection,
    profile: &NotificationProfile,
    warnings: &mut Vec<String>,
) -> QueryResult<(Template, Template)> {
    let rows: Vec<EmailTemplate> = email_templates::table
        .filter(email_templates::profile_id.eq(profile.id))
        .filter(email_templates::is_active.eq(true))
        .select(EmailTemplate::as_select())
        .load(conn)?;
    let mut template = |name: &str, subject: &str, body: &str| match rows
        .iter()
        .find(|t| t.name == name)
    {
        Some(t) => Template {
            name: name.into(),
            subject: t.subject_template.clone(),
            body: t.body_template.clone(),
            fallback: false,
        },
        None => {
            let w = format!(
                "email template '{name}' of profile {} (env {}) is missing or inactive; using the built-in one",
                profile.id, profile.env
            );
            log::warn!("{w}");
            warnings.push(w);
            Template {
                name: name.into(),
                subject: subject.into(),
                body: body.into(),
                fallback: true,
            }
        }
    };
    let store = template(STORE_TEMPLATE, FALLBACK_STORE_SUBJECT, FALLBACK_STORE_BODY);
    let summary = template(
        SUMMARY_TEMPLATE,
        FALLBACK_SUMMARY_SUBJECT,
        FALLBACK_SUMMARY_BODY,
    );
    Ok((store, summary))
}

/// The profile's active recipients for the env; unusable rows are warnings.
fn recipients(
    conn: &mut PgConnection,
    profile_id: i64,
    run_env: &str,
    warnings: &mut Vec<String>,
) -> QueryResult<Vec<Recipient>> {
    let rows: Vec<NotificationRecipient> = notification_recipients::table
        .filter(notification_recipients::profile_id.eq(profile_id))
        .filter(notification_recipients::is_active.eq(true))
        .filter(notification_recipients::env.eq_any([run_env, "any"]))
        .order(notification_recipients::id)
        .select(NotificationRecipient::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for r in rows {
        match to_recipient(&r) {
            Ok(rec) => out.push(rec),
            Err(w) => {
                log::warn!("{w}");
                warnings.push(w);
            }
        }
    }
    Ok(out)
}

/// A parsed profile value, or the default with a warning.
fn parsed_or<T>(
    r: Result<T, UnknownCode>,
    default: T,
    profile_id: i64,
    warnings: &mut Vec<String>,
) -> T {
    r.unwrap_or_else(|w| {
        let w = format!("profile {profile_id}: {w}; using the default");
        log::warn!("{w}");
        warnings.push(w);
        default
    })
}

fn to_recipient(r: &NotificationRecipient) -> Result<Recipient, String> {
    let address = r
        .email_address
        .trim()
        .parse::<lettre::Address>()
        .map_err(|e| {
            format!(
                "recipient row {} skipped: address {:?} does not parse ({e})",
                r.id, r.email_address
            )
        })?;
    let send_as = r.send_as.0.clone().map_err(|e| {
        format!(
            "recipient row {} skipped: send_as {:?} is not to/cc/bcc",
            r.id,
            e.value.trim().to_ascii_lowercase()
        )
    })?;
    // Display names go into headers: no line breaks.
    let name = r
        .display_name
        .as_deref()
        .map(|n| {
            n.split(['\r', '\n'])
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_string()
        })
        .filter(|n| !n.is_empty());
    let store_code = r
        .store_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("ALL"))
        .map(str::to_string);
    Ok(Recipient {
        id: r.id,
        store_code,
        mailbox: Mailbox::new(name, address),
        send_as,
    })
}
