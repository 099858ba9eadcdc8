//! ElastiCache clusters (Valkey or Redis OSS, one node) with their cache subnet group.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_elasticache::types::{CacheCluster, Tag};

use super::{AwsClients, Tags, code, not_found, not_found_as, record, sdk_error, wait_for};
use crate::cloud::{
    CloudError, Owner, Pages, Progress, ResourceRecord, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE,
};
use crate::model::ResourceKind;

const NOT_FOUND: &[&str] = &["CacheClusterNotFound", "CacheClusterNotFoundFault"];
const SUBNET_GROUP_NOT_FOUND: &[&str] =
    &["CacheSubnetGroupNotFoundFault", "CacheSubnetGroupNotFound"];
const DEADLINE: Duration = Duration::from_secs(30 * 60);
/// Cache cluster ids: at most 40 characters.
pub const IDENTIFIER_MAX: usize = crate::mapping::naming::ELASTICACHE_ID_MAX;

#[derive(Debug, Clone, Copy)]
pub struct CacheSpec<'a> {
    /// ElastiCache's engine name ("valkey", "redis"): the mapping's native name.
    pub engine: &'a str,
    pub version: &'a str,
    /// Node type, e.g. "cache.t3.micro".
    pub node_type: &'a str,
    pub port: u16,
    /// The network's private subnets.
    pub subnet_ids: &'a [String],
    pub security_group_ids: &'a [String],
}

/// Creates the subnet group and the cluster (or finds what a previous call created) and waits until it is
/// available.
pub async fn create(
    c: &AwsClients,
    tags: &Tags,
    spec: CacheSpec<'_>,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let id = tags.identifier(IDENTIFIER_MAX);
    ensure_subnet_group(c, tags, &id, spec.subnet_ids).await?;
    let created = c
        .elasticache
        .create_cache_cluster()
        .cache_cluster_id(&id)
        .engine(spec.engine)
        .engine_version(spec.version)
        .cache_node_type(spec.node_type)
        .num_cache_nodes(1)
        .port(i32::from(spec.port))
        .cache_subnet_group_name(&id)
        .set_security_group_ids(Some(spec.security_group_ids.to_vec()))
        .set_tags(Some(cache_tags(tags)))
        .send()
        .await
        .map_err(|e| sdk_error("elasticache:CreateCacheCluster", e));
    match created {
        // The id is derived from project and name, so "already exists" is a retry of this create.
        Err(e) if code(&e) == Some("CacheClusterAlreadyExists") => {}
        other => {
            other?;
        }
    }
    wait_available(c, &id, progress).await
}

pub async fn get(c: &AwsClients, id: &str) -> Result<ResourceRecord, CloudError> {
    let cluster = describe(c, id).await?;
    let tags = tags_of(c, &cluster).await?;
    Ok(cluster_record(c, &cluster, tags))
}

/// The clusters rift created for a project (ElastiCache cannot filter by tag, so each cluster's tags are read).
pub async fn list(c: &AwsClients, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = Pages::new("elasticache:DescribeCacheClusters");
    loop {
        let out = c
            .elasticache
            .describe_cache_clusters()
            .show_cache_node_info(true)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| sdk_error("elasticache:DescribeCacheClusters", e))?;
        // A cluster being deleted is gone as far as the project is concerned.
        for cluster in out
            .cache_clusters()
            .iter()
            .filter(|k| k.cache_cluster_status() != Some("deleting"))
        {
            let record = cluster_record(c, cluster, tags_of(c, cluster).await?);
            if owner.owns(&record) {
                found.push(record);
            }
        }
        match pages.next(out.marker())? {
            Some(next) => marker = Some(next),
            None => return Ok(found),
        }
    }
}

/// Changes the node type, applied now.
pub async fn resize(
    c: &AwsClients,
    id: &str,
    node_type: &str,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let current = get(c, id).await?;
    if current.size.as_deref() == Some(node_type) {
        return Ok(current);
    }
    not_found_as(
        c.elasticache
            .modify_cache_cluster()
            .cache_cluster_id(id)
            .cache_node_type(node_type)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| sdk_error("elasticache:ModifyCacheCluster", e)),
        NOT_FOUND,
        ResourceKind::Cache,
        id,
    )?;
    wait_available(c, id, progress).await
}

/// Deletes the cluster. ElastiCache then keeps it "deleting" for minutes and refuses to delete its subnet group
/// until it is gone; rather than hold the call that long, the subnet group (free of charge, and reused if the
/// cache is created again) is removed with the VPC (see [`delete_subnet_groups_in_vpc`]).
pub async fn delete(c: &AwsClients, id: &str) -> Result<(), CloudError> {
    let cluster = describe(c, id).await?;
    if cluster.cache_cluster_status() == Some("deleting") {
        return Err(not_found(ResourceKind::Cache, id));
    }
    not_found_as(
        c.elasticache
            .delete_cache_cluster()
            .cache_cluster_id(id)
            .send()
            .await
            .map_err(|e| sdk_error("elasticache:DeleteCacheCluster", e)),
        NOT_FOUND,
        ResourceKind::Cache,
        id,
    )?;
    Ok(())
}

/// Deletes the cache subnet groups rift created in a VPC, each once no cluster uses it any more.
pub(crate) async fn delete_subnet_groups_in_vpc(
    c: &AwsClients,
    vpc_id: &str,
    progress: &Progress,
) -> Result<(), CloudError> {
    let out = c
        .elasticache
        .describe_cache_subnet_groups()
        .send()
        .await
        .map_err(|e| sdk_error("elasticache:DescribeCacheSubnetGroups", e))?;
    for group in out.cache_subnet_groups() {
        let (Some(name), Some(arn)) = (group.cache_subnet_group_name(), group.arn()) else {
            continue;
        };
        if group.vpc_id() != Some(vpc_id) {
            continue;
        }
        let tags = arn_tags(c, arn).await?;
        if tags.get(TAG_MANAGED_BY).map(String::as_str) != Some(TAG_MANAGED_BY_VALUE) {
            continue;
        }
        wait_for(
            &format!("cache clusters using subnet group {name} to be deleted"),
            DEADLINE,
            progress,
            || async {
                let clusters = c
                    .elasticache
                    .describe_cache_clusters()
                    .send()
                    .await
                    .map_err(|e| sdk_error("elasticache:DescribeCacheClusters", e))?;
                let in_use = clusters
                    .cache_clusters()
                    .iter()
                    .any(|k| k.cache_subnet_group_name() == Some(name));
                Ok((!in_use).then_some(()))
            },
        )
        .await?;
        let deleted = c
            .elasticache
            .delete_cache_subnet_group()
            .cache_subnet_group_name(name)
            .send()
            .await
            .map_err(|e| sdk_error("elasticache:DeleteCacheSubnetGroup", e));
        match deleted {
            Err(e) if code(&e).is_some_and(|c| SUBNET_GROUP_NOT_FOUND.contains(&c)) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

async fn describe(c: &AwsClients, id: &str) -> Result<CacheCluster, CloudError> {
    let out = not_found_as(
        c.elasticache
            .describe_cache_clusters()
            .cache_cluster_id(id)
            .show_cache_node_info(true)
            .send()
            .await
            .map_err(|e| sdk_error("elasticache:DescribeCacheClusters", e)),
        NOT_FOUND,
        ResourceKind::Cache,
        id,
    )?;
    out.cache_clusters()
        .first()
        .cloned()
        .ok_or_else(|| not_found(ResourceKind::Cache, id))
}

async fn wait_available(
    c: &AwsClients,
    id: &str,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    wait_for(
        &format!("cache cluster {id} to be available"),
        DEADLINE,
        progress,
        || async {
            let record = get(c, id).await?;
            if matches!(
                record.state.as_str(),
                "create-failed" | "incompatible-network"
            ) {
                return Err(CloudError::Invalid(format!(
                    "cache cluster {id} is {}; see its events in the ElastiCache console",
                    record.state
                )));
            }
            Ok((record.state == "available").then_some(record))
        },
    )
    .await
}

async fn tags_of(
    c: &AwsClients,
    cluster: &CacheCluster,
) -> Result<BTreeMap<String, String>, CloudError> {
    match cluster.arn() {
        Some(arn) => arn_tags(c, arn).await,
        None => Ok(BTreeMap::new()),
    }
}

async fn arn_tags(c: &AwsClients, arn: &str) -> Result<BTreeMap<String, String>, CloudError> {
    let out = c
        .elasticache
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| sdk_error("elasticache:ListTagsForResource", e))?;
    Ok(out
        .tag_list()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect())
}

async fn ensure_subnet_group(
    c: &AwsClients,
    tags: &Tags,
    name: &str,
    subnet_ids: &[String],
) -> Result<(), CloudError> {
    let existing = c
        .elasticache
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(name)
        .send()
        .await
        .map_err(|e| sdk_error("elasticache:DescribeCacheSubnetGroups", e));
    match existing {
        Ok(out) if !out.cache_subnet_groups().is_empty() => return Ok(()),
        Ok(_) => {}
        Err(e) if code(&e).is_some_and(|c| SUBNET_GROUP_NOT_FOUND.contains(&c)) => {}
        Err(e) => return Err(e),
    }
    c.elasticache
        .create_cache_subnet_group()
        .cache_subnet_group_name(name)
        .cache_subnet_group_description(format!("rift {} (project {})", tags.name, tags.project))
        .set_subnet_ids(Some(subnet_ids.to_vec()))
        .set_tags(Some(cache_tags(tags)))
        .send()
        .await
        .map_err(|e| sdk_error("elasticache:CreateCacheSubnetGroup", e))?;
    Ok(())
}

fn cache_tags(tags: &Tags) -> Vec<Tag> {
    tags.pairs()
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn cluster_record(
    c: &AwsClients,
    cluster: &CacheCluster,
    tags: BTreeMap<String, String>,
) -> ResourceRecord {
    let mut record = record(
        ResourceKind::Cache,
        cluster.cache_cluster_id().unwrap_or_default(),
        &c.region,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    record.size = cluster.cache_node_type().map(str::to_string);
    record.state = cluster
        .cache_cluster_status()
        .unwrap_or_default()
        .to_string();
    record.endpoints = cluster
        .cache_nodes()
        .iter()
        .filter_map(|n| n.endpoint())
        .filter_map(|e| Some(format!("{}:{}", e.address()?, e.port().unwrap_or(6379))))
        .collect();
    let parts = [
        ("engine", cluster.engine()),
        ("engine_version", cluster.engine_version()),
        ("subnet_group", cluster.cache_subnet_group_name()),
        ("arn", cluster.arn()),
    ];
    for (key, value) in parts {
        if let Some(value) = value {
            record.parts.insert(key.into(), value.to_string());
        }
    }
    record
}
