//! The mutating tools: `apply_plan`, the provider-neutral `create_*` tools, `resize_resource` and
//! `delete_resource`, plus `get_change` and `cancel_change`. Listed only when writes are enabled. Every call is two
//! steps: without `approval_token` it returns a preview (exact resources, cost delta, policy verdict) and a token
//! bound to that request; the same call with the token executes it (crate::change does both). This file only
//! parses, asks the user (elicitation), forwards progress and shapes the answer.

use std::time::Duration;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::RequestMetaObject;
use rmcp::{Json, Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::answer::{ChangeAnswer, ChangeStatus, executed, preview};
use super::elicit::{Asked, ask_user};
use super::error::ToolError;
use super::progress::ProgressForwarder;
use super::{Args, RiftServer};
use crate::change::{self, Approval, Change, Reporter, Request};
use crate::model::{Component, DeploymentRequest, Engine as DbEngine, Provider, ResourceKind};
use crate::planner::{self, PlanError};
use crate::store::{ChangeRecord, rfc3339};

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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
        #[schemars(transform = requirement_bounds)]
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

/// The bounds a plan_deployment component states for a field (count 1–100, ports 1–65535, vcpus ≥ 1, ...), copied
/// onto the same field of a `create_*` tool so each schema says what validation enforces, from one source.
fn requirement_bounds(schema: &mut schemars::Schema) {
    const BOUNDS: [&str; 5] = ["minimum", "maximum", "minItems", "maxItems", "items"];
    let component = schemars::schema_for!(Component);
    let Some(sources) = component.get("properties").and_then(|p| p.as_object()) else {
        return;
    };
    let Some(targets) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (field, target) in targets.iter_mut() {
        let (Some(source), Some(target)) = (
            sources.get(field).and_then(|s| s.as_object()),
            target.as_object_mut(),
        ) else {
            continue;
        };
        for key in BOUNDS {
            match source.get(key) {
                Some(bound) => target.insert(key.to_string(), bound.clone()),
                None => target.remove(key),
            };
        }
    }
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

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeIdArgs {
    /// From the answer of the tool that started it, or get_project's changes.
    pub change_id: String,
}

/// What the MCP request offers an execution: progress reporting (when the client sent a progress token) and
/// the user to ask (when the client can elicit).
pub(super) struct Call {
    progress: Option<ProgressForwarder>,
    client: Option<String>,
    peer: Option<Peer<RoleServer>>,
}

impl Call {
    pub(super) fn new(meta: &RequestMetaObject, peer: &Peer<RoleServer>) -> Call {
        Call {
            progress: ProgressForwarder::start(meta, peer),
            client: super::projects::client_name(peer),
            peer: Some(peer.clone()),
        }
    }

    /// The change this call asks for, with the arguments an approval binds.
    pub(super) fn request<T: Serialize>(
        &self,
        tool: &'static str,
        project_id: &str,
        change: Change,
        args: &T,
        approval_token: Option<String>,
    ) -> Request {
        Request {
            tool,
            project_id: project_id.to_string(),
            change,
            arguments: arguments(args),
            approval_token,
            client: self.client.clone(),
        }
    }

    fn reporter(&self) -> Option<Reporter> {
        self.progress.as_ref().map(ProgressForwarder::reporter)
    }

    /// Sends the notifications still queued and stops forwarding: a change that runs on after the answer must
    /// not send progress for a request that has ended.
    async fn finish(&mut self) {
        if let Some(progress) = self.progress.take() {
            progress.finish().await;
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let plan = self.stored_plan(&args.plan_id)?;
        let call = Call::new(&meta, &peer);
        let request = call.request(
            "apply_plan",
            &args.project_id,
            Change::Create { plan },
            &args,
            args.approval_token.clone(),
        );
        self.run(request, call).await
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
        let request = call.request(
            "resize_resource",
            &args.project_id,
            Change::Resize {
                name: args.name.clone(),
                to: change::Resize {
                    size: args.size.clone(),
                    storage_gb: args.storage_gb,
                },
            },
            &args,
            args.approval_token.clone(),
        );
        self.run(request, call).await
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
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let call = Call::new(&meta, &peer);
        let request = call.request(
            "delete_resource",
            &args.project_id,
            Change::Delete {
                name: args.name.clone(),
            },
            &args,
            args.approval_token.clone(),
        );
        self.run(request, call).await
    }

    #[tool(
        description = "A change started by an approved call: its state (running, succeeded, partial, failed, cancelled, interrupted), what happened to each resource, progress and cost added.",
        annotations(
            title = "Get a change",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn get_change(
        &self,
        Parameters(Args(args)): Parameters<Args<ChangeIdArgs>>,
    ) -> Result<Json<ChangeRecord>, ToolError> {
        Ok(Json(self.state.changes.get(&args.change_id)?))
    }

    #[tool(
        description = "Stop a running change: nothing new starts; what is under way finishes and is recorded. Re-running the same call later finishes the rest.",
        annotations(
            title = "Cancel a change",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn cancel_change(
        &self,
        Parameters(Args(args)): Parameters<Args<ChangeIdArgs>>,
    ) -> Result<Json<ChangeRecord>, ToolError> {
        Ok(Json(self.state.changes.cancel(&args.change_id)?))
    }
}

impl RiftServer {
    /// A one-component request through the planner, so the mapping validates it before anything is called.
    async fn create_kind(
        &self,
        tool: &'static str,
        args: CreateArgs,
        call: Call,
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let project = self.state.changes.projects().get(&args.project_id)?;
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
        // The tool takes the component's fields at the top level: its errors name them there.
        let plan = planner::plan(&request).map_err(|e| PlanError {
            field: e
                .field
                .strip_prefix("components[0].")
                .unwrap_or(&e.field)
                .to_string(),
            message: e.message,
        })?;
        self.state.plans.insert(plan.clone());
        let request = call.request(
            tool,
            &args.project_id,
            Change::Create { plan },
            &args,
            args.approval_token.clone(),
        );
        self.run(request, call).await
    }

    /// Proposes the change, then either previews it (asking the user directly where the client can, otherwise
    /// handing out a token) or, with a token, executes it.
    pub(super) async fn run(
        &self,
        request: Request,
        mut call: Call,
    ) -> Result<Json<ChangeAnswer>, ToolError> {
        let changes = &self.state.changes;
        let proposal = changes.propose(request)?;
        let mut answer = preview(&proposal);
        if proposal.is_noop() {
            let outcome = changes
                .execute(proposal, Approval::User, None, Duration::ZERO)
                .await?;
            answer.status = ChangeStatus::Unchanged;
            answer.message = outcome.message;
            return Ok(Json(answer));
        }
        let approval = match proposal.approval_token() {
            Some(token) => Approval::Token(token.to_string()),
            None => {
                answer
                    .warnings
                    .extend(changes.permission_warnings(&proposal).await);
                match ask_user(
                    call.peer.as_ref(),
                    proposal.tool,
                    &answer,
                    changes.approval_ttl_s(),
                )
                .await
                {
                    Asked::Accepted => Approval::User,
                    Asked::Declined(how) => {
                        changes.declined(&proposal);
                        answer.message =
                            format!("The user {how} the change when asked: nothing was changed.");
                        return Ok(Json(answer));
                    }
                    Asked::NoOne => {
                        let issued = changes.issue(&proposal)?;
                        answer.approval_token = Some(issued.token);
                        answer.message = format!(
                            "Preview only: nothing was changed. Show it to the user; to execute, call {} again \
                             with the same arguments plus approval_token (valid once, until {}).",
                            proposal.tool,
                            rfc3339(issued.expires_at)
                        );
                        return Ok(Json(answer));
                    }
                }
            }
        };
        let cost_now = proposal.cost_now;
        let outcome = changes
            .execute(
                proposal,
                approval,
                call.reporter(),
                Duration::from_secs(self.state.settings.change_wait_s),
            )
            .await;
        call.finish().await;
        let outcome = outcome?;
        executed(answer, outcome, cost_now)
    }
}

/// The arguments as parsed (defaults applied), without the approval token: what an approval binds.
fn arguments<T: Serialize>(args: &T) -> serde_json::Value {
    let mut value = serde_json::to_value(args).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("approval_token");
    }
    value
}
