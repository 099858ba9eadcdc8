//! Why a change cannot be proposed, approved or run. Messages are shown to the agent: they name the field or rule
//! and what would be valid, and never carry a secret.

use crate::approval::ApprovalError;
use crate::engine::EngineError;
use crate::planner::PlanError;
use crate::pricing::PricingError;
use crate::project::ProjectError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// An argument the change cannot take.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The resource is not in a state the change can act on.
    #[error("{0}")]
    Conflict(String),
    /// The policy refuses: every rule broken, with its numbers.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Approval(#[from] ApprovalError),
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Project(#[from] ProjectError),
    #[error("{0}")]
    Pricing(#[from] PricingError),
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The change was run and nothing was done: what failed, step by step.
    #[error("{0}")]
    Failed(String),
}

impl ChangeError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> ChangeError {
        ChangeError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
