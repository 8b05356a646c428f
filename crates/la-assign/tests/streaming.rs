//! The streaming run (a cursor store by store, COPY, one flag UPDATE) gives
//! exactly the assignments of the engine's all-at-once plan on the same data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use la_assign::engine::{self, CandidateLead};
use la_assign::{business_date, read_engine_input, run_leads_assignment, AssignOptions};
use la_schema::schema::lead_assignments as la;
use la_schema::testing::migrated_db;

/// 20,000 eligible leads over 40 stores whose codes sort differently by
/// byte and by locale (upper and lower case, digits, a non-ASCII letter);
/// 30 agents, most serving two or three stores (so rowids continue across
/// stores), in two priority tiers with per-lot and daily caps; and earlier
/// assignments today, so rowids start after them.
const SEED: &str = r#"
-- A production database sorts text by its locale; this one is C. An ICU
-- collation on the store codes makes "ORDER BY store_code" differ from the
-- engine's byte order, as it would there.
ALTER TABLE missed_leads ALTER COLUMN store_code TYPE varchar COLLATE "und-x-icu";
INSERT INTO store_master (store_code, store_name, assign_leads)
SELECT code, 'Store ' || code, true
FROM unnest(ARRAY['a1','B2','b1','C10','c2','Ä1','_x','Z9','z0','M-1','m_2','10','9','A1','aa',
                  'AB','ab','Ab','aB','é1','E1','e1','Q','q','R1','r2','S1','s1','T','t',
                  'U1','u1','V','v','W1','w2','X','x','Y1','y1']) AS code;
INSERT INTO agents_master (agent_code, agent_name, mobile_number)
SELECT lpad(g::text, 4, '0'), 'Agent ' || g, '98' FROM generate_series(1, 30) g;
INSERT INTO store_lead_assignment_map (store_code, agent_id, priority, max_existing_per_lot, max_new_per_lot, max_daily_leads)
SELECT s.store_code, 1 + (s.n * 7 + k) % 30, CASE WHEN k = 2 THEN 200 ELSE 100 END,
       (ARRAY[100, 80, 40])[k + 1], (ARRAY[30, 40, 10])[k + 1],
       CASE WHEN (s.n + k) % 5 = 0 THEN 60 END
FROM (SELECT store_code, row_number() OVER (ORDER BY store_code COLLATE "C") AS n FROM store_master) s,
     generate_series(0, 2) k;
INSERT INTO missed_leads (pickup_row_id, mobile_number, pickup_created_date, store_code, customer_name,
    special_instruction, source, final_source, customer_type, is_order_placed, lead_assigned)
SELECT g, '9' || lpad(g::text, 9, '0'),
       CASE WHEN g % 17 = 0 THEN NULL ELSE date '2025-01-01' + (g % 90) END,
       (SELECT store_code FROM store_master ORDER BY store_code COLLATE "C" OFFSET g % 40 LIMIT 1),
       'Customer ' || g, 'Address ' || g, 'app', CASE WHEN g % 2 = 0 THEN 'google' END,
       CASE WHEN g % 3 = 0 THEN 'New' ELSE 'Existing' END, false, false
FROM generate_series(1, 20600) g;
"#;

#[test]
fn streaming_equals_the_in_memory_plan_on_20000_leads() {
    let db = migrated_db();
    let mut c = db.conn();
    c.batch_execute(SEED).unwrap();
    // Earlier today: 600 leads assigned by a first run, so today's counts,
    // caps and rowids all carry over into the run under test.
    c.batch_execute("UPDATE missed_leads SET is_order_placed = true WHERE pickup_row_id > 600")
        .unwrap();
    run_leads_assignment(&mut c, &AssignOptions::default()).unwrap();
    c.batch_execute("UPDATE missed_leads SET is_order_placed = false WHERE pickup_row_id > 600")
        .unwrap();
    let before: i64 = la::table.count().get_result(&mut c).unwrap();
    assert_eq!(before, 600);

    // The reference: every lead at once, in the global order of D2.
    let plan = c
        .transaction::<_, diesel::result::Error, _>(|c| {
            let day = business_date(c, None).unwrap();
            let mut input = read_engine_input(c, day).unwrap();
            input.leads.sort_by(|a: &CandidateLead, b: &CandidateLead| {
                (
                    b.pickup_created_date.is_some(),
                    b.pickup_created_date,
                    b.pickup_row_id,
                )
                    .cmp(&(
                        a.pickup_created_date.is_some(),
                        a.pickup_created_date,
                        a.pickup_row_id,
                    ))
            });
            assert_eq!(input.leads.len(), 20_000);
            Ok(engine::plan(&input))
        })
        .unwrap();
    assert!(
        plan.assignments.len() > 10_000,
        "{}",
        plan.assignments.len()
    );
    assert!(!plan.unassigned.is_empty(), "caps leave some leads");

    let report = run_leads_assignment(&mut c, &AssignOptions::default()).unwrap();
    assert_eq!(report.assigned as usize, plan.assignments.len());
    let batch = report.batch_id.unwrap();
    let mut stored: Vec<(String, i32, i64, i32)> = la::table
        .filter(la::assignment_batch_id.eq(batch))
        .select((
            la::lead_assignment_code,
            la::rowid,
            la::agent_id,
            la::lead_id,
        ))
        .load(&mut c)
        .unwrap();
    let mut planned: Vec<(String, i32, i64, i32)> = plan
        .assignments
        .iter()
        .map(|a| {
            (
                a.lead_assignment_code.clone(),
                a.rowid,
                a.agent_id,
                a.lead_id,
            )
        })
        .collect();
    stored.sort();
    planned.sort();
    assert_eq!(stored.len(), planned.len());
    assert!(stored == planned, "streaming and in-memory plans differ");
    let unassigned: u32 = report.stores.iter().map(|s| s.unassigned).sum();
    assert_eq!(unassigned as usize, plan.unassigned.len());
}
