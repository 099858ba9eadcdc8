//! VPCs: create, get, list, delete.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::account::{DigitalOcean, base_tags, project_tag, record, tag_map};
use super::client::{Client, DoError};
use crate::cloud::{CloudError, CreateContext, ResourceRecord, TAG_MANAGED_BY, TAG_PROJECT};
use crate::model::{PlannedResource, ResourceKind, ResourceSpec};

/// `POST /v2/vpcs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VpcCreate {
    pub name: String,
    pub region: String,
    /// VPCs carry no tags: rift writes its tags here, so it can find its VPCs again.
    pub description: String,
    /// None lets DigitalOcean pick a range that overlaps no other VPC of the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Vpc {
    pub id: String,
    pub name: String,
    pub region: String,
    #[serde(default)]
    pub ip_range: String,
    #[serde(default)]
    pub description: String,
    /// The region's default VPC, made by DigitalOcean.
    #[serde(default)]
    pub default: bool,
}

#[derive(Deserialize)]
struct One {
    vpc: Vpc,
}

impl Client {
    pub async fn create_vpc(&self, request: &VpcCreate) -> Result<Vpc, DoError> {
        let one: One = self.post("/v2/vpcs", request).await?;
        Ok(one.vpc)
    }

    pub async fn get_vpc(&self, id: &str) -> Result<Vpc, DoError> {
        let one: One = self.get(&format!("/v2/vpcs/{id}"), &[]).await?;
        Ok(one.vpc)
    }

    /// Every VPC of the account (every page).
    pub async fn list_vpcs(&self) -> Result<Vec<Vpc>, DoError> {
        self.list_all("/v2/vpcs", &[], "vpcs").await
    }

    pub async fn delete_vpc(&self, id: &str) -> Result<(), DoError> {
        self.delete(&format!("/v2/vpcs/{id}")).await
    }
}

/// Whether rift created the VPC for this project (its tags are in the description).
pub(super) fn marks_project(vpc: &Vpc, project_id: &str) -> bool {
    let project = project_tag(project_id);
    vpc.description
        .split_whitespace()
        .any(|word| word == project)
}

pub(super) fn vpc_record(vpc: &Vpc) -> ResourceRecord {
    let tags: Vec<String> = vpc
        .description
        .split_whitespace()
        .filter(|w| {
            w.starts_with(&format!("{TAG_MANAGED_BY}:"))
                || w.starts_with(&format!("{TAG_PROJECT}:"))
        })
        .map(str::to_string)
        .collect();
    ResourceRecord {
        state: "available".into(),
        tags: tag_map(&tags),
        parts: BTreeMap::from([("ip_range".to_string(), vpc.ip_range.clone())]),
        ..record(ResourceKind::Network, &vpc.id, &vpc.name, &vpc.region)
    }
}

impl DigitalOcean {
    pub(super) async fn create_network(
        &self,
        ctx: &CreateContext,
        resource: &PlannedResource,
    ) -> Result<ResourceRecord, CloudError> {
        let ResourceSpec::Network { cidr, .. } = &resource.spec else {
            return Err(CloudError::Invalid(format!(
                "{} is not a network",
                resource.name
            )));
        };
        let existing = self.client.list_vpcs().await?;
        if let Some(found) = existing
            .iter()
            .find(|v| v.name == resource.name && marks_project(v, &ctx.project_id))
        {
            ctx.progress.report(&format!(
                "VPC {} already exists ({})",
                resource.name, found.id
            ));
            return Ok(vpc_record(found));
        }
        let request = VpcCreate {
            name: resource.name.clone(),
            region: resource.region.clone(),
            description: base_tags(&ctx.project_id).join(" "),
            ip_range: cidr.clone(),
        };
        ctx.progress
            .report(&format!("creating VPC {}", resource.name));
        let created = self.client.create_vpc(&request).await?;
        // The tags rift wrote into the description, whether or not the answer repeats them.
        Ok(ResourceRecord {
            tags: tag_map(&base_tags(&ctx.project_id)),
            ..vpc_record(&created)
        })
    }
}
