//! Turns resolved components into planned resources, adding what they imply: one network per provider and
//! region, firewalls (security groups on AWS) per tier, and the references between them.

use std::collections::BTreeMap;

use super::PlanError;
use super::resolve::{ResolvedComponent, ResolvedRequest};
use crate::mapping;
use crate::model::{
    AccessSource, FirewallRule, ListenerRule, PlannedResource, Provider, ResourceKind,
    ResourceSpec, Subnet,
};

const AWS_VPC_CIDR: &str = "10.0.0.0/16";
const SSH_PORT: u16 = 22;
const HTTPS_PORT: u16 = 443;

/// Where a group of components lives: one network per provider and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    provider: Provider,
    region: &'static str,
}

/// Names of the derived resources of one site.
struct SiteNames {
    network: Option<String>,
    /// The web tier's firewall (a user-declared firewall component replaces the derived one).
    web_firewall: String,
    lb_firewall: String,
    db_firewall: String,
    cache_firewall: String,
}

pub fn resources(
    request: &ResolvedRequest,
    warnings: &mut Vec<String>,
) -> Result<Vec<PlannedResource>, PlanError> {
    let sites = sites(request);
    let mut names: BTreeMap<Site, SiteNames> = BTreeMap::new();
    for site in &sites {
        names.insert(*site, site_names(request, *site, &sites));
    }
    let instance_names = |c: &ResolvedComponent| -> Vec<String> {
        let base = format!("{}-{}", request.name, c.source.name);
        if c.count > 1
            && matches!(
                c.kind(),
                ResourceKind::WebServer | ResourceKind::BlockStorage
            )
        {
            (1..=c.count).map(|i| format!("{base}-{i}")).collect()
        } else {
            vec![base]
        }
    };
    let web_servers_at = |site: Site| -> Vec<String> {
        request
            .components
            .iter()
            .filter(|c| c.kind() == ResourceKind::WebServer && site_of(c) == site)
            .flat_map(instance_names)
            .collect()
    };
    let all_web_servers: Vec<(Site, String)> = request
        .components
        .iter()
        .filter(|c| c.kind() == ResourceKind::WebServer)
        .flat_map(|c| instance_names(c).into_iter().map(move |n| (site_of(c), n)))
        .collect();
    // A database or cache serves the web servers of its own site and those in the other cloud (over the
    // internet, admitted by address). Servers of the same provider in another region are not its clients: their
    // private network does not reach it, and rift does not plan cross-region links.
    // A component that names what it serves (`serves`) has exactly those web servers as clients.
    let clients_of = |c: &ResolvedComponent| -> Vec<(Site, String)> {
        let site = site_of(c);
        match &c.source.serves {
            Some(served) => request
                .components
                .iter()
                .filter(|w| served.contains(&w.source.name))
                .filter(|w| site_of(w) == site || w.provider != site.provider)
                .flat_map(|w| instance_names(w).into_iter().map(move |n| (site_of(w), n)))
                .collect(),
            None => all_web_servers
                .iter()
                .filter(|(s, _)| *s == site || s.provider != site.provider)
                .cloned()
                .collect(),
        }
    };
    // What a load balancer listens on: the ports it was given, or its web servers' ports except SSH.
    let entry_ports = |lb: &ResolvedComponent| -> Vec<u16> {
        if lb.source.ports.is_some() {
            return lb.ports.clone();
        }
        let mut ports: Vec<u16> = request
            .components
            .iter()
            .filter(|w| w.kind() == ResourceKind::WebServer && site_of(w) == site_of(lb))
            .flat_map(|w| w.ports.clone())
            .filter(|p| *p != SSH_PORT)
            .collect();
        ports.sort_unstable();
        ports.dedup();
        if ports.is_empty() {
            ports.push(80);
        }
        ports
    };
    let has_kind = |site: Site, kind: ResourceKind| {
        request
            .components
            .iter()
            .any(|c| c.kind() == kind && site_of(c) == site)
    };

    let mut out = Vec::new();

    // Networks first: declared or derived, one per site that needs one.
    for site in &sites {
        let Some(network) = names.get(site).and_then(|n| n.network.clone()) else {
            continue;
        };
        let declared = request
            .components
            .iter()
            .find(|c| c.kind() == ResourceKind::Network && site_of(c) == *site);
        let private_web = request
            .components
            .iter()
            .any(|c| c.kind() == ResourceKind::WebServer && site_of(c) == *site && !c.public);
        let needs_private = private_web
            || has_kind(*site, ResourceKind::Database)
            || has_kind(*site, ResourceKind::Cache);
        let spec = match site.provider {
            Provider::Digitalocean => ResourceSpec::Network {
                cidr: None,
                subnets: vec![],
                internet_gateway: false,
                nat_gateway: false,
            },
            Provider::Aws => ResourceSpec::Network {
                cidr: Some(AWS_VPC_CIDR.to_string()),
                subnets: aws_subnets(&network, site.region, needs_private),
                internet_gateway: true,
                nat_gateway: private_web,
            },
        };
        out.push(resource(
            &network,
            declared.map_or_else(|| "(derived)".to_string(), |c| c.source.name.clone()),
            *site,
            ResourceKind::Network,
            None,
            vec![],
            declared.is_none(),
            spec,
        ));
    }

    // Firewalls and security groups.
    for site in &sites {
        let Some(site_names) = names.get(site) else {
            continue;
        };
        let Some(network) = site_names.network.clone() else {
            continue;
        };
        let web = web_servers_at(*site);
        let lb = request
            .components
            .iter()
            .find(|c| c.kind() == ResourceKind::LoadBalancer && site_of(c) == *site);
        let lb_name = lb.map(|c| format!("{}-{}", request.name, c.source.name));
        let declared_fw = request
            .components
            .iter()
            .find(|c| c.kind() == ResourceKind::Firewall && site_of(c) == *site);
        let web_ports: Vec<u16> = match declared_fw {
            Some(fw) => fw.ports.clone(),
            None => {
                let mut ports: Vec<u16> = request
                    .components
                    .iter()
                    .filter(|c| c.kind() == ResourceKind::WebServer && site_of(c) == *site)
                    .flat_map(|c| c.ports.clone())
                    .collect();
                ports.sort_unstable();
                ports.dedup();
                ports
            }
        };
        let fw_component =
            declared_fw.map_or_else(|| "(derived)".to_string(), |c| c.source.name.clone());
        if site.provider == Provider::Aws && lb.is_some() {
            let listeners = lb.map(entry_ports).unwrap_or_default();
            out.push(firewall(
                &site_names.lb_firewall,
                "(derived)".to_string(),
                *site,
                &network,
                listeners
                    .iter()
                    .map(|p| rule(*p, AccessSource::Anywhere))
                    .collect(),
                lb_name.iter().cloned().collect(),
                true,
            ));
        }
        if !web.is_empty() || declared_fw.is_some() {
            let web_source = match (&lb_name, site.provider) {
                (Some(_), Provider::Aws) => AccessSource::Resource(site_names.lb_firewall.clone()),
                (Some(lb), Provider::Digitalocean) => AccessSource::Resource(lb.clone()),
                (None, _) => AccessSource::Anywhere,
            };
            // SSH never comes through the load balancer or from anywhere: only from the ranges given.
            let mut ssh_from: Vec<String> = match declared_fw {
                Some(fw) => fw.ssh_from.clone(),
                None => request
                    .components
                    .iter()
                    .filter(|c| c.kind() == ResourceKind::WebServer && site_of(c) == *site)
                    .flat_map(|c| c.ssh_from.clone())
                    .collect(),
            };
            ssh_from.sort();
            ssh_from.dedup();
            let mut inbound = Vec::new();
            for port in &web_ports {
                if *port != SSH_PORT {
                    inbound.push(rule(*port, web_source.clone()));
                } else if ssh_from.is_empty() {
                    warnings.push(format!(
                        "{}: port 22 is not opened: SSH is admitted only from the address ranges in ssh_from (none given)",
                        declared_fw.map_or(site_names.web_firewall.as_str(), |fw| fw.source.name.as_str())
                    ));
                } else {
                    inbound.extend(
                        ssh_from
                            .iter()
                            .map(|range| rule(SSH_PORT, AccessSource::Addresses(range.clone()))),
                    );
                }
            }
            out.push(firewall(
                &site_names.web_firewall,
                fw_component,
                *site,
                &network,
                inbound,
                web.clone(),
                declared_fw.is_none(),
            ));
        }
        if site.provider == Provider::Aws {
            for (kind, fw_name) in [
                (ResourceKind::Database, &site_names.db_firewall),
                (ResourceKind::Cache, &site_names.cache_firewall),
            ] {
                let members: Vec<&ResolvedComponent> = request
                    .components
                    .iter()
                    .filter(|c| c.kind() == kind && site_of(c) == *site)
                    .collect();
                if members.is_empty() {
                    continue;
                }
                let mut inbound = Vec::new();
                for m in &members {
                    let port = m.engine.map(|(e, _)| e.port).unwrap_or(0);
                    for (client_site, client) in &clients_of(m) {
                        let source = if *client_site == *site {
                            AccessSource::Resource(site_names.web_firewall.clone())
                        } else {
                            AccessSource::Resource(client.clone())
                        };
                        let r = rule(port, source);
                        if !inbound.contains(&r) {
                            inbound.push(r);
                        }
                    }
                }
                out.push(firewall(
                    fw_name,
                    "(derived)".to_string(),
                    *site,
                    &network,
                    inbound,
                    members
                        .iter()
                        .map(|m| format!("{}-{}", request.name, m.source.name))
                        .collect(),
                    true,
                ));
            }
        }
    }

    // The components themselves.
    for c in &request.components {
        let site = site_of(c);
        let site_names = names.get(&site);
        let network = site_names
            .and_then(|n| n.network.clone())
            .unwrap_or_default();
        let size = c.size.map(|s| s.slug.to_string());
        let base = format!("{}-{}", request.name, c.source.name);
        match c.kind() {
            ResourceKind::Network | ResourceKind::Firewall => {}
            ResourceKind::WebServer => {
                let firewalls: Vec<String> = site_names
                    .map(|n| vec![n.web_firewall.clone()])
                    .unwrap_or_default();
                let spec_size = c.size;
                for name in instance_names(c) {
                    out.push(resource(
                        &name,
                        c.source.name.clone(),
                        site,
                        ResourceKind::WebServer,
                        size.clone(),
                        vec![],
                        false,
                        ResourceSpec::WebServer {
                            vcpus: spec_size.map(|s| s.vcpus).unwrap_or(1),
                            memory_gb: spec_size.map(|s| s.memory_gb).unwrap_or(1.0),
                            disk_gb: c.storage_gb,
                            public: c.public,
                            network: network.clone(),
                            firewalls: firewalls.clone(),
                            image: c.source.image.clone(),
                            user_data: c.source.user_data.clone(),
                            ssh_keys: c.source.ssh_keys.clone().unwrap_or_default(),
                        },
                    ));
                }
                if c.count == 1 && !has_kind(site, ResourceKind::LoadBalancer) {
                    warnings.push(format!(
                        "{}: one web server and no load balancer: no redundancy",
                        c.source.name
                    ));
                }
            }
            ResourceKind::Database | ResourceKind::Cache => {
                let Some((engine, version)) = c.engine else {
                    continue;
                };
                let is_db = c.kind() == ResourceKind::Database;
                let firewall = site_names.map(|n| {
                    if is_db {
                        n.db_firewall.clone()
                    } else {
                        n.cache_firewall.clone()
                    }
                });
                let firewalls = match site.provider {
                    Provider::Aws => firewall.into_iter().collect(),
                    Provider::Digitalocean => vec![],
                };
                let clients = clients_of(c);
                let allowed_from: Vec<String> = clients.iter().map(|(_, n)| n.clone()).collect();
                let cross_cloud = clients.iter().any(|(s, _)| s.provider != site.provider);
                let named = |w: &ResolvedComponent| {
                    c.source
                        .serves
                        .as_ref()
                        .is_none_or(|s| s.contains(&w.source.name))
                };
                if let Some(other) = request.components.iter().find(|w| {
                    w.kind() == ResourceKind::WebServer
                        && named(w)
                        && w.provider == site.provider
                        && site_of(w) != site
                }) {
                    warnings.push(format!(
                        "{}: serves the {} web servers in {} only; those in {} cannot reach it (cross-region access is not planned)",
                        c.source.name, site.provider, site.region, other.region
                    ));
                }
                if cross_cloud {
                    let reach = match (site.provider, is_db) {
                        (Provider::Aws, false) => "ElastiCache is reachable only from inside its VPC: connect the other cloud through a VPN or tunnel (not planned by rift)".to_string(),
                        (Provider::Aws, true) => "the RDS instance is made publicly accessible, admitting only the other cloud's server addresses".to_string(),
                        (Provider::Digitalocean, _) => "its firewall admits the other cloud's server addresses".to_string(),
                    };
                    warnings.push(format!(
                        "{}: clients in another cloud reach it over the internet (added latency, egress charges, use TLS); {reach}",
                        c.source.name
                    ));
                }
                let (vcpus, memory_gb) = c.size.map(|s| (s.vcpus, s.memory_gb)).unwrap_or((1, 1.0));
                let spec = if is_db {
                    let nodes = if site.provider == Provider::Aws && c.high_availability {
                        2
                    } else {
                        c.count
                    };
                    if !c.high_availability && nodes == 1 {
                        warnings.push(format!(
                            "{}: single-node database: no automatic failover (set high_availability for a standby)",
                            c.source.name
                        ));
                    }
                    ResourceSpec::Database {
                        engine: engine.engine,
                        version: version.to_string(),
                        vcpus,
                        memory_gb,
                        storage_gb: c.storage_gb,
                        nodes,
                        high_availability: nodes > 1,
                        port: engine.port,
                        network: network.clone(),
                        firewalls,
                        allowed_from,
                        public: cross_cloud && site.provider == Provider::Aws,
                    }
                } else {
                    ResourceSpec::Cache {
                        engine: engine.engine,
                        version: version.to_string(),
                        vcpus,
                        memory_gb,
                        nodes: c.count,
                        port: engine.port,
                        network: network.clone(),
                        firewalls,
                        allowed_from,
                    }
                };
                out.push(resource(
                    &base,
                    c.source.name.clone(),
                    site,
                    c.kind(),
                    size,
                    vec![],
                    false,
                    spec,
                ));
            }
            ResourceKind::LoadBalancer => {
                let targets = web_servers_at(site);
                if targets.is_empty() {
                    return Err(PlanError::new(
                        format!("{}.kind", c.field),
                        format!(
                            "a load balancer needs web servers to balance on {} in {}; add a web_server component there",
                            site.provider, site.region
                        ),
                    ));
                }
                let target_ports: Vec<u16> = request
                    .components
                    .iter()
                    .filter(|w| w.kind() == ResourceKind::WebServer && site_of(w) == site)
                    .flat_map(|w| w.ports.clone())
                    .filter(|p| *p != SSH_PORT)
                    .collect();
                let ports = entry_ports(c);
                let tls = ports.contains(&HTTPS_PORT);
                // 443 without a certificate in the plan: DigitalOcean passes TLS through to the droplets; on AWS
                // a network load balancer's TCP listeners do the same (an ALB's HTTPS listener would need one).
                let protocol_of = |port: u16| match site.provider {
                    Provider::Digitalocean if port == HTTPS_PORT => "https",
                    Provider::Digitalocean => "http",
                    Provider::Aws if tls => "tcp",
                    Provider::Aws => "http",
                };
                let listeners = ports
                    .iter()
                    .map(|p| ListenerRule {
                        port: *p,
                        target_port: if target_ports.contains(p) {
                            *p
                        } else {
                            target_ports.first().copied().unwrap_or(*p)
                        },
                        protocol: protocol_of(*p).to_string(),
                    })
                    .collect::<Vec<_>>();
                if tls {
                    warnings.push(match site.provider {
                        Provider::Digitalocean => format!(
                            "{}: port 443 uses TLS passthrough: the droplets hold the certificate and terminate TLS",
                            c.source.name
                        ),
                        Provider::Aws => format!(
                            "{}: listens on 443, so it is a network load balancer with TCP listeners: TLS passes through to the instances, which hold the certificate (an application load balancer's HTTPS listener would need an ACM certificate)",
                            c.source.name
                        ),
                    });
                }
                let firewalls = match (site.provider, site_names) {
                    (Provider::Aws, Some(n)) => vec![n.lb_firewall.clone()],
                    _ => vec![],
                };
                out.push(resource(
                    &base,
                    c.source.name.clone(),
                    site,
                    ResourceKind::LoadBalancer,
                    None,
                    vec![],
                    false,
                    ResourceSpec::LoadBalancer {
                        listeners,
                        targets,
                        nodes: c.count,
                        network: network.clone(),
                        firewalls,
                    },
                ));
            }
            ResourceKind::BlockStorage => {
                let servers = web_servers_at(site);
                for (i, name) in instance_names(c).into_iter().enumerate() {
                    let attach_to = if servers.is_empty() {
                        None
                    } else {
                        servers.get(i % servers.len()).cloned()
                    };
                    out.push(resource(
                        &name,
                        c.source.name.clone(),
                        site,
                        ResourceKind::BlockStorage,
                        None,
                        vec![],
                        false,
                        ResourceSpec::BlockStorage {
                            size_gb: c.storage_gb,
                            volume_type: mapping::offering(site.provider).volume_type.to_string(),
                            attach_to,
                        },
                    ));
                }
            }
            ResourceKind::ObjectStorage => {
                out.push(resource(
                    &base,
                    c.source.name.clone(),
                    site,
                    ResourceKind::ObjectStorage,
                    None,
                    vec![],
                    false,
                    ResourceSpec::ObjectStorage {
                        expected_storage_gb: c.storage_gb,
                        private: true,
                    },
                ));
            }
        }
    }
    check_unique_names(&out)?;
    for r in &mut out {
        r.depends_on = references(r);
    }
    protect_droplets_from_first_boot(&mut out);
    Ok(out)
}

/// A DigitalOcean firewall applies by tag, so it can exist before its droplets and guard them from their first
/// boot — unless it admits a load balancer, which itself waits for the droplets.
fn protect_droplets_from_first_boot(resources: &mut [PlannedResource]) {
    let mut additions = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        if let (Provider::Digitalocean, ResourceSpec::WebServer { firewalls, .. }) =
            (r.provider, &r.spec)
        {
            for fw in firewalls {
                if !depends_on(resources, fw, &r.name) {
                    additions.push((i, fw.clone()));
                }
            }
        }
    }
    for (i, fw) in additions {
        if let Some(r) = resources.get_mut(i) {
            r.depends_on.push(fw);
        }
    }
}

/// Whether `from` needs `target`, directly or through other resources.
fn depends_on(resources: &[PlannedResource], from: &str, target: &str) -> bool {
    let mut stack = vec![from.to_string()];
    let mut seen = std::collections::HashSet::new();
    while let Some(name) = stack.pop() {
        if name == target {
            return true;
        }
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(r) = resources.iter().find(|r| r.name == name) {
            stack.extend(r.depends_on.iter().cloned());
        }
    }
    false
}

fn site_of(c: &ResolvedComponent) -> Site {
    Site {
        provider: c.provider,
        region: c.region,
    }
}

/// Sites in the order their components first appear.
fn sites(request: &ResolvedRequest) -> Vec<Site> {
    let mut sites: Vec<Site> = Vec::new();
    for c in &request.components {
        let site = site_of(c);
        if !sites.contains(&site) {
            sites.push(site);
        }
    }
    sites
}

fn site_names(request: &ResolvedRequest, site: Site, sites: &[Site]) -> SiteNames {
    let short = match site.provider {
        Provider::Digitalocean => "do",
        Provider::Aws => "aws",
    };
    let regions_of_provider = sites.iter().filter(|s| s.provider == site.provider).count();
    let tag = if regions_of_provider > 1 {
        format!("{}-{short}-{}", request.name, site.region)
    } else {
        format!("{}-{short}", request.name)
    };
    let in_site = |kind: ResourceKind| {
        request
            .components
            .iter()
            .find(move |c| c.kind() == kind && site_of(c) == site)
    };
    let needs_network = request.components.iter().any(|c| {
        site_of(c) == site
            && matches!(
                c.kind(),
                ResourceKind::WebServer
                    | ResourceKind::Database
                    | ResourceKind::Cache
                    | ResourceKind::LoadBalancer
                    | ResourceKind::Network
                    | ResourceKind::Firewall
            )
    });
    let network = needs_network.then(|| {
        in_site(ResourceKind::Network).map_or_else(
            || format!("{tag}-vpc"),
            |c| format!("{}-{}", request.name, c.source.name),
        )
    });
    let web_firewall = in_site(ResourceKind::Firewall).map_or_else(
        || match site.provider {
            Provider::Digitalocean => format!("{tag}-web-fw"),
            Provider::Aws => format!("{tag}-web-sg"),
        },
        |c| format!("{}-{}", request.name, c.source.name),
    );
    SiteNames {
        network,
        web_firewall,
        lb_firewall: format!("{tag}-lb-sg"),
        db_firewall: format!("{tag}-db-sg"),
        cache_firewall: format!("{tag}-cache-sg"),
    }
}

fn aws_subnets(network: &str, region: &str, private: bool) -> Vec<Subnet> {
    let zones = mapping::region(Provider::Aws, region)
        .map(|r| r.zones)
        .unwrap_or(["a", "b"]);
    let mut subnets = Vec::new();
    for (i, zone) in zones.iter().enumerate() {
        subnets.push(Subnet {
            name: format!("{network}-public-{zone}"),
            availability_zone: format!("{region}{zone}"),
            cidr: format!("10.0.{}.0/24", i + 1),
            public: true,
        });
    }
    if private {
        for (i, zone) in zones.iter().enumerate() {
            subnets.push(Subnet {
                name: format!("{network}-private-{zone}"),
                availability_zone: format!("{region}{zone}"),
                cidr: format!("10.0.{}.0/24", i + 11),
                public: false,
            });
        }
    }
    subnets
}

fn rule(port: u16, source: AccessSource) -> FirewallRule {
    FirewallRule {
        protocol: "tcp".to_string(),
        port,
        source,
    }
}

#[allow(clippy::too_many_arguments)]
fn firewall(
    name: &str,
    component: String,
    site: Site,
    network: &str,
    inbound: Vec<FirewallRule>,
    applies_to: Vec<String>,
    derived: bool,
) -> PlannedResource {
    resource(
        name,
        component,
        site,
        ResourceKind::Firewall,
        None,
        vec![],
        derived,
        ResourceSpec::Firewall {
            network: network.to_string(),
            inbound,
            applies_to,
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn resource(
    name: &str,
    component: String,
    site: Site,
    kind: ResourceKind,
    size: Option<String>,
    depends_on: Vec<String>,
    derived: bool,
    spec: ResourceSpec,
) -> PlannedResource {
    PlannedResource {
        name: name.to_string(),
        component,
        provider: site.provider,
        kind,
        terraform_type: mapping::provider_resource(site.provider, kind)
            .terraform_type
            .to_string(),
        region: site.region.to_string(),
        size,
        depends_on,
        derived,
        spec,
    }
}

fn check_unique_names(resources: &[PlannedResource]) -> Result<(), PlanError> {
    for (i, r) in resources.iter().enumerate() {
        if resources[..i].iter().any(|o| o.name == r.name) {
            return Err(PlanError::new(
                "components",
                format!(
                    "two resources would be named \"{}\" (a component name clashes with a derived network or firewall); rename the component",
                    r.name
                ),
            ));
        }
    }
    Ok(())
}

/// What a resource needs to exist before it can be created.
fn references(r: &PlannedResource) -> Vec<String> {
    let mut deps: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if !name.is_empty() && name != r.name && !deps.iter().any(|d| d == name) {
            deps.push(name.to_string());
        }
    };
    match &r.spec {
        ResourceSpec::Network { .. } | ResourceSpec::ObjectStorage { .. } => {}
        ResourceSpec::WebServer {
            network, firewalls, ..
        } => {
            add(network);
            // A DigitalOcean firewall applies by tag, so droplets need it first only when it does not wait
            // for them (it waits when it admits a load balancer that targets them).
            if r.provider == Provider::Aws {
                firewalls.iter().for_each(|f| add(f));
            }
        }
        ResourceSpec::Database {
            network,
            firewalls,
            allowed_from,
            ..
        } => {
            add(network);
            firewalls.iter().for_each(|f| add(f));
            if r.provider == Provider::Digitalocean {
                allowed_from.iter().for_each(|f| add(f));
            }
        }
        ResourceSpec::Cache {
            network,
            firewalls,
            allowed_from,
            ..
        } => {
            add(network);
            firewalls.iter().for_each(|f| add(f));
            if r.provider == Provider::Digitalocean {
                allowed_from.iter().for_each(|f| add(f));
            }
        }
        ResourceSpec::LoadBalancer {
            targets,
            network,
            firewalls,
            ..
        } => {
            add(network);
            firewalls.iter().for_each(|f| add(f));
            targets.iter().for_each(|t| add(t));
        }
        ResourceSpec::BlockStorage { attach_to, .. } => {
            if let Some(server) = attach_to {
                add(server);
            }
        }
        ResourceSpec::Firewall {
            network, inbound, ..
        } => {
            add(network);
            for rule in inbound {
                if let AccessSource::Resource(source) = &rule.source {
                    add(source);
                }
            }
        }
    }
    deps
}
