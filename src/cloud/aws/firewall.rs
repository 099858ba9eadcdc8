//! Security groups and their ingress rules. Everything outbound stays allowed (AWS's default egress rule); inbound
//! is only what the plan lists, so a database's group admits nothing but the web tier's group.

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, SecurityGroup, UserIdGroupPair};

use super::{
    AwsClients, Tags, code, ec2_filter, ec2_listing, ec2_rift_owned, ec2_tag_spec, ec2_tags,
    missing, not_found, not_found_as, record, sdk_error,
};
use crate::cloud::{CloudError, Owner, ResourceRecord};
use crate::model::ResourceKind;

const NOT_FOUND: &[&str] = &["InvalidGroup.NotFound", "InvalidGroupId.Malformed"];

/// Where inbound traffic may come from, with names already resolved to AWS ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Any IPv4 address.
    Anywhere,
    /// An address range, e.g. the VPC's CIDR or a server in another cloud ("203.0.113.7/32").
    Cidr(String),
    /// Members of a security group (sg-…).
    Group(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    /// "tcp" or "udp" (rift's "http"/"https" listeners are TCP).
    pub protocol: String,
    pub port: u16,
    pub source: Source,
}

/// Creates the group in the VPC (or finds the one a previous call created) and makes sure every rule exists.
pub async fn create(
    c: &AwsClients,
    tags: &Tags,
    vpc_id: &str,
    rules: &[Ingress],
) -> Result<ResourceRecord, CloudError> {
    let group_id = match find(c, tags, vpc_id).await? {
        Some(id) => id,
        None => {
            let out = c
                .ec2
                .create_security_group()
                .group_name(&tags.name)
                .description(format!("rift {} (project {})", tags.name, tags.project))
                .vpc_id(vpc_id)
                .tag_specifications(ec2_tag_spec(ResourceType::SecurityGroup, tags, &[]))
                .send()
                .await
                .map_err(|e| sdk_error("ec2:CreateSecurityGroup", e))?;
            out.group_id()
                .map(str::to_string)
                .ok_or_else(|| missing("CreateSecurityGroup", "GroupId"))?
        }
    };
    for rule in rules {
        authorize(c, &group_id, rule).await?;
    }
    get(c, &group_id).await
}

/// Adds one inbound rule; a rule that already exists (a retry) is fine.
pub async fn authorize(c: &AwsClients, group_id: &str, rule: &Ingress) -> Result<(), CloudError> {
    let protocol = match rule.protocol.as_str() {
        "udp" => "udp",
        _ => "tcp",
    };
    let permission = IpPermission::builder()
        .ip_protocol(protocol)
        .from_port(i32::from(rule.port))
        .to_port(i32::from(rule.port));
    let permission = match &rule.source {
        Source::Anywhere => permission.ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build()),
        Source::Cidr(cidr) => permission.ip_ranges(IpRange::builder().cidr_ip(cidr).build()),
        Source::Group(group) => {
            permission.user_id_group_pairs(UserIdGroupPair::builder().group_id(group).build())
        }
    };
    let result = c
        .ec2
        .authorize_security_group_ingress()
        .group_id(group_id)
        .ip_permissions(permission.build())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:AuthorizeSecurityGroupIngress", e));
    match not_found_as(result, NOT_FOUND, ResourceKind::Firewall, group_id) {
        Err(e) if code(&e) == Some("InvalidPermission.Duplicate") => Ok(()),
        other => other.map(|_| ()),
    }
}

pub async fn get(c: &AwsClients, group_id: &str) -> Result<ResourceRecord, CloudError> {
    let out = not_found_as(
        c.ec2
            .describe_security_groups()
            .group_ids(group_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DescribeSecurityGroups", e)),
        NOT_FOUND,
        ResourceKind::Firewall,
        group_id,
    )?;
    let group = out
        .security_groups()
        .first()
        .ok_or_else(|| not_found(ResourceKind::Firewall, group_id))?;
    Ok(group_record(c, group))
}

/// The security groups rift created for a project.
/// The security groups of a listing; a VPC's `default` group (made and kept by AWS) is no one's to adopt.
pub async fn list(c: &AwsClients, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
    let out = c
        .ec2
        .describe_security_groups()
        .set_filters(Some(ec2_listing(owner)))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSecurityGroups", e))?;
    Ok(out
        .security_groups()
        .iter()
        .filter(|g| g.group_name() != Some("default"))
        .map(|g| group_record(c, g))
        .collect())
}

pub async fn delete(c: &AwsClients, group_id: &str) -> Result<(), CloudError> {
    not_found_as(
        c.ec2
            .delete_security_group()
            .group_id(group_id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DeleteSecurityGroup", e)),
        NOT_FOUND,
        ResourceKind::Firewall,
        group_id,
    )?;
    Ok(())
}

/// Deletes every group rift created in a VPC. Groups that admit each other reference each other, and AWS refuses
/// to delete a referenced group, so all their inbound rules go first.
pub(crate) async fn delete_all_in_vpc(c: &AwsClients, vpc_id: &str) -> Result<(), CloudError> {
    let out = c
        .ec2
        .describe_security_groups()
        .filters(ec2_filter("vpc-id", vpc_id))
        .filters(ec2_rift_owned())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSecurityGroups", e))?;
    for group in out.security_groups() {
        let (Some(id), false) = (group.group_id(), group.ip_permissions().is_empty()) else {
            continue;
        };
        c.ec2
            .revoke_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(group.ip_permissions().to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error("ec2:RevokeSecurityGroupIngress", e))?;
    }
    for id in out.security_groups().iter().filter_map(|g| g.group_id()) {
        match delete(c, id).await {
            Err(CloudError::NotFound(_)) | Ok(()) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn find(c: &AwsClients, tags: &Tags, vpc_id: &str) -> Result<Option<String>, CloudError> {
    let out = c
        .ec2
        .describe_security_groups()
        .filters(ec2_filter("vpc-id", vpc_id))
        .filters(ec2_filter("group-name", &tags.name))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeSecurityGroups", e))?;
    Ok(out
        .security_groups()
        .iter()
        .find_map(|g| g.group_id())
        .map(str::to_string))
}

fn group_record(c: &AwsClients, group: &SecurityGroup) -> ResourceRecord {
    let mut record = record(
        ResourceKind::Firewall,
        group.group_id().unwrap_or_default(),
        &c.region,
        ec2_tags(group.tags()),
    );
    // Security groups have no lifecycle state: one that can be described is in effect.
    record.state = "active".into();
    if let Some(vpc) = group.vpc_id() {
        record.parts.insert("vpc".into(), vpc.to_string());
    }
    for (i, rule) in group.ip_permissions().iter().enumerate() {
        let sources: Vec<&str> = rule
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip())
            .chain(
                rule.user_id_group_pairs()
                    .iter()
                    .filter_map(|p| p.group_id()),
            )
            .collect();
        record.parts.insert(
            format!("inbound:{i}"),
            format!(
                "{}/{} from {}",
                rule.ip_protocol().unwrap_or_default(),
                rule.from_port().unwrap_or_default(),
                sources.join(",")
            ),
        );
    }
    record
}
