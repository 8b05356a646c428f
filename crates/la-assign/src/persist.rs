//! Reading the run's input, and writing the plan, in one transaction.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use la_schema::codes::{RunEnv, TransportKind};
use la_schema::models::{NewBatch, NewLeadAssignment};
use la_schema::schema::{
    agent_leave, agents_master as am, lead_assignment_batches as lab, lead_assignments as la,
    store_lead_assignment_map as slam, store_master as sm,
};

use crate::engine::{self, AgentMapping, CandidateLead, EngineInput};
use crate::report::{AssignmentReport, PlanTally};
use crate::sql;

/// Rows per `COPY`: the rows to insert held at a time.
const COPY_CHUNK: usize = 5_000;

/// How a run is asked for.
#[derive(Debug, Clone, Default)]
pub struct AssignOptions {
    /// Who started it, e.g. `pipeline:single_session`, `manual`, `cli`.
    pub triggered_by: String,
    /// Optional link to the upstream run.
    pub run_id: Option<String>,
    /// Produce the report, then roll everything back.
    pub dry_run: bool,
    /// Session time zone for the business date (docs/decisions.md D5), e.g. `Asia/Kolkata`.
    pub timezone: Option<String>,
    /// Recorded on the batch (docs/decisions.md D13): how its emails are
    /// delivered (`smtp`, `outbox`, `none`) and the env they go to.
    pub delivery_transport: Option<TransportKind>,
    pub delivery_env: Option<RunEnv>,
}

/// Why a run failed. Nothing of a failed run is kept.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    /// A statement failed.
    #[error("lead assignment failed while {step}: {source}")]
    Query {
        /// Which step.
        step: &'static str,
        /// The database error.
        source: diesel::result::Error,
    },
    /// A write touched a different number of rows than planned; rolled back.
    #[error("lead assignment rolled back: {step} affected {actual} rows, the plan has {expected}")]
    CountMismatch {
        /// Which write.
        step: &'static str,
        /// Planned rows.
        expected: usize,
        /// Rows the database reports.
        actual: usize,
    },
}

enum TxEnd {
    Failed(AssignError),
    DryRun(Box<AssignmentReport>),
}

impl From<diesel::result::Error> for TxEnd {
    fn from(source: diesel::result::Error) -> Self {
        TxEnd::Failed(AssignError::Query {
            step: "committing",
            source,
        })
    }
}

impl From<AssignError> for TxEnd {
    fn from(e: AssignError) -> Self {
        TxEnd::Failed(e)
    }
}

fn at(step: &'static str) -> impl FnOnce(diesel::result::Error) -> AssignError {
    move |source| AssignError::Query { step, source }
}

/// Creates a batch and assigns every eligible lead it can, in one transaction
/// (docs/decisions.md S4.1): advisory lock, `current_date` read once, drifted flags
/// repaired, the eligible leads in one query, today's counts and rowids, the
/// engine's plan, the batch row, bulk inserts, one flag `UPDATE`, and count
/// checks. With `dry_run` the same report comes back, no batch row is created
/// and nothing is kept.
pub fn run_leads_assignment(
    conn: &mut PgConnection,
    options: &AssignOptions,
) -> Result<AssignmentReport, AssignError> {
    run_leads_assignment_observed(conn, options, &mut ())
}

/// What a batch is, for a [`PlanObserver`].
#[derive(Debug, Clone, Copy)]
pub struct BatchStart<'a> {
    pub batch_id: i64,
    pub batch_date: NaiveDate,
    /// The run's mappings, with each agent's code and name.
    pub mappings: &'a [AgentMapping],
}

/// Sees each store's share of the plan as it is dealt, while the run's
/// transaction is still open (never for a dry run). What it does with it is
/// provisional until the run returns `Ok`: the transaction may still roll back.
pub trait PlanObserver {
    fn store(&mut self, batch: BatchStart<'_>, store_code: &str, plan: &engine::StorePlan);
}

impl PlanObserver for () {
    fn store(&mut self, _: BatchStart<'_>, _: &str, _: &engine::StorePlan) {}
}

/// [`run_leads_assignment`], showing each store's share of the plan to
/// `observer` before its rows are written (e.g. to render sheets while the
/// run is still open).
pub fn run_leads_assignment_observed(
    conn: &mut PgConnection,
    options: &AssignOptions,
    observer: &mut dyn PlanObserver,
) -> Result<AssignmentReport, AssignError> {
    let result = conn.transaction::<AssignmentReport, TxEnd, _>(|conn| {
        let report = assign_in_transaction(conn, options, observer)?;
        if options.dry_run {
            return Err(TxEnd::DryRun(Box::new(report)));
        }
        Ok(report)
    });
    match result {
        Ok(report) => {
            log::info!(
                "batch {} ({}): {} of {} eligible leads assigned",
                report.batch_id.unwrap_or_default(),
                report.batch_date,
                report.assigned,
                report.eligible_leads
            );
            Ok(report)
        }
        Err(TxEnd::DryRun(report)) => {
            log::info!(
                "dry run ({}): {} of {} eligible leads would be assigned; rolled back",
                report.batch_date,
                report.assigned,
                report.eligible_leads
            );
            Ok(*report)
        }
        Err(TxEnd::Failed(e)) => {
            log::error!("{e}");
            Err(e)
        }
    }
}

fn assign_in_transaction(
    conn: &mut PgConnection,
    options: &AssignOptions,
    observer: &mut dyn PlanObserver,
) -> Result<AssignmentReport, AssignError> {
    // docs/decisions.md D8: concurrent runs wait here instead of colliding.
    la_schema::locks::lock_assignment(conn).map_err(at(
        "waiting for the assignment lock (another run in progress)",
    ))?;
    let batch_date = business_date(conn, options.timezone.as_deref())?;
    let repaired_flags = repair_drifted_flags(conn)?;
    let mappings = load_mappings(conn, batch_date)?;
    let max_rowid_today = load_max_rowids(conn, batch_date, &mappings)?;
    // A dry run creates no batch row, so it consumes no batch id.
    let batch_id = if options.dry_run {
        None
    } else {
        Some(create_batch(conn, batch_date, options)?)
    };
    // The leads stream through store by store: only one store's leads and a
    // few thousand rows to insert are in memory at a time.
    let mut dealer = engine::Dealer::new(batch_date, &mappings, &max_rowid_today);
    let mut tally = PlanTally::default();
    let mut rows = RowWriter::new(batch_id);
    for_each_store(conn, |conn, store_code, leads| {
        let plan = dealer.store(store_code, &leads);
        tally.add_store(store_code, leads.len(), &plan);
        if let Some(batch_id) = batch_id {
            let batch = BatchStart {
                batch_id,
                batch_date,
                mappings: &mappings,
            };
            observer.store(batch, store_code, &plan);
        }
        rows.push(conn, plan.assignments)
    })?;
    // Every store taking part is in the report, also one with nothing to
    // deal today (the run summary names every store).
    for m in &mappings {
        tally.include(&m.store_code);
    }
    rows.finish(conn)?;
    let (pairs, skipped_agents) = dealer.finish();
    let mut report =
        AssignmentReport::build(tally, pairs, skipped_agents, batch_id, batch_date, options);
    report.repaired_flags = repaired_flags;
    Ok(report)
}

fn create_batch(
    conn: &mut PgConnection,
    batch_date: NaiveDate,
    options: &AssignOptions,
) -> Result<i64, AssignError> {
    diesel::insert_into(lab::table)
        .values(&NewBatch {
            batch_date,
            triggered_by: Some(options.triggered_by.as_str()),
            run_id: options.run_id.as_deref(),
            delivery_transport: options.delivery_transport,
            delivery_env: options.delivery_env,
        })
        .returning(lab::id)
        .get_result(conn)
        .map_err(at("creating the batch row"))
}

/// docs/decisions.md D16: a lead flagged unassigned that already has an
/// assignment is flagged assigned again (and `updated_at` set); returns the
/// repaired `pickup_row_id`s, in order.
fn repair_drifted_flags(conn: &mut PgConnection) -> Result<Vec<i32>, AssignError> {
    let mut ids =
        sql::repair_drifted_flags(conn).map_err(at("repairing drifted lead_assigned flags"))?;
    ids.sort_unstable();
    if !ids.is_empty() {
        log::warn!(
            "{} lead(s) flagged unassigned already had an assignment; flag repaired: {ids:?}",
            ids.len()
        );
    }
    Ok(ids)
}

/// The business date (docs/decisions.md D5): the session's `current_date`,
/// or today in `timezone` when one is given (which also becomes the
/// transaction's `TimeZone`). Right inside a transaction and outside one.
pub fn business_date(
    conn: &mut PgConnection,
    timezone: Option<&str>,
) -> Result<NaiveDate, AssignError> {
    match timezone {
        None => sql::current_date(conn).map_err(at("reading current_date")),
        Some(tz) => sql::date_in_zone(conn, tz).map_err(at("setting the session time zone")),
    }
}

/// Everything the engine needs for a run on `batch_date`, read without
/// writing: the eligible leads, the mappings with today's counts, and today's
/// highest rowids. Diagnostics use it to say what the next run would do;
/// `run_leads_assignment` reads the same, streaming the leads instead. Call
/// it inside a transaction (the leads are read through a cursor).
pub fn read_engine_input(
    conn: &mut PgConnection,
    batch_date: NaiveDate,
) -> Result<EngineInput, AssignError> {
    let mut leads = Vec::new();
    for_each_store(conn, |_, _, store_leads| {
        leads.extend(store_leads);
        Ok(())
    })?;
    let mappings = load_mappings(conn, batch_date)?;
    let max_rowid_today = load_max_rowids(conn, batch_date, &mappings)?;
    Ok(EngineInput {
        batch_date,
        leads,
        mappings,
        max_rowid_today,
    })
}

/// Calls `each` with every store's eligible leads, in the order of
/// `sql::candidates`; only one store's leads are held at a time.
fn for_each_store(
    conn: &mut PgConnection,
    mut each: impl FnMut(&mut PgConnection, &str, Vec<CandidateLead>) -> Result<(), AssignError>,
) -> Result<(), AssignError> {
    let mut cursor = sql::Candidates::open(conn).map_err(at("reading the eligible leads"))?;
    let mut store: Vec<CandidateLead> = Vec::new();
    loop {
        let page = cursor
            .page(conn)
            .map_err(at("reading the eligible leads"))?;
        let last_page = page.len() < sql::FETCH_ROWS;
        for lead in page {
            if store
                .first()
                .is_some_and(|l| l.store_code != lead.store_code)
            {
                let code = store[0].store_code.clone();
                each(conn, &code, std::mem::take(&mut store))?;
            }
            store.push(lead);
        }
        if last_page {
            break;
        }
    }
    if let Some(code) = store.first().map(|l| l.store_code.clone()) {
        each(conn, &code, store)?;
    }
    cursor.close(conn).map_err(at("reading the eligible leads"))
}

/// One enabled mapping of a participating store, with its agent.
#[derive(Queryable)]
struct MappingRow {
    store_code: String,
    agent_id: i64,
    agent_code: Option<String>,
    agent_name: String,
    agent_active: bool,
    priority: i32,
    max_existing_per_lot: Option<i32>,
    max_new_per_lot: Option<i32>,
    max_daily_leads: Option<i32>,
}

/// Enabled mappings of participating stores with their agents (usable or
/// not), what each pair already received on `batch_date` and over the fair
/// window, and the agents' leave on `batch_date`.
fn load_mappings(
    conn: &mut PgConnection,
    batch_date: NaiveDate,
) -> Result<Vec<AgentMapping>, AssignError> {
    let rows: Vec<MappingRow> = slam::table
        .inner_join(am::table)
        .inner_join(sm::table.on(sm::store_code.eq(slam::store_code)))
        .filter(slam::is_enabled.eq(true))
        .filter(sm::assign_leads.eq(true))
        .order((slam::store_code, slam::priority, slam::agent_id))
        .select((
            slam::store_code,
            slam::agent_id,
            am::agent_code,
            am::agent_name,
            am::is_active,
            slam::priority,
            slam::max_existing_per_lot,
            slam::max_new_per_lot,
            slam::max_daily_leads,
        ))
        .load(conn)
        .map_err(at("reading the store/agent mappings"))?;
    let window_start = batch_date - chrono::Duration::days(engine::FAIR_WINDOW_DAYS - 1);
    let today = pair_counts(conn, batch_date, batch_date)?;
    let window = pair_counts(conn, window_start, batch_date)?;
    let leave = leave_on(conn, batch_date)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let key = (r.store_code.clone(), r.agent_id);
            AgentMapping {
                assigned_today: today.get(&key).copied().unwrap_or(0),
                assigned_window: window.get(&key).copied().unwrap_or(0),
                leave: leave.get(&r.agent_id).cloned(),
                store_code: r.store_code,
                agent_id: r.agent_id,
                agent_code: r.agent_code,
                agent_name: r.agent_name,
                agent_active: r.agent_active,
                priority: r.priority,
                max_existing_per_lot: r.max_existing_per_lot,
                max_new_per_lot: r.max_new_per_lot,
                max_daily_leads: r.max_daily_leads,
            }
        })
        .collect())
}

/// Assignments per (store, agent) in batches dated `from..=to`: one query.
pub(crate) fn pair_counts(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<(String, i64), i64>, AssignError> {
    let rows: Vec<(String, i64, i64)> = la::table
        .inner_join(lab::table)
        .filter(lab::batch_date.between(from, to))
        .group_by((la::store_code, la::agent_id))
        .select((la::store_code, la::agent_id, count_star()))
        .load(conn)
        .map_err(at("counting earlier assignments per store and agent"))?;
    Ok(rows.into_iter().map(|(s, a, n)| ((s, a), n)).collect())
}

/// Leave covering `day`, per agent (docs/decisions.md D19): one query.
pub(crate) fn leave_on(
    conn: &mut PgConnection,
    day: NaiveDate,
) -> Result<HashMap<i64, engine::Leave>, AssignError> {
    let rows: Vec<(i64, NaiveDate, Option<String>)> = agent_leave::table
        .filter(agent_leave::first_day.le(day))
        .filter(agent_leave::last_day.ge(day))
        .order((agent_leave::agent_id, agent_leave::last_day))
        .select((
            agent_leave::agent_id,
            agent_leave::last_day,
            agent_leave::reason,
        ))
        .load(conn)
        .map_err(at("reading agent leave"))?;
    // The latest-ending leave wins (leave of one agent never overlaps).
    Ok(rows
        .into_iter()
        .map(|(agent, until, reason)| (agent, engine::Leave { until, reason }))
        .collect())
}

/// Highest rowid already used per page_group_code of the mapped agents today.
fn load_max_rowids(
    conn: &mut PgConnection,
    batch_date: NaiveDate,
    mappings: &[AgentMapping],
) -> Result<HashMap<String, i32>, AssignError> {
    let mut codes: Vec<String> = mappings
        .iter()
        .filter_map(|m| engine::usable_agent_code(m.agent_code.as_deref()).ok())
        .map(|c| engine::page_group_code(batch_date, &c))
        .collect();
    codes.sort();
    codes.dedup();
    let rows: Vec<(String, Option<i32>)> = la::table
        .filter(la::page_group_code.eq_any(&codes))
        .group_by(la::page_group_code)
        .select((la::page_group_code, max(la::rowid)))
        .load(conn)
        .map_err(at("reading today's highest rowids"))?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, m)| Some((c, m?)))
        .collect())
}

/// The assignments of a run, written as the stores are dealt: `COPY` in
/// chunks, then the flags in one `UPDATE` over the batch's leads, and both
/// counts checked. Without a batch (a dry run) nothing is written.
struct RowWriter {
    batch_id: Option<i64>,
    buffer: Vec<NewLeadAssignment>,
    written: usize,
}

impl RowWriter {
    fn new(batch_id: Option<i64>) -> RowWriter {
        RowWriter {
            batch_id,
            buffer: Vec::with_capacity(COPY_CHUNK),
            written: 0,
        }
    }

    fn push(
        &mut self,
        conn: &mut PgConnection,
        planned: Vec<engine::PlannedAssignment>,
    ) -> Result<(), AssignError> {
        let Some(batch_id) = self.batch_id else {
            return Ok(());
        };
        self.buffer
            .extend(planned.into_iter().map(|a| row(batch_id, a)));
        if self.buffer.len() >= COPY_CHUNK {
            self.flush(conn)?;
        }
        Ok(())
    }

    fn flush(&mut self, conn: &mut PgConnection) -> Result<(), AssignError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let copied = diesel::copy_from(la::table)
            .from_insertable(&self.buffer)
            .execute(conn)
            .map_err(at("inserting the assignments"))?;
        if copied != self.buffer.len() {
            return Err(AssignError::CountMismatch {
                step: "inserting the assignments",
                expected: self.buffer.len(),
                actual: copied,
            });
        }
        self.written += copied;
        self.buffer.clear();
        Ok(())
    }

    /// The last rows, then every assigned lead's flag in one statement.
    fn finish(mut self, conn: &mut PgConnection) -> Result<(), AssignError> {
        self.flush(conn)?;
        let Some(batch_id) = self.batch_id.filter(|_| self.written > 0) else {
            return Ok(());
        };
        let updated =
            sql::mark_assigned(conn, batch_id).map_err(at("marking the assigned leads"))?;
        if updated != self.written {
            return Err(AssignError::CountMismatch {
                step: "marking the assigned leads",
                expected: self.written,
                actual: updated,
            });
        }
        Ok(())
    }
}

/// The `lead_assignments` row of a planned assignment.
fn row(batch_id: i64, a: engine::PlannedAssignment) -> NewLeadAssignment {
    NewLeadAssignment {
        assignment_batch_id: batch_id,
        lead_id: a.lead_id,
        agent_id: a.agent_id,
        page_group_code: a.page_group_code,
        rowid: a.rowid,
        lead_assignment_code: a.lead_assignment_code,
        store_code: a.store_code,
        store_name: a.store_name,
        lead_date: a.lead_date,
        lead_type: Some(a.lead_type),
        mobile_number: a.mobile_number,
        cx_name: a.cx_name,
        address: a.address,
        lead_source: a.lead_source,
    }
}
