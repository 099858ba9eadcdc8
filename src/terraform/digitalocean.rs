//! DigitalOcean resources (terraform-provider-digitalocean 2.x): VPCs, droplets, cloud firewalls, load
//! balancers, managed database and caching clusters with their firewalls, volumes and Spaces buckets.

use super::hcl::{self, Block, Expr, Part, Traversal};
use super::{Ctx, Sink, TerraformError, do_tags, invalid, network_range, port_protocol};
use crate::mapping;
use crate::model::{
    AccessSource, Engine, FirewallRule, ListenerRule, PlannedResource, Provider, ResourceKind,
    ResourceSpec,
};

const EVERYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];
/// The tags firewalls apply by start like the ones rift's DigitalOcean client creates.
const FIREWALL_TAG_PREFIX: &str = "rift-firewall:";

pub(super) fn resource(
    ctx: &Ctx,
    r: &PlannedResource,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    match &r.spec {
        ResourceSpec::Network { cidr, .. } => vpc(ctx, r, cidr.as_deref(), out),
        ResourceSpec::WebServer {
            public, network, ..
        } => droplet(ctx, r, *public, network, out),
        ResourceSpec::Firewall {
            inbound,
            applies_to,
            ..
        } => firewall(ctx, r, inbound, applies_to, out),
        ResourceSpec::LoadBalancer {
            listeners,
            targets,
            nodes,
            network,
            ..
        } => load_balancer(ctx, r, listeners, targets, *nodes, network, out),
        ResourceSpec::Database {
            engine,
            version,
            storage_gb,
            nodes,
            network,
            allowed_from,
            ..
        } => cluster(
            ctx,
            r,
            Cluster {
                engine: *engine,
                version,
                storage_gb: Some(*storage_gb),
                nodes: *nodes,
                network,
                allowed_from,
            },
            out,
        ),
        ResourceSpec::Cache {
            engine,
            version,
            nodes,
            network,
            allowed_from,
            ..
        } => cluster(
            ctx,
            r,
            Cluster {
                engine: *engine,
                version,
                storage_gb: None,
                nodes: *nodes,
                network,
                allowed_from,
            },
            out,
        ),
        ResourceSpec::BlockStorage {
            size_gb, attach_to, ..
        } => volume(ctx, r, *size_gb, attach_to.as_deref(), out),
        ResourceSpec::ObjectStorage { private, .. } => bucket(r, *private, out),
    }
}

fn vpc(
    ctx: &Ctx,
    r: &PlannedResource,
    cidr: Option<&str>,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    // VPCs take no tags: the description marks who manages it.
    let block = Block::resource("digitalocean_vpc", &id)
        .attr("name", &r.name)
        .attr("region", &r.region)
        .attr_opt("ip_range", cidr)
        .attr(
            "description",
            format!("Managed by rift for {}", ctx.plan.name),
        );
    out.digitalocean(r, "digitalocean_vpc", &id, block)
}

fn droplet(
    ctx: &Ctx,
    r: &PlannedResource,
    public: bool,
    network: &str,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let vpc = ctx.get_kind(r, network, Provider::Digitalocean, ResourceKind::Network)?;
    let mut tags = do_tags(ctx);
    let mut first = Vec::new();
    for fw in firewalls_of(ctx, r)? {
        let fw_id = hcl::identifier(&fw.name);
        tags.push(
            Traversal::resource("digitalocean_tag", &fw_id)
                .attr("id")
                .into(),
        );
        if r.depends_on.contains(&fw.name) {
            first.push(Expr::Ref(Traversal::resource(
                "digitalocean_firewall",
                &fw_id,
            )));
        }
    }
    let boot = r
        .boot()
        .ok_or_else(|| invalid(&r.name, "is not a web server"))?;
    let ssh_keys: Expr = if boot.ssh_keys.is_empty() {
        Traversal::var("do_ssh_keys").into()
    } else {
        boot.ssh_keys.to_vec().into()
    };
    let mut block = Block::resource("digitalocean_droplet", &id)
        .attr("name", &r.name)
        .attr("region", &r.region)
        .attr("size", r.size.as_deref().unwrap_or_default())
        .attr(
            "image",
            boot.image
                .unwrap_or(mapping::DIGITALOCEAN_DEFAULT_IMAGE.name),
        )
        .attr(
            "vpc_uuid",
            Traversal::resource("digitalocean_vpc", &hcl::identifier(&vpc.name)).attr("id"),
        )
        .attr("ssh_keys", ssh_keys)
        .attr_opt("user_data", boot.user_data)
        .attr("monitoring", true)
        .attr_opt("public_networking", (!public).then_some(false))
        .attr("tags", Expr::List(tags));
    if !first.is_empty() {
        block = block
            .comment("Its firewall applies by tag; created first, it guards the droplet from its first boot.")
            .attr("depends_on", Expr::List(first));
    }
    out.digitalocean(r, "digitalocean_droplet", &id, block)?;
    let droplet = Traversal::resource("digitalocean_droplet", &id);
    if public {
        out.output(
            r,
            &format!("{id}_ipv4_address"),
            format!("Public IPv4 address of {}", r.name),
            droplet.attr("ipv4_address"),
        )
    } else {
        out.output(
            r,
            &format!("{id}_private_ipv4_address"),
            format!("Private IPv4 address of {} in its VPC", r.name),
            droplet.attr("ipv4_address_private"),
        )
    }
}

/// The firewalls guarding a droplet: those it names and those that name it, in plan order.
fn firewalls_of<'a>(
    ctx: &Ctx<'a>,
    r: &PlannedResource,
) -> Result<Vec<&'a PlannedResource>, TerraformError> {
    let ResourceSpec::WebServer { firewalls, .. } = &r.spec else {
        return Ok(vec![]);
    };
    for name in firewalls {
        ctx.get_kind(r, name, Provider::Digitalocean, ResourceKind::Firewall)?;
    }
    Ok(ctx
        .plan
        .resources
        .iter()
        .filter(|fw| match &fw.spec {
            ResourceSpec::Firewall { applies_to, .. } => {
                fw.provider == Provider::Digitalocean
                    && (firewalls.contains(&fw.name) || applies_to.contains(&r.name))
            }
            _ => false,
        })
        .collect())
}

/// A cloud firewall attached by a tag of its own: the droplets carry the tag, so the firewall can exist before
/// them, and every rule admits only what the plan says. Outbound traffic is open, as the plan states.
fn firewall(
    ctx: &Ctx,
    r: &PlannedResource,
    inbound: &[FirewallRule],
    applies_to: &[String],
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    for target in applies_to {
        ctx.get_kind(r, target, Provider::Digitalocean, ResourceKind::WebServer)?;
    }
    // The API refuses a firewall that names a tag which does not exist yet.
    out.digitalocean(
        r,
        "digitalocean_tag",
        &id,
        Block::resource("digitalocean_tag", &id)
            .attr("name", format!("{FIREWALL_TAG_PREFIX}{}", r.name)),
    )?;
    let mut block = Block::resource("digitalocean_firewall", &id)
        .attr("name", &r.name)
        .attr(
            "tags",
            vec![Traversal::resource("digitalocean_tag", &id).attr("id")],
        );
    for rule in inbound {
        block = block.block(inbound_rule(ctx, r, rule)?);
    }
    for protocol in ["tcp", "udp"] {
        block = block.block(
            Block::new("outbound_rule", &[])
                .attr("protocol", protocol)
                .attr("port_range", "1-65535")
                .attr("destination_addresses", EVERYWHERE.to_vec()),
        );
    }
    block = block.block(
        Block::new("outbound_rule", &[])
            .attr("protocol", "icmp")
            .attr("destination_addresses", EVERYWHERE.to_vec()),
    );
    out.digitalocean(r, "digitalocean_firewall", &id, block)
}

fn inbound_rule(
    ctx: &Ctx,
    r: &PlannedResource,
    rule: &FirewallRule,
) -> Result<Block, TerraformError> {
    let protocol = port_protocol(r, &rule.protocol)?;
    let block = Block::new("inbound_rule", &[])
        .attr("protocol", protocol)
        .attr("port_range", rule.port.to_string());
    Ok(match &rule.source {
        AccessSource::Anywhere => block.attr("source_addresses", EVERYWHERE.to_vec()),
        AccessSource::Network(name) => {
            block.attr("source_addresses", vec![network_range(ctx, r, name)?])
        }
        AccessSource::Addresses(cidr) => block.attr("source_addresses", vec![cidr.clone()]),
        AccessSource::Resource(name) => {
            let source = ctx.get(r, name)?;
            let source_id = hcl::identifier(&source.name);
            match (source.provider, source.kind) {
                (Provider::Digitalocean, ResourceKind::LoadBalancer) => block.attr(
                    "source_load_balancer_uids",
                    vec![Traversal::resource("digitalocean_loadbalancer", &source_id).attr("id")],
                ),
                (Provider::Digitalocean, ResourceKind::WebServer) => block.attr(
                    "source_droplet_ids",
                    vec![Traversal::resource("digitalocean_droplet", &source_id).attr("id")],
                ),
                (Provider::Digitalocean, ResourceKind::Firewall) => block.attr(
                    "source_tags",
                    vec![Traversal::resource("digitalocean_tag", &source_id).attr("id")],
                ),
                (Provider::Aws, ResourceKind::WebServer) => block
                    .comment(&format!(
                        "{} in AWS, by the address it reaches the internet from.",
                        source.name
                    ))
                    .attr(
                        "source_addresses",
                        vec![Expr::Template(vec![
                            Part::Interpolation(ctx.public_address(r, source)?),
                            Part::Literal("/32".to_string()),
                        ])],
                    ),
                (provider, kind) => {
                    return Err(invalid(
                        &r.name,
                        format!(
                            "a DigitalOcean firewall cannot admit {} (a {provider} {kind}); sources are addresses, droplets, load balancers and tags",
                            source.name
                        ),
                    ));
                }
            }
        }
    })
}

fn load_balancer(
    ctx: &Ctx,
    r: &PlannedResource,
    listeners: &[ListenerRule],
    targets: &[String],
    nodes: u32,
    network: &str,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let vpc = ctx.get_kind(r, network, Provider::Digitalocean, ResourceKind::Network)?;
    let Some(first) = listeners.first() else {
        return Err(invalid(
            &r.name,
            "a load balancer needs at least one listener",
        ));
    };
    let mut droplets = Vec::new();
    for target in targets {
        let droplet = ctx.get_kind(r, target, Provider::Digitalocean, ResourceKind::WebServer)?;
        droplets.push(
            Traversal::resource("digitalocean_droplet", &hcl::identifier(&droplet.name)).attr("id"),
        );
    }
    let mut block = Block::resource("digitalocean_loadbalancer", &id)
        .attr("name", &r.name)
        .attr("region", &r.region)
        .attr("size_unit", nodes)
        .attr(
            "vpc_uuid",
            Traversal::resource("digitalocean_vpc", &hcl::identifier(&vpc.name)).attr("id"),
        )
        .attr("droplet_ids", droplets);
    for listener in listeners {
        let rule = Block::new("forwarding_rule", &[])
            .attr("entry_port", listener.port)
            .attr("entry_protocol", listener.protocol.as_str())
            .attr("target_port", listener.target_port)
            .attr("target_protocol", listener.protocol.as_str());
        block = block.block(match listener.protocol.as_str() {
            "http" | "tcp" => rule,
            // Without a certificate in the plan, HTTPS can only pass through to the droplets.
            "https" => rule.attr("tls_passthrough", true),
            other => {
                return Err(invalid(
                    &r.name,
                    format!("listener protocol \"{other}\" is not one of http, https, tcp"),
                ));
            }
        });
    }
    // A TCP check works whatever the application serves at "/".
    block = block.block(
        Block::new("healthcheck", &[])
            .attr("port", first.target_port)
            .attr("protocol", "tcp"),
    );
    out.digitalocean(r, "digitalocean_loadbalancer", &id, block)?;
    out.output(
        r,
        &format!("{id}_ip"),
        format!("Public IP address of the load balancer {}", r.name),
        Traversal::resource("digitalocean_loadbalancer", &id).attr("ip"),
    )
}

struct Cluster<'p> {
    engine: Engine,
    version: &'p str,
    /// Database storage; `None` for caches, whose storage is the node's memory.
    storage_gb: Option<u32>,
    nodes: u32,
    network: &'p str,
    allowed_from: &'p [String],
}

/// A managed database or caching cluster in the VPC, and the database firewall that admits only its clients.
fn cluster(
    ctx: &Ctx,
    r: &PlannedResource,
    c: Cluster,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let vpc = ctx.get_kind(r, c.network, Provider::Digitalocean, ResourceKind::Network)?;
    let size = r.size.as_deref().unwrap_or_default();
    let offering = mapping::offering(Provider::Digitalocean)
        .engines
        .iter()
        .find(|e| e.engine == c.engine && e.kind == r.kind)
        .ok_or_else(|| {
            invalid(
                &r.name,
                format!("DigitalOcean offers no {} {}", c.engine, r.kind),
            )
        })?;
    // Storage beyond what the size includes is bought in MiB; the included amount needs no setting.
    let extra_storage_mib = match c.storage_gb {
        Some(gb) => {
            let included = mapping::find_size(Provider::Digitalocean, r.kind, size)
                .map_err(|e| invalid(&r.name, e.to_string()))?
                .disk_gb;
            (gb > included).then(|| (u64::from(gb) * 1024).to_string())
        }
        None => None,
    };

    let mut rules = Vec::new();
    for client in c.allowed_from {
        let server = ctx.get(r, client)?;
        let server_id = hcl::identifier(&server.name);
        rules.push(match (server.provider, server.kind) {
            (Provider::Digitalocean, ResourceKind::WebServer) => {
                Block::new("rule", &[]).attr("type", "droplet").attr(
                    "value",
                    Traversal::resource("digitalocean_droplet", &server_id).attr("id"),
                )
            }
            (Provider::Aws, ResourceKind::WebServer) => Block::new("rule", &[])
                .comment(&format!(
                    "{} in AWS, by the address it reaches the internet from.",
                    server.name
                ))
                .attr("type", "ip_addr")
                .attr("value", ctx.public_address(r, server)?),
            (provider, kind) => {
                return Err(TerraformError::WrongKind {
                    resource: r.name.clone(),
                    target: client.clone(),
                    found: format!("{provider} {kind}"),
                    expected: "a web server".to_string(),
                });
            }
        });
    }

    let mut block = Block::resource("digitalocean_database_cluster", &id);
    if rules.is_empty() {
        block = block.comment(
            "No planned server uses this cluster: add trusted sources before storing data, since a cluster without firewall rules accepts connections from anywhere.",
        );
    }
    block = block
        .attr("name", &r.name)
        .attr("engine", offering.native_name)
        .attr("version", c.version)
        .attr("size", size)
        .attr("region", &r.region)
        .attr("node_count", c.nodes)
        .attr(
            "private_network_uuid",
            Traversal::resource("digitalocean_vpc", &hcl::identifier(&vpc.name)).attr("id"),
        )
        .attr_opt("storage_size_mib", extra_storage_mib)
        .attr("tags", Expr::List(do_tags(ctx)));
    out.digitalocean(r, "digitalocean_database_cluster", &id, block)?;

    if !rules.is_empty() {
        let mut fw = Block::resource("digitalocean_database_firewall", &id).attr(
            "cluster_id",
            Traversal::resource("digitalocean_database_cluster", &id).attr("id"),
        );
        for rule in rules {
            fw = fw.block(rule);
        }
        out.digitalocean(r, "digitalocean_database_firewall", &id, fw)?;
    }

    let cluster = Traversal::resource("digitalocean_database_cluster", &id);
    out.output(
        r,
        &format!("{id}_host"),
        format!("Public hostname of {}", r.name),
        cluster.clone().attr("host"),
    )?;
    out.output(
        r,
        &format!("{id}_private_host"),
        format!("Hostname of {} inside its VPC", r.name),
        cluster.clone().attr("private_host"),
    )?;
    out.output(
        r,
        &format!("{id}_port"),
        format!("Port of {}", r.name),
        cluster.attr("port"),
    )
}

fn volume(
    ctx: &Ctx,
    r: &PlannedResource,
    size_gb: u32,
    attach_to: Option<&str>,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let block = Block::resource("digitalocean_volume", &id)
        .attr("name", &r.name)
        .attr("region", &r.region)
        .attr("size", size_gb)
        .attr("initial_filesystem_type", "ext4")
        .attr(
            "description",
            format!("Managed by rift for {}", ctx.plan.name),
        )
        .attr("tags", Expr::List(do_tags(ctx)));
    out.digitalocean(r, "digitalocean_volume", &id, block)?;
    let Some(server) = attach_to else {
        return Ok(());
    };
    let droplet = ctx.get_kind(r, server, Provider::Digitalocean, ResourceKind::WebServer)?;
    let attachment = Block::resource("digitalocean_volume_attachment", &id)
        .attr(
            "droplet_id",
            Traversal::resource("digitalocean_droplet", &hcl::identifier(&droplet.name)).attr("id"),
        )
        .attr(
            "volume_id",
            Traversal::resource("digitalocean_volume", &id).attr("id"),
        );
    out.digitalocean(r, "digitalocean_volume_attachment", &id, attachment)
}

fn bucket(r: &PlannedResource, private: bool, out: &mut Sink) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    // Spaces buckets take no tags.
    let block = Block::resource("digitalocean_spaces_bucket", &id)
        .attr("name", &r.name)
        .attr("region", &r.region)
        .attr("acl", if private { "private" } else { "public-read" });
    out.digitalocean(r, "digitalocean_spaces_bucket", &id, block)?;
    out.output(
        r,
        &format!("{id}_domain_name"),
        format!("Domain name of the Spaces bucket {}", r.name),
        Traversal::resource("digitalocean_spaces_bucket", &id).attr("bucket_domain_name"),
    )
}
