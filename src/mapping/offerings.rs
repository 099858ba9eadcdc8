//! What each provider offers: the mapping table as data. Sources: ../shared/facts/prices.md and the
//! DigitalOcean API facts (size slugs), AWS instance type documentation (vCPU / memory).

use crate::model::{Engine, Provider, ResourceKind};

/// Which cloud resource serves a kind of requirement on each provider.
#[derive(Debug)]
pub struct KindMapping {
    pub kind: ResourceKind,
    pub digitalocean: ProviderResource,
    pub aws: ProviderResource,
}

#[derive(Debug)]
pub struct ProviderResource {
    /// The main Terraform resource type.
    pub terraform_type: &'static str,
    /// Further resources that always come with it.
    pub companions: &'static [&'static str],
    pub note: &'static str,
}

/// A size (droplet, instance type, database class, cache node type).
#[derive(Debug, PartialEq)]
pub struct Size {
    pub slug: &'static str,
    pub vcpus: u32,
    pub memory_gb: f64,
    /// Local disk (droplets) or storage included in the price (DigitalOcean databases); 0 when storage is separate.
    pub disk_gb: u32,
    /// Product line, e.g. "basic", "premium-intel", "t3", "db.m5".
    pub family: &'static str,
    /// Part of the ladder that sizing picks from when no exact size is named.
    pub default_ladder: bool,
}

#[derive(Debug)]
pub struct Region {
    pub slug: &'static str,
    pub name: &'static str,
    /// Offers object storage (Spaces on DigitalOcean; every AWS region has S3).
    pub object_storage: bool,
    /// AWS: the suffixes of the two availability zones rift spreads subnets over (not every region has an
    /// open "b"); unused on DigitalOcean.
    pub zones: [&'static str; 2],
}

#[derive(Debug)]
pub struct EngineOffering {
    pub engine: Engine,
    pub kind: ResourceKind,
    /// The provider's own name for the engine ("pg", "postgres", "valkey", ...).
    pub native_name: &'static str,
    pub versions: &'static [&'static str],
    pub default_version: &'static str,
    pub port: u16,
    /// Most nodes a cluster may have (DigitalOcean), or 1 where one resource is one node (AWS).
    pub max_nodes: u32,
}

/// The image a web server boots when the request names none: the same for live provisioning and Terraform.
#[derive(Debug)]
pub struct DefaultImage {
    /// DigitalOcean: the image slug. AWS: the AMI name pattern (`*` wildcards); the newest match is used.
    pub name: &'static str,
    /// AWS: the account that publishes the image; empty on DigitalOcean.
    pub owner: &'static str,
    pub description: &'static str,
}

pub const DIGITALOCEAN_DEFAULT_IMAGE: DefaultImage = DefaultImage {
    name: "ubuntu-24-04-x64",
    owner: "",
    description: "Ubuntu 24.04 LTS",
};

/// Amazon's own current Linux with cloud-init, found by name in every region.
pub const AWS_DEFAULT_IMAGE: DefaultImage = DefaultImage {
    name: "al2023-ami-2023.*-x86_64",
    owner: "137112412989",
    description: "Amazon Linux 2023 (x86_64)",
};

/// Everything one provider offers.
#[derive(Debug)]
pub struct Offering {
    pub provider: Provider,
    pub default_region: &'static str,
    pub default_image: DefaultImage,
    pub regions: &'static [Region],
    pub web_server_sizes: &'static [Size],
    pub database_sizes: &'static [Size],
    pub cache_sizes: &'static [Size],
    pub engines: &'static [EngineOffering],
    /// Volume sizes in GB.
    pub volume_gb: (u32, u32),
    /// Default volume type.
    pub volume_type: &'static str,
    /// Load balancer nodes (DigitalOcean size units); AWS ALBs scale themselves.
    pub load_balancer_nodes: (u32, u32),
}

pub static KINDS: [KindMapping; 8] = [
    KindMapping {
        kind: ResourceKind::WebServer,
        digitalocean: ProviderResource {
            terraform_type: "digitalocean_droplet",
            companions: &[],
            note: "Droplet in the project's VPC; public IPv4 and a transfer allowance included.",
        },
        aws: ProviderResource {
            terraform_type: "aws_instance",
            companions: &[],
            note: "EC2 instance in a subnet of the project's VPC with its security group; public IPv4 billed hourly.",
        },
    },
    KindMapping {
        kind: ResourceKind::Database,
        digitalocean: ProviderResource {
            terraform_type: "digitalocean_database_cluster",
            companions: &["digitalocean_database_firewall"],
            note: "Managed cluster (pg, mysql) in the VPC; its firewall admits only the project's droplets.",
        },
        aws: ProviderResource {
            terraform_type: "aws_db_instance",
            companions: &["aws_db_subnet_group"],
            note: "RDS instance in private subnets; its security group admits only the web tier.",
        },
    },
    KindMapping {
        kind: ResourceKind::LoadBalancer,
        digitalocean: ProviderResource {
            terraform_type: "digitalocean_loadbalancer",
            companions: &[],
            note: "Regional load balancer forwarding to the web droplets.",
        },
        aws: ProviderResource {
            terraform_type: "aws_lb",
            companions: &[
                "aws_lb_target_group",
                "aws_lb_listener",
                "aws_lb_target_group_attachment",
            ],
            note: "Application Load Balancer across two availability zones with target group and listeners.",
        },
    },
    KindMapping {
        kind: ResourceKind::BlockStorage,
        digitalocean: ProviderResource {
            terraform_type: "digitalocean_volume",
            companions: &["digitalocean_volume_attachment"],
            note: "Block storage volume, attached to a droplet.",
        },
        aws: ProviderResource {
            terraform_type: "aws_ebs_volume",
            companions: &["aws_volume_attachment"],
            note: "EBS gp3 volume, attached to an instance.",
        },
    },
    KindMapping {
        kind: ResourceKind::ObjectStorage,
        digitalocean: ProviderResource {
            terraform_type: "digitalocean_spaces_bucket",
            companions: &[],
            note: "Spaces bucket (S3-compatible), private.",
        },
        aws: ProviderResource {
            terraform_type: "aws_s3_bucket",
            companions: &[
                "aws_s3_bucket_public_access_block",
                "aws_s3_bucket_server_side_encryption_configuration",
            ],
            note: "S3 bucket with public access blocked and default encryption.",
        },
    },
    KindMapping {
        kind: ResourceKind::Network,
        digitalocean: ProviderResource {
            terraform_type: "digitalocean_vpc",
            companions: &[],
            note: "VPC per region.",
        },
        aws: ProviderResource {
            terraform_type: "aws_vpc",
            companions: &[
                "aws_subnet",
                "aws_internet_gateway",
                "aws_route_table",
                "aws_route_table_association",
                "aws_nat_gateway",
                "aws_eip",
            ],
            note: "VPC with subnets in two availability zones, internet gateway and routes; a NAT gateway (with its elastic IP) only when private servers need egress.",
        },
    },
    KindMapping {
        kind: ResourceKind::Firewall,
        digitalocean: ProviderResource {
            terraform_type: "digitalocean_firewall",
            companions: &["digitalocean_tag"],
            note: "Cloud firewall applied by a tag the droplets carry, so it guards them from first boot.",
        },
        aws: ProviderResource {
            terraform_type: "aws_security_group",
            companions: &[
                "aws_vpc_security_group_ingress_rule",
                "aws_vpc_security_group_egress_rule",
            ],
            note: "Security group per tier; rules reference each other.",
        },
    },
    KindMapping {
        kind: ResourceKind::Cache,
        digitalocean: ProviderResource {
            terraform_type: "digitalocean_database_cluster",
            companions: &["digitalocean_database_firewall"],
            note: "Managed caching cluster (engine valkey).",
        },
        aws: ProviderResource {
            terraform_type: "aws_elasticache_cluster",
            companions: &["aws_elasticache_subnet_group"],
            note: "ElastiCache cluster in private subnets.",
        },
    },
];

const fn size(
    slug: &'static str,
    vcpus: u32,
    memory_gb: f64,
    disk_gb: u32,
    family: &'static str,
    default_ladder: bool,
) -> Size {
    Size {
        slug,
        vcpus,
        memory_gb,
        disk_gb,
        family,
        default_ladder,
    }
}

const fn region(slug: &'static str, name: &'static str, object_storage: bool) -> Region {
    Region {
        slug,
        name,
        object_storage,
        zones: ["a", "b"],
    }
}

/// An AWS region whose usable zones are not "a" and "b".
const fn region_with_zones(
    slug: &'static str,
    name: &'static str,
    zones: [&'static str; 2],
) -> Region {
    Region {
        slug,
        name,
        object_storage: true,
        zones,
    }
}

pub static DIGITALOCEAN: Offering = Offering {
    provider: Provider::Digitalocean,
    default_region: "nyc3",
    default_image: DIGITALOCEAN_DEFAULT_IMAGE,
    // Spaces regions as listed by DigitalOcean's Terraform provider (SpacesRegions).
    regions: &[
        region("nyc1", "New York 1", false),
        region("nyc3", "New York 3", true),
        region("sfo2", "San Francisco 2", true),
        region("sfo3", "San Francisco 3", true),
        region("ams3", "Amsterdam 3", true),
        region("sgp1", "Singapore 1", true),
        region("lon1", "London 1", false),
        region("fra1", "Frankfurt 1", true),
        region("tor1", "Toronto 1", false),
        region("blr1", "Bangalore 1", true),
        region("syd1", "Sydney 1", true),
        region("atl1", "Atlanta 1", false),
    ],
    web_server_sizes: &[
        size("s-1vcpu-512mb-10gb", 1, 0.5, 10, "basic", true),
        size("s-1vcpu-1gb", 1, 1.0, 25, "basic", true),
        size("s-1vcpu-2gb", 1, 2.0, 50, "basic", true),
        size("s-2vcpu-2gb", 2, 2.0, 60, "basic", true),
        size("s-2vcpu-4gb", 2, 4.0, 80, "basic", true),
        size("s-4vcpu-8gb", 4, 8.0, 160, "basic", true),
        size("s-8vcpu-16gb", 8, 16.0, 320, "basic", true),
        size("s-1vcpu-1gb-intel", 1, 1.0, 35, "premium-intel", false),
        size("s-1vcpu-2gb-intel", 1, 2.0, 70, "premium-intel", false),
        size("s-2vcpu-2gb-intel", 2, 2.0, 90, "premium-intel", false),
        size("s-2vcpu-4gb-intel", 2, 4.0, 120, "premium-intel", false),
        size("s-4vcpu-8gb-intel", 4, 8.0, 240, "premium-intel", false),
        size("s-8vcpu-16gb-intel", 8, 16.0, 480, "premium-intel", false),
        size("s-1vcpu-1gb-amd", 1, 1.0, 25, "premium-amd", false),
        size("s-1vcpu-2gb-amd", 1, 2.0, 50, "premium-amd", false),
        size("s-2vcpu-2gb-amd", 2, 2.0, 60, "premium-amd", false),
        size("s-2vcpu-4gb-amd", 2, 4.0, 80, "premium-amd", false),
        size("s-4vcpu-8gb-amd", 4, 8.0, 160, "premium-amd", false),
        size("s-8vcpu-16gb-amd", 8, 16.0, 320, "premium-amd", false),
    ],
    // disk_gb: storage included with the plan (DigitalOcean managed database pricing pages).
    database_sizes: &[
        size("db-s-1vcpu-1gb", 1, 1.0, 10, "db-basic", true),
        size("db-s-1vcpu-2gb", 1, 2.0, 25, "db-basic", true),
        size("db-s-2vcpu-4gb", 2, 4.0, 38, "db-basic", true),
        size("db-s-4vcpu-8gb", 4, 8.0, 115, "db-basic", true),
        size("db-s-6vcpu-16gb", 6, 16.0, 270, "db-basic", true),
        size("db-s-8vcpu-32gb", 8, 32.0, 580, "db-basic", true),
        size("db-s-16vcpu-64gb", 16, 64.0, 1012, "db-basic", true),
    ],
    cache_sizes: &[
        size("db-s-1vcpu-1gb", 1, 1.0, 0, "db-basic", true),
        size("db-s-1vcpu-2gb", 1, 2.0, 0, "db-basic", true),
        size("db-s-2vcpu-4gb", 2, 4.0, 0, "db-basic", true),
        size("db-s-4vcpu-8gb", 4, 8.0, 0, "db-basic", true),
        size("db-s-6vcpu-16gb", 6, 16.0, 0, "db-basic", true),
        size("db-s-8vcpu-32gb", 8, 32.0, 0, "db-basic", true),
        size("db-s-16vcpu-64gb", 16, 64.0, 0, "db-basic", true),
    ],
    engines: &[
        EngineOffering {
            engine: Engine::Postgres,
            kind: ResourceKind::Database,
            native_name: "pg",
            versions: &["13", "14", "15", "16", "17"],
            default_version: "16",
            port: 25060,
            max_nodes: 3,
        },
        EngineOffering {
            engine: Engine::Mysql,
            kind: ResourceKind::Database,
            native_name: "mysql",
            versions: &["8"],
            default_version: "8",
            port: 25060,
            max_nodes: 3,
        },
        EngineOffering {
            engine: Engine::Valkey,
            kind: ResourceKind::Cache,
            native_name: "valkey",
            versions: &["8"],
            default_version: "8",
            port: 25061,
            max_nodes: 3,
        },
    ],
    volume_gb: (1, 16_384),
    volume_type: "ssd",
    load_balancer_nodes: (1, 100),
};

pub static AWS: Offering = Offering {
    provider: Provider::Aws,
    default_region: "us-east-1",
    default_image: AWS_DEFAULT_IMAGE,
    regions: &[
        region("us-east-1", "US East (N. Virginia)", true),
        region("us-east-2", "US East (Ohio)", true),
        region("us-west-2", "US West (Oregon)", true),
        region("ca-central-1", "Canada (Central)", true),
        region("eu-west-1", "Europe (Ireland)", true),
        region("eu-west-2", "Europe (London)", true),
        region("eu-central-1", "Europe (Frankfurt)", true),
        region("eu-north-1", "Europe (Stockholm)", true),
        region("ap-south-1", "Asia Pacific (Mumbai)", true),
        region("ap-southeast-1", "Asia Pacific (Singapore)", true),
        region("ap-southeast-2", "Asia Pacific (Sydney)", true),
        // ap-northeast-1b takes no new subnets for most accounts. (us-west-1 is not offered at all: which two of
        // its zones an account has differs from account to account.)
        region_with_zones("ap-northeast-1", "Asia Pacific (Tokyo)", ["a", "c"]),
        region("sa-east-1", "South America (Sao Paulo)", true),
    ],
    web_server_sizes: &[
        size("t3.nano", 2, 0.5, 0, "t3", true),
        size("t3.micro", 2, 1.0, 0, "t3", true),
        size("t3.small", 2, 2.0, 0, "t3", true),
        size("t3.medium", 2, 4.0, 0, "t3", true),
        size("t3.large", 2, 8.0, 0, "t3", true),
        size("t3.xlarge", 4, 16.0, 0, "t3", true),
        size("t3.2xlarge", 8, 32.0, 0, "t3", true),
        size("t3a.nano", 2, 0.5, 0, "t3a", false),
        size("t3a.micro", 2, 1.0, 0, "t3a", false),
        size("t3a.small", 2, 2.0, 0, "t3a", false),
        size("t3a.medium", 2, 4.0, 0, "t3a", false),
        size("t3a.large", 2, 8.0, 0, "t3a", false),
        size("t3a.xlarge", 4, 16.0, 0, "t3a", false),
        size("t3a.2xlarge", 8, 32.0, 0, "t3a", false),
        size("m5.large", 2, 8.0, 0, "m5", false),
        size("m5.xlarge", 4, 16.0, 0, "m5", false),
        size("m5.2xlarge", 8, 32.0, 0, "m5", false),
        size("m5.4xlarge", 16, 64.0, 0, "m5", false),
        size("m5.8xlarge", 32, 128.0, 0, "m5", false),
        size("m6i.large", 2, 8.0, 0, "m6i", false),
        size("m6i.xlarge", 4, 16.0, 0, "m6i", false),
        size("m6i.2xlarge", 8, 32.0, 0, "m6i", false),
        size("m6i.4xlarge", 16, 64.0, 0, "m6i", true),
        size("m6i.8xlarge", 32, 128.0, 0, "m6i", true),
        size("c6i.large", 2, 4.0, 0, "c6i", false),
        size("c6i.xlarge", 4, 8.0, 0, "c6i", false),
        size("c6i.2xlarge", 8, 16.0, 0, "c6i", false),
        size("c6i.4xlarge", 16, 32.0, 0, "c6i", false),
        size("c6i.8xlarge", 32, 64.0, 0, "c6i", false),
        size("r6i.large", 2, 16.0, 0, "r6i", false),
        size("r6i.xlarge", 4, 32.0, 0, "r6i", false),
        size("r6i.2xlarge", 8, 64.0, 0, "r6i", false),
        size("r6i.4xlarge", 16, 128.0, 0, "r6i", false),
        size("r6i.8xlarge", 32, 256.0, 0, "r6i", true),
    ],
    database_sizes: &[
        size("db.t3.micro", 2, 1.0, 0, "db.t3", true),
        size("db.t3.small", 2, 2.0, 0, "db.t3", true),
        size("db.t3.medium", 2, 4.0, 0, "db.t3", true),
        size("db.t3.large", 2, 8.0, 0, "db.t3", true),
        size("db.t3.xlarge", 4, 16.0, 0, "db.t3", true),
        size("db.t3.2xlarge", 8, 32.0, 0, "db.t3", true),
        size("db.m5.large", 2, 8.0, 0, "db.m5", false),
        size("db.m5.xlarge", 4, 16.0, 0, "db.m5", false),
        size("db.m5.2xlarge", 8, 32.0, 0, "db.m5", false),
        size("db.m5.4xlarge", 16, 64.0, 0, "db.m5", true),
        size("db.r5.large", 2, 16.0, 0, "db.r5", false),
        size("db.r5.xlarge", 4, 32.0, 0, "db.r5", false),
        size("db.r5.2xlarge", 8, 64.0, 0, "db.r5", false),
        size("db.r5.4xlarge", 16, 128.0, 0, "db.r5", true),
    ],
    cache_sizes: &[
        size("cache.t3.micro", 2, 0.5, 0, "cache.t3", true),
        size("cache.t3.small", 2, 1.37, 0, "cache.t3", true),
        size("cache.t3.medium", 2, 3.09, 0, "cache.t3", true),
        size("cache.m5.large", 2, 6.38, 0, "cache.m5", true),
        size("cache.m5.xlarge", 4, 12.93, 0, "cache.m5", true),
        size("cache.m5.2xlarge", 8, 26.04, 0, "cache.m5", true),
        size("cache.m5.4xlarge", 16, 52.26, 0, "cache.m5", true),
    ],
    engines: &[
        EngineOffering {
            engine: Engine::Postgres,
            kind: ResourceKind::Database,
            native_name: "postgres",
            versions: &["13", "14", "15", "16", "17"],
            default_version: "16",
            port: 5432,
            max_nodes: 1,
        },
        EngineOffering {
            engine: Engine::Mysql,
            kind: ResourceKind::Database,
            native_name: "mysql",
            versions: &["8.0", "8.4"],
            default_version: "8.0",
            port: 3306,
            max_nodes: 1,
        },
        EngineOffering {
            engine: Engine::Valkey,
            kind: ResourceKind::Cache,
            native_name: "valkey",
            versions: &["7.2", "8.0"],
            default_version: "8.0",
            port: 6379,
            max_nodes: 1,
        },
        EngineOffering {
            engine: Engine::Redis,
            kind: ResourceKind::Cache,
            native_name: "redis",
            versions: &["7.1"],
            default_version: "7.1",
            port: 6379,
            max_nodes: 1,
        },
    ],
    volume_gb: (1, 16_384),
    volume_type: "gp3",
    load_balancer_nodes: (1, 1),
};
