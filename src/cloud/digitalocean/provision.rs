//! The [`Cloud`] implementation: the connector that builds a client from the environment, and the dispatch of
//! each kind to its resource family.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::account::{
    DigitalOcean, SSH_KEYS_VARIABLE, SshKey, WAIT_VARIABLE, base_tags, deleted, droplet_id,
    firewall_tag, project_tag, tag_map,
};
use super::client::{Client, ClientConfig, PollPolicy};
use crate::cloud::{
    Cloud, CloudAccess, CloudError, Connector, CreateContext, DeleteOutcome, NewSize, Owner,
    Progress, ResourceRecord,
};
use crate::model::{
    AlarmSpec, CloudAlarm, MetricQuery, PlannedResource, Provider, ResourceKind, ResourceSpec,
    SeriesAnswer, TimeRange,
};

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

    async fn put_alarms(&self, spec: &AlarmSpec) -> Result<Vec<CloudAlarm>, CloudError> {
        self.put_alert_policy(spec).await
    }

    async fn delete_alarm(&self, cloud_id: &str) -> Result<DeleteOutcome, CloudError> {
        self.delete_alert_policy(cloud_id).await
    }

    /// A droplet's `reboot` action; a droplet that does not come back from it is power-cycled.
    async fn reboot(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        progress: &Progress,
    ) -> Result<(), CloudError> {
        if kind != ResourceKind::WebServer {
            return Err(CloudError::Unsupported(format!(
                "rebooting a DigitalOcean {kind}; rift reboots droplets"
            )));
        }
        self.reboot_droplet(droplet_id(cloud_id)?, progress).await
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

    async fn list(&self, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
        match owner {
            Owner::Project(project_id) => self.project_resources(project_id).await,
            Owner::Anyone => self.account_resources().await,
        }
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

impl DigitalOcean {
    /// What rift made for the project in this region, found by its tags (or, for the kinds without tags,
    /// by the project's VPCs and firewall tags).
    pub(super) async fn project_resources(
        &self,
        project_id: &str,
    ) -> Result<Vec<ResourceRecord>, CloudError> {
        let project = project_tag(project_id);
        let mut records = Vec::new();
        let droplets = self.client.list_droplets(Some(&project)).await?;
        records.extend(droplets.iter().map(super::droplets::droplet_record));
        let clusters = self.client.list_databases(Some(&project)).await?;
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

    /// Everything of the kinds rift maps in this region, whoever made it: droplets, database clusters, volumes,
    /// VPCs (not the region's default one), load balancers, firewalls (account-wide) and, when Spaces keys are
    /// set, Spaces buckets.
    pub(super) async fn account_resources(&self) -> Result<Vec<ResourceRecord>, CloudError> {
        let here = |region: &str| region == self.region;
        let mut records = Vec::new();
        let droplets = self.client.list_droplets(None).await?;
        records.extend(
            droplets
                .iter()
                .filter(|d| here(&d.region.slug))
                .map(super::droplets::droplet_record),
        );
        let clusters = self.client.list_databases(None).await?;
        records.extend(
            clusters
                .iter()
                .filter(|c| here(&c.region))
                .map(super::databases::database_record),
        );
        let volumes = self.client.list_volumes(&self.region, None).await?;
        records.extend(volumes.iter().map(super::volumes::volume_record));
        let vpcs = self.client.list_vpcs().await?;
        records.extend(
            vpcs.iter()
                .filter(|v| here(&v.region) && !v.default)
                .map(super::vpcs::vpc_record),
        );
        let lbs = self.client.list_load_balancers().await?;
        records.extend(
            lbs.iter()
                .filter(|lb| here(&lb.region.slug))
                .map(|lb| super::load_balancers::load_balancer_record(lb, BTreeMap::new())),
        );
        let firewalls = self.client.list_firewalls().await?;
        records.extend(firewalls.iter().map(super::firewalls::firewall_record));
        if let Ok(spaces) = self.spaces().await {
            for bucket in spaces.list_buckets().await? {
                records.push(self.get_bucket(&bucket, BTreeMap::new()).await?);
            }
        }
        Ok(records)
    }
}
