//! A plan: the concrete cloud resources that serve a deployment request.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Engine, Provider, ResourceKind};

/// The resources rift would create, per provider, in dependency order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// Stable id derived from the request: the same request always gives the same id.
    pub plan_id: String,
    /// Deployment name; prefixes every resource name.
    pub name: String,
    /// Providers this plan uses.
    pub providers: Vec<Provider>,
    /// Resources in dependency order (every resource comes after what it depends on).
    pub resources: Vec<PlannedResource>,
    /// Things the user should know: burstable sizes, single points of failure, cross-cloud traffic.
    pub warnings: Vec<String>,
}

/// What a web server boots with: its image (None for the provider's default), user data and SSH keys.
pub struct Boot<'a> {
    pub image: Option<&'a str>,
    pub user_data: Option<&'a str>,
    pub ssh_keys: &'a [String],
}

impl PlannedResource {
    /// The boot settings of a web server; None for other kinds.
    pub fn boot(&self) -> Option<Boot<'_>> {
        match &self.spec {
            ResourceSpec::WebServer {
                image,
                user_data,
                ssh_keys,
                ..
            } => Some(Boot {
                image: image.as_deref(),
                user_data: user_data.as_deref(),
                ssh_keys,
            }),
            _ => None,
        }
    }
}

impl Plan {
    pub fn resource(&self, name: &str) -> Option<&PlannedResource> {
        self.resources.iter().find(|r| r.name == name)
    }
}

/// One cloud resource (with the parts it needs to work, such as an AWS VPC's subnets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlannedResource {
    /// Unique name in the plan, used for the cloud resource's name and in `depends_on`.
    pub name: String,
    /// The requirement component this resource serves; derived resources name the component they were derived for.
    pub component: String,
    pub provider: Provider,
    pub kind: ResourceKind,
    /// Terraform resource type of the main resource, e.g. "digitalocean_droplet" or "aws_instance".
    pub terraform_type: String,
    pub region: String,
    /// Size slug for sized kinds (instance type, droplet size, database class, cache node type); null otherwise.
    pub size: Option<String>,
    /// Names of the resources this one needs to exist first.
    pub depends_on: Vec<String>,
    /// True when rift added the resource because others need it (a network, a firewall).
    pub derived: bool,
    /// Kind-specific settings.
    pub spec: ResourceSpec,
}

/// Kind-specific settings of a planned resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResourceSpec {
    WebServer {
        vcpus: u32,
        memory_gb: f64,
        /// Root disk in GB (included in the droplet size on DigitalOcean; an EBS root volume on AWS).
        disk_gb: u32,
        /// Has a public IPv4 address.
        public: bool,
        /// The network it lives in.
        network: String,
        /// Firewalls (security groups) attached to it.
        firewalls: Vec<String>,
        /// Image slug or AMI id; null for the provider's default.
        image: Option<String>,
        /// Cloud-init user data.
        user_data: Option<String>,
        /// SSH keys (DigitalOcean ids or fingerprints; an AWS key pair name).
        ssh_keys: Vec<String>,
    },
    Database {
        engine: Engine,
        version: String,
        vcpus: u32,
        memory_gb: f64,
        storage_gb: u32,
        /// Total nodes including standbys (DigitalOcean); 1 or 2 (Multi-AZ) on AWS.
        nodes: u32,
        high_availability: bool,
        port: u16,
        network: String,
        firewalls: Vec<String>,
        /// Web servers allowed to connect.
        allowed_from: Vec<String>,
        /// Reachable from outside its network (only when servers in another cloud connect to it).
        public: bool,
    },
    Cache {
        engine: Engine,
        version: String,
        vcpus: u32,
        memory_gb: f64,
        nodes: u32,
        port: u16,
        network: String,
        firewalls: Vec<String>,
        allowed_from: Vec<String>,
    },
    LoadBalancer {
        /// Ports the load balancer listens on and forwards to the same port on its targets.
        listeners: Vec<ListenerRule>,
        /// Web servers it balances.
        targets: Vec<String>,
        /// Nodes (DigitalOcean size units); AWS ALBs scale themselves and span two availability zones.
        nodes: u32,
        network: String,
        firewalls: Vec<String>,
    },
    BlockStorage {
        size_gb: u32,
        /// Volume type: "gp3" on AWS, "ssd" on DigitalOcean.
        volume_type: String,
        /// Web server it is attached to, if any.
        attach_to: Option<String>,
    },
    ObjectStorage {
        /// Expected stored data in GB (for the estimate).
        expected_storage_gb: u32,
        /// Public access blocked and encryption on.
        private: bool,
    },
    Network {
        /// The address range. Null on DigitalOcean: it picks a free range itself, and ranges may not overlap
        /// anywhere in an account, so a fixed one would clash with the next project's.
        cidr: Option<String>,
        /// AWS subnets (two availability zones; private ones when a database or cache needs them). Empty on DigitalOcean.
        subnets: Vec<Subnet>,
        /// AWS: an internet gateway and a public route table.
        internet_gateway: bool,
        /// AWS: a NAT gateway so private web servers can reach the internet.
        nat_gateway: bool,
    },
    Firewall {
        network: String,
        /// Inbound rules; everything outbound is allowed.
        inbound: Vec<FirewallRule>,
        /// Resources the firewall protects.
        applies_to: Vec<String>,
    },
}

/// A listener: entry port to target port, same protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ListenerRule {
    pub port: u16,
    pub target_port: u16,
    /// "http"; "https" (DigitalOcean: TLS passed through to the droplets); "tcp" (AWS: a network load balancer).
    pub protocol: String,
}

impl ListenerRule {
    /// Whether an AWS load balancer with these listeners is a network load balancer (TCP listeners: TLS passes
    /// through to the instances) rather than an application one (HTTP listeners).
    pub fn network_load_balancer(listeners: &[ListenerRule]) -> bool {
        listeners.iter().any(|l| l.protocol == "tcp")
    }
}

/// An AWS subnet in one availability zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Subnet {
    pub name: String,
    pub availability_zone: String,
    pub cidr: String,
    pub public: bool,
}

/// One inbound rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FirewallRule {
    pub protocol: String,
    pub port: u16,
    pub source: AccessSource,
}

/// Where inbound traffic may come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum AccessSource {
    /// Anywhere on the internet.
    Anywhere,
    /// Only from members of this firewall (security group) or this load balancer.
    Resource(String),
    /// Only from inside this network's address range.
    Network(String),
    /// Only from this address range (CIDR), e.g. the operators' for SSH.
    Addresses(String),
}
