//! The run report: what was assigned, to whom, what stopped it, and what was
//! left and why. Serializable: the runner logs it as JSON and the summary
//! email uses it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::engine::{LeadType, PairSummary, SkippedAgent, StorePlan, UnassignedReason};

/// Per store: eligible leads, assigned, and the reasons the rest were left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreReport {
    pub store_code: String,
    pub eligible: u32,
    pub assigned_existing: u32,
    pub assigned_new: u32,
    pub unassigned: u32,
    /// (reason, lead type, how many leads).
    pub unassigned_reasons: Vec<(UnassignedReason, LeadType, u32)>,
}

/// The result of one assignment run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentReport {
    /// None for a dry run (it creates no batch row).
    pub batch_id: Option<i64>,
    pub batch_date: NaiveDate,
    pub dry_run: bool,
    pub triggered_by: String,
    pub run_id: Option<String>,
    pub eligible_leads: u32,
    pub assigned: u32,
    pub pairs: Vec<PairSummary>,
    pub stores: Vec<StoreReport>,
    pub skipped_agents: Vec<SkippedAgent>,
    /// Leads flagged unassigned that already had an assignment: flag repaired
    /// (docs/decisions.md D16). In a dry run: would be repaired.
    pub repaired_flags: Vec<i32>,
}

/// What the dealt stores add up to, kept as counts only (so a run's memory
/// does not grow with the leads it leaves).
#[derive(Debug, Default)]
pub(crate) struct PlanTally {
    eligible: BTreeMap<String, u32>,
    assigned: u32,
    unassigned: BTreeMap<(String, UnassignedReason, LeadType), u32>,
}

impl PlanTally {
    /// A store taking part, even with no eligible lead.
    pub(crate) fn include(&mut self, store_code: &str) {
        self.eligible.entry(store_code.to_string()).or_default();
    }

    /// One store's eligible leads and its share of the plan.
    pub(crate) fn add_store(&mut self, store_code: &str, eligible: usize, plan: &StorePlan) {
        *self.eligible.entry(store_code.to_string()).or_default() +=
            u32::try_from(eligible).unwrap_or(u32::MAX);
        self.assigned += u32::try_from(plan.assignments.len()).unwrap_or(u32::MAX);
        for u in &plan.unassigned {
            *self
                .unassigned
                .entry((u.store_code.clone(), u.reason.clone(), u.lead_type))
                .or_default() += 1;
        }
    }
}

impl AssignmentReport {
    pub(crate) fn build(
        tally: PlanTally,
        pairs: Vec<PairSummary>,
        skipped_agents: Vec<SkippedAgent>,
        batch_id: Option<i64>,
        batch_date: NaiveDate,
        options: &crate::AssignOptions,
    ) -> AssignmentReport {
        let mut stores: BTreeMap<&str, StoreReport> = tally
            .eligible
            .iter()
            .map(|(code, n)| {
                (
                    code.as_str(),
                    StoreReport {
                        store_code: code.clone(),
                        eligible: *n,
                        assigned_existing: 0,
                        assigned_new: 0,
                        unassigned: 0,
                        unassigned_reasons: Vec::new(),
                    },
                )
            })
            .collect();
        for p in &pairs {
            if let Some(s) = stores.get_mut(p.store_code.as_str()) {
                s.assigned_existing += p.existing_assigned;
                s.assigned_new += p.new_assigned;
            }
        }
        for ((store, reason, t), n) in &tally.unassigned {
            if let Some(s) = stores.get_mut(store.as_str()) {
                s.unassigned += n;
                s.unassigned_reasons.push((reason.clone(), *t, *n));
            }
        }
        AssignmentReport {
            batch_id,
            batch_date,
            dry_run: options.dry_run,
            triggered_by: options.triggered_by.clone(),
            run_id: options.run_id.clone(),
            eligible_leads: tally.eligible.values().sum(),
            assigned: tally.assigned,
            pairs,
            stores: stores.into_values().collect(),
            skipped_agents,
            repaired_flags: Vec::new(),
        }
    }
}
