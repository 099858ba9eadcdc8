//! Project tools (`create_project`, `get_project`, `list_projects`, `update_project`) and the read-only
//! resource tools (`list_resources`, `get_resource`). Always listed: none of them changes anything in a cloud.
//! The rules and views are crate::project's; these tools parse and answer.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::ToolError;
use super::{Args, RiftServer};
use crate::model::{Project, Provider};
use crate::project::{NewProject, ProjectSummary, ProjectUpdate, ProjectView, ResourceView};
use crate::store::StoredResource;

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
pub struct ProjectList {
    pub projects: Vec<ProjectSummary>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ResourceList {
    pub resources: Vec<StoredResource>,
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
        Parameters(Args(args)): Parameters<Args<NewProject>>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<Project>, ToolError> {
        let client = client_name(&peer);
        Ok(Json(self.projects().create(args, client.as_deref())?))
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
        Parameters(Args(args)): Parameters<Args<ProjectUpdate>>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<Project>, ToolError> {
        let client = client_name(&peer);
        Ok(Json(self.projects().update(args, client.as_deref())?))
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
    ) -> Result<Json<ProjectView>, ToolError> {
        let client = client_name(&peer);
        let view = self
            .state
            .changes
            .project_view(&args.project_id, args.refresh, client.as_deref())
            .await?;
        Ok(Json(view))
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
    ) -> Result<Json<ProjectList>, ToolError> {
        Ok(Json(ProjectList {
            projects: self.projects().list(args.provider)?,
        }))
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
    ) -> Result<Json<ResourceList>, ToolError> {
        Ok(Json(ResourceList {
            resources: self.projects().resources(&args.project_id, args.provider)?,
        }))
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
    ) -> Result<Json<ResourceView>, ToolError> {
        let view = self
            .projects()
            .resource_view(&args.project_id, &args.name, args.refresh)
            .await?;
        Ok(Json(view))
    }
}

impl RiftServer {
    fn projects(&self) -> &crate::project::Projects {
        self.state.changes.projects()
    }
}

/// Who asked, as the activity log keeps it: the user a per-user bearer token named (HTTP), with the name the
/// client declared in its initialize request — `alice (claude-ai)`, `alice`, or `claude-ai`. The client's name is
/// scanned like every other string a client sends (a secret becomes a placeholder) and cut to 100 characters.
pub(super) fn client_name(peer: &Peer<RoleServer>) -> Option<String> {
    // Longer than any real client's name ("claude-ai", "mcp-inspector", "Visual Studio Code - Insiders").
    const CLIENT_NAME_MAX: usize = 100;
    // A stateless HTTP request has no initialize behind it: rmcp then fills in its own placeholder, which names
    // no client.
    let placeholder = rmcp::model::Implementation::default();
    let declared = peer.peer_info().filter(|info| {
        info.client_info.name != placeholder.name || info.client_info.version != placeholder.version
    });
    let client: Option<String> = declared.map(|info| {
        crate::config::redact(&info.client_info.name)
            .chars()
            .take(CLIENT_NAME_MAX)
            .collect()
    });
    match (super::users::caller(), client) {
        (Some(user), Some(client)) => Some(format!("{user} ({client})")),
        (Some(user), None) => Some(user.to_string()),
        (None, client) => client,
    }
}
