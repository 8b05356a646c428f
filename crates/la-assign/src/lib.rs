//! Lead assignment: which eligible missed lead goes to which agent. It owns the
//! pure [`engine`] (every cap and distribution rule) and [`run_leads_assignment`],
//! which reads the eligible leads, plans with the engine, and writes the batch,
//! the assignments and the `lead_assigned` flags in one transaction
//! (docs/decisions.md S4.1, S5 rules 1–4, D1–D8).
//!
//! API: [`run_leads_assignment`] (and [`run_leads_assignment_observed`] with
//! a [`PlanObserver`]), [`AssignOptions`], [`AssignmentReport`],
//! [`business_date`], [`read_engine_input`]; [`engine`] for planning without
//! writing (diagnostics); [`leave`] for agent leave. Its SQL is in one
//! private module.

pub mod engine;
pub mod leave;
mod persist;
mod report;
mod sql;

pub use persist::{
    business_date, read_engine_input, run_leads_assignment, run_leads_assignment_observed,
    AssignError, AssignOptions, BatchStart, PlanObserver,
};
pub use report::{AssignmentReport, StoreReport};
