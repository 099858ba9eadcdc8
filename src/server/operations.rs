//! The operate group: `get_metrics`. Read-only; crate::operations reads the clouds, this file parses and answers.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::error::ToolError;
use super::{Args, RiftServer};
use crate::model::{Metric, Provider, ResourceKind};
use crate::operations::{MetricsReport, MetricsRequest};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMetricsArgs {
    pub project_id: String,
    /// One resource by name (default: every live resource with metrics).
    pub resource: Option<String>,
    pub kind: Option<ResourceKind>,
    pub provider: Option<Provider>,
    /// Default: every metric of each resource's kind.
    pub metrics: Option<Vec<Metric>>,
    /// The window, ending now (default 60).
    #[schemars(range(min = 1, max = 20160))]
    pub minutes: Option<u32>,
    /// Seconds between points, whole minutes (default: about 60 points).
    #[schemars(range(min = 60, max = 86400))]
    pub step_s: Option<u32>,
    /// Every point, not only last/min/max/average.
    #[serde(default)]
    pub series: bool,
}

#[tool_router(router = operations_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Metrics of a project's resources on both clouds under one set of names (servers: cpu_percent, memory_percent, disk_used_percent, network_in_bytes, network_out_bytes; databases: cpu_percent, connections, free_storage_bytes; load balancers: requests, http_5xx, latency_ms; caches: cpu_percent, evictions, hit_ratio), each with its native source. Last/min/max/average per metric; series: true adds the points. A metric a cloud does not publish is unavailable with the reason, never zero.",
        annotations(
            title = "Get metrics",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn get_metrics(
        &self,
        Parameters(Args(args)): Parameters<Args<GetMetricsArgs>>,
    ) -> Result<Json<MetricsReport>, ToolError> {
        let request = MetricsRequest {
            project_id: args.project_id,
            resource: args.resource,
            kind: args.kind,
            provider: args.provider,
            metrics: args.metrics,
            minutes: args.minutes,
            step_s: args.step_s,
            series: args.series,
            now: chrono::Utc::now().timestamp(),
        };
        Ok(Json(self.state.operations.metrics(request).await?))
    }
}
