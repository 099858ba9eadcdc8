//! EC2 instances: launch (AMI given or found by name and owner, user data, key pair, subnet, security groups, root
//! volume), start / stop / reboot, resize (stop → change type → start) and terminate.

use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeValue, BlockDeviceMapping, EbsBlockDevice, HttpTokensState, Instance,
    InstanceMetadataOptionsRequest, InstanceType, ResourceType, VolumeType,
};

use super::{
    AwsClients, Tags, ec2_filter, ec2_listing, ec2_owned, ec2_tag_spec, ec2_tags, missing,
    not_found, not_found_as, record, sdk_error, wait_for,
};
use crate::cloud::{CloudError, Owner, Progress, ResourceRecord};
use crate::mapping;
use crate::model::ResourceKind;

const NOT_FOUND: &[&str] = &["InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"];
const STATE_DEADLINE: Duration = Duration::from_secs(600);
/// States of an instance that still exists (terminated ones stay visible for about an hour).
const LIVE_STATES: &[&str] = &["pending", "running", "stopping", "stopped"];

/// Which machine image to boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image<'a> {
    /// An AMI id.
    Id(&'a str),
    /// The newest available image whose name matches the pattern (`*` wildcards), published by the owner (an
    /// account id or alias).
    Search { name: &'a str, owner: &'a str },
}

/// The mapping's default image for AWS.
pub const DEFAULT_IMAGE: Image<'static> = Image::Search {
    name: mapping::AWS_DEFAULT_IMAGE.name,
    owner: mapping::AWS_DEFAULT_IMAGE.owner,
};

#[derive(Debug, Clone, Copy)]
pub struct InstanceSpec<'a> {
    pub instance_type: &'a str,
    pub image: Image<'a>,
    pub subnet_id: &'a str,
    pub security_group_ids: &'a [String],
    pub root_volume_gb: u32,
    /// Cloud-init / shell script, sent base64-encoded as EC2 requires.
    pub user_data: Option<&'a str>,
    pub key_name: Option<&'a str>,
    /// The same on every retry of this create: EC2 then returns the first launch instead of a second one.
    pub client_token: &'a str,
}

/// Launches the instance, or returns the one rift already launched for this project and name, and waits until it
/// is running.
pub async fn create(
    c: &AwsClients,
    tags: &Tags,
    spec: InstanceSpec<'_>,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let id = match find(c, tags).await? {
        Some(id) => id,
        None => launch(c, tags, spec).await?,
    };
    wait_state(c, &id, "running", progress).await?;
    get(c, &id).await
}

async fn launch(c: &AwsClients, tags: &Tags, spec: InstanceSpec<'_>) -> Result<String, CloudError> {
    let (image_id, root_device) = resolve_image(c, spec.image).await?;
    let root = BlockDeviceMapping::builder()
        .device_name(root_device)
        .ebs(
            EbsBlockDevice::builder()
                .volume_size(i32::try_from(spec.root_volume_gb).unwrap_or(i32::MAX))
                .volume_type(VolumeType::Gp3)
                .encrypted(true)
                .delete_on_termination(true)
                .build(),
        )
        .build();
    let out = c
        .ec2
        .run_instances()
        .image_id(image_id)
        .instance_type(InstanceType::from(spec.instance_type))
        .min_count(1)
        .max_count(1)
        .subnet_id(spec.subnet_id)
        .set_security_group_ids(Some(spec.security_group_ids.to_vec()))
        .block_device_mappings(root)
        .set_user_data(spec.user_data.map(aws_smithy_types::base64::encode))
        .set_key_name(spec.key_name.map(str::to_string))
        // IMDSv2 only: instance credentials cannot be read through a request forgery.
        .metadata_options(
            InstanceMetadataOptionsRequest::builder()
                .http_tokens(HttpTokensState::Required)
                .build(),
        )
        .client_token(spec.client_token)
        .tag_specifications(ec2_tag_spec(ResourceType::Instance, tags, &[]))
        .tag_specifications(ec2_tag_spec(ResourceType::Volume, &tags.part("root"), &[]))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:RunInstances", e))?;
    out.instances()
        .first()
        .and_then(|i| i.instance_id())
        .map(str::to_string)
        .ok_or_else(|| missing("RunInstances", "InstanceId"))
}

/// The AMI id and root device name for an image choice.
pub(crate) async fn resolve_image(
    c: &AwsClients,
    image: Image<'_>,
) -> Result<(String, String), CloudError> {
    let request = c.ec2.describe_images();
    let request = match image {
        Image::Id(id) => request.image_ids(id),
        Image::Search { name, owner } => request
            .owners(owner)
            .filters(ec2_filter("name", name))
            .filters(ec2_filter("state", "available")),
    };
    let out = request
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeImages", e))?;
    let newest = out
        .images()
        .iter()
        .max_by(|a, b| a.creation_date().cmp(&b.creation_date()))
        .ok_or_else(|| {
            CloudError::Invalid(match image {
                Image::Id(id) => format!("AMI {id} does not exist in {}", c.region),
                Image::Search { name, owner } => {
                    format!("no AMI named \"{name}\" from owner {owner} in {}", c.region)
                }
            })
        })?;
    let id = newest
        .image_id()
        .ok_or_else(|| missing("DescribeImages", "ImageId"))?;
    let root = newest.root_device_name().unwrap_or("/dev/xvda");
    Ok((id.to_string(), root.to_string()))
}

pub async fn get(c: &AwsClients, id: &str) -> Result<ResourceRecord, CloudError> {
    let out = not_found_as(
        c.ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DescribeInstances", e)),
        NOT_FOUND,
        ResourceKind::WebServer,
        id,
    )?;
    let instance = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .ok_or_else(|| not_found(ResourceKind::WebServer, id))?;
    Ok(instance_record(c, instance))
}

/// The instances rift launched for a project that are not terminated.
pub async fn list(c: &AwsClients, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
    let mut filters = ec2_listing(owner);
    filters.push(live_filter());
    let out = c
        .ec2
        .describe_instances()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeInstances", e))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| instance_record(c, i))
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Start,
    Stop,
    Reboot,
}

/// Starts, stops or reboots the instance and waits until it is running (or stopped).
pub async fn power(
    c: &AwsClients,
    id: &str,
    action: Power,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let sent = match action {
        Power::Start => c
            .ec2
            .start_instances()
            .instance_ids(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:StartInstances", e)),
        Power::Stop => c
            .ec2
            .stop_instances()
            .instance_ids(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:StopInstances", e)),
        Power::Reboot => c
            .ec2
            .reboot_instances()
            .instance_ids(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:RebootInstances", e)),
    };
    not_found_as(sent, NOT_FOUND, ResourceKind::WebServer, id)?;
    let target = if action == Power::Stop {
        "stopped"
    } else {
        "running"
    };
    wait_state(c, id, target, progress).await?;
    get(c, id).await
}

/// Changes the instance type: EC2 only allows it while stopped, so a running instance is stopped, changed and
/// started again; a stopped one stays stopped.
pub async fn resize(
    c: &AwsClients,
    id: &str,
    instance_type: &str,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let before = get(c, id).await?;
    if before.size.as_deref() == Some(instance_type) {
        return Ok(before);
    }
    let was_running = before.state != "stopped";
    if was_running {
        progress.report(&format!("stopping {id} to change its type"));
        power(c, id, Power::Stop, progress).await?;
    }
    c.ec2
        .modify_instance_attribute()
        .instance_id(id)
        .instance_type(AttributeValue::builder().value(instance_type).build())
        .send()
        .await
        .map_err(|e| sdk_error("ec2:ModifyInstanceAttribute", e))?;
    if was_running {
        progress.report(&format!("starting {id} as {instance_type}"));
        return power(c, id, Power::Start, progress).await;
    }
    get(c, id).await
}

/// Terminates the instance and waits until it is gone (so its security groups and subnet can be deleted next).
pub async fn delete(c: &AwsClients, id: &str, progress: &Progress) -> Result<(), CloudError> {
    let current = get(c, id).await?;
    if matches!(current.state.as_str(), "terminated" | "shutting-down") {
        return Err(not_found(ResourceKind::WebServer, id));
    }
    not_found_as(
        c.ec2
            .terminate_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:TerminateInstances", e)),
        NOT_FOUND,
        ResourceKind::WebServer,
        id,
    )?;
    wait_state(c, id, "terminated", progress).await
}

async fn wait_state(
    c: &AwsClients,
    id: &str,
    target: &str,
    progress: &Progress,
) -> Result<(), CloudError> {
    wait_for(&format!("instance {id} to be {target}"), STATE_DEADLINE, progress, || async {
        let state = get(c, id).await?.state;
        if state == "terminated" && target != "terminated" {
            return Err(CloudError::Invalid(format!(
                "instance {id} terminated while rift waited for it to be {target}; its console output says why"
            )));
        }
        Ok((state == target).then_some(()))
    })
    .await
}

async fn find(c: &AwsClients, tags: &Tags) -> Result<Option<String>, CloudError> {
    let mut filters = ec2_owned(&tags.project, Some(&tags.name));
    filters.push(live_filter());
    let out = c
        .ec2
        .describe_instances()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeInstances", e))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find_map(|i| i.instance_id())
        .map(str::to_string))
}

fn live_filter() -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name("instance-state-name")
        .set_values(Some(LIVE_STATES.iter().map(|s| s.to_string()).collect()))
        .build()
}

fn instance_record(c: &AwsClients, instance: &Instance) -> ResourceRecord {
    let mut record = record(
        ResourceKind::WebServer,
        instance.instance_id().unwrap_or_default(),
        &c.region,
        ec2_tags(instance.tags()),
    );
    record.size = instance.instance_type().map(|t| t.as_str().to_string());
    record.state = instance
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string())
        .unwrap_or_default();
    record.endpoints = [
        instance.public_ip_address(),
        instance.public_dns_name(),
        instance.private_ip_address(),
    ]
    .into_iter()
    .flatten()
    .filter(|e| !e.is_empty())
    .map(str::to_string)
    .collect();
    let parts = [
        ("subnet", instance.subnet_id()),
        ("vpc", instance.vpc_id()),
        ("image", instance.image_id()),
        (
            "availability_zone",
            instance.placement().and_then(|p| p.availability_zone()),
        ),
    ];
    for (key, value) in parts {
        if let Some(value) = value {
            record.parts.insert(key.into(), value.to_string());
        }
    }
    for group in instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
    {
        record
            .parts
            .insert(format!("security_group:{group}"), group.to_string());
    }
    record
}
