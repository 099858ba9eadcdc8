//! Block storage volumes: create, get, list, delete, and the attach / detach / resize actions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::account::{
    DigitalOcean, base_tags, deleted, droplet_id, project_tag, record, settled, tag_map,
};
use super::actions::{Action, ActionEnvelope};
use super::client::{Client, DoError};
use super::droplets::RegionRef;
use crate::cloud::{CloudError, CreateContext, DeleteOutcome, Progress, ResourceRecord};
use crate::model::{PlannedResource, ResourceKind, ResourceSpec};

/// `POST /v2/volumes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeCreate {
    pub name: String,
    pub region: String,
    pub size_gigabytes: u32,
    pub description: String,
    /// Formatted on creation so it can be mounted at once: ext4 or xfs.
    pub filesystem_type: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Volume {
    pub id: String,
    pub name: String,
    pub region: RegionRef,
    pub size_gigabytes: u32,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub droplet_ids: Vec<u64>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub tags: Vec<String>,
}

/// `POST /v2/volumes/{id}/actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VolumeAction {
    Attach {
        droplet_id: u64,
        region: String,
    },
    Detach {
        droplet_id: u64,
        region: String,
    },
    /// Only grows.
    Resize {
        size_gigabytes: u32,
        region: String,
    },
}

#[derive(Deserialize)]
struct One {
    volume: Volume,
}

impl Client {
    pub async fn create_volume(&self, request: &VolumeCreate) -> Result<Volume, DoError> {
        let one: One = self.post("/v2/volumes", request).await?;
        Ok(one.volume)
    }

    pub async fn get_volume(&self, id: &str) -> Result<Volume, DoError> {
        let one: One = self.get(&format!("/v2/volumes/{id}"), &[]).await?;
        Ok(one.volume)
    }

    /// Volumes of `region`, only those named `name` when given (every page). The API cannot filter by tag.
    pub async fn list_volumes(
        &self,
        region: &str,
        name: Option<&str>,
    ) -> Result<Vec<Volume>, DoError> {
        let mut query = vec![("region", region.to_string())];
        if let Some(name) = name {
            query.push(("name", name.to_string()));
        }
        self.list_all("/v2/volumes", &query, "volumes").await
    }

    pub async fn delete_volume(&self, id: &str) -> Result<(), DoError> {
        self.delete(&format!("/v2/volumes/{id}")).await
    }

    pub async fn volume_action(&self, id: &str, action: &VolumeAction) -> Result<Action, DoError> {
        let envelope: ActionEnvelope = self
            .post(&format!("/v2/volumes/{id}/actions"), action)
            .await?;
        Ok(envelope.action)
    }
}

pub(super) fn volume_record(volume: &Volume) -> ResourceRecord {
    let mut parts = BTreeMap::new();
    if let Some(droplet) = volume.droplet_ids.first() {
        parts.insert("attached_to".to_string(), droplet.to_string());
    }
    ResourceRecord {
        size: Some(volume.size_gigabytes.to_string()),
        state: if volume.droplet_ids.is_empty() {
            "available"
        } else {
            "attached"
        }
        .to_string(),
        tags: tag_map(&volume.tags),
        parts,
        ..record(
            ResourceKind::BlockStorage,
            &volume.id,
            &volume.name,
            &volume.region.slug,
        )
    }
}

impl DigitalOcean {
    /// An ext4 volume, attached to its web server when the plan says so.
    pub(super) async fn create_block_storage(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let ResourceSpec::BlockStorage {
            size_gb, attach_to, ..
        } = &resource.spec
        else {
            return Err(CloudError::Invalid(format!(
                "{} is not block storage",
                resource.name
            )));
        };
        let project = project_tag(&ctx.project_id);
        let named = self
            .client
            .list_volumes(&resource.region, Some(&resource.name))
            .await?;
        let mut volume = match named.into_iter().find(|v| v.tags.contains(&project)) {
            Some(found) => {
                ctx.progress.report(&format!(
                    "volume {} already exists ({})",
                    resource.name, found.id
                ));
                found
            }
            None => {
                let request = VolumeCreate {
                    name: resource.name.clone(),
                    region: resource.region.clone(),
                    size_gigabytes: *size_gb,
                    description: format!("{} for rift project {}", resource.name, ctx.project_id),
                    filesystem_type: "ext4".into(),
                    tags: base_tags(&ctx.project_id),
                };
                ctx.progress
                    .report(&format!("creating volume {}", resource.name));
                self.client.create_volume(&request).await?
            }
        };
        if let Some(server) = attach_to {
            let droplet = droplet_id(&ctx.dependency(server)?.cloud_id)?;
            if !volume.droplet_ids.contains(&droplet) {
                ctx.progress.report(&format!(
                    "attaching volume {} to droplet {droplet}",
                    resource.name
                ));
                let attach = VolumeAction::Attach {
                    droplet_id: droplet,
                    region: resource.region.clone(),
                };
                let waited = async {
                    let action = self.client.volume_action(&volume.id, &attach).await?;
                    self.client
                        .wait_for_action(action, &ctx.progress)
                        .await
                        .map(|_| ())
                }
                .await;
                settled(waited, &ctx.progress)?;
                volume = self.client.get_volume(&volume.id).await?;
            }
        }
        let mut record = volume_record(&volume);
        // Found by these tags, or created with them, whether or not the answer repeats them.
        record.tags.extend(tag_map(&base_tags(&ctx.project_id)));
        Ok(record)
    }

    /// Volumes only grow.
    pub(super) async fn resize_block_storage(
        &self,
        id: &str,
        gb: u32,
        progress: &Progress,
    ) -> Result<ResourceRecord, CloudError> {
        let volume = self.client.get_volume(id).await?;
        if gb <= volume.size_gigabytes {
            return Err(CloudError::Invalid(format!(
                "volume {} has {} GB; a volume can only grow",
                volume.name, volume.size_gigabytes
            )));
        }
        let resize = VolumeAction::Resize {
            size_gigabytes: gb,
            region: volume.region.slug.clone(),
        };
        let action = self.client.volume_action(id, &resize).await?;
        self.client.wait_for_action(action, progress).await?;
        Ok(volume_record(&self.client.get_volume(id).await?))
    }

    /// Detaches the volume from its droplets first: an attached volume cannot be deleted.
    pub(super) async fn delete_block_storage(
        &self,
        id: &str,
        progress: &Progress,
    ) -> Result<DeleteOutcome, CloudError> {
        let volume = match self.client.get_volume(id).await {
            Ok(volume) => volume,
            Err(e) if e.is_not_found() => return Ok(DeleteOutcome::AlreadyGone),
            Err(e) => return Err(e.into()),
        };
        for droplet in &volume.droplet_ids {
            progress.report(&format!(
                "detaching volume {} from droplet {droplet}",
                volume.name
            ));
            let detach = VolumeAction::Detach {
                droplet_id: *droplet,
                region: volume.region.slug.clone(),
            };
            let action = self.client.volume_action(id, &detach).await?;
            self.client.wait_for_action(action, progress).await?;
        }
        deleted(self.client.delete_volume(id).await)
    }
}
