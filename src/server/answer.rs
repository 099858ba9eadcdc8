//! What a mutating tool answers: a preview with the token that approves it, or what the approved change did or
//! is doing — the one output shape of every mutating tool, and of a task once its change ended.

use rmcp::Json;
use schemars::JsonSchema;
use serde::Serialize;

use super::error::ToolError;
use crate::change::{Outcome, Proposal};
use crate::model::Micros;
use crate::project::usd;
use crate::store::{ChangeRecord, ChangeState};

/// A preview (with the token that approves it), or what the execution did or is doing. Lines of text rather than
/// nested objects: this type is the output schema of eleven tools, and tools/list is context an agent pays for.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChangeAnswer {
    pub status: ChangeStatus,
    /// Preview: one line per resource (action, name, provider, kind, region, size, cost per month). Executed: what
    /// happened to each ("created NAME CLOUD-ID", "failed NAME: why", ...). Running: what it does.
    pub changes: Vec<String>,
    pub monthly_cost_delta: f64,
    /// The project's monthly cost after the change.
    pub monthly_cost_after: f64,
    /// The policy verdict with its numbers (cost now, budget, caps).
    pub policy: String,
    /// Preview only: call the same tool with the same arguments plus this token to execute.
    pub approval_token: Option<String>,
    /// Once approved: the change's id, for get_change and cancel_change.
    pub change_id: Option<String>,
    pub message: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    Preview,
    Executed,
    /// Executed, but some resources failed or were skipped: see changes.
    Partial,
    /// Still running in the background: get_change shows how it ends.
    Running,
    Cancelled,
    /// Nothing to do (e.g. deleting what is already deleted).
    Unchanged,
}

/// The preview of a proposal (also the start of every answer about it).
pub(super) fn preview(proposal: &Proposal) -> ChangeAnswer {
    ChangeAnswer {
        status: ChangeStatus::Preview,
        changes: proposal.lines(),
        monthly_cost_delta: usd(proposal.cost_delta),
        monthly_cost_after: usd(proposal.cost_now + proposal.cost_delta),
        policy: proposal.policy.clone(),
        approval_token: None,
        change_id: None,
        message: String::new(),
        warnings: proposal.warnings.clone(),
    }
}

/// The answer once a change ran (or runs on): a change that did nothing is an error result.
pub(super) fn executed(
    mut answer: ChangeAnswer,
    outcome: Outcome,
    cost_now: Micros,
) -> Result<Json<ChangeAnswer>, ToolError> {
    answer.status = match outcome.state {
        ChangeState::Succeeded => ChangeStatus::Executed,
        ChangeState::Partial => ChangeStatus::Partial,
        ChangeState::Running => ChangeStatus::Running,
        ChangeState::Cancelled => ChangeStatus::Cancelled,
        ChangeState::Failed | ChangeState::Interrupted => {
            let mut message = outcome.message;
            for step in &outcome.steps {
                message.push_str(&format!("\n- {step}"));
            }
            message.push_str(&format!("\n(change {})", outcome.change_id));
            return Err(ToolError::new(message));
        }
    };
    if outcome.state != ChangeState::Running {
        answer.monthly_cost_delta = usd(outcome.cost_delta);
        answer.monthly_cost_after = usd(cost_now + outcome.cost_delta);
    }
    answer.changes = outcome.steps;
    answer.message = outcome.message;
    answer.change_id = Some(outcome.change_id);
    Ok(Json(answer))
}

/// The answer a change that ran in the background would have given its call, from its record (for the task the
/// call became). Its preview is gone by then, so the policy line says only that it was judged.
pub(super) fn finished_answer(
    record: &ChangeRecord,
    cost_after: Micros,
) -> Result<Json<ChangeAnswer>, ToolError> {
    let outcome = Outcome::from(record);
    let answer = ChangeAnswer {
        status: ChangeStatus::Running,
        changes: vec![],
        monthly_cost_delta: 0.0,
        monthly_cost_after: 0.0,
        policy: "judged by the policy and approved before it started".to_string(),
        approval_token: None,
        change_id: None,
        message: String::new(),
        warnings: vec![],
    };
    let cost_before = cost_after - outcome.cost_delta;
    executed(answer, outcome, cost_before)
}
