//! An in-process cloud for the engine's unit tests: keeps resources in a map, honours the trait's contract
//! (idempotent create by project tag + name, tagged list, AlreadyGone deletes), and records what it was asked
//! so tests can check order and overlap.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{
    Cloud, CloudAccess, CloudError, Connector, CreateContext, DeleteOutcome, NewSize, Owner,
    Progress, ResourceRecord,
};
use crate::model::{MetricQuery, PlannedResource, Provider, ResourceKind, SeriesAnswer, TimeRange};

#[derive(Debug, Default)]
pub struct MemoryCloud {
    pub state: Mutex<MemoryState>,
    /// How long each create takes, so overlapping creates can be observed.
    pub delay: Duration,
}

#[derive(Debug, Default)]
pub struct MemoryState {
    pub resources: BTreeMap<String, ResourceRecord>,
    /// Names in the order their creation started.
    pub started: Vec<String>,
    /// Resources actually made (not returned as existing).
    pub made: u32,
    pub in_flight: u32,
    pub max_in_flight: u32,
    /// Creates of these names fail.
    pub fail: BTreeSet<String>,
    next_id: u64,
}

impl MemoryCloud {
    pub fn with_delay(delay: Duration) -> Arc<MemoryCloud> {
        Arc::new(MemoryCloud {
            delay,
            ..MemoryCloud::default()
        })
    }

    pub fn clouds(self: &Arc<Self>) -> super::Clouds {
        let connector: Arc<dyn Connector> = Arc::new(MemoryConnector(self.clone()));
        super::Clouds::new([
            (Provider::Aws, connector.clone()),
            (Provider::Digitalocean, connector),
        ])
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap()
    }
}

struct MemoryConnector(Arc<MemoryCloud>);

#[async_trait::async_trait]
impl Connector for MemoryConnector {
    async fn connect(&self, _access: &CloudAccess) -> Result<Arc<dyn Cloud>, CloudError> {
        Ok(self.0.clone())
    }
}

#[async_trait::async_trait]
impl Cloud for MemoryCloud {
    fn provider(&self) -> Provider {
        Provider::Aws
    }

    async fn metrics(
        &self,
        queries: &[MetricQuery],
        _range: &TimeRange,
    ) -> Result<Vec<SeriesAnswer>, CloudError> {
        Ok(queries
            .iter()
            .map(|q| {
                SeriesAnswer::unavailable(q.cloud_id.clone(), "an in-process cloud has no metrics")
            })
            .collect())
    }

    async fn create(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        for dep in &resource.depends_on {
            ctx.dependency(dep)?;
        }
        {
            let mut s = self.lock();
            s.started.push(resource.name.clone());
            if let Some(existing) = s
                .resources
                .values()
                .find(|r| r.name == resource.name && r.project() == Some(ctx.project_id.as_str()))
            {
                return Ok(existing.clone());
            }
            if s.fail.contains(&resource.name) {
                return Err(CloudError::Api {
                    code: "InsufficientCapacity".into(),
                    message: format!("no capacity for {}", resource.name),
                    request_id: Some("req-1".into()),
                });
            }
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
        }
        ctx.progress.report("waiting");
        tokio::time::sleep(self.delay).await;
        let mut s = self.lock();
        s.in_flight -= 1;
        s.next_id += 1;
        s.made += 1;
        let record = ResourceRecord {
            kind: resource.kind,
            provider: resource.provider,
            cloud_id: format!("mem-{}", s.next_id),
            name: resource.name.clone(),
            region: resource.region.clone(),
            size: resource.size.clone(),
            state: "active".into(),
            endpoints: vec![],
            tags: BTreeMap::from([
                (
                    super::TAG_MANAGED_BY.to_string(),
                    super::TAG_MANAGED_BY_VALUE.to_string(),
                ),
                (super::TAG_PROJECT.to_string(), ctx.project_id.clone()),
                ("Name".to_string(), resource.name.clone()),
            ]),
            parts: BTreeMap::new(),
            monthly_cost: None,
        };
        s.resources.insert(record.cloud_id.clone(), record.clone());
        Ok(record)
    }

    async fn get(&self, _kind: ResourceKind, cloud_id: &str) -> Result<ResourceRecord, CloudError> {
        self.lock()
            .resources
            .get(cloud_id)
            .cloned()
            .ok_or_else(|| CloudError::NotFound(cloud_id.to_string()))
    }

    async fn list(&self, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
        Ok(self
            .lock()
            .resources
            .values()
            .filter(|r| match owner {
                Owner::Project(project) => r.project() == Some(project),
                Owner::Anyone => true,
            })
            .cloned()
            .collect())
    }

    async fn resize(
        &self,
        _kind: ResourceKind,
        cloud_id: &str,
        to: &NewSize,
        _progress: &Progress,
    ) -> Result<ResourceRecord, CloudError> {
        let mut s = self.lock();
        let record = s
            .resources
            .get_mut(cloud_id)
            .ok_or_else(|| CloudError::NotFound(cloud_id.to_string()))?;
        record.size = Some(match to {
            NewSize::Slug(slug) => slug.clone(),
            NewSize::StorageGb(gb) => gb.to_string(),
        });
        Ok(record.clone())
    }

    async fn delete(
        &self,
        _kind: ResourceKind,
        cloud_id: &str,
        _progress: &Progress,
    ) -> Result<DeleteOutcome, CloudError> {
        Ok(match self.lock().resources.remove(cloud_id) {
            Some(_) => DeleteOutcome::Deleted,
            None => DeleteOutcome::AlreadyGone,
        })
    }
}
