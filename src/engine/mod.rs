//! Runs approved changes against the clouds. An apply creates a plan's resources in dependency order, independent
//! ones concurrently (bounded), each recorded *intended* before its cloud call and *created* with its cloud id
//! after; a resize or delete is recorded as pending on the resource before its call and settled after. So the
//! store stays truthful through failures, cancellation and crashes; `reconcile` repairs what a crash left behind.

mod cost;
mod reconcile;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::stream::{FuturesUnordered, StreamExt};
use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

pub use cost::{monthly_costs, priced};
pub use reconcile::{ReconcileReport, reconcile};

use crate::cloud::{
    CloudAccess, CloudError, Clouds, CreateContext, DeleteOutcome, NewSize, Progress,
    ResourceRecord, TokenRef,
};
use crate::model::{Plan, PlannedResource, Project, Provider};
use crate::store::{ProjectLock, Store, StoreError, StoredResource};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

/// Numeric progress for the caller (MCP progress notifications): done of total, and what is happening.
pub type Reporter = Arc<dyn Fn(u32, u32, String) + Send + Sync>;

/// What an apply did, resource by resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct ApplyReport {
    /// Created by this apply.
    pub created: Vec<AppliedResource>,
    /// Created earlier (by a previous apply); left as they are.
    pub existing: Vec<AppliedResource>,
    pub failed: Vec<Problem>,
    /// Not attempted: a dependency failed, or the apply was cancelled.
    pub skipped: Vec<Problem>,
    pub cancelled: bool,
}

impl ApplyReport {
    pub fn complete(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.cancelled
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AppliedResource {
    pub name: String,
    pub provider: Provider,
    pub cloud_id: String,
    pub monthly_cost: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Problem {
    pub name: String,
    pub reason: String,
}

/// The cloud access a project gives for one provider and region.
pub fn access(
    project: &Project,
    provider: Provider,
    region: &str,
) -> Result<CloudAccess, EngineError> {
    let token = match (provider, &project.do_config) {
        (Provider::Digitalocean, Some(c)) => c
            .token
            .as_deref()
            .map(TokenRef::parse)
            .transpose()
            .map_err(EngineError::Invalid)?,
        _ => None,
    };
    let aws_profile = match (provider, &project.aws_config) {
        (Provider::Aws, Some(c)) => c.credentials.clone(),
        _ => None,
    };
    Ok(CloudAccess {
        provider,
        region: region.to_string(),
        aws_profile,
        token,
    })
}

/// Applies plans for projects. Cheap to clone; clones share the per-project locks.
#[derive(Debug, Clone)]
pub struct Engine {
    store: Store,
    clouds: Clouds,
    /// Cloud calls in flight at once per apply (the `apply_concurrency` setting).
    concurrency: usize,
    /// One change per project at a time (see [`Engine::project_lock`]).
    applying: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Proof that this process holds a project's change lock (see [`Engine::hold`]); released when dropped.
#[derive(Debug)]
pub struct ProjectHold {
    project_id: String,
    _across_replicas: ProjectLock,
    _in_process: tokio::sync::OwnedMutexGuard<()>,
}

impl ProjectHold {
    fn check(&self, project_id: &str) -> Result<(), EngineError> {
        if self.project_id == project_id {
            return Ok(());
        }
        Err(EngineError::Invalid(format!(
            "the change lock held is {}'s, not {project_id}'s",
            self.project_id
        )))
    }
}

/// What a resize makes of a resource: its new plan, the cloud's new size, and the monthly cost at that size.
#[derive(Debug, Clone, Copy)]
pub struct Resizing<'a> {
    pub planned: &'a PlannedResource,
    pub to: &'a NewSize,
    pub monthly_cost: f64,
}

/// A resource's fate inside one apply.
enum Outcome {
    Done { record: ResourceRecord, made: Made },
    Failed(String),
}

/// Whether this apply made the resource or found it made by an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Made {
    Now,
    Earlier,
}

impl Engine {
    /// An engine keeping at most `concurrency` cloud calls in flight per apply. A bound of 0 is taken as 1: it
    /// would start nothing and report every resource skipped.
    pub fn new(store: Store, clouds: Clouds, concurrency: usize) -> Engine {
        Engine {
            store,
            clouds,
            concurrency: concurrency.max(1),
            applying: Arc::default(),
        }
    }

    /// Applies `plan` in `project`. `costs` are the monthly costs per resource name (from the catalog).
    /// Never returns early on a cloud failure: the report says what was created, what failed and what was
    /// skipped; the store says the same.
    pub async fn apply(
        &self,
        project: &Project,
        plan: &Plan,
        costs: &BTreeMap<String, f64>,
        hold: &ProjectHold,
        reporter: Option<Reporter>,
        cancel: CancellationToken,
    ) -> Result<ApplyReport, EngineError> {
        hold.check(&project.id)?;
        let total = u32::try_from(plan.resources.len()).unwrap_or(u32::MAX);
        let done_count = Arc::new(AtomicU32::new(0));
        let report_progress = |message: String| {
            if let Some(r) = &reporter {
                r(done_count.load(Ordering::SeqCst), total, message);
            }
        };
        let mut report = ApplyReport::default();
        let mut done: BTreeMap<String, ResourceRecord> = BTreeMap::new();
        let mut failed: BTreeSet<String> = BTreeSet::new();
        let mut pending: Vec<&PlannedResource> = plan.resources.iter().collect();
        let mut running = FuturesUnordered::new();

        loop {
            // Anything whose dependency failed (or was skipped) is skipped, transitively, in plan order.
            let mut still = Vec::with_capacity(pending.len());
            for r in pending {
                if let Some(dep) = r.depends_on.iter().find(|d| failed.contains(*d)) {
                    report.skipped.push(Problem {
                        name: r.name.clone(),
                        reason: format!("depends on {dep}, which was not created"),
                    });
                    failed.insert(r.name.clone());
                } else {
                    still.push(r);
                }
            }
            pending = still;
            if cancel.is_cancelled() && !report.cancelled {
                report.cancelled = true;
                for r in pending.drain(..) {
                    report.skipped.push(Problem {
                        name: r.name.clone(),
                        reason: "the apply was cancelled before it started".to_string(),
                    });
                }
            }
            // Start everything ready, up to the bound.
            let mut waiting = Vec::with_capacity(pending.len());
            for r in pending {
                let ready = r
                    .depends_on
                    .iter()
                    .all(|d| done.contains_key(d) || plan.resource(d).is_none());
                if ready && running.len() < self.concurrency {
                    let dependencies: BTreeMap<String, ResourceRecord> = r
                        .depends_on
                        .iter()
                        .filter_map(|d| done.get(d).map(|rec| (d.clone(), rec.clone())))
                        .collect();
                    let progress = {
                        let reporter = reporter.clone();
                        let done_count = done_count.clone();
                        let name = r.name.clone();
                        Progress::new(move |m: &str| {
                            if let Some(rep) = &reporter {
                                rep(
                                    done_count.load(Ordering::SeqCst),
                                    total,
                                    format!("{name}: {m}"),
                                );
                            }
                        })
                    };
                    report_progress(format!("creating {}", r.name));
                    running.push(self.create_one(
                        project,
                        plan,
                        r,
                        dependencies,
                        costs.get(&r.name).copied(),
                        progress,
                    ));
                } else {
                    waiting.push(r);
                }
            }
            pending = waiting;
            let Some((name, outcome)) = running.next().await else {
                break;
            };
            done_count.fetch_add(1, Ordering::SeqCst);
            match outcome {
                Outcome::Done { record, made } => {
                    let applied = AppliedResource {
                        name: name.clone(),
                        provider: record.provider,
                        cloud_id: record.cloud_id.clone(),
                        monthly_cost: record.monthly_cost,
                    };
                    report_progress(format!("{name} ready ({})", record.cloud_id));
                    if made == Made::Now {
                        report.created.push(applied);
                    } else {
                        report.existing.push(applied);
                    }
                    done.insert(name, record);
                }
                Outcome::Failed(reason) => {
                    report_progress(format!("{name} failed"));
                    report.failed.push(Problem {
                        name: name.clone(),
                        reason,
                    });
                    failed.insert(name);
                }
            }
        }
        // Anything left waits on something that never finished (only possible with a dependency cycle, which
        // the planner rules out); reporting it keeps the report complete.
        for r in pending {
            report.skipped.push(Problem {
                name: r.name.clone(),
                reason: "its dependencies never completed".to_string(),
            });
        }
        Ok(report)
    }

    async fn create_one(
        &self,
        project: &Project,
        plan: &Plan,
        resource: &PlannedResource,
        dependencies: BTreeMap<String, ResourceRecord>,
        monthly_cost: Option<f64>,
        progress: Progress,
    ) -> (String, Outcome) {
        let name = resource.name.clone();
        let outcome = self
            .try_create(
                project,
                plan,
                resource,
                dependencies,
                monthly_cost,
                progress,
            )
            .await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                let message = e.to_string();
                // Best effort: if even this write fails the row stays `intended`, which reconcile resolves.
                if let Err(store_error) = self.store.mark_failed(&project.id, &name, &message) {
                    tracing::warn!("could not record the failure of {name}: {store_error}");
                }
                Outcome::Failed(message)
            }
        };
        (name, outcome)
    }

    async fn try_create(
        &self,
        project: &Project,
        plan: &Plan,
        resource: &PlannedResource,
        dependencies: BTreeMap<String, ResourceRecord>,
        monthly_cost: Option<f64>,
        progress: Progress,
    ) -> Result<Outcome, CreateError> {
        if let Some(existing) =
            self.store
                .record_intended(&project.id, Some(&plan.plan_id), resource, monthly_cost)?
            && let Some(record) = existing.record
        {
            return Ok(Outcome::Done {
                record,
                made: Made::Earlier,
            });
        }
        let access =
            access(project, resource.provider, &resource.region).map_err(CreateError::Engine)?;
        let client = self.clouds.client(&access).await?;
        let ctx = CreateContext {
            project_id: project.id.clone(),
            plan_name: plan.name.clone(),
            dependencies,
            idempotency_key: idempotency_key(&project.id, &resource.name),
            progress,
        };
        let mut record = client.create(&ctx, resource).await?;
        record.monthly_cost = monthly_cost;
        self.store
            .mark_created(&project.id, &resource.name, &record)?;
        Ok(Outcome::Done {
            record,
            made: Made::Now,
        })
    }

    /// Resizes a created resource: recorded as pending before the cloud call, the new record and plan (priced at
    /// the resize's `monthly_cost`) after. On failure the pending mark is cleared and the error kept on the
    /// resource.
    pub async fn resize(
        &self,
        project: &Project,
        resource: &StoredResource,
        resize: Resizing<'_>,
        hold: &ProjectHold,
        progress: &Progress,
    ) -> Result<ResourceRecord, EngineError> {
        hold.check(&project.id)?;
        let Resizing {
            planned,
            to,
            monthly_cost,
        } = resize;
        let cloud_id = created_id(resource)?;
        let target = match to {
            NewSize::Slug(slug) => format!("resize to {slug}"),
            NewSize::StorageGb(gb) => format!("resize to {gb} GB"),
        };
        self.store
            .set_pending(&project.id, &resource.name, Some(&target))?;
        let result = async {
            let client = self.client(project, resource).await?;
            Ok::<_, EngineError>(client.resize(resource.kind, cloud_id, to, progress).await?)
        }
        .await;
        match result {
            Ok(mut record) => {
                record.monthly_cost = Some(monthly_cost);
                self.store
                    .mark_created(&project.id, &resource.name, &record)?;
                self.store
                    .set_planned(&project.id, &resource.name, planned)?;
                Ok(record)
            }
            Err(e) => {
                self.store.set_pending(&project.id, &resource.name, None)?;
                Err(e)
            }
        }
    }

    /// Deletes a created resource: recorded as pending before the cloud call, deleted after (also when the
    /// cloud no longer had it).
    pub async fn delete(
        &self,
        project: &Project,
        resource: &StoredResource,
        hold: &ProjectHold,
        progress: &Progress,
    ) -> Result<DeleteOutcome, EngineError> {
        hold.check(&project.id)?;
        let cloud_id = created_id(resource)?;
        self.store
            .set_pending(&project.id, &resource.name, Some("delete"))?;
        let result = async {
            let client = self.client(project, resource).await?;
            Ok::<_, EngineError>(client.delete(resource.kind, cloud_id, progress).await?)
        }
        .await;
        match result {
            Ok(outcome) => {
                self.store.mark_deleted(&project.id, &resource.name)?;
                Ok(outcome)
            }
            Err(e) => {
                self.store.set_pending(&project.id, &resource.name, None)?;
                Err(e)
            }
        }
    }

    /// One change per project at a time: two concurrent changes would race their lookups-before-create in the
    /// cloud (DigitalOcean has no idempotency keys) or resize what the other deletes. Waits for this process's
    /// other change on the project, then takes [`Store::lock_project`], which refuses while another replica
    /// changes it. Taken before an approval is spent, so a busy project costs the caller nothing.
    pub async fn hold(&self, project_id: &str) -> Result<ProjectHold, EngineError> {
        let local = self
            .applying
            .lock()
            .map_err(|_| EngineError::Invalid("the project lock is poisoned".to_string()))?
            .entry(project_id.to_string())
            .or_default()
            .clone();
        let local = local.lock_owned().await;
        Ok(ProjectHold {
            project_id: project_id.to_string(),
            _across_replicas: self.store.lock_project(project_id)?,
            _in_process: local,
        })
    }

    async fn client(
        &self,
        project: &Project,
        resource: &StoredResource,
    ) -> Result<Arc<dyn crate::cloud::Cloud>, EngineError> {
        let access = access(project, resource.provider, &resource.region)?;
        Ok(self.clouds.client(&access).await?)
    }
}

fn created_id(resource: &StoredResource) -> Result<&str, EngineError> {
    resource.cloud_id.as_deref().ok_or_else(|| {
        EngineError::Invalid(format!(
            "{} has no cloud id: it was never created",
            resource.name
        ))
    })
}

#[derive(Debug, thiserror::Error)]
enum CreateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error(transparent)]
    Engine(EngineError),
}

/// Same project + resource name → same key, on every retry and after a restart; 37 ASCII characters, within
/// the EC2 client token limit of 64.
pub fn idempotency_key(project_id: &str, resource_name: &str) -> String {
    let digest = Sha256::digest(format!("{project_id}\n{resource_name}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("rift-{hex}")
}

#[cfg(test)]
mod tests;
