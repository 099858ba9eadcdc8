//! The operate group's reads of alerts and incidents: `list_alerts`, `list_incidents`, `get_incident`, and
//! `acknowledge_incident` (which changes only rift's record). crate::operations does the work.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, Peer, RoleServer, tool, tool_router};
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
