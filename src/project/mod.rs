//! Projects: the rules that keep one valid (its name, providers the operator allows, per-cloud settings with
//! credential references only, a budget under the operator's ceiling, a provider kept while it has live
//! resources), what a project costs, and the views of it the tools show.

mod health;
mod rules;

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cloud::{CloudError, Clouds};
use crate::config::Settings;
use crate::engine::{self, EngineError, ReconcileReport};
use crate::model::{AwsConfig, DoConfig, Micros, Plan, Policy, Project, Provider, ResourceRecord};
use crate::store::{Activity, ChangeRecord, Store, StoreError, StoredResource};

pub use health::{CloudHealth, INCIDENTS_READ};
pub use rules::budget_under;

/// A project request that breaks a rule: which field, and what would be valid.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

impl ProjectError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> ProjectError {
        ProjectError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What `create_project` takes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Becomes the project id: 1-24 of a-z, 0-9, -.
    pub name: String,
    pub cloud_providers: Vec<Provider>,
    pub aws_config: Option<AwsConfig>,
    pub do_config: Option<DoConfig>,
    pub monthly_budget_usd: Option<f64>,
    /// Can only narrow the operator's policy.
    pub policy: Option<Policy>,
}

/// What `update_project` takes: given fields replace the old ones.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectUpdate {
    pub project_id: String,
    pub cloud_providers: Option<Vec<Provider>>,
    pub aws_config: Option<AwsConfig>,
    pub do_config: Option<DoConfig>,
    pub monthly_budget_usd: Option<f64>,
    pub policy: Option<Policy>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectView {
    pub project: Project,
    pub providers: Vec<ProviderGroup>,
    /// USD per month of everything live (created or being created).
    pub monthly_cost: f64,
    pub reconcile: Option<ReconcileReport>,
    /// Per cloud: resources by state, unresolved incidents (as list_incidents last found them).
    pub health: Vec<CloudHealth>,
    /// Latest changes, newest first (get_change shows one whole).
    pub changes: Vec<ChangeRecord>,
    /// Latest activity, newest first.
    pub activity: Vec<Activity>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProviderGroup {
    pub provider: Provider,
    pub monthly_cost: f64,
    pub resources: Vec<StoredResource>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectSummary {
    pub id: String,
    pub cloud_providers: Vec<Provider>,
    pub live_resources: u32,
    pub monthly_cost: f64,
    pub monthly_budget_usd: Option<f64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ResourceView {
    pub resource: StoredResource,
    /// The cloud's record (addresses, tags, companion ids); null until created.
    pub record: Option<ResourceRecord>,
}

/// The monthly cost of a project's resources: what is live (created or being created) counts, exactly.
pub fn monthly_cost(resources: &[StoredResource]) -> Micros {
    resources
        .iter()
        .filter(|r| r.state.is_live())
        .filter_map(|r| r.monthly_cost.and_then(Micros::from_dollars))
        .sum()
}

/// Dollars for a tool's answer, to the cent.
pub fn usd(amount: Micros) -> f64 {
    // + 0.0: an empty or zero sum shows as 0, never -0.
    amount.round_to_cents().dollars() + 0.0
}

/// Projects over the store, under the operator's settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Projects {
    store: Store,
    clouds: Clouds,
    settings: Arc<Settings>,
}

impl Projects {
    pub fn new(store: Store, clouds: Clouds, settings: Arc<Settings>) -> Projects {
        Projects {
            store,
            clouds,
            settings,
        }
    }

    pub fn get(&self, id: &str) -> Result<Project, ProjectError> {
        Ok(self.store.require_project(id)?)
    }

    /// The project's monthly budget: its own, never above the operator's (which also holds when it sets none).
    pub fn budget(&self, project: &Project) -> Option<f64> {
        budget_under(
            project.monthly_budget_usd,
            self.settings.default_monthly_budget_usd,
        )
    }

    pub fn create(&self, args: NewProject, client: Option<&str>) -> Result<Project, ProjectError> {
        rules::check_name(&args.name)?;
        let mut project = Project {
            id: args.name.clone(),
            name: args.name,
            cloud_providers: vec![],
            aws_config: args.aws_config,
            do_config: args.do_config,
            monthly_budget_usd: args
                .monthly_budget_usd
                .or(self.settings.default_monthly_budget_usd),
            policy: args.policy.unwrap_or_default(),
            created_at: String::new(),
            updated_at: String::new(),
        };
        rules::set_providers(&mut project, args.cloud_providers, &self.settings.policy)?;
        rules::validate(&project)?;
        self.store.insert_project(&project)?;
        self.log(
            client,
            &project.id,
            "create_project",
            "create",
            "created",
            &rules::describe(&project),
        );
        self.get(&project.id)
    }

    pub fn update(
        &self,
        args: ProjectUpdate,
        client: Option<&str>,
    ) -> Result<Project, ProjectError> {
        let mut project = self.get(&args.project_id)?;
        if let Some(config) = args.aws_config {
            project.aws_config = Some(config);
        }
        if let Some(config) = args.do_config {
            project.do_config = Some(config);
        }
        if let Some(budget) = args.monthly_budget_usd {
            project.monthly_budget_usd = Some(budget);
        }
        if let Some(policy) = args.policy {
            project.policy = policy;
        }
        let providers = args
            .cloud_providers
            .unwrap_or_else(|| project.cloud_providers.clone());
        rules::keeps_live_providers(&providers, &self.store.resources(&project.id)?)?;
        rules::set_providers(&mut project, providers, &self.settings.policy)?;
        rules::validate(&project)?;
        self.store.update_project(&project)?;
        self.log(
            client,
            &project.id,
            "update_project",
            "update",
            "updated",
            &rules::describe(&project),
        );
        self.get(&project.id)
    }

    /// The project with its resources by provider, costs, latest changes and activity; `refresh` reconciles
    /// with the clouds first.
    pub async fn view(
        &self,
        id: &str,
        refresh: bool,
        client: Option<&str>,
    ) -> Result<ProjectView, ProjectError> {
        let project = self.get(id)?;
        let reconcile = if refresh {
            let report = engine::reconcile(&self.store, &self.clouds, &project).await?;
            let detail = format!(
                "found {:?}, gone {:?}, interrupted {:?}, settled {:?}, unreachable {}",
                report.found,
                report.gone,
                report.interrupted,
                report.settled,
                report.unreachable.len()
            );
            self.log(
                client,
                &project.id,
                "get_project",
                "reconcile",
                "done",
                &detail,
            );
            Some(report)
        } else {
            None
        };
        let resources = self.store.resources(&project.id)?;
        let mut providers = Vec::new();
        for provider in Provider::ALL {
            let mine: Vec<StoredResource> = resources
                .iter()
                .filter(|r| r.provider == provider)
                .cloned()
                .collect();
            if mine.is_empty() && !project.cloud_providers.contains(&provider) {
                continue;
            }
            providers.push(ProviderGroup {
                provider,
                monthly_cost: usd(monthly_cost(&mine)),
                resources: mine,
            });
        }
        let incidents = self
            .store
            .incidents(&project.id, false, health::INCIDENTS_READ)?;
        Ok(ProjectView {
            health: health::summarize(&project.cloud_providers, &resources, &incidents),
            monthly_cost: usd(monthly_cost(&resources)),
            changes: self.store.changes(&project.id, 5)?,
            activity: self.store.activity(&project.id, 10)?,
            project,
            providers,
            reconcile,
        })
    }

    pub fn list(&self, provider: Option<Provider>) -> Result<Vec<ProjectSummary>, ProjectError> {
        let mut projects = Vec::new();
        let wanted = |p: &Project| provider.is_none_or(|w| p.cloud_providers.contains(&w));
        for p in self.store.projects()?.into_iter().filter(wanted) {
            let resources = self.store.resources(&p.id)?;
            projects.push(ProjectSummary {
                live_resources: u32::try_from(
                    resources.iter().filter(|r| r.state.is_live()).count(),
                )
                .unwrap_or(u32::MAX),
                monthly_cost: usd(monthly_cost(&resources)),
                id: p.id,
                cloud_providers: p.cloud_providers,
                monthly_budget_usd: p.monthly_budget_usd,
            });
        }
        Ok(projects)
    }

    /// The resources rift recorded for a project, optionally of one provider.
    pub fn resources(
        &self,
        id: &str,
        provider: Option<Provider>,
    ) -> Result<Vec<StoredResource>, ProjectError> {
        let project = self.get(id)?;
        Ok(self
            .store
            .resources(&project.id)?
            .into_iter()
            .filter(|r| provider.is_none_or(|p| p == r.provider))
            .collect())
    }

    /// One resource, or an error naming the valid ones.
    pub fn resource(&self, project_id: &str, name: &str) -> Result<StoredResource, ProjectError> {
        if let Some(found) = self.store.resource(project_id, name)? {
            return Ok(found);
        }
        let names: Vec<String> = self
            .store
            .resources(project_id)?
            .into_iter()
            .map(|r| r.name)
            .collect();
        Err(ProjectError::invalid(
            "name",
            format!(
                "project {project_id} has no resource \"{}\"; its resources: {}",
                crate::config::redact(name),
                if names.is_empty() {
                    "none yet".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ))
    }

    /// One resource with its cloud record; `refresh` reads it from its cloud first.
    pub async fn resource_view(
        &self,
        project_id: &str,
        name: &str,
        refresh: bool,
    ) -> Result<ResourceView, ProjectError> {
        let project = self.get(project_id)?;
        let resource = self.resource(&project.id, name)?;
        if refresh && let Some(cloud_id) = resource.cloud_id.clone() {
            let access = engine::access(&project, resource.provider, &resource.region)?;
            let client = self.clouds.client(&access).await?;
            match client.get(resource.kind, &cloud_id).await {
                Ok(mut record) => {
                    record.monthly_cost = resource.monthly_cost;
                    self.store
                        .update_record(&project.id, &resource.name, &record)?;
                }
                Err(CloudError::NotFound(_)) => {
                    self.store.mark_gone(&project.id, &resource.name)?
                }
                Err(e) => return Err(e.into()),
            }
        }
        let resource = self.resource(&project.id, name)?;
        Ok(ResourceView {
            record: resource.record.clone(),
            resource,
        })
    }

    /// A project's live resources as a plan, each as it was planned; resources rift only found in a cloud (by
    /// reconcile) were never planned, so they are left out with a warning.
    pub fn as_plan(&self, id: &str) -> Result<(Plan, Vec<String>), ProjectError> {
        let project = self
            .store
            .require_project(id)
            .map_err(|e| ProjectError::invalid("project_id", e.to_string()))?;
        let mut warnings = Vec::new();
        let mut resources = Vec::new();
        for row in self
            .store
            .resources(&project.id)?
            .into_iter()
            .filter(|r| r.state.is_live())
        {
            match row.planned {
                Some(planned) => resources.push(planned),
                None => warnings.push(format!(
                    "{} was found in the cloud, not planned by rift: it is not in the Terraform",
                    row.name
                )),
            }
        }
        if resources.is_empty() {
            return Err(ProjectError::invalid(
                "project_id",
                format!(
                    "project \"{}\" has no resources yet; apply a plan to it, or pass plan_id",
                    project.id
                ),
            ));
        }
        let mut providers: Vec<Provider> = resources.iter().map(|r| r.provider).collect();
        providers.sort();
        providers.dedup();
        let plan = Plan {
            plan_id: format!("project-{}", project.id),
            name: project.id,
            providers,
            resources,
            warnings: vec![],
        };
        Ok((plan, warnings))
    }

    /// The activity log is an audit trail, not a gate: a failed write is logged, never fatal to the call.
    pub fn log(
        &self,
        client: Option<&str>,
        project_id: &str,
        tool: &str,
        action: &str,
        outcome: &str,
        detail: &str,
    ) {
        if let Err(e) = self
            .store
            .log(Some(project_id), client, tool, action, outcome, detail)
        {
            tracing::warn!("could not append to the activity log: {e}");
        }
    }
}
