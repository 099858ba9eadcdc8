//! The migrate group: `plan_migration` and `discover_resources` (read-only). crate::migration plans the move;
//! this file parses, stores the target plan (so estimate_cost, generate_terraform and apply_plan take its id)
//! and answers; crate::operations lists what runs unmanaged.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::RequestMetaObject;
use rmcp::{Json, Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::answer::ChangeAnswer;
use super::error::ToolError;
use super::provisioning::Call;
use super::{Args, RiftServer};
use crate::change::Change;
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
        description = "Plan moving a resource (or a component's tier) to the other cloud: the target as a stored plan_id (same or next size up, same engine and major version), monthly cost before and after, the link while both run, ordered steps with downtime, cut-over and rollback. Changes nothing.",
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
        description = "What runs in the project's account (DigitalOcean) or region (AWS) that no rift project manages, with kind, size and catalog monthly cost; paginated. Changes nothing.",
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

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptResourcesArgs {
    pub project_id: String,
    pub provider: Provider,
    /// Ids from discover_resources (1–50).
    #[schemars(length(min = 1, max = 50))]
    pub cloud_ids: Vec<String>,
    pub approval_token: Option<String>,
}

#[tool_router(router = adoption_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Record unmanaged resources (discover_resources ids) in the project as adopted; the cloud is not changed. Preview + approval_token, then execute.",
        annotations(
            title = "Adopt resources",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn adopt_resources(
        &self,
        Parameters(Args(args)): Parameters<Args<AdoptResourcesArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
        let found = self
            .state
            .operations
            .unmanaged_by_id(&args.project_id, args.provider, &args.cloud_ids)
            .await?;
        let request = call.request(
            "adopt_resources",
            &args.project_id,
            Change::Adopt { found },
            &args,
            args.approval_token.clone(),
        );
        self.run(request, call).await
    }
}
