//! Text columns whose values an enum names, read and written as the enum at
//! the Diesel boundary (docs/decisions.md D32). Each enum is declared once
//! with its stored text by `text_code!`:
//!
//! - in the project's own tables, a stored value the code does not know is
//!   one typed error where the row is read, naming the column and the value;
//! - in the operator's notification tables, where a bad row has always been
//!   a warning and not a failed run, a row's value is read as [`Coded`]: the
//!   enum, or an [`UnknownCode`] naming the column and the value for the
//!   reader to warn about.
//!
//! Stored text is compared trimmed and ASCII case-insensitively.

use diesel::deserialize::{self, FromSql, Queryable};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::Serialize;

/// An enum stored as text.
pub trait TextCode: Sized + Copy + 'static {
    /// The column(s) holding it, as `table.column`.
    const COLUMN: &'static str;
    /// What a value is, for "… is not {WHAT}".
    const WHAT: &'static str;
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The stored text.
    fn as_str(self) -> &'static str;

    /// The value whose stored text is `text` (trimmed, ASCII case-insensitive).
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }

    /// `text` as a value, or the error naming the column and the text.
    fn read(text: &str) -> Result<Self, UnknownCode> {
        Self::parse(text).ok_or_else(|| UnknownCode {
            column: Self::COLUMN,
            what: Self::WHAT,
            value: text.to_string(),
        })
    }
}

/// A stored value no enum variant names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{column} {value:?} is not {what}")]
pub struct UnknownCode {
    /// `table.column`.
    pub column: &'static str,
    /// What a value should be.
    pub what: &'static str,
    /// The stored text.
    pub value: String,
}

/// A value of an operator's table: the enum, or the text it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coded<T>(pub Result<T, UnknownCode>);

impl<T: TextCode> Coded<T> {
    /// Whether the value is `code`.
    pub fn is(&self, code: T) -> bool
    where
        T: PartialEq,
    {
        self.0.as_ref().is_ok_and(|c| *c == code)
    }

    /// The stored text (as the enum spells it when known).
    pub fn text(&self) -> &str {
        match &self.0 {
            Ok(c) => c.as_str(),
            Err(e) => &e.value,
        }
    }
}

impl<T: TextCode> std::fmt::Display for Coded<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

impl<T: TextCode> Serialize for Coded<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text())
    }
}

impl<T: TextCode> FromSql<Text, Pg> for Coded<T> {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        Ok(Coded(T::read(&text)))
    }
}

impl<T: TextCode> Queryable<Text, Pg> for Coded<T> {
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

/// The strict boundary of a [`TextCode`]: read (an unknown value is a
/// deserialization error naming the column and the value) and written.
pub(crate) fn from_sql<T: TextCode>(bytes: PgValue<'_>) -> deserialize::Result<T> {
    let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
    Ok(T::read(&text)?)
}

pub(crate) fn to_sql<'b, T: TextCode>(code: T, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
    <str as ToSql<Text, Pg>>::to_sql(code.as_str(), &mut out.reborrow())
}

/// Declares an enum stored as text: the enum, its [`TextCode`] (column,
/// description, every value and its text) and its Diesel `Text` mapping.
macro_rules! text_code {
    (
        $(#[$meta:meta])*
        pub enum $name:ident in $column:literal, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $crate::codes::TextCode for $name {
            const COLUMN: &'static str = $column;
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = <$name as $crate::codes::TextCode>::ALL;

            /// The stored text.
            pub fn as_str(self) -> &'static str {
                $crate::codes::TextCode::as_str(self)
            }

            /// The value whose stored text is `text` (trimmed, ASCII
            /// case-insensitive).
            pub fn parse(text: &str) -> Option<$name> {
                <$name as $crate::codes::TextCode>::parse(text)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                $crate::codes::to_sql(*self, out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                $crate::codes::from_sql(bytes)
            }
        }
    };
}

text_code! {
    /// What happened to one email attempt.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DeliveryOutcome in "lead_assignment_deliveries.outcome", "a delivery outcome" {
        /// Accepted by the SMTP server.
        Sent = "sent",
        /// Written as an `.eml` file to the outbox; nothing was sent.
        WrittenToOutbox = "written_to_outbox",
        /// The attempt failed.
        Failed = "failed",
        /// Not tried: an earlier connection-level failure, or the store's sheets are missing.
        NotAttempted = "not_attempted",
        /// Email was disabled for the run (`--no-email`).
        Skipped = "skipped",
    }
}

impl DeliveryOutcome {
    /// The outcomes that delivered an email.
    pub const DELIVERED: [DeliveryOutcome; 2] =
        [DeliveryOutcome::Sent, DeliveryOutcome::WrittenToOutbox];

    /// The email reached its destination (an SMTP server or the outbox).
    pub fn is_delivered(self) -> bool {
        matches!(
            self,
            DeliveryOutcome::Sent | DeliveryOutcome::WrittenToOutbox
        )
    }

    /// Nothing more is owed for this email: delivered, or deliberately skipped.
    pub fn is_settled(self) -> bool {
        self.is_delivered() || self == DeliveryOutcome::Skipped
    }
}

text_code! {
    /// How emails are delivered: an attempt's transport in the ledger, and
    /// how a batch's emails are delivered.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum TransportKind in
        "lead_assignment_deliveries.transport or lead_assignment_batches.delivery_transport",
        "a transport"
    {
        Smtp = "smtp",
        Outbox = "outbox",
        Memory = "memory",
        /// Email disabled: nothing is built or sent; the ledger records `skipped`.
        Disabled = "none",
    }
}

text_code! {
    /// Lead type `'E'` (existing customer) or `'N'` (new customer).
    #[derive(Serialize)]
    pub enum LeadType in "lead_assignments.lead_type", "a lead type (E or N)" {
        /// Existing customer (`'E'`).
        Existing = "E",
        /// New customer (`'N'`).
        New = "N",
    }
}

impl LeadType {
    /// docs/decisions.md D6: `'N'` when `customer_type` starts with "new"
    /// (case-insensitive, after trimming), else `'E'` (NULL included).
    pub fn from_customer_type(customer_type: Option<&str>) -> LeadType {
        match customer_type {
            Some(t) if t.trim_start().to_lowercase().starts_with("new") => LeadType::New,
            _ => LeadType::Existing,
        }
    }
}

text_code! {
    /// The run environment: which profile and recipients apply, and where a
    /// batch's emails go (`lead_assignment_batches.delivery_env`).
    #[derive(Default)]
    pub enum RunEnv in "lead_assignment_batches.delivery_env", "an env (dev, prod or local)" {
        #[default]
        Dev = "dev",
        Prod = "prod",
        Local = "local",
    }
}

impl std::fmt::Display for RunEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RunEnv {
    type Err = String;
    fn from_str(s: &str) -> Result<RunEnv, String> {
        RunEnv::parse(s).ok_or_else(|| format!("env {:?} is not dev, prod or local", s.trim()))
    }
}

impl Serialize for RunEnv {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

text_code! {
    /// Which env a notification profile or recipient row is for: one, or `any`.
    pub enum ProfileEnv in
        "notification_profiles.env or notification_recipients.env",
        "an env (dev, prod, local or any)"
    {
        Dev = "dev",
        Prod = "prod",
        Local = "local",
        Any = "any",
    }
}

impl From<RunEnv> for ProfileEnv {
    fn from(env: RunEnv) -> ProfileEnv {
        match env {
            RunEnv::Dev => ProfileEnv::Dev,
            RunEnv::Prod => ProfileEnv::Prod,
            RunEnv::Local => ProfileEnv::Local,
        }
    }
}

text_code! {
    /// `notification_profiles.scope`: which emails a run sends.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Scope in "notification_profiles.scope", "run/store/combined" {
        Run = "run",
        Store = "store",
        Combined = "combined",
    }
}

text_code! {
    /// `notification_profiles.attach_mode`: which sheets an email carries.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum AttachMode in
        "notification_profiles.attach_mode",
        "none/per_store_pdf/all_store_pdfs/all_docs_for_run"
    {
        None = "none",
        PerStorePdf = "per_store_pdf",
        AllStorePdfs = "all_store_pdfs",
        AllDocsForRun = "all_docs_for_run",
    }
}

text_code! {
    /// `notification_recipients.send_as`: how a recipient receives the email.
    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    pub enum SendAs in "notification_recipients.send_as", "to/cc/bcc" {
        To = "to",
        Cc = "cc",
        Bcc = "bcc",
    }
}

text_code! {
    /// How a run ended (`pipeline_run_summaries.overall_status`, a table other
    /// pipelines write too: this project writes it and reads only its own rows).
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OverallStatus in "pipeline_run_summaries.overall_status", "a run status" {
        /// Started and not finished (or its process died: see `Interrupted`).
        Running = "running",
        Success = "success",
        SuccessWithWarnings = "success_with_warnings",
        Failed = "failed",
        /// `system_config.skip_lead_assignment` was `'true'` (docs/decisions.md D18).
        Skipped = "skipped",
        /// A `running` row whose process is gone, found by a later run.
        Interrupted = "interrupted",
    }
}

text_code! {
    /// What became of a message from the reply mailbox
    /// (`lead_assignment_collected.status`).
    pub enum CollectedStatus in "lead_assignment_collected.status", "collected/refused/stranger" {
        /// Every sheet was ingested: filed to the collected folder.
        Collected = "collected",
        /// A sheet or attachment was refused: filed to the refused folder.
        Refused = "refused",
        /// From someone who is no recipient: filed unread and unanswered.
        Stranger = "stranger",
    }
}
