//! The migrate group: `plan_migration` and `discover_resources` (read-only). crate::migration plans the move;
//! this file parses, stores the target plan (so estimate_cost, generate_terraform and apply_plan take its id)
//! and answers; crate::operations lists what runs unmanaged.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::error::ToolError;
use super::{Args, RiftServer};
use crate::migration::{MigrationPlan, MigrationRequest, plan_migration};
use crate::model::{Provider, ResourceKind};
use crate::operations::{DiscoverRequest, Discovery};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanMigrationArgs {
    pub project_id: String,
    /// One resource by name; or give component.
    pub resource: Option<String>,
    /// Every resource of one component (a tier, e.g. all web servers).
    pub component: Option<String>,
    /// The cloud to move to.
    pub to: Provider,
    /// Default: the project's region there.
    pub region: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverResourcesArgs {
    pub project_id: String,
    /// The cloud to list, in the project's region there and with its credentials.
    pub provider: Provider,
    pub kind: Option<ResourceKind>,
    /// next_cursor of the page before.
    pub cursor: Option<String>,
    /// Default 50.
    #[schemars(range(min = 1, max = 200))]
    pub limit: Option<u32>,
}

#[tool_router(router = migration_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Plan moving one resource (or a component's tier) of a project to the other cloud: the target (same or next size up, same engine and major version) as a stored plan_id, the project's monthly cost before and after, the link needed while both run, the ordered steps with their downtime, the cut-over and the rollback. Changes nothing.",
        annotations(
            title = "Plan a migration",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn plan_migration(
        &self,
        Parameters(Args(args)): Parameters<Args<PlanMigrationArgs>>,
    ) -> Result<Json<MigrationPlan>, ToolError> {
        let request = MigrationRequest {
            project_id: args.project_id,
            resource: args.resource,
            component: args.component,
            to: args.to,
            region: args.region,
        };
        let (answer, target) =
            plan_migration(self.state.changes.projects(), &self.state.prices, &request)?;
        self.state.plans.insert(target);
        Ok(Json(answer))
    }

    #[tool(
        description = "List what runs in the project's DigitalOcean account or AWS region that no rift project manages (droplets, clusters, load balancers, volumes, VPCs, firewalls, buckets; EC2, RDS, ALBs, EBS, S3, VPCs, security groups, ElastiCache), each with its kind, size and catalog monthly cost, a page at a time. Changes nothing.",
        annotations(
            title = "Discover unmanaged resources",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn discover_resources(
        &self,
        Parameters(Args(args)): Parameters<Args<DiscoverResourcesArgs>>,
    ) -> Result<Json<Discovery>, ToolError> {
        let request = DiscoverRequest {
            project_id: args.project_id,
            provider: args.provider,
            kind: args.kind,
            cursor: args.cursor,
            limit: args.limit,
        };
        let prices = self.state.prices.current()?;
        Ok(Json(
            self.state.operations.discover(request, &prices).await?,
        ))
    }
}
