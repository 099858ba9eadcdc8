//! Project tools (`create_project`, `get_project`, `list_projects`, `update_project`) and the read-only
//! resource tools (`list_resources`, `get_resource`). Always listed: none of them changes anything in a cloud.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Args, RiftServer};
use crate::cloud::{ResourceRecord, TokenRef};
use crate::engine::{self, ReconcileReport};
use crate::mapping;
use crate::model::Provider;
use crate::policy::Policy;
use crate::store::{Activity, AwsConfig, DoConfig, Project, StoredResource};

/// Same rule as a deployment name: the project id names every resource rift creates for it.
const MAX_PROJECT_NAME: usize = 24;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectArgs {
    /// Becomes the project id: 1-24 of a-z, 0-9, -.
    pub name: String,
    pub cloud_providers: Vec<Provider>,
    pub aws_config: Option<AwsConfig>,
    pub do_config: Option<DoConfig>,
    pub monthly_budget_usd: Option<f64>,
    /// Can only narrow the operator's policy.
    pub policy: Option<Policy>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProjectArgs {
    pub project_id: String,
    pub cloud_providers: Option<Vec<Provider>>,
    pub aws_config: Option<AwsConfig>,
    pub do_config: Option<DoConfig>,
    pub monthly_budget_usd: Option<f64>,
    pub policy: Option<Policy>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetProjectArgs {
    pub project_id: String,
    /// Reconcile with the clouds first.
    #[serde(default)]
    pub refresh: bool,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListProjectsArgs {
    pub provider: Option<Provider>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListResourcesArgs {
    pub project_id: String,
    pub provider: Option<Provider>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetResourceArgs {
    pub project_id: String,
    pub name: String,
    /// Read it from its cloud.
    #[serde(default)]
    pub refresh: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectView {
    pub project: Project,
    pub providers: Vec<ProviderGroup>,
    /// USD per month of everything live (created or being created).
    pub monthly_cost: f64,
    pub reconcile: Option<ReconcileReport>,
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
pub struct ProjectList {
    pub projects: Vec<ProjectSummary>,
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
pub struct ResourceList {
    pub resources: Vec<StoredResource>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ResourceView {
    pub resource: StoredResource,
    /// The cloud's record (addresses, tags, companion ids); null until created.
    pub record: Option<ResourceRecord>,
}

#[tool_router(router = projects_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Create a project: name, cloud_providers, aws_config {region, vpc_id, credentials: AWS profile name}, do_config {region, token: reference like env:DIGITALOCEAN_TOKEN, never the token}, monthly_budget_usd, policy. Creates nothing in a cloud.",
        annotations(
            title = "Create a project",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    pub async fn create_project(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateProjectArgs>>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<Project>, String> {
        self.new_project(args, client_name(&peer)).await.map(Json)
    }

    #[tool(
        description = "Change a project: cloud_providers (add one to go multi-cloud), aws_config, do_config, monthly_budget_usd, policy. Given fields replace the old ones. Creates nothing in a cloud.",
        annotations(
            title = "Update a project",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn update_project(
        &self,
        Parameters(Args(args)): Parameters<Args<UpdateProjectArgs>>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<Project>, String> {
        self.change_project(args, client_name(&peer))
            .await
            .map(Json)
    }

    #[tool(
        description = "A project with its resources grouped by provider (state, cost per month, totals) and recent activity. refresh=true first reconciles with the clouds (needs credentials).",
        annotations(
            title = "Get a project",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn get_project(
        &self,
        Parameters(Args(args)): Parameters<Args<GetProjectArgs>>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<ProjectView>, String> {
        self.project_view(args, client_name(&peer)).await.map(Json)
    }

    #[tool(
        description = "Every project (optionally only those using a provider) with its providers, live resource count, monthly cost and budget.",
        annotations(
            title = "List projects",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn list_projects(
        &self,
        Parameters(Args(args)): Parameters<Args<ListProjectsArgs>>,
    ) -> Result<Json<ProjectList>, String> {
        let store = &self.state.store;
        let mut projects = Vec::new();
        let wanted = |p: &Project| args.provider.is_none_or(|w| p.cloud_providers.contains(&w));
        for p in store
            .projects()
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(wanted)
        {
            let resources = store.resources(&p.id).map_err(|e| e.to_string())?;
            projects.push(ProjectSummary {
                live_resources: u32::try_from(
                    resources.iter().filter(|r| r.state.is_live()).count(),
                )
                .unwrap_or(u32::MAX),
                monthly_cost: live_cost(&resources),
                id: p.id,
                cloud_providers: p.cloud_providers,
                monthly_budget_usd: p.monthly_budget_usd,
            });
        }
        Ok(Json(ProjectList { projects }))
    }

    #[tool(
        name = "list_resources",
        description = "The resources rift recorded for a project (optionally one provider): state, cloud id, size, cost per month, addresses.",
        annotations(
            title = "List resources",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn list_project_resources(
        &self,
        Parameters(Args(args)): Parameters<Args<ListResourcesArgs>>,
    ) -> Result<Json<ResourceList>, String> {
        let store = &self.state.store;
        store
            .require_project(&args.project_id)
            .map_err(|e| e.to_string())?;
        let resources = store
            .resources(&args.project_id)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|r| args.provider.is_none_or(|p| p == r.provider))
            .collect();
        Ok(Json(ResourceList { resources }))
    }

    #[tool(
        description = "One resource of a project with its cloud record; refresh=true reads it from the cloud (needs credentials).",
        annotations(
            title = "Get a resource",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn get_resource(
        &self,
        Parameters(Args(args)): Parameters<Args<GetResourceArgs>>,
    ) -> Result<Json<ResourceView>, String> {
        let store = &self.state.store;
        let project = store
            .require_project(&args.project_id)
            .map_err(|e| e.to_string())?;
        let resource = super::provisioning::stored(store, &project.id, &args.name)?;
        if args.refresh
            && let Some(cloud_id) = resource.cloud_id.clone()
        {
            let access = engine::access(&project, resource.provider, &resource.region)
                .map_err(|e| e.to_string())?;
            let client = self
                .state
                .clouds
                .client(&access)
                .await
                .map_err(|e| e.to_string())?;
            match client.get(resource.kind, &cloud_id).await {
                Ok(mut record) => {
                    record.monthly_cost = resource.monthly_cost;
                    store
                        .update_record(&project.id, &resource.name, &record)
                        .map_err(|e| e.to_string())?;
                }
                Err(crate::cloud::CloudError::NotFound(_)) => {
                    store
                        .mark_gone(&project.id, &resource.name)
                        .map_err(|e| e.to_string())?;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        let resource = super::provisioning::stored(store, &project.id, &args.name)?;
        Ok(Json(ResourceView {
            record: resource.record.clone(),
            resource,
        }))
    }
}

/// Sets the project's providers (deduplicated, each allowed by the operator) and fills in default configs.
fn set_providers(
    project: &mut Project,
    mut providers: Vec<Provider>,
    ceiling: &Policy,
) -> Result<(), String> {
    providers.sort();
    providers.dedup();
    if providers.is_empty() {
        return Err("cloud_providers: name at least one of \"digitalocean\", \"aws\"".to_string());
    }
    if let Some(refused) = providers
        .iter()
        .find(|p| !ceiling.providers.is_empty() && !ceiling.providers.contains(p))
    {
        let allowed: Vec<&str> = ceiling.providers.iter().map(|p| p.as_str()).collect();
        return Err(format!(
            "cloud_providers: the operator's policy does not allow {refused}; allowed: {}",
            allowed.join(", ")
        ));
    }
    for provider in &providers {
        let region = mapping::offering(*provider).default_region.to_string();
        match provider {
            Provider::Aws if project.aws_config.is_none() => {
                project.aws_config = Some(AwsConfig {
                    region,
                    vpc_id: None,
                    credentials: None,
                });
            }
            Provider::Digitalocean if project.do_config.is_none() => {
                project.do_config = Some(DoConfig {
                    region,
                    token: None,
                });
            }
            _ => {}
        }
    }
    project.cloud_providers = providers;
    Ok(())
}

fn validate(project: &Project) -> Result<(), String> {
    if let Some(c) = &project.aws_config {
        if !project.cloud_providers.contains(&Provider::Aws) {
            return Err(
                "aws_config: add \"aws\" to cloud_providers, or leave aws_config out".to_string(),
            );
        }
        mapping::region(Provider::Aws, &c.region).map_err(|e| format!("aws_config.region: {e}"))?;
        if let Some(vpc) = &c.vpc_id {
            let valid = vpc.strip_prefix("vpc-").is_some_and(|h| {
                !h.is_empty() && h.len() <= 17 && h.chars().all(|c| c.is_ascii_hexdigit())
            });
            if !valid {
                return Err(format!(
                    "aws_config.vpc_id: \"{vpc}\" is not a VPC id like vpc-0a1b2c3d"
                ));
            }
        }
        if let Some(profile) = &c.credentials {
            let valid = !profile.is_empty()
                && profile.len() <= 64
                && profile
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+'));
            if !valid {
                return Err(
                    "aws_config.credentials: give the name of an AWS profile (letters, digits, - _ . @ +), never keys"
                        .to_string(),
                );
            }
        }
    }
    if let Some(c) = &project.do_config {
        if !project.cloud_providers.contains(&Provider::Digitalocean) {
            return Err(
                "do_config: add \"digitalocean\" to cloud_providers, or leave do_config out"
                    .to_string(),
            );
        }
        mapping::region(Provider::Digitalocean, &c.region)
            .map_err(|e| format!("do_config.region: {e}"))?;
        if let Some(token) = &c.token {
            TokenRef::parse(token).map_err(|e| format!("do_config.token: {e}"))?;
        }
    }
    if let Some(budget) = project.monthly_budget_usd
        && !(budget.is_finite() && budget >= 0.0)
    {
        return Err(format!(
            "monthly_budget_usd: {budget} is not an amount of USD ≥ 0"
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_PROJECT_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--");
    if valid {
        Ok(())
    } else {
        Err(format!(
            "name: \"{}\" is not a valid project name: use 1-{MAX_PROJECT_NAME} lowercase letters, digits and single \
             hyphens, starting with a letter (e.g. \"shop\", \"blog-prod\")",
            crate::config::redact(name)
        ))
    }
}

/// What the activity log keeps about a project's settings: references only.
fn describe(project: &Project) -> String {
    let providers: Vec<&str> = project.cloud_providers.iter().map(|p| p.as_str()).collect();
    format!(
        "providers [{}], budget {}",
        providers.join(", "),
        project
            .monthly_budget_usd
            .map_or_else(|| "none".to_string(), |b| format!("${b:.2}/month"))
    )
}

pub(super) fn live_cost(resources: &[StoredResource]) -> f64 {
    let total: f64 = resources
        .iter()
        .filter(|r| r.state.is_live())
        .filter_map(|r| r.monthly_cost)
        .sum();
    // An empty float sum is -0.0, which would print as "$-0.00": adding 0.0 makes it 0.0.
    (total * 100.0).round() / 100.0 + 0.0
}

/// The activity log is an audit trail, not a gate: a failed write is logged, never fatal to the call.
pub(super) fn log(
    server: &RiftServer,
    client: Option<&str>,
    project_id: &str,
    tool: &str,
    action: &str,
    outcome: &str,
    detail: &str,
) {
    if let Err(e) = server
        .state
        .store
        .log(Some(project_id), client, tool, action, outcome, detail)
    {
        tracing::warn!("could not append to the activity log: {e}");
    }
}

/// The name the client declared in its initialize request, as the activity log keeps it: scanned like every
/// other string a client sends (a secret becomes a placeholder) and cut to 100 characters.
pub(super) fn client_name(peer: &Peer<RoleServer>) -> Option<String> {
    // Longer than any real client's name ("claude-ai", "mcp-inspector", "Visual Studio Code - Insiders").
    const CLIENT_NAME_MAX: usize = 100;
    peer.peer_info().map(|info| {
        crate::config::redact(&info.client_info.name)
            .chars()
            .take(CLIENT_NAME_MAX)
            .collect()
    })
}

impl RiftServer {
    pub(super) async fn new_project(
        &self,
        args: CreateProjectArgs,
        client: Option<String>,
    ) -> Result<Project, String> {
        check_name(&args.name)?;
        let mut project = Project {
            id: args.name.clone(),
            name: args.name,
            cloud_providers: vec![],
            aws_config: args.aws_config,
            do_config: args.do_config,
            monthly_budget_usd: args
                .monthly_budget_usd
                .or(self.state.settings.default_monthly_budget_usd),
            policy: args.policy.unwrap_or_default(),
            created_at: String::new(),
            updated_at: String::new(),
        };
        set_providers(
            &mut project,
            args.cloud_providers,
            &self.state.settings.policy,
        )?;
        validate(&project)?;
        let store = &self.state.store;
        store.insert_project(&project).map_err(|e| e.to_string())?;
        log(
            self,
            client.as_deref(),
            &project.id,
            "create_project",
            "create",
            "created",
            &describe(&project),
        );
        store
            .require_project(&project.id)
            .map_err(|e| e.to_string())
    }

    pub(super) async fn change_project(
        &self,
        args: UpdateProjectArgs,
        client: Option<String>,
    ) -> Result<Project, String> {
        let store = &self.state.store;
        let mut project = store
            .require_project(&args.project_id)
            .map_err(|e| e.to_string())?;
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
        let live = store.resources(&project.id).map_err(|e| e.to_string())?;
        if let Some(kept) = live
            .iter()
            .find(|r| r.state.is_live() && !providers.contains(&r.provider))
        {
            return Err(format!(
                "cloud_providers: {} still has live resources in this project (e.g. {}); delete them before removing \
                 the provider",
                kept.provider, kept.name
            ));
        }
        set_providers(&mut project, providers, &self.state.settings.policy)?;
        validate(&project)?;
        store.update_project(&project).map_err(|e| e.to_string())?;
        log(
            self,
            client.as_deref(),
            &project.id,
            "update_project",
            "update",
            "updated",
            &describe(&project),
        );
        store
            .require_project(&project.id)
            .map_err(|e| e.to_string())
    }

    pub(super) async fn project_view(
        &self,
        args: GetProjectArgs,
        client: Option<String>,
    ) -> Result<ProjectView, String> {
        let store = &self.state.store;
        let project = store
            .require_project(&args.project_id)
            .map_err(|e| e.to_string())?;
        let reconcile = if args.refresh {
            let report = engine::reconcile(store, &self.state.clouds, &project)
                .await
                .map_err(|e| e.to_string())?;
            let detail = format!(
                "found {:?}, gone {:?}, interrupted {:?}, unreachable {}",
                report.found,
                report.gone,
                report.interrupted,
                report.unreachable.len()
            );
            log(
                self,
                client.as_deref(),
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
        let resources = store.resources(&project.id).map_err(|e| e.to_string())?;
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
                monthly_cost: live_cost(&mine),
                resources: mine,
            });
        }
        Ok(ProjectView {
            monthly_cost: live_cost(&resources),
            activity: store.activity(&project.id, 10).map_err(|e| e.to_string())?,
            project,
            providers,
            reconcile,
        })
    }
}
