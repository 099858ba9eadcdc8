//! The requirements vocabulary shared by `plan_deployment`, `estimate_cost` and `compare_providers`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Provider, ResourceKind};

/// A deployment described by what it needs, not by cloud resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentRequest {
    /// Project or deployment name: lowercase letters, digits and hyphens. Prefixes every resource name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Default provider for components that do not name one; required unless every component names its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// Default region per provider, e.g. {"aws": "us-east-1", "digitalocean": "nyc3"}.
    #[serde(default)]
    pub regions: Regions,
    /// What to deploy: at least one component.
    pub components: Vec<Component>,
}

/// Default region per provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Regions {
    /// AWS region code, e.g. "us-east-1".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<String>,
    /// DigitalOcean region slug, e.g. "nyc3".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digitalocean: Option<String>,
}

impl Regions {
    pub fn get(&self, provider: Provider) -> Option<&str> {
        match provider {
            Provider::Aws => self.aws.as_deref(),
            Provider::Digitalocean => self.digitalocean.as_deref(),
        }
    }
}

/// One requirement: a kind plus what it needs (or an exact size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Unique; lowercase letters, digits and hyphens.
    pub name: String,
    pub kind: ResourceKind,
    /// Overrides the request's default provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// Overrides the request's region for this provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Exact size slug (e.g. "s-2vcpu-4gb", "t3.medium", "db.t3.medium"); instead of vcpus/memory_gb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Minimum vCPUs per node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub vcpus: Option<u32>,
    /// Minimum memory per node in GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<f64>,
    /// Minimum storage in GB: database storage, volume size, or expected object storage use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_gb: Option<u32>,
    /// Instances or nodes (web servers, volumes: at most 50); default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub count: Option<u32>,
    /// Database or cache engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// Engine major version, e.g. "16" for PostgreSQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// TCP ports to open or (load balancers) listen on; web servers default 80, 443. 22 only from ssh_from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(range(min = 1, max = 65535)))]
    pub ports: Option<Vec<u16>>,
    /// Web servers, firewalls: IPv4 CIDR ranges admitted to SSH (port 22); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_from: Option<Vec<String>>,
    /// Databases, caches: the web_server components that connect to it; default every web server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serves: Option<Vec<String>>,
    /// Standby/Multi-AZ for databases and caches; two nodes for load balancers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_availability: Option<bool>,
    /// Web servers: reachable from the internet (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Web servers: a DigitalOcean image slug or an AWS AMI id; default Ubuntu 24.04 / Amazon Linux 2023.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Web servers: cloud-init user data (at most 16 KB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// Web servers: DigitalOcean SSH key ids or fingerprints; one AWS key pair name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_keys: Option<Vec<String>>,
}

impl Component {
    /// A component of this kind with nothing else stated: every default applies.
    pub fn new(name: impl Into<String>, kind: ResourceKind) -> Component {
        Component {
            name: name.into(),
            kind,
            provider: None,
            region: None,
            size: None,
            vcpus: None,
            memory_gb: None,
            storage_gb: None,
            count: None,
            engine: None,
            version: None,
            ports: None,
            ssh_from: None,
            serves: None,
            high_availability: None,
            public: None,
            image: None,
            user_data: None,
            ssh_keys: None,
        }
    }
}

/// Database and cache engines rift maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Valkey,
    Redis,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Valkey => "valkey",
            Engine::Redis => "redis",
        }
    }

    /// Whether the engine serves a cache rather than a relational database.
    pub fn is_cache(self) -> bool {
        matches!(self, Engine::Valkey | Engine::Redis)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
