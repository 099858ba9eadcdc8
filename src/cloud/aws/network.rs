//! VPC networking: the VPC, subnets in two availability zones (public, and private where a database or cache needs
//! them), the internet gateway, an optional NAT gateway and the route tables.

use std::time::Duration;

use aws_sdk_ec2::types::{AttributeBooleanValue, DomainType, ResourceType};

use super::{
    AwsClients, Tags, code, ec2_filter, ec2_listing, ec2_owned, ec2_rift_owned, ec2_tag_spec,
    ec2_tags, missing, not_found, not_found_as, record, sdk_error, wait_for,
};
use crate::cloud::{CloudError, Owner, Progress, ResourceRecord};
use crate::model::{ResourceKind, Subnet};

/// Tag that tells public subnets (internet-facing: load balancers, public servers) from private ones.
pub const TAG_TIER: &str = "rift-tier";
const NAT_DEADLINE: Duration = Duration::from_secs(600);

/// A subnet of a network, as dependents need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetInfo {
    pub id: String,
    pub name: String,
    pub availability_zone: String,
    pub public: bool,
}

/// What to build.
#[derive(Debug, Clone, Copy)]
pub struct NetworkSpec<'a> {
    pub cidr: &'a str,
    pub subnets: &'a [Subnet],
    pub internet_gateway: bool,
    pub nat_gateway: bool,
}

/// Creates the network, or completes and returns the one a previous (possibly interrupted) call created.
pub async fn create(
    c: &AwsClients,
    tags: &Tags,
    spec: NetworkSpec<'_>,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let vpc_id = match find_vpc(c, tags).await? {
        Some(id) => id,
        None => {
            let out = c
                .ec2
                .create_vpc()
                .cidr_block(spec.cidr)
                .tag_specifications(ec2_tag_spec(ResourceType::Vpc, tags, &[]))
                .send()
                .await
                .map_err(|e| sdk_error("ec2:CreateVpc", e))?;
            out.vpc()
                .and_then(|v| v.vpc_id())
                .map(str::to_string)
                .ok_or_else(|| missing("CreateVpc", "VpcId"))?
        }
    };
    // DNS host names let instances and RDS endpoints resolve inside the VPC.
    c.ec2
        .modify_vpc_attribute()
        .vpc_id(&vpc_id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:ModifyVpcAttribute", e))?;

    let existing = subnets(c, &vpc_id).await?;
    let mut public_ids = Vec::new();
    let mut private_ids = Vec::new();
    for subnet in spec.subnets {
        let id = match existing.iter().find(|s| s.name == subnet.name) {
            Some(found) => found.id.clone(),
            None => create_subnet(c, tags, &vpc_id, subnet).await?,
        };
        if subnet.public {
            public_ids.push(id);
        } else {
            private_ids.push(id);
        }
    }

    if spec.internet_gateway {
        let igw = ensure_internet_gateway(c, tags, &vpc_id).await?;
        let table = ensure_route_table(c, &tags.part("public"), &vpc_id).await?;
        replace_default_route(c, &table, Route::Gateway(&igw)).await?;
        associate(c, &table, &public_ids).await?;
        if spec.nat_gateway {
            let subnet = public_ids.first().ok_or_else(|| {
                CloudError::Invalid("a NAT gateway needs a public subnet in the network".into())
            })?;
            let nat = ensure_nat_gateway(c, tags, &vpc_id, subnet, progress).await?;
            let private = ensure_route_table(c, &tags.part("private"), &vpc_id).await?;
            replace_default_route(c, &private, Route::Nat(&nat)).await?;
            associate(c, &private, &private_ids).await?;
        }
    }
    get(c, &vpc_id).await
}

pub async fn get(c: &AwsClients, vpc_id: &str) -> Result<ResourceRecord, CloudError> {
    let out = not_found_as(
        c.ec2
            .describe_vpcs()
            .vpc_ids(vpc_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DescribeVpcs", e)),
        &["InvalidVpcID.NotFound"],
        ResourceKind::Network,
        vpc_id,
    )?;
    let vpc = out
        .vpcs()
        .first()
        .ok_or_else(|| not_found(ResourceKind::Network, vpc_id))?;
    let mut record = record(
        ResourceKind::Network,
        vpc_id,
        &c.region,
        ec2_tags(vpc.tags()),
    );
    record.state = vpc
        .state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    record.endpoints = vpc.cidr_block().map(str::to_string).into_iter().collect();
    for subnet in subnets(c, vpc_id).await? {
        record
            .parts
            .insert(format!("subnet:{}", subnet.name), subnet.id);
    }
    if let Some(igw) = internet_gateway(c, vpc_id).await? {
        record.parts.insert("internet_gateway".into(), igw);
    }
    for nat in nat_gateways(c, vpc_id).await? {
        record.parts.insert("nat_gateway".into(), nat);
    }
    Ok(record)
}

/// The networks rift created for a project.
/// The VPCs of a listing; an account's default VPC (one per region, made by AWS) is no one's to adopt.
pub async fn list(c: &AwsClients, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
    let mut filters = ec2_listing(owner);
    filters.push(ec2_filter("is-default", "false"));
    let out = c
        .ec2
        .describe_vpcs()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeVpcs", e))?;
    let mut found = Vec::new();
    for id in out.vpcs().iter().filter_map(|v| v.vpc_id()) {
        found.push(get(c, id).await?);
    }
    Ok(found)
}

/// Deletes the VPC and, first, what rift created inside it, in the order AWS requires: NAT gateways (and their
/// addresses), route tables, the internet gateway, cache subnet groups, subnets, security groups. Servers, databases and load
/// balancers are resources of their own and must be deleted before; while one remains AWS refuses with
/// `DependencyViolation`.
pub async fn delete(c: &AwsClients, vpc_id: &str, progress: &Progress) -> Result<(), CloudError> {
    get(c, vpc_id).await?;
    let in_vpc = || vec![ec2_filter("vpc-id", vpc_id), ec2_rift_owned()];

    for nat in nat_gateways(c, vpc_id).await? {
        c.ec2
            .delete_nat_gateway()
            .nat_gateway_id(&nat)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DeleteNatGateway", e))?;
        wait_for(
            "the NAT gateway to be deleted",
            NAT_DEADLINE,
            progress,
            || async {
                let states = nat_gateway_states(c, vpc_id, &nat).await?;
                Ok(states.iter().all(|s| s == "deleted").then_some(()))
            },
        )
        .await?;
    }
    release_addresses(c, vpc_id).await?;

    let tables = c
        .ec2
        .describe_route_tables()
        .set_filters(Some(in_vpc()))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeRouteTables", e))?;
    for table in tables.route_tables() {
        let Some(table_id) = table.route_table_id() else {
            continue;
        };
        let main = table.associations().iter().any(|a| a.main() == Some(true));
        if main {
            continue;
        }
        for association in table
            .associations()
            .iter()
            .filter_map(|a| a.route_table_association_id())
        {
            c.ec2
                .disassociate_route_table()
                .association_id(association)
                .send()
                .await
                .map_err(|e| sdk_error("ec2:DisassociateRouteTable", e))?;
        }
        c.ec2
            .delete_route_table()
            .route_table_id(table_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DeleteRouteTable", e))?;
    }

    let gateways = c
        .ec2
        .describe_internet_gateways()
        .filters(ec2_filter("attachment.vpc-id", vpc_id))
        .filters(ec2_rift_owned())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeInternetGateways", e))?;
    for igw in gateways
        .internet_gateways()
        .iter()
        .filter_map(|g| g.internet_gateway_id())
    {
        c.ec2
            .detach_internet_gateway()
            .internet_gateway_id(igw)
            .vpc_id(vpc_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DetachInternetGateway", e))?;
        c.ec2
            .delete_internet_gateway()
            .internet_gateway_id(igw)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DeleteInternetGateway", e))?;
    }

    super::cache::delete_subnet_groups_in_vpc(c, vpc_id, progress).await?;
    let owned_subnets = c
        .ec2
        .describe_subnets()
        .set_filters(Some(in_vpc()))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSubnets", e))?;
    for subnet in owned_subnets.subnets().iter().filter_map(|s| s.subnet_id()) {
        c.ec2
            .delete_subnet()
            .subnet_id(subnet)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DeleteSubnet", e))?;
    }

    super::firewall::delete_all_in_vpc(c, vpc_id).await?;

    not_found_as(
        c.ec2
            .delete_vpc()
            .vpc_id(vpc_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DeleteVpc", e)),
        &["InvalidVpcID.NotFound"],
        ResourceKind::Network,
        vpc_id,
    )?;
    Ok(())
}

/// The subnets of a network; public ones are those rift tagged public (or that give instances public addresses).
pub async fn subnets(c: &AwsClients, vpc_id: &str) -> Result<Vec<SubnetInfo>, CloudError> {
    let out = c
        .ec2
        .describe_subnets()
        .filters(ec2_filter("vpc-id", vpc_id))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSubnets", e))?;
    let mut found: Vec<SubnetInfo> = out
        .subnets()
        .iter()
        .filter_map(|s| {
            let tier = ec2_tags(s.tags())
                .find(|(k, _)| *k == TAG_TIER)
                .map(|(_, v)| v);
            Some(SubnetInfo {
                id: s.subnet_id()?.to_string(),
                name: ec2_tags(s.tags())
                    .find(|(k, _)| *k == super::TAG_NAME)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default(),
                availability_zone: s.availability_zone().unwrap_or_default().to_string(),
                public: tier.map_or(s.map_public_ip_on_launch() == Some(true), |t| t == "public"),
            })
        })
        .collect();
    found.sort_by(|a, b| {
        a.availability_zone
            .cmp(&b.availability_zone)
            .then(a.name.cmp(&b.name))
    });
    Ok(found)
}

async fn find_vpc(c: &AwsClients, tags: &Tags) -> Result<Option<String>, CloudError> {
    let out = c
        .ec2
        .describe_vpcs()
        .set_filters(Some(ec2_owned(&tags.project, Some(&tags.name))))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeVpcs", e))?;
    Ok(out
        .vpcs()
        .iter()
        .find_map(|v| v.vpc_id())
        .map(str::to_string))
}

async fn create_subnet(
    c: &AwsClients,
    tags: &Tags,
    vpc_id: &str,
    subnet: &Subnet,
) -> Result<String, CloudError> {
    let tier = if subnet.public { "public" } else { "private" };
    let own = Tags::new(tags.project.clone(), subnet.name.clone());
    let out = c
        .ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(&subnet.cidr)
        .availability_zone(&subnet.availability_zone)
        .tag_specifications(ec2_tag_spec(
            ResourceType::Subnet,
            &own,
            &[(TAG_TIER, tier)],
        ))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:CreateSubnet", e))?;
    let id = out
        .subnet()
        .and_then(|s| s.subnet_id())
        .map(str::to_string)
        .ok_or_else(|| missing("CreateSubnet", "SubnetId"))?;
    if subnet.public {
        c.ec2
            .modify_subnet_attribute()
            .subnet_id(&id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
            .send()
            .await
            .map_err(|e| sdk_error("ec2:ModifySubnetAttribute", e))?;
    }
    Ok(id)
}

async fn internet_gateway(c: &AwsClients, vpc_id: &str) -> Result<Option<String>, CloudError> {
    let out = c
        .ec2
        .describe_internet_gateways()
        .filters(ec2_filter("attachment.vpc-id", vpc_id))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeInternetGateways", e))?;
    Ok(out
        .internet_gateways()
        .iter()
        .find_map(|g| g.internet_gateway_id())
        .map(str::to_string))
}

async fn ensure_internet_gateway(
    c: &AwsClients,
    tags: &Tags,
    vpc_id: &str,
) -> Result<String, CloudError> {
    if let Some(igw) = internet_gateway(c, vpc_id).await? {
        return Ok(igw);
    }
    let out = c
        .ec2
        .create_internet_gateway()
        .tag_specifications(ec2_tag_spec(
            ResourceType::InternetGateway,
            &tags.part("igw"),
            &[],
        ))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:CreateInternetGateway", e))?;
    let igw = out
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .map(str::to_string)
        .ok_or_else(|| missing("CreateInternetGateway", "InternetGatewayId"))?;
    c.ec2
        .attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(|e| sdk_error("ec2:AttachInternetGateway", e))?;
    Ok(igw)
}

async fn ensure_route_table(
    c: &AwsClients,
    tags: &Tags,
    vpc_id: &str,
) -> Result<String, CloudError> {
    let out = c
        .ec2
        .describe_route_tables()
        .set_filters(Some(
            [
                vec![ec2_filter("vpc-id", vpc_id)],
                ec2_owned(&tags.project, Some(&tags.name)),
            ]
            .concat(),
        ))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeRouteTables", e))?;
    if let Some(id) = out.route_tables().iter().find_map(|t| t.route_table_id()) {
        return Ok(id.to_string());
    }
    let out = c
        .ec2
        .create_route_table()
        .vpc_id(vpc_id)
        .tag_specifications(ec2_tag_spec(ResourceType::RouteTable, tags, &[]))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:CreateRouteTable", e))?;
    out.route_table()
        .and_then(|t| t.route_table_id())
        .map(str::to_string)
        .ok_or_else(|| missing("CreateRouteTable", "RouteTableId"))
}

enum Route<'a> {
    Gateway(&'a str),
    Nat(&'a str),
}

/// Points 0.0.0.0/0 of the table at the gateway (creating the route, or replacing it on a retry).
async fn replace_default_route(
    c: &AwsClients,
    table: &str,
    target: Route<'_>,
) -> Result<(), CloudError> {
    let create = c
        .ec2
        .create_route()
        .route_table_id(table)
        .destination_cidr_block("0.0.0.0/0");
    let create = match target {
        Route::Gateway(igw) => create.gateway_id(igw),
        Route::Nat(nat) => create.nat_gateway_id(nat),
    };
    match create
        .send()
        .await
        .map_err(|e| sdk_error("ec2:CreateRoute", e))
    {
        Err(e) if code(&e) == Some("RouteAlreadyExists") => Ok(()),
        other => other.map(|_| ()),
    }
}

async fn associate(c: &AwsClients, table: &str, subnet_ids: &[String]) -> Result<(), CloudError> {
    let out = c
        .ec2
        .describe_route_tables()
        .route_table_ids(table)
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeRouteTables", e))?;
    let associated: Vec<&str> = out
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter_map(|a| a.subnet_id())
        .collect();
    for subnet in subnet_ids
        .iter()
        .filter(|s| !associated.contains(&s.as_str()))
    {
        c.ec2
            .associate_route_table()
            .route_table_id(table)
            .subnet_id(subnet)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:AssociateRouteTable", e))?;
    }
    Ok(())
}

async fn nat_gateway_states(
    c: &AwsClients,
    vpc_id: &str,
    nat: &str,
) -> Result<Vec<String>, CloudError> {
    let out = c
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(nat)
        .filter(ec2_filter("vpc-id", vpc_id))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeNatGateways", e))?;
    Ok(out
        .nat_gateways()
        .iter()
        .map(|n| {
            n.state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default()
        })
        .collect())
}

/// NAT gateways rift created in the VPC that are not deleted.
async fn nat_gateways(c: &AwsClients, vpc_id: &str) -> Result<Vec<String>, CloudError> {
    let out = c
        .ec2
        .describe_nat_gateways()
        .filter(ec2_filter("vpc-id", vpc_id))
        .filter(ec2_rift_owned())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeNatGateways", e))?;
    Ok(out
        .nat_gateways()
        .iter()
        .filter(|n| {
            !matches!(
                n.state().map(|s| s.as_str()),
                Some("deleted" | "deleting" | "failed")
            )
        })
        .filter_map(|n| n.nat_gateway_id().map(str::to_string))
        .collect())
}

async fn ensure_nat_gateway(
    c: &AwsClients,
    tags: &Tags,
    vpc_id: &str,
    subnet: &str,
    progress: &Progress,
) -> Result<String, CloudError> {
    let nat = match nat_gateways(c, vpc_id).await?.into_iter().next() {
        Some(nat) => nat,
        None => {
            let allocation = ensure_address(c, tags, vpc_id).await?;
            let out = c
                .ec2
                .create_nat_gateway()
                .subnet_id(subnet)
                .allocation_id(allocation)
                .tag_specifications(ec2_tag_spec(
                    ResourceType::Natgateway,
                    &tags.part("nat"),
                    &[],
                ))
                .send()
                .await
                .map_err(|e| sdk_error("ec2:CreateNatGateway", e))?;
            out.nat_gateway()
                .and_then(|n| n.nat_gateway_id())
                .map(str::to_string)
                .ok_or_else(|| missing("CreateNatGateway", "NatGatewayId"))?
        }
    };
    wait_for(
        "the NAT gateway to become available",
        NAT_DEADLINE,
        progress,
        || async {
            let states = nat_gateway_states(c, vpc_id, &nat).await?;
            Ok(states.iter().any(|s| s == "available").then_some(()))
        },
    )
    .await?;
    Ok(nat)
}

/// The NAT gateway's Elastic IP, tagged with the VPC so deleting the network can release it.
async fn ensure_address(c: &AwsClients, tags: &Tags, vpc_id: &str) -> Result<String, CloudError> {
    let own = tags.part("nat");
    let out = c
        .ec2
        .describe_addresses()
        .set_filters(Some(ec2_owned(&own.project, Some(&own.name))))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeAddresses", e))?;
    if let Some(id) = out.addresses().iter().find_map(|a| a.allocation_id()) {
        return Ok(id.to_string());
    }
    let out = c
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(ec2_tag_spec(
            ResourceType::ElasticIp,
            &own,
            &[(TAG_VPC, vpc_id)],
        ))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:AllocateAddress", e))?;
    out.allocation_id()
        .map(str::to_string)
        .ok_or_else(|| missing("AllocateAddress", "AllocationId"))
}

/// Marks an Elastic IP with the VPC it serves (addresses belong to no VPC on their own).
const TAG_VPC: &str = "rift-vpc";

async fn release_addresses(c: &AwsClients, vpc_id: &str) -> Result<(), CloudError> {
    let out = c
        .ec2
        .describe_addresses()
        .filters(ec2_filter(&format!("tag:{TAG_VPC}"), vpc_id))
        .filters(ec2_rift_owned())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeAddresses", e))?;
    for allocation in out.addresses().iter().filter_map(|a| a.allocation_id()) {
        c.ec2
            .release_address()
            .allocation_id(allocation)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:ReleaseAddress", e))?;
    }
    Ok(())
}
