//! The run's sheets rendered while its assignment is still open (docs/
//! decisions.md D23): each store's share of the plan becomes its agents'
//! sheets, handed to [`la_pdf::Prerender`] on the other core.

use std::path::Path;

use la_assign::engine::{usable_agent_code, StorePlan};
use la_assign::{BatchStart, PlanObserver};
use la_pdf::{Prerender, Sheet, SheetHeader, SheetKey, SheetRow, StoreNames};

/// Feeds each store's sheets to the renderer as the store is dealt.
#[derive(Debug)]
pub(crate) struct SheetsAhead {
    pub renderer: Prerender,
    /// For headers whose leads carry no store name.
    names: StoreNames,
}

impl SheetsAhead {
    pub fn new(reports_root: &Path, key: SheetKey, names: StoreNames) -> SheetsAhead {
        SheetsAhead {
            renderer: Prerender::new(reports_root, key),
            names,
        }
    }
}

impl PlanObserver for SheetsAhead {
    fn store(&mut self, batch: BatchStart<'_>, store_code: &str, plan: &StorePlan) {
        // A store's assignments come per agent, each agent's in rowid order:
        // exactly the rows of its sheet.
        for rows in plan.assignments.chunk_by(|a, b| a.agent_id == b.agent_id) {
            let first = &rows[0];
            let Some(m) = batch
                .mappings
                .iter()
                .find(|m| m.store_code == store_code && m.agent_id == first.agent_id)
            else {
                continue;
            };
            let header = SheetHeader {
                page_group_code: first.page_group_code.clone(),
                agent_code: usable_agent_code(m.agent_code.as_deref()).unwrap_or_default(),
                agent_name: m.agent_name.clone(),
                store_code: store_code.to_string(),
                store_name: self
                    .names
                    .header_name(store_code, first.store_name.as_deref()),
                batch_id: batch.batch_id,
                batch_date: batch.batch_date,
            };
            let rows = rows
                .iter()
                .map(|a| SheetRow {
                    rowid: a.rowid,
                    lead_assignment_code: a.lead_assignment_code.clone(),
                    lead_date: a.lead_date,
                    lead_type: Some(a.lead_type.as_str().to_string()),
                    mobile_number: a.mobile_number.clone(),
                    cx_name: a.cx_name.clone(),
                    address: a.address.clone(),
                    lead_source: a.lead_source.clone(),
                })
                .collect();
            let sheet = Sheet {
                header,
                rows,
                identity: None,
            };
            self.renderer.add(sheet, first.agent_id);
        }
    }
}
