//! AWS through the official SDK for Rust: configuration and the clients (this file), one file per service.
//!
//! Every function takes plain inputs (ids already resolved) and returns a [`ResourceRecord`]; the cloud trait
//! implementation on top resolves plan names to cloud ids. Creates are idempotent: each looks up what rift already
//! made (by tags or by a deterministic identifier) before creating, so a retry never makes a second resource.

pub mod alarms;
pub mod cache;
mod cloud;
pub mod compute;
pub mod database;
pub mod firewall;
pub mod load_balancer;
pub mod metrics;
pub mod network;
pub mod object_storage;
pub mod permissions;
pub mod storage;

pub use cloud::{AwsCloud, AwsConnector};

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::ProvideCredentials;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

use super::{
    CloudError, Owner, Progress, ResourceRecord, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE, TAG_PROJECT,
};
use crate::model::{Provider, ResourceKind};

/// Where and as whom rift talks to AWS. Credentials always come from the standard chain (environment,
/// `AWS_PROFILE` or the named profile, SSO, instance role); rift never holds a secret key itself. The endpoint is
/// the chain's too: `AWS_ENDPOINT_URL` (or a profile's `endpoint_url`) points every service at an emulator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Region code, e.g. "us-east-1"; `None` takes the chain's region (`AWS_REGION`, the profile).
    pub region: Option<String>,
    /// A profile name from ~/.aws/config (the project's `aws_config.credentials`).
    pub profile: Option<String>,
}

/// The service clients for one region.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub region: String,
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub s3: aws_sdk_s3::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl AwsClients {
    /// Loads the standard configuration chain with rift's settings and checks that it yields credentials (which
    /// reads the environment or a profile, or asks SSO or the instance role; nothing else is contacted). Called
    /// the first time a tool needs AWS, never at start-up.
    pub async fn load(settings: &AwsSettings) -> Result<Self, CloudError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            // Throttling and transient errors are retried with exponential backoff and jitter.
            .retry_config(RetryConfig::standard().with_max_attempts(5))
            .timeout_config(crate::cloud::sdk_timeouts());
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        let sdk = loader.load().await;
        let hint = super::credentials_hint(Provider::Aws);
        let provider = sdk.credentials_provider().ok_or_else(|| {
            CloudError::Credentials(format!("no AWS credential provider; {hint}"))
        })?;
        // The chain's error says which sources it tried; it never contains a key.
        provider.provide_credentials().await.map_err(|e| {
            let profile = settings
                .profile
                .as_deref()
                .map(|p| format!(" (profile {p})"))
                .unwrap_or_default();
            CloudError::Credentials(format!("AWS credentials not found{profile}: {e}; {hint}"))
        })?;
        Self::from_sdk_config(&sdk)
    }

    /// Clients from an already loaded configuration.
    pub fn from_sdk_config(sdk: &SdkConfig) -> Result<Self, CloudError> {
        let region = sdk
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or_else(|| {
                CloudError::Invalid(
                    "no AWS region: set the project's aws_config.region, AWS_REGION or a profile region".into(),
                )
            })?;
        // Custom endpoints (emulators, S3-compatible stores) are addressed by IP or a plain host name, where
        // virtual-hosted bucket addressing cannot work.
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        Ok(Self {
            region,
            ec2: aws_sdk_ec2::Client::from_conf(
                aws_sdk_ec2::config::Builder::from(sdk)
                    .retry_classifier(UnreachableIsFinal)
                    .build(),
            ),
            rds: aws_sdk_rds::Client::from_conf(
                aws_sdk_rds::config::Builder::from(sdk)
                    .retry_classifier(UnreachableIsFinal)
                    .build(),
            ),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(
                aws_sdk_elasticloadbalancingv2::config::Builder::from(sdk)
                    .retry_classifier(UnreachableIsFinal)
                    .build(),
            ),
            elasticache: aws_sdk_elasticache::Client::from_conf(
                aws_sdk_elasticache::config::Builder::from(sdk)
                    .retry_classifier(UnreachableIsFinal)
                    .build(),
            ),
            s3: aws_sdk_s3::Client::from_conf(
                s3.to_builder().retry_classifier(UnreachableIsFinal).build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(sdk)
                    .retry_classifier(UnreachableIsFinal)
                    .build(),
            ),
        })
    }
}

/// The SDK retries a connection failure as transient, up to 5 attempts with backoff (about 15 s before a call
/// fails). A connection that could not be made at all (refused: nothing listens at the endpoint, or the name
/// does not resolve) will not be made on the next attempt either, so it fails the call at once. Every attempt
/// that failed in transport, retried or not, is logged at WARN with its error.
#[derive(Debug)]
pub(crate) struct UnreachableIsFinal;

impl ClassifyRetry for UnreachableIsFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let Some(connector) = error.as_connector_error() else {
            return RetryAction::NoActionIndicated;
        };
        let reason = messages(connector);
        if connector.is_io() && !connector.is_timeout() && unreachable(connector) {
            tracing::warn!(
                "AWS request failed: {reason}; not retried (nothing answers at the endpoint)"
            );
            return RetryAction::RetryForbidden;
        }
        tracing::warn!(
            "AWS request attempt failed: {reason}; the SDK retries it while attempts remain"
        );
        RetryAction::NoActionIndicated
    }

    fn name(&self) -> &'static str {
        "rift: an unreachable endpoint is final"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Whether an error's chain holds a refused connection or a failed name lookup.
fn unreachable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::HostUnreachable
            )
        {
            return true;
        }
        if e.to_string().contains("dns error") {
            return true;
        }
        current = e.source();
    }
    false
}

/// Maps an SDK error to AWS's code and message (EC2's errors are mostly unmodeled, so the code is what to match
/// on). The operation is named so the agent knows which step failed; throttling that outlasted the SDK's retries
/// and transport failures keep their own variants so the engine can tell transient from permanent. Only the
/// errors' messages are kept: the SDK's debug form would add the whole raw response.
pub(crate) fn sdk_error<E>(operation: &'static str, err: SdkError<E>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err.code() {
        Some(code) if THROTTLING.contains(&code) => CloudError::Throttled {
            retry_after_s: None,
        },
        Some(code) => CloudError::Api {
            code: code.to_string(),
            message: format!("{} ({operation})", err.message().unwrap_or_default()),
            request_id: err.meta().extra("aws_request_id").map(str::to_string),
        },
        None => match &err {
            SdkError::ServiceError(service) => CloudError::Network(format!(
                "{operation}: HTTP {} without an AWS error code ({})",
                service.raw().status().as_u16(),
                messages(&err)
            )),
            _ => CloudError::Network(format!("{operation}: {}", messages(&err))),
        },
    }
}

/// An error and its sources' messages, e.g. "dispatch failure: io error: connection refused".
fn messages(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];

/// The AWS error code of an API error.
pub(crate) fn code(err: &CloudError) -> Option<&str> {
    match err {
        CloudError::Api { code, .. } => Some(code),
        _ => None,
    }
}

pub(crate) fn not_found(kind: ResourceKind, id: &str) -> CloudError {
    CloudError::NotFound(format!("AWS {kind} {id}"))
}

/// The result of a call whose "does not exist" error codes mean the resource is gone.
pub(crate) fn not_found_as<T>(
    result: Result<T, CloudError>,
    codes: &[&str],
    kind: ResourceKind,
    id: &str,
) -> Result<T, CloudError> {
    result.map_err(|e| match code(&e) {
        Some(c) if codes.contains(&c) => not_found(kind, id),
        _ => e,
    })
}

/// An answer that lacks a field AWS always sends.
pub(crate) fn missing(operation: &str, field: &str) -> CloudError {
    CloudError::Invalid(format!("AWS {operation} answered without a {field}"))
}

pub const TAG_NAME: &str = "Name";

/// The tags every resource rift creates carries: who manages it, which project owns it, and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags {
    pub project: String,
    pub name: String,
}

impl Tags {
    pub fn new(project: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            project: project.into(),
            name: name.into(),
        }
    }

    pub fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            (TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE),
            (TAG_PROJECT, &self.project),
            (TAG_NAME, &self.name),
        ]
    }

    /// The same project and tags for a part of this resource (a subnet, a target group).
    pub fn part(&self, suffix: &str) -> Tags {
        Tags::new(self.project.clone(), format!("{}-{suffix}", self.name))
    }

    /// This resource's name where AWS names are global (see [`crate::mapping::naming`]).
    pub fn identifier(&self, max: usize) -> String {
        crate::mapping::naming::aws_identifier(&self.project, &self.name, max)
    }
}

/// EC2 tags for a new resource (EC2 tags on create, so nothing untagged ever exists).
pub(crate) fn ec2_tag_spec(
    resource: aws_sdk_ec2::types::ResourceType,
    tags: &Tags,
    extra: &[(&str, &str)],
) -> aws_sdk_ec2::types::TagSpecification {
    let all = tags.pairs().into_iter().chain(extra.iter().copied());
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(resource)
        .set_tags(Some(
            all.map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .build()
}

pub(crate) fn ec2_filter(name: &str, value: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name(name)
        .values(value)
        .build()
}

/// Matches what rift created (any project).
pub(crate) fn ec2_rift_owned() -> aws_sdk_ec2::types::Filter {
    ec2_filter(&format!("tag:{TAG_MANAGED_BY}"), TAG_MANAGED_BY_VALUE)
}

/// The EC2 filters of a listing: what rift made for the project, or (for anyone) none.
pub(crate) fn ec2_listing(owner: Owner<'_>) -> Vec<aws_sdk_ec2::types::Filter> {
    match owner {
        Owner::Project(project) => ec2_owned(project, None),
        Owner::Anyone => Vec::new(),
    }
}

/// Filters matching what rift created for a project (and, with a name, that one resource).
pub(crate) fn ec2_owned(project: &str, name: Option<&str>) -> Vec<aws_sdk_ec2::types::Filter> {
    let mut filters = vec![
        ec2_rift_owned(),
        ec2_filter(&format!("tag:{TAG_PROJECT}"), project),
    ];
    if let Some(name) = name {
        filters.push(ec2_filter(&format!("tag:{TAG_NAME}"), name));
    }
    filters
}

pub(crate) fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
}

/// A record of an AWS resource; its name is its `Name` tag.
pub(crate) fn record<'a>(
    kind: ResourceKind,
    id: impl Into<String>,
    region: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> ResourceRecord {
    let tags: BTreeMap<String, String> = tags
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ResourceRecord {
        kind,
        provider: Provider::Aws,
        cloud_id: id.into(),
        name: tags.get(TAG_NAME).cloned().unwrap_or_default(),
        region: region.to_string(),
        size: None,
        state: String::new(),
        endpoints: Vec::new(),
        tags,
        parts: BTreeMap::new(),
        monthly_cost: None,
    }
}

/// Polls `check` until it yields a value or `deadline` passes; every waiter in rift has a deadline.
pub(crate) async fn wait_for<T, F, Fut>(
    what: &str,
    deadline: Duration,
    progress: &Progress,
    mut check: F,
) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, CloudError>>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        if let Some(done) = check().await? {
            return Ok(done);
        }
        let waited = start.elapsed();
        if waited >= deadline {
            return Err(CloudError::Timeout {
                what: what.to_string(),
                after_s: deadline.as_secs(),
            });
        }
        progress.report(&format!("waiting for {what} ({} s)", waited.as_secs()));
        tokio::time::sleep(pause.min(deadline - waited)).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test]
    async fn waiting_reports_progress_and_gives_up_at_the_deadline() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let progress = Progress::new(move |m| sink.lock().unwrap().push(m.to_string()));
        let result: Result<(), CloudError> = wait_for(
            "the thing",
            Duration::from_millis(300),
            &progress,
            || async { Ok(None) },
        )
        .await;
        assert_eq!(
            result,
            Err(CloudError::Timeout {
                what: "the thing".into(),
                after_s: 0
            })
        );
        let first = seen.lock().unwrap().first().cloned().unwrap_or_default();
        assert!(first.starts_with("waiting for the thing"), "{first}");
        let mut polls = 0;
        let done = wait_for("it", Duration::from_secs(5), &Progress::none(), || {
            polls += 1;
            let ready = polls == 2;
            async move { Ok(ready.then_some(7)) }
        })
        .await;
        assert_eq!(done, Ok(7));
    }

    #[test]
    fn identifiers_are_stable_short_and_per_project() {
        let a = Tags::new("proj-1", "shop-db").identifier(63);
        assert_eq!(a, Tags::new("proj-1", "shop-db").identifier(63));
        assert_ne!(a, Tags::new("proj-2", "shop-db").identifier(63));
        assert!(a.starts_with("shop-db-"), "{a}");
        let long = Tags::new("p", "a-very-long-load-balancer-name-for-the-shop").identifier(32);
        assert!(long.len() <= 32 && !long.contains("--"), "{long}");
        let digit = Tags::new("p", "9lives").identifier(40);
        assert!(digit.starts_with('r'), "{digit}");
    }
}
