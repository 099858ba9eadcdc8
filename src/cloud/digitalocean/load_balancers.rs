//! Regional load balancers: create, get, list, delete, and adding droplets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::account::{DigitalOcean, base_tags, droplet_id, record, tag_map};
use super::client::{Client, DoError};
use super::droplets::RegionRef;
use crate::cloud::{CloudError, CreateContext, ResourceRecord};
use crate::model::{ListenerRule, PlannedResource, ResourceKind, ResourceSpec};

/// `POST /v2/load_balancers`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadBalancerCreate {
    pub name: String,
    pub region: String,
    /// Nodes, 1–100.
    pub size_unit: u32,
    pub forwarding_rules: Vec<ForwardingRule>,
    pub health_check: HealthCheck,
    pub droplet_ids: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardingRule {
    /// http, https, http2, http3, tcp or udp.
    pub entry_protocol: String,
    pub entry_port: u16,
    pub target_protocol: String,
    pub target_port: u16,
    /// https without a certificate passes TLS through to the droplets.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls_passthrough: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub protocol: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub check_interval_seconds: u32,
    pub response_timeout_seconds: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoadBalancer {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub ip: Option<String>,
    /// new, active or errored.
    pub status: String,
    pub region: RegionRef,
    #[serde(default)]
    pub size_unit: Option<u32>,
    #[serde(default)]
    pub forwarding_rules: Vec<ForwardingRule>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub droplet_ids: Vec<u64>,
    #[serde(default)]
    pub vpc_uuid: Option<String>,
}

#[derive(Serialize)]
struct DropletIds<'a> {
    droplet_ids: &'a [u64],
}

#[derive(Deserialize)]
struct One {
    load_balancer: LoadBalancer,
}

impl Client {
    pub async fn create_load_balancer(
        &self,
        request: &LoadBalancerCreate,
    ) -> Result<LoadBalancer, DoError> {
        let one: One = self.post("/v2/load_balancers", request).await?;
        Ok(one.load_balancer)
    }

    pub async fn get_load_balancer(&self, id: &str) -> Result<LoadBalancer, DoError> {
        let one: One = self.get(&format!("/v2/load_balancers/{id}"), &[]).await?;
        Ok(one.load_balancer)
    }

    /// Every load balancer of the account (they carry no tags to filter by).
    pub async fn list_load_balancers(&self) -> Result<Vec<LoadBalancer>, DoError> {
        self.list_all("/v2/load_balancers", &[], "load_balancers")
            .await
    }

    pub async fn add_load_balancer_droplets(
        &self,
        id: &str,
        droplet_ids: &[u64],
    ) -> Result<(), DoError> {
        self.post_empty(
            &format!("/v2/load_balancers/{id}/droplets"),
            &DropletIds { droplet_ids },
        )
        .await
    }

    pub async fn delete_load_balancer(&self, id: &str) -> Result<(), DoError> {
        self.delete(&format!("/v2/load_balancers/{id}")).await
    }
}

pub(super) fn load_balancer_record(
    lb: &LoadBalancer,
    tags: BTreeMap<String, String>,
) -> ResourceRecord {
    let mut parts = BTreeMap::new();
    if let Some(vpc) = &lb.vpc_uuid {
        parts.insert("vpc".to_string(), vpc.clone());
    }
    ResourceRecord {
        size: lb.size_unit.map(|n| n.to_string()),
        state: lb.status.clone(),
        endpoints: lb.ip.iter().filter(|ip| !ip.is_empty()).cloned().collect(),
        tags,
        parts,
        ..record(
            ResourceKind::LoadBalancer,
            &lb.id,
            &lb.name,
            &lb.region.slug,
        )
    }
}

/// Listener protocols map one to one; https without a certificate is passed through to the droplets.
fn forwarding_rule(listener: &ListenerRule) -> ForwardingRule {
    let protocol = listener.protocol.to_ascii_lowercase();
    ForwardingRule {
        tls_passthrough: protocol == "https",
        entry_protocol: protocol.clone(),
        entry_port: listener.port,
        target_protocol: protocol,
        target_port: listener.target_port,
    }
}

impl DigitalOcean {
    /// A regional load balancer in the project's VPC forwarding to the web droplets.
    pub(super) async fn create_load_balancer_for(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let ResourceSpec::LoadBalancer {
            listeners,
            targets,
            nodes,
            network,
            ..
        } = &resource.spec
        else {
            return Err(CloudError::Invalid(format!(
                "{} is not a load balancer",
                resource.name
            )));
        };
        let vpc_uuid = match network.as_str() {
            "" => None,
            name => Some(ctx.dependency(name)?.cloud_id.clone()),
        };
        let tags = tag_map(&base_tags(&ctx.project_id));
        let droplet_ids = targets
            .iter()
            .map(|t| ctx.dependency(t).and_then(|r| droplet_id(&r.cloud_id)))
            .collect::<Result<Vec<u64>, CloudError>>()?;
        // Load balancers carry no tags: the same name in the project's VPC is this one.
        let existing = self.client.list_load_balancers().await?;
        if let Some(found) = existing
            .iter()
            .find(|lb| lb.name == resource.name && lb.vpc_uuid == vpc_uuid)
        {
            ctx.progress.report(&format!(
                "load balancer {} already exists ({})",
                resource.name, found.id
            ));
            // Targets created since (a droplet replaced after a failed apply) are added, none removed.
            let missing: Vec<u64> = droplet_ids
                .iter()
                .copied()
                .filter(|id| !found.droplet_ids.contains(id))
                .collect();
            if !missing.is_empty() {
                self.client
                    .add_load_balancer_droplets(&found.id, &missing)
                    .await?;
            }
            return Ok(load_balancer_record(found, tags));
        }
        let forwarding_rules: Vec<ForwardingRule> = listeners.iter().map(forwarding_rule).collect();
        let health_port = listeners.first().map_or(80, |l| l.target_port);
        let request = LoadBalancerCreate {
            name: resource.name.clone(),
            region: resource.region.clone(),
            size_unit: (*nodes).clamp(1, 100),
            forwarding_rules,
            // A TCP check works whatever the droplets serve on the port.
            health_check: HealthCheck {
                protocol: "tcp".into(),
                port: health_port,
                path: None,
                check_interval_seconds: 10,
                response_timeout_seconds: 5,
                healthy_threshold: 3,
                unhealthy_threshold: 3,
            },
            droplet_ids,
            vpc_uuid,
        };
        ctx.progress
            .report(&format!("creating load balancer {}", resource.name));
        let mut lb = self.client.create_load_balancer(&request).await?;
        let poll = self.client.config().poll;
        let deadline = Instant::now() + poll.deadline;
        while lb.status == "new" && Instant::now() + poll.interval <= deadline {
            ctx.progress.report(&format!(
                "waiting for load balancer {} ({})",
                lb.name, lb.status
            ));
            tokio::time::sleep(poll.interval).await;
            lb = self.client.get_load_balancer(&lb.id).await?;
        }
        Ok(load_balancer_record(&lb, tags))
    }
}
