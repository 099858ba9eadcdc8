//! Remediation as a change: the fixes that fit an incident (each with why it is offered), and the proposal of
//! one — a reboot (a server, an RDS instance), or the next size up through the resize path. The outcome goes on the incident's timeline.

use serde::Serialize;
use serde_json::json;

use super::propose::Draft;
use super::{Action, ChangeError, Changes, Remedy, Resize, Step, Work};
use crate::mapping;
use crate::model::{Comparison, Incident, IncidentState, Metric, Project, Provider, ResourceKind};
use crate::pricing::Micros;
use crate::project::monthly_cost;
use crate::store::{ResourceState, StoredResource};

/// A fix `remediate` can propose for an incident, and why it fits.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Offer {
    pub remedy: Remedy,
    pub why: String,
}

/// The fixes that fit an incident on this resource, for get_incident.
pub fn offers(
    incident: &Incident,
    comparison: Comparison,
    resource: &StoredResource,
) -> Vec<Offer> {
    let mut offers = Vec::new();
    if resource.state != ResourceState::Created || comparison != Comparison::Above {
        return offers;
    }
    let pressure = matches!(
        incident.metric,
        Metric::CpuPercent | Metric::MemoryPercent | Metric::Connections
    );
    if pressure && let Some(how) = reboot_of(resource.provider, resource.kind) {
        offers.push(Offer {
            remedy: Remedy::Reboot,
            why: format!(
                "{} stays high on {}: a runaway process, leak or stuck connections clear on a reboot ({how}), \
                 without a cost change",
                incident.metric, resource.name
            ),
        });
    }
    if pressure
        && let Some(size) = resource.size.as_deref()
        && let Some(next) = mapping::next_size_up(resource.provider, resource.kind, size)
    {
        offers.push(Offer {
            remedy: Remedy::ResizeUp,
            why: format!(
                "{} stays high on {}: {size} → {} ({} vCPU, {} GB) adds capacity if the load is real; the preview \
                 shows the cost",
                incident.metric, resource.name, next.slug, next.vcpus, next.memory_gb
            ),
        });
    }
    offers
}

/// How rift reboots a resource of this kind on this cloud, if it can.
fn reboot_of(provider: Provider, kind: ResourceKind) -> Option<&'static str> {
    match (provider, kind) {
        (Provider::Aws, ResourceKind::WebServer) => Some("EC2 RebootInstances"),
        (Provider::Aws, ResourceKind::Database) => {
            Some("RDS RebootDBInstance, failing over to the standby when Multi-AZ")
        }
        (Provider::Digitalocean, ResourceKind::WebServer) => {
            Some("droplet reboot, then power_cycle if it does not come back")
        }
        _ => None,
    }
}

impl Changes {
    pub(super) fn draft_remedy(
        &self,
        project: &Project,
        incident_id: &str,
        remedy: Remedy,
    ) -> Result<(Draft, Work), ChangeError> {
        let incident = self.projects.incident(&project.id, incident_id)?;
        if incident.state == IncidentState::Resolved {
            return Err(ChangeError::Conflict(format!(
                "{incident_id} was resolved at {}; there is nothing to remediate",
                incident
                    .resolved_at
                    .as_deref()
                    .unwrap_or("an earlier check")
            )));
        }
        let resource = self.projects.resource(&project.id, &incident.resource)?;
        match remedy {
            Remedy::Reboot => {
                if reboot_of(resource.provider, resource.kind).is_none()
                    || resource.state != ResourceState::Created
                {
                    return Err(ChangeError::invalid(
                        "remedy",
                        format!(
                            "reboot fits created servers (and AWS databases); {} is a {} {} that is {}",
                            resource.name,
                            resource.provider,
                            resource.kind,
                            super::propose::state_word(resource.state)
                        ),
                    ));
                }
                let rows = self.store.resources(&project.id)?;
                let draft = Draft {
                    steps: vec![Step {
                        action: Action::Reboot,
                        name: resource.name.clone(),
                        kind: resource.kind,
                        provider: resource.provider,
                        region: resource.region.clone(),
                        size: resource.size.clone(),
                        monthly_cost: Some(Micros::ZERO),
                    }],
                    cost_now: monthly_cost(&rows),
                    cost_delta: Micros::ZERO,
                    created_last_hour: 0,
                    warnings: vec![format!(
                        "rebooting interrupts {} for a minute or two",
                        resource.name
                    )],
                    resolved: json!([incident.id, resource.cloud_id]),
                };
                Ok((
                    draft,
                    Work::Reboot {
                        resource: Box::new(resource),
                    },
                ))
            }
            Remedy::ResizeUp => {
                let next = resource
                    .size
                    .as_deref()
                    .and_then(|s| mapping::next_size_up(resource.provider, resource.kind, s))
                    .ok_or_else(|| {
                        ChangeError::Conflict(format!(
                            "{} ({}) has no larger size to resize to",
                            resource.name,
                            resource.size.as_deref().unwrap_or("no size")
                        ))
                    })?;
                self.draft_resize(
                    project,
                    &resource.name,
                    &Resize {
                        size: Some(next.slug.to_string()),
                        storage_gb: None,
                    },
                )
            }
        }
    }
}
