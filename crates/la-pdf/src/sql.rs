//! Every statement of la-pdf that Diesel's DSL does not express, in one
//! place. The rows they read are typed by `la_schema::schema` (a renamed
//! column fails to compile); their text is planned against the migrated
//! schema by `every_statement_plans` below (a renamed table or column fails
//! that one test).

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::prelude::*;
use la_schema::schema::lead_assignments as la;

/// docs/decisions.md S4.2.1: the batch's assignments as its sheets show
/// them, with their agents, in store-code byte order, then agent, then rowid.
/// The batch id is a number, written into the statement as one.
fn sheet_rows(batch_id: i64) -> String {
    format!(
        "SELECT la.store_code, la.agent_id, la.page_group_code, la.rowid, \
                la.lead_assignment_code, la.lead_date, la.lead_type::text AS lead_type, \
                la.mobile_number, la.cx_name, la.address, la.lead_source, la.store_name, \
                am.agent_code::text AS agent_code, am.agent_name \
         FROM lead_assignments la JOIN agents_master am ON am.id = la.agent_id \
         WHERE la.assignment_batch_id = {batch_id} \
         ORDER BY la.store_code COLLATE \"C\", la.agent_id, la.rowid"
    )
}

/// Rows per `FETCH` of the sheets' cursor.
pub(crate) const FETCH_ROWS: usize = 5_000;

/// A batch's assignments read through a holdable cursor, a page at a time
/// (files are written between pages, outside the transaction).
pub(crate) struct SheetRows;

impl SheetRows {
    pub(crate) fn open(conn: &mut PgConnection, batch_id: i64) -> QueryResult<SheetRows> {
        let declare = format!(
            "DECLARE la_sheet_rows NO SCROLL CURSOR WITH HOLD FOR {}",
            sheet_rows(batch_id)
        );
        diesel::sql_query(declare).execute(conn)?;
        Ok(SheetRows)
    }

    /// The next page, at most [`FETCH_ROWS`] rows.
    pub(crate) fn page(&mut self, conn: &mut PgConnection) -> QueryResult<Vec<AssignmentRow>> {
        diesel::sql_query(format!("FETCH {FETCH_ROWS} FROM la_sheet_rows")).load(conn)
    }

    pub(crate) fn close(self, conn: &mut PgConnection) -> QueryResult<()> {
        diesel::sql_query("CLOSE la_sheet_rows").execute(conn)?;
        Ok(())
    }
}

/// One assignment as its sheet shows it (docs/decisions.md S4.2.1), with its
/// agent's code and name.
#[derive(QueryableByName)]
#[diesel(table_name = la, check_for_backend(Pg))]
pub(crate) struct AssignmentRow {
    pub(crate) store_code: String,
    pub(crate) agent_id: i64,
    pub(crate) page_group_code: String,
    pub(crate) rowid: i32,
    pub(crate) lead_assignment_code: String,
    pub(crate) lead_date: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) lead_type: Option<String>,
    pub(crate) mobile_number: String,
    pub(crate) cx_name: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) lead_source: Option<String>,
    pub(crate) store_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) agent_code: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) agent_name: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_statement_plans() {
        la_schema::testing::assert_statements_plan(&[("sheet_rows", super::sheet_rows(1))]);
    }
}
