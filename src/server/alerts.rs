//! The operate group's changes: `create_alert`, `delete_alert`, `remediate`. Listed only when writes are enabled;
//! each is previewed and approved like every change (crate::change), this file only parses.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::RequestMetaObject;
use rmcp::{Json, Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::answer::ChangeAnswer;
use super::error::ToolError;
use super::provisioning::Call;
use super::{Args, RiftServer};
use crate::change::{AlertRequest, Change, Remedy};
use crate::model::{Comparison, Metric, ResourceKind};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAlertArgs {
    pub project_id: String,
    /// a-z, 0-9, -; unique in the project.
    pub name: String,
    pub metric: Metric,
    pub comparison: Comparison,
    pub threshold: f64,
    /// How long it must hold (1–60).
    #[schemars(range(min = 1, max = 60))]
    pub minutes: u32,
    /// Resource names; or give kind.
    #[serde(default)]
    pub resources: Vec<String>,
    pub kind: Option<ResourceKind>,
    /// Emails; SNS topic ARNs for AWS.
    #[serde(default)]
    pub notify: Vec<String>,
    pub approval_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAlertArgs {
    pub project_id: String,
    pub name: String,
    pub approval_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediateArgs {
    pub project_id: String,
    pub incident_id: String,
    /// One of get_incident's remedies.
    pub remedy: Remedy,
    pub approval_token: Option<String>,
}

#[tool_router(router = alerting_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Alert when a metric stays above/below threshold for minutes on resources or a kind: CloudWatch alarms, DigitalOcean alert policies. Preview + approval_token, then execute.",
        annotations(
            title = "Create an alert",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_alert(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateAlertArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
        let rule = AlertRequest {
            name: args.name.clone(),
            metric: args.metric,
            comparison: args.comparison,
            threshold: args.threshold,
            minutes: args.minutes,
            resources: args.resources.clone(),
            kind: args.kind,
            notify: args.notify.clone(),
        };
        let request = call.request(
            "create_alert",
            &args.project_id,
            Change::CreateAlert { rule },
            &args,
            args.approval_token.clone(),
        );
        self.run(request, call).await
    }

    #[tool(
        description = "Delete an alert rule and its cloud alarms. Preview + approval_token, then execute.",
        annotations(
            title = "Delete an alert",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn delete_alert(
        &self,
        Parameters(Args(args)): Parameters<Args<DeleteAlertArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
        let request = call.request(
            "delete_alert",
            &args.project_id,
            Change::DeleteAlert {
                name: args.name.clone(),
            },
            &args,
            args.approval_token.clone(),
        );
        self.run(request, call).await
    }

    #[tool(
        description = "Fix an incident's resource (reboot, resize_up). Preview with cost and policy + approval_token, then execute; on the incident's timeline.",
        annotations(
            title = "Remediate an incident",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn remediate(
        &self,
        Parameters(Args(args)): Parameters<Args<RemediateArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
        let request = call.request(
            "remediate",
            &args.project_id,
            Change::Remediate {
                incident_id: args.incident_id.clone(),
                remedy: args.remedy,
            },
            &args,
            args.approval_token.clone(),
        );
        self.run(request, call).await
    }
}
