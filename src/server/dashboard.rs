//! The dashboard for people at `/` of `rift serve --http` (and `rift ui`): the page, and the JSON it reads
//! (`/api/projects`, `/api/projects/{id}`), the provision form's endpoint (`/api/form`, the same evaluation as
//! the `provision_form` tool) and a saved plan's diagram and Terraform files. The same guards as `/mcp`: the
//! Host must be one rift answers to (DNS rebinding), a POST's Origin must be this page's or an allowed one, and
//! when a bearer token is set, the request must carry it — a browser does so once, as `/?token=...`, and then
//! holds a session cookie (HttpOnly, SameSite=Strict) whose value is a per-process random secret, not the token.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};

use super::AppState;
use super::users::{UserTokens, constant_time_eq};
use crate::model::{Metric, Provider, ResourceKind};
use crate::operations::MetricsRequest;
use crate::views::pages;

const SESSION_COOKIE: &str = "rift_session";

/// Who may see the dashboard: the Host values and browser origins `/mcp` accepts, and its token.
#[derive(Clone)]
pub struct Access {
    hosts: Arc<Vec<String>>,
    origins: Arc<Vec<String>>,
    token: Option<Arc<str>>,
    /// Per-user tokens (team mode): each opens the page as the single token does.
    users: Option<Arc<UserTokens>>,
    /// The session cookie's value, made at start: knowing it is knowing the token was presented. None when the
    /// system gave no randomness: then no cookie is trusted, and the token is needed on every request.
    session: Option<Arc<str>>,
}

impl Access {
    pub(super) fn new(
        hosts: Vec<String>,
        origins: Vec<String>,
        token: Option<Arc<str>>,
        users: Option<Arc<UserTokens>>,
    ) -> Access {
        let mut bytes = [0u8; 32];
        let session = match getrandom::fill(&mut bytes) {
            Ok(()) => Some(Arc::from(
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            )),
            Err(e) => {
                tracing::warn!(
                    "no randomness for the dashboard's session cookie ({e}): send the bearer token each time"
                );
                None
            }
        };
        Access {
            hosts: Arc::new(hosts),
            origins: Arc::new(origins),
            token,
            users,
            session,
        }
    }

    /// Whether a token is asked for at all: the single one or per-user ones.
    fn needs_token(&self) -> bool {
        self.token.is_some() || self.users.is_some()
    }

    /// The single token, or any user's.
    fn accepts(&self, given: &str) -> bool {
        self.token
            .as_ref()
            .is_some_and(|token| constant_time_eq(given.as_bytes(), token.as_bytes()))
            || self
                .users
                .as_ref()
                .is_some_and(|u| u.user_for(given).is_some())
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|host| self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)))
    }

    /// A browser's Origin on a POST: this page's own, or one the operator allowed ("http://localhost:*").
    fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
            // Not a browser (curl, a script with the token): nothing cross-site to guard against.
            return true;
        };
        let own = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(|host| format!("http://{host}"));
        own.as_deref() == Some(origin)
            || self
                .origins
                .iter()
                .any(|pattern| match pattern.strip_suffix(":*") {
                    Some(prefix) => origin
                        .strip_prefix(prefix)
                        .and_then(|rest| rest.strip_prefix(':'))
                        .is_some_and(|port| {
                            !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                        }),
                    None => pattern == origin,
                })
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        if !self.needs_token() {
            return true;
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .is_some_and(|(_, given)| self.accepts(given.trim()));
        bearer || self.has_session(headers)
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        let Some(session) = &self.session else {
            return false;
        };
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| {
                name == SESSION_COOKIE && constant_time_eq(value.as_bytes(), session.as_bytes())
            })
    }
}

/// The dashboard's routes, guarded.
pub(super) fn routes(state: AppState, access: Access) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/projects", get(projects))
        .route("/api/projects/{id}", get(project))
        .route("/api/projects/{id}/metrics", get(project_metrics))
        .route("/api/form", post(form))
        .route("/api/plans/{id}/diagram.svg", get(plan_diagram))
        .route("/api/plans/{id}/terraform/{file}", get(terraform_file))
        .with_state(state)
        .layer(middleware::from_fn_with_state(access, guard))
}

async fn guard(State(access): State<Access>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if !access.host_allowed(headers) {
        return (
            StatusCode::FORBIDDEN,
            "this Host is not one rift answers to (add it with --allowed-host when serving behind a proxy)\n",
        )
            .into_response();
    }
    if request.method() == axum::http::Method::POST && !access.origin_allowed(headers) {
        return (
            StatusCode::FORBIDDEN,
            "this Origin may not post to rift (add it with --allowed-origin)\n",
        )
            .into_response();
    }
    if access.needs_token()
        && request.uri().path() == "/"
        && let Some(given) = query_value(request.uri().query(), "token")
    {
        if !access.accepts(given) {
            return unauthorized();
        }
        // The token leaves the address bar (and the history) at once; the cookie stands for it from now on.
        let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
        if let Some(session) = &access.session
            && let Ok(value) = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/"
            ))
        {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return response;
    }
    if !access.authorized(headers) {
        return unauthorized();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Nothing on the page comes from elsewhere, and no other site may frame it.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "rift's dashboard needs the server's token: open /?token=<RIFT_HTTP_TOKEN> once, or send \
         'Authorization: Bearer <RIFT_HTTP_TOKEN>'\n",
    )
        .into_response()
}

fn query_value<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

fn error(status: StatusCode, field: Option<&str>, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": {"field": field, "message": message}}),
    )
}

async fn page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        pages::dashboard(),
    )
        .into_response()
}

async fn projects(State(state): State<AppState>) -> Response {
    match state.changes.projects().list(None) {
        Ok(projects) => json_response(StatusCode::OK, &json!({ "projects": projects })),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, None, &e.to_string()),
    }
}

/// A project as the page shows it: its settings without any credential reference, its resources by cloud,
/// its unresolved incidents (as last gathered: the page asks no cloud), the diagram, the changes and the
/// activity.
async fn project(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let view = match state.changes.project_view(&id, false, None).await {
        Ok(view) => view,
        Err(e) => return error(StatusCode::NOT_FOUND, Some("project_id"), &e.to_string()),
    };
    let diagram = match super::views::project_diagram(&state, &view.project.id) {
        Ok(diagram) => diagram.svg(),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, None, &e.to_string()),
    };
    let incidents = match state.changes.projects().open_incidents(&view.project.id) {
        Ok(incidents) => incidents,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, None, &e.to_string()),
    };
    let p = &view.project;
    let regions: serde_json::Map<String, Value> = Provider::ALL
        .into_iter()
        .filter_map(|provider| p.region(provider).map(|r| (provider.to_string(), json!(r))))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "project": {
                "id": p.id, "name": p.name, "cloud_providers": p.cloud_providers, "regions": regions,
                "monthly_budget_usd": p.monthly_budget_usd, "created_at": p.created_at,
            },
            "monthly_cost": view.monthly_cost,
            "providers": view.providers,
            "changes": view.changes,
            "activity": view.activity,
            "incidents": incidents,
            "diagram_svg": diagram,
        }),
    )
}

/// The metric a tier is watched by, as the page draws a sparkline of it: a load balancer's requests, the CPU of
/// everything else that has one.
fn key_metric(kind: ResourceKind) -> Option<Metric> {
    let published = Metric::of_kind(kind);
    [Metric::Requests, Metric::CpuPercent]
        .into_iter()
        .find(|m| published.contains(m))
}

/// The last hour of each live resource's key metric, with its points, for the page's sparklines: get_metrics'
/// own answer (unavailable metrics keep their reason).
async fn project_metrics(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let kinds: BTreeSet<ResourceKind> = match state.changes.projects().resources(&id, None) {
        Ok(resources) => resources.into_iter().map(|r| r.kind).collect(),
        Err(e) => return error(StatusCode::NOT_FOUND, Some("project_id"), &e.to_string()),
    };
    let metrics: BTreeSet<Metric> = kinds.into_iter().filter_map(key_metric).collect();
    let request = MetricsRequest {
        project_id: id,
        resource: None,
        kind: None,
        provider: None,
        metrics: Some(metrics.into_iter().collect()),
        minutes: Some(60),
        step_s: None,
        series: true,
        now: chrono::Utc::now().timestamp(),
    };
    match state.operations.metrics(request).await {
        Ok(report) => json_response(StatusCode::OK, &report),
        Err(e) => error(StatusCode::NOT_FOUND, Some("project_id"), &e.to_string()),
    }
}

/// The provision form: the `provision_form` tool's arguments → `{"answer": ...}` or `{"error": {field, message}}`.
async fn form(State(state): State<AppState>, body: Bytes) -> Response {
    let input = match serde_json::from_slice::<super::Args<crate::views::form::FormInput>>(&body) {
        Ok(super::Args(input)) => input,
        Err(e) => {
            let e = crate::views::form::FormError::from_message(e.to_string());
            return json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "error": e }));
        }
    };
    match super::views::evaluate_form(&state, &input) {
        Ok(result) => {
            let files = result
                .plan_id
                .as_deref()
                .and_then(|id| state.plans.get(id).ok())
                .and_then(|plan| crate::terraform::generate(&plan).ok())
                .map(|config| config.files.into_keys().collect::<Vec<_>>())
                .unwrap_or_default();
            let mut answer = match serde_json::to_value(&result) {
                Ok(answer) => answer,
                Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, None, &e.to_string()),
            };
            answer["terraform_files"] = json!(files);
            json_response(StatusCode::OK, &json!({ "answer": answer }))
        }
        Err(e) => json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "error": e })),
    }
}

async fn plan_diagram(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match super::views::plan_diagram(&state, &id) {
        Ok(diagram) => ([(header::CONTENT_TYPE, "image/svg+xml")], diagram.svg()).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, format!("{e}\n")).into_response(),
    }
}

async fn terraform_file(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let Ok(plan) = state.plans.get(&id) else {
        return (StatusCode::NOT_FOUND, "no such plan\n").into_response();
    };
    let mut files = match crate::terraform::generate(&plan) {
        Ok(config) => config.files,
        Err(e) => return (StatusCode::UNPROCESSABLE_ENTITY, format!("{e}\n")).into_response(),
    };
    match files.remove(&file) {
        Some(text) => {
            let disposition = format!("attachment; filename=\"{file}\"");
            let mut response =
                ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        None => (
            StatusCode::NOT_FOUND,
            format!(
                "plan {id} has no file \"{}\"\n",
                crate::config::redact(&file)
            ),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn access(token: Option<&str>) -> Access {
        Access::new(
            vec!["127.0.0.1:8123".into(), "localhost:8123".into()],
            vec!["http://localhost:*".into()],
            token.map(Arc::from),
            None,
        )
    }

    /// Team mode without the single token: a user's own token opens the page, nothing else does.
    #[test]
    fn a_users_token_opens_the_page_when_only_a_tokens_file_is_set() {
        use sha2::Digest;
        let hash: String = sha2::Sha256::digest(b"alice-secret-token-0000000000000000")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let users =
            super::super::users::UserTokens::parse(&format!("alice {hash}\n"), "tokens").unwrap();
        let team = Access::new(
            vec!["127.0.0.1:8123".into()],
            vec![],
            None,
            Some(Arc::new(users)),
        );
        assert!(team.needs_token());
        let with = |v: &str| headers(&[(header::AUTHORIZATION, v)]);
        assert!(team.authorized(&with("Bearer alice-secret-token-0000000000000000")));
        assert!(!team.authorized(&with("Bearer someone-else")));
        assert!(!team.authorized(&HeaderMap::new()));
    }

    #[test]
    fn host_origin_and_token() {
        let open = access(None);
        assert!(open.host_allowed(&headers(&[(header::HOST, "127.0.0.1:8123")])));
        assert!(!open.host_allowed(&headers(&[(header::HOST, "evil.example:8123")])));
        assert!(!open.host_allowed(&HeaderMap::new()));
        let own = headers(&[
            (header::HOST, "127.0.0.1:8123"),
            (header::ORIGIN, "http://127.0.0.1:8123"),
        ]);
        assert!(open.origin_allowed(&own));
        let allowed = headers(&[
            (header::HOST, "127.0.0.1:8123"),
            (header::ORIGIN, "http://localhost:3000"),
        ]);
        assert!(open.origin_allowed(&allowed));
        let foreign = headers(&[
            (header::HOST, "127.0.0.1:8123"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        assert!(!open.origin_allowed(&foreign));
        let sneaky = headers(&[
            (header::HOST, "127.0.0.1:8123"),
            (header::ORIGIN, "http://localhost:1.evil"),
        ]);
        assert!(!open.origin_allowed(&sneaky));
        assert!(open.authorized(&HeaderMap::new()));

        let locked = access(Some("0123456789abcdef0123456789abcdef"));
        assert!(!locked.authorized(&HeaderMap::new()));
        assert!(locked.authorized(&headers(&[(
            header::AUTHORIZATION,
            "Bearer 0123456789abcdef0123456789abcdef"
        )])));
        let session = locked.session.clone().unwrap();
        let cookie = format!("a=b; {SESSION_COOKIE}={session}");
        assert!(locked.authorized(&headers(&[(header::COOKIE, &cookie)])));
        let forged = format!("{SESSION_COOKIE}=0123456789abcdef0123456789abcdef");
        assert!(!locked.authorized(&headers(&[(header::COOKIE, &forged)])));
        assert_ne!(&*session, "0123456789abcdef0123456789abcdef");
        let without_randomness = Access {
            session: None,
            ..locked.clone()
        };
        assert!(!without_randomness.authorized(&headers(&[(header::COOKIE, &cookie)])));
    }

    #[test]
    fn query_values() {
        assert_eq!(query_value(Some("a=1&token=xyz"), "token"), Some("xyz"));
        assert_eq!(query_value(Some("tokens=1"), "token"), None);
        assert_eq!(query_value(None, "token"), None);
    }
}
