//! The HTTP layer of DigitalOcean's API v2: authentication, base URL, timeouts, the error body, rate limits and
//! bounded retries. Resource families (droplets.rs, volumes.rs, ...) add typed operations on top of [`Client`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cloud::{CloudError, TokenRef};

/// The API the official tools talk to; `DIGITALOCEAN_API_URL` (the variable DigitalOcean's Terraform provider
/// reads) points rift elsewhere, e.g. at Prism in tests.
pub const DEFAULT_API_URL: &str = "https://api.digitalocean.com";
/// Environment variables holding a token, in the order doctl and Terraform read them.
pub const TOKEN_VARIABLES: [&str; 2] = ["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"];

/// A bearer token. It has no `Display` and its `Debug` is redacted, so it cannot reach a log line or an error.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(secret: impl Into<String>) -> Token {
        Token(secret.into())
    }

    /// The token from the project's reference, or else from `DIGITALOCEAN_TOKEN` / `DIGITALOCEAN_ACCESS_TOKEN`.
    pub fn resolve(reference: Option<&TokenRef>) -> Result<Token, DoError> {
        if let Some(reference) = reference {
            return reference.resolve().map(Token).map_err(|e| match e {
                CloudError::Credentials(reason) => DoError::Credentials(reason),
                other => DoError::Credentials(other.to_string()),
            });
        }
        Token::from_vars(|name| std::env::var(name).ok())
    }

    /// The token from the first of [`TOKEN_VARIABLES`] that `var` gives (tests pass a map rather than change
    /// the environment every test in the process shares).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Token, DoError> {
        TOKEN_VARIABLES
            .iter()
            .find_map(|name| var(name).filter(|v| !v.trim().is_empty()))
            .map(Token)
            .ok_or_else(|| {
                DoError::Credentials(
                    crate::cloud::credentials_hint(crate::model::Provider::Digitalocean).into(),
                )
            })
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// How often and how long to retry a request that was throttled (429) or hit a server error (5xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (godo uses 4).
    pub max_retries: u32,
    /// First backoff; doubled on every retry.
    pub base_delay: Duration,
    /// Longest backoff between two attempts.
    pub max_delay: Duration,
    /// Longest wait rift accepts from `retry-after` / `ratelimit-reset`; a longer one fails at once with the time
    /// to retry, rather than holding a tool call for up to an hour (the limit is a sliding hourly window).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// How async actions (`/v2/actions/{id}`) and slow resources are polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    pub interval: Duration,
    /// After this long an action still in progress is an error, never an endless wait.
    pub deadline: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            interval: Duration::from_secs(5),
            deadline: Duration::from_secs(600),
        }
    }
}

/// What a response observer sees of every response (each attempt, retries included).
#[derive(Debug)]
pub struct ResponseInfo<'a> {
    pub method: &'a Method,
    pub url: &'a Url,
    pub status: StatusCode,
    pub headers: &'a HeaderMap,
}

/// Called with every response; lets a caller audit the traffic (the contract tests collect Prism's
/// `sl-violations` header through it).
pub type ResponseObserver = Arc<dyn Fn(&ResponseInfo<'_>) + Send + Sync>;

/// Everything a [`Client`] is built from.
#[derive(Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub token: Token,
    /// Whole-request timeout (connect, send, receive).
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub poll: PollPolicy,
    /// Most pages one listing follows.
    pub max_pages: u32,
    /// Sent with every request besides rift's own headers.
    pub extra_headers: HeaderMap,
    pub observer: Option<ResponseObserver>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("poll", &self.poll)
            .field("max_pages", &self.max_pages)
            .field(
                "extra_headers",
                &self.extra_headers.keys().collect::<Vec<_>>(),
            )
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, token: Token) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            token,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            poll: PollPolicy::default(),
            max_pages: 50,
            extra_headers: HeaderMap::new(),
            observer: None,
        }
    }

    /// Base URL from `DIGITALOCEAN_API_URL` (default [`DEFAULT_API_URL`]) and the token per [`Token::resolve`].
    pub fn from_env(token: Option<&TokenRef>) -> Result<ClientConfig, DoError> {
        let base = api_url(|name| std::env::var(name).ok());
        Ok(ClientConfig::new(base, Token::resolve(token)?))
    }

    /// As [`ClientConfig::from_env`] without a project's token reference, reading the variables through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<ClientConfig, DoError> {
        Ok(ClientConfig::new(api_url(&var), Token::from_vars(&var)?))
    }

    /// Adds a header sent with every request.
    pub fn header(mut self, name: &'static str, value: &str) -> Result<ClientConfig, DoError> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| DoError::Config(format!("header {name} has an invalid value")))?;
        self.extra_headers
            .insert(HeaderName::from_static(name), value);
        Ok(self)
    }
}

/// `DIGITALOCEAN_API_URL`, else [`DEFAULT_API_URL`].
fn api_url(var: impl Fn(&str) -> Option<String>) -> String {
    var("DIGITALOCEAN_API_URL")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_API_URL.to_string())
}

/// A failed DigitalOcean call. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DoError {
    /// The API answered with an error body (`{id, message, request_id}`).
    #[error("DigitalOcean answered {status} {id}: {message}{}", request_suffix(.request_id))]
    Api {
        status: u16,
        id: String,
        message: String,
        request_id: Option<String>,
    },
    /// Still throttled after the bounded retries, or asked to wait longer than rift waits.
    #[error("DigitalOcean is rate limiting rift{}{}", retry_suffix(*.retry_after_s), request_suffix(.request_id))]
    RateLimited {
        retry_after_s: Option<u64>,
        request_id: Option<String>,
    },
    #[error("could not reach DigitalOcean: {0}")]
    Transport(String),
    #[error("DigitalOcean did not answer {what} within {after_s} s")]
    Timeout { what: String, after_s: u64 },
    #[error("unexpected answer from DigitalOcean to {what}: {reason}")]
    Decode { what: String, reason: String },
    #[error("no DigitalOcean credentials: {0}")]
    Credentials(String),
    #[error("DigitalOcean client configuration: {0}")]
    Config(String),
    #[error("DigitalOcean action {id} ({kind}) failed")]
    ActionErrored { id: u64, kind: String },
    #[error("DigitalOcean action {id} ({kind}) was still in progress after {after_s} s")]
    ActionDeadline { id: u64, kind: String, after_s: u64 },
}

impl DoError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, DoError::Api { status: 404, .. })
    }
}

fn request_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_deref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

fn retry_suffix(seconds: Option<u64>) -> String {
    seconds
        .map(|s| format!("; retry in {s} s"))
        .unwrap_or_default()
}

impl From<DoError> for CloudError {
    fn from(error: DoError) -> CloudError {
        match error {
            DoError::Api {
                status: 404,
                message,
                ..
            } => CloudError::NotFound(message),
            DoError::Api {
                id,
                message,
                request_id,
                ..
            } => CloudError::Api {
                code: id,
                message,
                request_id,
            },
            DoError::RateLimited { retry_after_s, .. } => CloudError::Throttled { retry_after_s },
            DoError::Transport(reason) => CloudError::Network(reason),
            DoError::Timeout { what, after_s } => CloudError::Timeout { what, after_s },
            DoError::ActionDeadline { id, kind, after_s } => CloudError::Timeout {
                what: format!("DigitalOcean action {id} ({kind})"),
                after_s,
            },
            DoError::Credentials(reason) => CloudError::Credentials(reason),
            other @ (DoError::Decode { .. }
            | DoError::Config(_)
            | DoError::ActionErrored { .. }) => CloudError::Api {
                code: "digitalocean".into(),
                message: other.to_string(),
                request_id: None,
            },
        }
    }
}

/// A successful response: its status and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

/// The DigitalOcean API client. Cheap to clone; clones share the connection pool and the rate-limit state.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    base: Url,
    /// When `ratelimit-remaining` reached 0: the moment (`ratelimit-reset`) the next request may go out.
    paused_until: Arc<Mutex<Option<SystemTime>>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, DoError> {
        let trimmed = config.base_url.trim_end_matches('/');
        let base = Url::parse(trimmed)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                DoError::Config(format!(
                    "the API URL \"{trimmed}\" is not an http(s) URL (DIGITALOCEAN_API_URL)"
                ))
            })?;
        let mut headers = config.extra_headers.clone();
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", config.token.0)).map_err(|_| {
                DoError::Credentials("the token contains characters a header cannot carry".into())
            })?;
        // Keeps the value out of reqwest's and http's Debug output.
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("rift/", env!("CARGO_PKG_VERSION"))),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| DoError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            config: Arc::new(config),
            base,
            paused_until: Arc::default(),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// `path` (starting with `/v2/`) on the configured base URL, with query parameters.
    pub(crate) fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, DoError> {
        let mut url = Url::parse(&format!(
            "{}{path}",
            self.base.as_str().trim_end_matches('/')
        ))
        .map_err(|e| DoError::Config(format!("bad request path {path}: {e}")))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        Ok(url)
    }

    /// Whether `url` lies under the configured base URL (same scheme, host, port and path prefix).
    pub(crate) fn is_own(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
            && url
                .path()
                .starts_with(self.base.path().trim_end_matches('/'))
    }

    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, DoError> {
        let url = self.url(path, query)?;
        let answer = self.send(Method::GET, url, None).await?;
        decode(&answer, path)
    }

    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, DoError> {
        let answer = self
            .send(Method::POST, self.url(path, &[])?, Some(json_body(body)?))
            .await?;
        decode(&answer, path)
    }

    /// A POST answered with 204 and no body.
    pub(crate) async fn post_empty<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), DoError> {
        self.send(Method::POST, self.url(path, &[])?, Some(json_body(body)?))
            .await?;
        Ok(())
    }

    /// A PUT answered with 202/204 and no body that rift needs.
    pub(crate) async fn put_empty<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), DoError> {
        self.send(Method::PUT, self.url(path, &[])?, Some(json_body(body)?))
            .await?;
        Ok(())
    }

    pub(crate) async fn delete(&self, path: &str) -> Result<(), DoError> {
        self.send(Method::DELETE, self.url(path, &[])?, None)
            .await?;
        Ok(())
    }

    /// Sends one request with the bounded retry policy; a non-2xx answer becomes a [`DoError`].
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, DoError> {
        let policy = self.config.retry;
        let mut retries = 0;
        loop {
            self.wait_for_quota().await?;
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    let failure = transport_error(&error, &method, &url, self.config.timeout);
                    // Only requests that change nothing, or change it idempotently, are resent after a
                    // connection failure: a POST may have been carried out. A connection that could not be made
                    // at all (refused, no such host) is not retried: nothing listens there, and waiting 15 s
                    // before saying so helps no one.
                    let unreachable = error.is_connect() && !error.is_timeout();
                    if !unreachable && retries < policy.max_retries && method != Method::POST {
                        let delay = backoff(policy, retries);
                        tracing::warn!(
                            "{failure}; retry {} of {} in {} s",
                            retries + 1,
                            policy.max_retries,
                            delay.as_secs()
                        );
                        tokio::time::sleep(delay).await;
                        retries += 1;
                        continue;
                    }
                    return Err(failure);
                }
            };
            let status = response.status();
            let headers = response.headers().clone();
            if let Some(observer) = &self.config.observer {
                observer(&ResponseInfo {
                    method: &method,
                    url: &url,
                    status,
                    headers: &headers,
                });
            }
            self.note_quota(&headers);
            let body_bytes = response
                .bytes()
                .await
                .map_err(|e| transport_error(&e, &method, &url, self.config.timeout))?;
            if status.is_success() {
                return Ok(Answer {
                    status,
                    body: body_bytes.to_vec(),
                });
            }
            let failure = api_error(status, &headers, &body_bytes);
            // 429 means nothing was done; a 5xx on a POST may have created something, so only the idempotent
            // methods are resent (creates are made safe by looking up before creating instead).
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || (status.is_server_error() && method != Method::POST);
            if !retryable || retries >= policy.max_retries {
                return Err(failure);
            }
            let delay = match server_delay(&headers) {
                Some(wait) if wait > policy.max_wait => {
                    return Err(throttled(&failure, Some(wait)));
                }
                Some(wait) => wait,
                None => backoff(policy, retries),
            };
            tracing::warn!(
                "{method} {}: {failure}; retry {} of {} in {} ms",
                url.path(),
                retries + 1,
                policy.max_retries,
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
            retries += 1;
        }
    }

    /// Holds the next request while the hourly quota is used up, if the reset is near; fails otherwise.
    async fn wait_for_quota(&self) -> Result<(), DoError> {
        let until = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        let Some(until) = until else { return Ok(()) };
        let Ok(wait) = until.duration_since(SystemTime::now()) else {
            return Ok(());
        };
        if wait > self.config.retry.max_wait {
            return Err(DoError::RateLimited {
                retry_after_s: Some(wait.as_secs().max(1)),
                request_id: None,
            });
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn note_quota(&self, headers: &HeaderMap) {
        let remaining = header_u64(headers, "ratelimit-remaining");
        let reset =
            header_u64(headers, "ratelimit-reset").map(|s| UNIX_EPOCH + Duration::from_secs(s));
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        *paused = match (remaining, reset) {
            (Some(0), Some(reset)) => Some(reset),
            _ => None,
        };
    }
}

fn json_body<B: Serialize>(body: &B) -> Result<Vec<u8>, DoError> {
    serde_json::to_vec(body).map_err(|e| DoError::Config(format!("cannot encode the request: {e}")))
}

/// Decodes a JSON body, naming the field that did not fit (never echoing the body: it may hold passwords).
pub(crate) fn decode<T: DeserializeOwned>(answer: &Answer, what: &str) -> Result<T, DoError> {
    let mut deserializer = serde_json::Deserializer::from_slice(&answer.body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| DoError::Decode {
        what: format!("{what} ({})", answer.status),
        reason: format!("at {}: {}", e.path(), e.inner()),
    })
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    id: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

/// The error body `{id, message, request_id}`; the request id falls back to the `x-request-id` header (as godo).
fn api_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> DoError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let header_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (id, message, request_id) = match parsed {
        Some(b) => (b.id, b.message, b.request_id.filter(|r| !r.is_empty())),
        None => (None, None, None),
    };
    let request_id = request_id.or(header_id);
    if status == StatusCode::TOO_MANY_REQUESTS {
        return DoError::RateLimited {
            retry_after_s: server_delay(headers).map(|d| d.as_secs().max(1)),
            request_id,
        };
    }
    DoError::Api {
        status: status.as_u16(),
        id: id.unwrap_or_else(|| format!("http_{}", status.as_u16())),
        message: message
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string()),
        request_id,
    }
}

fn throttled(failure: &DoError, wait: Option<Duration>) -> DoError {
    let request_id = match failure {
        DoError::Api { request_id, .. } | DoError::RateLimited { request_id, .. } => {
            request_id.clone()
        }
        _ => None,
    };
    DoError::RateLimited {
        retry_after_s: wait.map(|d| d.as_secs().max(1)),
        request_id,
    }
}

fn transport_error(
    error: &reqwest::Error,
    method: &Method,
    url: &Url,
    timeout: Duration,
) -> DoError {
    if error.is_timeout() {
        return DoError::Timeout {
            what: format!("{method} {}", url.path()),
            after_s: timeout.as_secs(),
        };
    }
    if error.is_connect() {
        return DoError::Transport(format!(
            "{method} {}: could not connect ({error}); check DIGITALOCEAN_API_URL and the network",
            url.path()
        ));
    }
    DoError::Transport(format!("{method} {}: {error}", url.path()))
}

/// What the server asks for: `retry-after` seconds, else the `ratelimit-reset` epoch when the quota is used up.
fn server_delay(headers: &HeaderMap) -> Option<Duration> {
    if let Some(seconds) = header_u64(headers, "retry-after") {
        return Some(Duration::from_secs(seconds));
    }
    if header_u64(headers, "ratelimit-remaining") == Some(0) {
        let reset = UNIX_EPOCH + Duration::from_secs(header_u64(headers, "ratelimit-reset")?);
        return reset.duration_since(SystemTime::now()).ok();
    }
    None
}

fn backoff(policy: RetryPolicy, retry: u32) -> Duration {
    policy
        .base_delay
        .saturating_mul(2u32.saturating_pow(retry))
        .min(policy.max_delay)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let config = ClientConfig::new("http://127.0.0.1:1", Token::new("dop_v1_secret"));
        let client = Client::new(config.clone()).unwrap();
        for text in [format!("{config:?}"), format!("{client:?}")] {
            assert!(!text.contains("dop_v1_secret"), "{text}");
        }
    }

    #[test]
    fn a_missing_token_names_where_it_was_looked_for() {
        let reference = TokenRef::Env("RIFT_TEST_UNSET_DO_TOKEN".into());
        let err = Token::resolve(Some(&reference)).unwrap_err();
        assert!(
            matches!(&err, DoError::Credentials(m) if m.contains("RIFT_TEST_UNSET_DO_TOKEN")),
            "{err}"
        );
        let shown = CloudError::from(err).to_string();
        assert_eq!(shown.matches("credentials").count(), 1, "{shown}");
    }

    #[test]
    fn error_body_and_header_request_ids() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_static("hdr-1"));
        let body = br#"{"id":"not_found","message":"gone","request_id":"body-1"}"#;
        let err = api_error(StatusCode::NOT_FOUND, &headers, body);
        assert!(err.is_not_found());
        assert!(err.to_string().contains("body-1"), "{err}");
        let err = api_error(StatusCode::BAD_GATEWAY, &headers, b"<html>");
        assert_eq!(
            err,
            DoError::Api {
                status: 502,
                id: "http_502".into(),
                message: "Bad Gateway".into(),
                request_id: Some("hdr-1".into())
            }
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = (0..7).map(|n| backoff(policy, n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn only_links_under_the_base_url_are_own() {
        let client =
            Client::new(ClientConfig::new("http://127.0.0.1:4010/", Token::new("t"))).unwrap();
        let own = Url::parse("http://127.0.0.1:4010/v2/droplets?page=2").unwrap();
        let foreign = Url::parse("https://api.digitalocean.com/v2/droplets?page=2").unwrap();
        let other_port = Url::parse("http://127.0.0.1:4011/v2/droplets?page=2").unwrap();
        assert!(client.is_own(&own));
        assert!(!client.is_own(&foreign));
        assert!(!client.is_own(&other_port));
        let prefixed = Client::new(ClientConfig::new(
            "http://127.0.0.1:4010/do/",
            Token::new("t"),
        ))
        .unwrap();
        assert!(prefixed.is_own(&Url::parse("http://127.0.0.1:4010/do/v2/sizes").unwrap()));
        assert!(!prefixed.is_own(&Url::parse("http://127.0.0.1:4010/v2/sizes").unwrap()));
    }

    #[test]
    fn settings_come_from_the_variables_doctl_and_terraform_read() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let config =
            ClientConfig::from_vars(vars(&[("DIGITALOCEAN_ACCESS_TOKEN", "secret")])).unwrap();
        assert_eq!(config.base_url, DEFAULT_API_URL);
        assert_eq!(config.token.0, "secret");
        let config = ClientConfig::from_vars(vars(&[
            ("DIGITALOCEAN_API_URL", "http://127.0.0.1:4010"),
            ("DIGITALOCEAN_TOKEN", "first"),
            ("DIGITALOCEAN_ACCESS_TOKEN", "second"),
        ]))
        .unwrap();
        assert_eq!(
            (config.base_url.as_str(), config.token.0.as_str()),
            ("http://127.0.0.1:4010", "first")
        );
        let err = ClientConfig::from_vars(vars(&[("DIGITALOCEAN_TOKEN", "  ")])).unwrap_err();
        assert!(
            matches!(&err, DoError::Credentials(m) if m.contains("DIGITALOCEAN_TOKEN") && m.contains("DIGITALOCEAN_ACCESS_TOKEN")),
            "{err}"
        );
    }
}
