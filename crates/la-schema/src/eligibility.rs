//! Which lead may be assigned (docs/decisions.md S4.1.1, D16): one
//! definition, taken by the assignment's cursor and its flag repair, by the
//! diagnostics, and checked against the partial index of migration 4 by a
//! test (`tests/eligibility.rs`) that fails when the two drift apart.

/// The partial index that serves the eligibility scan; its predicate is
/// [`waiting`]'s.
pub const INDEX: &str = "ix_missed_leads_assign_eligible";

/// A lead of `missed_leads` (as `alias`; "" for the bare columns) waiting
/// for an agent: not flagged assigned, its order not placed.
pub fn waiting(alias: &str) -> String {
    let col = |c: &str| match alias {
        "" => c.to_string(),
        a => format!("{a}.{c}"),
    };
    format!(
        "{} = false AND {} IS NOT TRUE",
        col("lead_assigned"),
        col("is_order_placed")
    )
}

/// A waiting lead (as `lead`) that has an assignment already: its flag
/// drifted (D16).
pub fn drifted(lead: &str) -> String {
    format!(
        "{} AND EXISTS (SELECT 1 FROM lead_assignments a WHERE a.lead_id = {lead}.pickup_row_id)",
        waiting(lead)
    )
}

/// A waiting lead (as `lead`) that may be assigned now: its store (as
/// `store`, `store_master`) takes leads and has an enabled mapping, and the
/// lead has no assignment.
pub fn assignable(lead: &str, store: &str) -> String {
    format!(
        "{store}.assign_leads = true AND {} \
         AND NOT EXISTS (SELECT 1 FROM lead_assignments la WHERE la.lead_id = {lead}.pickup_row_id) \
         AND EXISTS (SELECT 1 FROM store_lead_assignment_map m \
                     WHERE m.store_code = {lead}.store_code AND m.is_enabled = true)",
        waiting(lead)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_names_its_columns_as_asked() {
        assert_eq!(
            waiting(""),
            "lead_assigned = false AND is_order_placed IS NOT TRUE"
        );
        assert_eq!(
            waiting("ml"),
            "ml.lead_assigned = false AND ml.is_order_placed IS NOT TRUE"
        );
        assert!(drifted("m").starts_with(&waiting("m")));
        assert!(assignable("ml", "sm").contains(&waiting("ml")));
    }
}
