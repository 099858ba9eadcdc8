//! One trait for what a cloud can do, shared by the AWS and DigitalOcean clients, and the registry that builds
//! those clients lazily (no client and no credential lookup happens before a tool needs one).
//!
//! Contract for implementations:
//! - `create` is idempotent: before creating, it looks the resource up (DigitalOcean: by rift's tags and the
//!   resource name; AWS: a client token derived from [`CreateContext::idempotency_key`], or tags + name) and
//!   returns the existing resource instead of making a second one. The engine relies on this after a crash
//!   between recording *intended* and *created*.
//! - Everything created carries [`TAG_MANAGED_BY`] = [`TAG_MANAGED_BY_VALUE`] and [`TAG_PROJECT`] = the project
//!   id (DigitalOcean spells them `managed-by:rift`, `rift-project:<id>`), plus the resource name.
//! - `list` returns only resources tagged with the project; records carry tags as key → value whatever the
//!   provider's spelling.
//! - Errors never contain a secret (token, key, password, signed URL).
//! - `monthly_cost` in records is left `None`: the caller fills it from the price catalog.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{
    AlarmSpec, CloudAlarm, FiringAlarm, MetricQuery, PlannedResource, Provider, ResourceKind,
    SeriesAnswer, TimeRange,
};

pub mod aws;
pub mod digitalocean;

pub use crate::model::{ResourceRecord, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE, TAG_PROJECT};

/// Whose resources a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    /// What rift made for this project (tagged with it).
    Project(&'a str),
    /// Everything in the account or region, whoever made it.
    Anyone,
}

impl Owner<'_> {
    /// Whether a record found by a listing that cannot filter by tag in the cloud belongs in it.
    pub fn owns(&self, record: &ResourceRecord) -> bool {
        match self {
            Owner::Project(project) => {
                record.managed_by_rift() && record.project() == Some(project)
            }
            Owner::Anyone => true,
        }
    }
}

impl fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Project(project) => write!(f, "project {project}'s resources"),
            Owner::Anyone => f.write_str("every resource in the account"),
        }
    }
}

/// What a cloud can do. Object-safe: the engine holds `Arc<dyn Cloud>`. One client serves one provider, one
/// region and one set of credentials (see [`CloudAccess`]).
#[async_trait::async_trait]
pub trait Cloud: Send + Sync + fmt::Debug {
    fn provider(&self) -> Provider;

    /// Creates the planned resource (with its companions, e.g. an AWS VPC's subnets and gateway), or returns the
    /// existing one if it was already created (see the module contract). Waits until it is usable or the
    /// implementation's deadline passes, reporting progress through `ctx.progress`.
    async fn create(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError>;

    /// The resource's current record; `CloudError::NotFound` when it does not exist.
    async fn get(&self, kind: ResourceKind, cloud_id: &str) -> Result<ResourceRecord, CloudError>;

    /// Every resource of the kinds rift maps in this client's region: those tagged with one project, or every
    /// one in the account whoever made it (for adoption).
    async fn list(&self, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError>;

    /// Changes the size (instance type / droplet size / class / node type) or, for volumes and databases,
    /// the storage. `CloudError::Unsupported` for kinds that cannot be resized.
    async fn resize(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        to: &NewSize,
        progress: &Progress,
    ) -> Result<ResourceRecord, CloudError>;

    /// Deletes the resource and the companions rift created with it (an AWS VPC's subnets, gateway and route
    /// tables, in order). A resource that is already gone is `AlreadyGone`, not an error.
    async fn delete(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        progress: &Progress,
    ) -> Result<DeleteOutcome, CloudError>;

    /// Whether these credentials may create the resource, asked without creating anything (AWS dry runs), for
    /// the preview step. Clouds without such a check say nothing.
    async fn check_permissions(&self, resource: &PlannedResource) -> Result<(), CloudError> {
        let _ = resource;
        Ok(())
    }

    /// One answer per query, in order: the points over the range, or why the cloud has none for it (a metric it
    /// does not publish, an agent that is not installed) — never zeros in their place. A failed call is an error.
    async fn metrics(
        &self,
        queries: &[MetricQuery],
        range: &TimeRange,
    ) -> Result<Vec<SeriesAnswer>, CloudError>;

    /// Creates (or updates: idempotent by the spec's name) the cloud's own alarms for one rule over resources of
    /// one kind in this region, tagged as rift's; answers the alarms it holds for it.
    async fn put_alarms(&self, spec: &AlarmSpec) -> Result<Vec<CloudAlarm>, CloudError> {
        Err(CloudError::Unsupported(format!(
            "{} alarms in this client ({})",
            self.provider(),
            spec.name
        )))
    }

    /// Deletes one alarm made by [`Cloud::put_alarms`]; one already gone is `AlreadyGone`.
    async fn delete_alarm(&self, cloud_id: &str) -> Result<DeleteOutcome, CloudError> {
        Err(CloudError::Unsupported(format!(
            "{} alarms in this client ({cloud_id})",
            self.provider()
        )))
    }

    /// The alarms whose names start with `prefix` that fire now; `None` for a cloud that keeps no firing state
    /// (DigitalOcean's policies only notify), whose rules rift evaluates against the metrics itself.
    async fn firing_alarms(&self, prefix: &str) -> Result<Option<Vec<FiringAlarm>>, CloudError> {
        let _ = prefix;
        Ok(None)
    }

    /// Reboots a server and waits until it runs again.
    async fn reboot(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        progress: &Progress,
    ) -> Result<(), CloudError> {
        let _ = progress;
        Err(CloudError::Unsupported(format!(
            "rebooting a {} {kind} ({cloud_id})",
            self.provider()
        )))
    }
}

/// Builds a [`Cloud`] client for one provider. Called at most once per distinct [`CloudAccess`] per process.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// Resolves credentials and builds the client. Fails with `CloudError::Credentials` naming the environment
    /// variables or profile to set when none are found.
    async fn connect(&self, access: &CloudAccess) -> Result<Arc<dyn Cloud>, CloudError>;
}

/// Which account, region and credentials a client uses. Credentials are references, never secrets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloudAccess {
    pub provider: Provider,
    pub region: String,
    /// AWS: the profile named in the project's `aws_config.credentials`; `None` uses the standard chain.
    pub aws_profile: Option<String>,
    /// DigitalOcean: where the project's token lives; `None` uses `DIGITALOCEAN_TOKEN` /
    /// `DIGITALOCEAN_ACCESS_TOKEN`.
    pub token: Option<TokenRef>,
}

/// Which variables a token reference may name, as error messages say it.
const TOKEN_NAMES: &str = "whose name starts with DIGITALOCEAN_ or RIFT_DO_TOKEN";

/// Where a secret lives. Only the reference is ever stored or shown; [`TokenRef::resolve`] reads the secret at
/// the moment a client needs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenRef {
    /// An environment variable of the rift process: written `env:NAME`.
    Env(String),
}

impl TokenRef {
    /// Parses `env:NAME`; the error says what a reference looks like and never repeats the text it was given
    /// (which may be the token itself). Only DigitalOcean token variables may be named (see
    /// [`TokenRef::allowed_name`]): a project must not be able to send another of rift's secrets, such as
    /// `RIFT_HTTP_TOKEN` or `AWS_SECRET_ACCESS_KEY`, to DigitalOcean as a bearer token.
    pub fn parse(text: &str) -> Result<TokenRef, String> {
        let Some(name) = text.strip_prefix("env:") else {
            return Err(format!(
                "this is not a token reference; write env:NAME to name the environment variable that holds the \
                 token ({TOKEN_NAMES}), e.g. env:DIGITALOCEAN_TOKEN"
            ));
        };
        let valid = !name.is_empty()
            && name.len() <= 128
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(format!(
                "this is not a token reference: after env: comes an environment variable name, letters, digits \
                 and underscores not starting with a digit ({TOKEN_NAMES}), e.g. env:DIGITALOCEAN_TOKEN"
            ));
        }
        if !Self::allowed_name(name) {
            return Err(format!(
                "this reference names a variable that may not hold a DigitalOcean token: a token reference names \
                 a variable {TOKEN_NAMES}, e.g. env:DIGITALOCEAN_TOKEN"
            ));
        }
        Ok(TokenRef::Env(name.to_string()))
    }

    /// Whether a token reference may name this environment variable: `DIGITALOCEAN_*` or `RIFT_DO_TOKEN*`.
    pub fn allowed_name(name: &str) -> bool {
        name.starts_with("DIGITALOCEAN_") || name.starts_with("RIFT_DO_TOKEN")
    }

    /// Reads the secret. The error names the variable, never a value.
    pub fn resolve(&self) -> Result<String, CloudError> {
        match self {
            // Also guards references built without `parse`.
            TokenRef::Env(name) if !Self::allowed_name(name) => {
                Err(CloudError::Credentials(format!(
                    "environment variable {name} may not hold a DigitalOcean token; name a variable {TOKEN_NAMES}"
                )))
            }
            TokenRef::Env(name) => match std::env::var(name) {
                Ok(value) if !value.trim().is_empty() => Ok(value),
                _ => Err(CloudError::Credentials(format!(
                    "environment variable {name} (named by the project's token reference) is not set in rift's \
                     environment"
                ))),
            },
        }
    }
}

impl fmt::Display for TokenRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenRef::Env(name) => write!(f, "env:{name}"),
        }
    }
}

/// What `create` knows besides the planned resource.
#[derive(Debug, Clone)]
pub struct CreateContext {
    pub project_id: String,
    /// The plan's deployment name (resource names already start with it).
    pub plan_name: String,
    /// Records of the resources this one depends on, by plan resource name (every name in
    /// `resource.depends_on` is present): e.g. a droplet's VPC uuid, an instance's subnet and security group ids
    /// (in the VPC record's `parts`), a load balancer's target instance ids.
    pub dependencies: BTreeMap<String, ResourceRecord>,
    /// Stable for this project + resource: the same value on every retry. Usable as an EC2 client token
    /// (≤ 64 ASCII characters).
    pub idempotency_key: String,
    pub progress: Progress,
}

impl CreateContext {
    /// The cloud id of a dependency, or an error naming it (the engine always provides them; this guards a
    /// plan whose spec names something outside `depends_on`).
    pub fn dependency(&self, name: &str) -> Result<&ResourceRecord, CloudError> {
        self.dependencies.get(name).ok_or_else(|| {
            CloudError::Invalid(format!(
                "\"{name}\" has not been created yet; it must be listed in depends_on"
            ))
        })
    }
}

/// What to resize to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewSize {
    /// A size slug of the mapping (already validated for the provider and kind).
    Slug(String),
    /// Storage in GB (volumes, database storage); only grows.
    StorageGb(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeleteOutcome {
    Deleted,
    AlreadyGone,
}

/// Where a long operation reports what it is waiting for (MCP progress notifications when the client asked
/// for them; nothing otherwise).
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<ProgressFn>>);

type ProgressFn = dyn Fn(&str) + Send + Sync;

impl Progress {
    pub fn none() -> Progress {
        Progress(None)
    }

    pub fn new(report: impl Fn(&str) + Send + Sync + 'static) -> Progress {
        Progress(Some(Arc::new(report)))
    }

    pub fn report(&self, message: &str) {
        if let Some(report) = &self.0 {
            report(message);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(on)"
        } else {
            "Progress(off)"
        })
    }
}

/// A cloud call that failed. Messages are shown to the agent: they say what happened and never carry a secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CloudError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("the cloud API refused the request: {code}: {message}{}", request_id_suffix(.request_id))]
    Api {
        code: String,
        message: String,
        request_id: Option<String>,
    },
    #[error("the cloud API is rate limiting rift; retry after {}", retry_after_text(*.retry_after_s))]
    Throttled { retry_after_s: Option<u64> },
    #[error("timed out after {after_s} s waiting for {what}")]
    Timeout { what: String, after_s: u64 },
    #[error("no usable credentials: {0}")]
    Credentials(String),
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("could not reach the cloud API: {0}")]
    Network(String),
}

impl CloudError {
    /// Whether the same call may succeed later without any change.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CloudError::Throttled { .. } | CloudError::Timeout { .. } | CloudError::Network(_)
        )
    }
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_ref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

fn retry_after_text(seconds: Option<u64>) -> String {
    seconds.map_or_else(|| "a short wait".to_string(), |s| format!("{s} s"))
}

/// The clients of this process: connectors per provider, and the clients they built, per access. Cheap to
/// clone; shared by every session.
#[derive(Clone, Default)]
pub struct Clouds {
    connectors: Arc<HashMap<Provider, Arc<dyn Connector>>>,
    clients: Arc<tokio::sync::Mutex<HashMap<CloudAccess, Arc<dyn Cloud>>>>,
}

impl fmt::Debug for Clouds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut providers: Vec<&Provider> = self.connectors.keys().collect();
        providers.sort();
        f.debug_struct("Clouds")
            .field("providers", &providers)
            .finish()
    }
}

impl Clouds {
    /// A registry with these connectors. Building it does no I/O.
    pub fn new(connectors: impl IntoIterator<Item = (Provider, Arc<dyn Connector>)>) -> Clouds {
        Clouds {
            connectors: Arc::new(connectors.into_iter().collect()),
            clients: Arc::default(),
        }
    }

    /// The AWS and DigitalOcean clients of this build. Builds nothing and reads no credentials until a client
    /// is needed.
    pub fn builtin() -> Clouds {
        let aws: Arc<dyn Connector> = Arc::new(aws::AwsConnector);
        let digitalocean: Arc<dyn Connector> = Arc::new(digitalocean::DigitalOceanConnector);
        Clouds::new([(Provider::Aws, aws), (Provider::Digitalocean, digitalocean)])
    }

    /// The client for this access, built on first use.
    pub async fn client(&self, access: &CloudAccess) -> Result<Arc<dyn Cloud>, CloudError> {
        let mut clients = self.clients.lock().await;
        if let Some(client) = clients.get(access) {
            return Ok(client.clone());
        }
        let Some(connector) = self.connectors.get(&access.provider) else {
            return Err(CloudError::Credentials(format!(
                "this rift build has no {} client; {}",
                access.provider,
                credentials_hint(access.provider)
            )));
        };
        let client: Arc<dyn Cloud> = match connector.connect(access).await {
            Ok(inner) => Arc::new(Logged { inner }),
            Err(e) => {
                tracing::warn!(
                    "could not connect to {} ({}): {e}",
                    access.provider,
                    access.region
                );
                return Err(e);
            }
        };
        clients.insert(access.clone(), client.clone());
        Ok(client)
    }
}

/// A client whose every failed call is logged at WARN, naming the provider and the operation, so an operator
/// sees cloud failures as they happen whatever a tool makes of them. A resource found missing is the answer to
/// a lookup, not a failure, and is logged at debug. Error texts hold no secrets (see the module contract), and
/// the log redacts anything that looks like one.
#[derive(Debug)]
struct Logged {
    inner: Arc<dyn Cloud>,
}

impl Logged {
    fn logged<T>(
        &self,
        result: Result<T, CloudError>,
        what: impl FnOnce() -> String,
    ) -> Result<T, CloudError> {
        match &result {
            Err(e @ CloudError::NotFound(_)) => {
                tracing::debug!("{} {}: {e}", self.inner.provider(), what());
            }
            Err(e) => tracing::warn!("{} {} failed: {e}", self.inner.provider(), what()),
            Ok(_) => {}
        }
        result
    }
}

#[async_trait::async_trait]
impl Cloud for Logged {
    fn provider(&self) -> Provider {
        self.inner.provider()
    }

    async fn create(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let result = self.inner.create(ctx, resource).await;
        self.logged(result, || {
            format!("create of {} {}", resource.kind, resource.name)
        })
    }

    async fn get(&self, kind: ResourceKind, cloud_id: &str) -> Result<ResourceRecord, CloudError> {
        let result = self.inner.get(kind, cloud_id).await;
        self.logged(result, || format!("lookup of {kind} {cloud_id}"))
    }

    async fn list(&self, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
        let result = self.inner.list(owner).await;
        self.logged(result, || format!("listing of {owner}"))
    }

    async fn resize(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        to: &NewSize,
        progress: &Progress,
    ) -> Result<ResourceRecord, CloudError> {
        let result = self.inner.resize(kind, cloud_id, to, progress).await;
        self.logged(result, || format!("resize of {kind} {cloud_id}"))
    }

    async fn delete(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        progress: &Progress,
    ) -> Result<DeleteOutcome, CloudError> {
        let result = self.inner.delete(kind, cloud_id, progress).await;
        self.logged(result, || format!("delete of {kind} {cloud_id}"))
    }

    async fn check_permissions(&self, resource: &PlannedResource) -> Result<(), CloudError> {
        let result = self.inner.check_permissions(resource).await;
        self.logged(result, || {
            format!("permission check for {} {}", resource.kind, resource.name)
        })
    }
    async fn metrics(
        &self,
        queries: &[MetricQuery],
        range: &TimeRange,
    ) -> Result<Vec<SeriesAnswer>, CloudError> {
        let result = self.inner.metrics(queries, range).await;
        self.logged(result, || {
            format!("metrics read of {} series", queries.len())
        })
    }

    async fn put_alarms(&self, spec: &AlarmSpec) -> Result<Vec<CloudAlarm>, CloudError> {
        let result = self.inner.put_alarms(spec).await;
        self.logged(result, || format!("alarm {}", spec.name))
    }

    async fn delete_alarm(&self, cloud_id: &str) -> Result<DeleteOutcome, CloudError> {
        let result = self.inner.delete_alarm(cloud_id).await;
        self.logged(result, || format!("delete of alarm {cloud_id}"))
    }

    async fn firing_alarms(&self, prefix: &str) -> Result<Option<Vec<FiringAlarm>>, CloudError> {
        let result = self.inner.firing_alarms(prefix).await;
        self.logged(result, || format!("firing alarms {prefix}*"))
    }

    async fn reboot(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        progress: &Progress,
    ) -> Result<(), CloudError> {
        let result = self.inner.reboot(kind, cloud_id, progress).await;
        self.logged(result, || format!("reboot of {kind} {cloud_id}"))
    }
}

/// Timeouts of every AWS SDK client rift builds (AWS itself and the S3-compatible Spaces): a cloud that accepts
/// the connection and then never answers fails the call instead of hanging the tool.
pub fn sdk_timeouts() -> aws_smithy_types::timeout::TimeoutConfig {
    aws_smithy_types::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .operation_timeout(std::time::Duration::from_secs(120))
        .build()
}

/// Bounds a marker-paginated listing: a cloud (or an emulator) that returns a marker it already returned, or
/// keeps returning new ones, would otherwise keep a `list` looping forever. Stopping is an error rather than a
/// short list, because a short list would make a refresh take listed-but-missing resources for gone ones.
#[derive(Debug)]
pub struct Pages {
    what: &'static str,
    read: usize,
    seen: std::collections::HashSet<String>,
}

impl Pages {
    /// At most this many pages (100 × the page size: tens of thousands of resources).
    pub const MAX: usize = 100;

    /// A listing through `what` (e.g. "rds:DescribeDBInstances"), named in the error.
    pub fn new(what: &'static str) -> Pages {
        Pages {
            what,
            read: 0,
            seen: std::collections::HashSet::new(),
        }
    }

    /// Called after each page with the marker it returned: the marker for the next page, `None` when the
    /// listing is complete, or an error when the cloud repeats a marker or the listing passes [`Pages::MAX`].
    pub fn next(&mut self, marker: Option<&str>) -> Result<Option<String>, CloudError> {
        self.read += 1;
        let Some(marker) = marker.filter(|m| !m.is_empty()) else {
            return Ok(None);
        };
        let problem = if !self.seen.insert(marker.to_string()) {
            "returned a page marker it had already returned".to_string()
        } else if self.read >= Self::MAX {
            format!("has more than {} pages", Self::MAX)
        } else {
            return Ok(Some(marker.to_string()));
        };
        tracing::warn!(
            "stopped listing through {} after {} pages: it {problem}",
            self.what,
            self.read
        );
        Err(CloudError::Api {
            code: "PaginationStopped".to_string(),
            message: format!(
                "{} {problem}; rift stopped listing after {} pages",
                self.what, self.read
            ),
            request_id: None,
        })
    }
}

/// Whether the provider's own alarms can watch this metric of this kind, or why not.
pub fn alarm_support(
    provider: Provider,
    kind: ResourceKind,
    metric: crate::model::Metric,
) -> Result<(), String> {
    match provider {
        Provider::Aws => aws::alarms::supported(kind, metric),
        Provider::Digitalocean => digitalocean::alerts::policy_type(kind, metric)
            .map(|_| ())
            .ok_or_else(|| {
                format!("DigitalOcean has no alert policy type for {metric} of a {kind}")
            }),
    }
}

/// How a user gives rift credentials for a provider.
pub fn credentials_hint(provider: Provider) -> &'static str {
    match provider {
        Provider::Digitalocean => {
            "set DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN) in rift's environment, or give the project a \
             do_config.token reference such as env:DIGITALOCEAN_TOKEN_SHOP"
        }
        Provider::Aws => {
            "configure the AWS credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO or an \
             instance role), or name a profile in the project's aws_config.credentials"
        }
    }
}

#[cfg(test)]
pub mod memory;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_references_name_only_digitalocean_variables() {
        for ok in [
            "env:DIGITALOCEAN_TOKEN",
            "env:DIGITALOCEAN_ACCESS_TOKEN",
            "env:DIGITALOCEAN_TOKEN_SHOP",
            "env:RIFT_DO_TOKEN",
            "env:RIFT_DO_TOKEN_BLOG",
        ] {
            assert_eq!(
                TokenRef::parse(ok).map(|r| r.to_string()),
                Ok(ok.to_string())
            );
        }
        for other in [
            "env:RIFT_HTTP_TOKEN",
            "env:AWS_SECRET_ACCESS_KEY",
            "env:SPACES_SECRET_ACCESS_KEY",
            "env:HOME",
            "env:MY_DO_TOKEN",
            "env:digitalocean_token",
        ] {
            let err = TokenRef::parse(other).unwrap_err();
            let name = other.trim_start_matches("env:");
            assert!(
                err.contains("DIGITALOCEAN_")
                    && err.contains("RIFT_DO_TOKEN")
                    && !err.contains(name),
                "{other}: {err}"
            );
        }
        // Built without parse, a reference to another variable is still never read.
        let err = TokenRef::Env("RIFT_HTTP_TOKEN".into())
            .resolve()
            .unwrap_err();
        assert!(
            matches!(&err, CloudError::Credentials(m) if m.contains("DIGITALOCEAN_")),
            "{err}"
        );
    }

    #[test]
    fn rejected_token_references_never_repeat_the_value() {
        let token = "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        for text in [
            token.to_string(),
            format!("env:{token}"),
            "hunter2-not-recognised".to_string(),
            "env:hunter2-not-recognised".to_string(),
            "env:Zk3bQ9xLr2Vt8Yw1Hn4Jc6Ps0Dm5Gf7KaEuIo2Ls9".to_string(),
            "env:".to_string(),
        ] {
            let err = TokenRef::parse(&text).unwrap_err();
            assert!(
                !err.contains("hunter2")
                    && !err.contains("0123456789abcdef")
                    && !err.contains("Zk3bQ9"),
                "{err}"
            );
            assert!(err.contains("env:DIGITALOCEAN_TOKEN"), "{err}");
        }
    }

    #[test]
    fn pagination_stops_on_a_repeated_marker_or_too_many_pages() {
        let mut pages = Pages::new("test:List");
        assert_eq!(pages.next(Some("a")).unwrap(), Some("a".to_string()));
        assert_eq!(pages.next(Some("b")).unwrap(), Some("b".to_string()));
        let err = pages.next(Some("a")).unwrap_err().to_string();
        assert!(
            err.contains("test:List") && err.contains("already"),
            "{err}"
        );

        let mut pages = Pages::new("test:List");
        assert_eq!(pages.next(Some("")).unwrap(), None);

        let mut pages = Pages::new("test:List");
        for i in 1..Pages::MAX {
            assert_eq!(
                pages.next(Some(&i.to_string())).unwrap(),
                Some(i.to_string())
            );
        }
        let err = pages.next(Some("last")).unwrap_err().to_string();
        assert!(err.contains("100 pages"), "{err}");
        // The 100th page ending the listing is fine.
        let mut pages = Pages::new("test:List");
        for i in 1..Pages::MAX {
            pages.next(Some(&i.to_string())).unwrap();
        }
        assert_eq!(pages.next(None).unwrap(), None);
    }
}
