//! Droplets: create, get, list, delete, and the power and resize actions.

use serde::{Deserialize, Serialize};

use super::account::{
    DEFAULT_IMAGE, DigitalOcean, SshKey, base_tags, firewall_tag, project_tag, record, settled,
    tag_map,
};
use super::actions::{Action, ActionEnvelope};
use super::client::{Client, DoError};
use crate::cloud::{CloudError, CreateContext, Progress, ResourceRecord};
use crate::model::{PlannedResource, ResourceKind, ResourceSpec};

/// `POST /v2/droplets` (one droplet).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DropletCreate {
    pub name: String,
    pub region: String,
    pub size: String,
    /// An image slug, e.g. "ubuntu-24-04-x64".
    pub image: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh_keys: Vec<SshKey>,
    pub monitoring: bool,
    pub tags: Vec<String>,
    /// cloud-init (or a shell script) run on first boot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Droplet {
    pub id: u64,
    pub name: String,
    /// new, active, off or archive.
    pub status: String,
    pub size_slug: String,
    pub region: RegionRef,
    #[serde(default)]
    pub networks: Networks,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub vpc_uuid: Option<String>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub volume_ids: Vec<String>,
}

impl Droplet {
    /// Public then private IPv4 addresses, then IPv6.
    pub fn addresses(&self) -> Vec<String> {
        let mut v4: Vec<&Address> = self.networks.v4.iter().collect();
        v4.sort_by_key(|a| a.kind != "public");
        v4.into_iter()
            .chain(self.networks.v6.iter())
            .map(|a| a.ip_address.clone())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RegionRef {
    pub slug: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Networks {
    #[serde(default)]
    pub v4: Vec<Address>,
    #[serde(default)]
    pub v6: Vec<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Address {
    pub ip_address: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The create answer: the droplet (status "new") and the action that builds it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DropletCreated {
    pub droplet: Droplet,
    #[serde(default)]
    pub links: CreateLinks,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CreateLinks {
    #[serde(default)]
    pub actions: Vec<ActionLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActionLink {
    pub id: u64,
    pub rel: String,
}

/// `POST /v2/droplets/{id}/actions`: the actions rift uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DropletAction {
    PowerOn,
    PowerOff,
    Reboot,
    PowerCycle,
    /// The droplet must be off. `disk: false` keeps the disk, so the resize can be undone.
    Resize {
        size: String,
        disk: bool,
    },
}

#[derive(Deserialize)]
struct One {
    droplet: Droplet,
}

impl Client {
    pub async fn create_droplet(&self, request: &DropletCreate) -> Result<DropletCreated, DoError> {
        self.post("/v2/droplets", request).await
    }

    pub async fn get_droplet(&self, id: u64) -> Result<Droplet, DoError> {
        let one: One = self.get(&format!("/v2/droplets/{id}"), &[]).await?;
        Ok(one.droplet)
    }

    /// Droplets carrying `tag`, or every droplet of the account (every page).
    pub async fn list_droplets(&self, tag: Option<&str>) -> Result<Vec<Droplet>, DoError> {
        let query: Vec<(&str, String)> = tag
            .map(|t| ("tag_name", t.to_string()))
            .into_iter()
            .collect();
        self.list_all("/v2/droplets", &query, "droplets").await
    }

    pub async fn delete_droplet(&self, id: u64) -> Result<(), DoError> {
        self.delete(&format!("/v2/droplets/{id}")).await
    }

    pub async fn droplet_action(&self, id: u64, action: &DropletAction) -> Result<Action, DoError> {
        let envelope: ActionEnvelope = self
            .post(&format!("/v2/droplets/{id}/actions"), action)
            .await?;
        Ok(envelope.action)
    }
}

pub(super) fn droplet_record(droplet: &Droplet) -> ResourceRecord {
    ResourceRecord {
        size: Some(droplet.size_slug.clone()),
        state: droplet.status.clone(),
        endpoints: droplet.addresses(),
        tags: tag_map(&droplet.tags),
        ..record(
            ResourceKind::WebServer,
            droplet.id.to_string(),
            &droplet.name,
            &droplet.region.slug,
        )
    }
}

impl DigitalOcean {
    /// A droplet in the project's VPC, tagged with the project and with the firewalls that guard it.
    pub(super) async fn create_web_server(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let ResourceSpec::WebServer {
            network, firewalls, ..
        } = &resource.spec
        else {
            return Err(CloudError::Invalid(format!(
                "{} is not a web server",
                resource.name
            )));
        };
        let Some(boot) = resource.boot() else {
            return Err(CloudError::Invalid(format!(
                "{} is not a web server",
                resource.name
            )));
        };
        let project = project_tag(&ctx.project_id);
        let existing = self.client.list_droplets(Some(&project)).await?;
        if let Some(found) = existing.iter().find(|d| d.name == resource.name) {
            ctx.progress.report(&format!(
                "droplet {} already exists (id {})",
                resource.name, found.id
            ));
            return Ok(droplet_record(found));
        }
        let size = resource.size.clone().ok_or_else(|| {
            CloudError::Invalid(format!("web server {} has no size", resource.name))
        })?;
        let vpc_uuid = match network.as_str() {
            "" => None,
            name => Some(ctx.dependency(name)?.cloud_id.clone()),
        };
        let mut tags = base_tags(&ctx.project_id);
        tags.extend(firewalls.iter().map(|f| firewall_tag(&ctx.project_id, f)));
        let request = DropletCreate {
            name: resource.name.clone(),
            region: resource.region.clone(),
            size,
            image: boot.image.unwrap_or(DEFAULT_IMAGE).to_string(),
            ssh_keys: if boot.ssh_keys.is_empty() {
                self.ssh_keys.clone()
            } else {
                boot.ssh_keys.iter().map(|k| SshKey::parse(k)).collect()
            },
            monitoring: true,
            tags,
            user_data: boot.user_data.map(str::to_string),
            vpc_uuid,
        };
        ctx.progress
            .report(&format!("creating droplet {}", resource.name));
        let created = self.client.create_droplet(&request).await?;
        if let Some(link) = created.links.actions.iter().find(|a| a.rel == "create") {
            let waited = async {
                let action = self.client.get_action(link.id).await?;
                self.client
                    .wait_for_action(action, &ctx.progress)
                    .await
                    .map(|_| ())
            }
            .await;
            settled(waited, &ctx.progress)?;
        }
        let droplet = self.client.get_droplet(created.droplet.id).await?;
        let mut record = droplet_record(&droplet);
        // The tags rift sent, whether or not the answer repeats them.
        record.tags.extend(tag_map(&request.tags));
        Ok(record)
    }

    /// Power off (if on), resize keeping the disk (so it can be undone), power on; each action awaited.
    /// `reboot`, then `power_cycle` if the reboot errors or the droplet is not active after it.
    pub(super) async fn reboot_droplet(
        &self,
        id: u64,
        progress: &Progress,
    ) -> Result<(), CloudError> {
        progress.report(&format!("rebooting droplet {id}"));
        let action = self
            .client
            .droplet_action(id, &DropletAction::Reboot)
            .await?;
        let rebooted = self.client.wait_for_action(action, progress).await;
        let active = match rebooted {
            Ok(_) => self.client.get_droplet(id).await?.status == "active",
            Err(_) => false,
        };
        if !active {
            progress.report(&format!("droplet {id} did not come back: power-cycling it"));
            let action = self
                .client
                .droplet_action(id, &DropletAction::PowerCycle)
                .await?;
            self.client.wait_for_action(action, progress).await?;
        }
        Ok(())
    }

    pub(super) async fn resize_droplet(
        &self,
        id: u64,
        size: &str,
        progress: &Progress,
    ) -> Result<ResourceRecord, CloudError> {
        let droplet = self.client.get_droplet(id).await?;
        if droplet.status != "off" {
            progress.report(&format!("powering off droplet {id}"));
            let action = self
                .client
                .droplet_action(id, &DropletAction::PowerOff)
                .await?;
            self.client.wait_for_action(action, progress).await?;
        }
        progress.report(&format!("resizing droplet {id} to {size}"));
        let resize = DropletAction::Resize {
            size: size.to_string(),
            disk: false,
        };
        let action = self.client.droplet_action(id, &resize).await?;
        self.client.wait_for_action(action, progress).await?;
        progress.report(&format!("powering on droplet {id}"));
        let action = self
            .client
            .droplet_action(id, &DropletAction::PowerOn)
            .await?;
        self.client.wait_for_action(action, progress).await?;
        Ok(droplet_record(&self.client.get_droplet(id).await?))
    }
}
