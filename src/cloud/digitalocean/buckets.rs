//! Spaces buckets as rift provisions them: private, named after the resource (Spaces buckets take no tags).

use std::collections::BTreeMap;

use super::account::{DigitalOcean, base_tags, record, tag_map};
use super::spaces::BucketState;
use crate::cloud::{CloudError, CreateContext, ResourceRecord};
use crate::model::{PlannedResource, ResourceKind};

impl DigitalOcean {
    /// A private bucket named after the resource (Spaces buckets take no tags).
    pub(super) async fn create_bucket_for(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let spaces = self.spaces().await?;
        let tags = tag_map(&base_tags(&ctx.project_id));
        if spaces.bucket_state(&resource.name).await? == BucketState::Owned {
            ctx.progress
                .report(&format!("bucket {} already exists", resource.name));
        } else {
            ctx.progress
                .report(&format!("creating bucket {}", resource.name));
            spaces.create_bucket(&resource.name).await?;
        }
        self.get_bucket(&resource.name, tags).await
    }

    pub(super) async fn get_bucket(
        &self,
        name: &str,
        tags: BTreeMap<String, String>,
    ) -> Result<ResourceRecord, CloudError> {
        let spaces = self.spaces().await?;
        match spaces.bucket_state(name).await? {
            BucketState::Missing => Err(CloudError::NotFound(format!("Spaces bucket {name}"))),
            BucketState::Owned => Ok(ResourceRecord {
                state: "available".into(),
                endpoints: vec![format!(
                    "{}/{name}",
                    spaces.endpoint().trim_end_matches('/')
                )],
                tags,
                ..record(ResourceKind::ObjectStorage, name, name, &self.region)
            }),
        }
    }
}
