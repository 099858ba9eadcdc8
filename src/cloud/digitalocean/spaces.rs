//! Spaces buckets through the S3-compatible API (API v2 has no bucket endpoints): aws-sdk-s3 against
//! `https://<region>.digitaloceanspaces.com` (or `SPACES_ENDPOINT_URL`) with Spaces keys from the environment.

use std::fmt;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::operation::RequestId;
use aws_sdk_s3::types::BucketCannedAcl;

use crate::cloud::CloudError;

/// The variables Terraform's DigitalOcean provider reads for Spaces keys.
pub const KEY_VARIABLES: [&str; 2] = ["SPACES_ACCESS_KEY_ID", "SPACES_SECRET_ACCESS_KEY"];

/// A Spaces (S3) client for one region.
#[derive(Clone)]
pub struct Spaces {
    s3: aws_sdk_s3::Client,
    endpoint: String,
}

impl fmt::Debug for Spaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spaces")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Whether a bucket exists for rift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketState {
    /// It exists and these keys own it.
    Owned,
    Missing,
}

impl Spaces {
    /// Endpoint from `SPACES_ENDPOINT_URL` or the region's, keys from `SPACES_ACCESS_KEY_ID` /
    /// `SPACES_SECRET_ACCESS_KEY`.
    pub fn from_env(region: &str) -> Result<Spaces, CloudError> {
        let endpoint = std::env::var("SPACES_ENDPOINT_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("https://{region}.digitaloceanspaces.com"));
        let [id, secret] =
            KEY_VARIABLES.map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()));
        let (Some(id), Some(secret)) = (id, secret) else {
            return Err(CloudError::Credentials(
                "Spaces buckets need SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY in rift's environment \
                 (a Spaces access key from the control panel or POST /v2/spaces/keys)"
                    .into(),
            ));
        };
        Ok(Spaces::new(
            &endpoint,
            Credentials::new(id, secret, None, None, "spaces-environment"),
        ))
    }

    pub fn new(endpoint: &str, credentials: Credentials) -> Spaces {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            // The endpoint picks the Spaces region; the signature's region is the one DigitalOcean documents
            // for S3 SDKs, which also keeps S3 emulators from asking for a location constraint.
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            // Path style works for every bucket name (dots included) and against IP endpoints.
            .force_path_style(true)
            .credentials_provider(credentials)
            // The same timeouts as rift's AWS clients: an endpoint that stops answering fails the call.
            .timeout_config(crate::cloud::sdk_timeouts())
            .build();
        Spaces {
            s3: aws_sdk_s3::Client::from_conf(config),
            endpoint: endpoint.to_string(),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub async fn bucket_state(&self, name: &str) -> Result<BucketState, CloudError> {
        match self.s3.head_bucket().bucket(name).send().await {
            Ok(_) => Ok(BucketState::Owned),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
                Ok(BucketState::Missing)
            }
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                Ok(BucketState::Missing)
            }
            Err(e) => Err(s3_error("HeadBucket", name, &e)),
        }
    }

    /// The buckets these keys own in this region's endpoint.
    pub async fn list_buckets(&self) -> Result<Vec<String>, CloudError> {
        let out = self
            .s3
            .list_buckets()
            .send()
            .await
            .map_err(|e| s3_error("ListBuckets", "(all)", &e))?;
        Ok(out
            .buckets()
            .iter()
            .filter_map(|b| b.name())
            .map(str::to_string)
            .collect())
    }

    /// Creates a private bucket; one these keys already own counts as created.
    pub async fn create_bucket(&self, name: &str) -> Result<(), CloudError> {
        let result = self
            .s3
            .create_bucket()
            .bucket(name)
            .acl(BucketCannedAcl::Private)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_bucket_already_owned_by_you()) =>
            {
                Ok(())
            }
            Err(e) => Err(s3_error("CreateBucket", name, &e)),
        }
    }

    /// Deletes an empty bucket; `Ok(false)` when there was none.
    pub async fn delete_bucket(&self, name: &str) -> Result<bool, CloudError> {
        match self.s3.delete_bucket().bucket(name).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("NoSuchBucket") => Ok(false),
            Err(e) => Err(s3_error("DeleteBucket", name, &e)),
        }
    }
}

fn s3_error<E>(operation: &str, bucket: &str, error: &aws_sdk_s3::error::SdkError<E>) -> CloudError
where
    E: ProvideErrorMetadata + RequestId + std::error::Error + 'static,
{
    match error.code() {
        Some(code) => CloudError::Api {
            code: code.to_string(),
            message: format!(
                "Spaces {operation} of bucket {bucket}: {}",
                error.message().unwrap_or("no message")
            ),
            request_id: error.request_id().map(str::to_string),
        },
        None => CloudError::Network(format!(
            "Spaces {operation} of bucket {bucket}: {}",
            DisplayErrorContext(error)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client carries rift's timeouts, and they are usable (the SDK has a sleep implementation for them,
    /// without which the first request would fail with a configuration error).
    #[tokio::test]
    async fn the_client_has_rift_timeouts() {
        let spaces = Spaces::new(
            "http://127.0.0.1:1",
            Credentials::new("id", "secret", None, None, "test"),
        );
        let timeouts = spaces.s3.config().timeout_config().cloned();
        assert_eq!(timeouts, Some(crate::cloud::sdk_timeouts()));
        let err = spaces.bucket_state("rift-test").await.unwrap_err();
        assert!(!err.to_string().to_lowercase().contains("sleep"), "{err}");
    }
}
