//! Requirements → plan: validates a deployment request against the mapping, sizes every component, derives the
//! networks and firewalls it needs, and orders the resources by their dependencies.

mod derive;
mod order;
mod resolve;

use sha2::{Digest, Sha256};

use crate::model::{DeploymentRequest, Plan, Provider};

pub use resolve::DEFAULT_NAME;

/// A request the planner cannot turn into a plan: which field, and what would be valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PlanError {
    pub field: String,
    pub message: String,
}

impl PlanError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Plans a deployment. The same request always gives the same plan, with the same id.
pub fn plan(request: &DeploymentRequest) -> Result<Plan, PlanError> {
    let resolved = resolve::resolve(request)?;
    let mut warnings = resolved.warnings.clone();
    let resources = derive::resources(&resolved, &mut warnings)?;
    let resources = order::by_dependencies(resources)?;
    let mut providers: Vec<Provider> = resources.iter().map(|r| r.provider).collect();
    providers.sort();
    providers.dedup();
    let mut seen = std::collections::BTreeSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    Ok(Plan {
        plan_id: plan_id(&resolved.normalized_request()),
        name: resolved.name.clone(),
        providers,
        resources,
        warnings,
    })
}

fn plan_id(request: &DeploymentRequest) -> String {
    let canonical = serde_json::to_vec(request).unwrap_or_default();
    let digest = Sha256::digest(&canonical);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("plan-{hex}")
}

#[cfg(test)]
mod tests;
