//! Row types for the tables in [`crate::schema`]: what is read (`Queryable`)
//! and what is written (`Insertable` / `AsChangeset`).

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::codes::{AttachMode, Coded, LeadType, OverallStatus, ProfileEnv, RunEnv, Scope, SendAs};
pub use crate::codes::{DeliveryOutcome, TransportKind};
use crate::schema::*;

/// A `lead_assignment_batches` row to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = lead_assignment_batches)]
pub struct NewBatch<'a> {
    pub batch_date: NaiveDate,
    pub triggered_by: Option<&'a str>,
    pub run_id: Option<&'a str>,
    /// How the batch's emails are delivered (`smtp`, `outbox`, `none`).
    pub delivery_transport: Option<TransportKind>,
    /// The env whose recipients its emails go to.
    pub delivery_env: Option<RunEnv>,
}

/// A `lead_assignment_batches` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = lead_assignment_batches, check_for_backend(diesel::pg::Pg))]
pub struct Batch {
    pub id: i64,
    pub batch_date: NaiveDate,
    pub triggered_by: Option<String>,
    pub run_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A `lead_assignments` row to insert (docs/decisions.md S2.6).
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = lead_assignments, treat_none_as_default_value = false)]
pub struct NewLeadAssignment {
    pub assignment_batch_id: i64,
    pub lead_id: i32,
    pub agent_id: i64,
    pub page_group_code: String,
    pub rowid: i32,
    pub lead_assignment_code: String,
    pub store_code: String,
    pub store_name: Option<String>,
    pub lead_date: Option<NaiveDate>,
    pub lead_type: Option<LeadType>,
    pub mobile_number: String,
    pub cx_name: Option<String>,
    pub address: Option<String>,
    pub lead_source: Option<String>,
}

/// A `lead_assignments` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = lead_assignments, check_for_backend(diesel::pg::Pg))]
pub struct LeadAssignment {
    pub id: i64,
    pub assignment_batch_id: i64,
    pub lead_id: i32,
    pub agent_id: i64,
    pub page_group_code: String,
    pub rowid: i32,
    pub lead_assignment_code: String,
    pub store_code: String,
    pub store_name: Option<String>,
    pub lead_date: Option<NaiveDate>,
    /// Checked for new rows only: an older row may hold other text
    /// (migration 2 adds the check `NOT VALID`).
    pub lead_type: Option<Coded<LeadType>>,
    pub mobile_number: String,
    pub cx_name: Option<String>,
    pub address: Option<String>,
    pub lead_source: Option<String>,
    pub assigned_at: DateTime<Utc>,
}

/// An `agents_master` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = agents_master, check_for_backend(diesel::pg::Pg))]
pub struct Agent {
    pub id: i64,
    pub agent_code: Option<String>,
    pub agent_name: String,
    pub mobile_number: String,
    pub is_active: bool,
}

/// A `store_lead_assignment_map` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = store_lead_assignment_map, check_for_backend(diesel::pg::Pg))]
pub struct StoreAgentMapping {
    pub id: i64,
    pub store_code: String,
    pub agent_id: i64,
    pub is_enabled: bool,
    pub priority: i32,
    pub max_existing_per_lot: Option<i32>,
    pub max_new_per_lot: Option<i32>,
    pub max_daily_leads: Option<i32>,
}

/// The seven values an agent fills in for a lead (docs/decisions.md S2.7).
#[derive(Debug, Clone, Default, PartialEq, Insertable)]
#[diesel(table_name = lead_assignment_outcomes, treat_none_as_null = true)]
pub struct OutcomeValues {
    pub converted_flag: Option<bool>,
    pub order_number: Option<String>,
    pub order_date: Option<NaiveDate>,
    pub order_value: Option<BigDecimal>,
    pub payment_mode: Option<String>,
    pub payment_amount: Option<BigDecimal>,
    pub remarks: Option<String>,
}

/// A `lead_assignment_outcomes` row to upsert.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = lead_assignment_outcomes)]
pub struct NewOutcome {
    pub lead_assignment_id: i64,
    #[diesel(embed)]
    pub values: OutcomeValues,
}

/// A `lead_assignment_outcomes` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = lead_assignment_outcomes, check_for_backend(diesel::pg::Pg))]
pub struct Outcome {
    pub id: i64,
    pub lead_assignment_id: i64,
    pub converted_flag: Option<bool>,
    pub order_number: Option<String>,
    pub order_date: Option<NaiveDate>,
    pub order_value: Option<BigDecimal>,
    pub payment_mode: Option<String>,
    pub payment_amount: Option<BigDecimal>,
    pub remarks: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Outcome {
    /// Its seven values.
    pub fn values(&self) -> OutcomeValues {
        OutcomeValues {
            converted_flag: self.converted_flag,
            order_number: self.order_number.clone(),
            order_date: self.order_date,
            order_value: self.order_value.clone(),
            payment_mode: self.payment_mode.clone(),
            payment_amount: self.payment_amount.clone(),
            remarks: self.remarks.clone(),
        }
    }
}

/// A `documents` row to insert or update (docs/decisions.md S2.8 conventions are filled by la-pdf).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = documents, treat_none_as_null = true)]
pub struct NewDocument {
    pub doc_type: String,
    pub doc_subtype: Option<String>,
    pub doc_date: Option<NaiveDate>,
    pub reference_name_1: Option<String>,
    pub reference_id_1: Option<String>,
    pub reference_name_2: Option<String>,
    pub reference_id_2: Option<String>,
    pub reference_name_3: Option<String>,
    pub reference_id_3: Option<String>,
    pub file_name: String,
    pub mime_type: String,
    pub file_size_bytes: Option<i64>,
    pub storage_backend: String,
    pub file_path: Option<String>,
    pub checksum: Option<String>,
    pub status: String,
    pub error_message: Option<String>,
    pub created_by: Option<String>,
}

/// A `documents` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg))]
pub struct Document {
    pub id: i64,
    pub doc_type: String,
    pub doc_subtype: Option<String>,
    pub doc_date: Option<NaiveDate>,
    pub reference_name_1: Option<String>,
    pub reference_id_1: Option<String>,
    pub reference_name_2: Option<String>,
    pub reference_id_2: Option<String>,
    pub reference_name_3: Option<String>,
    pub reference_id_3: Option<String>,
    pub file_name: String,
    pub mime_type: String,
    pub file_size_bytes: Option<i64>,
    pub storage_backend: String,
    pub file_path: Option<String>,
    pub checksum: Option<String>,
    pub status: String,
    pub error_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

/// A `notification_profiles` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = notification_profiles, check_for_backend(diesel::pg::Pg))]
pub struct NotificationProfile {
    pub id: i64,
    pub pipeline_id: i64,
    pub code: String,
    pub description: Option<String>,
    pub env: Coded<ProfileEnv>,
    pub scope: Coded<Scope>,
    pub attach_mode: Coded<AttachMode>,
    pub is_active: bool,
}

/// An `email_templates` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_templates, check_for_backend(diesel::pg::Pg))]
pub struct EmailTemplate {
    pub id: i64,
    pub profile_id: i64,
    pub name: String,
    pub subject_template: String,
    pub body_template: String,
    pub is_active: bool,
}

/// A `notification_recipients` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = notification_recipients, check_for_backend(diesel::pg::Pg))]
pub struct NotificationRecipient {
    pub id: i64,
    pub profile_id: i64,
    pub store_code: Option<String>,
    pub env: Coded<ProfileEnv>,
    pub email_address: String,
    pub display_name: Option<String>,
    pub send_as: Coded<SendAs>,
    pub is_active: bool,
}

/// A `pipeline_run_summaries` row to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pipeline_run_summaries)]
pub struct NewRunSummary {
    pub pipeline_name: String,
    pub run_id: String,
    pub run_env: Option<RunEnv>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub total_time_taken: Option<String>,
    pub report_date: Option<NaiveDate>,
    pub overall_status: Option<OverallStatus>,
    pub summary_text: Option<String>,
    pub phases_json: Option<serde_json::Value>,
    pub metrics_json: Option<serde_json::Value>,
}

/// A `lead_assignment_deliveries` row to insert: one email attempt.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = lead_assignment_deliveries)]
pub struct NewDelivery {
    /// None for an email of no batch (a receipt for a returned sheet).
    pub batch_id: Option<i64>,
    pub email_key: String,
    pub transport: TransportKind,
    pub to_addresses: Vec<String>,
    pub cc_addresses: Vec<String>,
    pub bcc_addresses: Vec<String>,
    pub document_ids: Vec<i64>,
    pub outcome: DeliveryOutcome,
    pub error: Option<String>,
    pub message_id: Option<String>,
    pub run_id: Option<String>,
}

/// A `lead_assignment_deliveries` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = lead_assignment_deliveries, check_for_backend(diesel::pg::Pg))]
pub struct Delivery {
    pub id: i64,
    pub batch_id: Option<i64>,
    pub email_key: String,
    pub transport: TransportKind,
    pub to_addresses: Vec<String>,
    pub cc_addresses: Vec<String>,
    pub bcc_addresses: Vec<String>,
    pub document_ids: Vec<i64>,
    pub outcome: DeliveryOutcome,
    pub error: Option<String>,
    pub message_id: Option<String>,
    pub run_id: Option<String>,
    pub attempted_at: DateTime<Utc>,
}

/// An `agent_leave` row to insert (docs/decisions.md D19).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = agent_leave)]
pub struct NewAgentLeave {
    pub agent_id: i64,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub reason: Option<String>,
    pub created_by: Option<String>,
}

/// An `agent_leave` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = agent_leave, check_for_backend(diesel::pg::Pg))]
pub struct AgentLeave {
    pub id: i64,
    pub agent_id: i64,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}
