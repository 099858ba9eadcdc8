//! The operate group's reads of alerts and incidents: `list_alerts`, `list_incidents`, `get_incident`, and
//! `acknowledge_incident` (which changes only rift's record); the resource `rift://projects/{id}/health`.
//! crate::operations and crate::project do the work.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ReadResourceResult, ResourceContents, ResourceTemplate};
use rmcp::{ErrorData, Json, Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::error::ToolError;
use super::{Args, RiftServer};
use crate::operations::{AlertsReport, IncidentAnswer, IncidentsReport};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectArgs {
    pub project_id: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListIncidentsArgs {
    pub project_id: String,
    /// Include resolved ones.
    #[serde(default)]
    pub resolved: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentArgs {
    pub project_id: String,
    pub incident_id: String,
}

#[tool_router(router = incidents_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "A project's alert rules and their cloud alarms, from rift's store.",
        annotations(
            title = "List alerts",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn list_alerts(
        &self,
        Parameters(Args(args)): Parameters<Args<ProjectArgs>>,
    ) -> Result<Json<AlertsReport>, ToolError> {
        Ok(Json(self.state.operations.alerts(&args.project_id)?))
    }

    #[tool(
        description = "Check what fires (CloudWatch alarms; DigitalOcean rules rift evaluates on metrics) and list incidents: one per rule and resource, open/acknowledged/resolved, naming what depends on it.",
        annotations(
            title = "List incidents",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn list_incidents(
        &self,
        Parameters(Args(args)): Parameters<Args<ListIncidentsArgs>>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<IncidentsReport>, ToolError> {
        let client = super::projects::client_name(&peer);
        let report = self
            .state
            .operations
            .incidents(
                &args.project_id,
                args.resolved,
                chrono::Utc::now().timestamp(),
                client.as_deref(),
            )
            .await?;
        Ok(Json(report))
    }

    #[tool(
        description = "An incident, its timeline, and the remedies it fits, each with why.",
        annotations(
            title = "Get an incident",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn get_incident(
        &self,
        Parameters(Args(args)): Parameters<Args<IncidentArgs>>,
    ) -> Result<Json<IncidentAnswer>, ToolError> {
        Ok(Json(
            self.state
                .operations
                .incident(&args.project_id, &args.incident_id)?,
        ))
    }

    #[tool(
        description = "Acknowledge an open incident (who and when are recorded).",
        annotations(
            title = "Acknowledge an incident",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn acknowledge_incident(
        &self,
        Parameters(Args(args)): Parameters<Args<IncidentArgs>>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<IncidentAnswer>, ToolError> {
        let client = super::projects::client_name(&peer);
        self.state.operations.acknowledge(
            &args.project_id,
            &args.incident_id,
            chrono::Utc::now().timestamp(),
            client.as_deref(),
        )?;
        Ok(Json(
            self.state
                .operations
                .incident(&args.project_id, &args.incident_id)?,
        ))
    }
}

/// `rift://projects/{project_id}/health`: the project's health per cloud and its unresolved incidents, as JSON.
const HEALTH_TEMPLATE: &str = "rift://projects/{project_id}/health";

pub(super) fn health_templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(HEALTH_TEMPLATE, "health")
            .with_title("A project's health")
            .with_description(
                "Per cloud: resources by state and unresolved incidents (as list_incidents last found them), then the incidents.",
            )
            .with_mime_type("application/json"),
    ]
}

impl RiftServer {
    /// The health resource, when the URI names one.
    pub(super) fn read_health(&self, uri: &str) -> Option<Result<ReadResourceResult, ErrorData>> {
        let project_id = uri
            .strip_prefix("rift://projects/")?
            .strip_suffix("/health")?;
        let answer = self
            .state
            .changes
            .projects()
            .health(project_id)
            .map_err(|e| ErrorData::resource_not_found(e.to_string(), None))
            .and_then(|(clouds, incidents)| {
                serde_json::to_string_pretty(&serde_json::json!({
                    "project_id": project_id,
                    "clouds": clouds,
                    "incidents": incidents,
                }))
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))
            })
            .map(|text| {
                ReadResourceResult::new(vec![
                    ResourceContents::text(text, uri).with_mime_type("application/json"),
                ])
            });
        Some(answer)
    }
}
