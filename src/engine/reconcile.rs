//! Reconcile: makes the store agree with the clouds after a crash or an outside change. Resources tagged with
//! the project that the store does not know as created are recorded; resources recorded as created that the
//! cloud no longer has are marked gone; creations interrupted before the cloud made anything are marked failed.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::{EngineError, access};
use crate::cloud::{CloudError, Clouds, Owner};
use crate::model::{Project, Provider};
use crate::store::{ResourceState, Store};

#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct ReconcileReport {
    /// Tagged resources found in the cloud and now recorded as created.
    pub found: Vec<String>,
    /// Recorded as created, but gone from the cloud.
    pub gone: Vec<String>,
    /// Interrupted creations the cloud never completed: now recorded as failed.
    pub interrupted: Vec<String>,
    /// Interrupted resizes and deletes, now recorded as the cloud has them.
    pub settled: Vec<String>,
    /// Providers or regions that could not be listed, and why.
    pub unreachable: Vec<String>,
}

/// Reconciles every provider and region the project uses or has resources in.
pub async fn reconcile(
    store: &Store,
    clouds: &Clouds,
    project: &Project,
) -> Result<ReconcileReport, EngineError> {
    let rows = store.resources(&project.id)?;
    let mut sites: BTreeSet<(Provider, String)> = rows
        .iter()
        .filter(|r| r.state.is_live())
        .map(|r| (r.provider, r.region.clone()))
        .collect();
    for provider in &project.cloud_providers {
        if let Some(region) = project.region(*provider) {
            sites.insert((*provider, region.to_string()));
        }
    }
    let mut report = ReconcileReport::default();
    for (provider, region) in sites {
        let listed = match access(project, provider, &region) {
            Ok(access) => match clouds.client(&access).await {
                Ok(client) => client
                    .list(Owner::Project(&project.id))
                    .await
                    .map(|l| (client, l)),
                Err(e) => Err(e),
            },
            Err(e) => Err(CloudError::Invalid(e.to_string())),
        };
        let (client, listed) = match listed {
            Ok(found) => found,
            Err(e) => {
                report.unreachable.push(format!("{provider} {region}: {e}"));
                continue;
            }
        };
        let in_cloud: BTreeMap<&str, _> = listed
            .iter()
            .filter(|r| r.project() == Some(project.id.as_str()))
            .map(|r| (r.name.as_str(), r))
            .collect();
        let here: Vec<_> = rows
            .iter()
            .filter(|r| r.provider == provider && r.region == region)
            .collect();
        for (name, record) in &in_cloud {
            let known = here.iter().find(|r| r.name == *name);
            let known_created = known.is_some_and(|r| {
                r.state == ResourceState::Created
                    && r.cloud_id.as_deref() == Some(record.cloud_id.as_str())
            });
            if !known_created {
                let mut record = (*record).clone();
                record.monthly_cost = known.and_then(|k| k.monthly_cost);
                store.record_discovered(&project.id, &record)?;
                report.found.push((*name).to_string());
            } else if let Some(row) = known.filter(|r| r.pending.is_some()) {
                // A resize or delete the process did not see finish: the resource is still there, so take the
                // cloud's record as it is now (its size after a resize that went through) and settle it.
                let mut record = (*record).clone();
                record.monthly_cost = row.monthly_cost;
                store.mark_created(&project.id, &row.name, &record)?;
                report.settled.push(row.name.clone());
            }
        }
        for row in here {
            if in_cloud.contains_key(row.name.as_str()) {
                continue;
            }
            match row.state {
                ResourceState::Created => {
                    let Some(cloud_id) = &row.cloud_id else {
                        continue;
                    };
                    // The listing may miss it (tags edited by hand): only a definite NotFound marks it gone.
                    if let Err(CloudError::NotFound(_)) = client.get(row.kind, cloud_id).await {
                        if row.pending.as_deref() == Some("delete") {
                            store.mark_deleted(&project.id, &row.name)?;
                            report.settled.push(row.name.clone());
                        } else {
                            store.mark_gone(&project.id, &row.name)?;
                            report.gone.push(row.name.clone());
                        }
                    }
                }
                ResourceState::Intended => {
                    store.mark_failed(
                        &project.id,
                        &row.name,
                        "interrupted before the cloud confirmed it, and the cloud has no such resource",
                    )?;
                    report.interrupted.push(row.name.clone());
                }
                ResourceState::Failed | ResourceState::Deleted | ResourceState::Gone => {}
            }
        }
    }
    Ok(report)
}
