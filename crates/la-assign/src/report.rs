//! The run report: what was assigned, to whom, what stopped it, and what was
//! left and why. Serializable: the runner logs it as JSON and the summary
//! email uses it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::engine::{LeadType, PairSummary, Plan, SkippedAgent, UnassignedReason};

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

impl AssignmentReport {
    pub(crate) fn build(
        plan: &Plan,
        batch_id: Option<i64>,
        batch_date: NaiveDate,
        options: &crate::AssignOptions,
        eligible_per_store: &BTreeMap<String, u32>,
    ) -> AssignmentReport {
        let mut stores: BTreeMap<&str, StoreReport> = eligible_per_store
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
        for p in &plan.pairs {
            if let Some(s) = stores.get_mut(p.store_code.as_str()) {
                s.assigned_existing += p.existing_assigned;
                s.assigned_new += p.new_assigned;
            }
        }
        let mut reasons: BTreeMap<(&str, UnassignedReason, LeadType), u32> = BTreeMap::new();
        for u in &plan.unassigned {
            *reasons
                .entry((u.store_code.as_str(), u.reason.clone(), u.lead_type))
                .or_default() += 1;
        }
        for ((store, reason, t), n) in reasons {
            if let Some(s) = stores.get_mut(store) {
                s.unassigned += n;
                s.unassigned_reasons.push((reason, t, n));
            }
        }
        AssignmentReport {
            batch_id,
            batch_date,
            dry_run: options.dry_run,
            triggered_by: options.triggered_by.clone(),
            run_id: options.run_id.clone(),
            eligible_leads: eligible_per_store.values().sum(),
            assigned: u32::try_from(plan.assignments.len()).unwrap_or(u32::MAX),
            pairs: plan.pairs.clone(),
            stores: stores.into_values().collect(),
            skipped_agents: plan.skipped_agents.clone(),
            repaired_flags: Vec::new(),
        }
    }

    /// The pairs of one store.
    pub fn pairs_of<'a>(
        &'a self,
        store_code: &'a str,
    ) -> impl Iterator<Item = &'a PairSummary> + 'a {
        self.pairs
            .iter()
            .filter(move |p| p.store_code == store_code)
    }
}
