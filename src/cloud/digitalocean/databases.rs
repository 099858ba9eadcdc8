//! Managed database clusters (PostgreSQL, MySQL, and Valkey for caches): create, get, list, delete, resize, and
//! the cluster firewall. Connection passwords in the answers are never read into rift's types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::account::{DigitalOcean, base_tags, project_tag, record, tag_map};
use super::client::{Client, DoError};
use crate::cloud::{CloudError, CreateContext, NewSize, Progress, ResourceRecord};
use crate::mapping;
use crate::model::{PlannedResource, Provider, ResourceKind, ResourceSpec};

/// `POST /v2/databases`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseCreate {
    pub name: String,
    /// The API's engine name: pg, mysql, valkey.
    pub engine: String,
    pub version: String,
    pub region: String,
    pub size: String,
    pub num_nodes: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_size_mib: Option<u64>,
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_network_uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Database {
    pub id: String,
    pub name: String,
    pub engine: String,
    #[serde(default)]
    pub version: Option<String>,
    /// creating, online, resizing, migrating, forking.
    pub status: String,
    pub region: String,
    pub size: String,
    pub num_nodes: u32,
    #[serde(default)]
    pub storage_size_mib: Option<u64>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub private_network_uuid: Option<String>,
    #[serde(default)]
    pub connection: Option<Endpoint>,
    #[serde(default)]
    pub private_connection: Option<Endpoint>,
}

/// Where a cluster listens; deliberately without the user, password and URI the API also sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Database {
    /// `host:port` of the private then the public connection.
    pub fn endpoints(&self) -> Vec<String> {
        [&self.private_connection, &self.connection]
            .into_iter()
            .flatten()
            .filter(|e| !e.host.is_empty())
            .map(|e| format!("{}:{}", e.host, e.port))
            .collect()
    }
}

/// `PUT /v2/databases/{uuid}/resize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseResize {
    pub size: String,
    pub num_nodes: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_size_mib: Option<u64>,
}

/// One rule of a cluster's firewall (trusted sources).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseFirewallRule {
    /// droplet, ip_addr, tag, k8s or app.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Serialize, Deserialize)]
struct Rules {
    rules: Vec<DatabaseFirewallRule>,
}

#[derive(Deserialize)]
struct One {
    database: Database,
}

#[derive(Deserialize)]
struct Many {
    #[serde(default, deserialize_with = "super::null_as_empty")]
    databases: Vec<Database>,
}

impl Client {
    pub async fn create_database(&self, request: &DatabaseCreate) -> Result<Database, DoError> {
        let one: One = self.post("/v2/databases", request).await?;
        Ok(one.database)
    }

    pub async fn get_database(&self, id: &str) -> Result<Database, DoError> {
        let one: One = self.get(&format!("/v2/databases/{id}"), &[]).await?;
        Ok(one.database)
    }

    /// Clusters carrying `tag`, or every cluster of the account (the endpoint is not paginated).
    pub async fn list_databases(&self, tag: Option<&str>) -> Result<Vec<Database>, DoError> {
        let query: Vec<(&str, String)> = tag
            .map(|t| ("tag_name", t.to_string()))
            .into_iter()
            .collect();
        let many: Many = self.get("/v2/databases", &query).await?;
        Ok(many.databases)
    }

    pub async fn delete_database(&self, id: &str) -> Result<(), DoError> {
        self.delete(&format!("/v2/databases/{id}")).await
    }

    pub async fn resize_database(&self, id: &str, request: &DatabaseResize) -> Result<(), DoError> {
        self.put_empty(&format!("/v2/databases/{id}/resize"), request)
            .await
    }

    pub async fn database_firewall(&self, id: &str) -> Result<Vec<DatabaseFirewallRule>, DoError> {
        let rules: Rules = self
            .get(&format!("/v2/databases/{id}/firewall"), &[])
            .await?;
        Ok(rules.rules)
    }

    /// Replaces the cluster's trusted sources with `rules`.
    pub async fn set_database_firewall(
        &self,
        id: &str,
        rules: &[DatabaseFirewallRule],
    ) -> Result<(), DoError> {
        let body = Rules {
            rules: rules.to_vec(),
        };
        self.put_empty(&format!("/v2/databases/{id}/firewall"), &body)
            .await
    }
}

/// The record of a cluster; its kind follows the engine (a Valkey cluster serves a cache).
pub(super) fn database_record(cluster: &Database) -> ResourceRecord {
    let kind = if matches!(cluster.engine.as_str(), "valkey" | "redis") {
        ResourceKind::Cache
    } else {
        ResourceKind::Database
    };
    let mut parts = BTreeMap::from([("engine".to_string(), cluster.engine.clone())]);
    if let Some(version) = &cluster.version {
        parts.insert("version".into(), version.clone());
    }
    parts.insert("nodes".into(), cluster.num_nodes.to_string());
    if let Some(mib) = cluster.storage_size_mib {
        parts.insert("storage_gb".into(), (mib / 1024).to_string());
    }
    ResourceRecord {
        size: Some(cluster.size.clone()),
        state: cluster.status.clone(),
        endpoints: cluster.endpoints(),
        tags: tag_map(&cluster.tags),
        parts,
        ..record(kind, &cluster.id, &cluster.name, &cluster.region)
    }
}

impl DigitalOcean {
    /// A managed cluster (database or cache) in the project's VPC whose firewall admits only the servers
    /// allowed to reach it.
    pub(super) async fn create_database_cluster(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let (engine, version, storage_gb, nodes, network, allowed_from) = match &resource.spec {
            ResourceSpec::Database {
                engine,
                version,
                storage_gb,
                nodes,
                network,
                allowed_from,
                ..
            } => (*engine, version, *storage_gb, *nodes, network, allowed_from),
            ResourceSpec::Cache {
                engine,
                version,
                nodes,
                network,
                allowed_from,
                ..
            } => (*engine, version, 0, *nodes, network, allowed_from),
            _ => {
                return Err(CloudError::Invalid(format!(
                    "{} is not a database or cache",
                    resource.name
                )));
            }
        };
        let rules = trusted_sources(ctx, allowed_from)?;
        let project = project_tag(&ctx.project_id);
        let existing = self.client.list_databases(Some(&project)).await?;
        if let Some(found) = existing.iter().find(|d| d.name == resource.name) {
            ctx.progress.report(&format!(
                "cluster {} already exists ({})",
                resource.name, found.id
            ));
            // A create interrupted before its firewall was set left the cluster open: finish it now.
            let current = self.client.database_firewall(&found.id).await?;
            let missing = rules.iter().any(|rule| {
                !current
                    .iter()
                    .any(|c| c.kind == rule.kind && c.value == rule.value)
            });
            if missing {
                self.client.set_database_firewall(&found.id, &rules).await?;
            }
            return Ok(ResourceRecord {
                kind: resource.kind,
                ..database_record(found)
            });
        }
        let (offering, version) =
            mapping::engine(Provider::Digitalocean, resource.kind, engine, Some(version))
                .map_err(|e| CloudError::Invalid(e.to_string()))?;
        let size = resource
            .size
            .clone()
            .ok_or_else(|| CloudError::Invalid(format!("{} has no size", resource.name)))?;
        // Each size includes storage; only a larger request is sent, as the API rejects less than included.
        let included = mapping::find_size(Provider::Digitalocean, resource.kind, &size)
            .map(|s| s.disk_gb)
            .unwrap_or(0);
        let storage_size_mib = (storage_gb > included).then(|| u64::from(storage_gb) * 1024);
        let private_network_uuid = match network.as_str() {
            "" => None,
            name => Some(ctx.dependency(name)?.cloud_id.clone()),
        };
        let request = DatabaseCreate {
            name: resource.name.clone(),
            engine: offering.native_name.to_string(),
            version: version.to_string(),
            region: resource.region.clone(),
            size,
            num_nodes: nodes.max(1),
            storage_size_mib,
            tags: base_tags(&ctx.project_id),
            private_network_uuid,
        };
        ctx.progress.report(&format!(
            "creating {} cluster {}",
            request.engine, resource.name
        ));
        let created = self.client.create_database(&request).await?;
        let cluster = self.wait_until_online(created, &ctx.progress).await?;
        if !rules.is_empty() {
            self.client
                .set_database_firewall(&cluster.id, &rules)
                .await?;
        }
        let mut record = ResourceRecord {
            kind: resource.kind,
            ..database_record(&cluster)
        };
        // The tags rift sent, whether or not the answer repeats them.
        record.tags.extend(tag_map(&request.tags));
        Ok(record)
    }

    /// Polls until the cluster is online or the deadline passes (then the record shows it still creating).
    async fn wait_until_online(
        &self,
        mut cluster: Database,
        progress: &Progress,
    ) -> Result<Database, CloudError> {
        let poll = self.client.config().poll;
        let deadline = Instant::now() + poll.deadline;
        while cluster.status != "online" && Instant::now() + poll.interval <= deadline {
            progress.report(&format!(
                "waiting for cluster {} ({})",
                cluster.name, cluster.status
            ));
            tokio::time::sleep(poll.interval).await;
            cluster = self.client.get_database(&cluster.id).await?;
        }
        Ok(cluster)
    }

    /// A new size slug keeps the node count; a storage size keeps the size.
    pub(super) async fn resize_cluster(
        &self,
        id: &str,
        to: &NewSize,
    ) -> Result<ResourceRecord, CloudError> {
        let cluster = self.client.get_database(id).await?;
        let request = match to {
            NewSize::Slug(size) => DatabaseResize {
                size: size.clone(),
                num_nodes: cluster.num_nodes,
                storage_size_mib: None,
            },
            NewSize::StorageGb(gb) => DatabaseResize {
                size: cluster.size.clone(),
                num_nodes: cluster.num_nodes,
                storage_size_mib: Some(u64::from(*gb) * 1024),
            },
        };
        self.client.resize_database(id, &request).await?;
        Ok(database_record(&self.client.get_database(id).await?))
    }
}

/// The servers allowed to connect: droplets by id, anything else by its IP addresses.
fn trusted_sources(
    ctx: &CreateContext,
    allowed_from: &[String],
) -> Result<Vec<DatabaseFirewallRule>, CloudError> {
    let mut rules = Vec::new();
    for name in allowed_from {
        let source = ctx.dependency(name)?;
        if source.provider == Provider::Digitalocean && source.kind == ResourceKind::WebServer {
            rules.push(DatabaseFirewallRule {
                kind: "droplet".into(),
                value: source.cloud_id.clone(),
            });
        } else {
            rules.extend(
                source
                    .endpoints
                    .iter()
                    .filter(|e| e.parse::<std::net::IpAddr>().is_ok())
                    .map(|ip| DatabaseFirewallRule {
                        kind: "ip_addr".into(),
                        value: ip.clone(),
                    }),
            );
        }
    }
    Ok(rules)
}
