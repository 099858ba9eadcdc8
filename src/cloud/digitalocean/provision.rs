//! The [`Cloud`] implementation: rift's tags in DigitalOcean's syntax, the connector that builds a client from
//! the environment, and the dispatch of each kind to its resource family.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use super::client::{Client, ClientConfig, DoError, PollPolicy};
use super::droplets::SshKey;
use super::spaces::Spaces;
use crate::cloud::{
    Cloud, CloudAccess, CloudError, Connector, CreateContext, DeleteOutcome, NewSize, Progress,
    ResourceRecord, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE, TAG_PROJECT,
};
use crate::model::{
    MetricQuery, PlannedResource, Provider, ResourceKind, ResourceSpec, SeriesAnswer, TimeRange,
};

/// Image of new droplets that name none.
pub const DEFAULT_IMAGE: &str = crate::mapping::DIGITALOCEAN_DEFAULT_IMAGE.name;
/// SSH keys (ids or fingerprints, comma-separated) put on every droplet rift creates.
pub const SSH_KEYS_VARIABLE: &str = "RIFT_DIGITALOCEAN_SSH_KEYS";
/// The longest rift waits, in seconds, for an action or for a new resource to become ready.
pub const WAIT_VARIABLE: &str = "RIFT_DIGITALOCEAN_WAIT_S";

/// One DigitalOcean account in one region.
#[derive(Debug)]
pub struct DigitalOcean {
    pub(super) client: Client,
    pub(super) region: String,
    pub(super) ssh_keys: Vec<SshKey>,
    spaces: OnceCell<Spaces>,
}

impl DigitalOcean {
    pub fn new(client: Client, region: impl Into<String>, ssh_keys: Vec<SshKey>) -> DigitalOcean {
        DigitalOcean {
            client,
            region: region.into(),
            ssh_keys,
            spaces: OnceCell::new(),
        }
    }

    /// With a Spaces client given rather than built from the environment on first use.
    pub fn with_spaces(self, spaces: Spaces) -> DigitalOcean {
        DigitalOcean {
            spaces: OnceCell::new_with(Some(spaces)),
            ..self
        }
    }

    pub(super) async fn spaces(&self) -> Result<&Spaces, CloudError> {
        self.spaces
            .get_or_try_init(|| async { Spaces::from_env(&self.region) })
            .await
    }
}

/// Builds [`DigitalOcean`] clients from the environment (see [`ClientConfig::from_env`]).
#[derive(Debug, Default)]
pub struct DigitalOceanConnector;

#[async_trait::async_trait]
impl Connector for DigitalOceanConnector {
    async fn connect(&self, access: &CloudAccess) -> Result<Arc<dyn Cloud>, CloudError> {
        let mut config = ClientConfig::from_env(access.token.as_ref())?;
        if let Some(wait) = std::env::var(WAIT_VARIABLE)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            // A quarter of the wait (0.1–5 s), so even a short wait polls a few times.
            config.poll = PollPolicy {
                interval: Duration::from_secs(5)
                    .min(Duration::from_millis(wait.saturating_mul(250).max(100))),
                deadline: Duration::from_secs(wait),
            };
        }
        let ssh_keys = std::env::var(SSH_KEYS_VARIABLE)
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(SshKey::parse)
            .collect();
        let client = Client::new(config)?;
        Ok(Arc::new(DigitalOcean::new(
            client,
            access.region.clone(),
            ssh_keys,
        )))
    }
}

/// `key:value`, DigitalOcean's tag syntax; a tag holds letters, digits, colons, dashes and underscores only.
pub(super) fn tag(key: &str, value: &str) -> String {
    format!("{key}:{}", tag_value(value))
}

fn tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub(super) fn project_tag(project_id: &str) -> String {
    tag(TAG_PROJECT, project_id)
}

/// The tags of everything rift creates in `project_id`.
pub(super) fn base_tags(project_id: &str) -> Vec<String> {
    vec![
        tag(TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE),
        project_tag(project_id),
    ]
}

/// How the tags that firewalls apply by begin.
pub(super) const FIREWALL_TAG_PREFIX: &str = "rift-firewall:";

/// The tag by which a firewall protects droplets: it exists before them, so they are guarded from first boot.
pub(super) fn firewall_tag(project_id: &str, firewall: &str) -> String {
    format!(
        "{FIREWALL_TAG_PREFIX}{}",
        tag_value(&format!("{project_id}:{firewall}"))
    )
}

/// Tags as key → value (a tag without a colon maps to "").
pub(super) fn tag_map(tags: &[String]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| match t.split_once(':') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect()
}

/// A record with the fields every kind has; the family fills in size, state, endpoints, tags and parts.
pub(super) fn record(
    kind: ResourceKind,
    cloud_id: impl Into<String>,
    name: impl Into<String>,
    region: impl Into<String>,
) -> ResourceRecord {
    ResourceRecord {
        kind,
        provider: Provider::Digitalocean,
        cloud_id: cloud_id.into(),
        name: name.into(),
        region: region.into(),
        size: None,
        state: String::new(),
        endpoints: Vec::new(),
        tags: BTreeMap::new(),
        parts: BTreeMap::new(),
        monthly_cost: None,
    }
}

/// Droplet ids are numbers; anything else cannot name one.
pub(super) fn droplet_id(cloud_id: &str) -> Result<u64, CloudError> {
    cloud_id
        .parse()
        .map_err(|_| CloudError::Invalid(format!("\"{cloud_id}\" is not a droplet id (a number)")))
}

/// A delete of something already gone is an outcome, not a failure.
pub(super) fn deleted(result: Result<(), DoError>) -> Result<DeleteOutcome, CloudError> {
    match result {
        Ok(()) => Ok(DeleteOutcome::Deleted),
        Err(e) if e.is_not_found() => Ok(DeleteOutcome::AlreadyGone),
        Err(e) => Err(e.into()),
    }
}

/// An action of a create that did not finish in time leaves the resource in progress, which the record shows;
/// any other failure stops the create.
pub(super) fn settled(result: Result<(), DoError>, progress: &Progress) -> Result<(), CloudError> {
    match result {
        Err(DoError::ActionDeadline { id, kind, after_s }) => {
            progress.report(&format!(
                "DigitalOcean action {id} ({kind}) still running after {after_s} s; continuing"
            ));
            Ok(())
        }
        other => other.map_err(CloudError::from),
    }
}

fn mismatch(resource: &PlannedResource) -> CloudError {
    CloudError::Invalid(format!(
        "{} is a {} but its settings are for another kind",
        resource.name, resource.kind
    ))
}

#[async_trait::async_trait]
impl Cloud for DigitalOcean {
    fn provider(&self) -> Provider {
        Provider::Digitalocean
    }

    async fn metrics(
        &self,
        queries: &[MetricQuery],
        range: &TimeRange,
    ) -> Result<Vec<SeriesAnswer>, CloudError> {
        self.read_metrics(queries, range).await
    }

    async fn create(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        if resource.provider != Provider::Digitalocean {
            return Err(CloudError::Invalid(format!(
                "{} is planned for {}, not DigitalOcean",
                resource.name, resource.provider
            )));
        }
        match (&resource.kind, &resource.spec) {
            (ResourceKind::WebServer, ResourceSpec::WebServer { .. }) => {
                self.create_web_server(ctx, resource).await
            }
            (
                ResourceKind::Database | ResourceKind::Cache,
                ResourceSpec::Database { .. } | ResourceSpec::Cache { .. },
            ) => self.create_database_cluster(ctx, resource).await,
            (ResourceKind::LoadBalancer, ResourceSpec::LoadBalancer { .. }) => {
                self.create_load_balancer_for(ctx, resource).await
            }
            (ResourceKind::BlockStorage, ResourceSpec::BlockStorage { .. }) => {
                self.create_block_storage(ctx, resource).await
            }
            (ResourceKind::ObjectStorage, ResourceSpec::ObjectStorage { .. }) => {
                self.create_bucket_for(ctx, resource).await
            }
            (ResourceKind::Network, ResourceSpec::Network { .. }) => {
                self.create_network(ctx, resource).await
            }
            (ResourceKind::Firewall, ResourceSpec::Firewall { .. }) => {
                self.create_firewall_for(ctx, resource).await
            }
            _ => Err(mismatch(resource)),
        }
    }

    async fn get(&self, kind: ResourceKind, cloud_id: &str) -> Result<ResourceRecord, CloudError> {
        match kind {
            ResourceKind::WebServer => {
                let droplet = self.client.get_droplet(droplet_id(cloud_id)?).await?;
                Ok(super::droplets::droplet_record(&droplet))
            }
            ResourceKind::Database | ResourceKind::Cache => {
                let cluster = self.client.get_database(cloud_id).await?;
                Ok(ResourceRecord {
                    kind,
                    ..super::databases::database_record(&cluster)
                })
            }
            ResourceKind::LoadBalancer => {
                let lb = self.client.get_load_balancer(cloud_id).await?;
                // A load balancer carries no tags: it belongs to the project of its VPC.
                let tags = match &lb.vpc_uuid {
                    Some(vpc) => match self.client.get_vpc(vpc).await {
                        Ok(vpc) => super::vpcs::vpc_record(&vpc).tags,
                        Err(e) if e.is_not_found() => BTreeMap::new(),
                        Err(e) => return Err(e.into()),
                    },
                    None => BTreeMap::new(),
                };
                Ok(super::load_balancers::load_balancer_record(&lb, tags))
            }
            ResourceKind::BlockStorage => {
                let volume = self.client.get_volume(cloud_id).await?;
                Ok(super::volumes::volume_record(&volume))
            }
            ResourceKind::Network => {
                let vpc = self.client.get_vpc(cloud_id).await?;
                Ok(super::vpcs::vpc_record(&vpc))
            }
            ResourceKind::Firewall => {
                let firewall = self.client.get_firewall(cloud_id).await?;
                Ok(super::firewalls::firewall_record(&firewall))
            }
            ResourceKind::ObjectStorage => self.get_bucket(cloud_id, BTreeMap::new()).await,
        }
    }

    async fn list(&self, project_id: &str) -> Result<Vec<ResourceRecord>, CloudError> {
        let project = project_tag(project_id);
        let mut records = Vec::new();
        let droplets = self.client.list_droplets(&project).await?;
        records.extend(droplets.iter().map(super::droplets::droplet_record));
        let clusters = self.client.list_databases(&project).await?;
        records.extend(clusters.iter().map(super::databases::database_record));
        let volumes = self.client.list_volumes(&self.region, None).await?;
        records.extend(
            volumes
                .iter()
                .filter(|v| v.tags.contains(&project))
                .map(super::volumes::volume_record),
        );
        let vpcs = self.client.list_vpcs().await?;
        let own_vpcs: Vec<&super::vpcs::Vpc> = vpcs
            .iter()
            .filter(|v| v.region == self.region && super::vpcs::marks_project(v, project_id))
            .collect();
        records.extend(own_vpcs.iter().map(|v| super::vpcs::vpc_record(v)));
        let tags = tag_map(&base_tags(project_id));
        // Load balancers carry no tags: those in the project's VPCs are the project's.
        let lbs = self.client.list_load_balancers().await?;
        records.extend(
            lbs.iter()
                .filter(|lb| {
                    lb.vpc_uuid
                        .as_ref()
                        .is_some_and(|id| own_vpcs.iter().any(|v| &v.id == id))
                })
                .map(|lb| super::load_balancers::load_balancer_record(lb, tags.clone())),
        );
        // Firewalls carry no tags either: rift's apply by a tag that names the project.
        let firewall_prefix = firewall_tag(project_id, "");
        let firewalls = self.client.list_firewalls().await?;
        records.extend(
            firewalls
                .iter()
                .filter(|f| f.tags.iter().any(|t| t.starts_with(&firewall_prefix)))
                .map(super::firewalls::firewall_record),
        );
        Ok(records)
    }

    async fn resize(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        to: &NewSize,
        progress: &Progress,
    ) -> Result<ResourceRecord, CloudError> {
        match (kind, to) {
            (ResourceKind::WebServer, NewSize::Slug(size)) => {
                self.resize_droplet(droplet_id(cloud_id)?, size, progress)
                    .await
            }
            (ResourceKind::Database | ResourceKind::Cache, _) => {
                self.resize_cluster(cloud_id, to).await
            }
            (ResourceKind::BlockStorage, NewSize::StorageGb(gb)) => {
                self.resize_block_storage(cloud_id, *gb, progress).await
            }
            (kind, to) => Err(CloudError::Unsupported(format!(
                "a DigitalOcean {kind} cannot be resized to {}; droplets take a size slug, volumes a storage size, \
                 databases and caches either",
                match to {
                    NewSize::Slug(s) => format!("size {s}"),
                    NewSize::StorageGb(gb) => format!("{gb} GB"),
                }
            ))),
        }
    }

    async fn delete(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        progress: &Progress,
    ) -> Result<DeleteOutcome, CloudError> {
        match kind {
            ResourceKind::WebServer => {
                deleted(self.client.delete_droplet(droplet_id(cloud_id)?).await)
            }
            ResourceKind::Database | ResourceKind::Cache => {
                deleted(self.client.delete_database(cloud_id).await)
            }
            ResourceKind::LoadBalancer => deleted(self.client.delete_load_balancer(cloud_id).await),
            ResourceKind::BlockStorage => self.delete_block_storage(cloud_id, progress).await,
            ResourceKind::Network => deleted(self.client.delete_vpc(cloud_id).await),
            ResourceKind::Firewall => deleted(self.client.delete_firewall(cloud_id).await),
            ResourceKind::ObjectStorage => {
                if self.spaces().await?.delete_bucket(cloud_id).await? {
                    Ok(DeleteOutcome::Deleted)
                } else {
                    Ok(DeleteOutcome::AlreadyGone)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_use_digitaloceans_syntax_and_map_back() {
        assert_eq!(base_tags("shop"), ["managed-by:rift", "rift-project:shop"]);
        assert_eq!(tag("rift-project", "a b.c"), "rift-project:a-b-c");
        let map = tag_map(&base_tags("shop"));
        assert_eq!(map.get(TAG_PROJECT).map(String::as_str), Some("shop"));
        assert_eq!(
            firewall_tag("shop", "shop-web-fw"),
            "rift-firewall:shop:shop-web-fw"
        );
    }
}
