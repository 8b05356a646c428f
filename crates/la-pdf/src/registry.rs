//! Each sheet of a batch and its file (`lead_assignment_sheets`,
//! docs/decisions.md D26): a sheet's file name is assigned once, here, and a
//! batch's files are found through it, never recomputed from today's codes
//! (a renamed agent keeps the files of its old batches). A name that another
//! sheet of the batch already has, even through a crafted hash collision, is
//! detected here and resolved the same way every time.

use std::collections::BTreeMap;

use diesel::prelude::*;
use la_schema::models::{Document, NewDocument};
use la_schema::schema::{documents, lead_assignment_sheets as las};

use crate::files::{sheet_file_name, unique_sheet_file_name};
use crate::sheet::SheetHeader;

/// A sheet's registered name (and its `documents` row, once written).
#[derive(Debug, Clone, Queryable)]
pub(crate) struct Named {
    id: i64,
    pub file_name: String,
    document_id: Option<i64>,
}

/// The sheet's name: the one registered for (batch, store, agent) if any;
/// else the plain name, or, when another sheet of the batch has that, the
/// long-hash name. `None` when both are taken (never silently shared).
/// Called under the batch's sheet lock.
pub(crate) fn name_sheet(
    conn: &mut PgConnection,
    h: &SheetHeader,
    agent_id: i64,
) -> QueryResult<Option<Named>> {
    let registered = las::table
        .filter(las::batch_id.eq(h.batch_id))
        .filter(las::store_code.eq(&h.store_code))
        .filter(las::agent_id.eq(agent_id))
        .select((las::id, las::file_name, las::document_id))
        .first::<Named>(conn)
        .optional()?;
    if registered.is_some() {
        return Ok(registered);
    }
    let (date, store, agent, batch) = (h.batch_date, &h.store_code, &h.agent_code, h.batch_id);
    for name in [
        sheet_file_name(date, store, agent, batch),
        unique_sheet_file_name(date, store, agent, batch),
    ] {
        let taken: i64 = las::table
            .filter(las::batch_id.eq(batch))
            .filter(las::file_name.eq(&name))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            log::warn!(
                "batch {batch}: file name {name} is already another sheet's; store {store} agent {agent} gets another"
            );
            continue;
        }
        let id = diesel::insert_into(las::table)
            .values((
                las::batch_id.eq(batch),
                las::store_code.eq(store),
                las::agent_id.eq(agent_id),
                las::file_name.eq(&name),
            ))
            .returning(las::id)
            .get_result(conn)?;
        return Ok(Some(Named {
            id,
            file_name: name,
            document_id: None,
        }));
    }
    Ok(None)
}

/// Writes the sheet's `documents` row (in place when it has one) and links
/// it to the sheet.
pub(crate) fn register(
    conn: &mut PgConnection,
    named: &Named,
    row: &NewDocument,
) -> QueryResult<i64> {
    let updated = match named.document_id {
        Some(id) => diesel::update(documents::table.find(id))
            .set(row)
            .returning(documents::id)
            .get_result(conn)
            .optional()?,
        None => None,
    };
    let id = match updated {
        Some(id) => id,
        None => diesel::insert_into(documents::table)
            .values(row)
            .returning(documents::id)
            .get_result(conn)?,
    };
    diesel::update(las::table.find(named.id))
        .set(las::document_id.eq(id))
        .execute(conn)?;
    Ok(id)
}

/// A registered sheet: its file name and `documents` row.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub file_name: String,
    pub document: Option<Document>,
}

/// The registered sheets of `batch_ids` by (batch, store, agent id).
pub(crate) fn registered(
    conn: &mut PgConnection,
    batch_ids: &[i64],
) -> QueryResult<BTreeMap<(i64, String, i64), Registered>> {
    let rows: Vec<(i64, String, i64, String, Option<i64>)> = las::table
        .filter(las::batch_id.eq_any(batch_ids))
        .select((
            las::batch_id,
            las::store_code,
            las::agent_id,
            las::file_name,
            las::document_id,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.4).collect();
    let mut docs: BTreeMap<i64, Document> = documents::table
        .filter(documents::id.eq_any(&ids))
        .select(Document::as_select())
        .load(conn)?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(batch, store, agent, file_name, doc)| {
            let document = doc.and_then(|id| docs.remove(&id));
            (
                (batch, store, agent),
                Registered {
                    file_name,
                    document,
                },
            )
        })
        .collect())
}
