//! Every statement of la-assign that Diesel's DSL does not express, in one
//! place. The rows they read are typed by `la_schema::schema` (a renamed
//! column fails to compile); their text is planned against the migrated
//! schema by `every_statement_plans` below (a renamed table or column fails
//! that one test).

use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text};
use la_schema::eligibility;
use la_schema::schema::missed_leads as ml;

use crate::engine::CandidateLead;

/// docs/decisions.md D16: flags every lead flagged unassigned that already
/// has an assignment assigned again; the repaired ids, unordered. The
/// predicate is the partial eligibility index's: only its rows are probed.
fn repair_drifted() -> String {
    format!(
        "UPDATE missed_leads m SET lead_assigned = true, updated_at = now() \
         WHERE {} RETURNING m.pickup_row_id",
        eligibility::drifted("m")
    )
}

pub(crate) fn repair_drifted_flags(conn: &mut PgConnection) -> QueryResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Integer)]
        pickup_row_id: i32,
    }
    let ids = diesel::sql_query(repair_drifted()).load::<Id>(conn)?;
    Ok(ids.into_iter().map(|r| r.pickup_row_id).collect())
}

const SET_TIMEZONE: &str = "SELECT set_config('TimeZone', $1, true)";

/// The session's `current_date`.
pub(crate) fn current_date(conn: &mut PgConnection) -> QueryResult<NaiveDate> {
    diesel::select(sql::<Date>("current_date")).get_result(conn)
}

/// Today in `tz`, which also becomes the transaction's `TimeZone` (read in
/// the zone itself: outside a transaction the setting ends with its statement).
pub(crate) fn date_in_zone(conn: &mut PgConnection, tz: &str) -> QueryResult<NaiveDate> {
    diesel::sql_query(SET_TIMEZONE)
        .bind::<Text, _>(tz)
        .execute(conn)?;
    diesel::select(
        sql::<Date>("(now() AT TIME ZONE ")
            .bind::<Text, _>(tz)
            .sql(")::date"),
    )
    .get_result(conn)
}

/// docs/decisions.md S4.1.1, S5 rule 1, D2, D16: the eligible leads
/// (`la_schema::eligibility::assignable`), store by store in store-code byte
/// order (`COLLATE "C"`, the engine's order), each store's leads newest
/// first. Leads of stores whose mappings lead only to unusable agents are
/// included so the report can say why they were not assigned.
fn candidates() -> String {
    format!(
        r#"SELECT ml.pickup_row_id, ml.store_code, ml.store_name, ml.mobile_number, ml.customer_name,
       ml.special_instruction, ml.source, ml.final_source, ml.customer_type,
       ml.pickup_created_date, ml.pickup_date, ml.run_date
FROM missed_leads ml
JOIN store_master sm ON sm.store_code = ml.store_code
WHERE {}
ORDER BY ml.store_code COLLATE "C", ml.pickup_created_date DESC NULLS LAST, ml.pickup_row_id DESC"#,
        eligibility::assignable("ml", "sm")
    )
}

/// Rows per `FETCH`.
pub(crate) const FETCH_ROWS: usize = 5_000;

/// The eligible leads read through a cursor, a page at a time.
pub(crate) struct Candidates;

impl Candidates {
    pub(crate) fn open(conn: &mut PgConnection) -> QueryResult<Candidates> {
        let declare = format!(
            "DECLARE la_candidates NO SCROLL CURSOR FOR {}",
            candidates()
        );
        diesel::sql_query(declare).execute(conn)?;
        Ok(Candidates)
    }

    /// The next page, at most [`FETCH_ROWS`] leads.
    pub(crate) fn page(&mut self, conn: &mut PgConnection) -> QueryResult<Vec<CandidateLead>> {
        let fetch = format!("FETCH {FETCH_ROWS} FROM la_candidates");
        let rows: Vec<CandidateRow> = diesel::sql_query(fetch).load(conn)?;
        Ok(rows.into_iter().map(CandidateLead::from).collect())
    }

    pub(crate) fn close(self, conn: &mut PgConnection) -> QueryResult<()> {
        diesel::sql_query("CLOSE la_candidates").execute(conn)?;
        Ok(())
    }
}

/// An eligible `missed_leads` row as read; the engine's [`CandidateLead`]
/// stays free of Diesel.
#[derive(QueryableByName)]
#[diesel(table_name = ml, check_for_backend(diesel::pg::Pg))]
struct CandidateRow {
    pickup_row_id: i32,
    store_code: String,
    store_name: Option<String>,
    mobile_number: String,
    customer_name: Option<String>,
    special_instruction: Option<String>,
    source: Option<String>,
    final_source: Option<String>,
    customer_type: Option<String>,
    pickup_created_date: Option<NaiveDate>,
    pickup_date: Option<NaiveDate>,
    run_date: Option<NaiveDate>,
}

impl From<CandidateRow> for CandidateLead {
    fn from(r: CandidateRow) -> CandidateLead {
        CandidateLead {
            pickup_row_id: r.pickup_row_id,
            store_code: r.store_code,
            store_name: r.store_name,
            mobile_number: r.mobile_number,
            customer_name: r.customer_name,
            special_instruction: r.special_instruction,
            source: r.source,
            final_source: r.final_source,
            customer_type: r.customer_type,
            pickup_created_date: r.pickup_created_date,
            pickup_date: r.pickup_date,
            run_date: r.run_date,
        }
    }
}

/// Every lead of the batch not yet flagged assigned, flagged in one statement.
const MARK_ASSIGNED: &str =
    "UPDATE \"missed_leads\" SET \"lead_assigned\" = true, \"updated_at\" = now() \
     FROM \"lead_assignments\" a \
     WHERE a.\"assignment_batch_id\" = $1 \
       AND \"missed_leads\".\"pickup_row_id\" = a.\"lead_id\" \
       AND \"missed_leads\".\"lead_assigned\" = false";

/// The number of leads flagged.
pub(crate) fn mark_assigned(conn: &mut PgConnection, batch_id: i64) -> QueryResult<usize> {
    diesel::sql_query(MARK_ASSIGNED)
        .bind::<BigInt, _>(batch_id)
        .execute(conn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_statement_plans() {
        la_schema::testing::assert_statements_plan(&[
            ("repair_drifted", super::repair_drifted()),
            ("SET_TIMEZONE", super::SET_TIMEZONE.into()),
            ("candidates", super::candidates()),
            ("MARK_ASSIGNED", super::MARK_ASSIGNED.into()),
        ]);
    }
}
