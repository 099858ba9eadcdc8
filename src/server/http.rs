//! Streamable HTTP transport: `/mcp` (SSE-streamed replies), `/healthz`, DNS-rebinding protection through
//! Host and Origin checks, and a bearer token that is mandatory off loopback.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{AppState, RiftServer};

/// Host names a loopback server always answers to.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// Browser origins a loopback server accepts (local tools such as MCP Inspector).
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "refusing to serve HTTP on {0} without a bearer token: anyone who can reach that address could use rift. Set RIFT_HTTP_TOKEN to a long random secret (clients send it as 'Authorization: Bearer <token>'), or bind to 127.0.0.1"
    )]
    TokenRequired(SocketAddr),
    #[error("RIFT_HTTP_TOKEN is set but empty; give it a long random secret or unset it")]
    EmptyToken,
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// How the HTTP transport is exposed, validated before anything listens.
#[derive(Clone)]
pub struct HttpSettings {
    pub addr: SocketAddr,
    token: Option<Arc<str>>,
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<String>,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("addr", &self.addr)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

impl HttpSettings {
    /// A token is required unless the address is loopback; extra hosts and origins are for serving behind a
    /// proxy or to a browser client on another origin.
    pub fn new(
        addr: SocketAddr,
        token: Option<String>,
        extra_hosts: Vec<String>,
        extra_origins: Vec<String>,
    ) -> Result<Self, HttpError> {
        let token = match token {
            Some(t) if t.trim().is_empty() => return Err(HttpError::EmptyToken),
            Some(t) => Some(Arc::from(t.trim())),
            None => None,
        };
        if token.is_none() && !addr.ip().is_loopback() {
            return Err(HttpError::TokenRequired(addr));
        }
        let mut allowed_hosts: Vec<String> = LOOPBACK_HOSTS.iter().map(|h| h.to_string()).collect();
        if !addr.ip().is_unspecified() && !addr.ip().is_loopback() {
            allowed_hosts.push(addr.ip().to_string());
        }
        allowed_hosts.extend(extra_hosts);
        let mut allowed_origins: Vec<String> =
            LOOPBACK_ORIGINS.iter().map(|o| o.to_string()).collect();
        allowed_origins.extend(extra_origins);
        Ok(Self {
            addr,
            token,
            allowed_hosts,
            allowed_origins,
        })
    }
}

/// Binds the configured address.
pub async fn bind(settings: &HttpSettings) -> Result<TcpListener, HttpError> {
    TcpListener::bind(settings.addr)
        .await
        .map_err(|source| HttpError::Bind {
            addr: settings.addr.to_string(),
            source,
        })
}

/// Serves MCP on `listener` until `shutdown` resolves, then closes every session.
pub async fn serve(
    listener: TcpListener,
    settings: HttpSettings,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError> {
    let cancel = CancellationToken::new();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(settings.allowed_hosts.clone())
        .with_allowed_origins(settings.allowed_origins.clone())
        .enforce_origin_validation()
        .with_cancellation_token(cancel.child_token());
    let mcp = StreamableHttpService::new(
        move || Ok(RiftServer::new(state.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let mcp_routes = Router::new()
        .nest_service("/mcp", mcp)
        .layer(middleware::from_fn_with_state(
            settings.token.clone(),
            require_token,
        ));
    let app = Router::new()
        .route("/healthz", get(healthz))
        .merge(mcp_routes);
    if let Ok(addr) = listener.local_addr() {
        // A fixed line on stderr, so scripts and tests binding port 0 learn the port.
        eprintln!("rift: listening on http://{addr}/mcp");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            cancel.cancel();
        })
        .await
        .map_err(HttpError::Serve)
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

async fn require_token(
    State(token): State<Option<Arc<str>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = token else {
        return next.run(request).await;
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        // The scheme is case-insensitive (RFC 9110).
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match presented {
        Some(given) if constant_time_eq(given.as_bytes(), expected.as_bytes()) => {
            next.run(request).await
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token: send 'Authorization: Bearer <RIFT_HTTP_TOKEN>'\n",
        )
            .into_response(),
    }
}

/// Compares without stopping at the first difference, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_address_needs_a_token() {
        let public: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let err = HttpSettings::new(public, None, vec![], vec![]).unwrap_err();
        assert!(err.to_string().contains("RIFT_HTTP_TOKEN"));
        assert!(HttpSettings::new(public, Some("s3cret-value".into()), vec![], vec![]).is_ok());
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(HttpSettings::new(local, None, vec![], vec![]).is_ok());
        assert!(matches!(
            HttpSettings::new(local, Some("  ".into()), vec![], vec![]),
            Err(HttpError::EmptyToken)
        ));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let settings =
            HttpSettings::new(local, Some("hunter2-token".into()), vec![], vec![]).unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
