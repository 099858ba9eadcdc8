//! The mutating tools: `apply_plan`, the provider-neutral `create_*` tools, `resize_resource` and
//! `delete_resource`. Listed only when writes are enabled. Every call is two steps: without `approval_token` it
//! returns a preview (exact resources, cost delta, policy verdict) and a token bound to that request; the same
//! call with the token executes it. Policy is checked on both steps.

use std::collections::BTreeMap;
use std::sync::Arc;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ProgressNotificationParam, RequestMetaObject};
use rmcp::{Json, Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::projects::{live_cost, log};
use super::{Args, RiftServer};
use crate::approval::request_hash;
use crate::cloud::{DeleteOutcome, NewSize, Progress};
use crate::engine::{self, Reporter};
use crate::model::{
    Component, DeploymentRequest, Engine as DbEngine, Plan, PlannedResource, Provider,
    ResourceKind, ResourceSpec,
};
use crate::policy::{self, Change, EffectivePolicy, Verdict};
use crate::store::{Project, ResourceState, Store, StoredResource, now, rfc3339};
use crate::{mapping, planner};

/// The tools of this router: with writes off they are neither listed nor callable, and a call gets a message
/// saying how to enable them rather than "tool not found".
pub(super) const TOOLS: [&str; 11] = [
    "apply_plan",
    "create_instance",
    "create_database",
    "create_load_balancer",
    "create_volume",
    "create_bucket",
    "create_network",
    "create_firewall",
    "create_cache",
    "resize_resource",
    "delete_resource",
];

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyPlanArgs {
    pub project_id: String,
    pub plan_id: String,
    /// From the preview.
    pub approval_token: Option<String>,
}

/// One resource to create, whatever its kind: what every `create_*` tool's arguments become. The component is
/// what a plan_deployment request would say of it, so the planner validates it against the mapping.
#[derive(Debug, Clone, Serialize)]
pub struct CreateArgs {
    pub project_id: String,
    pub provider: Provider,
    pub region: Option<String>,
    pub component: Component,
    pub approval_token: Option<String>,
}

/// The arguments of one `create_*` tool: the common ones plus only the requirement fields its kind takes, so
/// each tool's schema lists what applies (and tools/list stays small). Sizing as in a plan_deployment component.
macro_rules! create_args {
    ($name:ident, $kind:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Debug, Clone, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            pub project_id: String,
            pub provider: Provider,
            /// Default: the project's.
            pub region: Option<String>,
            /// a-z, 0-9, -; the resource is <project_id>-<name>.
            pub name: String,
            $(pub $field: Option<$ty>,)*
            /// From the preview.
            pub approval_token: Option<String>,
        }

        impl From<$name> for CreateArgs {
            fn from(args: $name) -> CreateArgs {
                CreateArgs {
                    project_id: args.project_id,
                    provider: args.provider,
                    region: args.region,
                    component: Component {
                        $($field: args.$field,)*
                        ..Component::new(args.name, ResourceKind::$kind)
                    },
                    approval_token: args.approval_token,
                }
            }
        }
    };
}

create_args!(CreateInstanceArgs, WebServer {
    size: String,
    vcpus: u32,
    memory_gb: f64,
    storage_gb: u32,
    count: u32,
    ports: Vec<u16>,
    public: bool,
    image: String,
    user_data: String,
    ssh_keys: Vec<String>,
});
create_args!(
    CreateDatabaseArgs,
    Database {
        size: String,
        vcpus: u32,
        memory_gb: f64,
        storage_gb: u32,
        count: u32,
        engine: DbEngine,
        version: String,
        high_availability: bool,
    }
);
create_args!(
    CreateCacheArgs,
    Cache {
        size: String,
        vcpus: u32,
        memory_gb: f64,
        count: u32,
        engine: DbEngine,
        version: String,
        high_availability: bool,
    }
);
create_args!(CreateLoadBalancerArgs, LoadBalancer {
    ports: Vec<u16>,
    count: u32,
    high_availability: bool,
});
create_args!(
    CreateVolumeArgs,
    BlockStorage {
        storage_gb: u32,
        count: u32,
    }
);
create_args!(CreateBucketArgs, ObjectStorage { storage_gb: u32 });
create_args!(CreateNetworkArgs, Network {});
create_args!(CreateFirewallArgs, Firewall { ports: Vec<u16> });

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResizeArgs {
    pub project_id: String,
    pub name: String,
    pub size: Option<String>,
    pub storage_gb: Option<u32>,
    pub approval_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteArgs {
    pub project_id: String,
    pub name: String,
    pub approval_token: Option<String>,
}

/// A preview (with the token that approves it) or what the execution did. Lines of text rather than nested
/// objects: this type is the output schema of eleven tools, and tools/list is context an agent pays for.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Mutation {
    pub status: MutationStatus,
    /// Preview: one line per resource (action, name, provider, kind, region, size, cost per month). Executed: what
    /// happened to each ("created NAME CLOUD-ID", "failed NAME: why", ...).
    pub changes: Vec<String>,
    pub monthly_cost_delta: f64,
    /// The project's monthly cost after the change.
    pub monthly_cost_after: f64,
    /// The policy verdict with its numbers (cost now, budget, caps).
    pub policy: String,
    /// Preview only: call the same tool with the same arguments plus this token to execute.
    pub approval_token: Option<String>,
    pub message: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MutationStatus {
    Preview,
    Executed,
    /// Executed, but some resources failed or were skipped: see changes.
    Partial,
}

/// One resource a call would touch.
#[derive(Debug, Clone)]
struct ChangeRow {
    name: String,
    kind: ResourceKind,
    provider: Provider,
    region: String,
    size: Option<String>,
    /// create, exists (already created: left alone), resize, delete.
    action: &'static str,
    monthly_cost: Option<f64>,
}

impl ChangeRow {
    fn line(&self) -> String {
        format!(
            "{} {} ({} {}, {}{}){}",
            self.action,
            self.name,
            self.provider,
            self.kind,
            self.region,
            self.size
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            self.monthly_cost
                .map(|c| format!(" ${c:.2}/month"))
                .unwrap_or_default()
        )
    }
}

/// What a call would do, checked against the policy.
struct Proposal {
    tool: &'static str,
    project: Project,
    /// Binds the approval token: the normalized arguments plus what they resolved to.
    hash: String,
    changes: Vec<ChangeRow>,
    current: f64,
    delta: f64,
    verdict: Verdict,
    policy: String,
    warnings: Vec<String>,
    action: Action,
}

enum Action {
    Apply {
        plan: Plan,
        costs: BTreeMap<String, f64>,
    },
    Resize {
        resource: Box<StoredResource>,
        planned: Box<PlannedResource>,
        to: NewSize,
        cost: f64,
    },
    Delete {
        resource: Box<StoredResource>,
    },
}

/// What the MCP request offers an execution: progress reporting (when the client sent a progress token) and
/// cancellation.
struct Call {
    reporter: Option<Reporter>,
    cancel: CancellationToken,
    /// The client's declared name, for the activity log.
    client: Option<String>,
    /// To ask the user directly when the client supports elicitation.
    peer: Option<Peer<RoleServer>>,
    /// The task sending progress notifications; awaited before the result so none arrives after it.
    forwarder: Option<tokio::task::JoinHandle<()>>,
}

impl Call {
    fn new(meta: &RequestMetaObject, peer: &Peer<RoleServer>, cancel: CancellationToken) -> Call {
        let (reporter, forwarder) = reporter(meta, peer).unzip();
        Call {
            reporter,
            cancel,
            client: super::projects::client_name(peer),
            peer: Some(peer.clone()),
            forwarder,
        }
    }

    /// Sends the progress notifications still queued.
    async fn flush_progress(&mut self) {
        self.reporter = None;
        if let Some(forwarder) = self.forwarder.take() {
            // A forwarder that panicked has nothing left to send.
            let _ = forwarder.await;
        }
    }

    /// Cloud-level progress (waiting for a resize or delete) as progress messages.
    fn progress(&self) -> Progress {
        match self.reporter.clone() {
            Some(report) => Progress::new(move |m: &str| report(0, 1, m.to_string())),
            None => Progress::none(),
        }
    }
}

#[tool_router(router = provisioning_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Apply a plan (from plan_deployment) to a project. Without approval_token: a preview (resources, cost delta, policy verdict) and a token. Same call with the token: creates the resources in dependency order, skipping ones already created.",
        annotations(
            title = "Apply a plan",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn apply_plan(
        &self,
        Parameters(Args(args)): Parameters<Args<ApplyPlanArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let project = self.project(&args.project_id)?;
        let plan = self.stored_plan(&args.plan_id)?;
        let token = args.approval_token.clone();
        let hash = request_hash("apply_plan", &normalized(&args, json!(null))?);
        let proposal = self.propose_apply("apply_plan", project, plan, hash)?;
        self.run(proposal, token, Call::new(&meta, &peer, cancel))
            .await
    }

    #[tool(
        description = "Create a web server (droplet / EC2 instance) in a project. Without approval_token: preview + token; with it: execute.",
        annotations(
            title = "Create a server",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_instance(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateInstanceArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let call = Call::new(&meta, &peer, cancel);
        self.create_kind("create_instance", args.into(), call).await
    }

    #[tool(
        description = "Create a managed database in a project. Without approval_token: preview + token; with it: execute.",
        annotations(
            title = "Create a database",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_database(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateDatabaseArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let call = Call::new(&meta, &peer, cancel);
        self.create_kind("create_database", args.into(), call).await
    }

    #[tool(
        description = "Create a load balancer in a project. Without approval_token: preview + token; with it: execute.",
        annotations(
            title = "Create a load balancer",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_load_balancer(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateLoadBalancerArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let call = Call::new(&meta, &peer, cancel);
        self.create_kind("create_load_balancer", args.into(), call)
            .await
    }

    #[tool(
        description = "Create a block storage volume in a project. Without approval_token: preview + token; with it: execute.",
        annotations(
            title = "Create a volume",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_volume(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateVolumeArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let call = Call::new(&meta, &peer, cancel);
        self.create_kind("create_volume", args.into(), call).await
    }

    #[tool(
        description = "Create an object storage bucket in a project. Without approval_token: preview + token; with it: execute.",
        annotations(
            title = "Create a bucket",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_bucket(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateBucketArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let call = Call::new(&meta, &peer, cancel);
        self.create_kind("create_bucket", args.into(), call).await
    }

    #[tool(
        description = "Create a private network (VPC) in a project. Without approval_token: preview + token; with it: execute.",
        annotations(
            title = "Create a network",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_network(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateNetworkArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let call = Call::new(&meta, &peer, cancel);
        self.create_kind("create_network", args.into(), call).await
    }

    #[tool(
        description = "Create a firewall (security group) in a project. Without approval_token: preview + token; with it: execute.",
        annotations(
            title = "Create a firewall",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_firewall(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateFirewallArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let call = Call::new(&meta, &peer, cancel);
        self.create_kind("create_firewall", args.into(), call).await
    }

    #[tool(
        description = "Create a managed cache (valkey, redis) in a project. Without approval_token: preview + token; with it: execute.",
        annotations(
            title = "Create a cache",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn create_cache(
        &self,
        Parameters(Args(args)): Parameters<Args<CreateCacheArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let call = Call::new(&meta, &peer, cancel);
        self.create_kind("create_cache", args.into(), call).await
    }

    #[tool(
        description = "Resize a created resource: size (servers, databases, caches) or storage_gb (volumes, databases). Two steps: preview + approval_token, then execute.",
        annotations(
            title = "Resize a resource",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn resize_resource(
        &self,
        Parameters(Args(args)): Parameters<Args<ResizeArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let project = self.project(&args.project_id)?;
        let token = args.approval_token.clone();
        let proposal = self.propose_resize(project, &args)?;
        self.run(proposal, token, Call::new(&meta, &peer, cancel))
            .await
    }

    #[tool(
        description = "Delete a resource of a project (only ones rift created unless the policy allows more; not while others depend on it). Two steps: preview + approval_token, then execute.",
        annotations(
            title = "Delete a resource",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn delete_resource(
        &self,
        Parameters(Args(args)): Parameters<Args<DeleteArgs>>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        cancel: CancellationToken,
    ) -> Result<Json<Mutation>, String> {
        let project = self.project(&args.project_id)?;
        let token = args.approval_token.clone();
        let proposal = self.propose_delete(project, &args)?;
        self.run(proposal, token, Call::new(&meta, &peer, cancel))
            .await
    }
}

impl RiftServer {
    fn project(&self, id: &str) -> Result<Project, String> {
        self.state
            .store
            .require_project(id)
            .map_err(|e| e.to_string())
    }

    /// The project's monthly budget, never above the operator's: the agent may set a project's budget, but the
    /// configured one is a ceiling it cannot raise (and the budget of projects that set none).
    fn budget_of(&self, project: &Project) -> Option<f64> {
        match (
            project.monthly_budget_usd,
            self.state.settings.default_monthly_budget_usd,
        ) {
            (Some(own), Some(ceiling)) => Some(own.min(ceiling)),
            (own, ceiling) => own.or(ceiling),
        }
    }

    /// A change to the project with nothing in it yet: callers say what it creates, resizes or deletes.
    fn change_to<'a>(&self, project: &'a Project, current: f64, delta: f64) -> Change<'a> {
        Change {
            project_providers: &project.cloud_providers,
            creations: vec![],
            resizes: vec![],
            deletions: vec![],
            current_monthly: current,
            delta_monthly: delta,
            budget: self.budget_of(project),
            created_last_hour: 0,
        }
    }

    /// The policy verdict on a change, and the summary with its numbers that the preview shows.
    fn judge(&self, project: &Project, change: &Change<'_>) -> (Verdict, String) {
        let policy = project.policy.within(&self.state.settings.policy);
        (policy::check(&policy, change), summary(&policy, change))
    }

    /// A one-component request through the planner, so the mapping validates it before anything is called.
    async fn create_kind(
        &self,
        tool: &'static str,
        args: CreateArgs,
        call: Call,
    ) -> Result<Json<Mutation>, String> {
        let project = self.project(&args.project_id)?;
        let region = args
            .region
            .clone()
            .or_else(|| project.region(args.provider).map(str::to_string));
        let mut regions = crate::model::Regions::default();
        match args.provider {
            Provider::Aws => regions.aws = region,
            Provider::Digitalocean => regions.digitalocean = region,
        }
        let request = DeploymentRequest {
            name: Some(project.id.clone()),
            provider: Some(args.provider),
            regions,
            components: vec![args.component.clone()],
        };
        let plan =
            planner::plan(&request).map_err(|e| e.to_string().replacen("components[0].", "", 1))?;
        self.state.plans.insert(plan.clone());
        let token = args.approval_token.clone();
        let hash = request_hash(tool, &normalized(&args, json!(plan.plan_id))?);
        let proposal = self.propose_apply(tool, project, plan, hash)?;
        self.run(proposal, token, call).await
    }

    /// The preview asks each cloud whether these credentials may create what the change adds, without creating
    /// anything. A cloud that cannot be reached yet is a warning, not a refusal: the credentials may be set before
    /// the approved call.
    async fn permission_warnings(
        &self,
        project: &Project,
        creating: &[&PlannedResource],
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut unreachable: Vec<Provider> = Vec::new();
        for resource in creating {
            if unreachable.contains(&resource.provider) {
                continue;
            }
            let cloud = match engine::access(project, resource.provider, &resource.region) {
                Ok(access) => self
                    .state
                    .clouds
                    .client(&access)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match cloud {
                Ok(cloud) => {
                    if let Err(e) = cloud.check_permissions(resource).await {
                        warnings.push(format!(
                            "{}: the permission check failed, so creating it would too: {e}",
                            resource.name
                        ));
                    }
                }
                Err(e) => {
                    unreachable.push(resource.provider);
                    warnings.push(format!(
                        "{} could not be reached to check permissions: {e}",
                        resource.provider
                    ));
                }
            }
        }
        warnings
    }

    fn propose_apply(
        &self,
        tool: &'static str,
        project: Project,
        plan: Plan,
        hash: String,
    ) -> Result<Proposal, String> {
        let prices = self.state.prices.current().map_err(|e| e.to_string())?;
        let costs = engine::monthly_costs(&plan, &prices).map_err(|e| e.to_string())?;
        let store = &self.state.store;
        let rows = store.resources(&project.id).map_err(|e| e.to_string())?;
        let mut changes = Vec::new();
        let mut creations = Vec::new();
        let mut warnings = plan.warnings.clone();
        for r in &plan.resources {
            let existing = rows.iter().find(|row| row.name == r.name);
            let exists = existing.is_some_and(|row| row.state == ResourceState::Created);
            if let Some(row) = existing.filter(|_| exists)
                && row
                    .planned
                    .as_ref()
                    .is_some_and(|p| p.spec != r.spec || p.size != r.size)
            {
                warnings.push(format!(
                    "{} exists already with other settings; it is kept as it is (resize_resource changes its size)",
                    r.name
                ));
            }
            if !exists {
                creations.push(r);
            }
            changes.push(ChangeRow {
                name: r.name.clone(),
                kind: r.kind,
                provider: r.provider,
                region: r.region.clone(),
                size: r.size.clone(),
                action: if exists { "exists" } else { "create" },
                monthly_cost: costs.get(&r.name).copied(),
            });
        }
        // Rows this apply will (re)create do not count as current cost: they are in the delta.
        let others: Vec<StoredResource> = rows
            .into_iter()
            .filter(|row| !creations.iter().any(|c| c.name == row.name))
            .collect();
        let current = live_cost(&others);
        // + 0.0: an empty float sum is -0.0.
        let delta: f64 = creations
            .iter()
            .filter_map(|c| costs.get(&c.name))
            .sum::<f64>()
            + 0.0;
        let created_last_hour = store
            .creations_since(&project.id, now() - 3600)
            .map_err(|e| e.to_string())?;
        let change = Change {
            creations,
            created_last_hour,
            ..self.change_to(&project, current, delta)
        };
        let (verdict, summary) = self.judge(&project, &change);
        Ok(Proposal {
            tool,
            hash,
            changes,
            current,
            delta,
            verdict,
            policy: summary,
            warnings,
            action: Action::Apply { plan, costs },
            project,
        })
    }

    fn propose_resize(&self, project: Project, args: &ResizeArgs) -> Result<Proposal, String> {
        let store = &self.state.store;
        let resource = stored(store, &project.id, &args.name)?;
        if resource.state != ResourceState::Created || resource.cloud_id.is_none() {
            return Err(format!(
                "{} is {}; only created resources can be resized",
                resource.name,
                state_word(resource.state)
            ));
        }
        let Some(mut planned) = resource.planned.clone() else {
            return Err(format!(
                "{} was found by reconcile, not planned by rift: its cost cannot be priced, so it cannot be resized here",
                resource.name
            ));
        };
        let to = match (&args.size, args.storage_gb) {
            (Some(slug), None) => {
                let size = mapping::find_size(resource.provider, resource.kind, slug)
                    .map_err(|e| format!("size: {e}"))?;
                planned.size = Some(size.slug.to_string());
                match &mut planned.spec {
                    ResourceSpec::WebServer {
                        vcpus, memory_gb, ..
                    }
                    | ResourceSpec::Database {
                        vcpus, memory_gb, ..
                    }
                    | ResourceSpec::Cache {
                        vcpus, memory_gb, ..
                    } => {
                        *vcpus = size.vcpus;
                        *memory_gb = size.memory_gb;
                    }
                    _ => {}
                }
                NewSize::Slug(size.slug.to_string())
            }
            (None, Some(gb)) => {
                let current = match &mut planned.spec {
                    ResourceSpec::BlockStorage { size_gb, .. } => size_gb,
                    ResourceSpec::Database { storage_gb, .. } => storage_gb,
                    _ => {
                        return Err(format!(
                            "storage_gb: {} is a {}; only volumes and databases have storage to grow",
                            resource.name, resource.kind
                        ));
                    }
                };
                if gb <= *current {
                    return Err(format!(
                        "storage_gb: {gb} GB is not more than the current {current} GB; storage only grows"
                    ));
                }
                *current = gb;
                NewSize::StorageGb(gb)
            }
            _ => return Err("give exactly one of size or storage_gb".to_string()),
        };
        let prices = self.state.prices.current().map_err(|e| e.to_string())?;
        let cost = engine::priced(&planned, &prices).map_err(|e| e.to_string())?;
        let old = resource.monthly_cost.unwrap_or(0.0);
        let rows = store.resources(&project.id).map_err(|e| e.to_string())?;
        let change = Change {
            resizes: vec![&planned],
            ..self.change_to(&project, live_cost(&rows), cost - old)
        };
        let (verdict, summary) = self.judge(&project, &change);
        let (current, delta) = (change.current_monthly, change.delta_monthly);
        let hash = request_hash(
            "resize_resource",
            &normalized(args, json!(resource.cloud_id))?,
        );
        Ok(Proposal {
            tool: "resize_resource",
            hash,
            changes: vec![ChangeRow {
                name: resource.name.clone(),
                kind: resource.kind,
                provider: resource.provider,
                region: resource.region.clone(),
                size: planned.size.clone().or_else(|| match to {
                    NewSize::StorageGb(gb) => Some(format!("{gb} GB")),
                    NewSize::Slug(_) => None,
                }),
                action: "resize",
                monthly_cost: Some(cost),
            }],
            current,
            delta,
            verdict,
            policy: summary,
            warnings: vec![format!(
                "resizing may restart {} (servers are powered off first)",
                resource.name
            )],
            action: Action::Resize {
                resource: Box::new(resource),
                planned: Box::new(planned),
                to,
                cost,
            },
            project,
        })
    }

    fn propose_delete(&self, project: Project, args: &DeleteArgs) -> Result<Proposal, String> {
        let store = &self.state.store;
        let resource = stored(store, &project.id, &args.name)?;
        match resource.state {
            ResourceState::Created => {}
            ResourceState::Intended => {
                return Err(format!(
                    "{} is still being created or was interrupted; call get_project with refresh=true first",
                    resource.name
                ));
            }
            other => {
                return Err(format!(
                    "{} is {}; there is nothing to delete",
                    resource.name,
                    state_word(other)
                ));
            }
        }
        let rows = store.resources(&project.id).map_err(|e| e.to_string())?;
        let dependents: Vec<&str> = rows
            .iter()
            .filter(|r| r.state.is_live())
            .filter(|r| {
                r.planned
                    .as_ref()
                    .is_some_and(|p| p.depends_on.contains(&resource.name))
            })
            .map(|r| r.name.as_str())
            .collect();
        if !dependents.is_empty() {
            return Err(format!(
                "{} is needed by {}; delete those first",
                resource.name,
                dependents.join(", ")
            ));
        }
        let managed =
            resource.managed && resource.record.as_ref().is_none_or(|r| r.managed_by_rift());
        let cost = resource.monthly_cost.unwrap_or(0.0);
        let change = Change {
            deletions: vec![(resource.name.as_str(), managed)],
            ..self.change_to(&project, live_cost(&rows), -cost)
        };
        let (verdict, summary) = self.judge(&project, &change);
        let (current, delta) = (change.current_monthly, change.delta_monthly);
        let hash = request_hash(
            "delete_resource",
            &normalized(args, json!(resource.cloud_id))?,
        );
        Ok(Proposal {
            tool: "delete_resource",
            hash,
            changes: vec![ChangeRow {
                name: resource.name.clone(),
                kind: resource.kind,
                provider: resource.provider,
                region: resource.region.clone(),
                size: resource.size.clone(),
                action: "delete",
                monthly_cost: resource.monthly_cost,
            }],
            current,
            delta,
            verdict,
            policy: summary,
            warnings: vec![format!("deleting {} destroys its data", resource.name)],
            action: Action::Delete {
                resource: Box::new(resource),
            },
            project,
        })
    }

    /// Preview (and issue a token) or redeem the token and execute.
    async fn run(
        &self,
        proposal: Proposal,
        token: Option<String>,
        mut call: Call,
    ) -> Result<Json<Mutation>, String> {
        let tool = proposal.tool;
        let project_id = proposal.project.id.clone();
        let names: Vec<&str> = proposal.changes.iter().map(|c| c.name.as_str()).collect();
        let what = names.join(", ");
        if let Some(refusal) = proposal.verdict.refusal() {
            log(
                self,
                call.client.as_deref(),
                &project_id,
                tool,
                if token.is_some() {
                    "execute"
                } else {
                    "preview"
                },
                "refused",
                &refusal,
            );
            return Err(refusal);
        }
        let approvals = &self.state.approvals;
        // The token approves exactly what the preview showed: the request, each resource with its action, size and
        // cost, and the project as it stood (its accounts, budget and policy). If any of them changes before the
        // token comes back, it no longer matches.
        let preview_lines: Vec<String> = proposal.changes.iter().map(ChangeRow::line).collect();
        let bound = request_hash(
            tool,
            &json!({
                "request": proposal.hash,
                "changes": preview_lines,
                "project": proposal.project,
                "warnings": proposal.warnings,
            }),
        );
        let mut out = Mutation {
            status: MutationStatus::Preview,
            changes: preview_lines,
            monthly_cost_delta: round(proposal.delta),
            monthly_cost_after: round(proposal.current + proposal.delta),
            policy: proposal.policy.clone(),
            approval_token: None,
            message: String::new(),
            warnings: proposal.warnings.clone(),
        };
        if token.is_none()
            && let Action::Apply { plan, .. } = &proposal.action
        {
            let creating: Vec<&PlannedResource> = plan
                .resources
                .iter()
                .filter(|r| {
                    proposal
                        .changes
                        .iter()
                        .any(|c| c.name == r.name && c.action == "create")
                })
                .collect();
            out.warnings
                .extend(self.permission_warnings(&proposal.project, &creating).await);
        }
        let approved_by = match token {
            Some(token) => {
                if let Err(e) = approvals.redeem(&token, tool, &project_id, &bound, now()) {
                    log(
                        self,
                        call.client.as_deref(),
                        &project_id,
                        tool,
                        "execute",
                        "refused",
                        &e.to_string(),
                    );
                    return Err(e.to_string());
                }
                "approval token"
            }
            None => match ask_user(&call, tool, &out, approvals.ttl_s()).await {
                Asked::Accepted => "the user, asked directly",
                Asked::Declined(how) => {
                    out.message =
                        format!("The user {how} the change when asked: nothing was changed.");
                    log(
                        self,
                        call.client.as_deref(),
                        &project_id,
                        tool,
                        "preview",
                        "declined",
                        &what,
                    );
                    return Ok(Json(out));
                }
                Asked::NoOne => {
                    let issued = approvals
                        .issue(tool, &project_id, &bound, now())
                        .map_err(|e| e.to_string())?;
                    out.approval_token = Some(issued.token);
                    out.message = format!(
                        "Preview only: nothing was changed. Show it to the user; to execute, call {tool} again with \
                         the same arguments plus approval_token (valid once, until {}).",
                        rfc3339(issued.expires_at)
                    );
                    let detail = format!("{what}; {}", proposal.policy);
                    log(
                        self,
                        call.client.as_deref(),
                        &project_id,
                        tool,
                        "preview",
                        "allowed",
                        &detail,
                    );
                    return Ok(Json(out));
                }
            },
        };
        let detail = format!("{what} (approved by {approved_by})");
        log(
            self,
            call.client.as_deref(),
            &project_id,
            tool,
            "execute",
            "approved",
            &detail,
        );
        let store = &self.state.store;
        match proposal.action {
            Action::Apply { plan, costs } => {
                let report = self
                    .state
                    .engine
                    .apply(
                        &proposal.project,
                        &plan,
                        &costs,
                        call.reporter.clone(),
                        call.cancel.clone(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                out.status = if report.complete() {
                    MutationStatus::Executed
                } else {
                    MutationStatus::Partial
                };
                out.message = format!(
                    "created {}, already there {}, failed {}, skipped {}{}",
                    report.created.len(),
                    report.existing.len(),
                    report.failed.len(),
                    report.skipped.len(),
                    if report.cancelled { " (cancelled)" } else { "" }
                );
                let detail = format!(
                    "plan {}: {}; created [{}]; failed [{}]",
                    plan.plan_id,
                    out.message,
                    report
                        .created
                        .iter()
                        .map(|c| format!("{} {}", c.name, c.cloud_id))
                        .collect::<Vec<_>>()
                        .join(", "),
                    report
                        .failed
                        .iter()
                        .map(|f| format!("{}: {}", f.name, f.reason))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                log(
                    self,
                    call.client.as_deref(),
                    &project_id,
                    tool,
                    "create",
                    if report.complete() {
                        "created"
                    } else {
                        "partial"
                    },
                    &detail,
                );
                let line = |verb: &str, r: &engine::AppliedResource| {
                    format!("{verb} {} {}", r.name, r.cloud_id)
                };
                let problem =
                    |verb: &str, p: &engine::Problem| format!("{verb} {}: {}", p.name, p.reason);
                out.changes = report
                    .created
                    .iter()
                    .map(|r| line("created", r))
                    .chain(report.existing.iter().map(|r| line("exists", r)))
                    .chain(report.failed.iter().map(|p| problem("failed", p)))
                    .chain(report.skipped.iter().map(|p| problem("skipped", p)))
                    .collect();
            }
            Action::Resize {
                resource,
                planned,
                to,
                cost,
            } => {
                let client = self.client_for(&proposal.project, &resource).await?;
                let cloud_id = resource.cloud_id.clone().unwrap_or_default();
                let result = client
                    .resize(resource.kind, &cloud_id, &to, &call.progress())
                    .await;
                let mut record = match result {
                    Ok(record) => record,
                    Err(e) => {
                        log(
                            self,
                            call.client.as_deref(),
                            &project_id,
                            tool,
                            "resize",
                            "failed",
                            &format!("{}: {e}", resource.name),
                        );
                        call.flush_progress().await;
                        return Err(format!("resizing {} failed: {e}", resource.name));
                    }
                };
                record.monthly_cost = Some(cost);
                store
                    .update_record(&project_id, &resource.name, &record)
                    .and_then(|()| store.set_planned(&project_id, &resource.name, &planned))
                    .map_err(|e| e.to_string())?;
                out.status = MutationStatus::Executed;
                out.message = format!("resized {} ({})", resource.name, cloud_id);
                log(
                    self,
                    call.client.as_deref(),
                    &project_id,
                    tool,
                    "resize",
                    "resized",
                    &out.message,
                );
            }
            Action::Delete { resource } => {
                let client = self.client_for(&proposal.project, &resource).await?;
                let cloud_id = resource.cloud_id.clone().unwrap_or_default();
                let outcome = match client
                    .delete(resource.kind, &cloud_id, &call.progress())
                    .await
                {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        log(
                            self,
                            call.client.as_deref(),
                            &project_id,
                            tool,
                            "delete",
                            "failed",
                            &format!("{}: {e}", resource.name),
                        );
                        call.flush_progress().await;
                        return Err(format!("deleting {} failed: {e}", resource.name));
                    }
                };
                store
                    .mark_deleted(&project_id, &resource.name)
                    .map_err(|e| e.to_string())?;
                out.status = MutationStatus::Executed;
                out.message = match outcome {
                    DeleteOutcome::Deleted => format!("deleted {} ({cloud_id})", resource.name),
                    DeleteOutcome::AlreadyGone => {
                        format!(
                            "{} ({cloud_id}) was already gone; recorded as deleted",
                            resource.name
                        )
                    }
                };
                log(
                    self,
                    call.client.as_deref(),
                    &project_id,
                    tool,
                    "delete",
                    "deleted",
                    &out.message,
                );
            }
        }
        call.flush_progress().await;
        Ok(Json(out))
    }

    async fn client_for(
        &self,
        project: &Project,
        resource: &StoredResource,
    ) -> Result<Arc<dyn crate::cloud::Cloud>, String> {
        let access = engine::access(project, resource.provider, &resource.region)
            .map_err(|e| e.to_string())?;
        self.state
            .clouds
            .client(&access)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The user's answer when rift asks directly (MCP elicitation).
#[derive(Debug, Deserialize, JsonSchema)]
struct Confirmation {
    /// Approve exactly this change?
    approve: bool,
}

rmcp::elicit_safe!(Confirmation);

enum Asked {
    Accepted,
    /// "declined" or "cancelled".
    Declined(&'static str),
    /// No one could be asked (the client cannot elicit): the token path applies.
    NoOne,
}

/// Asks the user to approve the preview when the client declared form elicitation; any failure to ask falls back
/// to the approval token, which always works.
async fn ask_user(call: &Call, tool: &str, preview: &Mutation, ttl_s: u64) -> Asked {
    let Some(peer) = &call.peer else {
        return Asked::NoOne;
    };
    if !peer
        .supported_elicitation_modes()
        .contains(&rmcp::service::ElicitationMode::Form)
    {
        return Asked::NoOne;
    }
    let mut message = format!("rift asks you to approve {tool}:\n");
    for line in &preview.changes {
        message.push_str(&format!("- {line}\n"));
    }
    message.push_str(&format!("Policy: {}\n", preview.policy));
    for warning in &preview.warnings {
        message.push_str(&format!("Note: {warning}\n"));
    }
    let wait = std::time::Duration::from_secs(ttl_s);
    match peer
        .elicit_with_timeout::<Confirmation>(message, Some(wait))
        .await
    {
        Ok(Some(Confirmation { approve: true })) => Asked::Accepted,
        Ok(_) => Asked::Declined("did not approve"),
        Err(rmcp::service::ElicitationError::UserDeclined) => Asked::Declined("declined"),
        Err(rmcp::service::ElicitationError::UserCancelled) => Asked::Declined("cancelled"),
        Err(e) => {
            tracing::info!("could not ask the user ({e}); returning an approval token instead");
            Asked::NoOne
        }
    }
}

/// A stored resource, or an error naming the valid ones.
pub(super) fn stored(
    store: &Store,
    project_id: &str,
    name: &str,
) -> Result<StoredResource, String> {
    if let Some(found) = store
        .resource(project_id, name)
        .map_err(|e| e.to_string())?
    {
        return Ok(found);
    }
    let names: Vec<String> = store
        .resources(project_id)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| r.name)
        .collect();
    Err(format!(
        "name: project {project_id} has no resource \"{name}\"; its resources: {}",
        if names.is_empty() {
            "none yet".to_string()
        } else {
            names.join(", ")
        }
    ))
}

/// The arguments as parsed (defaults applied), plus what they resolved to, for the approval hash.
fn normalized<T: Serialize>(
    args: &T,
    resolved: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let mut args = serde_json::to_value(args).map_err(|e| e.to_string())?;
    if let serde_json::Value::Object(map) = &mut args {
        map.remove("approval_token");
    }
    Ok(json!({"arguments": args, "resolved": resolved}))
}

/// The verdict with its numbers, for the preview.
fn summary(policy: &EffectivePolicy, change: &Change<'_>) -> String {
    let n = change.creations.len();
    let mut parts = vec![format!(
        "allowed: {n} to create (cap {} per plan); {} + {n} created in the last hour (cap {})",
        policy.max_resources_per_plan(),
        change.created_last_hour,
        policy.max_creations_per_hour()
    )];
    let (now, delta) = (change.current_monthly, change.delta_monthly);
    let after = now + delta;
    let cost = format!(
        "${now:.2}/month now {} ${:.2} = ${after:.2}/month",
        if delta < 0.0 { "-" } else { "+" },
        delta.abs()
    );
    parts.push(match change.budget {
        Some(budget) => format!("{cost}, budget ${budget:.2}/month"),
        None => format!("{cost}, no budget set"),
    });
    parts.join("; ")
}

fn round(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

fn state_word(state: ResourceState) -> &'static str {
    match state {
        ResourceState::Intended => "being created",
        ResourceState::Created => "created",
        ResourceState::Failed => "failed (never created)",
        ResourceState::Deleted => "deleted",
        ResourceState::Gone => "gone from its cloud",
    }
}

/// MCP progress notifications, in order, when the client sent a progress token. Progress only grows: several
/// messages at the same count advance by a thousandth.
fn reporter(
    meta: &RequestMetaObject,
    peer: &Peer<RoleServer>,
) -> Option<(Reporter, tokio::task::JoinHandle<()>)> {
    let token = meta.get_progress_token()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, u32, String)>();
    let peer = peer.clone();
    let forwarder = tokio::spawn(async move {
        let mut last = -1.0_f64;
        while let Some((done, total, message)) = rx.recv().await {
            let progress = f64::from(done).max(last + 0.001).min(f64::from(total));
            last = progress;
            let param = ProgressNotificationParam::new(token.clone(), progress)
                .with_total(f64::from(total))
                .with_message(message);
            if peer.notify_progress(param).await.is_err() {
                break;
            }
        }
    });
    let report: Reporter = Arc::new(move |done, total, message| {
        // The receiver stops only when the client went away; nothing to report to then.
        let _ = tx.send((done, total, message));
    });
    Some((report, forwarder))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::memory::MemoryCloud;
    use crate::config::Settings;
    use crate::server::AppState;
    use crate::server::projects::{CreateProjectArgs, GetProjectArgs};

    #[test]
    fn the_list_of_mutating_tools_matches_the_router() {
        let mut routed: Vec<String> = RiftServer::provisioning_router()
            .list_all()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        routed.sort();
        let mut listed: Vec<String> = TOOLS.iter().map(|t| t.to_string()).collect();
        listed.sort();
        assert_eq!(routed, listed);
    }

    fn server(name: &str, cloud: &Arc<MemoryCloud>) -> RiftServer {
        let dir =
            std::env::temp_dir().join(format!("rift-provisioning-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let settings = Settings {
            state_path: dir.join("state.db"),
            allow_writes: true,
            ..Settings::default()
        };
        RiftServer::new(AppState::new(settings, cloud.clouds()))
    }

    fn quiet() -> Call {
        Call {
            reporter: None,
            cancel: CancellationToken::new(),
            client: None,
            peer: None,
            forwarder: None,
        }
    }

    fn instance(token: Option<String>) -> CreateArgs {
        CreateArgs {
            project_id: "shop".into(),
            provider: Provider::Aws,
            region: None,
            component: Component {
                size: Some("t3.micro".into()),
                ..Component::new("web", ResourceKind::WebServer)
            },
            approval_token: token,
        }
    }

    async fn create(server: &RiftServer, args: CreateArgs) -> Result<Mutation, String> {
        server
            .create_kind("create_instance", args, quiet())
            .await
            .map(|j| j.0)
    }

    async fn project_cost(server: &RiftServer) -> (f64, Vec<StoredResource>) {
        let view = server
            .project_view(
                GetProjectArgs {
                    project_id: "shop".into(),
                    refresh: false,
                },
                None,
            )
            .await
            .unwrap();
        let aws = view
            .providers
            .into_iter()
            .find(|g| g.provider == Provider::Aws)
            .unwrap();
        assert_eq!(aws.monthly_cost, view.monthly_cost);
        (view.monthly_cost, aws.resources)
    }

    /// Preview → approve → apply → get_project with costs → resize → delete, against the in-process cloud.
    #[tokio::test]
    async fn a_resource_goes_through_its_whole_life_under_approval() {
        let cloud = MemoryCloud::with_delay(std::time::Duration::from_millis(1));
        let server = server("life", &cloud);
        server
            .new_project(
                CreateProjectArgs {
                    name: "shop".into(),
                    cloud_providers: vec![Provider::Aws],
                    aws_config: None,
                    do_config: None,
                    monthly_budget_usd: Some(200.0),
                    policy: None,
                },
                None,
            )
            .await
            .unwrap();

        let preview = create(&server, instance(None)).await.unwrap();
        assert_eq!(preview.status, MutationStatus::Preview);
        assert_eq!(cloud.lock().made, 0, "a preview created something");
        assert!(preview.monthly_cost_delta > 0.0);
        assert!(
            preview
                .changes
                .iter()
                .any(|c| c.starts_with("create shop-web (aws web_server, us-east-1, t3.micro) $"))
        );

        let done = create(&server, instance(preview.approval_token.clone()))
            .await
            .unwrap();
        assert_eq!(done.status, MutationStatus::Executed, "{:?}", done.changes);
        let made = cloud.lock().made;
        assert_eq!(made as usize, preview.changes.len());
        let (cost, resources) = project_cost(&server).await;
        assert_eq!(cost, preview.monthly_cost_after);
        assert!(
            resources
                .iter()
                .all(|r| r.state == ResourceState::Created && r.cloud_id.is_some())
        );

        // The same request again: everything exists, nothing to add, nothing created.
        let again = create(&server, instance(None)).await.unwrap();
        assert!(
            again.changes.iter().all(|c| c.starts_with("exists ")),
            "{:?}",
            again.changes
        );
        assert_eq!(again.monthly_cost_delta, 0.0);
        let token = again.approval_token.clone();
        create(&server, instance(token)).await.unwrap();
        assert_eq!(cloud.lock().made, made);

        // Resize within the budget.
        let resize = |token: Option<String>| ResizeArgs {
            project_id: "shop".into(),
            name: "shop-web".into(),
            size: Some("t3.small".into()),
            storage_gb: None,
            approval_token: token,
        };
        let project = server.project("shop").unwrap();
        let preview = server
            .propose_resize(project.clone(), &resize(None))
            .unwrap();
        let preview = server.run(preview, None, quiet()).await.unwrap().0;
        assert!(preview.monthly_cost_delta > 0.0);
        let proposal = server
            .propose_resize(project.clone(), &resize(preview.approval_token.clone()))
            .unwrap();
        let done = server
            .run(proposal, preview.approval_token, quiet())
            .await
            .unwrap()
            .0;
        assert_eq!(done.status, MutationStatus::Executed);
        let (after, resources) = project_cost(&server).await;
        assert!(
            (after - cost - preview.monthly_cost_delta).abs() < 0.01,
            "{after} {cost}"
        );
        let web = resources.iter().find(|r| r.name == "shop-web").unwrap();
        assert_eq!(web.size.as_deref(), Some("t3.small"));

        // The network cannot go while others depend on it; the server can.
        let network = resources
            .iter()
            .find(|r| r.kind == ResourceKind::Network)
            .unwrap();
        let refused = server.propose_delete(
            project.clone(),
            &DeleteArgs {
                project_id: "shop".into(),
                name: network.name.clone(),
                approval_token: None,
            },
        );
        assert!(refused.err().unwrap().contains("is needed by"));
        let delete = DeleteArgs {
            project_id: "shop".into(),
            name: "shop-web".into(),
            approval_token: None,
        };
        let preview = server.run(
            server.propose_delete(project.clone(), &delete).unwrap(),
            None,
            quiet(),
        );
        let preview = preview.await.unwrap().0;
        assert!(preview.monthly_cost_delta < 0.0);
        let token = preview.approval_token;
        let proposal = server.propose_delete(project, &delete).unwrap();
        let done = server.run(proposal, token, quiet()).await.unwrap().0;
        assert!(
            done.message.starts_with("deleted shop-web"),
            "{}",
            done.message
        );
        let (_, resources) = project_cost(&server).await;
        let web = resources.iter().find(|r| r.name == "shop-web").unwrap();
        assert_eq!(web.state, ResourceState::Deleted);
    }

    #[tokio::test]
    async fn the_hourly_cap_stops_a_runaway_loop() {
        let cloud = MemoryCloud::with_delay(std::time::Duration::from_millis(1));
        let server = server("runaway", &cloud);
        server
            .new_project(
                CreateProjectArgs {
                    name: "shop".into(),
                    cloud_providers: vec![Provider::Aws],
                    aws_config: None,
                    do_config: None,
                    monthly_budget_usd: None,
                    policy: Some(crate::policy::Policy {
                        max_creations_per_hour: Some(3),
                        ..crate::policy::Policy::default()
                    }),
                },
                None,
            )
            .await
            .unwrap();
        let first = create(&server, instance(None)).await.unwrap();
        create(&server, instance(first.approval_token))
            .await
            .unwrap();
        let created = cloud.lock().made;
        let mut second = instance(None);
        second.component.name = "web2".into();
        let message = create(&server, second).await.unwrap_err();
        assert!(
            message.contains("policy max_creations_per_hour"),
            "{message}"
        );
        assert!(
            message.contains(&format!("{created} created in the last hour")),
            "{message}"
        );
    }
}
