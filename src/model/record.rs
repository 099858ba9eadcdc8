//! The provider-neutral record of a cloud resource, and the tags rift puts on everything it creates.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Provider, ResourceKind};

/// Tag key marking a resource as created by rift.
pub const TAG_MANAGED_BY: &str = "managed-by";
pub const TAG_MANAGED_BY_VALUE: &str = "rift";
/// Tag key carrying the rift project id.
pub const TAG_PROJECT: &str = "rift-project";

/// The provider-neutral record of a cloud resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceRecord {
    pub kind: ResourceKind,
    pub provider: Provider,
    /// The provider's id: droplet id, instance id, VPC uuid, bucket name, ARN for load balancers.
    pub cloud_id: String,
    pub name: String,
    pub region: String,
    /// Size slug for sized kinds; for volumes the size in GB.
    pub size: Option<String>,
    /// The provider's status word, e.g. "active", "running", "available".
    pub state: String,
    /// Public and private addresses and hostnames (with a port where one applies).
    pub endpoints: Vec<String>,
    /// Tags as key → value.
    pub tags: BTreeMap<String, String>,
    /// Ids of companion resources created with it, e.g. {"subnet-public-a": "subnet-…", "target-group": "arn:…"}.
    #[serde(default)]
    pub parts: BTreeMap<String, String>,
    /// USD per month from rift's price catalog; filled by the caller.
    pub monthly_cost: Option<f64>,
}

impl ResourceRecord {
    /// The rift project this resource is tagged with.
    pub fn project(&self) -> Option<&str> {
        self.tags.get(TAG_PROJECT).map(String::as_str)
    }

    pub fn managed_by_rift(&self) -> bool {
        self.tags.get(TAG_MANAGED_BY).map(String::as_str) == Some(TAG_MANAGED_BY_VALUE)
    }
}
