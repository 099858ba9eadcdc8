//! `rift serve`: stdio by default, streamable HTTP with --http.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::cloud::Clouds;
use crate::config::{self, Overrides};
use crate::server::http::{self, HttpSettings};
use crate::server::{AppState, RiftServer};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio, e.g. 127.0.0.1:8080. Off loopback,
    /// RIFT_HTTP_TOKEN must be set.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Extra Host header values to accept over HTTP (behind a proxy), comma-separated.
    #[arg(
        long = "allowed-host",
        env = "RIFT_HTTP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins to accept over HTTP, e.g. https://app.example.com:443, comma-separated.
    #[arg(
        long = "allowed-origin",
        env = "RIFT_HTTP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Per-user bearer tokens for HTTP: a file of `NAME SHA256-HEX` lines (the hash of each user's token); the
    /// activity log records which user asked.
    #[arg(
        long = "tokens-file",
        env = "RIFT_HTTP_TOKENS_FILE",
        value_name = "PATH"
    )]
    pub tokens_file: Option<PathBuf>,
    /// The SQLite state file (default: <data dir>/rift/state.db), or postgres://USER@HOST/DB for a database
    /// shared by several replicas (the password in the URL or in PGPASSWORD).
    #[arg(long, env = "RIFT_STATE", value_name = "PATH|URL")]
    pub state: Option<PathBuf>,
    /// Settings file (default: <config dir>/rift/config.toml when it exists).
    #[arg(long, env = "RIFT_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// List and allow the tools that change cloud resources (apply_plan, create_*, resize_resource,
    /// delete_resource); each of their calls is previewed and needs an approval token. Projects
    /// (create_project, update_project) are rift's own records: always available, no token. Also
    /// RIFT_ALLOW_WRITES=1.
    #[arg(long, env = "RIFT_ALLOW_WRITES", value_parser = crate::config::parse_bool, num_args = 0..=1,
          default_missing_value = "1", value_name = "BOOL")]
    pub allow_writes: Option<bool>,
    /// Tool groups to serve, comma-separated: plan, projects, provision, operate, migrate, views, or all
    /// (default plan,projects,provision; provision needs writes on). Also RIFT_TOOLS.
    #[arg(long, env = "RIFT_TOOLS", value_name = "GROUPS")]
    pub tools: Option<String>,
    /// Most HTTP sessions alive at once (default 100); at the limit the one idle longest is closed. Also
    /// RIFT_HTTP_MAX_SESSIONS or http_max_sessions in the config file.
    #[arg(long = "max-sessions", value_name = "N")]
    pub max_sessions: Option<usize>,
}

/// `rift ui`: the HTTP server on loopback only, for the person at this machine (MCP stays at /mcp).
#[derive(Debug, Args)]
pub struct UiArgs {
    /// The loopback port (default: any free one; the address is printed).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The SQLite state file (default: <data dir>/rift/state.db).
    #[arg(long, env = "RIFT_STATE", value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Settings file (default: <config dir>/rift/config.toml when it exists).
    #[arg(long, env = "RIFT_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
}

impl UiArgs {
    pub fn into_serve(self) -> ServeArgs {
        ServeArgs {
            http: Some(SocketAddr::from(([127, 0, 0, 1], self.port))),
            allowed_hosts: vec![],
            allowed_origins: vec![],
            state: self.state,
            config: self.config,
            allow_writes: None,
            tools: None,
            max_sessions: None,
            tokens_file: None,
        }
    }
}

pub async fn run(args: ServeArgs) -> Result<(), CliError> {
    let overrides = Overrides {
        config: args.config.clone(),
        state: args.state.clone(),
        allow_writes: args.allow_writes,
        tools: args
            .tools
            .as_deref()
            .map(crate::config::ToolGroup::parse_list)
            .transpose()
            .map_err(|e| CliError::Usage(format!("--tools (or RIFT_TOOLS): {e}")))?,
        http_max_sessions: args.max_sessions,
    };
    let settings = config::load(&overrides, |name| std::env::var(name).ok())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    tracing::info!(
        "state {}, writes {}",
        crate::store::Store::new(settings.state_path.clone()).location(),
        if settings.allow_writes {
            "enabled"
        } else {
            "disabled"
        }
    );
    let max_sessions = settings.http_max_sessions;
    // Replicas sharing a database serve without sessions: any of them can answer any request.
    let shared = crate::store::is_postgres_url(&settings.state_path.to_string_lossy());
    let watch_s = settings.watch_s;
    let state = AppState::new(settings, Clouds::builtin());
    // Health subscribers hear of changed incidents only when the operator asks for the checks.
    let watcher = watch_s.map(|every| {
        tracing::info!("re-checking subscribed projects' health every {every} s");
        RiftServer::watch(state.clone(), std::time::Duration::from_secs(every))
    });
    match args.http {
        None => {
            tracing::info!("serving MCP over stdio");
            RiftServer::new(state)
                .serve_stdio(shutdown_signal())
                .await?;
        }
        Some(addr) => {
            // Read from the environment only: a token on the command line would show in `ps`.
            let token = std::env::var("RIFT_HTTP_TOKEN").ok();
            let users = args
                .tokens_file
                .as_deref()
                .map(crate::server::users::UserTokens::load)
                .transpose()
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let settings = HttpSettings::new(
                addr,
                token,
                args.allowed_hosts,
                args.allowed_origins,
                max_sessions,
                users,
            )
            .map_err(|e| CliError::Usage(e.to_string()))?
            .stateless(shared);
            let listener = http::bind(&settings)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?;
            http::serve(listener, settings, state, shutdown_signal())
                .await
                .map_err(crate::server::ServeError::from)?;
        }
    }
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    tracing::info!("rift stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed now, not when the future is first polled: a signal
/// that arrives between "listening" and the first poll must still shut down cleanly rather than kill the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {}
                () = wait(terminate) => {}
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_allow_writes_help_says_which_calls_need_a_token() {
        let mut cli = crate::cli::Cli::command();
        let help = cli
            .find_subcommand_mut("serve")
            .map(|serve| serve.render_long_help().to_string())
            .unwrap_or_default();
        let flag = help
            .split("--allow-writes")
            .nth(1)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flag.contains(
                "create_project, update_project) are rift's own records: always available, no token"
            ),
            "{help}"
        );
        assert!(!flag.contains("each call still needs"), "{help}");
    }
}
