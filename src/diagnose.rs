//! Per-store diagnostics: what the next run would do for each store and, in
//! one sentence, why its leads would not be assigned or emailed. Read-only.
//! The `diagnose` command prints these; the run-summary email uses them.

use std::collections::{BTreeMap, BTreeSet};

use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use la_assign::engine::{self, Cap, LeadType};
use la_schema::schema::{
    lead_assignments as la, missed_leads as ml, store_lead_assignment_map as slam,
    store_master as sm,
};
use serde::Serialize;

/// What to diagnose.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseOptions {
    /// Only this store (case-insensitive).
    pub store: Option<String>,
    /// Env whose recipients count.
    pub run_env: la_notify::RunEnv,
    /// Session time zone for the business date (docs/decisions.md D5).
    pub timezone: Option<String>,
}

/// One mapped agent as the next run sees it.
#[derive(Debug, Clone, Serialize)]
pub struct AgentDiagnosis {
    pub agent_id: i64,
    pub agent_code: Option<String>,
    pub agent_name: String,
    pub priority: i32,
    /// None when usable; else why not.
    pub unusable: Option<String>,
    pub assigned_today: i64,
    /// Leads of the store over the fair-deal window (28 days, today included).
    pub assigned_window: i64,
    pub max_daily_leads: Option<i32>,
    pub max_existing_per_lot: Option<i32>,
    pub max_new_per_lot: Option<i32>,
    /// Leads the next run would give this agent.
    pub next_run: u32,
    /// Caps exhausted after the next run.
    pub caps_reached: Vec<Cap>,
}

/// Everything about one store.
#[derive(Debug, Clone, Serialize)]
pub struct StoreDiagnosis {
    pub store_code: String,
    pub store_name: Option<String>,
    pub in_store_master: bool,
    pub assign_leads: bool,
    pub enabled_mappings: usize,
    pub agents: Vec<AgentDiagnosis>,
    /// Unassigned leads whose order was not placed (eligible or not).
    pub waiting_leads: i64,
    pub eligible_existing: u32,
    pub eligible_new: u32,
    /// Leads the next run would assign.
    pub next_run_assigns: u32,
    /// Active recipients of the store's email in the env (store-less ones included).
    pub recipients: usize,
    /// The newest batch that assigned leads of this store, and its sheets on disk.
    pub last_batch: Option<i64>,
    pub last_batch_sheets_missing: Vec<String>,
    /// Sheets of the store with no outcome for any lead, 2 or more days
    /// after their batch (docs/decisions.md D21), oldest first.
    pub outstanding_sheets: Vec<la_report::OutstandingSheet>,
    /// Every reason its leads would not be assigned or emailed (empty: all well).
    pub reasons: Vec<String>,
    /// One sentence.
    pub verdict: String,
}

/// Why diagnostics failed.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error("diagnose: {0}")]
    Assign(#[from] la_assign::AssignError),
    #[error("diagnose: {step}: {source}")]
    Query {
        step: &'static str,
        source: diesel::result::Error,
    },
}

fn at(step: &'static str) -> impl FnOnce(diesel::result::Error) -> DiagnoseError {
    move |source| DiagnoseError::Query { step, source }
}

/// Diagnoses every store (in store_master, mapped, or with waiting leads), or one.
pub fn diagnose(
    conn: &mut PgConnection,
    options: &DiagnoseOptions,
) -> Result<Vec<StoreDiagnosis>, DiagnoseError> {
    // A read-only transaction: nothing can be written (the time zone is transaction-local).
    conn.build_transaction()
        .read_only()
        .run(|conn| diagnose_in_tx(conn, options))
}

impl From<diesel::result::Error> for DiagnoseError {
    fn from(source: diesel::result::Error) -> Self {
        DiagnoseError::Query {
            step: "read-only transaction",
            source,
        }
    }
}

fn diagnose_in_tx(
    conn: &mut PgConnection,
    options: &DiagnoseOptions,
) -> Result<Vec<StoreDiagnosis>, DiagnoseError> {
    let batch_date = la_assign::business_date(conn, options.timezone.as_deref())?;
    let input = la_assign::read_engine_input(conn, batch_date)?;
    let plan = engine::plan(&input);
    let facts = StoreRecords::read(conn, options.run_env)?;
    let mut codes = facts.store_codes();
    if let Some(only) = &options.store {
        codes.retain(|c| c.eq_ignore_ascii_case(only.trim()));
    }
    let outstanding = la_report::outstanding_sheets(
        conn,
        &la_report::OutstandingFilter {
            today: batch_date,
            older_than_days: la_report::DEFAULT_OUTSTANDING_DAYS,
            since: None,
            stores: options.store.iter().cloned().collect(),
        },
    )
    .map_err(at("reading the outstanding sheets"))?;
    Ok(codes
        .into_iter()
        .map(|code| {
            let mut d = store_diagnosis(code, &facts, &input, &plan, options.run_env);
            d.outstanding_sheets = outstanding
                .iter()
                .filter(|s| s.store_code.eq_ignore_ascii_case(&d.store_code))
                .cloned()
                .collect();
            d
        })
        .collect())
}

/// A store_master row as diagnostics use it.
struct StoreRow {
    name: Option<String>,
    assign_leads: bool,
}

/// What diagnostics read besides the engine's input: per store code.
struct StoreRecords {
    /// Each store in store_master.
    stores: BTreeMap<String, StoreRow>,
    enabled_mappings: BTreeMap<String, i64>,
    waiting: BTreeMap<String, i64>,
    last_batch: BTreeMap<String, i64>,
    setup: Option<la_notify::resolve::Setup>,
    /// The last batches' sheets and their states (as `la_pdf` judges them).
    sheets: Vec<la_pdf::ExpectedSheet>,
}

impl StoreRecords {
    fn read(
        conn: &mut PgConnection,
        run_env: la_notify::RunEnv,
    ) -> Result<StoreRecords, DiagnoseError> {
        let stores: Vec<(String, Option<String>, bool)> = sm::table
            .select((sm::store_code, sm::store_name, sm::assign_leads))
            .load(conn)
            .map_err(at("reading store_master"))?;
        let enabled_mappings: Vec<(String, i64)> = slam::table
            .filter(slam::is_enabled.eq(true))
            .group_by(slam::store_code)
            .select((slam::store_code, count_star()))
            .load(conn)
            .map_err(at("counting mappings"))?;
        let waiting: Vec<(String, i64)> = ml::table
            .filter(sql::<Bool>(&la_schema::eligibility::waiting(
                "missed_leads",
            )))
            .group_by(ml::store_code)
            .select((ml::store_code, count_star()))
            .load(conn)
            .map_err(at("counting waiting leads"))?;
        let last_batches: Vec<(String, Option<i64>)> = la::table
            .group_by(la::store_code)
            .select((la::store_code, diesel::dsl::max(la::assignment_batch_id)))
            .load(conn)
            .map_err(at("finding each store's last batch"))?;
        let setup =
            la_notify::resolve::resolve(conn, run_env).map_err(at("resolving recipients"))?;
        let last_batch: BTreeMap<String, i64> = last_batches
            .into_iter()
            .filter_map(|(s, b)| Some((s, b?)))
            .collect();
        let batch_ids: BTreeSet<i64> = last_batch.values().copied().collect();
        let batch_ids: Vec<i64> = batch_ids.into_iter().collect();
        let sheets = la_pdf::batch_sheets(conn, &batch_ids).map_err(at("reading sheets"))?;
        Ok(StoreRecords {
            stores: stores
                .into_iter()
                .map(|(code, name, assign_leads)| (code, StoreRow { name, assign_leads }))
                .collect(),
            enabled_mappings: enabled_mappings.into_iter().collect(),
            waiting: waiting.into_iter().collect(),
            last_batch,
            setup,
            sheets,
        })
    }

    /// Every store in store_master, mapped, or with waiting leads.
    fn store_codes(&self) -> BTreeSet<String> {
        let mut codes: BTreeSet<String> = self.stores.keys().cloned().collect();
        codes.extend(self.enabled_mappings.keys().cloned());
        codes.extend(self.waiting.keys().cloned());
        codes
    }

    /// The recipients of `code`'s email for the env (store-less ones included).
    fn recipients(&self, code: &str) -> usize {
        self.setup.as_ref().map_or(0, |s| {
            la_notify::plan::group(s.recipients.iter().filter(|r| r.matches_store(code)))
                .all()
                .count()
        })
    }

    /// The store's sheets of its last batch that are not on disk.
    /// The store's sheets of `batch` that are not on disk as written
    /// (docs/decisions.md D26), as `file (state)`.
    fn sheets_missing(&self, code: &str, batch: i64) -> Vec<String> {
        let mine: Vec<&la_pdf::ExpectedSheet> = self
            .sheets
            .iter()
            .filter(|s| s.batch_id == batch && s.store_code == code)
            .collect();
        if mine.is_empty() {
            return vec![format!("no sheet registered for batch {batch}")];
        }
        mine.iter()
            .filter(|s| s.state != la_pdf::SheetState::Ok)
            .map(|s| format!("{} ({})", s.file_name, s.state))
            .collect()
    }
}

fn store_diagnosis(
    code: String,
    facts: &StoreRecords,
    input: &engine::EngineInput,
    plan: &engine::Plan,
    run_env: la_notify::RunEnv,
) -> StoreDiagnosis {
    let row = facts.stores.get(&code);
    let agents = agent_diagnoses(&code, input, plan);
    let eligible = |t: LeadType| {
        input
            .leads
            .iter()
            .filter(|l| l.store_code == code && l.lead_type() == t)
            .count() as u32
    };
    let last_batch = facts.last_batch.get(&code).copied();
    let mut d = StoreDiagnosis {
        store_name: row.and_then(|r| r.name.clone()),
        in_store_master: row.is_some(),
        assign_leads: row.is_some_and(|r| r.assign_leads),
        enabled_mappings: facts.enabled_mappings.get(&code).copied().unwrap_or(0) as usize,
        waiting_leads: facts.waiting.get(&code).copied().unwrap_or(0),
        eligible_existing: eligible(LeadType::Existing),
        eligible_new: eligible(LeadType::New),
        next_run_assigns: agents.iter().map(|a| a.next_run).sum(),
        recipients: facts.recipients(&code),
        last_batch,
        last_batch_sheets_missing: last_batch
            .map(|b| facts.sheets_missing(&code, b))
            .unwrap_or_default(),
        store_code: code,
        agents,
        outstanding_sheets: Vec::new(),
        reasons: Vec::new(),
        verdict: String::new(),
    };
    d.reasons = reasons(&d, run_env.as_str(), facts.setup.is_some());
    d.verdict = d.reasons.first().cloned().unwrap_or_else(|| {
        if d.next_run_assigns > 0 {
            format!("ok: the next run assigns {} lead(s)", d.next_run_assigns)
        } else {
            "ok: nothing waiting".to_string()
        }
    });
    d
}

/// The store's mapped agents as the next run sees them, by priority then id.
fn agent_diagnoses(
    code: &str,
    input: &engine::EngineInput,
    plan: &engine::Plan,
) -> Vec<AgentDiagnosis> {
    let mut agents: Vec<AgentDiagnosis> = input
        .mappings
        .iter()
        .filter(|m| m.store_code == code)
        .map(|m| {
            let pair = plan
                .pairs
                .iter()
                .find(|p| p.store_code == code && p.agent_id == m.agent_id);
            let skipped = plan
                .skipped_agents
                .iter()
                .find(|s| s.store_code == code && s.agent_id == m.agent_id);
            AgentDiagnosis {
                agent_id: m.agent_id,
                agent_code: m.agent_code.as_deref().map(|c| c.trim_end().to_string()),
                agent_name: m.agent_name.clone(),
                priority: m.priority,
                unusable: skipped.map(|s| s.reason.to_string()),
                assigned_today: m.assigned_today,
                assigned_window: m.assigned_window,
                max_daily_leads: m.max_daily_leads,
                max_existing_per_lot: m.max_existing_per_lot,
                max_new_per_lot: m.max_new_per_lot,
                next_run: pair.map_or(0, |p| p.existing_assigned + p.new_assigned),
                caps_reached: pair.map(|p| p.caps_reached.clone()).unwrap_or_default(),
            }
        })
        .collect();
    agents.sort_by_key(|a| (a.priority, a.agent_id));
    agents
}

fn reasons(d: &StoreDiagnosis, env: &str, profile: bool) -> Vec<String> {
    let mut r: Vec<String> = assignment_reason(d).into_iter().collect();
    r.extend(skipped_reason(d));
    r.extend(delivery_reasons(d, env, profile));
    r
}

/// The first reason its leads would not all be assigned, if any.
fn assignment_reason(d: &StoreDiagnosis) -> Option<String> {
    let eligible = d.eligible_existing + d.eligible_new;
    if !d.in_store_master {
        return Some(format!(
            "not in store_master: its {} waiting lead(s) are never assigned",
            d.waiting_leads
        ));
    }
    if !d.assign_leads {
        return Some(format!(
            "assign_leads is false: its {} waiting lead(s) are never assigned",
            d.waiting_leads
        ));
    }
    if d.enabled_mappings == 0 {
        return Some(format!(
            "no enabled agent mapping: its {} waiting lead(s) are never assigned",
            d.waiting_leads
        ));
    }
    if d.agents.iter().all(|a| a.unusable.is_some()) {
        let why: Vec<String> = d
            .agents
            .iter()
            .map(|a| {
                format!(
                    "{} {}",
                    a.agent_code
                        .clone()
                        .unwrap_or_else(|| format!("agent {}", a.agent_id)),
                    a.unusable.clone().unwrap_or_default()
                )
            })
            .collect();
        return Some(format!(
            "no usable agent ({}): {eligible} eligible lead(s) wait",
            why.join("; ")
        ));
    }
    if d.next_run_assigns < eligible {
        let capped: Vec<String> = d
            .agents
            .iter()
            .filter(|a| a.unusable.is_none())
            .map(|a| {
                let caps: Vec<String> = a.caps_reached.iter().map(ToString::to_string).collect();
                format!(
                    "{} {}",
                    a.agent_code.clone().unwrap_or_default(),
                    if caps.is_empty() {
                        "no cap".into()
                    } else {
                        caps.join("+")
                    }
                )
            })
            .collect();
        return Some(format!(
            "{} of {eligible} eligible lead(s) wait: every agent is capped for their type ({})",
            eligible - d.next_run_assigns,
            capped.join("; ")
        ));
    }
    None
}

/// The agents that are skipped while others still work.
fn skipped_reason(d: &StoreDiagnosis) -> Option<String> {
    let skipped: Vec<String> = d
        .agents
        .iter()
        .filter_map(|a| {
            Some(format!(
                "{}: {}",
                a.agent_code
                    .clone()
                    .unwrap_or_else(|| format!("agent {}", a.agent_id)),
                a.unusable.clone()?
            ))
        })
        .collect();
    (!skipped.is_empty() && d.agents.iter().any(|a| a.unusable.is_none()))
        .then(|| format!("agents skipped: {}", skipped.join("; ")))
}

/// Why its sheets would not be emailed or are missing.
fn delivery_reasons(d: &StoreDiagnosis, env: &str, profile: bool) -> Vec<String> {
    let mut r = Vec::new();
    if d.assign_leads && d.enabled_mappings > 0 {
        if !profile {
            r.push(format!(
                "no active leads_assignment notification profile for env {env}: nothing is emailed"
            ));
        } else if d.recipients == 0 {
            r.push(format!(
                "no active recipient for env {env}: its sheets are not emailed"
            ));
        }
    }
    if !d.last_batch_sheets_missing.is_empty() {
        let b = d.last_batch.unwrap_or_default();
        r.push(format!(
            "sheets of batch {b} missing on disk ({}): run `leads-assignment pdf --batch {b}`",
            d.last_batch_sheets_missing.join(", ")
        ));
    }
    r
}
