//! The MCP surface: the server handler, one router per tool group, and the transports. Tools are thin: parse,
//! call the domain, shape the answer.

mod args;
mod compact;
pub mod http;
mod planning;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig, Tool};
use rmcp::{ServerHandler, ServiceExt, tool_handler};

use crate::store::PlanStore;

pub use args::Args;

const INSTRUCTIONS: &str = "rift plans, prices and provisions infrastructure on DigitalOcean and AWS. \
Describe what the deployment needs as components (web_server, database, load_balancer, block_storage, \
object_storage, network, firewall, cache) with sizing (vcpus, memory_gb, storage_gb, count) or an exact size; \
rift maps each to the provider's resource, picks the smallest size that fits, and adds the networks and \
firewalls they need. Start with describe_mapping to see sizes, regions and engines, then plan_deployment; \
its plan_id is what the other tools take. Errors name the field to fix and the valid values.";

/// State shared by every session of one server process.
#[derive(Debug, Clone, Default)]
pub struct AppState {
    pub plans: PlanStore,
}

/// The MCP server: one per session, all sharing one [`AppState`].
#[derive(Clone)]
pub struct RiftServer {
    state: AppState,
    tool_router: ToolRouter<RiftServer>,
}

impl RiftServer {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            tool_router: compact::compact(Self::planning_router()),
        }
    }

    /// Every tool this server lists, with its schemas and annotations.
    pub fn tools(&self) -> Vec<Tool> {
        let mut tools = self.tool_router.list_all();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }

    /// Serves MCP over stdin/stdout until the client closes stdin or `shutdown` resolves.
    pub async fn serve_stdio(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ServeError> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| ServeError::Start(e.to_string()))?;
        let cancel = running.cancellation_token();
        tokio::select! {
            finished = running.waiting() => {
                finished.map_err(|e| ServeError::Stopped(e.to_string()))?;
            }
            () = shutdown => cancel.cancel(),
        }
        Ok(())
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for RiftServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
                    .with_title("rift: multi-cloud infrastructure for agents"),
            )
            .with_instructions(INSTRUCTIONS)
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
