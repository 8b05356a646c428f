//! Property tests of the pure engine (no database).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use la_assign::engine::{
    self, AgentMapping, CandidateLead, EngineInput, LeadType, UnassignedReason,
};
use proptest::prelude::*;

const DATE: NaiveDate = match NaiveDate::from_ymd_opt(2025, 1, 29) {
    Some(d) => d,
    None => panic!(),
};

fn lead(id: i32, store: usize, new: bool) -> CandidateLead {
    CandidateLead {
        pickup_row_id: id,
        store_code: format!("S{store}"),
        store_name: None,
        mobile_number: format!("9{id:09}"),
        customer_name: None,
        special_instruction: None,
        source: None,
        final_source: None,
        customer_type: new.then(|| "New".to_string()),
        pickup_created_date: None,
        pickup_date: None,
        run_date: None,
    }
}

prop_compose! {
    fn mapping()(store in 0usize..4, agent in 1i64..7, priority in 1i32..4,
                 e in proptest::option::of(0i32..6), n in proptest::option::of(0i32..6),
                 daily in proptest::option::of(0i32..9), today in 0i64..4,
                 earlier in 0i64..20) -> AgentMapping {
        AgentMapping {
            store_code: format!("S{store}"),
            agent_id: agent,
            // agent 6 has no code, agent 5 is inactive
            agent_code: (agent != 6).then(|| format!("{agent:04}")),
            agent_name: format!("Agent {agent}"),
            agent_active: agent != 5,
            priority,
            max_existing_per_lot: e,
            max_new_per_lot: n,
            max_daily_leads: daily,
            assigned_today: today,
            assigned_window: today + earlier,
            // agent 4 is on leave
            leave: (agent == 4).then_some(engine::Leave { until: DATE, reason: None }),
        }
    }
}

prop_compose! {
    fn input()(maps in proptest::collection::vec(mapping(), 0..12),
               leads in proptest::collection::vec((0usize..5, any::<bool>()), 0..80),
               maxes in proptest::collection::vec((1i64..7, 0i32..50), 0..4)) -> EngineInput {
        let mut seen = HashSet::new();
        let mappings: Vec<AgentMapping> = maps.into_iter().filter(|m| seen.insert((m.store_code.clone(), m.agent_id))).collect();
        EngineInput {
            batch_date: DATE,
            leads: leads.into_iter().enumerate().map(|(i, (s, n))| lead(i as i32 + 1, s, n)).collect(),
            mappings,
            max_rowid_today: maxes.into_iter().map(|(a, m)| (engine::page_group_code(DATE, &format!("{a:04}")), m)).collect(),
        }
    }
}

fn usable(m: &AgentMapping) -> bool {
    m.agent_active && m.agent_code.is_some() && m.leave.is_none()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn plan_invariants(input in input()) {
        let plan = engine::plan(&input);
        let mapping = |store: &str, agent: i64| input.mappings.iter().find(|m| m.store_code == store && m.agent_id == agent);
        let lead_by_id: HashMap<i32, &CandidateLead> = input.leads.iter().map(|l| (l.pickup_row_id, l)).collect();

        // No lead twice; every lead either assigned or unassigned.
        let assigned: HashSet<i32> = plan.assignments.iter().map(|a| a.lead_id).collect();
        prop_assert_eq!(assigned.len(), plan.assignments.len());
        let left: HashSet<i32> = plan.unassigned.iter().map(|u| u.pickup_row_id).collect();
        prop_assert!(assigned.is_disjoint(&left));
        prop_assert_eq!(assigned.len() + left.len(), input.leads.len());

        // Only the lead's own store's usable agents.
        let mut counts: BTreeMap<(String, i64), (i64, i64)> = BTreeMap::new();
        for a in &plan.assignments {
            let l = lead_by_id[&a.lead_id];
            prop_assert_eq!(&a.store_code, &l.store_code);
            let m = mapping(&a.store_code, a.agent_id);
            prop_assert!(m.is_some_and(usable), "agent {} not a usable agent of {}", a.agent_id, a.store_code);
            let e = counts.entry((a.store_code.clone(), a.agent_id)).or_default();
            match a.lead_type { LeadType::Existing => e.0 += 1, LeadType::New => e.1 += 1 }
        }
        // No cap exceeded.
        for ((store, agent), (e, n)) in &counts {
            let m = mapping(store, *agent).unwrap();
            if let Some(c) = m.max_existing_per_lot { prop_assert!(*e <= i64::from(c)); }
            if let Some(c) = m.max_new_per_lot { prop_assert!(*n <= i64::from(c)); }
            if let Some(c) = m.max_daily_leads { prop_assert!(m.assigned_today + e + n <= i64::from(c).max(m.assigned_today)); }
        }
        // Rowids unique and contiguous per page group, after the given maximum.
        let mut per_group: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for a in &plan.assignments {
            per_group.entry(a.page_group_code.as_str()).or_default().push(a.rowid);
            prop_assert_eq!(&a.lead_assignment_code, &format!("{}-{:04}", a.page_group_code, a.rowid));
        }
        for (g, mut ids) in per_group {
            ids.sort();
            let start = input.max_rowid_today.get(g).copied().unwrap_or(0) + 1;
            let expected: Vec<i32> = (start..start + ids.len() as i32).collect();
            prop_assert_eq!(ids, expected);
        }
        // Unassigned only when every usable agent of the store is capped for the type.
        for u in &plan.unassigned {
            let usable_agents: Vec<&AgentMapping> = input.mappings.iter().filter(|m| m.store_code == u.store_code && usable(m)).collect();
            match u.reason {
                UnassignedReason::NoUsableAgent => prop_assert!(usable_agents.is_empty()),
                UnassignedReason::AllAgentsCapped => {
                    prop_assert!(!usable_agents.is_empty());
                    for m in usable_agents {
                        let (e, n) = counts.get(&(m.store_code.clone(), m.agent_id)).copied().unwrap_or_default();
                        let type_full = match u.lead_type {
                            LeadType::Existing => m.max_existing_per_lot.is_some_and(|c| e >= i64::from(c)),
                            LeadType::New => m.max_new_per_lot.is_some_and(|c| n >= i64::from(c)),
                        };
                        let daily_full = m.max_daily_leads.is_some_and(|c| m.assigned_today + e + n >= i64::from(c));
                        prop_assert!(type_full || daily_full, "agent {} of {} had room", m.agent_id, m.store_code);
                    }
                }
            }
        }
        // Same input, same plan.
        prop_assert_eq!(engine::plan(&input), plan);
    }

    #[test]
    fn uncapped_tier_is_balanced(n_agents in 1i64..6, n_leads in 0i32..200) {
        let mappings = (1..=n_agents).map(|a| AgentMapping {
            store_code: "S0".into(), agent_id: a, agent_code: Some(format!("{a:04}")), agent_name: String::new(),
            agent_active: true, priority: 100, max_existing_per_lot: None, max_new_per_lot: None,
            max_daily_leads: None, assigned_today: 0, assigned_window: 0, leave: None,
        }).collect();
        let input = EngineInput { batch_date: DATE, leads: (0..n_leads).map(|i| lead(i, 0, i % 3 == 0)).collect(), mappings, max_rowid_today: HashMap::new() };
        let plan = engine::plan(&input);
        let totals: Vec<u32> = plan.pairs.iter().map(|p| p.existing_assigned + p.new_assigned).collect();
        prop_assert!(totals.iter().max().unwrap() - totals.iter().min().unwrap() <= 1);
    }
}

/// One tier of `window.len()` uncapped agents of store S0.
fn tier(today: &[i64], window: &[i64]) -> Vec<AgentMapping> {
    (0..today.len())
        .map(|i| AgentMapping {
            store_code: "S0".into(),
            agent_id: i as i64 + 1,
            agent_code: Some(format!("{:04}", i + 1)),
            agent_name: String::new(),
            agent_active: true,
            priority: 100,
            max_existing_per_lot: None,
            max_new_per_lot: None,
            max_daily_leads: None,
            assigned_today: today[i],
            assigned_window: window[i],
            leave: None,
        })
        .collect()
}

/// Runs the engine once with `n` leads; returns what each agent got.
fn deal(today: &[i64], window: &[i64], n: i32, first_id: i32) -> Vec<i64> {
    let input = EngineInput {
        batch_date: DATE,
        leads: (0..n).map(|i| lead(first_id + i, 0, i % 2 == 0)).collect(),
        mappings: tier(today, window),
        max_rowid_today: HashMap::new(),
    };
    let plan = engine::plan(&input);
    let mut got = vec![0; today.len()];
    for a in &plan.assignments {
        got[(a.agent_id - 1) as usize] += 1;
    }
    got
}

fn spread(v: &[i64]) -> i64 {
    v.iter().max().unwrap_or(&0) - v.iter().min().unwrap_or(&0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// docs/decisions.md D1: whatever the sequence of runs in a day, and
    /// whatever the agents had before, the day's counts differ by at most one.
    #[test]
    fn runs_of_one_day_keep_the_day_balanced(
        earlier in proptest::collection::vec(0i64..30, 1..6),
        runs in proptest::collection::vec(0i32..7, 1..15),
    ) {
        let k = earlier.len();
        let mut today = vec![0i64; k];
        let mut window = earlier.clone();
        let mut next_id = 1;
        for n in runs {
            let got = deal(&today, &window, n, next_id);
            next_id += n;
            for i in 0..k {
                today[i] += got[i];
                window[i] += got[i];
            }
            prop_assert!(spread(&today) <= 1, "{today:?}");
        }
    }

    /// One lead a day: over the 28-day window the counts differ by at most one.
    #[test]
    fn one_lead_a_day_keeps_the_window_balanced(k in 1usize..6, days in 1usize..90) {
        let mut history: Vec<usize> = Vec::new(); // agent index per day
        for day in 0..days {
            let from = (day + 1).saturating_sub(engine::FAIR_WINDOW_DAYS as usize);
            let mut window = vec![0i64; k];
            for &a in &history[from..] {
                window[a] += 1;
            }
            let got = deal(&vec![0; k], &window, 1, day as i32 + 1);
            let a = got.iter().position(|&g| g == 1).unwrap();
            history.push(a);
            window[a] += 1;
            prop_assert!(spread(&window) <= 1, "day {day}: {window:?}");
        }
    }
}

#[test]
fn thirty_one_lead_runs_over_three_agents_give_ten_each() {
    let (mut today, mut window) = (vec![0i64; 3], vec![0i64; 3]);
    for run in 0..30 {
        let got = deal(&today, &window, 1, run + 1);
        for i in 0..3 {
            today[i] += got[i];
            window[i] += got[i];
        }
    }
    assert_eq!(today, vec![10, 10, 10]);
}

#[test]
fn yesterday_decides_the_first_lead_of_the_day() {
    assert_eq!(deal(&[0, 0, 0], &[5, 5, 4], 1, 1), vec![0, 0, 1]);
}

#[test]
fn a_returning_or_new_agent_catches_up_within_the_day_only() {
    // Agents 1 and 2 had 5 each today; agent 3 joins (or returns) mid-day
    // with a long history of nothing: it gets the day's catch-up, then the
    // tier's pace.
    assert_eq!(deal(&[5, 5, 0], &[40, 40, 0], 5, 1), vec![0, 0, 5]);
    assert_eq!(deal(&[5, 5, 0], &[40, 40, 0], 8, 1), vec![1, 1, 6]);
    // The next day its small window only breaks ties: one lead ahead at most.
    assert_eq!(deal(&[0, 0, 0], &[45, 45, 6], 6, 1), vec![2, 2, 2]);
}

#[test]
fn an_agent_on_leave_gets_nothing_and_says_until_when() {
    let mut maps = tier(&[0, 0], &[0, 0]);
    maps[1].leave = Some(engine::Leave {
        until: NaiveDate::from_ymd_opt(2025, 2, 2).unwrap(),
        reason: Some("wedding".into()),
    });
    let plan = engine::plan(&EngineInput {
        batch_date: DATE,
        leads: (1..=4).map(|i| lead(i, 0, false)).collect(),
        mappings: maps,
        max_rowid_today: HashMap::new(),
    });
    assert!(plan.assignments.iter().all(|a| a.agent_id == 1));
    assert_eq!(
        plan.skipped_agents[0].reason.to_string(),
        "on leave until 2025-02-02 (wedding)"
    );
}

#[test]
fn customer_type_mapping() {
    let t = |s: Option<&str>| LeadType::from_customer_type(s).as_str();
    assert_eq!(t(None), "E");
    assert_eq!(t(Some("New")), "N");
    assert_eq!(t(Some(" new customer")), "N");
    assert_eq!(t(Some("NEW")), "N");
    assert_eq!(t(Some("Existing")), "E");
    assert_eq!(t(Some("Repeat")), "E");
    assert_eq!(t(Some("")), "E");
    assert_eq!(t(Some("renew")), "E");
}
