//! The provider-neutral [`Cloud`] trait on top of the AWS services: turns a planned resource and the records of
//! what it depends on (VPC → subnets, security groups, instances) into the service calls.

use std::net::Ipv4Addr;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::network::SubnetInfo;
use super::{
    AwsClients, AwsSettings, Tags, alarms, cache, compute, database, firewall, load_balancer,
    metrics, network, object_storage, permissions, storage,
};
use crate::cloud::{
    Cloud, CloudAccess, CloudError, Connector, CreateContext, DeleteOutcome, NewSize, Owner,
    Progress, ResourceRecord,
};
use crate::model::{
    AccessSource, AlarmSpec, CloudAlarm, FiringAlarm, MetricQuery, PlannedResource, Provider,
    ResourceKind, ResourceSpec, SeriesAnswer, TimeRange,
};

/// AWS in one region with one set of credentials.
#[derive(Debug, Clone)]
pub struct AwsCloud {
    clients: AwsClients,
}

impl AwsCloud {
    pub fn new(clients: AwsClients) -> Self {
        Self { clients }
    }

    pub fn clients(&self) -> &AwsClients {
        &self.clients
    }
}

/// Builds [`AwsCloud`] clients from the standard credential chain, the project's region and profile.
#[derive(Debug, Clone, Default)]
pub struct AwsConnector;

#[async_trait::async_trait]
impl Connector for AwsConnector {
    async fn connect(&self, access: &CloudAccess) -> Result<Arc<dyn Cloud>, CloudError> {
        let settings = AwsSettings {
            region: Some(access.region.clone()),
            profile: access.aws_profile.clone(),
        };
        Ok(Arc::new(AwsCloud::new(AwsClients::load(&settings).await?)))
    }
}

#[async_trait::async_trait]
impl Cloud for AwsCloud {
    fn provider(&self) -> Provider {
        Provider::Aws
    }

    /// EC2 dry runs (see [`permissions::check`]).
    async fn check_permissions(&self, resource: &PlannedResource) -> Result<(), CloudError> {
        permissions::check(&self.clients, resource).await
    }

    /// One batched `GetMetricData` for all of them (see [`metrics::read`]).
    async fn metrics(
        &self,
        queries: &[MetricQuery],
        range: &TimeRange,
    ) -> Result<Vec<SeriesAnswer>, CloudError> {
        metrics::read(&self.clients, queries, range).await
    }

    /// One CloudWatch alarm per resource (see [`alarms::put`]).
    async fn put_alarms(&self, spec: &AlarmSpec) -> Result<Vec<CloudAlarm>, CloudError> {
        alarms::put(&self.clients, spec).await
    }

    async fn delete_alarm(&self, cloud_id: &str) -> Result<DeleteOutcome, CloudError> {
        alarms::delete(&self.clients, cloud_id).await
    }

    async fn firing_alarms(&self, prefix: &str) -> Result<Option<Vec<FiringAlarm>>, CloudError> {
        alarms::firing(&self.clients, prefix).await.map(Some)
    }

    /// EC2 RebootInstances or RDS RebootDBInstance, waiting until it runs again.
    async fn reboot(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        progress: &Progress,
    ) -> Result<(), CloudError> {
        match kind {
            ResourceKind::WebServer => {
                compute::power(&self.clients, cloud_id, compute::Power::Reboot, progress)
                    .await
                    .map(|_| ())
            }
            ResourceKind::Database => database::reboot(&self.clients, cloud_id, progress).await,
            _ => Err(CloudError::Unsupported(format!(
                "rebooting an AWS {kind}; rift reboots servers and databases"
            ))),
        }
    }

    async fn create(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let c = &self.clients;
        let tags = Tags::new(ctx.project_id.clone(), resource.name.clone());
        let progress = &ctx.progress;
        match &resource.spec {
            ResourceSpec::Network {
                cidr,
                subnets,
                internet_gateway,
                nat_gateway,
            } => {
                let cidr = cidr.as_deref().ok_or_else(|| {
                    CloudError::Invalid(format!("{} has no address range", resource.name))
                })?;
                let spec = network::NetworkSpec {
                    cidr,
                    subnets,
                    internet_gateway: *internet_gateway,
                    nat_gateway: *nat_gateway,
                };
                network::create(c, &tags, spec, progress).await
            }
            ResourceSpec::Firewall {
                network, inbound, ..
            } => {
                let vpc = ctx.dependency(network)?;
                let mut rules = Vec::new();
                for rule in inbound {
                    for source in sources(ctx, vpc, &rule.source)? {
                        rules.push(firewall::Ingress {
                            protocol: rule.protocol.clone(),
                            port: rule.port,
                            source,
                        });
                    }
                }
                firewall::create(c, &tags, &vpc.cloud_id, &rules).await
            }
            ResourceSpec::WebServer {
                disk_gb,
                public,
                network,
                firewalls,
                ..
            } => {
                let vpc = ctx.dependency(network)?;
                let subnets = network::subnets(c, &vpc.cloud_id).await?;
                let tier: Vec<&SubnetInfo> =
                    subnets.iter().filter(|s| s.public == *public).collect();
                let pool = if tier.is_empty() {
                    subnets.iter().collect()
                } else {
                    tier
                };
                let subnet = spread(&pool, &resource.name).ok_or_else(|| {
                    CloudError::Invalid(format!(
                        "network {network} ({}) has no subnets",
                        vpc.cloud_id
                    ))
                })?;
                let groups = cloud_ids(ctx, firewalls)?;
                let boot = resource.boot();
                let spec = compute::InstanceSpec {
                    instance_type: size(resource)?,
                    image: boot
                        .as_ref()
                        .and_then(|b| b.image)
                        .map_or(compute::DEFAULT_IMAGE, compute::Image::Id),
                    subnet_id: &subnet.id,
                    security_group_ids: &groups,
                    root_volume_gb: *disk_gb,
                    user_data: boot.as_ref().and_then(|b| b.user_data),
                    key_name: boot
                        .as_ref()
                        .and_then(|b| b.ssh_keys.first())
                        .map(String::as_str),
                    client_token: &ctx.idempotency_key,
                };
                compute::create(c, &tags, spec, progress).await
            }
            ResourceSpec::Database {
                engine,
                version,
                storage_gb,
                nodes,
                high_availability,
                port,
                network,
                firewalls,
                public,
                ..
            } => {
                let (offer, version) = crate::mapping::engine(
                    Provider::Aws,
                    ResourceKind::Database,
                    *engine,
                    Some(version),
                )
                .map_err(|e| CloudError::Invalid(e.to_string()))?;
                let vpc = ctx.dependency(network)?;
                let subnet_ids =
                    private_first(&network::subnets(c, &vpc.cloud_id).await?, !*public);
                let groups = cloud_ids(ctx, firewalls)?;
                let spec = database::DatabaseSpec {
                    engine: offer.native_name,
                    version,
                    class: size(resource)?,
                    storage_gb: *storage_gb,
                    multi_az: *high_availability || *nodes >= 2,
                    port: *port,
                    subnet_ids: &subnet_ids,
                    security_group_ids: &groups,
                    public: *public,
                };
                database::create(c, &tags, spec, progress).await
            }
            ResourceSpec::Cache {
                engine,
                version,
                port,
                network,
                firewalls,
                ..
            } => {
                let (offer, version) = crate::mapping::engine(
                    Provider::Aws,
                    ResourceKind::Cache,
                    *engine,
                    Some(version),
                )
                .map_err(|e| CloudError::Invalid(e.to_string()))?;
                let vpc = ctx.dependency(network)?;
                let subnet_ids = private_first(&network::subnets(c, &vpc.cloud_id).await?, true);
                let groups = cloud_ids(ctx, firewalls)?;
                let spec = cache::CacheSpec {
                    engine: offer.native_name,
                    version,
                    node_type: size(resource)?,
                    port: *port,
                    subnet_ids: &subnet_ids,
                    security_group_ids: &groups,
                };
                cache::create(c, &tags, spec, progress).await
            }
            ResourceSpec::LoadBalancer {
                listeners,
                targets,
                network,
                firewalls,
                ..
            } => {
                let vpc = ctx.dependency(network)?;
                // An ALB takes one subnet per availability zone, in at least two zones.
                let mut zones = Vec::new();
                let mut subnet_ids = Vec::new();
                for subnet in network::subnets(c, &vpc.cloud_id)
                    .await?
                    .into_iter()
                    .filter(|s| s.public)
                {
                    if !zones.contains(&subnet.availability_zone) {
                        zones.push(subnet.availability_zone);
                        subnet_ids.push(subnet.id);
                    }
                }
                let spec = load_balancer::LoadBalancerSpec {
                    vpc_id: &vpc.cloud_id,
                    subnet_ids: &subnet_ids,
                    security_group_ids: &cloud_ids(ctx, firewalls)?,
                    listeners,
                    targets: &cloud_ids(ctx, targets)?,
                };
                load_balancer::create(c, &tags, spec, progress).await
            }
            ResourceSpec::BlockStorage {
                size_gb,
                volume_type,
                attach_to,
            } => {
                let server = attach_to
                    .as_deref()
                    .map(|name| ctx.dependency(name))
                    .transpose()?;
                // A volume can only attach to an instance in its own availability zone.
                let zone = server
                    .and_then(|s| s.parts.get("availability_zone").cloned())
                    .unwrap_or_else(|| format!("{}a", c.region));
                let spec = storage::VolumeSpec {
                    availability_zone: &zone,
                    size_gb: *size_gb,
                    volume_type,
                    client_token: &ctx.idempotency_key,
                };
                let volume = storage::create(c, &tags, spec, progress).await?;
                match server {
                    Some(server) => {
                        storage::attach(c, &volume.cloud_id, &server.cloud_id, progress).await
                    }
                    None => Ok(volume),
                }
            }
            ResourceSpec::ObjectStorage { .. } => object_storage::create(c, &tags).await,
        }
    }

    async fn get(&self, kind: ResourceKind, cloud_id: &str) -> Result<ResourceRecord, CloudError> {
        let c = &self.clients;
        match kind {
            ResourceKind::Network => network::get(c, cloud_id).await,
            ResourceKind::Firewall => firewall::get(c, cloud_id).await,
            ResourceKind::WebServer => compute::get(c, cloud_id).await,
            ResourceKind::BlockStorage => storage::get(c, cloud_id).await,
            ResourceKind::Database => database::get(c, cloud_id).await,
            ResourceKind::Cache => cache::get(c, cloud_id).await,
            ResourceKind::LoadBalancer => load_balancer::get(c, cloud_id).await,
            ResourceKind::ObjectStorage => object_storage::get(c, cloud_id).await,
        }
    }

    async fn list(&self, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
        let c = &self.clients;
        let (networks, firewalls, servers, volumes) = futures::try_join!(
            network::list(c, owner),
            firewall::list(c, owner),
            compute::list(c, owner),
            storage::list(c, owner),
        )?;
        let (databases, caches, balancers, buckets) = futures::try_join!(
            database::list(c, owner),
            cache::list(c, owner),
            load_balancer::list(c, owner),
            object_storage::list(c, owner),
        )?;
        Ok([
            networks, firewalls, servers, volumes, databases, caches, balancers, buckets,
        ]
        .concat())
    }

    async fn resize(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        to: &NewSize,
        progress: &Progress,
    ) -> Result<ResourceRecord, CloudError> {
        let c = &self.clients;
        match (kind, to) {
            (ResourceKind::WebServer, NewSize::Slug(t)) => {
                compute::resize(c, cloud_id, t, progress).await
            }
            (ResourceKind::Database, NewSize::Slug(class)) => {
                database::resize(c, cloud_id, Some(class), None, progress).await
            }
            (ResourceKind::Database, NewSize::StorageGb(gb)) => {
                database::resize(c, cloud_id, None, Some(*gb), progress).await
            }
            (ResourceKind::Cache, NewSize::Slug(node)) => {
                cache::resize(c, cloud_id, node, progress).await
            }
            (ResourceKind::BlockStorage, NewSize::StorageGb(gb)) => {
                storage::resize(c, cloud_id, *gb, progress).await
            }
            (kind, NewSize::Slug(_)) => Err(CloudError::Unsupported(format!(
                "an AWS {kind} has no size to change{}",
                if kind == ResourceKind::BlockStorage {
                    "; give storage_gb to grow a volume"
                } else {
                    ""
                }
            ))),
            (kind, NewSize::StorageGb(_)) => Err(CloudError::Unsupported(format!(
                "an AWS {kind} has no storage to grow; only volumes and databases do"
            ))),
        }
    }

    async fn delete(
        &self,
        kind: ResourceKind,
        cloud_id: &str,
        progress: &Progress,
    ) -> Result<DeleteOutcome, CloudError> {
        let c = &self.clients;
        let deleted = match kind {
            ResourceKind::Network => network::delete(c, cloud_id, progress).await,
            ResourceKind::Firewall => firewall::delete(c, cloud_id).await,
            ResourceKind::WebServer => compute::delete(c, cloud_id, progress).await,
            ResourceKind::BlockStorage => storage::delete(c, cloud_id, progress).await,
            ResourceKind::Database => database::delete(c, cloud_id, progress).await,
            ResourceKind::Cache => cache::delete(c, cloud_id).await,
            ResourceKind::LoadBalancer => load_balancer::delete(c, cloud_id, progress).await,
            ResourceKind::ObjectStorage => object_storage::delete(c, cloud_id).await,
        };
        match deleted {
            Ok(()) => Ok(DeleteOutcome::Deleted),
            Err(CloudError::NotFound(_)) => Ok(DeleteOutcome::AlreadyGone),
            Err(e) => Err(e),
        }
    }
}

fn size(resource: &PlannedResource) -> Result<&str, CloudError> {
    resource.size.as_deref().ok_or_else(|| {
        CloudError::Invalid(format!(
            "{} ({}) has no size in the plan",
            resource.name, resource.kind
        ))
    })
}

/// The cloud ids of dependencies (security groups, instances).
fn cloud_ids(ctx: &CreateContext, names: &[String]) -> Result<Vec<String>, CloudError> {
    names
        .iter()
        .map(|name| ctx.dependency(name).map(|r| r.cloud_id.clone()))
        .collect()
}

/// Spreads numbered servers ("web-1", "web-2") across the subnets' availability zones in turn; other names by
/// hash, so the same name always lands in the same subnet.
fn spread<'a>(subnets: &[&'a SubnetInfo], name: &str) -> Option<&'a SubnetInfo> {
    if subnets.is_empty() {
        return None;
    }
    let digits: String = name
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    let index = match digits.chars().rev().collect::<String>().parse::<usize>() {
        Ok(n) => n.saturating_sub(1),
        Err(_) => usize::from(Sha256::digest(name.as_bytes())[0]),
    };
    subnets.get(index % subnets.len()).copied()
}

/// Subnet ids for a database or cache: the private ones when it is private and they exist, otherwise all.
fn private_first(subnets: &[SubnetInfo], private: bool) -> Vec<String> {
    let wanted: Vec<String> = subnets
        .iter()
        .filter(|s| s.public != private)
        .map(|s| s.id.clone())
        .collect();
    if wanted.is_empty() {
        subnets.iter().map(|s| s.id.clone()).collect()
    } else {
        wanted
    }
}

/// What a firewall rule's source is on AWS: a security group, the load balancer's groups, the VPC's range, or
/// the public addresses of servers in another cloud.
fn sources(
    ctx: &CreateContext,
    vpc: &ResourceRecord,
    source: &AccessSource,
) -> Result<Vec<firewall::Source>, CloudError> {
    match source {
        AccessSource::Anywhere => Ok(vec![firewall::Source::Anywhere]),
        AccessSource::Addresses(cidr) => Ok(vec![firewall::Source::Cidr(cidr.clone())]),
        AccessSource::Network(name) => {
            let network = ctx.dependencies.get(name).unwrap_or(vpc);
            let cidr = network
                .endpoints
                .iter()
                .find(|e| e.contains('/'))
                .ok_or_else(|| {
                    CloudError::Invalid(format!("network {name} has no address range"))
                })?;
            Ok(vec![firewall::Source::Cidr(cidr.clone())])
        }
        AccessSource::Resource(name) => {
            let dep = ctx.dependency(name)?;
            let found: Vec<firewall::Source> = match (dep.provider, dep.kind) {
                (Provider::Aws, ResourceKind::Firewall) => {
                    vec![firewall::Source::Group(dep.cloud_id.clone())]
                }
                (Provider::Aws, _) => dep
                    .parts
                    .iter()
                    .filter(|(k, _)| k.starts_with("security_group:"))
                    .map(|(_, id)| firewall::Source::Group(id.clone()))
                    .collect(),
                _ => dep
                    .endpoints
                    .iter()
                    .filter_map(|e| e.parse::<Ipv4Addr>().ok())
                    .filter(|ip| !ip.is_private() && !ip.is_loopback())
                    .map(|ip| firewall::Source::Cidr(format!("{ip}/32")))
                    .collect(),
            };
            if found.is_empty() {
                return Err(CloudError::Invalid(format!(
                    "{name} ({} {}) has no security group or public address to admit",
                    dep.provider, dep.kind
                )));
            }
            Ok(found)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(id: &str, zone: &str, public: bool) -> SubnetInfo {
        SubnetInfo {
            id: id.into(),
            name: id.into(),
            availability_zone: zone.into(),
            public,
        }
    }

    #[test]
    fn numbered_servers_alternate_zones() {
        let a = subnet("a", "us-east-1a", true);
        let b = subnet("b", "us-east-1b", true);
        let pool = [&a, &b];
        assert_eq!(
            spread(&pool, "shop-web-1").map(|s| s.id.as_str()),
            Some("a")
        );
        assert_eq!(
            spread(&pool, "shop-web-2").map(|s| s.id.as_str()),
            Some("b")
        );
        assert_eq!(spread(&pool, "shop-web"), spread(&pool, "shop-web"));
        assert_eq!(spread(&[], "x"), None);
    }

    #[test]
    fn private_subnets_are_preferred_when_they_exist() {
        let all = [subnet("pub", "a", true), subnet("priv", "a", false)];
        assert_eq!(private_first(&all, true), vec!["priv".to_string()]);
        assert_eq!(private_first(&all[..1], true), vec!["pub".to_string()]);
        assert_eq!(private_first(&all, false), vec!["pub".to_string()]);
    }
}
