//! Read-only planning tools: `describe_mapping` and `plan_deployment`. Offline; no credentials needed.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::ToolError;
use super::{Args, RiftServer};
use crate::mapping::{self, EngineOffering, KindMapping, ProviderResource, Region, Size};
use crate::model::{DeploymentRequest, Engine, Plan, Provider, ResourceKind};
use crate::planner;

/// Filters for `describe_mapping`; both optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeMappingArgs {
    /// Only this provider's offering.
    #[serde(default)]
    pub provider: Option<Provider>,
    /// Only this kind.
    #[serde(default)]
    pub kind: Option<ResourceKind>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MappingDescription {
    /// Which resource serves each kind on each provider.
    pub kinds: Vec<KindRow>,
    /// What each provider offers.
    pub providers: Vec<ProviderOffering>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct KindRow {
    pub kind: ResourceKind,
    pub digitalocean: ResourceRow,
    pub aws: ResourceRow,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ResourceRow {
    pub terraform_type: String,
    /// Resources that come with it.
    pub companions: Vec<String>,
    pub note: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProviderOffering {
    pub provider: Provider,
    pub default_region: String,
    pub regions: Vec<RegionRow>,
    pub sizes: SizesByKind,
    pub engines: Vec<EngineRow>,
    /// Smallest and largest volume in GB.
    pub volume_gb: [u32; 2],
    /// Fewest and most load balancer nodes.
    pub load_balancer_nodes: [u32; 2],
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RegionRow {
    pub slug: String,
    pub name: String,
    pub object_storage: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SizesByKind {
    pub web_server: Vec<SizeRow>,
    pub database: Vec<SizeRow>,
    pub cache: Vec<SizeRow>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SizeRow {
    pub slug: String,
    pub vcpus: u32,
    pub memory_gb: f64,
    /// Local disk, or storage included in the price; 0 when storage is separate.
    pub disk_gb: u32,
    pub family: String,
    /// Sizing picks from these when no exact size is named.
    pub default: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EngineRow {
    pub engine: Engine,
    pub kind: ResourceKind,
    /// The provider's own name for the engine.
    pub native_name: String,
    pub versions: Vec<String>,
    pub default_version: String,
    pub port: u16,
    pub max_nodes: u32,
}

#[tool_router(router = planning_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "The mapping rift enforces: each kind's DigitalOcean and AWS resource, and per provider the regions, sizes and engines. Optional filters: provider, kind.",
        annotations(
            title = "Describe the resource mapping",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn describe_mapping(
        &self,
        Parameters(Args(args)): Parameters<Args<DescribeMappingArgs>>,
    ) -> Result<Json<MappingDescription>, ToolError> {
        Ok(Json(describe(&args)))
    }

    #[tool(
        description = "Plan a deployment from requirements: each component is mapped to its provider's resource and smallest fitting size (or its exact size); networks and firewalls are derived. Returns the resources in dependency order, warnings and a plan_id for the other tools. Creates nothing.",
        annotations(
            title = "Plan a deployment",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn plan_deployment(
        &self,
        Parameters(Args(request)): Parameters<Args<DeploymentRequest>>,
    ) -> Result<Json<Plan>, ToolError> {
        let plan = planner::plan(&request)?;
        self.state.plans.insert(plan.clone());
        Ok(Json(plan))
    }
}

fn describe(args: &DescribeMappingArgs) -> MappingDescription {
    let kind_wanted = |k: ResourceKind| args.kind.is_none_or(|wanted| wanted == k);
    let kinds = mapping::kinds()
        .iter()
        .filter(|m| kind_wanted(m.kind))
        .map(kind_row)
        .collect();
    let providers = Provider::ALL
        .into_iter()
        .filter(|p| args.provider.is_none_or(|wanted| wanted == *p))
        .map(|p| {
            let offer = mapping::offering(p);
            let sizes = |kind: ResourceKind| -> Vec<SizeRow> {
                if kind_wanted(kind) {
                    mapping::sizes(p, kind).iter().map(size_row).collect()
                } else {
                    vec![]
                }
            };
            ProviderOffering {
                provider: p,
                default_region: offer.default_region.to_string(),
                regions: offer.regions.iter().map(region_row).collect(),
                sizes: SizesByKind {
                    web_server: sizes(ResourceKind::WebServer),
                    database: sizes(ResourceKind::Database),
                    cache: sizes(ResourceKind::Cache),
                },
                engines: offer
                    .engines
                    .iter()
                    .filter(|e| kind_wanted(e.kind))
                    .map(engine_row)
                    .collect(),
                volume_gb: [offer.volume_gb.0, offer.volume_gb.1],
                load_balancer_nodes: [offer.load_balancer_nodes.0, offer.load_balancer_nodes.1],
            }
        })
        .collect();
    MappingDescription { kinds, providers }
}

fn kind_row(m: &KindMapping) -> KindRow {
    KindRow {
        kind: m.kind,
        digitalocean: resource_row(&m.digitalocean),
        aws: resource_row(&m.aws),
    }
}

fn resource_row(r: &ProviderResource) -> ResourceRow {
    ResourceRow {
        terraform_type: r.terraform_type.to_string(),
        companions: r.companions.iter().map(|c| c.to_string()).collect(),
        note: r.note.to_string(),
    }
}

fn region_row(r: &Region) -> RegionRow {
    RegionRow {
        slug: r.slug.to_string(),
        name: r.name.to_string(),
        object_storage: r.object_storage,
    }
}

fn size_row(s: &Size) -> SizeRow {
    SizeRow {
        slug: s.slug.to_string(),
        vcpus: s.vcpus,
        memory_gb: s.memory_gb,
        disk_gb: s.disk_gb,
        family: s.family.to_string(),
        default: s.default_ladder,
    }
}

fn engine_row(e: &EngineOffering) -> EngineRow {
    EngineRow {
        engine: e.engine,
        kind: e.kind,
        native_name: e.native_name.to_string(),
        versions: e.versions.iter().map(|v| v.to_string()).collect(),
        default_version: e.default_version.to_string(),
        port: e.port,
        max_nodes: e.max_nodes,
    }
}
