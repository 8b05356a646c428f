//! Which sheet a returned file is, and whether each of its leads belongs to
//! it (docs/decisions.md D22).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::read::SheetFields;
use super::Problem;
use crate::identity::{SheetIdentity, SheetKey};

/// A sheet: one (batch, store, agent).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SheetOf {
    pub batch_id: i64,
    pub store_code: String,
    pub agent_id: i64,
    pub agent_code: String,
}

impl std::fmt::Display for SheetOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "batch {}, store {}, agent {}",
            self.batch_id, self.store_code, self.agent_code
        )
    }
}

impl SheetOf {
    fn same_sheet(&self, other: &SheetOf) -> bool {
        (self.batch_id, &self.store_code, self.agent_id)
            == (other.batch_id, &other.store_code, other.agent_id)
    }
}

/// How the file's sheet was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityCheck {
    /// Its identity field verified.
    Verified,
    /// Made before sheets carried an identity; all its leads are of one sheet.
    Legacy,
}

impl IdentityCheck {
    /// The ledger's word.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityCheck::Verified => "verified",
            IdentityCheck::Legacy => "legacy",
        }
    }
}

/// A stored assignment: its id, its sheet, and whether its batch's sheets
/// carry a signed identity.
pub(super) struct Assigned {
    pub id: i64,
    pub sheet: SheetOf,
    pub signed: bool,
}

/// The file's sheet, established.
pub(super) struct Identified {
    pub sheet: SheetOf,
    pub check: IdentityCheck,
    pub warning: Option<String>,
}

/// Establishes the file's sheet. A lead that is unknown or of another sheet
/// is a problem; an identity that does not verify, or a file without one
/// whose leads span sheets, is a refusal (`Err` with the reason). `Ok(None)`
/// when no lead is known at all (the problems say why).
pub(super) fn identify(
    fields: &SheetFields,
    known: &HashMap<String, Assigned>,
    key: &SheetKey,
    problems: &mut Vec<Problem>,
) -> Result<Option<Identified>, String> {
    let claimed = match &fields.identity {
        Some(value) => {
            let id = SheetIdentity::verify(value, key).map_err(|e| format!("{ALTERED}: {e}"))?;
            Some(SheetOf {
                batch_id: id.batch_id,
                store_code: id.store_code,
                agent_id: id.agent_id,
                agent_code: id.agent_code,
            })
        }
        None => None,
    };
    for lead in &fields.leads {
        match (known.get(&lead.code), &claimed) {
            (None, _) => problems.push(Problem::of(
                lead,
                "-",
                "",
                "no such lead_assignment_code in lead_assignments",
            )),
            (Some(a), Some(sheet)) if !a.sheet.same_sheet(sheet) => problems.push(Problem::of(
                lead,
                "-",
                "",
                format!(
                    "not on this sheet ({sheet}): the lead is on the sheet of {}",
                    a.sheet
                ),
            )),
            _ => {}
        }
    }
    match claimed {
        Some(sheet) => Ok(Some(Identified {
            sheet,
            check: IdentityCheck::Verified,
            warning: None,
        })),
        None => legacy(known),
    }
}

/// What a refused identity says first.
const ALTERED: &str = "the sheet's identity is missing or altered";

/// A file without an identity: accepted only for a batch made before sheets
/// carried identities (docs/decisions.md D25), and only when all its known
/// leads are of one sheet.
fn legacy(known: &HashMap<String, Assigned>) -> Result<Option<Identified>, String> {
    if let Some(a) = known.values().filter(|a| a.signed).min_by_key(|a| &a.sheet) {
        return Err(format!(
            "{ALTERED}: sheets of batch {} carry a signed identity, and this file has none. Send the sheet file exactly as it was emailed, filled in and saved",
            a.sheet.batch_id
        ));
    }
    let mut sheets: BTreeMap<(i64, &str, i64), (&SheetOf, usize)> = BTreeMap::new();
    for a in known.values() {
        let s = &a.sheet;
        sheets
            .entry((s.batch_id, s.store_code.as_str(), s.agent_id))
            .or_insert((s, 0))
            .1 += 1;
    }
    match sheets.len() {
        0 => Ok(None),
        1 => Ok(sheets.into_values().next().map(|(sheet, n)| Identified {
            sheet: sheet.clone(),
            check: IdentityCheck::Legacy,
            warning: Some(format!(
                "the sheet has no identity (made before sheets carried one); accepted because all its {n} leads belong to {sheet}"
            )),
        })),
        n => Err(format!(
            "the sheet has no identity and its leads belong to {n} different sheets: {}",
            sheets
                .values()
                .map(|(s, k)| format!("{s} ({k} lead(s))"))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}
