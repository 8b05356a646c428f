//! Row builders for tests, benchmarks and the `demo` command: stores, agents,
//! mappings, missed leads and recipients, inserted through the schema.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::schema::{
    agents_master, missed_leads, notification_profiles, notification_recipients, pipelines,
    store_lead_assignment_map, store_master,
};

/// A `missed_leads` row to insert.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = missed_leads)]
pub struct SeedLead {
    pub pickup_row_id: i32,
    pub mobile_number: String,
    pub pickup_created_date: Option<NaiveDate>,
    pub store_code: String,
    pub store_name: Option<String>,
    pub pickup_date: Option<NaiveDate>,
    pub customer_name: Option<String>,
    pub special_instruction: Option<String>,
    pub source: Option<String>,
    pub final_source: Option<String>,
    pub customer_type: Option<String>,
    pub is_order_placed: Option<bool>,
    pub run_date: Option<NaiveDate>,
    pub lead_assigned: bool,
}

impl SeedLead {
    /// A lead of `store_code` with a mobile number derived from `id`, created on `date`.
    pub fn new(
        id: i32,
        store_code: &str,
        customer_type: Option<&str>,
        date: Option<NaiveDate>,
    ) -> SeedLead {
        SeedLead {
            pickup_row_id: id,
            mobile_number: format!("9{:09}", id),
            pickup_created_date: date,
            store_code: store_code.to_string(),
            store_name: Some(format!("Store {store_code}")),
            pickup_date: None,
            customer_name: Some(format!("Customer {id}")),
            special_instruction: Some(format!("House {id}, Main Road")),
            source: Some("app".into()),
            final_source: None,
            customer_type: customer_type.map(str::to_string),
            is_order_placed: None,
            run_date: None,
            lead_assigned: false,
        }
    }
}

/// Inserts leads in chunks (multi-row INSERTs).
pub fn leads(conn: &mut PgConnection, rows: &[SeedLead]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(4_000) {
        n += diesel::insert_into(missed_leads::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(n)
}

/// Inserts a store; returns its id.
pub fn store(
    conn: &mut PgConnection,
    code: &str,
    name: Option<&str>,
    assign_leads: bool,
) -> QueryResult<i64> {
    diesel::insert_into(store_master::table)
        .values((
            store_master::store_code.eq(code),
            store_master::store_name.eq(name),
            store_master::assign_leads.eq(assign_leads),
        ))
        .returning(store_master::id)
        .get_result(conn)
}

/// Inserts an agent; returns its id.
pub fn agent(
    conn: &mut PgConnection,
    code: Option<&str>,
    name: &str,
    active: bool,
) -> QueryResult<i64> {
    diesel::insert_into(agents_master::table)
        .values((
            agents_master::agent_code.eq(code),
            agents_master::agent_name.eq(name),
            agents_master::mobile_number.eq("9800000000"),
            agents_master::is_active.eq(active),
        ))
        .returning(agents_master::id)
        .get_result(conn)
}

/// Caps and priority of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingSeed {
    pub priority: i32,
    pub max_existing_per_lot: Option<i32>,
    pub max_new_per_lot: Option<i32>,
    pub max_daily_leads: Option<i32>,
    pub is_enabled: bool,
}

impl Default for MappingSeed {
    fn default() -> Self {
        MappingSeed {
            priority: 100,
            max_existing_per_lot: None,
            max_new_per_lot: None,
            max_daily_leads: None,
            is_enabled: true,
        }
    }
}

/// Maps an agent to a store.
pub fn mapping(
    conn: &mut PgConnection,
    store_code: &str,
    agent_id: i64,
    m: MappingSeed,
) -> QueryResult<i64> {
    diesel::insert_into(store_lead_assignment_map::table)
        .values((
            store_lead_assignment_map::store_code.eq(store_code),
            store_lead_assignment_map::agent_id.eq(agent_id),
            store_lead_assignment_map::priority.eq(m.priority),
            store_lead_assignment_map::max_existing_per_lot.eq(m.max_existing_per_lot),
            store_lead_assignment_map::max_new_per_lot.eq(m.max_new_per_lot),
            store_lead_assignment_map::max_daily_leads.eq(m.max_daily_leads),
            store_lead_assignment_map::is_enabled.eq(m.is_enabled),
        ))
        .returning(store_lead_assignment_map::id)
        .get_result(conn)
}

/// Id of the seeded `leads_assignment` notification profile (env `any`).
pub(crate) fn lead_assignment_profile_id(conn: &mut PgConnection) -> QueryResult<i64> {
    notification_profiles::table
        .inner_join(pipelines::table)
        .filter(pipelines::code.eq(crate::PIPELINE))
        .filter(notification_profiles::code.eq(crate::PIPELINE))
        .filter(notification_profiles::env.eq("any"))
        .select(notification_profiles::id)
        .first(conn)
}

/// Adds a recipient to the `leads_assignment` profile; returns its id.
pub fn recipient(
    conn: &mut PgConnection,
    store_code: Option<&str>,
    env: &str,
    email: &str,
    send_as: &str,
    active: bool,
) -> QueryResult<i64> {
    let profile = lead_assignment_profile_id(conn)?;
    diesel::insert_into(notification_recipients::table)
        .values((
            notification_recipients::profile_id.eq(profile),
            notification_recipients::store_code.eq(store_code),
            notification_recipients::env.eq(env),
            notification_recipients::email_address.eq(email),
            notification_recipients::display_name.eq(email.split('@').next()),
            notification_recipients::send_as.eq(send_as),
            notification_recipients::is_active.eq(active),
        ))
        .returning(notification_recipients::id)
        .get_result(conn)
}
