//! The MCP surface: the server handler, one router per tool group, and the transports. Tools are thin: parse,
//! call the domain, shape the answer.

mod alerts;
mod answer;
mod args;
mod compact;
mod cost;
mod dashboard;
mod elicit;
mod error;
mod groups;
pub mod http;
mod incidents;
mod migration;
mod operations;
mod planning;
mod progress;
mod projects;
mod provisioning;
mod sessions;
mod stdio;
mod tasks;
mod terraform;
pub mod users;
mod views;
mod watch;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    ErrorData, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, ServiceExt, tool_handler};

use std::sync::{Arc, OnceLock};

use crate::change::Changes;
use crate::cloud::Clouds;
use crate::config::{Settings, ToolGroup};
use crate::model::Plan;
use crate::operations::Operations;
use crate::plans::Plans;
use crate::store::Store;

pub use args::Args;
pub use error::ToolError;
pub use groups::group_of;

const INSTRUCTIONS: &str = "rift plans, prices and provisions infrastructure on DigitalOcean and AWS. \
Describe what the deployment needs as components (web_server, database, load_balancer, block_storage, \
object_storage, network, firewall, cache) with sizing (vcpus, memory_gb, storage_gb, count) or an exact size; \
rift maps each to the provider's resource, picks the smallest size that fits, and adds the networks and \
firewalls they need. Start with describe_mapping to see sizes, regions and engines, then plan_deployment; \
its plan_id is what the other tools take. Errors name the field to fix and the valid values.";

/// State shared by every session of one server process.
#[derive(Debug, Clone)]
pub struct AppState {
    pub plans: Plans,
    pub prices: crate::pricing::PriceBook,
    pub settings: Arc<Settings>,
    /// Every mutation's path: proposals, approvals, the engine, the projects (the store opens on first use,
    /// cloud clients are built on first use).
    pub changes: Changes,
    /// What runs: metrics across both clouds.
    pub operations: Operations,
    /// Sessions subscribed to a project's health (see watch.rs).
    pub subscriptions: watch::Subscriptions,
}

impl AppState {
    /// State for these settings; nothing is opened or connected until a tool needs it.
    pub fn new(settings: Settings, clouds: Clouds) -> AppState {
        let store = Store::new(settings.state_path.clone());
        let prices = crate::pricing::PriceBook::default();
        let settings = Arc::new(settings);
        let changes = Changes::new(
            store.clone(),
            clouds.clone(),
            prices.clone(),
            settings.clone(),
        );
        AppState {
            operations: Operations::new(changes.projects().clone(), store.clone(), clouds),
            plans: Plans::new(store),
            subscriptions: watch::Subscriptions::default(),
            changes,
            prices,
            settings,
        }
    }
}

impl Default for AppState {
    /// Default settings: writes off, the store in the user's data directory.
    fn default() -> Self {
        AppState::new(Settings::default(), Clouds::default())
    }
}

/// The MCP server: one per session, all sharing one [`AppState`].
#[derive(Clone)]
pub struct RiftServer {
    state: AppState,
    /// This session, in the subscriptions it makes.
    session: Arc<str>,
}

impl RiftServer {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            session: crate::change::random_hex().into(),
        }
    }

    /// Starts re-checking subscribed projects' health every `every` (the operator's `watch_s`).
    pub fn watch(state: AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        watch::spawn(state, every)
    }

    /// The tools, built once per process (per writes setting and tool groups) when first needed: generating
    /// every schema is work the initialize reply must not wait for, and HTTP sessions share the result.
    fn tool_router(&self) -> &'static ToolRouter<RiftServer> {
        type Routers = std::sync::Mutex<
            std::collections::HashMap<(bool, Vec<ToolGroup>), &'static ToolRouter<RiftServer>>,
        >;
        static ROUTERS: OnceLock<Routers> = OnceLock::new();
        let writes = self.state.settings.allow_writes;
        let groups = self.state.settings.tool_groups.clone();
        let routers = ROUTERS.get_or_init(Default::default);
        let mut built = match routers.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        built
            .entry((writes, groups.clone()))
            .or_insert_with(|| Box::leak(Box::new(groups::router(&groups, writes))))
    }

    /// Every tool this build has, whatever the settings (for the schema snapshot and the size budget).
    pub fn catalog() -> Vec<Tool> {
        let settings = Settings {
            allow_writes: true,
            tool_groups: crate::config::ToolGroup::ALL.to_vec(),
            ..Settings::default()
        };
        RiftServer::new(AppState::new(settings, Clouds::default())).tools()
    }

    /// Every tool this server lists, with its schemas and annotations.
    pub fn tools(&self) -> Vec<Tool> {
        let mut tools = self.tool_router().list_all();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }

    /// A plan made earlier by `plan_deployment` (or another tool that plans), by id.
    fn stored_plan(&self, id: &str) -> Result<Plan, ToolError> {
        Ok(self.state.plans.get(id)?)
    }

    /// Serves MCP over stdin/stdout until the client closes stdin or `shutdown` resolves.
    pub async fn serve_stdio(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ServeError> {
        let (stdin, stdout) = rmcp::transport::stdio();
        let (transport, writer) = stdio::front(stdin, stdout);
        let running = self
            .serve(transport)
            .await
            .map_err(|e| ServeError::Start(e.to_string()))?;
        let cancel = running.cancellation_token();
        tokio::select! {
            finished = running.waiting() => {
                finished.map_err(|e| ServeError::Stopped(e.to_string()))?;
            }
            () = shutdown => cancel.cancel(),
        }
        // The session is over: what it wrote last still has to reach stdout (bounded, should a stopped
        // session's writer linger).
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), writer).await;
        Ok(())
    }
}

#[tool_handler(router = self.tool_router())]
impl ServerHandler for RiftServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_tasks()
                .build(),
        )
        .with_server_info(
            Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
                .with_title("rift: multi-cloud infrastructure for agents"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    /// A raw token or key in any argument is refused before a tool sees it, so it cannot reach a result, the
    /// store or a log line. The message names the field, never the value.
    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, ErrorData> {
        let secret = crate::config::secret_kind(&request.name)
            .map(|kind| crate::config::RawSecret {
                field: "the tool name".to_string(),
                kind,
            })
            .or_else(|| {
                request.arguments.as_ref().and_then(|args| {
                    crate::config::find_raw_secret(&serde_json::Value::Object(args.clone()))
                })
            });
        if let Some(found) = secret {
            tracing::warn!(
                "refused a {} call carrying a raw secret in {}",
                crate::config::redact(&request.name),
                found.field
            );
            return Ok(
                rmcp::model::CallToolResult::error(vec![rmcp::model::ContentBlock::text(
                    found.to_string(),
                )])
                .into(),
            );
        }
        if let Some(refusal) = groups::refusal(
            &request.name,
            &self.state.settings.tool_groups,
            self.state.settings.allow_writes,
        ) {
            return Ok(
                rmcp::model::CallToolResult::error(vec![rmcp::model::ContentBlock::text(refusal)])
                    .into(),
            );
        }
        let tasks = context
            .client_capabilities()
            .is_some_and(|c| c.supports_tasks());
        // The user a per-user bearer token named (HTTP only): the activity log records who asked.
        let user = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<users::HttpUser>())
            .map(|user| user.0.clone());
        let call = rmcp::handler::server::tool::ToolCallContext::new(self, request, context);
        let response = users::as_caller(user, self.tool_router().call(call)).await?;
        Ok(if tasks {
            tasks::offer(response)
        } else {
            response
        })
    }

    async fn get_task(
        &self,
        request: rmcp::model::GetTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetTaskResult, ErrorData> {
        Ok(rmcp::model::GetTaskResult::new(
            self.task(&request.task_id)?,
        ))
    }

    async fn cancel_task(
        &self,
        request: rmcp::model::CancelTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.cancel_task(&request.task_id)
    }

    // Resources: the Terraform files of stored plans (server/terraform.rs).
    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let first_page = request.as_ref().is_none_or(|r| r.cursor.is_none());
        let mut result = self.terraform_resources(request)?;
        if first_page {
            result.resources.extend(views::app_resources());
        }
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let mut templates = terraform::terraform_templates();
        templates
            .resource_templates
            .extend(views::diagram_templates());
        templates
            .resource_templates
            .extend(incidents::health_templates());
        Ok(templates)
    }

    /// Subscriptions to `rift://projects/{project_id}/health`; the watcher (watch_s) sends the updates.
    async fn subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let Some(project) = watch::health_project(&request.uri) else {
            return Err(ErrorData::invalid_params(
                "rift serves subscriptions to rift://projects/{project_id}/health only",
                None,
            ));
        };
        self.state
            .changes
            .projects()
            .get(project)
            .map_err(|e| ErrorData::resource_not_found(e.to_string(), None))?;
        if self.state.settings.watch_s.is_none() {
            tracing::info!(
                "a client subscribed to {} but watch_s is off: it hears of no updates",
                request.uri
            );
        }
        self.state
            .subscriptions
            .add(&self.session, &request.uri, project, context.peer);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: rmcp::model::UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.state.subscriptions.remove(&self.session, &request.uri);
        Ok(())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        // Refused before the URI can reach an error message (which the client shows and rmcp logs).
        if let Some(kind) = crate::config::secret_kind(&request.uri) {
            let found = crate::config::RawSecret {
                field: "uri".to_string(),
                kind,
            };
            tracing::warn!("refused a resources/read whose URI carries a raw secret");
            return Err(ErrorData::invalid_params(
                format!("{found}; rift serves {}", terraform::URI_TEMPLATE),
                None,
            ));
        }
        if let Some(view) = self.read_view(&request.uri) {
            return view.map(Into::into);
        }
        if let Some(health) = self.read_health(&request.uri) {
            return health.map(Into::into);
        }
        self.read_terraform(&request.uri).map(Into::into)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("could not start the MCP session: {0}")]
    Start(String),
    #[error("the MCP session ended with an error: {0}")]
    Stopped(String),
    #[error(transparent)]
    Http(#[from] http::HttpError),
}
