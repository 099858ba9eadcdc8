//! Streamable HTTP transport: `/mcp` (SSE-streamed replies), `/healthz`, DNS-rebinding protection through
//! Host (name and port) and Origin checks, a bearer token that is mandatory (and long) off loopback, a cap on
//! request bodies and on live sessions, and JSON-RPC errors for bodies that are not one JSON-RPC 2.0 message.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::{ListenerExt, TapIo};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::sessions::CappedSessions;
use super::users::{HttpUser, UserTokens, constant_time_eq};
use super::{AppState, RiftServer};

/// Host names a loopback server always answers to (with its port).
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];
/// The shortest bearer token accepted off loopback: 32 characters (`openssl rand -hex 16` at least) put
/// guessing out of reach; a short word would not be.
pub const MIN_TOKEN_LEN: usize = 32;
/// The largest request body accepted: a tool call's arguments are kilobytes (user data at most 16 KB).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Browser origins a loopback server accepts (local tools such as MCP Inspector).
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "refusing to serve HTTP on {0} without a bearer token: anyone who can reach that address could use rift. Set RIFT_HTTP_TOKEN to a long random secret (clients send it as 'Authorization: Bearer <token>'), or give per-user tokens with --tokens-file, or bind to 127.0.0.1"
    )]
    TokenRequired(SocketAddr),
    #[error("RIFT_HTTP_TOKEN is set but empty; give it a long random secret or unset it")]
    EmptyToken,
    #[error(
        "RIFT_HTTP_TOKEN is {0} characters long; serving on {1} needs at least {MIN_TOKEN_LEN}, e.g. \
         RIFT_HTTP_TOKEN=$(openssl rand -hex 32)"
    )]
    ShortToken(usize, SocketAddr),
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
    extra_hosts: Vec<String>,
    allowed_origins: Vec<String>,
    max_sessions: usize,
    /// Per-user tokens (hashed) → user names; the single token, when also set, stays valid without a name.
    users: Option<Arc<UserTokens>>,
    /// No sessions: every request stands alone, so any replica behind a load balancer can answer it.
    stateless: bool,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("addr", &self.addr)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("extra_hosts", &self.extra_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_sessions", &self.max_sessions)
            .field("users", &self.users)
            .field("stateless", &self.stateless)
            .finish()
    }
}

impl HttpSettings {
    /// A token is required unless the address is loopback, and off loopback it must be long; extra hosts and
    /// origins are for serving behind a proxy or to a browser client on another origin.
    pub fn new(
        addr: SocketAddr,
        token: Option<String>,
        extra_hosts: Vec<String>,
        extra_origins: Vec<String>,
        max_sessions: usize,
        users: Option<UserTokens>,
    ) -> Result<Self, HttpError> {
        let token: Option<Arc<str>> = match token {
            Some(t) if t.trim().is_empty() => return Err(HttpError::EmptyToken),
            Some(t) => Some(Arc::from(t.trim())),
            None => None,
        };
        if !addr.ip().is_loopback() {
            match &token {
                None if users.is_none() => return Err(HttpError::TokenRequired(addr)),
                None => {}
                Some(t) if t.chars().count() < MIN_TOKEN_LEN => {
                    return Err(HttpError::ShortToken(t.chars().count(), addr));
                }
                Some(_) => {}
            }
        }
        let mut allowed_origins: Vec<String> =
            LOOPBACK_ORIGINS.iter().map(|o| o.to_string()).collect();
        allowed_origins.extend(extra_origins);
        Ok(Self {
            addr,
            token,
            extra_hosts,
            allowed_origins,
            max_sessions,
            users: users.map(Arc::new),
            stateless: false,
        })
    }

    /// Serves without sessions (rmcp's stateless mode, plain JSON replies): what replicas sharing a database
    /// do, so a load balancer needs no sticky sessions. Elicitation, which needs a session, is then not offered;
    /// the approval token is the confirmation step.
    pub fn stateless(mut self, stateless: bool) -> Self {
        self.stateless = stateless;
        self
    }

    /// The Host values accepted once listening on `bound`: the loopback names and the bound address, each with
    /// the port (a page served from `localhost:9999` must not reach rift on another port), plus the operator's
    /// extra hosts as given.
    fn allowed_hosts(&self, bound: SocketAddr) -> Vec<String> {
        let port = bound.port();
        let mut names: Vec<String> = LOOPBACK_HOSTS.iter().map(|h| h.to_string()).collect();
        if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
            names.push(match bound.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                std::net::IpAddr::V4(ip) => ip.to_string(),
            });
        }
        let mut hosts: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
        // A client may leave out the scheme's default port.
        if port == 80 {
            hosts.extend(names);
        }
        hosts.extend(self.extra_hosts.iter().cloned());
        hosts
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
    let bound = listener.local_addr().map_err(HttpError::Serve)?;
    let cancel = CancellationToken::new();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(settings.allowed_hosts(bound))
        .with_allowed_origins(settings.allowed_origins.clone())
        .enforce_origin_validation()
        .with_max_request_body_bytes(MAX_BODY_BYTES)
        .with_legacy_session_mode(!settings.stateless)
        .with_json_response(settings.stateless)
        .with_cancellation_token(cancel.child_token());
    let sessions = Arc::new(CappedSessions::new(settings.max_sessions));
    // The dashboard for people at `/`, behind the same Host, Origin and token checks as `/mcp`.
    let dashboard = super::dashboard::routes(
        state.clone(),
        super::dashboard::Access::new(
            settings.allowed_hosts(bound),
            settings.allowed_origins.clone(),
            settings.token.clone(),
            settings.users.clone(),
        ),
    );
    let mcp = StreamableHttpService::new(
        move || Ok(RiftServer::new(state.clone())),
        sessions.clone(),
        config,
    );
    let mcp_routes = Router::new()
        .nest_service("/mcp", mcp)
        .layer(middleware::from_fn_with_state(sessions, check_message))
        .layer(middleware::from_fn_with_state(
            Auth {
                token: settings.token.clone(),
                users: settings.users.clone(),
            },
            require_token,
        ));
    let app = Router::new()
        .route("/healthz", get(healthz))
        .merge(dashboard)
        .merge(mcp_routes);
    // A fixed line on stderr, so scripts and tests binding port 0 learn the port.
    eprintln!("rift: listening on http://{bound}/mcp");
    eprintln!("rift: dashboard at http://{bound}/");
    axum::serve(without_nagle(listener), app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            cancel.cancel();
        })
        .await
        .map_err(HttpError::Serve)
}

/// Accepted connections with TCP_NODELAY: replies are small SSE writes, which Nagle's algorithm would hold
/// back until the client's delayed ACK (about 40 ms per request on a kept-alive connection).
fn without_nagle(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!("could not set TCP_NODELAY on an HTTP connection: {e}");
        }
    })
}

/// Lets through to rmcp only a POST body that is one JSON-RPC 2.0 message, answering anything else with HTTP
/// 400 and the JSON-RPC error (-32700 for what is not JSON, -32600 for batches and other envelopes) rather than
/// rmcp's bare 415; and makes room for the session a new `initialize` opens, or refuses it when every session
/// is busy.
async fn check_message(
    State(sessions): State<Arc<CappedSessions>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST || !is_json(&request) {
        // rmcp answers these itself (405, 406, 415).
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is over {MAX_BODY_BYTES} bytes, rift's limit\n"),
            )
                .into_response();
        }
    };
    let message: Value = match serde_json::from_slice(&bytes) {
        Ok(message) => message,
        Err(e) => {
            return json_rpc_error(
                StatusCode::BAD_REQUEST,
                -32700,
                &format!("Parse error: the body is not JSON ({e})"),
            );
        }
    };
    if let Some(problem) = envelope_problem(&message) {
        return json_rpc_error(
            StatusCode::BAD_REQUEST,
            -32600,
            &format!("Invalid Request: {problem}"),
        );
    }
    let opens_session =
        message["method"] == "initialize" && !parts.headers.contains_key("mcp-session-id");
    if opens_session && let Err(e) = sessions.make_room().await {
        let mut response = json_rpc_error(StatusCode::SERVICE_UNAVAILABLE, -32000, &e.to_string());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
        return response;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Why `message` is not a single JSON-RPC 2.0 request, notification or response, if it is not.
fn envelope_problem(message: &Value) -> Option<&'static str> {
    let Some(fields) = message.as_object() else {
        return Some(if message.is_array() {
            "batches are not supported (MCP removed JSON-RPC batching in 2025-06-18); send one message per \
             request"
        } else {
            "the body must be a JSON-RPC message object"
        });
    };
    if fields.get("jsonrpc") != Some(&json!("2.0")) {
        return Some("\"jsonrpc\" must be \"2.0\"");
    }
    let is_call = fields.get("method").is_some_and(Value::is_string);
    let is_answer = fields.contains_key("result") || fields.contains_key("error");
    if !is_call && !is_answer {
        return Some(
            "a message needs a \"method\" (request or notification) or a \"result\" or \"error\" (response)",
        );
    }
    None
}

/// A JSON-RPC error with `id: null`: the request's id could not be trusted or there was none.
fn json_rpc_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

/// What a request must present: the single token, a per-user token, or (neither configured) nothing.
#[derive(Clone)]
struct Auth {
    token: Option<Arc<str>>,
    users: Option<Arc<UserTokens>>,
}

/// Checks the bearer token; a per-user token's user goes with the request to the tool call.
async fn require_token(State(auth): State<Auth>, mut request: Request, next: Next) -> Response {
    if auth.token.is_none() && auth.users.is_none() {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        // The scheme is case-insensitive (RFC 9110).
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    if let Some(given) = presented {
        if let Some(user) = auth.users.as_ref().and_then(|u| u.user_for(&given)) {
            request.extensions_mut().insert(HttpUser(user));
            return next.run(request).await;
        }
        if auth
            .token
            .as_ref()
            .is_some_and(|expected| constant_time_eq(given.as_bytes(), expected.as_bytes()))
        {
            return next.run(request).await;
        }
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "missing or wrong bearer token: send 'Authorization: Bearer <token>' with RIFT_HTTP_TOKEN or your own \
         token from the tokens file\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG_TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn settings(addr: &str, token: Option<&str>) -> Result<HttpSettings, HttpError> {
        HttpSettings::new(
            addr.parse().unwrap(),
            token.map(str::to_string),
            vec![],
            vec![],
            8,
            None,
        )
    }

    #[test]
    fn a_public_address_needs_a_long_token() {
        let err = settings("0.0.0.0:8080", None).unwrap_err();
        assert!(err.to_string().contains("RIFT_HTTP_TOKEN"));
        assert!(settings("0.0.0.0:8080", Some(LONG_TOKEN)).is_ok());
        for short in ["a", "s3cret-value", &LONG_TOKEN[1..]] {
            let err = settings("0.0.0.0:8080", Some(short)).unwrap_err();
            assert!(matches!(err, HttpError::ShortToken(..)), "{short}: {err:?}");
            let message = err.to_string();
            assert!(message.contains("at least 32"), "{message}");
            assert!(short.len() < 5 || !message.contains(short), "{message}");
        }
        assert!(settings("127.0.0.1:8080", None).is_ok());
        assert!(settings("127.0.0.1:8080", Some("short")).is_ok());
        assert!(matches!(
            settings("127.0.0.1:8080", Some("  ")),
            Err(HttpError::EmptyToken)
        ));
    }

    #[test]
    fn per_user_tokens_are_enough_on_a_public_address() {
        let users = UserTokens::parse(&format!("alice {}\n", "ab".repeat(32)), "tokens").unwrap();
        let settings = HttpSettings::new(
            "0.0.0.0:8080".parse().unwrap(),
            None,
            vec![],
            vec![],
            8,
            Some(users),
        );
        assert!(settings.is_ok(), "{settings:?}");
    }

    #[test]
    fn the_host_check_names_the_port() {
        let local = settings("127.0.0.1:0", None).unwrap();
        let hosts = local.allowed_hosts("127.0.0.1:8123".parse().unwrap());
        assert_eq!(
            hosts,
            ["localhost:8123", "127.0.0.1:8123", "[::1]:8123"].map(String::from)
        );
        let public = HttpSettings::new(
            "10.1.2.3:80".parse().unwrap(),
            Some(LONG_TOKEN.into()),
            vec!["rift.example.com".into()],
            vec![],
            8,
            None,
        )
        .unwrap();
        let hosts = public.allowed_hosts("10.1.2.3:80".parse().unwrap());
        for host in ["10.1.2.3:80", "10.1.2.3", "localhost", "rift.example.com"] {
            assert!(hosts.contains(&host.to_string()), "{host}: {hosts:?}");
        }
    }

    #[tokio::test]
    async fn accepted_connections_do_not_wait_for_nagle() {
        use axum::serve::Listener;
        let mut listener = without_nagle(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap());
        drop(client);
    }

    #[test]
    fn envelopes_that_are_not_one_json_rpc_message() {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
        assert_eq!(envelope_problem(&request), None);
        assert_eq!(
            envelope_problem(&json!({"jsonrpc": "2.0", "id": 1, "result": {}})),
            None
        );
        let batch = envelope_problem(&json!([request])).unwrap();
        assert!(batch.contains("batch"), "{batch}");
        let old = envelope_problem(&json!({"jsonrpc": "1.0", "id": 1, "method": "ping"})).unwrap();
        assert!(old.contains("2.0"), "{old}");
        assert!(envelope_problem(&json!({"jsonrpc": "2.0", "id": 1})).is_some());
        assert!(envelope_problem(&json!("ping")).is_some());
    }

    #[test]
    fn debug_output_hides_the_token() {
        let settings = settings("127.0.0.1:8080", Some("hunter2-token")).unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
