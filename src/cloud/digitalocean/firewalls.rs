//! Cloud firewalls (create, get, list, delete) and the tags they apply by.

use serde::{Deserialize, Serialize};

use super::account::{
    DigitalOcean, FIREWALL_TAG_PREFIX, base_tags, droplet_id, firewall_tag, record, tag_map,
};
use super::client::{Client, DoError};
use crate::cloud::{CloudError, CreateContext, ResourceRecord};
use crate::model::{
    AccessSource, FirewallRule, PlannedResource, Provider, ResourceKind, ResourceSpec,
};

/// `POST /v2/firewalls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirewallCreate {
    pub name: String,
    pub inbound_rules: Vec<InboundRule>,
    pub outbound_rules: Vec<OutboundRule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub droplet_ids: Vec<u64>,
    /// Droplets with any of these tags are protected; the tags must exist first ([`Client::create_tag`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRule {
    /// tcp, udp or icmp.
    pub protocol: String,
    /// "80", "8000-9000" or "all".
    pub ports: String,
    pub sources: Targets,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundRule {
    pub protocol: String,
    pub ports: String,
    pub destinations: Targets,
}

/// Sources of an inbound rule or destinations of an outbound one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub droplet_ids: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_uids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Firewall {
    pub id: String,
    pub name: String,
    /// waiting, succeeded or failed.
    pub status: String,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub inbound_rules: Vec<InboundRule>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub outbound_rules: Vec<OutboundRule>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub droplet_ids: Vec<u64>,
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub tags: Vec<String>,
}

#[derive(Deserialize)]
struct One {
    firewall: Firewall,
}

#[derive(Serialize)]
struct TagCreate<'a> {
    name: &'a str,
}

impl Client {
    pub async fn create_firewall(&self, request: &FirewallCreate) -> Result<Firewall, DoError> {
        let one: One = self.post("/v2/firewalls", request).await?;
        Ok(one.firewall)
    }

    pub async fn get_firewall(&self, id: &str) -> Result<Firewall, DoError> {
        let one: One = self.get(&format!("/v2/firewalls/{id}"), &[]).await?;
        Ok(one.firewall)
    }

    /// Every firewall of the account (every page); firewalls carry no tags of their own.
    pub async fn list_firewalls(&self) -> Result<Vec<Firewall>, DoError> {
        self.list_all("/v2/firewalls", &[], "firewalls").await
    }

    pub async fn delete_firewall(&self, id: &str) -> Result<(), DoError> {
        self.delete(&format!("/v2/firewalls/{id}")).await
    }

    /// Creates a tag (a no-op answer when it exists), so a firewall can refer to it before any droplet has it.
    pub async fn create_tag(&self, name: &str) -> Result<(), DoError> {
        let _: serde_json::Value = self.post("/v2/tags", &TagCreate { name }).await?;
        Ok(())
    }
}

/// Firewalls carry no tags of their own: rift's are known by the tag they apply by, which names the project.
pub(super) fn firewall_record(firewall: &Firewall) -> ResourceRecord {
    let project = firewall.tags.iter().find_map(|t| {
        let rest = t.strip_prefix(FIREWALL_TAG_PREFIX)?;
        rest.split_once(':').map(|(project, _)| project.to_string())
    });
    let tags = project.map(|p| tag_map(&base_tags(&p))).unwrap_or_default();
    ResourceRecord {
        state: firewall.status.clone(),
        tags,
        parts: firewall
            .tags
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("applies_to_tag_{i}"), t.clone()))
            .collect(),
        ..record(ResourceKind::Firewall, &firewall.id, &firewall.name, "")
    }
}

const EVERYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];

impl DigitalOcean {
    /// A firewall applying by a tag its droplets carry from creation on; outbound traffic is open.
    pub(super) async fn create_firewall_for(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let ResourceSpec::Firewall { inbound, .. } = &resource.spec else {
            return Err(CloudError::Invalid(format!(
                "{} is not a firewall",
                resource.name
            )));
        };
        let guard = firewall_tag(&ctx.project_id, &resource.name);
        // Firewalls carry no tags: the same name applying by this project's tag is this one.
        let existing = self.client.list_firewalls().await?;
        if let Some(found) = existing
            .iter()
            .find(|f| f.name == resource.name && f.tags.contains(&guard))
        {
            ctx.progress.report(&format!(
                "firewall {} already exists ({})",
                resource.name, found.id
            ));
            return Ok(firewall_record(found));
        }
        let inbound_rules = inbound
            .iter()
            .map(|rule| inbound_rule(ctx, rule))
            .collect::<Result<Vec<_>, CloudError>>()?;
        // ICMP rules take no ports, which the API's schema requires: TCP and UDP cover what servers need.
        let outbound_rules = ["tcp", "udp"]
            .into_iter()
            .map(|protocol| OutboundRule {
                protocol: protocol.into(),
                ports: "all".into(),
                destinations: Targets {
                    addresses: EVERYWHERE.map(String::from).to_vec(),
                    ..Targets::default()
                },
            })
            .collect();
        self.client.create_tag(&guard).await?;
        let request = FirewallCreate {
            name: resource.name.clone(),
            inbound_rules,
            outbound_rules,
            droplet_ids: Vec::new(),
            tags: vec![guard],
        };
        ctx.progress
            .report(&format!("creating firewall {}", resource.name));
        let created = self.client.create_firewall(&request).await?;
        Ok(ResourceRecord {
            tags: tag_map(&base_tags(&ctx.project_id)),
            ..firewall_record(&created)
        })
    }
}

fn inbound_rule(ctx: &CreateContext, rule: &FirewallRule) -> Result<InboundRule, CloudError> {
    let sources = match &rule.source {
        AccessSource::Anywhere => Targets {
            addresses: EVERYWHERE.map(String::from).to_vec(),
            ..Targets::default()
        },
        AccessSource::Addresses(cidr) => Targets {
            addresses: vec![cidr.clone()],
            ..Targets::default()
        },
        AccessSource::Network(name) => {
            let network = ctx.dependency(name)?;
            let range = network.parts.get("ip_range").cloned().ok_or_else(|| {
                CloudError::Invalid(format!("network {name} has no address range on record"))
            })?;
            Targets {
                addresses: vec![range],
                ..Targets::default()
            }
        }
        AccessSource::Resource(name) => {
            let source = ctx.dependency(name)?;
            match (source.provider, source.kind) {
                (Provider::Digitalocean, ResourceKind::LoadBalancer) => Targets {
                    load_balancer_uids: vec![source.cloud_id.clone()],
                    ..Targets::default()
                },
                (Provider::Digitalocean, ResourceKind::WebServer) => Targets {
                    droplet_ids: vec![droplet_id(&source.cloud_id)?],
                    ..Targets::default()
                },
                (Provider::Digitalocean, ResourceKind::Firewall) => Targets {
                    tags: vec![firewall_tag(&ctx.project_id, name)],
                    ..Targets::default()
                },
                // Another cloud's server reaches in over the internet, from its public addresses.
                _ => Targets {
                    addresses: source
                        .endpoints
                        .iter()
                        .filter(|e| e.parse::<std::net::IpAddr>().is_ok())
                        .cloned()
                        .collect(),
                    ..Targets::default()
                },
            }
        }
    };
    Ok(InboundRule {
        protocol: rule.protocol.to_ascii_lowercase(),
        ports: rule.port.to_string(),
        sources,
    })
}
