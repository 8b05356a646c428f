//! The pure assignment engine: plain structs in, a [`Plan`] out. No database,
//! no clock, no randomness — the same input always gives the same plan. Every
//! cap and distribution rule of the pipeline lives here and only here
//! (docs/decisions.md S4.1, S5 rules 1–4, D1–D7).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

pub use la_schema::codes::LeadType;

/// An eligible `missed_leads` row (eligibility filters already applied in SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateLead {
    pub pickup_row_id: i32,
    pub store_code: String,
    pub store_name: Option<String>,
    pub mobile_number: String,
    pub customer_name: Option<String>,
    pub special_instruction: Option<String>,
    pub source: Option<String>,
    pub final_source: Option<String>,
    pub customer_type: Option<String>,
    pub pickup_created_date: Option<NaiveDate>,
    pub pickup_date: Option<NaiveDate>,
    pub run_date: Option<NaiveDate>,
}

impl CandidateLead {
    /// docs/decisions.md D6 / docs/decisions.md S2.6.
    pub fn lead_type(&self) -> LeadType {
        LeadType::from_customer_type(self.customer_type.as_deref())
    }

    /// docs/decisions.md D6: first non-null of `pickup_created_date`, `run_date`, and
    /// (only when both are NULL) `pickup_date`.
    pub fn lead_date(&self) -> Option<NaiveDate> {
        self.pickup_created_date
            .or(self.run_date)
            .or(self.pickup_date)
    }

    /// docs/decisions.md D6: `final_source`, else `source` (an empty string counts as missing).
    pub fn lead_source(&self) -> Option<String> {
        let present = |s: &Option<String>| s.clone().filter(|v| !v.is_empty());
        present(&self.final_source).or_else(|| present(&self.source))
    }
}

/// One enabled `store_lead_assignment_map` row with its agent, as read for a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentMapping {
    pub store_code: String,
    pub agent_id: i64,
    pub agent_code: Option<String>,
    pub agent_name: String,
    pub agent_active: bool,
    pub priority: i32,
    pub max_existing_per_lot: Option<i32>,
    pub max_new_per_lot: Option<i32>,
    pub max_daily_leads: Option<i32>,
    /// Assignments already made for this (store, agent) in batches of the same `batch_date`.
    pub assigned_today: i64,
    /// Assignments for this (store, agent) in batches of the last
    /// [`FAIR_WINDOW_DAYS`] days up to `batch_date` (today's included).
    pub assigned_window: i64,
    /// Leave covering the business date, if any (docs/decisions.md D19).
    pub leave: Option<Leave>,
}

/// How many days (the business date included) the fair deal looks back.
pub const FAIR_WINDOW_DAYS: i64 = 28;

/// An agent's leave that covers the business date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leave {
    /// The last day of the leave (inclusive).
    pub until: NaiveDate,
    pub reason: Option<String>,
}

/// Everything the engine needs.
#[derive(Debug, Clone)]
pub struct EngineInput {
    /// The run's business date (docs/decisions.md D5).
    pub batch_date: NaiveDate,
    /// Eligible leads, in the order of docs/decisions.md D2.
    pub leads: Vec<CandidateLead>,
    /// Enabled mappings of participating stores, usable or not.
    pub mappings: Vec<AgentMapping>,
    /// Highest rowid already used today, per page_group_code.
    pub max_rowid_today: HashMap<String, i32>,
}

/// A cap (docs/decisions.md D4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    /// `max_existing_per_lot`: existing-customer leads in this run.
    MaxExistingPerLot,
    /// `max_new_per_lot`: new-customer leads in this run.
    MaxNewPerLot,
    /// `max_daily_leads`: all leads of the batch date, earlier batches included.
    MaxDailyLeads,
}

impl std::fmt::Display for Cap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cap::MaxExistingPerLot => "max_existing_per_lot",
            Cap::MaxNewPerLot => "max_new_per_lot",
            Cap::MaxDailyLeads => "max_daily_leads",
        })
    }
}

/// Why an agent of a store's mapping cannot receive leads (docs/decisions.md D7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum SkipReason {
    /// `agents_master.is_active = false`.
    AgentInactive,
    /// `agent_code` is NULL or blank.
    NoAgentCode,
    /// `agent_code` has characters that cannot appear in a sheet's form-field names.
    InvalidAgentCode(String),
    /// On leave on the business date (docs/decisions.md D19).
    OnLeave(Leave),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::AgentInactive => f.write_str("agent is inactive"),
            SkipReason::NoAgentCode => f.write_str("agent has no agent_code"),
            SkipReason::InvalidAgentCode(c) => write!(
                f,
                "agent_code {c:?} has characters other than letters, digits, '-' and '_'"
            ),
            SkipReason::OnLeave(Leave { until, reason }) => {
                write!(f, "on leave until {}", until.format("%Y-%m-%d"))?;
                match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                    Some(r) => write!(f, " ({r})"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A mapped agent the run could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedAgent {
    pub store_code: String,
    pub agent_id: i64,
    pub agent_code: Option<String>,
    pub agent_name: String,
    pub reason: SkipReason,
}

/// Why an eligible lead stayed unassigned (it is eligible again next run).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnassignedReason {
    /// The store has enabled mappings but none to a usable agent.
    NoUsableAgent,
    /// Every usable agent of the store is capped for this lead's type.
    AllAgentsCapped,
}

impl std::fmt::Display for UnassignedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnassignedReason::NoUsableAgent => "no usable agent is mapped to the store",
            UnassignedReason::AllAgentsCapped => {
                "every agent of the store is capped for the lead's type"
            }
        })
    }
}

/// A lead the plan leaves unassigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnassignedLead {
    pub pickup_row_id: i32,
    pub store_code: String,
    pub lead_type: LeadType,
    pub reason: UnassignedReason,
}

/// One planned `lead_assignments` row (without the batch id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedAssignment {
    pub lead_id: i32,
    pub agent_id: i64,
    pub page_group_code: String,
    pub rowid: i32,
    pub lead_assignment_code: String,
    pub store_code: String,
    pub store_name: Option<String>,
    pub lead_date: Option<NaiveDate>,
    pub lead_type: LeadType,
    pub mobile_number: String,
    pub cx_name: Option<String>,
    pub address: Option<String>,
    pub lead_source: Option<String>,
}

/// What a usable (store, agent) pair received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairSummary {
    pub store_code: String,
    pub agent_id: i64,
    pub agent_code: String,
    pub agent_name: String,
    pub priority: i32,
    pub existing_assigned: u32,
    pub new_assigned: u32,
    pub page_group_code: String,
    /// First and last rowid given in this run (None when nothing was assigned).
    pub rowid_range: Option<(i32, i32)>,
    /// Caps that are exhausted after this run.
    pub caps_reached: Vec<Cap>,
    /// Assignments already made today before this run.
    pub assigned_before_today: i64,
    /// Assignments of the fair-deal window (28 days) before this run.
    pub assigned_before_window: i64,
}

/// The engine's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// In store order, then per agent in rowid order.
    pub assignments: Vec<PlannedAssignment>,
    pub unassigned: Vec<UnassignedLead>,
    pub skipped_agents: Vec<SkippedAgent>,
    /// One per usable (store, agent), ordered by store then priority then agent id.
    pub pairs: Vec<PairSummary>,
}

/// `L{yymmdd}{agent_code}` (docs/decisions.md D3).
pub fn page_group_code(batch_date: NaiveDate, agent_code: &str) -> String {
    format!("L{}{agent_code}", batch_date.format("%y%m%d"))
}

/// `{page_group_code}-{rowid:04}` (docs/decisions.md S4.1.3).
pub fn lead_assignment_code(page_group_code: &str, rowid: i32) -> String {
    format!("{page_group_code}-{rowid:04}")
}

/// The agent code as used in codes: char(4) padding removed (as PostgreSQL's
/// cast to text does), or why it cannot be used.
pub fn usable_agent_code(agent_code: Option<&str>) -> Result<String, SkipReason> {
    let code = agent_code.map(str::trim_end).unwrap_or("");
    if code.trim().is_empty() {
        return Err(SkipReason::NoAgentCode);
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(SkipReason::InvalidAgentCode(code.to_string()));
    }
    Ok(code.to_string())
}

/// Remaining room under a cap: None = no limit.
fn room(cap: Option<i32>, used: i64) -> Option<i64> {
    cap.map(|c| (i64::from(c) - used).max(0))
}

#[derive(Debug)]
struct Slot {
    mapping_index: usize,
    agent_code: String,
    existing: u32,
    new: u32,
    /// This store's leads dealt to the slot (indexes into the store's leads),
    /// until they are coded.
    leads: Vec<usize>,
    /// First and last rowid given in this run.
    rowids: Option<(i32, i32)>,
}

impl Slot {
    fn room_for(&self, m: &AgentMapping, t: LeadType) -> bool {
        let type_room = match t {
            LeadType::Existing => room(m.max_existing_per_lot, i64::from(self.existing)),
            LeadType::New => room(m.max_new_per_lot, i64::from(self.new)),
        };
        let daily_room = room(
            m.max_daily_leads,
            m.assigned_today + i64::from(self.existing) + i64::from(self.new),
        );
        type_room.is_none_or(|r| r > 0) && daily_room.is_none_or(|r| r > 0)
    }

    fn caps_reached(&self, m: &AgentMapping) -> Vec<Cap> {
        let mut caps = Vec::new();
        if room(m.max_existing_per_lot, i64::from(self.existing)) == Some(0) {
            caps.push(Cap::MaxExistingPerLot);
        }
        if room(m.max_new_per_lot, i64::from(self.new)) == Some(0) {
            caps.push(Cap::MaxNewPerLot);
        }
        if room(
            m.max_daily_leads,
            m.assigned_today + i64::from(self.existing + self.new),
        ) == Some(0)
        {
            caps.push(Cap::MaxDailyLeads);
        }
        caps
    }
}

/// Usable agents of one priority of a store, in agent-id order (as slot indexes).
#[derive(Debug)]
struct Tier {
    priority: i32,
    members: Vec<usize>,
}

/// A store's usable agents, in priority tiers (lower first).
#[derive(Debug, Default)]
struct StoreAgents {
    tiers: Vec<Tier>,
}

/// Computes the plan (docs/decisions.md D1–D4, D6–D7) of all leads at once:
/// the [`Dealer`] fed store by store, in store-code byte order.
pub fn plan(input: &EngineInput) -> Plan {
    let mut by_store: BTreeMap<&str, Vec<&CandidateLead>> = BTreeMap::new();
    for lead in &input.leads {
        by_store
            .entry(lead.store_code.as_str())
            .or_default()
            .push(lead);
    }
    let mut dealer = Dealer::new(input.batch_date, &input.mappings, &input.max_rowid_today);
    let mut assignments = Vec::with_capacity(input.leads.len());
    let mut unassigned = Vec::new();
    for (store_code, leads) in by_store {
        let store = dealer.store(store_code, &leads);
        assignments.extend(store.assignments);
        unassigned.extend(store.unassigned);
    }
    // Unassigned leads in the input's order (D2), whatever their store.
    let position: HashMap<i32, usize> = input
        .leads
        .iter()
        .enumerate()
        .map(|(i, l)| (l.pickup_row_id, i))
        .collect();
    unassigned.sort_by_key(|u| position.get(&u.pickup_row_id).copied());
    let (pairs, skipped_agents) = dealer.finish();
    Plan {
        assignments,
        unassigned,
        skipped_agents,
        pairs,
    }
}

/// One store's share of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePlan {
    /// Per agent (priority, id), in rowid order.
    pub assignments: Vec<PlannedAssignment>,
    /// In the order the leads came.
    pub unassigned: Vec<UnassignedLead>,
}

/// The engine run store by store, so a caller can stream the leads: only the
/// per-agent state (this run's counts, each page group's next rowid) is kept
/// between stores. Feeding every store's leads in store-code byte order gives
/// exactly [`plan`]'s assignments.
#[derive(Debug)]
pub struct Dealer<'a> {
    batch_date: NaiveDate,
    mappings: &'a [AgentMapping],
    max_rowid_today: &'a HashMap<String, i32>,
    slots: Vec<Slot>,
    stores: BTreeMap<&'a str, StoreAgents>,
    skipped_agents: Vec<SkippedAgent>,
    next_rowid: HashMap<String, i32>,
}

impl<'a> Dealer<'a> {
    /// Who can take leads (D7, D19), before any lead is dealt.
    pub fn new(
        batch_date: NaiveDate,
        mappings: &'a [AgentMapping],
        max_rowid_today: &'a HashMap<String, i32>,
    ) -> Dealer<'a> {
        let (slots, stores, skipped_agents) = usable_agents(mappings);
        Dealer {
            batch_date,
            mappings,
            max_rowid_today,
            slots,
            stores,
            skipped_agents,
            next_rowid: HashMap::new(),
        }
    }

    /// Deals one store's leads (given in D2 order), then codes them.
    pub fn store<L: std::borrow::Borrow<CandidateLead>>(
        &mut self,
        store_code: &str,
        leads: &[L],
    ) -> StorePlan {
        let unassigned = self.deal(store_code, leads);
        let assignments = self.code(store_code, leads);
        StorePlan {
            assignments,
            unassigned,
        }
    }

    /// Every usable pair's summary (store, priority, agent id order) and the
    /// mappings that could not be used.
    pub fn finish(self) -> (Vec<PairSummary>, Vec<SkippedAgent>) {
        let mut pairs = Vec::new();
        for (store_code, store) in &self.stores {
            for &s in store.tiers.iter().flat_map(|t| &t.members) {
                let slot = &self.slots[s];
                let m = &self.mappings[slot.mapping_index];
                pairs.push(PairSummary {
                    store_code: (*store_code).to_string(),
                    agent_id: m.agent_id,
                    agent_code: slot.agent_code.clone(),
                    agent_name: m.agent_name.clone(),
                    priority: m.priority,
                    existing_assigned: slot.existing,
                    new_assigned: slot.new,
                    page_group_code: page_group_code(self.batch_date, &slot.agent_code),
                    rowid_range: slot.rowids,
                    caps_reached: slot.caps_reached(m),
                    assigned_before_today: m.assigned_today,
                    assigned_before_window: m.assigned_window,
                });
            }
        }
        (pairs, self.skipped_agents)
    }

    /// Deals the leads, one by one in the given order (D2), to the store's
    /// agents; returns the leads nobody had room for.
    fn deal<L: std::borrow::Borrow<CandidateLead>>(
        &mut self,
        store_code: &str,
        leads: &[L],
    ) -> Vec<UnassignedLead> {
        let mut unassigned = Vec::new();
        let store = self.stores.get(store_code);
        for (li, lead) in leads.iter().enumerate() {
            let lead = lead.borrow();
            let lead_type = lead.lead_type();
            match store.and_then(|s| pick_agent(s, &self.slots, self.mappings, lead_type)) {
                Some(s) => {
                    let slot = &mut self.slots[s];
                    match lead_type {
                        LeadType::Existing => slot.existing += 1,
                        LeadType::New => slot.new += 1,
                    }
                    slot.leads.push(li);
                }
                None => unassigned.push(UnassignedLead {
                    pickup_row_id: lead.pickup_row_id,
                    store_code: lead.store_code.clone(),
                    lead_type,
                    reason: if store.is_some_and(|s| !s.tiers.is_empty()) {
                        UnassignedReason::AllAgentsCapped
                    } else {
                        UnassignedReason::NoUsableAgent
                    },
                }),
            }
        }
        unassigned
    }

    /// Codes per agent (priority, id), rowids continuing after today's
    /// highest for the page group and after earlier stores of this run (D3).
    fn code<L: std::borrow::Borrow<CandidateLead>>(
        &mut self,
        store_code: &str,
        leads: &[L],
    ) -> Vec<PlannedAssignment> {
        let mut assignments = Vec::new();
        let Some(store) = self.stores.get(store_code) else {
            return assignments;
        };
        for &s in store.tiers.iter().flat_map(|t| &t.members) {
            let slot = &mut self.slots[s];
            if slot.leads.is_empty() {
                continue;
            }
            let m = &self.mappings[slot.mapping_index];
            let pgc = page_group_code(self.batch_date, &slot.agent_code);
            let counter = self
                .next_rowid
                .entry(pgc.clone())
                .or_insert_with(|| self.max_rowid_today.get(&pgc).copied().unwrap_or(0));
            let first = *counter + 1;
            for li in slot.leads.drain(..) {
                *counter += 1;
                assignments.push(planned(leads[li].borrow(), m.agent_id, &pgc, *counter));
            }
            slot.rowids = Some((first, *counter));
        }
        assignments
    }
}

/// One slot per usable mapping, grouped per store into priority tiers
/// (lower first, each in agent-id order), and the mappings that cannot be
/// used with why (D7, D19).
fn usable_agents(
    mappings: &[AgentMapping],
) -> (Vec<Slot>, BTreeMap<&str, StoreAgents>, Vec<SkippedAgent>) {
    let mut slots: Vec<Slot> = Vec::new();
    let mut skipped_agents = Vec::new();
    let mut stores: BTreeMap<&str, StoreAgents> = BTreeMap::new();
    for (i, m) in mappings.iter().enumerate() {
        let store = stores.entry(m.store_code.as_str()).or_default();
        let usable = match (&m.leave, m.agent_active) {
            (_, false) => Err(SkipReason::AgentInactive),
            (Some(leave), true) => Err(SkipReason::OnLeave(leave.clone())),
            (None, true) => usable_agent_code(m.agent_code.as_deref()),
        };
        match usable {
            Ok(agent_code) => {
                slots.push(Slot {
                    mapping_index: i,
                    agent_code,
                    existing: 0,
                    new: 0,
                    leads: Vec::new(),
                    rowids: None,
                });
                store.add(m.priority, slots.len() - 1);
            }
            Err(reason) => skipped_agents.push(SkippedAgent {
                store_code: m.store_code.clone(),
                agent_id: m.agent_id,
                agent_code: m.agent_code.clone(),
                agent_name: m.agent_name.clone(),
                reason,
            }),
        }
    }
    for store in stores.values_mut() {
        store.tiers.sort_by_key(|t| t.priority);
        for tier in &mut store.tiers {
            tier.members
                .sort_by_key(|&s| mappings[slots[s].mapping_index].agent_id);
        }
    }
    skipped_agents.sort_by(|a, b| (&a.store_code, a.agent_id).cmp(&(&b.store_code, b.agent_id)));
    (slots, stores, skipped_agents)
}

impl StoreAgents {
    fn add(&mut self, priority: i32, slot: usize) {
        match self.tiers.iter_mut().find(|t| t.priority == priority) {
            Some(tier) => tier.members.push(slot),
            None => self.tiers.push(Tier {
                priority,
                members: vec![slot],
            }),
        }
    }
}

/// One assignment row: the code and the lead's snapshot (S4.1.4, D6).
fn planned(lead: &CandidateLead, agent_id: i64, pgc: &str, rowid: i32) -> PlannedAssignment {
    PlannedAssignment {
        lead_id: lead.pickup_row_id,
        agent_id,
        page_group_code: pgc.to_string(),
        rowid,
        lead_assignment_code: lead_assignment_code(pgc, rowid),
        store_code: lead.store_code.clone(),
        store_name: lead.store_name.clone(),
        lead_date: lead.lead_date(),
        lead_type: lead.lead_type(),
        mobile_number: lead.mobile_number.clone(),
        cx_name: lead.customer_name.clone(),
        address: lead.special_instruction.clone(),
        lead_source: lead.lead_source(),
    }
}

/// docs/decisions.md D1: the best tier with room for `t`; inside it, the
/// agent with the fewest leads of the store today, then over the window,
/// then the lowest agent id (this run's leads counted in both).
fn pick_agent(
    store: &StoreAgents,
    slots: &[Slot],
    mappings: &[AgentMapping],
    t: LeadType,
) -> Option<usize> {
    store.tiers.iter().find_map(|tier| {
        tier.members
            .iter()
            .copied()
            .filter(|&s| slots[s].room_for(&mappings[slots[s].mapping_index], t))
            .min_by_key(|&s| {
                let m = &mappings[slots[s].mapping_index];
                let this_run = i64::from(slots[s].existing + slots[s].new);
                (
                    m.assigned_today + this_run,
                    m.assigned_window + this_run,
                    m.agent_id,
                )
            })
    })
}

#[cfg(test)]
mod tests {
    //! One test per rule, data-driven: `check(agents, leads, expect)` where
    //! each lead is `STORE/TYPE` and `expect` names, per lead in order, the
    //! agent id it goes to (`-`: left unassigned).
    use super::*;

    const DAY: NaiveDate = match NaiveDate::from_ymd_opt(2025, 1, 29) {
        Some(d) => d,
        None => NaiveDate::MIN,
    };

    /// Agent `id` (code `000{id}`) of store S1, priority 100, no caps.
    fn agent(id: i64) -> AgentMapping {
        AgentMapping {
            store_code: "S1".into(),
            agent_id: id,
            agent_code: Some(format!("{id:04}")),
            agent_name: format!("Agent {id}"),
            agent_active: true,
            priority: 100,
            max_existing_per_lot: None,
            max_new_per_lot: None,
            max_daily_leads: None,
            assigned_today: 0,
            assigned_window: 0,
            leave: None,
        }
    }

    fn lead(id: i32, spec: &str) -> CandidateLead {
        let (store, t) = spec.split_once('/').unwrap_or((spec, "E"));
        CandidateLead {
            pickup_row_id: id,
            store_code: store.into(),
            store_name: None,
            mobile_number: format!("9{id:09}"),
            customer_name: None,
            special_instruction: None,
            source: None,
            final_source: None,
            customer_type: (t == "N").then(|| "New customer".to_string()),
            pickup_created_date: None,
            pickup_date: None,
            run_date: None,
        }
    }

    fn input(agents: Vec<AgentMapping>, leads: &[&str]) -> EngineInput {
        EngineInput {
            batch_date: DAY,
            leads: leads
                .iter()
                .enumerate()
                .map(|(i, s)| lead(i as i32 + 1, s))
                .collect(),
            mappings: agents,
            max_rowid_today: HashMap::new(),
        }
    }

    #[track_caller]
    fn check(agents: Vec<AgentMapping>, leads: &[&str], expect: &str) {
        let plan = plan(&input(agents, leads));
        let got: Vec<String> = (1..=leads.len() as i32)
            .map(|id| {
                plan.assignments
                    .iter()
                    .find(|a| a.lead_id == id)
                    .map_or("-".to_string(), |a| a.agent_id.to_string())
            })
            .collect();
        assert_eq!(got.join(" "), expect);
    }

    fn with(mut m: AgentMapping, f: impl FnOnce(&mut AgentMapping)) -> AgentMapping {
        f(&mut m);
        m
    }

    #[test]
    fn equal_agents_take_turns() {
        check(
            vec![agent(1), agent(2), agent(3)],
            &["S1"; 7],
            "1 2 3 1 2 3 1",
        );
    }

    #[test]
    fn the_day_so_far_comes_first_then_the_window_then_the_id() {
        let a = |id, today, window| {
            with(agent(id), |m| {
                m.assigned_today = today;
                m.assigned_window = window;
            })
        };
        check(
            vec![a(1, 2, 9), a(2, 0, 9), a(3, 1, 1)],
            &["S1"; 4],
            "2 3 2 3",
        );
        check(vec![a(1, 0, 5), a(2, 0, 5), a(3, 0, 4)], &["S1"], "3");
    }

    #[test]
    fn a_lower_tier_only_when_the_higher_is_capped_for_the_type() {
        let top = with(agent(1), |m| {
            m.priority = 1;
            m.max_new_per_lot = Some(1);
        });
        let low = with(agent(2), |m| m.priority = 2);
        check(vec![top, low], &["S1/N", "S1/N", "S1/E", "S1/N"], "1 2 1 2");
    }

    #[test]
    fn each_cap_stops_its_type_or_the_day() {
        let e_lot = with(agent(1), |m| m.max_existing_per_lot = Some(1));
        check(vec![e_lot], &["S1/E", "S1/E", "S1/N"], "1 - 1");
        let n_lot = with(agent(1), |m| m.max_new_per_lot = Some(1));
        check(vec![n_lot], &["S1/N", "S1/E", "S1/N"], "1 1 -");
        let daily = with(agent(1), |m| {
            m.max_daily_leads = Some(3);
            m.assigned_today = 2;
        });
        check(vec![daily], &["S1/E", "S1/N"], "1 -");
    }

    #[test]
    fn null_is_no_limit_and_zero_is_none() {
        check(vec![agent(1)], &["S1/E"; 5], "1 1 1 1 1");
        let zero = with(agent(1), |m| m.max_new_per_lot = Some(0));
        check(vec![zero], &["S1/N", "S1/E"], "- 1");
    }

    #[test]
    fn unusable_agents_are_skipped_with_why() {
        let inactive = with(agent(1), |m| m.agent_active = false);
        let no_code = with(agent(2), |m| m.agent_code = Some("    ".into()));
        let bad_code = with(agent(3), |m| m.agent_code = Some("A.1".into()));
        let on_leave = with(agent(4), |m| {
            m.leave = Some(Leave {
                until: DAY,
                reason: None,
            })
        });
        let p = plan(&input(
            vec![inactive, no_code, bad_code, on_leave, agent(5)],
            &["S1"; 2],
        ));
        let why: Vec<String> = p
            .skipped_agents
            .iter()
            .map(|s| s.reason.to_string())
            .collect();
        assert_eq!(
            why,
            [
                "agent is inactive",
                "agent has no agent_code",
                "agent_code \"A.1\" has characters other than letters, digits, '-' and '_'",
                "on leave until 2025-01-29",
            ]
        );
        assert!(p.assignments.iter().all(|a| a.agent_id == 5));
        check(
            vec![with(agent(1), |m| m.agent_active = false)],
            &["S1"],
            "-",
        );
    }

    #[test]
    fn leads_of_other_stores_never_cross() {
        let s2 = with(agent(2), |m| m.store_code = "S2".into());
        check(vec![agent(1), s2], &["S1", "S2", "S3"], "1 2 -");
    }

    #[test]
    fn lead_type_date_and_source_follow_their_rules() {
        let t = |ct: Option<&str>| LeadType::from_customer_type(ct);
        assert_eq!(t(Some("  NEW walk-in")), LeadType::New);
        assert_eq!(t(Some("renew")), LeadType::Existing);
        assert_eq!(t(None), LeadType::Existing);
        let d = |s: &str| s.parse::<NaiveDate>().ok();
        let mut l = lead(1, "S1");
        l.pickup_date = d("2025-01-01");
        assert_eq!(l.lead_date(), d("2025-01-01"));
        l.run_date = d("2025-01-02");
        assert_eq!(l.lead_date(), d("2025-01-02"));
        l.pickup_created_date = d("2025-01-03");
        assert_eq!(l.lead_date(), d("2025-01-03"));
        l.source = Some("web".into());
        l.final_source = Some(String::new());
        assert_eq!(l.lead_source().as_deref(), Some("web"));
        l.final_source = Some("app".into());
        assert_eq!(l.lead_source().as_deref(), Some("app"));
    }

    #[test]
    fn codes_continue_after_todays_highest_rowid() {
        let mut i = input(vec![agent(1)], &["S1", "S1"]);
        i.max_rowid_today.insert(page_group_code(DAY, "0001"), 7);
        let codes: Vec<String> = plan(&i)
            .assignments
            .iter()
            .map(|a| a.lead_assignment_code.clone())
            .collect();
        assert_eq!(codes, ["L2501290001-0008", "L2501290001-0009"]);
    }
}
