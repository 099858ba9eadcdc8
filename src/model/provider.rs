use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A cloud rift can plan for and provision on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Digitalocean,
    Aws,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Digitalocean, Provider::Aws];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Digitalocean => "digitalocean",
            Provider::Aws => "aws",
        }
    }

    /// "a" or "an", for messages that say "an aws database" or "a digitalocean region".
    pub fn article(self) -> &'static str {
        match self {
            Provider::Digitalocean => "a",
            Provider::Aws => "an",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a component is for, independent of the cloud that serves it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    WebServer,
    Database,
    LoadBalancer,
    BlockStorage,
    ObjectStorage,
    Network,
    Firewall,
    Cache,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 8] = [
        ResourceKind::WebServer,
        ResourceKind::Database,
        ResourceKind::LoadBalancer,
        ResourceKind::BlockStorage,
        ResourceKind::ObjectStorage,
        ResourceKind::Network,
        ResourceKind::Firewall,
        ResourceKind::Cache,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::WebServer => "web_server",
            ResourceKind::Database => "database",
            ResourceKind::LoadBalancer => "load_balancer",
            ResourceKind::BlockStorage => "block_storage",
            ResourceKind::ObjectStorage => "object_storage",
            ResourceKind::Network => "network",
            ResourceKind::Firewall => "firewall",
            ResourceKind::Cache => "cache",
        }
    }

    /// "a" or "an", for messages that say "an object_storage" or "a database".
    pub fn article(self) -> &'static str {
        match self {
            ResourceKind::ObjectStorage => "an",
            _ => "a",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
