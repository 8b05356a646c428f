//! The report queries (docs/decisions.md D21): from the assignment, batch
//! and outcome tables alone, one grouped query per report, typed rows. The
//! crate's only SQL: every statement is planned against the migrated schema
//! by `every_statement_plans`.

use bigdecimal::BigDecimal;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Int4, Nullable, Numeric, Text};
use serde::Serialize;

/// What a report's rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupBy {
    Agent,
    Store,
    #[default]
    StoreAgent,
    LeadType,
    Day,
}

impl GroupBy {
    /// Every grouping, in the order `--by` lists them.
    pub const ALL: [GroupBy; 5] = [
        GroupBy::Agent,
        GroupBy::Store,
        GroupBy::StoreAgent,
        GroupBy::LeadType,
        GroupBy::Day,
    ];

    /// How the HTML page says it.
    pub fn title(self) -> &'static str {
        match self {
            GroupBy::Agent => "agent",
            GroupBy::Store => "store",
            GroupBy::StoreAgent => "store and agent",
            GroupBy::LeadType => "lead type",
            GroupBy::Day => "day",
        }
    }

    /// The `--by` word.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Agent => "agent",
            GroupBy::Store => "store",
            GroupBy::StoreAgent => "store-agent",
            GroupBy::LeadType => "lead-type",
            GroupBy::Day => "day",
        }
    }

    /// The key columns' SQL (`store_code, agent_code, agent_name, lead_type,
    /// batch_date`, NULL where the grouping has none) and the GROUP BY list.
    /// Fixed text per grouping: nothing of the caller's reaches the SQL.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            GroupBy::Agent => (
                "NULL::text, rtrim(am.agent_code)::text, am.agent_name::text, NULL::text, NULL::date",
                "am.id, am.agent_code, am.agent_name",
            ),
            GroupBy::Store => (
                "p.store_code::text, NULL::text, NULL::text, NULL::text, NULL::date",
                "p.store_code",
            ),
            GroupBy::StoreAgent => (
                "p.store_code::text, rtrim(am.agent_code)::text, am.agent_name::text, NULL::text, NULL::date",
                "p.store_code, am.id, am.agent_code, am.agent_name",
            ),
            GroupBy::LeadType => (
                "NULL::text, NULL::text, NULL::text, coalesce(p.lead_type::text, '-'), NULL::date",
                "coalesce(p.lead_type::text, '-')",
            ),
            GroupBy::Day => (
                "NULL::text, NULL::text, NULL::text, NULL::text, p.batch_date",
                "p.batch_date",
            ),
        }
    }
}

/// Which assignments a report covers.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    /// First and last batch date, inclusive.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Only these stores (case-insensitive); empty: every store.
    pub stores: Vec<String>,
    /// The business date ages are counted to.
    pub today: NaiveDate,
    /// A sheet with no outcome this many days after its batch is outstanding.
    pub older_than_days: u32,
}

impl ReportFilter {
    /// The default window: the last 28 days up to `today`, every store,
    /// outstanding after 2 days.
    pub fn last_28_days(today: NaiveDate) -> ReportFilter {
        ReportFilter {
            from: today - chrono::Days::new(27),
            to: today,
            stores: Vec::new(),
            today,
            older_than_days: DEFAULT_OUTSTANDING_DAYS,
        }
    }

    /// The newest batch date whose sheets can be outstanding.
    pub(crate) fn outstanding_cutoff(&self) -> NaiveDate {
        cutoff(self.today, self.older_than_days)
    }
}

/// The newest batch date whose sheets are outstanding `days` after it.
fn cutoff(today: NaiveDate, days: u32) -> NaiveDate {
    today - chrono::Days::new(u64::from(days))
}

/// Store codes as the queries compare them (`upper(store_code) = ANY(…)`).
fn upper_codes(stores: &[String]) -> Vec<String> {
    stores.iter().map(|s| s.trim().to_uppercase()).collect()
}

/// Days after its batch before a sheet without outcomes is outstanding.
pub const DEFAULT_OUTSTANDING_DAYS: u32 = 2;

/// One row of a report: its key (as the grouping has it) and its figures.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct ReportRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub store_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub agent_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub agent_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub lead_type: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub batch_date: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    pub assigned: i64,
    #[diesel(sql_type = BigInt)]
    pub with_outcome: i64,
    #[diesel(sql_type = BigInt)]
    pub converted: i64,
    #[diesel(sql_type = Numeric)]
    pub order_value: BigDecimal,
    #[diesel(sql_type = Numeric)]
    pub payment_amount: BigDecimal,
    #[diesel(sql_type = BigInt)]
    pub sheets: i64,
    #[diesel(sql_type = BigInt)]
    pub sheets_outstanding: i64,
}

impl ReportRow {
    /// converted / assigned (0 when nothing was assigned).
    pub fn conversion_rate(&self) -> f64 {
        if self.assigned == 0 {
            0.0
        } else {
            self.converted as f64 / self.assigned as f64
        }
    }
}

/// The report's rows, in key order.
pub fn report(
    conn: &mut PgConnection,
    by: GroupBy,
    filter: &ReportFilter,
) -> QueryResult<Vec<ReportRow>> {
    diesel::sql_query(report_sql(by))
        .bind::<Date, _>(filter.from)
        .bind::<Date, _>(filter.to)
        .bind::<Array<Text>, _>(upper_codes(&filter.stores))
        .bind::<Date, _>(filter.outstanding_cutoff())
        .load(conn)
}

/// The report grouped `by`: $1..$2 the batch dates, $3 the upper-cased store
/// codes (empty: every store), $4 the outstanding cutoff.
fn report_sql(by: GroupBy) -> String {
    let (keys, group) = by.sql();
    let sql = format!(
        "WITH per AS (
            SELECT la.assignment_batch_id AS batch_id, b.batch_date, la.store_code,
                   la.agent_id, la.lead_type,
                   count(*) AS assigned, count(o.id) AS with_outcome,
                   count(*) FILTER (WHERE o.converted_flag) AS converted,
                   coalesce(sum(o.order_value), 0) AS order_value,
                   coalesce(sum(o.payment_amount), 0) AS payment_amount
            FROM lead_assignments la
            JOIN lead_assignment_batches b ON b.id = la.assignment_batch_id
            LEFT JOIN lead_assignment_outcomes o ON o.lead_assignment_id = la.id
            WHERE b.batch_date BETWEEN $1 AND $2
              AND (cardinality($3::text[]) = 0 OR upper(la.store_code) = ANY($3))
            GROUP BY 1, 2, 3, 4, 5
        ), sheet AS (
            SELECT batch_id, store_code, agent_id,
                   sum(with_outcome) = 0 AND min(batch_date) <= $4 AS outstanding
            FROM per GROUP BY 1, 2, 3
        )
        SELECT {keys},
               sum(p.assigned)::bigint, sum(p.with_outcome)::bigint, sum(p.converted)::bigint,
               sum(p.order_value), sum(p.payment_amount),
               count(DISTINCT (p.batch_id, p.store_code, p.agent_id)),
               count(DISTINCT (p.batch_id, p.store_code, p.agent_id)) FILTER (WHERE s.outstanding)
        FROM per p
        JOIN sheet s ON (s.batch_id, s.store_code, s.agent_id) = (p.batch_id, p.store_code, p.agent_id)
        JOIN agents_master am ON am.id = p.agent_id
        GROUP BY {group}
        ORDER BY 1, 2, 3, 4, 5"
    );
    format!(
        "SELECT k.* FROM ({sql}) AS k(store_code, agent_code, agent_name, lead_type, batch_date,
            assigned, with_outcome, converted, order_value, payment_amount, sheets, sheets_outstanding)"
    )
}

/// A sheet none of whose leads has an outcome, its batch old enough.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, Serialize)]
pub struct OutstandingSheet {
    #[diesel(sql_type = Text)]
    pub store_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub store_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub agent_code: String,
    #[diesel(sql_type = Text)]
    pub agent_name: String,
    #[diesel(sql_type = BigInt)]
    pub batch_id: i64,
    #[diesel(sql_type = Date)]
    pub batch_date: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub leads: i64,
    #[diesel(sql_type = Int4)]
    pub age_days: i32,
}

/// Which outstanding sheets to list.
#[derive(Debug, Clone)]
pub struct OutstandingFilter {
    /// The business date ages are counted to.
    pub today: NaiveDate,
    /// Outstanding this many days after the batch date.
    pub older_than_days: u32,
    /// Only batches on or after this date (None: any age).
    pub since: Option<NaiveDate>,
    /// Only these stores (case-insensitive); empty: every store.
    pub stores: Vec<String>,
}

/// Outstanding sheets: $1 today, $2 the newest batch date outstanding, $3
/// the oldest batch date listed, $4 the upper-cased store codes (empty: every store).
const OUTSTANDING: &str = "SELECT la.store_code::text AS store_code,
                coalesce(max(la.store_name), max(sm.store_name))::text AS store_name,
                coalesce(rtrim(am.agent_code), '')::text AS agent_code,
                am.agent_name::text AS agent_name,
                la.assignment_batch_id AS batch_id, b.batch_date,
                count(*) AS leads, ($1::date - b.batch_date) AS age_days
         FROM lead_assignments la
         JOIN lead_assignment_batches b ON b.id = la.assignment_batch_id
         JOIN agents_master am ON am.id = la.agent_id
         LEFT JOIN store_master sm ON sm.store_code = la.store_code
         LEFT JOIN lead_assignment_outcomes o ON o.lead_assignment_id = la.id
         WHERE b.batch_date <= $2 AND b.batch_date >= $3
           AND (cardinality($4::text[]) = 0 OR upper(la.store_code) = ANY($4))
         GROUP BY la.assignment_batch_id, b.batch_date, la.store_code, la.agent_id,
                  am.agent_code, am.agent_name
         HAVING count(o.id) = 0
         ORDER BY la.store_code, b.batch_date, 3";

/// Outstanding sheets by store, batch date and agent.
pub fn outstanding_sheets(
    conn: &mut PgConnection,
    filter: &OutstandingFilter,
) -> QueryResult<Vec<OutstandingSheet>> {
    let cutoff = cutoff(filter.today, filter.older_than_days);
    let since = filter
        .since
        .unwrap_or(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default());
    diesel::sql_query(OUTSTANDING)
        .bind::<Date, _>(filter.today)
        .bind::<Date, _>(cutoff)
        .bind::<Date, _>(since)
        .bind::<Array<Text>, _>(upper_codes(&filter.stores))
        .load(conn)
}

#[derive(QueryableByName)]
struct Code {
    #[diesel(sql_type = Text)]
    code: String,
}

/// $1's codes (upper-cased) that no table knows, in $1's order.
const UNKNOWN_STORES: &str = "SELECT c AS code FROM unnest($1::text[]) WITH ORDINALITY AS u(c, n)
         WHERE NOT EXISTS (SELECT 1 FROM store_master WHERE upper(btrim(store_code)) = c)
           AND NOT EXISTS (SELECT 1 FROM store_lead_assignment_map WHERE upper(btrim(store_code)) = c)
           AND NOT EXISTS (SELECT 1 FROM lead_assignments WHERE upper(btrim(store_code)) = c)
         ORDER BY n";

/// Which of `stores` no table knows (case-insensitive): not in
/// `store_master`, no mapping, no assignment. A report of them would be
/// empty for a typing mistake.
pub fn unknown_stores(conn: &mut PgConnection, stores: &[String]) -> QueryResult<Vec<String>> {
    let codes: Vec<Code> = diesel::sql_query(UNKNOWN_STORES)
        .bind::<Array<Text>, _>(upper_codes(stores))
        .load(conn)?;
    Ok(codes.into_iter().map(|c| c.code).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_plans() {
        let mut statements: Vec<(&str, String)> = GroupBy::ALL
            .iter()
            .map(|by| (by.as_str(), report_sql(*by)))
            .collect();
        statements.push(("OUTSTANDING", OUTSTANDING.into()));
        statements.push(("UNKNOWN_STORES", UNKNOWN_STORES.into()));
        la_schema::testing::assert_statements_plan(&statements);
    }
}
