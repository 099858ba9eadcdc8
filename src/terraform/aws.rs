//! AWS resources (hashicorp/aws 5.x): VPCs with subnets in two availability zones and their routes, security
//! groups with one rule resource per rule, EC2 instances, application load balancers, RDS, ElastiCache, EBS
//! volumes and S3 buckets.

use super::hcl::{self, Block, Expr, Part, Traversal};
use super::{Ctx, Sink, TerraformError, aws_tags, invalid, network_range, port_protocol};
use crate::mapping::{self, naming};
use crate::model::{
    AccessSource, Engine, FirewallRule, ListenerRule, PlannedResource, Provider, ResourceKind,
    ResourceSpec, Subnet,
};

pub(super) fn resource(
    ctx: &Ctx,
    r: &PlannedResource,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    match &r.spec {
        ResourceSpec::Network {
            cidr,
            subnets,
            internet_gateway,
            nat_gateway,
        } => {
            let cidr = cidr
                .as_deref()
                .ok_or_else(|| invalid(&r.name, "an AWS VPC needs an address range"))?;
            network(ctx, r, cidr, subnets, *internet_gateway, *nat_gateway, out)
        }
        ResourceSpec::Firewall {
            network, inbound, ..
        } => security_group(ctx, r, network, inbound, out),
        ResourceSpec::WebServer {
            public,
            network,
            disk_gb,
            ..
        } => instance(ctx, r, *public, network, *disk_gb, out),
        ResourceSpec::LoadBalancer {
            listeners,
            targets,
            network,
            ..
        } => load_balancer(ctx, r, listeners, targets, network, out),
        ResourceSpec::Database {
            engine,
            version,
            storage_gb,
            high_availability,
            port,
            network,
            public,
            ..
        } => database(
            ctx,
            r,
            Database {
                engine: *engine,
                version,
                storage_gb: *storage_gb,
                multi_az: *high_availability,
                port: *port,
                network,
                public: *public,
            },
            out,
        ),
        ResourceSpec::Cache {
            engine,
            version,
            nodes,
            port,
            network,
            ..
        } => cache(ctx, r, *engine, version, *nodes, *port, network, out),
        ResourceSpec::BlockStorage {
            size_gb,
            volume_type,
            attach_to,
        } => volume(ctx, r, *size_gb, volume_type, attach_to.as_deref(), out),
        ResourceSpec::ObjectStorage { private, .. } => bucket(ctx, r, *private, out),
    }
}

/// One Ubuntu 24.04 image lookup per region that runs instances.
pub(super) fn amis(ctx: &Ctx, out: &mut Sink) -> Result<(), TerraformError> {
    for region in &ctx.aws_regions {
        let has_instances = ctx.plan.resources.iter().any(|r| {
            r.provider == Provider::Aws && r.kind == ResourceKind::WebServer && r.region == *region
        });
        if !has_instances {
            continue;
        }
        let name = ami_name(ctx, region);
        out.claim(region, format!("data.aws_ami.{name}"))?;
        out.aws_data.push(
            Block::new("data", &["aws_ami", &name])
                .attr_opt("provider", provider(ctx, region))
                .attr("most_recent", true)
                .attr("owners", vec![mapping::AWS_DEFAULT_IMAGE.owner])
                .block(
                    Block::new("filter", &[])
                        .attr("name", "name")
                        .attr("values", vec![mapping::AWS_DEFAULT_IMAGE.name]),
                )
                .block(
                    Block::new("filter", &[])
                        .attr("name", "virtualization-type")
                        .attr("values", vec!["hvm"]),
                ),
        );
    }
    Ok(())
}

fn ami_name(ctx: &Ctx, region: &str) -> String {
    match ctx.aws_alias(region) {
        None => "default".to_string(),
        Some(alias) => format!("default_{alias}"),
    }
}

fn provider(ctx: &Ctx, region: &str) -> Option<Traversal> {
    ctx.aws_alias(region)
        .map(|alias| Traversal::provider("aws", &alias))
}

/// A resource block, with the `provider` meta-argument when its region is not the default provider's.
fn block(ctx: &Ctx, r: &PlannedResource, resource_type: &str, name: &str) -> Block {
    Block::resource(resource_type, name).attr_opt("provider", provider(ctx, &r.region))
}

fn id_of(resource_type: &str, name: &str) -> Traversal {
    Traversal::resource(resource_type, &hcl::identifier(name)).attr("id")
}

/// The address a private instance reaches the internet from: its network's NAT gateway.
pub(super) fn nat_address(network: &PlannedResource) -> Traversal {
    Traversal::resource(
        "aws_eip",
        &format!("{}_nat", hcl::identifier(&network.name)),
    )
    .attr("public_ip")
}

/// A VPC with its subnets, an internet gateway and public route table, and (when private instances need to
/// reach out) a NAT gateway behind which the private subnets route.
fn network(
    ctx: &Ctx,
    r: &PlannedResource,
    cidr: &str,
    subnets: &[Subnet],
    internet_gateway: bool,
    nat_gateway: bool,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let vpc_id = Traversal::resource("aws_vpc", &id).attr("id");
    let igw = Traversal::resource("aws_internet_gateway", &id);
    out.aws(
        r,
        "aws_vpc",
        &id,
        block(ctx, r, "aws_vpc", &id)
            .attr("cidr_block", cidr)
            .attr("enable_dns_support", true)
            .attr("enable_dns_hostnames", true)
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    for s in subnets {
        let subnet_id = hcl::identifier(&s.name);
        out.aws(
            r,
            "aws_subnet",
            &subnet_id,
            block(ctx, r, "aws_subnet", &subnet_id)
                .attr("vpc_id", vpc_id.clone())
                .attr("cidr_block", s.cidr.as_str())
                .attr("availability_zone", s.availability_zone.as_str())
                .attr("map_public_ip_on_launch", s.public)
                .attr("tags", aws_tags(ctx, &s.name)),
        )?;
    }
    let public: Vec<&Subnet> = subnets.iter().filter(|s| s.public).collect();
    let private: Vec<&Subnet> = subnets.iter().filter(|s| !s.public).collect();

    if internet_gateway {
        out.aws(
            r,
            "aws_internet_gateway",
            &id,
            block(ctx, r, "aws_internet_gateway", &id)
                .attr("vpc_id", vpc_id.clone())
                .attr("tags", aws_tags(ctx, &r.name)),
        )?;
        if !public.is_empty() {
            route_table(
                ctx,
                r,
                "public",
                Some(("gateway_id", igw.clone().attr("id"))),
                &public,
                out,
            )?;
        }
    }

    let mut private_route = None;
    if nat_gateway {
        let (Some(first_public), true) = (public.first(), internet_gateway) else {
            return Err(invalid(
                &r.name,
                "a NAT gateway needs an internet gateway and a public subnet",
            ));
        };
        let eip = format!("{id}_nat");
        out.aws(
            r,
            "aws_eip",
            &eip,
            block(ctx, r, "aws_eip", &eip)
                .attr("domain", "vpc")
                .attr("tags", aws_tags(ctx, &format!("{}-nat", r.name)))
                .attr("depends_on", vec![igw.clone()]),
        )?;
        out.aws(
            r,
            "aws_nat_gateway",
            &id,
            block(ctx, r, "aws_nat_gateway", &id)
                .attr(
                    "allocation_id",
                    Traversal::resource("aws_eip", &eip).attr("id"),
                )
                .attr("subnet_id", id_of("aws_subnet", &first_public.name))
                .attr("tags", aws_tags(ctx, &r.name))
                .comment("The gateway needs the internet gateway to reach out.")
                .attr("depends_on", vec![igw]),
        )?;
        private_route = Some((
            "nat_gateway_id",
            Traversal::resource("aws_nat_gateway", &id).attr("id"),
        ));
    }
    if !private.is_empty() {
        route_table(ctx, r, "private", private_route, &private, out)?;
    }
    Ok(())
}

/// A route table (with a default route when there is a gateway) and its subnet associations.
fn route_table(
    ctx: &Ctx,
    r: &PlannedResource,
    tier: &str,
    default_route: Option<(&str, Traversal)>,
    subnets: &[&Subnet],
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let table = format!("{id}_{tier}");
    let mut rt = block(ctx, r, "aws_route_table", &table)
        .attr("vpc_id", Traversal::resource("aws_vpc", &id).attr("id"));
    if let Some((target, gateway)) = default_route {
        rt = rt.block(
            Block::new("route", &[])
                .attr("cidr_block", "0.0.0.0/0")
                .attr(target, gateway),
        );
    }
    rt = rt.attr("tags", aws_tags(ctx, &format!("{}-{tier}", r.name)));
    out.aws(r, "aws_route_table", &table, rt)?;
    for s in subnets {
        let association = hcl::identifier(&s.name);
        out.aws(
            r,
            "aws_route_table_association",
            &association,
            block(ctx, r, "aws_route_table_association", &association)
                .attr("subnet_id", id_of("aws_subnet", &s.name))
                .attr(
                    "route_table_id",
                    Traversal::resource("aws_route_table", &table).attr("id"),
                ),
        )?;
    }
    Ok(())
}

fn subnets_of<'a>(
    ctx: &Ctx<'a>,
    r: &PlannedResource,
    network: &str,
) -> Result<(&'a PlannedResource, &'a [Subnet]), TerraformError> {
    let net = ctx.get_kind(r, network, Provider::Aws, ResourceKind::Network)?;
    if net.region != r.region {
        return Err(invalid(
            &r.name,
            format!(
                "is in {} but its network {} is in {}",
                r.region, net.name, net.region
            ),
        ));
    }
    match &net.spec {
        ResourceSpec::Network { subnets, .. } => Ok((net, subnets.as_slice())),
        _ => Ok((net, &[])),
    }
}

/// Public subnets, or private ones (falling back to public when the network has none).
fn pick_subnets(subnets: &[Subnet], public: bool) -> Vec<&Subnet> {
    let wanted: Vec<&Subnet> = subnets.iter().filter(|s| s.public == public).collect();
    if wanted.is_empty() && !public {
        subnets.iter().filter(|s| s.public).collect()
    } else {
        wanted
    }
}

/// Subnets spanning at least two availability zones, as ALBs and DB subnet groups require.
fn two_zones<'s>(
    r: &PlannedResource,
    subnets: Vec<&'s Subnet>,
) -> Result<Vec<&'s Subnet>, TerraformError> {
    let mut zones: Vec<&str> = subnets
        .iter()
        .map(|s| s.availability_zone.as_str())
        .collect();
    zones.sort_unstable();
    zones.dedup();
    if zones.len() < 2 {
        return Err(invalid(
            &r.name,
            "needs subnets in two availability zones; its network has fewer",
        ));
    }
    Ok(subnets)
}

fn subnet_ids(subnets: &[&Subnet]) -> Vec<Traversal> {
    subnets
        .iter()
        .map(|s| id_of("aws_subnet", &s.name))
        .collect()
}

/// The security groups protecting a resource: those it names and those that name it, in plan order.
fn security_groups(
    ctx: &Ctx,
    r: &PlannedResource,
    named: &[String],
) -> Result<Vec<Traversal>, TerraformError> {
    for name in named {
        let sg = ctx.get_kind(r, name, Provider::Aws, ResourceKind::Firewall)?;
        if sg.region != r.region {
            return Err(invalid(
                &r.name,
                format!(
                    "security group {} is in another region ({})",
                    sg.name, sg.region
                ),
            ));
        }
    }
    Ok(ctx
        .plan
        .resources
        .iter()
        .filter(|sg| match &sg.spec {
            ResourceSpec::Firewall { applies_to, .. } => {
                sg.provider == Provider::Aws
                    && (named.contains(&sg.name) || applies_to.contains(&r.name))
            }
            _ => false,
        })
        .map(|sg| id_of("aws_security_group", &sg.name))
        .collect())
}

fn firewalls_named(r: &PlannedResource) -> &[String] {
    match &r.spec {
        ResourceSpec::WebServer { firewalls, .. }
        | ResourceSpec::Database { firewalls, .. }
        | ResourceSpec::Cache { firewalls, .. }
        | ResourceSpec::LoadBalancer { firewalls, .. } => firewalls,
        _ => &[],
    }
}

/// A security group with one resource per rule (the current provider's recommended form), and all outbound
/// traffic allowed, which Terraform otherwise removes from a group it creates.
fn security_group(
    ctx: &Ctx,
    r: &PlannedResource,
    network: &str,
    inbound: &[FirewallRule],
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let (vpc, _) = subnets_of(ctx, r, network)?;
    out.aws(
        r,
        "aws_security_group",
        &id,
        block(ctx, r, "aws_security_group", &id)
            .attr("name", &r.name)
            .attr(
                "description",
                format!("Managed by rift for {}", ctx.plan.name),
            )
            .attr("vpc_id", id_of("aws_vpc", &vpc.name))
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    let group = Traversal::resource("aws_security_group", &id).attr("id");
    let mut seen: Vec<&FirewallRule> = Vec::new();
    for rule in inbound {
        if seen.contains(&rule) {
            continue;
        }
        seen.push(rule);
        let protocol = port_protocol(r, &rule.protocol)?;
        let (source_label, source_name, source) = ingress_source(ctx, r, &vpc.name, &rule.source)?;
        let rule_id = format!(
            "{id}_{protocol}_{}_{}",
            rule.port,
            hcl::identifier(&source_name)
        );
        let rule_name = format!("{}-{protocol}-{}-from-{source_name}", r.name, rule.port);
        let (key, value) = source;
        out.aws(
            r,
            "aws_vpc_security_group_ingress_rule",
            &rule_id,
            block(ctx, r, "aws_vpc_security_group_ingress_rule", &rule_id)
                .attr("security_group_id", group.clone())
                .attr(
                    "description",
                    format!("{protocol} {} from {source_label}", rule.port),
                )
                .attr("ip_protocol", protocol)
                .attr("from_port", rule.port)
                .attr("to_port", rule.port)
                .attr(key, value)
                .attr("tags", aws_tags(ctx, &rule_name)),
        )?;
    }
    let egress = format!("{id}_all_outbound");
    out.aws(
        r,
        "aws_vpc_security_group_egress_rule",
        &egress,
        block(ctx, r, "aws_vpc_security_group_egress_rule", &egress)
            .attr("security_group_id", group)
            .attr("description", "all outbound traffic")
            .attr("ip_protocol", "-1")
            .attr("cidr_ipv4", "0.0.0.0/0")
            .attr("tags", aws_tags(ctx, &format!("{}-all-outbound", r.name))),
    )
}

/// What an ingress rule admits: a readable label, a name for the rule's address, and the attribute to set.
fn ingress_source(
    ctx: &Ctx,
    r: &PlannedResource,
    network: &str,
    source: &AccessSource,
) -> Result<(String, String, (&'static str, Expr)), TerraformError> {
    let cidr = |address: Traversal| {
        Expr::Template(vec![
            Part::Interpolation(address),
            Part::Literal("/32".to_string()),
        ])
    };
    match source {
        AccessSource::Anywhere => Ok((
            "anywhere".to_string(),
            "anywhere".to_string(),
            ("cidr_ipv4", "0.0.0.0/0".into()),
        )),
        AccessSource::Network(name) => Ok((
            name.clone(),
            name.clone(),
            ("cidr_ipv4", network_range(ctx, r, name)?.into()),
        )),
        AccessSource::Addresses(cidr) => Ok((
            cidr.clone(),
            cidr.replace(['.', '/'], "-"),
            ("cidr_ipv4", cidr.clone().into()),
        )),
        AccessSource::Resource(name) => {
            let src = ctx.get(r, name)?;
            let referenced = |sg: &PlannedResource| {
                if sg.region == r.region {
                    Ok((
                        "referenced_security_group_id",
                        Expr::Ref(id_of("aws_security_group", &sg.name)),
                    ))
                } else {
                    Err(invalid(
                        &r.name,
                        format!(
                            "cannot reference security group {} in another region ({})",
                            sg.name, sg.region
                        ),
                    ))
                }
            };
            let attr = match (src.provider, &src.spec) {
                (Provider::Aws, ResourceSpec::Firewall { .. }) => referenced(src)?,
                (Provider::Aws, ResourceSpec::LoadBalancer { firewalls, .. }) => {
                    let Some(sg) = firewalls.first() else {
                        return Err(invalid(
                            &r.name,
                            format!("admits {}, which has no security group", src.name),
                        ));
                    };
                    referenced(ctx.get_kind(src, sg, Provider::Aws, ResourceKind::Firewall)?)?
                }
                // Inside the same VPC, by private address.
                (Provider::Aws, ResourceSpec::WebServer { network: n, .. }) if n == network => (
                    "cidr_ipv4",
                    cidr(
                        Traversal::resource("aws_instance", &hcl::identifier(&src.name))
                            .attr("private_ip"),
                    ),
                ),
                (_, ResourceSpec::WebServer { .. }) => {
                    ("cidr_ipv4", cidr(ctx.public_address(r, src)?))
                }
                _ => {
                    return Err(invalid(
                        &r.name,
                        format!(
                            "a security group cannot admit {} (a {} {}); sources are security groups, load balancers, servers and networks",
                            src.name, src.provider, src.kind
                        ),
                    ));
                }
            };
            let label = if src.provider == Provider::Aws {
                src.name.clone()
            } else {
                format!("{} ({})", src.name, src.provider)
            };
            Ok((label, src.name.clone(), attr))
        }
    }
}

fn instance(
    ctx: &Ctx,
    r: &PlannedResource,
    public: bool,
    network: &str,
    disk_gb: u32,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let (net, subnets) = subnets_of(ctx, r, network)?;
    let candidates = pick_subnets(subnets, public);
    // Spread a tier's instances over the availability zones, in plan order.
    let position = ctx
        .plan
        .resources
        .iter()
        .take_while(|o| o.name != r.name)
        .filter(|o| {
            matches!(&o.spec, ResourceSpec::WebServer { public: p, network: n, .. }
                if o.provider == Provider::Aws && *p == public && *n == net.name)
        })
        .count();
    let Some(subnet) = candidates.get(position % candidates.len().max(1)) else {
        return Err(invalid(
            &r.name,
            format!("its network {} has no subnets", net.name),
        ));
    };
    let groups = security_groups(ctx, r, firewalls_named(r))?;
    let boot = r
        .boot()
        .ok_or_else(|| invalid(&r.name, "is not a web server"))?;
    let ami: Expr = match boot.image {
        Some(ami) => ami.into(),
        None => Traversal::data("aws_ami", &ami_name(ctx, &r.region))
            .attr("id")
            .into(),
    };
    let key_name: Expr = match boot.ssh_keys.first() {
        Some(key) => key.as_str().into(),
        None => Traversal::var("aws_key_name").into(),
    };
    out.aws(
        r,
        "aws_instance",
        &id,
        block(ctx, r, "aws_instance", &id)
            .attr("ami", ami)
            .attr("instance_type", r.size.as_deref().unwrap_or_default())
            .attr("subnet_id", id_of("aws_subnet", &subnet.name))
            .attr("vpc_security_group_ids", groups)
            .attr("associate_public_ip_address", public)
            .attr("key_name", key_name)
            .attr_opt("user_data", boot.user_data)
            .block(
                // Instance metadata only through session tokens (IMDSv2).
                Block::new("metadata_options", &[]).attr("http_tokens", "required"),
            )
            .block(
                Block::new("root_block_device", &[])
                    .attr("volume_size", disk_gb)
                    .attr("volume_type", "gp3")
                    .attr("encrypted", true),
            )
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    let instance = Traversal::resource("aws_instance", &id);
    if public {
        out.output(
            r,
            &format!("{id}_public_ip"),
            format!("Public IP address of {}", r.name),
            instance.attr("public_ip"),
        )
    } else {
        out.output(
            r,
            &format!("{id}_private_ip"),
            format!("Private IP address of {} in its VPC", r.name),
            instance.attr("private_ip"),
        )
    }
}

/// An application (or, with TCP listeners, a network) load balancer in the public subnets of two zones, a target group per target port with the
/// instances attached, and a listener per port.
fn load_balancer(
    ctx: &Ctx,
    r: &PlannedResource,
    listeners: &[ListenerRule],
    targets: &[String],
    network: &str,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let (net, subnets) = subnets_of(ctx, r, network)?;
    let public = two_zones(r, subnets.iter().filter(|s| s.public).collect())?;
    // TCP listeners make it a network load balancer (TLS passes through to the instances); HTTP ones an
    // application load balancer. One kind per load balancer.
    let network_lb = ListenerRule::network_load_balancer(listeners);
    let (lb_type, protocol) = if network_lb {
        ("network", "TCP")
    } else {
        ("application", "HTTP")
    };
    let wanted = protocol.to_ascii_lowercase();
    if let Some(other) = listeners.iter().find(|l| l.protocol != wanted) {
        return Err(invalid(
            &r.name,
            format!(
                "listener {} is \"{}\" but this {lb_type} load balancer's listeners are {wanted}; give every listener one protocol",
                other.port, other.protocol
            ),
        ));
    }
    let groups = security_groups(ctx, r, firewalls_named(r))?;
    out.aws(
        r,
        "aws_lb",
        &id,
        block(ctx, r, "aws_lb", &id)
            .attr(
                "name",
                naming::aws_identifier(&ctx.plan.name, &r.name, naming::LOAD_BALANCER_NAME_MAX),
            )
            .attr("internal", false)
            .attr("load_balancer_type", lb_type)
            .attr("security_groups", groups)
            .attr("subnets", subnet_ids(&public))
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;

    let mut instances = Vec::new();
    for target in targets {
        let server = ctx.get_kind(r, target, Provider::Aws, ResourceKind::WebServer)?;
        instances.push(server);
    }
    let mut target_ports: Vec<u16> = Vec::new();
    for l in listeners {
        if !target_ports.contains(&l.target_port) {
            target_ports.push(l.target_port);
        }
    }
    for port in &target_ports {
        let group = format!("{id}_{port}");
        let group_name = format!("{}-tg-{port}", r.name);
        out.aws(
            r,
            "aws_lb_target_group",
            &group,
            block(ctx, r, "aws_lb_target_group", &group)
                .attr(
                    "name",
                    naming::target_group_name(&ctx.plan.name, &r.name, *port),
                )
                .attr("port", *port)
                .attr("protocol", protocol)
                .attr("target_type", "instance")
                .attr("vpc_id", id_of("aws_vpc", &net.name))
                .block(if network_lb {
                    Block::new("health_check", &[]).attr("protocol", "TCP")
                } else {
                    Block::new("health_check", &[])
                        .attr("protocol", "HTTP")
                        .attr("path", "/")
                        .attr("matcher", "200-399")
                })
                .attr("tags", aws_tags(ctx, &group_name)),
        )?;
        for server in &instances {
            let attachment = format!("{group}_{}", hcl::identifier(&server.name));
            out.aws(
                r,
                "aws_lb_target_group_attachment",
                &attachment,
                block(ctx, r, "aws_lb_target_group_attachment", &attachment)
                    .attr(
                        "target_group_arn",
                        Traversal::resource("aws_lb_target_group", &group).attr("arn"),
                    )
                    .attr("target_id", id_of("aws_instance", &server.name))
                    .attr("port", *port),
            )?;
        }
    }
    for l in listeners {
        let listener = format!("{id}_{}", l.port);
        out.aws(
            r,
            "aws_lb_listener",
            &listener,
            block(ctx, r, "aws_lb_listener", &listener)
                .attr(
                    "load_balancer_arn",
                    Traversal::resource("aws_lb", &id).attr("arn"),
                )
                .attr("port", l.port)
                .attr("protocol", protocol)
                .block(
                    Block::new("default_action", &[])
                        .attr("type", "forward")
                        .attr(
                            "target_group_arn",
                            Traversal::resource(
                                "aws_lb_target_group",
                                &format!("{id}_{}", l.target_port),
                            )
                            .attr("arn"),
                        ),
                )
                .attr("tags", aws_tags(ctx, &format!("{}-{}", r.name, l.port))),
        )?;
    }
    out.output(
        r,
        &format!("{id}_dns_name"),
        format!("DNS name of the load balancer {}", r.name),
        Traversal::resource("aws_lb", &id).attr("dns_name"),
    )
}

fn native_engine(r: &PlannedResource, engine: Engine) -> Result<&'static str, TerraformError> {
    mapping::offering(Provider::Aws)
        .engines
        .iter()
        .find(|e| e.engine == engine && e.kind == r.kind)
        .map(|e| e.native_name)
        .ok_or_else(|| invalid(&r.name, format!("AWS offers no {engine} {}", r.kind)))
}

struct Database<'p> {
    engine: Engine,
    version: &'p str,
    storage_gb: u32,
    multi_az: bool,
    port: u16,
    network: &'p str,
    public: bool,
}

/// RDS in a DB subnet group (private subnets, or public ones when servers in another cloud connect).
fn database(
    ctx: &Ctx,
    r: &PlannedResource,
    db: Database,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let (_, subnets) = subnets_of(ctx, r, db.network)?;
    let placed = two_zones(r, pick_subnets(subnets, db.public))?;
    let engine = native_engine(r, db.engine)?;
    let groups = security_groups(ctx, r, firewalls_named(r))?;
    out.aws(
        r,
        "aws_db_subnet_group",
        &id,
        block(ctx, r, "aws_db_subnet_group", &id)
            .attr("name", &r.name)
            .attr("subnet_ids", subnet_ids(&placed))
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    // The master user names the RDS console proposes for each engine.
    let username = if db.engine == Engine::Mysql {
        "admin"
    } else {
        "postgres"
    };
    out.aws(
        r,
        "aws_db_instance",
        &id,
        block(ctx, r, "aws_db_instance", &id)
            .attr(
                "identifier",
                naming::aws_identifier(&ctx.plan.name, &r.name, naming::RDS_IDENTIFIER_MAX),
            )
            .attr("engine", engine)
            .attr("engine_version", db.version)
            .attr("instance_class", r.size.as_deref().unwrap_or_default())
            .attr("allocated_storage", db.storage_gb)
            .attr("storage_type", "gp3")
            .attr("storage_encrypted", true)
            .attr("port", db.port)
            .attr(
                "db_subnet_group_name",
                Traversal::resource("aws_db_subnet_group", &id).attr("name"),
            )
            .attr("vpc_security_group_ids", groups)
            .attr("publicly_accessible", db.public)
            .attr("multi_az", db.multi_az)
            .attr("username", username)
            .comment("RDS generates the master password and keeps it in Secrets Manager: it is never in this configuration or its state.")
            .attr("manage_master_user_password", true)
            .attr("backup_retention_period", 7u32)
            .attr("skip_final_snapshot", false)
            .attr("final_snapshot_identifier", format!("{}-final", r.name))
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    let instance = Traversal::resource("aws_db_instance", &id);
    out.output(
        r,
        &format!("{id}_address"),
        format!("Hostname of the database {}", r.name),
        instance.clone().attr("address"),
    )?;
    out.output(
        r,
        &format!("{id}_port"),
        format!("Port of the database {}", r.name),
        instance.clone().attr("port"),
    )?;
    out.output(
        r,
        &format!("{id}_master_user_secret_arn"),
        format!(
            "Secrets Manager secret holding the master password of {}",
            r.name
        ),
        instance
            .attr("master_user_secret")
            .index(0)
            .attr("secret_arn"),
    )
}

#[allow(clippy::too_many_arguments)]
fn cache(
    ctx: &Ctx,
    r: &PlannedResource,
    engine: Engine,
    version: &str,
    nodes: u32,
    port: u16,
    network: &str,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let (_, subnets) = subnets_of(ctx, r, network)?;
    let placed = pick_subnets(subnets, false);
    if placed.is_empty() {
        return Err(invalid(&r.name, "its network has no subnets"));
    }
    let native = native_engine(r, engine)?;
    let groups = security_groups(ctx, r, firewalls_named(r))?;
    out.aws(
        r,
        "aws_elasticache_subnet_group",
        &id,
        block(ctx, r, "aws_elasticache_subnet_group", &id)
            .attr("name", &r.name)
            .attr("subnet_ids", subnet_ids(&placed))
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    out.aws(
        r,
        "aws_elasticache_cluster",
        &id,
        block(ctx, r, "aws_elasticache_cluster", &id)
            .attr(
                "cluster_id",
                naming::aws_identifier(&ctx.plan.name, &r.name, naming::ELASTICACHE_ID_MAX),
            )
            .attr("engine", native)
            .attr("engine_version", version)
            .attr("node_type", r.size.as_deref().unwrap_or_default())
            .attr("num_cache_nodes", nodes)
            .attr("port", port)
            .attr(
                "subnet_group_name",
                Traversal::resource("aws_elasticache_subnet_group", &id).attr("name"),
            )
            .attr("security_group_ids", groups)
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    let cluster = Traversal::resource("aws_elasticache_cluster", &id);
    out.output(
        r,
        &format!("{id}_address"),
        format!("Hostname of the cache {}", r.name),
        cluster.clone().attr("cache_nodes").index(0).attr("address"),
    )?;
    out.output(
        r,
        &format!("{id}_port"),
        format!("Port of the cache {}", r.name),
        cluster.attr("port"),
    )
}

/// Device names AWS recommends for data volumes on Linux instances.
const DEVICE_LETTERS: &[u8] = b"fghijklmnop";

fn volume(
    ctx: &Ctx,
    r: &PlannedResource,
    size_gb: u32,
    volume_type: &str,
    attach_to: Option<&str>,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let server = attach_to
        .map(|name| ctx.get_kind(r, name, Provider::Aws, ResourceKind::WebServer))
        .transpose()?;
    if let Some(server) = server
        && server.region != r.region
    {
        return Err(invalid(
            &r.name,
            format!(
                "cannot attach to {} in another region ({})",
                server.name, server.region
            ),
        ));
    }
    // A volume lives in one zone: the instance's, or the region's first for a volume attached later.
    let zone: Expr = match server {
        Some(s) => Traversal::resource("aws_instance", &hcl::identifier(&s.name))
            .attr("availability_zone")
            .into(),
        None => format!("{}a", r.region).into(),
    };
    out.aws(
        r,
        "aws_ebs_volume",
        &id,
        block(ctx, r, "aws_ebs_volume", &id)
            .attr("availability_zone", zone)
            .attr("size", size_gb)
            .attr("type", volume_type)
            .attr("encrypted", true)
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    let Some(server) = server else {
        return Ok(());
    };
    let earlier = ctx
        .plan
        .resources
        .iter()
        .take_while(|o| o.name != r.name)
        .filter(|o| {
            matches!(&o.spec, ResourceSpec::BlockStorage { attach_to: Some(t), .. }
                if o.provider == Provider::Aws && *t == server.name)
        })
        .count();
    let Some(letter) = DEVICE_LETTERS.get(earlier) else {
        return Err(invalid(
            &r.name,
            format!(
                "{} would have more than {} data volumes",
                server.name,
                DEVICE_LETTERS.len()
            ),
        ));
    };
    out.aws(
        r,
        "aws_volume_attachment",
        &id,
        block(ctx, r, "aws_volume_attachment", &id)
            .attr("device_name", format!("/dev/sd{}", char::from(*letter)))
            .attr(
                "volume_id",
                Traversal::resource("aws_ebs_volume", &id).attr("id"),
            )
            .attr("instance_id", id_of("aws_instance", &server.name)),
    )
}

/// An S3 bucket with public access blocked and default encryption on.
fn bucket(
    ctx: &Ctx,
    r: &PlannedResource,
    private: bool,
    out: &mut Sink,
) -> Result<(), TerraformError> {
    let id = hcl::identifier(&r.name);
    let bucket = Traversal::resource("aws_s3_bucket", &id).attr("id");
    out.aws(
        r,
        "aws_s3_bucket",
        &id,
        block(ctx, r, "aws_s3_bucket", &id)
            .attr(
                "bucket",
                naming::aws_identifier(&ctx.plan.name, &r.name, naming::S3_BUCKET_MAX),
            )
            .attr("tags", aws_tags(ctx, &r.name)),
    )?;
    // A bucket meant to be public may be opened by a bucket policy; ACLs stay blocked either way.
    out.aws(
        r,
        "aws_s3_bucket_public_access_block",
        &id,
        block(ctx, r, "aws_s3_bucket_public_access_block", &id)
            .attr("bucket", bucket.clone())
            .attr("block_public_acls", true)
            .attr("block_public_policy", private)
            .attr("ignore_public_acls", true)
            .attr("restrict_public_buckets", private),
    )?;
    out.aws(
        r,
        "aws_s3_bucket_server_side_encryption_configuration",
        &id,
        block(
            ctx,
            r,
            "aws_s3_bucket_server_side_encryption_configuration",
            &id,
        )
        .attr("bucket", bucket)
        .block(
            Block::new("rule", &[]).block(
                Block::new("apply_server_side_encryption_by_default", &[])
                    .attr("sse_algorithm", "AES256"),
            ),
        ),
    )?;
    out.output(
        r,
        &format!("{id}_bucket_domain_name"),
        format!("Regional domain name of the S3 bucket {}", r.name),
        Traversal::resource("aws_s3_bucket", &id).attr("bucket_regional_domain_name"),
    )
}
