//! `run_leads_assignment` against a real PostgreSQL (docs/decisions.md S6 items 2–3 and the
//! decisions of docs/decisions.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use la_assign::engine::{Cap, SkipReason, UnassignedReason};
use la_assign::{run_leads_assignment, AssignOptions, AssignmentReport};
use la_schema::models::LeadAssignment;
use la_schema::schema::{
    lead_assignment_batches as lab, lead_assignments as la, missed_leads as ml,
};
use la_schema::seed::{self, MappingSeed, SeedLead};
use la_schema::testing::migrated_db;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn opts() -> AssignOptions {
    AssignOptions {
        triggered_by: "test".into(),
        ..Default::default()
    }
}

fn run(conn: &mut PgConnection) -> AssignmentReport {
    run_leads_assignment(conn, &opts()).unwrap()
}

fn assignments(conn: &mut PgConnection) -> Vec<LeadAssignment> {
    la::table
        .select(LeadAssignment::as_select())
        .order(la::id)
        .load(conn)
        .unwrap()
}

fn flagged(conn: &mut PgConnection) -> HashSet<i32> {
    ml::table
        .filter(ml::lead_assigned.eq(true))
        .select(ml::pickup_row_id)
        .load::<i32>(conn)
        .unwrap()
        .into_iter()
        .collect()
}

fn today(conn: &mut PgConnection) -> NaiveDate {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Date>("current_date"))
        .get_result(conn)
        .unwrap()
}

/// Invariant: flags and assignments describe the same leads.
fn assert_consistent(conn: &mut PgConnection) {
    let a: HashSet<i32> = assignments(conn).iter().map(|a| a.lead_id).collect();
    assert_eq!(
        a,
        flagged(conn),
        "lead_assigned flags and lead_assignments disagree"
    );
}

/// Store S1 taking part, with agent 0001 "Asha" mapped with `caps`; returns the agent id.
fn one_agent_store(conn: &mut PgConnection, store_name: Option<&str>, caps: MappingSeed) -> i64 {
    seed::store(conn, "S1", store_name, true).unwrap();
    let a = seed::agent(conn, Some("0001"), "Asha", true).unwrap();
    seed::mapping(conn, "S1", a, caps).unwrap();
    a
}

fn leads(conn: &mut PgConnection, store: &str, range: std::ops::Range<i32>, ty: Option<&str>) {
    let rows: Vec<SeedLead> = range
        .map(|i| {
            SeedLead::new(
                i,
                store,
                ty,
                Some(d("2025-01-01") + chrono::Days::new(i as u64 % 300)),
            )
        })
        .collect();
    seed::leads(conn, &rows).unwrap();
}

#[test]
fn assigns_flags_and_a_second_run_creates_no_duplicates() {
    let db = migrated_db();
    let mut c = db.conn();
    let a = one_agent_store(&mut c, Some("Kothrud"), MappingSeed::default());
    leads(&mut c, "S1", 1..11, Some("New"));

    let r = run(&mut c);
    assert_eq!((r.eligible_leads, r.assigned), (10, 10));
    let batch = r.batch_id.unwrap();
    assert_eq!(lab::table.count().get_result::<i64>(&mut c).unwrap(), 1);
    let rows = assignments(&mut c);
    assert_eq!(rows.len(), 10);
    assert!(rows
        .iter()
        .all(|x| x.assignment_batch_id == batch && x.agent_id == a));
    assert_eq!(flagged(&mut c).len(), 10);

    let r2 = run(&mut c);
    assert_eq!((r2.eligible_leads, r2.assigned), (0, 0));
    assert_eq!(assignments(&mut c).len(), 10);
    assert_eq!(
        lab::table.count().get_result::<i64>(&mut c).unwrap(),
        2,
        "the second run still records its batch"
    );
    assert_consistent(&mut c);
}

#[test]
fn caps_one_existing_one_new_two_daily() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", None, true).unwrap();
    let a = seed::agent(&mut c, Some("0001"), "Asha", true).unwrap();
    let caps = MappingSeed {
        max_existing_per_lot: Some(1),
        max_new_per_lot: Some(1),
        max_daily_leads: Some(2),
        ..Default::default()
    };
    seed::mapping(&mut c, "S1", a, caps).unwrap();
    leads(&mut c, "S1", 1..4, Some("Existing"));
    leads(&mut c, "S1", 4..7, Some("New"));

    let r = run(&mut c);
    assert_eq!(r.assigned, 2);
    let p = &r.pairs[0];
    assert_eq!((p.existing_assigned, p.new_assigned), (1, 1));
    assert_eq!(
        p.caps_reached,
        vec![
            Cap::MaxExistingPerLot,
            Cap::MaxNewPerLot,
            Cap::MaxDailyLeads
        ]
    );
    assert_eq!(r.stores[0].unassigned, 4);
    assert!(r.stores[0]
        .unassigned_reasons
        .iter()
        .all(|(reason, _, _)| *reason == UnassignedReason::AllAgentsCapped));

    // Same day: the daily cap (2) is used up by the first batch.
    let r2 = run(&mut c);
    assert_eq!(r2.assigned, 0);
    assert_eq!(r2.pairs[0].assigned_before_today, 2);
    assert_eq!(r2.pairs[0].caps_reached, vec![Cap::MaxDailyLeads]);

    // Yesterday's assignments do not count against today's daily cap.
    c.batch_execute("UPDATE lead_assignment_batches SET batch_date = current_date - 1")
        .unwrap();
    let r3 = run(&mut c);
    assert_eq!(r3.assigned, 2);
    assert_eq!(
        (r3.pairs[0].existing_assigned, r3.pairs[0].new_assigned),
        (1, 1)
    );
    assert_consistent(&mut c);
}

#[test]
fn zero_cap_means_none_and_null_means_unlimited() {
    let db = migrated_db();
    let mut c = db.conn();
    one_agent_store(
        &mut c,
        None,
        MappingSeed {
            max_new_per_lot: Some(0),
            ..Default::default()
        },
    );
    leads(&mut c, "S1", 1..51, Some("Existing"));
    leads(&mut c, "S1", 51..61, Some("new"));
    let r = run(&mut c);
    assert_eq!(
        (r.pairs[0].existing_assigned, r.pairs[0].new_assigned),
        (50, 0)
    );
}

#[test]
fn three_agents_without_caps_share_evenly() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", None, true).unwrap();
    for code in ["0001", "0002", "0003"] {
        let a = seed::agent(&mut c, Some(code), code, true).unwrap();
        seed::mapping(&mut c, "S1", a, MappingSeed::default()).unwrap();
    }
    leads(&mut c, "S1", 1..101, None);
    let r = run(&mut c);
    assert_eq!(r.assigned, 100);
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for x in assignments(&mut c) {
        *counts.entry(x.agent_id).or_default() += 1;
    }
    let (min, max) = (
        counts.values().min().unwrap(),
        counts.values().max().unwrap(),
    );
    assert_eq!(counts.len(), 3);
    assert!(max - min <= 1, "{counts:?}");
}

#[test]
fn lower_priority_tier_only_after_the_higher_is_capped_for_the_type() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", None, true).unwrap();
    let first = seed::agent(&mut c, Some("0001"), "First", true).unwrap();
    let second = seed::agent(&mut c, Some("0002"), "Second", true).unwrap();
    seed::mapping(
        &mut c,
        "S1",
        first,
        MappingSeed {
            priority: 1,
            max_existing_per_lot: Some(3),
            ..Default::default()
        },
    )
    .unwrap();
    seed::mapping(
        &mut c,
        "S1",
        second,
        MappingSeed {
            priority: 2,
            ..Default::default()
        },
    )
    .unwrap();
    // Newest first: ids descending dates.
    leads(&mut c, "S1", 1..9, Some("Existing"));
    leads(&mut c, "S1", 9..15, Some("New"));
    run(&mut c);
    let rows = assignments(&mut c);
    let by = |agent: i64, t: &str| {
        rows.iter()
            .filter(|x| x.agent_id == agent && x.lead_type.as_ref().map(|c| c.text()) == Some(t))
            .count()
    };
    assert_eq!(by(first, "E"), 3);
    assert_eq!(
        by(first, "N"),
        6,
        "new leads never overflow: the first tier has room for them"
    );
    assert_eq!(by(second, "E"), 5);
    assert_eq!(by(second, "N"), 0);
}

#[test]
fn one_agent_two_stores_rowids_continue_and_codes_are_unique() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "S1", None, true).unwrap();
    seed::store(&mut c, "S2", None, true).unwrap();
    let a = seed::agent(&mut c, Some("0007"), "Ravi", true).unwrap();
    seed::mapping(&mut c, "S1", a, MappingSeed::default()).unwrap();
    seed::mapping(&mut c, "S2", a, MappingSeed::default()).unwrap();
    leads(&mut c, "S1", 1..6, None);
    leads(&mut c, "S2", 6..10, None);
    let r = run(&mut c);
    let today = today(&mut c);
    let pgc = format!("L{}0007", today.format("%y%m%d"));
    assert_eq!(r.pairs.len(), 2);
    assert_eq!(r.pairs[0].rowid_range, Some((1, 5)));
    assert_eq!(r.pairs[1].rowid_range, Some((6, 9)));
    let rows = assignments(&mut c);
    let codes: HashSet<&str> = rows
        .iter()
        .map(|x| x.lead_assignment_code.as_str())
        .collect();
    assert_eq!(codes.len(), 9);
    assert!(rows.iter().all(|x| x.page_group_code == pgc));
    assert!(codes.contains(format!("{pgc}-0009").as_str()));
}

#[test]
fn new_leads_between_two_runs_the_same_day() {
    let db = migrated_db();
    let mut c = db.conn();
    one_agent_store(&mut c, None, MappingSeed::default());
    leads(&mut c, "S1", 1..6, None);
    run(&mut c);
    leads(&mut c, "S1", 6..9, None);
    let r = run(&mut c);
    assert_eq!(r.assigned, 3);
    assert_eq!(r.pairs[0].rowid_range, Some((6, 8)));
    let second: HashSet<i32> = assignments(&mut c)
        .into_iter()
        .filter(|x| Some(x.assignment_batch_id) == r.batch_id)
        .map(|x| x.lead_id)
        .collect();
    assert_eq!(second, HashSet::from([6, 7, 8]));
    assert_consistent(&mut c);
}

#[test]
fn exclusions_and_unusable_agents() {
    let db = migrated_db();
    let mut c = db.conn();
    seed::store(&mut c, "OFF", None, false).unwrap(); // assign_leads = false
    seed::store(&mut c, "DIS", None, true).unwrap(); // mapping disabled
    seed::store(&mut c, "INA", None, true).unwrap(); // agent inactive
    seed::store(&mut c, "NOC", None, true).unwrap(); // agent without code
    seed::store(&mut c, "OK", None, true).unwrap();
    let good = seed::agent(&mut c, Some("0001"), "Good", true).unwrap();
    let inactive = seed::agent(&mut c, Some("0002"), "Inactive", false).unwrap();
    let nocode = seed::agent(&mut c, None, "NoCode", true).unwrap();
    seed::mapping(&mut c, "OFF", good, MappingSeed::default()).unwrap();
    seed::mapping(
        &mut c,
        "DIS",
        good,
        MappingSeed {
            is_enabled: false,
            ..Default::default()
        },
    )
    .unwrap();
    seed::mapping(&mut c, "INA", inactive, MappingSeed::default()).unwrap();
    seed::mapping(&mut c, "NOC", nocode, MappingSeed::default()).unwrap();
    seed::mapping(&mut c, "OK", good, MappingSeed::default()).unwrap();
    let mut rows = Vec::new();
    for (i, store) in ["OFF", "DIS", "INA", "NOC"].iter().enumerate() {
        rows.push(SeedLead::new(i as i32 + 1, store, None, None));
    }
    let mut placed = SeedLead::new(10, "OK", None, None);
    placed.is_order_placed = Some(true);
    let mut not_placed = SeedLead::new(11, "OK", None, None);
    not_placed.is_order_placed = Some(false);
    let null_placed = SeedLead::new(12, "OK", None, None);
    let mut already = SeedLead::new(13, "OK", None, None);
    already.lead_assigned = true;
    rows.extend([placed, not_placed, null_placed, already]);
    seed::leads(&mut c, &rows).unwrap();

    let r = run(&mut c);
    let got: HashSet<i32> = assignments(&mut c).iter().map(|x| x.lead_id).collect();
    assert_eq!(got, HashSet::from([11, 12]));
    let skipped: BTreeMap<&str, &SkipReason> = r
        .skipped_agents
        .iter()
        .map(|s| (s.store_code.as_str(), &s.reason))
        .collect();
    assert_eq!(skipped.get("INA"), Some(&&SkipReason::AgentInactive));
    assert_eq!(skipped.get("NOC"), Some(&&SkipReason::NoAgentCode));
    let store = |code: &str| r.stores.iter().find(|s| s.store_code == code);
    assert!(store("OFF").is_none() && store("DIS").is_none());
    assert_eq!(
        store("INA").unwrap().unassigned_reasons[0].0,
        UnassignedReason::NoUsableAgent
    );
    assert_eq!(store("NOC").unwrap().unassigned, 1);
    // lead 13 was flagged already; nothing else changed.
    assert_eq!(flagged(&mut c), HashSet::from([11, 12, 13]));
}

#[test]
fn snapshot_fields_lead_type_and_lead_date_rules() {
    let db = migrated_db();
    let mut c = db.conn();
    one_agent_store(&mut c, Some("Baner"), MappingSeed::default());
    let types = [
        None,
        Some("New"),
        Some(" new customer"),
        Some("NEW"),
        Some("Existing"),
        Some("Repeat"),
    ];
    let mut rows = Vec::new();
    for (i, t) in types.iter().enumerate() {
        let mut l = SeedLead::new(i as i32 + 1, "S1", *t, Some(d("2025-02-01")));
        l.pickup_date = Some(d("2025-03-01"));
        rows.push(l);
    }
    // lead_date fallbacks: created -> run_date -> pickup_date.
    let mut only_run = SeedLead::new(20, "S1", None, None);
    only_run.run_date = Some(d("2025-04-01"));
    only_run.pickup_date = Some(d("2025-05-01"));
    let mut only_pickup = SeedLead::new(21, "S1", None, None);
    only_pickup.pickup_date = Some(d("2025-05-02"));
    let none = SeedLead::new(22, "S1", None, None);
    let mut sourced = SeedLead::new(23, "S1", None, None);
    sourced.final_source = Some("google".into());
    let mut empty_final = SeedLead::new(24, "S1", None, None);
    empty_final.final_source = Some(String::new());
    empty_final.customer_name = Some("José Müller".into());
    empty_final.special_instruction = None;
    rows.extend([only_run, only_pickup, none, sourced, empty_final]);
    seed::leads(&mut c, &rows).unwrap();
    run(&mut c);
    let got: HashMap<i32, LeadAssignment> = assignments(&mut c)
        .into_iter()
        .map(|x| (x.lead_id, x))
        .collect();
    let ty = |id: i32| got[&id].lead_type.as_ref().unwrap().text().to_string();
    assert_eq!(
        [ty(1), ty(2), ty(3), ty(4), ty(5), ty(6)],
        ["E", "N", "N", "N", "E", "E"].map(String::from)
    );
    assert_eq!(got[&1].lead_date, Some(d("2025-02-01")));
    assert_eq!(got[&20].lead_date, Some(d("2025-04-01")));
    assert_eq!(got[&21].lead_date, Some(d("2025-05-02")));
    assert_eq!(got[&22].lead_date, None);
    assert_eq!(got[&23].lead_source.as_deref(), Some("google"));
    assert_eq!(got[&24].lead_source.as_deref(), Some("app"));
    // Snapshot equals the source row.
    for l in &rows {
        let a = &got[&l.pickup_row_id];
        assert_eq!(a.store_code, l.store_code);
        assert_eq!(a.store_name, l.store_name);
        assert_eq!(a.mobile_number, l.mobile_number);
        assert_eq!(a.cx_name, l.customer_name);
        assert_eq!(a.address, l.special_instruction);
    }
}

#[test]
fn order_is_newest_first_with_nulls_last() {
    let db = migrated_db();
    let mut c = db.conn();
    one_agent_store(&mut c, None, MappingSeed::default());
    seed::leads(
        &mut c,
        &[
            SeedLead::new(1, "S1", None, None),
            SeedLead::new(2, "S1", None, Some(d("2025-01-01"))),
            SeedLead::new(3, "S1", None, Some(d("2025-02-01"))),
            SeedLead::new(4, "S1", None, Some(d("2025-02-01"))),
        ],
    )
    .unwrap();
    run(&mut c);
    let mut rows = assignments(&mut c);
    rows.sort_by_key(|x| x.rowid);
    assert_eq!(
        rows.iter().map(|x| x.lead_id).collect::<Vec<_>>(),
        vec![4, 3, 2, 1]
    );
}

#[test]
fn four_concurrent_runs_assign_every_lead_exactly_once() {
    let db = migrated_db();
    let mut c = db.conn();
    for s in 0..5 {
        let code = format!("S{s}");
        seed::store(&mut c, &code, None, true).unwrap();
        let a = seed::agent(&mut c, Some(&format!("{s:04}")), "A", true).unwrap();
        seed::mapping(&mut c, &code, a, MappingSeed::default()).unwrap();
        leads(&mut c, &code, s * 400 + 1..s * 400 + 401, None);
    }
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let mut conn = la_schema::connect(&url).unwrap();
                run_leads_assignment(&mut conn, &opts()).map(|r| r.assigned)
            })
        })
        .collect();
    let total: u32 = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .sum();
    assert_eq!(total, 2000);
    assert_eq!(assignments(&mut c).len(), 2000);
    assert_consistent(&mut c);
}

#[test]
fn failure_after_the_insert_leaves_nothing() {
    let db = migrated_db();
    let mut c = db.conn();
    one_agent_store(&mut c, None, MappingSeed::default());
    leads(&mut c, "S1", 1..21, None);
    c.batch_execute(
        "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
         CREATE TRIGGER boom BEFORE UPDATE OF lead_assigned ON missed_leads FOR EACH ROW EXECUTE FUNCTION boom();",
    )
    .unwrap();
    let err = run_leads_assignment(&mut c, &opts()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("marking the assigned leads") && msg.contains("injected failure"),
        "{msg}"
    );
    assert_eq!(lab::table.count().get_result::<i64>(&mut c).unwrap(), 0);
    assert!(assignments(&mut c).is_empty());
    assert!(flagged(&mut c).is_empty());
    // Once fixed, the next run assigns them.
    c.batch_execute("DROP TRIGGER boom ON missed_leads")
        .unwrap();
    assert_eq!(run(&mut c).assigned, 20);
}

#[test]
fn dry_run_reports_the_same_and_keeps_nothing() {
    let db = migrated_db();
    let mut c = db.conn();
    one_agent_store(
        &mut c,
        None,
        MappingSeed {
            max_new_per_lot: Some(2),
            ..Default::default()
        },
    );
    leads(&mut c, "S1", 1..11, Some("new"));
    let dry = run_leads_assignment(
        &mut c,
        &AssignOptions {
            dry_run: true,
            ..opts()
        },
    )
    .unwrap();
    assert!(dry.dry_run && dry.batch_id.is_none());
    assert_eq!(lab::table.count().get_result::<i64>(&mut c).unwrap(), 0);
    assert!(flagged(&mut c).is_empty());
    let real = run(&mut c);
    assert_eq!(dry.assigned, real.assigned);
    assert_eq!(dry.pairs, real.pairs);
    assert_eq!(dry.stores, real.stores);
}

#[test]
fn timezone_sets_the_business_date() {
    let db = migrated_db();
    let mut c = db.conn();
    one_agent_store(&mut c, None, MappingSeed::default());
    leads(&mut c, "S1", 1..3, None);
    let r = run_leads_assignment(
        &mut c,
        &AssignOptions {
            timezone: Some("Asia/Kolkata".into()),
            ..opts()
        },
    )
    .unwrap();
    let expected: NaiveDate = diesel::select(diesel::dsl::sql::<diesel::sql_types::Date>(
        "(now() AT TIME ZONE 'Asia/Kolkata')::date",
    ))
    .get_result(&mut c)
    .unwrap();
    assert_eq!(r.batch_date, expected);
    let bad = run_leads_assignment(
        &mut c,
        &AssignOptions {
            timezone: Some("Mars/Olympus".into()),
            ..opts()
        },
    )
    .unwrap_err();
    assert!(bad.to_string().contains("time zone"), "{bad}");
}

/// Store S1 with three equal agents (0001..0003, ids returned in order).
fn three_equal_agents(conn: &mut PgConnection) -> Vec<i64> {
    seed::store(conn, "S1", None, true).unwrap();
    (1..=3)
        .map(|i| {
            let a = seed::agent(conn, Some(&format!("{i:04}")), "Agent", true).unwrap();
            seed::mapping(conn, "S1", a, MappingSeed::default()).unwrap();
            a
        })
        .collect()
}

fn per_agent(conn: &mut PgConnection, agents: &[i64]) -> Vec<usize> {
    let all = assignments(conn);
    agents
        .iter()
        .map(|a| all.iter().filter(|x| x.agent_id == *a).count())
        .collect()
}

#[test]
fn thirty_one_lead_runs_in_a_day_deal_ten_to_each_of_three_agents() {
    let db = migrated_db();
    let mut c = db.conn();
    let agents = three_equal_agents(&mut c);
    for i in 1..=30 {
        leads(&mut c, "S1", i..i + 1, None);
        assert_eq!(run(&mut c).assigned, 1);
    }
    assert_eq!(per_agent(&mut c, &agents), vec![10, 10, 10]);
    assert_consistent(&mut c);
}

#[test]
fn yesterdays_counts_decide_who_gets_todays_first_lead() {
    let db = migrated_db();
    let mut c = db.conn();
    let agents = three_equal_agents(&mut c);
    // Yesterday: 5 / 5 / 4.
    leads(&mut c, "S1", 1..15, None);
    c.batch_execute(&format!(
        "INSERT INTO lead_assignment_batches (id, batch_date) VALUES (900, current_date - 1);
         INSERT INTO lead_assignments (assignment_batch_id, lead_id, agent_id, page_group_code, rowid,
             lead_assignment_code, store_code, mobile_number, lead_type)
           SELECT 900, g, CASE WHEN g <= 5 THEN {a} WHEN g <= 10 THEN {b} ELSE {c3} END, 'Lx', g,
                  'Lx-' || g, 'S1', '9', 'E' FROM generate_series(1, 14) g;
         UPDATE missed_leads SET lead_assigned = true WHERE pickup_row_id <= 14;",
        a = agents[0],
        b = agents[1],
        c3 = agents[2]
    ))
    .unwrap();
    leads(&mut c, "S1", 100..101, None);
    let r = run(&mut c);
    assert_eq!(r.assigned, 1);
    let last = assignments(&mut c).pop().unwrap();
    assert_eq!(last.agent_id, agents[2], "the agent with 4 yesterday");
}
