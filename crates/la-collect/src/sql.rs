//! Every statement of la-collect that Diesel's DSL does not express, in one
//! place; their text is planned against the migrated schema by
//! `every_statement_plans` below (a renamed table or column fails that one
//! test).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// How many active recipients of $1's active profiles have the address $2
/// (trimmed, lower-case).
const RECIPIENTS_WITH_ADDRESS: &str = "SELECT count(*) AS n FROM notification_recipients r
     JOIN notification_profiles p ON p.id = r.profile_id
     JOIN pipelines pl ON pl.id = p.pipeline_id
     WHERE pl.code = $1 AND r.is_active AND p.is_active
       AND lower(trim(r.email_address)) = $2";

/// Whether `address` (trimmed, lower-case) is an active recipient of an
/// active profile of this pipeline, for any store and env.
pub(crate) fn is_recipient(conn: &mut PgConnection, address: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(RECIPIENTS_WITH_ADDRESS)
        .bind::<Text, _>(la_schema::PIPELINE)
        .bind::<Text, _>(address)
        .get_result::<N>(conn)
        .map(|n| n.n > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_statement_plans() {
        la_schema::testing::assert_statements_plan(&[(
            "RECIPIENTS_WITH_ADDRESS",
            super::RECIPIENTS_WITH_ADDRESS.into(),
        )]);
    }
}
