//! `discover_resources`: what runs in a project's DigitalOcean account or AWS region that no rift project manages
//! (the first step of adopting it), each with the mapping's kind, its size and the monthly cost the catalog gives
//! it. Read-only; a page at a time, the cloud's listing bounded in time.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Operations, OperationsError};
use crate::cloud::Owner;
use crate::model::{Project, Provider, ResourceKind, ResourceRecord};
use crate::pricing::Prices;

/// Resources a page holds unless asked otherwise, and at most.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;
/// How long the cloud's whole listing may take.
const LISTING_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct DiscoverRequest {
    pub project_id: String,
    pub provider: Provider,
    pub kind: Option<ResourceKind>,
    /// `next_cursor` of the page before.
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// One resource no rift project manages.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FoundResource {
    pub name: String,
    pub kind: ResourceKind,
    pub cloud_id: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    pub state: String,
    /// USD per month (catalog); null: see warnings.
    pub monthly_cost: Option<f64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Discovery {
    pub project_id: String,
    pub provider: Provider,
    pub region: String,
    pub resources: Vec<FoundResource>,
    /// The next page's cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    pub warnings: Vec<String>,
}

impl Operations {
    pub async fn discover(
        &self,
        request: DiscoverRequest,
        prices: &Prices,
    ) -> Result<Discovery, OperationsError> {
        let project = self.projects.get(&request.project_id)?;
        let provider = request.provider;
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(OperationsError::invalid(
                "limit",
                format!("{limit} is out of range: give 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"),
            ));
        }
        let (region, listed) = self.unmanaged(&project, provider).await?;
        let mut unmanaged: Vec<ResourceRecord> = listed
            .into_iter()
            .filter(|r| request.kind.is_none_or(|k| k == r.kind))
            .collect();
        unmanaged.sort_by_key(cursor_of);
        let after: Vec<ResourceRecord> = unmanaged
            .into_iter()
            .filter(|r| request.cursor.as_ref().is_none_or(|c| cursor_of(r) > *c))
            .collect();
        let next_cursor =
            (after.len() > limit as usize).then(|| cursor_of(&after[limit as usize - 1]));
        let page: Vec<ResourceRecord> = after.into_iter().take(limit as usize).collect();

        let mut warnings = Vec::new();
        let costs = priced(&page, prices, &mut warnings);
        let resources = page
            .into_iter()
            .map(|r| FoundResource {
                name: crate::mapping::adopted_name(&r),
                monthly_cost: costs.get(&r.cloud_id).copied(),
                kind: r.kind,
                region: r.region,
                size: r.size,
                state: r.state,
                tags: r.tags,
                cloud_id: r.cloud_id,
            })
            .collect();
        Ok(Discovery {
            project_id: project.id,
            provider,
            region,
            resources,
            next_cursor,
            warnings,
        })
    }

    /// The project's region on `provider`, and what runs there (DigitalOcean: in the account) that no rift
    /// project manages.
    async fn unmanaged(
        &self,
        project: &Project,
        provider: Provider,
    ) -> Result<(String, Vec<ResourceRecord>), OperationsError> {
        let Some(region) = project.region(provider).map(str::to_string) else {
            return Err(OperationsError::invalid(
                "provider",
                format!(
                    "project {} does not use {provider} (its clouds: {}); add it with update_project first",
                    project.id,
                    project
                        .cloud_providers
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let cannot_list = |why: String| {
            OperationsError::Conflict(format!("{provider} {region} could not be listed: {why}"))
        };
        let access = crate::engine::access(project, provider, &region)
            .map_err(|e| cannot_list(e.to_string()))?;
        let client = self
            .clouds
            .client(&access)
            .await
            .map_err(|e| cannot_list(e.to_string()))?;
        let listed = tokio::time::timeout(LISTING_TIMEOUT, client.list(Owner::Anyone))
            .await
            .map_err(|_| cannot_list(format!("no answer within {} s", LISTING_TIMEOUT.as_secs())))?
            .map_err(|e| cannot_list(e.to_string()))?;
        let managed = self.store.recorded_cloud_ids()?;
        let unmanaged = listed
            .into_iter()
            .filter(|r| !r.managed_by_rift() && !managed.contains(&r.cloud_id))
            .collect();
        Ok((region, unmanaged))
    }

    /// The unmanaged resources with these cloud ids, as the cloud lists them now (for adopt_resources).
    pub async fn unmanaged_by_id(
        &self,
        project_id: &str,
        provider: Provider,
        cloud_ids: &[String],
    ) -> Result<Vec<ResourceRecord>, OperationsError> {
        let project = self.projects.get(project_id)?;
        let (region, listed) = self.unmanaged(&project, provider).await?;
        let mut found = Vec::new();
        for (i, id) in cloud_ids.iter().enumerate() {
            match listed.iter().find(|r| r.cloud_id == *id) {
                Some(record) if !found.iter().any(|f: &ResourceRecord| f.cloud_id == *id) => {
                    found.push(record.clone())
                }
                Some(_) => {
                    return Err(OperationsError::invalid(
                        format!("cloud_ids[{i}]"),
                        format!("{} is named twice", crate::model::quote(id)),
                    ));
                }
                None => {
                    if let Some((owner, name)) = self.store.owner_of(id)? {
                        return Err(OperationsError::Conflict(format!(
                            "cloud_ids[{i}]: {} is already in project {owner} (as {name}); a resource belongs \
                             to one project",
                            crate::model::quote(id)
                        )));
                    }
                    return Err(OperationsError::invalid(
                        format!("cloud_ids[{i}]"),
                        format!(
                            "no unmanaged resource {} in {provider} {region} (it may not exist, or a rift project \
                             holds it): discover_resources lists what can be adopted",
                            crate::model::quote(id)
                        ),
                    ));
                }
            }
        }
        Ok(found)
    }
}

/// Where a resource sorts in the listing, and the cursor that resumes after it.
fn cursor_of(record: &ResourceRecord) -> String {
    format!("{}/{}", record.kind, record.cloud_id)
}

/// The page's monthly costs by cloud id, priced as the planned resources they stand for.
fn priced(
    page: &[ResourceRecord],
    prices: &Prices,
    warnings: &mut Vec<String>,
) -> BTreeMap<String, f64> {
    let mut costs = BTreeMap::new();
    for record in page {
        match crate::engine::priced(&crate::mapping::planned_from_record(record), prices) {
            Ok(cost) => {
                costs.insert(record.cloud_id.clone(), cost);
            }
            Err(e) => warnings.push(format!(
                "{} {} is not priced: {e}",
                record.kind, record.cloud_id
            )),
        }
    }
    costs
}
