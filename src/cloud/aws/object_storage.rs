//! S3 buckets: private (every public access path blocked) and encrypted by default (SSE-S3).

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging,
};

use super::{AwsClients, Tags, code, not_found_as, record, sdk_error};
use crate::cloud::{CloudError, Owner, ResourceRecord};
use crate::model::ResourceKind;

const NOT_FOUND: &[&str] = &["NoSuchBucket", "NotFound"];
/// Bucket names: at most 63 characters, and unique across all of AWS.
pub const NAME_MAX: usize = crate::mapping::naming::S3_BUCKET_MAX;

/// Creates the bucket (or finds the one a previous call created) and applies the public access block, default
/// encryption and tags (each idempotent, so a retry completes an interrupted create).
pub async fn create(c: &AwsClients, tags: &Tags) -> Result<ResourceRecord, CloudError> {
    let bucket = tags.identifier(NAME_MAX);
    let mut request = c.s3.create_bucket().bucket(&bucket);
    // us-east-1 is S3's default location and must not be named.
    if c.region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(c.region.as_str()))
                .build(),
        );
    }
    match request
        .send()
        .await
        .map_err(|e| sdk_error("s3:CreateBucket", e))
    {
        Err(e) if code(&e) == Some("BucketAlreadyOwnedByYou") => {}
        Err(e) if code(&e) == Some("BucketAlreadyExists") => {
            return Err(CloudError::Invalid(format!(
                "the S3 bucket name {bucket} belongs to another AWS account; rename the resource"
            )));
        }
        other => {
            other?;
        }
    }
    c.s3.put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_error("s3:PutPublicAccessBlock", e))?;
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .map_err(|e| CloudError::Invalid(format!("S3 encryption settings: {e}")))?;
    let encryption = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(by_default)
                .build(),
        )
        .build()
        .map_err(|e| CloudError::Invalid(format!("S3 encryption settings: {e}")))?;
    c.s3.put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(encryption)
        .send()
        .await
        .map_err(|e| sdk_error("s3:PutBucketEncryption", e))?;
    let tag_set = tags
        .pairs()
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CloudError::Invalid(format!("S3 tags: {e}")))?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(|e| CloudError::Invalid(format!("S3 tags: {e}")))?;
    c.s3.put_bucket_tagging()
        .bucket(&bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| sdk_error("s3:PutBucketTagging", e))?;
    get(c, &bucket).await
}

pub async fn get(c: &AwsClients, bucket: &str) -> Result<ResourceRecord, CloudError> {
    not_found_as(
        c.s3.head_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sdk_error("s3:HeadBucket", e)),
        NOT_FOUND,
        ResourceKind::ObjectStorage,
        bucket,
    )?;
    let tags = tags_of(c, bucket).await?;
    let mut record = record(
        ResourceKind::ObjectStorage,
        bucket,
        &c.region,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    // A bucket that answers is usable; S3 has no provisioning state.
    record.state = "available".into();
    record.endpoints = vec![
        format!("s3://{bucket}"),
        format!("https://{bucket}.s3.{}.amazonaws.com", c.region),
    ];
    let blocked =
        c.s3.get_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sdk_error("s3:GetPublicAccessBlock", e));
    let all_blocked = match blocked {
        Ok(out) => out.public_access_block_configuration().is_some_and(|p| {
            [
                p.block_public_acls(),
                p.ignore_public_acls(),
                p.block_public_policy(),
                p.restrict_public_buckets(),
            ]
            .iter()
            .all(|b| *b == Some(true))
        }),
        Err(e) if code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => false,
        Err(e) => return Err(e),
    };
    record
        .parts
        .insert("public_access_blocked".into(), all_blocked.to_string());
    let encryption =
        c.s3.get_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sdk_error("s3:GetBucketEncryption", e));
    let algorithm = match encryption {
        Ok(out) => out
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_string())
            .unwrap_or_default(),
        Err(e) if code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => {
            String::new()
        }
        Err(e) => return Err(e),
    };
    record.parts.insert("encryption".into(), algorithm);
    Ok(record)
}

/// The buckets rift created for a project in this client's region.
pub async fn list(c: &AwsClients, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
    let out =
        c.s3.list_buckets()
            .bucket_region(&c.region)
            .send()
            .await
            .map_err(|e| sdk_error("s3:ListBuckets", e))?;
    let mut found = Vec::new();
    for bucket in out.buckets().iter().filter_map(|b| b.name()) {
        // Buckets of other regions (where the filter is not applied) or without tags are not rift's here.
        let Ok(tags) = tags_of(c, bucket).await else {
            continue;
        };
        let owned = match owner {
            Owner::Project(project) => {
                tags.get(super::TAG_PROJECT).map(String::as_str) == Some(project)
                    && tags.get(super::TAG_MANAGED_BY).map(String::as_str)
                        == Some(super::TAG_MANAGED_BY_VALUE)
            }
            Owner::Anyone => true,
        };
        if owned {
            found.push(get(c, bucket).await?);
        }
    }
    Ok(found)
}

/// Deletes the bucket. A bucket that still holds objects is refused by S3 (`BucketNotEmpty`): rift does not
/// delete data it did not put there.
pub async fn delete(c: &AwsClients, bucket: &str) -> Result<(), CloudError> {
    not_found_as(
        c.s3.delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sdk_error("s3:DeleteBucket", e)),
        NOT_FOUND,
        ResourceKind::ObjectStorage,
        bucket,
    )?;
    Ok(())
}

async fn tags_of(c: &AwsClients, bucket: &str) -> Result<BTreeMap<String, String>, CloudError> {
    let out =
        c.s3.get_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sdk_error("s3:GetBucketTagging", e));
    match out {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if code(&e) == Some("NoSuchTagSet") => Ok(BTreeMap::new()),
        Err(e) => not_found_as(Err(e), NOT_FOUND, ResourceKind::ObjectStorage, bucket),
    }
}
