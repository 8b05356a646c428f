//! The run's `pipeline_run_summaries` row: written `running` when a run
//! starts, completed at its end. While it runs, the run's connection holds a
//! session advisory lock keyed by the row's id; a later run that finds a
//! `running` row whose lock nobody holds knows its process is gone and marks
//! it `interrupted`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use la_schema::codes::RunEnv;
use la_schema::locks;
use la_schema::models::NewRunSummary;
use la_schema::schema::pipeline_run_summaries as prs;

use crate::report::{OverallStatus, PhaseReport};
use crate::runner::PIPELINE_NAME;

/// A run's row, while the run holds its lock.
#[derive(Debug)]
pub(crate) struct RunRecord {
    pub id: i64,
    /// The run id as stored (`{run_id}:leads_assignment` when a host's row
    /// already uses the run id).
    pub run_id: String,
}

/// What goes into the row.
pub(crate) struct RowValues<'a> {
    pub run_id: &'a str,
    pub env: RunEnv,
    pub started_at: DateTime<Utc>,
    pub report_date: Option<NaiveDate>,
    pub status: OverallStatus,
    pub text: &'a str,
    pub phases: &'a [PhaseReport],
    pub metrics: serde_json::Value,
}

impl RowValues<'_> {
    fn row(&self) -> NewRunSummary {
        let finished_at = Utc::now();
        let secs = (finished_at - self.started_at).num_seconds().max(0);
        let running = self.status == OverallStatus::Running;
        NewRunSummary {
            pipeline_name: PIPELINE_NAME.into(),
            run_id: self.run_id.chars().take(64).collect(),
            run_env: Some(self.env),
            started_at: Some(self.started_at),
            finished_at: (!running).then_some(finished_at),
            total_time_taken: (!running)
                .then(|| format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)),
            report_date: self.report_date,
            overall_status: Some(self.status),
            summary_text: Some(self.text.into()),
            phases_json: serde_json::to_value(self.phases).ok(),
            metrics_json: Some(self.metrics.clone()),
        }
    }
}

impl RunRecord {
    /// Writes the row (status `running`, or a final status for a run that
    /// ends at once) and, while running, takes the run's lock.
    pub fn start(conn: &mut PgConnection, values: &RowValues<'_>) -> QueryResult<RunRecord> {
        let (id, run_id) = insert_or_update(conn, values.row())?;
        if values.status == OverallStatus::Running {
            locks::lock(conn, locks::RUN, id)?;
        }
        Ok(RunRecord { id, run_id })
    }

    /// Completes the row and releases the lock.
    pub fn complete(&self, conn: &mut PgConnection, values: &RowValues<'_>) -> QueryResult<()> {
        let mut row = values.row();
        row.run_id.clone_from(&self.run_id);
        update(conn, self.id, &row)?;
        locks::unlock(conn, locks::RUN, self.id)
    }
}

/// Marks `running` rows of this pipeline whose process is gone (nobody holds
/// their lock) `interrupted`; returns their run ids.
pub(crate) fn mark_interrupted(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    let running: Vec<(i64, String)> = prs::table
        .filter(prs::pipeline_name.eq(PIPELINE_NAME))
        .filter(prs::overall_status.eq(OverallStatus::Running))
        .select((prs::id, prs::run_id))
        .order(prs::id)
        .load(conn)?;
    let mut marked = Vec::new();
    for (id, run_id) in running {
        if !locks::try_lock(conn, locks::RUN, id)? {
            continue;
        }
        let note = " [interrupted: the process ended before the run finished; a later run finishes its batch]";
        diesel::update(prs::table.find(id))
            .filter(prs::overall_status.eq(OverallStatus::Running))
            .set((
                prs::overall_status.eq(OverallStatus::Interrupted),
                prs::finished_at.eq(Utc::now()),
                prs::summary_text.eq(prs::summary_text.concat(note)),
            ))
            .execute(conn)?;
        locks::unlock(conn, locks::RUN, id)?;
        log::warn!("run {run_id} was still `running` but its process is gone: marked interrupted");
        marked.push(run_id);
    }
    Ok(marked)
}

fn update(conn: &mut PgConnection, id: i64, row: &NewRunSummary) -> QueryResult<usize> {
    diesel::update(prs::table.find(id))
        .set((
            prs::run_env.eq(&row.run_env),
            prs::started_at.eq(row.started_at),
            prs::finished_at.eq(row.finished_at),
            prs::total_time_taken.eq(&row.total_time_taken),
            prs::report_date.eq(row.report_date),
            prs::overall_status.eq(&row.overall_status),
            prs::summary_text.eq(&row.summary_text),
            prs::phases_json.eq(&row.phases_json),
            prs::metrics_json.eq(&row.metrics_json),
        ))
        .execute(conn)
}

/// Inserts the run's row, or updates this pipeline's earlier row of the same
/// run id. When the run id belongs to another pipeline's row (a host pipeline
/// passing its own id), the row is stored as `{run_id}:leads_assignment`.
fn insert_or_update(conn: &mut PgConnection, mut row: NewRunSummary) -> QueryResult<(i64, String)> {
    conn.transaction(|conn| {
        for _ in 0..2 {
            let ours: Option<i64> = prs::table
                .filter(prs::run_id.eq(&row.run_id))
                .filter(prs::pipeline_name.eq(PIPELINE_NAME))
                .select(prs::id)
                .first(conn)
                .optional()?;
            if let Some(id) = ours {
                update(conn, id, &row)?;
                return Ok((id, row.run_id));
            }
            let inserted: Option<i64> = diesel::insert_into(prs::table)
                .values(&row)
                .on_conflict(prs::run_id)
                .do_nothing()
                .returning(prs::id)
                .get_result(conn)
                .optional()?;
            if let Some(id) = inserted {
                return Ok((id, row.run_id));
            }
            // The id is another pipeline's row: keep ours beside it.
            let suffix = ":leads_assignment";
            let base: String = row.run_id.chars().take(64 - suffix.len()).collect();
            row.run_id = format!("{base}{suffix}");
        }
        Err(diesel::result::Error::NotFound)
    })
}
