//! A project's incidents as recorded, and its health per cloud, from what rift has recorded (no cloud is asked): its resources by state and
//! the incidents not yet resolved, with the metric each is about. `list_incidents` refreshes the incidents.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::{ProjectError, Projects};
use crate::model::{Incident, Provider};
use crate::store::StoredResource;

/// Unresolved incidents a summary reads at most.
pub const INCIDENTS_READ: u32 = 500;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CloudHealth {
    pub provider: Provider,
    /// Resources by state (intended, created, failed, deleted, gone).
    pub resources: BTreeMap<String, u32>,
    pub open_incidents: u32,
    /// One line per unresolved incident: "memory_percent on shop-web (web_server): open since …".
    pub alerting: Vec<String>,
}

/// The health of each cloud the project uses or holds resources on.
pub fn summarize(
    providers: &[Provider],
    resources: &[StoredResource],
    incidents: &[Incident],
) -> Vec<CloudHealth> {
    Provider::ALL
        .into_iter()
        .filter(|p| providers.contains(p) || resources.iter().any(|r| r.provider == *p))
        .map(|provider| {
            let mut by_state: BTreeMap<String, u32> = BTreeMap::new();
            for r in resources.iter().filter(|r| r.provider == provider) {
                *by_state.entry(r.state.as_str().to_string()).or_default() += 1;
            }
            let alerting: Vec<String> = incidents
                .iter()
                .filter(|i| i.provider == provider)
                .map(|i| {
                    format!(
                        "{} on {} ({}): {} since {}",
                        i.metric,
                        i.resource,
                        i.kind,
                        i.state.as_str(),
                        i.opened_at
                    )
                })
                .collect();
            CloudHealth {
                provider,
                resources: by_state,
                open_incidents: u32::try_from(alerting.len()).unwrap_or(u32::MAX),
                alerting,
            }
        })
        .collect()
}

impl Projects {
    /// One incident of the project, or an error saying where its incidents are listed.
    pub fn incident(&self, project_id: &str, id: &str) -> Result<Incident, ProjectError> {
        let project = self.get(project_id)?;
        match self.store.incident(id)? {
            Some(incident) if incident.project_id == project.id => Ok(incident),
            _ => Err(ProjectError::invalid(
                "incident_id",
                format!(
                    "project {} has no incident {}; list_incidents lists them",
                    project.id,
                    crate::model::quote(id)
                ),
            )),
        }
    }

    /// The project's unresolved incidents, as last gathered (no cloud is asked).
    pub fn open_incidents(&self, id: &str) -> Result<Vec<Incident>, ProjectError> {
        let project = self.get(id)?;
        Ok(self.store.incidents(&project.id, false, INCIDENTS_READ)?)
    }

    /// The project's health per cloud, and its unresolved incidents.
    pub fn health(&self, id: &str) -> Result<(Vec<CloudHealth>, Vec<Incident>), ProjectError> {
        let project = self.get(id)?;
        let resources = self.store.resources(&project.id)?;
        let incidents = self.store.incidents(&project.id, false, INCIDENTS_READ)?;
        Ok((
            summarize(&project.cloud_providers, &resources, &incidents),
            incidents,
        ))
    }
}
