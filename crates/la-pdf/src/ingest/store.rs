//! One file against the database: the stored assignments and outcomes it
//! names, what it changes, and the writes (outcomes and the ledger row).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::upsert::excluded;
use la_schema::models::{NewOutcome, Outcome as OutcomeRow};
use la_schema::schema::{
    agents_master as am, lead_assignment_batches as lab, lead_assignment_ingests as lai,
    lead_assignment_outcomes as lao, lead_assignments as la,
};
use sha2::Digest;

use super::identify::{identify, Assigned, Identified, SheetOf};
use super::values::{validate, Outcome};
use super::{Change, IngestError, IngestOptions, IngestReport, Problem, SheetFields};
use crate::identity::SheetKey;
use crate::layout::FIELD_NAMES;

/// A file being ingested.
pub(super) struct File<'a> {
    pub path: &'a Path,
    pub checksum: String,
    pub revisions: &'a [String],
    pub fields: &'a SheetFields,
    pub key: &'a SheetKey,
    pub options: &'a IngestOptions,
}

/// Why a file's transaction ended without a report.
pub(super) enum Failure {
    Db(diesel::result::Error),
    Refused(IngestError),
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Failure {
        Failure::Db(e)
    }
}

impl Failure {
    pub(crate) fn into_error(self, path: &Path) -> IngestError {
        match self {
            Failure::Db(source) => IngestError::Db {
                path: path.to_path_buf(),
                source,
            },
            Failure::Refused(e) => e,
        }
    }
}

/// What the file's values do to the stored outcomes.
struct Diff {
    rows: Vec<NewOutcome>,
    new: usize,
    /// The values of the leads that had no outcome.
    new_values: Vec<Change>,
    changed: Vec<Change>,
    unchanged: usize,
}

impl File<'_> {
    fn path(&self) -> PathBuf {
        self.path.to_path_buf()
    }

    /// Validates, identifies, compares and (unless checking) writes.
    pub fn ingest(&self, conn: &mut PgConnection) -> Result<IngestReport, Failure> {
        let mut problems = Vec::new();
        let mut outcomes = Vec::new();
        let mut blank = 0;
        for r in &self.fields.leads {
            match validate(r) {
                Ok(Some(o)) => outcomes.push(o),
                Ok(None) => blank += 1,
                Err(p) => problems.extend(p),
            }
        }
        let known = assignments_of(conn, &self.fields.leads)?;
        let identified =
            identify(self.fields, &known, self.key, &mut problems).map_err(|reason| {
                Failure::Refused(IngestError::Identity {
                    path: self.path(),
                    reason,
                })
            })?;
        let Some(identified) = identified.filter(|_| problems.is_empty()) else {
            return Err(self.invalid(problems));
        };
        let digest = values_digest(&outcomes);
        self.not_older(conn, &identified.sheet, &digest)?;
        let mut diff = diff(conn, outcomes, &known, self.options.clear_blanks)?;
        let rows = std::mem::take(&mut diff.rows);
        let mut report = self.report(identified, diff, blank);
        if !self.options.check_only {
            upsert_outcomes(conn, &rows)?;
            report.ledger_id = Some(self.record(conn, &report, &digest)?);
        }
        Ok(report)
    }

    /// docs/decisions.md D25: a file older than the one last ingested for
    /// its sheet is refused. Older means: the very file of an earlier ingest
    /// that a later one replaced, or an earlier revision of the last file (a
    /// viewer's incremental save keeps the file it started from). A file
    /// with the last one's bytes or values is simply the same.
    fn not_older(
        &self,
        conn: &mut PgConnection,
        sheet: &SheetOf,
        digest: &str,
    ) -> Result<(), Failure> {
        let rows: Vec<Ingested> = lai::table
            .filter(lai::batch_id.eq(sheet.batch_id))
            .filter(lai::store_code.eq(&sheet.store_code))
            .filter(lai::agent_id.eq(sheet.agent_id))
            .order((lai::ingested_at.desc(), lai::id.desc()))
            .select(Ingested::as_select())
            .load(conn)?;
        let Some(last) = rows.first() else {
            return Ok(());
        };
        if last.checksum == self.checksum || last.values_sha256.as_deref() == Some(digest) {
            return Ok(());
        }
        let reason = if last.revisions.contains(&self.checksum) {
            format!("it is an earlier version of {}", last.described())
        } else if let Some(earlier) = rows.iter().find(|r| r.checksum == self.checksum) {
            format!(
                "it is {}, which {} has since replaced",
                earlier.described(),
                last.described()
            )
        } else {
            return Ok(());
        };
        Err(Failure::Refused(IngestError::Older {
            path: self.path(),
            reason: format!("an older file of the sheet ({sheet}): {reason}"),
        }))
    }

    fn invalid(&self, problems: Vec<Problem>) -> Failure {
        Failure::Refused(IngestError::Invalid {
            path: self.path(),
            problems,
        })
    }

    fn report(&self, identified: Identified, diff: Diff, blank: usize) -> IngestReport {
        let mut warnings: Vec<String> = identified.warning.into_iter().collect();
        if diff.new + diff.unchanged == 0 && diff.changed.is_empty() {
            warnings.push(format!(
                "blank sheet: none of its {blank} lead(s) has a value; nothing was written"
            ));
        }
        IngestReport {
            path: self.path(),
            checksum: self.checksum.clone(),
            sheet: identified.sheet,
            identity: identified.check,
            new: diff.new,
            new_values: diff.new_values,
            changed: diff.changed,
            unchanged: diff.unchanged,
            blank,
            warnings,
            ledger_id: None,
        }
    }

    /// docs/decisions.md D21: the ledger row of this file.
    fn record(&self, conn: &mut PgConnection, r: &IngestReport, digest: &str) -> QueryResult<i64> {
        let source = self.options.source.as_ref();
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let file_name = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        diesel::insert_into(lai::table)
            .values((
                lai::file_name.eq(file_name),
                lai::checksum.eq(&r.checksum),
                lai::batch_id.eq(r.sheet.batch_id),
                lai::store_code.eq(&r.sheet.store_code),
                lai::agent_id.eq(r.sheet.agent_id),
                lai::agent_code.eq(&r.sheet.agent_code),
                lai::identity.eq(r.identity.as_str()),
                lai::new_count.eq(count(r.new)),
                lai::changed_count.eq(count(r.changed_leads())),
                lai::unchanged_count.eq(count(r.unchanged)),
                lai::blank_count.eq(count(r.blank)),
                lai::ingested_by.eq(ingested_by(&self.options.ingested_by)),
                lai::values_sha256.eq(digest),
                lai::revisions.eq(self.revisions),
                lai::cleared_count.eq(count(r.changed.iter().filter(|c| c.is_cleared()).count())),
                lai::source_message_id.eq(source.and_then(|m| m.message_id.clone())),
                lai::source_sender.eq(source.map(|m| m.sender.clone())),
                lai::source_date.eq(source.and_then(|m| m.date)),
            ))
            .returning(lai::id)
            .get_result(conn)
    }
}

/// An earlier ingest of a sheet, as the older-file rule reads it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = lai, check_for_backend(diesel::pg::Pg))]
struct Ingested {
    file_name: String,
    checksum: String,
    values_sha256: Option<String>,
    revisions: Vec<String>,
    ingested_at: chrono::DateTime<chrono::Utc>,
}

impl Ingested {
    fn described(&self) -> String {
        format!(
            "{} (ingested {})",
            self.file_name,
            self.ingested_at.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

/// What a file says, independent of how its bytes are laid out: each filled
/// lead's values as the sheet shows them, in code order.
fn values_digest(outcomes: &[Outcome]) -> String {
    let mut h = sha2::Sha256::new();
    for o in outcomes {
        h.update(o.code.as_bytes());
        for v in o.shown() {
            h.update([0x1f]);
            h.update(v.unwrap_or_default().as_bytes());
        }
        h.update([0x1e]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// At most 64 characters; "unknown" when empty.
fn ingested_by(who: &str) -> String {
    let who = who.trim();
    if who.is_empty() {
        "unknown".into()
    } else {
        who.chars().take(64).collect()
    }
}

/// The stored assignment of each known code, with its sheet.
fn assignments_of(
    conn: &mut PgConnection,
    leads: &[super::RawOutcome],
) -> QueryResult<HashMap<String, Assigned>> {
    /// A stored assignment with its sheet's columns.
    #[derive(Queryable)]
    struct Row {
        code: String,
        id: i64,
        batch_id: i64,
        store_code: String,
        agent_id: i64,
        agent_code: Option<String>,
        signed: bool,
    }
    let codes: Vec<&str> = leads.iter().map(|l| l.code.as_str()).collect();
    let rows: Vec<Row> = la::table
        .inner_join(am::table)
        .inner_join(lab::table)
        .filter(la::lead_assignment_code.eq_any(&codes))
        .select((
            la::lead_assignment_code,
            la::id,
            la::assignment_batch_id,
            la::store_code,
            la::agent_id,
            am::agent_code,
            lab::sheets_signed,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let sheet = SheetOf {
                batch_id: r.batch_id,
                store_code: r.store_code,
                agent_id: r.agent_id,
                agent_code: r.agent_code.unwrap_or_default().trim_end().to_string(),
            };
            let a = Assigned {
                id: r.id,
                sheet,
                signed: r.signed,
            };
            (r.code, a)
        })
        .collect())
}

/// Compares each filled lead with its stored outcome, value by value. A
/// blank field keeps the stored value unless `clear_blanks` (D25).
fn diff(
    conn: &mut PgConnection,
    outcomes: Vec<Outcome>,
    known: &HashMap<String, Assigned>,
    clear_blanks: bool,
) -> QueryResult<Diff> {
    let ids: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| known.get(&o.code).map(|a| a.id))
        .collect();
    let stored: HashMap<i64, OutcomeRow> = lao::table
        .filter(lao::lead_assignment_id.eq_any(&ids))
        .select(OutcomeRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|o| (o.lead_assignment_id, o))
        .collect();
    let mut d = Diff {
        rows: Vec::new(),
        new: 0,
        new_values: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    for mut o in outcomes {
        let Some(a) = known.get(&o.code) else {
            continue;
        };
        let Some(old) = stored.get(&a.id) else {
            d.new += 1;
            d.new_values.extend(changes(&o, &Outcome::default()));
            d.rows.push(o.into_row(a.id));
            continue;
        };
        let old = Outcome::from(old);
        if !clear_blanks {
            o.keep_stored(&old);
        }
        let changes = changes(&o, &old);
        if changes.is_empty() {
            d.unchanged += 1;
        } else {
            d.changed.extend(changes);
            d.rows.push(o.into_row(a.id));
        }
    }
    Ok(d)
}

/// The values of `new` that differ from `old`, in field order.
fn changes(new: &Outcome, old: &Outcome) -> Vec<Change> {
    FIELD_NAMES
        .iter()
        .zip(new.shown().into_iter().zip(old.shown()))
        .filter(|(_, (n, o))| n != o)
        .map(|(field, (n, o))| Change {
            code: new.code.clone(),
            field,
            old: o.unwrap_or_default(),
            new: n.unwrap_or_default(),
        })
        .collect()
}

/// Inserts or updates the outcome of each assignment.
fn upsert_outcomes(conn: &mut PgConnection, rows: &[NewOutcome]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(2_000) {
        n += diesel::insert_into(lao::table)
            .values(chunk)
            .on_conflict(lao::lead_assignment_id)
            .do_update()
            .set((
                lao::converted_flag.eq(excluded(lao::converted_flag)),
                lao::order_number.eq(excluded(lao::order_number)),
                lao::order_date.eq(excluded(lao::order_date)),
                lao::order_value.eq(excluded(lao::order_value)),
                lao::payment_mode.eq(excluded(lao::payment_mode)),
                lao::payment_amount.eq(excluded(lao::payment_amount)),
                lao::remarks.eq(excluded(lao::remarks)),
                lao::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
    }
    Ok(n)
}
