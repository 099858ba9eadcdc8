//! Orders resources so that each comes after everything it depends on, keeping the planner's order otherwise.

use std::collections::HashSet;

use super::PlanError;
use crate::model::PlannedResource;

pub fn by_dependencies(resources: Vec<PlannedResource>) -> Result<Vec<PlannedResource>, PlanError> {
    let mut pending = resources;
    let mut placed: HashSet<String> = HashSet::with_capacity(pending.len());
    let mut ordered: Vec<PlannedResource> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|r| r.depends_on.iter().all(|d| placed.contains(d)));
        let Some(i) = ready else {
            let names: Vec<&str> = pending.iter().map(|r| r.name.as_str()).collect();
            return Err(PlanError::new(
                "components",
                format!(
                    "the resources {} depend on each other or on something missing; this is a bug in rift, please report the request",
                    names.join(", ")
                ),
            ));
        };
        let next = pending.remove(i);
        placed.insert(next.name.clone());
        ordered.push(next);
    }
    Ok(ordered)
}
