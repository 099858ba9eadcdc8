//! Validates each component against the mapping and fills in every default, so later steps never guess.

use std::collections::HashSet;

use super::PlanError;
use crate::mapping::{self, EngineOffering, Size};
use crate::model::{Component, DeploymentRequest, Provider, Regions, ResourceKind, quote};

/// Name used when a request gives none.
pub const DEFAULT_NAME: &str = "rift";
const MAX_NAME_LEN: usize = 24;
const MAX_COMPONENTS: usize = 100;
const MAX_INSTANCES: u32 = 50;
const MAX_SSH_RANGES: usize = 20;
/// Root disk of an AWS instance when the request names none.
const DEFAULT_ROOT_DISK_GB: u32 = 20;
/// Smallest RDS gp3 allocation.
const MIN_RDS_STORAGE_GB: u32 = 20;
const MAX_RDS_STORAGE_GB: u32 = 65_536;

/// A component with everything decided.
#[derive(Debug, Clone)]
pub struct ResolvedComponent {
    pub source: Component,
    pub field: String,
    pub provider: Provider,
    pub region: &'static str,
    pub size: Option<&'static Size>,
    pub engine: Option<(&'static EngineOffering, &'static str)>,
    /// Instances (web servers, volumes) or nodes (databases, caches, load balancers).
    pub count: u32,
    pub storage_gb: u32,
    pub ports: Vec<u16>,
    /// Address ranges SSH is admitted from (web servers, firewalls); empty admits no SSH.
    pub ssh_from: Vec<String>,
    pub high_availability: bool,
    pub public: bool,
}

impl ResolvedComponent {
    pub fn kind(&self) -> ResourceKind {
        self.source.kind
    }
}

#[derive(Debug, Clone)]
pub struct ResolvedRequest {
    pub name: String,
    pub components: Vec<ResolvedComponent>,
    pub warnings: Vec<String>,
}

impl ResolvedRequest {
    /// The request with every component's provider and region spelled out: what the plan id is computed from.
    pub fn normalized_request(&self) -> DeploymentRequest {
        let mut regions = Regions::default();
        for c in &self.components {
            let slot = match c.provider {
                Provider::Aws => &mut regions.aws,
                Provider::Digitalocean => &mut regions.digitalocean,
            };
            slot.get_or_insert_with(|| c.region.to_string());
        }
        DeploymentRequest {
            name: Some(self.name.clone()),
            provider: None,
            regions,
            components: self
                .components
                .iter()
                .map(|c| Component {
                    provider: Some(c.provider),
                    region: Some(c.region.to_string()),
                    ..c.source.clone()
                })
                .collect(),
        }
    }
}

pub fn resolve(request: &DeploymentRequest) -> Result<ResolvedRequest, PlanError> {
    let name = request
        .name
        .clone()
        .unwrap_or_else(|| DEFAULT_NAME.to_string());
    check_name("name", &name)?;
    if request.components.is_empty() {
        return Err(PlanError::new(
            "components",
            "at least one component is needed, e.g. {\"name\": \"web\", \"kind\": \"web_server\", \"vcpus\": 2, \"memory_gb\": 4}",
        ));
    }
    if request.components.len() > MAX_COMPONENTS {
        return Err(PlanError::new(
            "components",
            format!(
                "{} components given; at most {MAX_COMPONENTS}",
                request.components.len()
            ),
        ));
    }
    for (provider, region) in [
        (Provider::Aws, &request.regions.aws),
        (Provider::Digitalocean, &request.regions.digitalocean),
    ] {
        if let Some(region) = region {
            mapping::region(provider, region)
                .map_err(|e| PlanError::new(format!("regions.{provider}"), e.to_string()))?;
        }
    }
    let mut names = HashSet::new();
    let mut warnings = Vec::new();
    let mut components = Vec::with_capacity(request.components.len());
    for (index, component) in request.components.iter().enumerate() {
        let field = format!("components[{index}]");
        check_name(&format!("{field}.name"), &component.name)?;
        if !names.insert(component.name.as_str()) {
            return Err(PlanError::new(
                format!("{field}.name"),
                format!(
                    "{} is used by an earlier component; names must be unique",
                    quote(&component.name)
                ),
            ));
        }
        components.push(resolve_component(request, component, field, &mut warnings)?);
    }
    check_sites(&components)?;
    check_serves(&components)?;
    Ok(ResolvedRequest {
        name,
        components,
        warnings,
    })
}

/// What the derived networks and firewalls cannot express: a second network, firewall or load balancer at one
/// provider and region (the derived rules assume one of each), and a droplet without a public address as the
/// client of another cloud's database or cache.
fn check_sites(components: &[ResolvedComponent]) -> Result<(), PlanError> {
    let same_site = |a: &ResolvedComponent, b: &ResolvedComponent| {
        a.provider == b.provider && a.region == b.region
    };
    for (i, c) in components.iter().enumerate() {
        let kind = c.kind();
        if matches!(
            kind,
            ResourceKind::Network | ResourceKind::Firewall | ResourceKind::LoadBalancer
        ) && let Some(first) = components[..i]
            .iter()
            .find(|o| o.kind() == kind && same_site(o, c))
        {
            return Err(PlanError::new(
                format!("{}.kind", c.field),
                format!(
                    "{} already is the {kind} of {} {}; rift plans one {kind} per provider and region",
                    first.source.name, c.provider, c.region
                ),
            ));
        }
        if matches!(kind, ResourceKind::Database | ResourceKind::Cache) {
            // A droplet without public networking has no address the other cloud's firewall could admit.
            let unreachable = components.iter().find(|w| {
                w.kind() == ResourceKind::WebServer
                    && w.provider == Provider::Digitalocean
                    && c.provider != Provider::Digitalocean
                    && !w.public
            });
            if let Some(web) = unreachable {
                return Err(PlanError::new(
                    format!("{}.public", web.field),
                    format!(
                        "{} has no public address, so the {kind} {} in {} cannot admit it; make it public or keep them in one cloud",
                        web.source.name, c.source.name, c.provider
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A database or cache serves only web servers, named as components of this request.
fn check_serves(components: &[ResolvedComponent]) -> Result<(), PlanError> {
    for c in components {
        for (i, name) in c.source.serves.iter().flatten().enumerate() {
            let served = components.iter().find(|o| &o.source.name == name);
            if served.is_none_or(|o| o.kind() != ResourceKind::WebServer) {
                let web: Vec<&str> = components
                    .iter()
                    .filter(|o| o.kind() == ResourceKind::WebServer)
                    .map(|o| o.source.name.as_str())
                    .collect();
                return Err(PlanError::new(
                    format!("{}.serves[{i}]", c.field),
                    format!(
                        "{} is not a web_server component of this request; name one of: {}",
                        quote(name),
                        if web.is_empty() {
                            "(none)".to_string()
                        } else {
                            web.join(", ")
                        }
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Address ranges in CIDR notation; SSH is never admitted from anywhere by default.
fn resolve_ssh_from(
    component: &Component,
    at: &dyn Fn(&str) -> String,
) -> Result<Vec<String>, PlanError> {
    let Some(ranges) = &component.ssh_from else {
        return Ok(vec![]);
    };
    if ranges.is_empty() || ranges.len() > MAX_SSH_RANGES {
        return Err(PlanError::new(
            at("ssh_from"),
            format!(
                "{} ranges given: give 1 to {MAX_SSH_RANGES}, or leave ssh_from out to admit no SSH",
                ranges.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(ranges.len());
    for (i, range) in ranges.iter().enumerate() {
        let valid = range.split_once('/').and_then(|(ip, bits)| {
            ip.parse::<std::net::Ipv4Addr>().ok()?;
            (bits.parse::<u8>().ok()? <= 32).then_some(())
        });
        if valid.is_none() {
            return Err(PlanError::new(
                format!("{}[{i}]", at("ssh_from")),
                format!(
                    "{} is not an address range: give an IPv4 range in CIDR notation such as \"203.0.113.0/24\"",
                    quote(range)
                ),
            ));
        }
        out.push(range.clone());
    }
    Ok(out)
}

fn check_name(field: &str, name: &str) -> Result<(), PlanError> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if name.is_empty()
        || name.len() > MAX_NAME_LEN
        || !valid_chars
        || !starts_with_letter
        || name.ends_with('-')
        || name.contains("--")
    {
        return Err(PlanError::new(
            field,
            format!(
                "{} is not a valid name: use 1-{MAX_NAME_LEN} lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (e.g. \"web\", \"api-db\")",
                quote(name)
            ),
        ));
    }
    Ok(())
}

fn resolve_component(
    request: &DeploymentRequest,
    component: &Component,
    field: String,
    warnings: &mut Vec<String>,
) -> Result<ResolvedComponent, PlanError> {
    let kind = component.kind;
    let at = |sub: &str| format!("{field}.{sub}");
    let provider = component.provider.or(request.provider).ok_or_else(|| {
        PlanError::new(
            at("provider"),
            "no provider given: set \"provider\" (digitalocean or aws) on the request or on the component",
        )
    })?;
    let offer = mapping::offering(provider);
    let region_slug = component
        .region
        .as_deref()
        .or(request.regions.get(provider));
    let region = match region_slug {
        Some(slug) => {
            let found = if kind == ResourceKind::ObjectStorage {
                mapping::object_storage_region(provider, slug)
            } else {
                mapping::region(provider, slug)
            };
            let field = if component.region.is_some() {
                at("region")
            } else {
                format!("regions.{provider}")
            };
            found
                .map_err(|e| PlanError::new(field, e.to_string()))?
                .slug
        }
        None => {
            warnings.push(format!(
                "no {provider} region given: using {}",
                offer.default_region
            ));
            offer.default_region
        }
    };

    let rejects = |name: &str, present: bool, why: &str| -> Result<(), PlanError> {
        if present {
            Err(PlanError::new(
                at(name),
                format!("{} {kind} does not take \"{name}\": {why}", kind.article()),
            ))
        } else {
            Ok(())
        }
    };
    let sized = matches!(
        kind,
        ResourceKind::WebServer | ResourceKind::Database | ResourceKind::Cache
    );
    rejects(
        "size",
        !sized && component.size.is_some(),
        "only web_server, database and cache have sizes",
    )?;
    rejects(
        "vcpus",
        !sized && component.vcpus.is_some(),
        "only web_server, database and cache have sizes",
    )?;
    rejects(
        "memory_gb",
        !sized && component.memory_gb.is_some(),
        "only web_server, database and cache have sizes",
    )?;
    let engined = matches!(kind, ResourceKind::Database | ResourceKind::Cache);
    rejects(
        "engine",
        !engined && component.engine.is_some(),
        "only database and cache have engines",
    )?;
    rejects(
        "version",
        !engined && component.version.is_some(),
        "only database and cache have engine versions",
    )?;
    rejects(
        "ports",
        !matches!(
            kind,
            ResourceKind::WebServer | ResourceKind::LoadBalancer | ResourceKind::Firewall
        ) && component.ports.is_some(),
        "only web_server, load_balancer and firewall open ports",
    )?;
    rejects(
        "high_availability",
        !matches!(
            kind,
            ResourceKind::Database | ResourceKind::Cache | ResourceKind::LoadBalancer
        ) && component.high_availability.is_some(),
        "only database, cache and load_balancer have standbys; use count for more web servers",
    )?;
    rejects(
        "public",
        kind != ResourceKind::WebServer && component.public.is_some(),
        "only web servers choose; databases and caches are always private",
    )?;
    rejects(
        "storage_gb",
        matches!(
            kind,
            ResourceKind::Cache
                | ResourceKind::LoadBalancer
                | ResourceKind::Network
                | ResourceKind::Firewall
        ) && component.storage_gb.is_some(),
        "storage applies to web_server, database, block_storage and object_storage",
    )?;

    rejects(
        "ssh_from",
        !matches!(kind, ResourceKind::WebServer | ResourceKind::Firewall)
            && component.ssh_from.is_some(),
        "only web_server and firewall admit SSH",
    )?;
    rejects(
        "serves",
        !engined && component.serves.is_some(),
        "only a database or cache serves web servers",
    )?;
    let ssh_from = resolve_ssh_from(component, &at)?;
    for (name, present) in [
        ("image", component.image.is_some()),
        ("user_data", component.user_data.is_some()),
        ("ssh_keys", component.ssh_keys.is_some()),
    ] {
        rejects(
            name,
            kind != ResourceKind::WebServer && present,
            "only web servers boot an image",
        )?;
    }
    check_boot_settings(provider, component, &at)?;

    let ha = component.high_availability.unwrap_or(false);
    let engine = if engined {
        let wanted = component
            .engine
            .unwrap_or_else(|| mapping::default_engine(kind));
        if wanted.is_cache() != (kind == ResourceKind::Cache) {
            let valid = if kind == ResourceKind::Cache {
                "valkey, redis"
            } else {
                "postgres, mysql"
            };
            let other = if kind == ResourceKind::Cache {
                "database"
            } else {
                "cache"
            };
            return Err(PlanError::new(
                at("engine"),
                format!(
                    "{wanted} is a {other} engine; {} {kind} takes one of: {valid} (or use kind \"{other}\")",
                    kind.article()
                ),
            ));
        }
        let (offering, version) =
            mapping::engine(provider, kind, wanted, component.version.as_deref()).map_err(|e| {
                let sub = if matches!(e, mapping::MappingError::UnknownVersion { .. }) {
                    "version"
                } else {
                    "engine"
                };
                PlanError::new(at(sub), e.to_string())
            })?;
        if component.engine.is_none() || component.version.is_none() {
            warnings.push(format!(
                "{}: no {} given: using {} {version}",
                component.name,
                if component.engine.is_none() {
                    "engine"
                } else {
                    "version"
                },
                offering.engine
            ));
        }
        if offering.engine != wanted {
            warnings.push(format!(
                "{}: {provider} serves {wanted} as {}",
                component.name, offering.engine
            ));
        }
        Some((offering, version))
    } else {
        None
    };

    let size = if sized {
        Some(resolve_size(provider, component, &at, warnings)?)
    } else {
        None
    };

    let count = resolve_count(provider, component, &at, engine, ha)?;
    check_standbys(provider, component, &at, size, count, ha)?;
    let storage_gb = resolve_storage(provider, component, &at, size, warnings)?;
    let ports = resolve_ports(component, &at)?;

    Ok(ResolvedComponent {
        source: component.clone(),
        field,
        provider,
        region,
        size,
        engine,
        count,
        storage_gb,
        ports,
        ssh_from,
        high_availability: ha,
        public: component.public.unwrap_or(kind == ResourceKind::WebServer),
    })
}

/// Longest DigitalOcean image slug rift accepts (theirs are about 20 characters); an image is stored in the plan.
const MAX_IMAGE_SLUG_LEN: usize = 64;

/// An AMI id (`ami-` and 8 or 17 hex digits) on AWS; a slug or numeric id on DigitalOcean.
fn is_image(provider: Provider, image: &str) -> bool {
    match provider {
        Provider::Aws => image.strip_prefix("ami-").is_some_and(|hex| {
            matches!(hex.len(), 8 | 17) && hex.chars().all(|c| c.is_ascii_hexdigit())
        }),
        Provider::Digitalocean => {
            (1..=MAX_IMAGE_SLUG_LEN).contains(&image.len())
                && image.starts_with(|c: char| c.is_ascii_alphanumeric())
                && image
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        }
    }
}

/// Most user data EC2 accepts (DigitalOcean takes more; one limit keeps a component portable).
const MAX_USER_DATA_BYTES: usize = 16 * 1024;

fn check_boot_settings(
    provider: Provider,
    component: &Component,
    at: &dyn Fn(&str) -> String,
) -> Result<(), PlanError> {
    if let Some(image) = &component.image
        && !is_image(provider, image)
    {
        let expected = match provider {
            Provider::Aws => {
                "an AMI id: \"ami-\" and 8 or 17 hex digits, such as \"ami-0abcdef1234567890\""
            }
            Provider::Digitalocean => {
                "an image slug of at most 64 lowercase letters, digits, dots and hyphens (such as \"ubuntu-24-04-x64\") or a numeric image id"
            }
        };
        return Err(PlanError::new(
            at("image"),
            format!(
                "{} is not {} {provider} image: give {expected}",
                quote(image),
                provider.article()
            ),
        ));
    }
    if let Some(data) = &component.user_data
        && data.len() > MAX_USER_DATA_BYTES
    {
        return Err(PlanError::new(
            at("user_data"),
            format!(
                "{} bytes is too long: at most {MAX_USER_DATA_BYTES} (fetch larger scripts from the user data instead)",
                data.len()
            ),
        ));
    }
    if let Some(keys) = &component.ssh_keys {
        if keys.iter().any(|k| k.trim().is_empty()) {
            return Err(PlanError::new(at("ssh_keys"), "an SSH key entry is empty"));
        }
        if provider == Provider::Aws && keys.len() > 1 {
            return Err(PlanError::new(
                at("ssh_keys"),
                format!(
                    "{} keys given: an EC2 instance takes one key pair name",
                    keys.len()
                ),
            ));
        }
    }
    Ok(())
}

fn resolve_size(
    provider: Provider,
    component: &Component,
    at: &dyn Fn(&str) -> String,
    warnings: &mut Vec<String>,
) -> Result<&'static Size, PlanError> {
    let kind = component.kind;
    if let Some(memory) = component.memory_gb
        && (!memory.is_finite() || memory <= 0.0 || memory > 4096.0)
    {
        return Err(PlanError::new(
            at("memory_gb"),
            format!("{memory} is out of range: give a number of GB above 0 and at most 4096"),
        ));
    }
    if component.vcpus == Some(0) {
        return Err(PlanError::new(at("vcpus"), "must be at least 1"));
    }
    let size = match &component.size {
        Some(slug) => {
            let size = mapping::find_size(provider, kind, slug)
                .map_err(|e| PlanError::new(at("size"), e.to_string()))?;
            let too_small_cpu = component.vcpus.is_some_and(|v| size.vcpus < v);
            let too_small_mem = component
                .memory_gb
                .is_some_and(|m| size.memory_gb + 1e-9 < m);
            if too_small_cpu || too_small_mem {
                return Err(PlanError::new(
                    at("size"),
                    format!(
                        "{slug} has {} vCPU and {} GB, less than the vcpus/memory_gb asked for; drop \"size\" to let rift pick, or name a larger size",
                        size.vcpus, size.memory_gb
                    ),
                ));
            }
            size
        }
        None => {
            let default_memory = if kind == ResourceKind::Cache {
                0.5
            } else {
                1.0
            };
            mapping::pick_size(
                provider,
                kind,
                component.vcpus.unwrap_or(1),
                component.memory_gb.unwrap_or(default_memory),
            )
            .map_err(|e| {
                let sub = if component.memory_gb.is_some() {
                    "memory_gb"
                } else {
                    "vcpus"
                };
                PlanError::new(at(sub), e.to_string())
            })?
        }
    };
    if matches!(size.family, "t3" | "t3a" | "db.t3" | "cache.t3") {
        warnings.push(format!(
            "{}: {} is a burstable size (CPU credits); sustained load may need a fixed-performance size",
            component.name, size.slug
        ));
    }
    Ok(size)
}

/// Standby nodes exist where the provider offers them: not on DigitalOcean's smallest database plan, and not
/// for an ElastiCache cluster rift plans (that would need a replication group).
fn check_standbys(
    provider: Provider,
    component: &Component,
    at: &dyn Fn(&str) -> String,
    size: Option<&'static Size>,
    count: u32,
    ha: bool,
) -> Result<(), PlanError> {
    let kind = component.kind;
    let smallest = mapping::sizes(provider, kind).first();
    let field = if ha { "high_availability" } else { "count" };
    match (provider, kind) {
        (Provider::Digitalocean, ResourceKind::Database | ResourceKind::Cache)
            if count > 1 && size.is_some() && size == smallest =>
        {
            let next = mapping::sizes(provider, kind)
                .get(1)
                .map(|s| s.slug)
                .unwrap_or_default();
            Err(PlanError::new(
                at(field),
                format!(
                    "{} has no standby nodes; standbys start at {next}: name that size (or memory_gb 2) for a standby",
                    size.map(|s| s.slug).unwrap_or_default()
                ),
            ))
        }
        (Provider::Aws, ResourceKind::Cache) if ha => Err(PlanError::new(
            at("high_availability"),
            "an ElastiCache cluster rift plans is one node (a standby needs a replication group, which rift does not plan yet); leave high_availability out",
        )),
        _ => Ok(()),
    }
}

fn resolve_count(
    provider: Provider,
    component: &Component,
    at: &dyn Fn(&str) -> String,
    engine: Option<(&'static EngineOffering, &'static str)>,
    ha: bool,
) -> Result<u32, PlanError> {
    let kind = component.kind;
    let (min, max, default, what) = match kind {
        ResourceKind::WebServer => (1, MAX_INSTANCES, 1, "instances"),
        ResourceKind::BlockStorage => (1, MAX_INSTANCES, 1, "volumes"),
        ResourceKind::Database | ResourceKind::Cache => {
            let max = engine.map(|(e, _)| e.max_nodes).unwrap_or(1);
            let min = if ha && provider == Provider::Digitalocean {
                2
            } else {
                1
            };
            (min, max, min, "nodes")
        }
        ResourceKind::LoadBalancer => {
            let (low, high) = mapping::offering(provider).load_balancer_nodes;
            let min = if ha { low.max(2).min(high) } else { low };
            (low, high, min, "nodes")
        }
        ResourceKind::ObjectStorage | ResourceKind::Network | ResourceKind::Firewall => {
            (1, 1, 1, "")
        }
    };
    let count = component.count.unwrap_or(default);
    if count < min || count > max {
        let hint = match (kind, provider) {
            (ResourceKind::Database, Provider::Aws) => {
                " (an RDS instance is one node; use high_availability for a Multi-AZ standby)"
            }
            (ResourceKind::Cache, Provider::Aws) => " (an ElastiCache cluster here is one node)",
            (ResourceKind::LoadBalancer, Provider::Aws) => " (an ALB scales itself)",
            (ResourceKind::Database | ResourceKind::Cache, Provider::Digitalocean) if ha => {
                " (high_availability needs at least one standby node)"
            }
            _ => "",
        };
        let range = if min == max {
            format!("must be {min}")
        } else {
            format!("must be {min} to {max} {what}")
        };
        return Err(PlanError::new(
            at("count"),
            format!(
                "{count} is out of range for {} {provider} {kind}: {range}{hint}",
                provider.article()
            ),
        ));
    }
    Ok(count)
}

fn resolve_storage(
    provider: Provider,
    component: &Component,
    at: &dyn Fn(&str) -> String,
    size: Option<&'static Size>,
    warnings: &mut Vec<String>,
) -> Result<u32, PlanError> {
    let given = component.storage_gb;
    let out_of_range = |min: u32, max: u32, what: &str| {
        PlanError::new(
            at("storage_gb"),
            format!(
                "{} GB is out of range: {what} must be {min} to {max} GB",
                given.unwrap_or(0)
            ),
        )
    };
    let included = size.map(|s| s.disk_gb).unwrap_or(0);
    match (component.kind, provider) {
        (ResourceKind::WebServer, Provider::Aws) => {
            let gb = given.unwrap_or(DEFAULT_ROOT_DISK_GB);
            if !(8..=16_384).contains(&gb) {
                return Err(out_of_range(8, 16_384, "an EBS root volume"));
            }
            Ok(gb)
        }
        (ResourceKind::WebServer, Provider::Digitalocean) => {
            if let Some(gb) = given
                && gb > included
            {
                warnings.push(format!(
                    "{}: {} includes {included} GB of disk, less than the {gb} GB asked for; add a block_storage component for the rest",
                    component.name,
                    size.map(|s| s.slug).unwrap_or_default()
                ));
            }
            Ok(included)
        }
        (ResourceKind::Database, Provider::Aws) => {
            // storage_gb is a minimum, like vcpus and memory_gb: RDS's smallest allocation satisfies less.
            let gb = match given {
                None => {
                    warnings.push(format!(
                        "{}: no storage_gb given: using {MIN_RDS_STORAGE_GB} GB of RDS gp3 storage",
                        component.name
                    ));
                    MIN_RDS_STORAGE_GB
                }
                Some(gb) if gb < MIN_RDS_STORAGE_GB => {
                    warnings.push(format!(
                        "{}: RDS storage starts at {MIN_RDS_STORAGE_GB} GB, more than the {gb} GB asked for",
                        component.name
                    ));
                    MIN_RDS_STORAGE_GB
                }
                Some(gb) => gb,
            };
            if gb > MAX_RDS_STORAGE_GB {
                return Err(out_of_range(
                    MIN_RDS_STORAGE_GB,
                    MAX_RDS_STORAGE_GB,
                    "RDS gp3 storage",
                ));
            }
            Ok(gb)
        }
        (ResourceKind::Database, Provider::Digitalocean) => {
            // storage_gb is a minimum: the storage a size includes satisfies any smaller request.
            let gb = given.unwrap_or(included).max(included);
            if given.is_some_and(|g| g < included) {
                warnings.push(format!(
                    "{}: {} includes {included} GB of storage, more than the {} GB asked for",
                    component.name,
                    size.map(|s| s.slug).unwrap_or_default(),
                    given.unwrap_or(0)
                ));
            }
            if gb > 16_384 {
                return Err(out_of_range(included, 16_384, "managed database storage"));
            }
            Ok(gb)
        }
        (ResourceKind::BlockStorage, _) => {
            let (min, max) = mapping::offering(provider).volume_gb;
            match given {
                None => Err(PlanError::new(
                    at("storage_gb"),
                    format!(
                        "a block_storage volume needs its size: storage_gb from {min} to {max}"
                    ),
                )),
                Some(gb) if !(min..=max).contains(&gb) => Err(out_of_range(min, max, "a volume")),
                Some(gb) => Ok(gb),
            }
        }
        (ResourceKind::ObjectStorage, _) => Ok(given.unwrap_or(0)),
        _ => Ok(0),
    }
}

fn resolve_ports(
    component: &Component,
    at: &dyn Fn(&str) -> String,
) -> Result<Vec<u16>, PlanError> {
    // A load balancer without ports listens on its web servers' ports (derived with the site's resources).
    let default: &[u16] = match component.kind {
        ResourceKind::WebServer => &[80, 443],
        _ => &[],
    };
    if component.kind == ResourceKind::LoadBalancer
        && component.ports.as_ref().is_some_and(|p| p.contains(&22))
    {
        return Err(PlanError::new(
            at("ports"),
            "a load balancer does not forward SSH (port 22): admit it on the web servers with ssh_from (address ranges)",
        ));
    }
    let mut ports = component.ports.clone().unwrap_or_else(|| default.to_vec());
    if component.ports.as_ref().is_some_and(|p| p.is_empty()) {
        return Err(PlanError::new(
            at("ports"),
            "an empty list opens nothing; give at least one TCP port (1-65535) or leave ports out",
        ));
    }
    if ports.contains(&0) {
        return Err(PlanError::new(
            at("ports"),
            "port 0 is not a valid TCP port; use 1-65535",
        ));
    }
    ports.sort_unstable();
    ports.dedup();
    Ok(ports)
}
