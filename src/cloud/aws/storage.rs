//! EBS volumes: create, attach to an instance, detach, grow, delete.

use std::time::Duration;

use aws_sdk_ec2::types::{ResourceType, Volume, VolumeType};

use super::{
    AwsClients, Tags, code, ec2_listing, ec2_owned, ec2_tag_spec, ec2_tags, missing, not_found,
    not_found_as, record, sdk_error, wait_for,
};
use crate::cloud::{CloudError, Owner, Progress, ResourceRecord};
use crate::model::ResourceKind;

const NOT_FOUND: &[&str] = &["InvalidVolume.NotFound", "InvalidVolumeID.Malformed"];
const DEADLINE: Duration = Duration::from_secs(300);
/// The device name an attached volume gets; Nitro instances show it as an NVMe device whatever the name.
pub const DEVICE: &str = "/dev/sdf";

#[derive(Debug, Clone, Copy)]
pub struct VolumeSpec<'a> {
    /// A volume lives in one availability zone: the one of the instance it will be attached to.
    pub availability_zone: &'a str,
    pub size_gb: u32,
    /// "gp3", "gp2", "io1", "io2", "st1", "sc1" or "standard".
    pub volume_type: &'a str,
    /// The same on every retry of this create.
    pub client_token: &'a str,
}

/// Creates the volume (or returns the one rift already created for this project and name) and waits until it is
/// available.
pub async fn create(
    c: &AwsClients,
    tags: &Tags,
    spec: VolumeSpec<'_>,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let existing = c
        .ec2
        .describe_volumes()
        .set_filters(Some(ec2_owned(&tags.project, Some(&tags.name))))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeVolumes", e))?;
    let id = match existing.volumes().iter().find_map(|v| v.volume_id()) {
        Some(id) => id.to_string(),
        None => {
            let out = c
                .ec2
                .create_volume()
                .availability_zone(spec.availability_zone)
                .size(i32::try_from(spec.size_gb).unwrap_or(i32::MAX))
                .volume_type(VolumeType::from(spec.volume_type))
                .encrypted(true)
                .client_token(spec.client_token)
                .tag_specifications(ec2_tag_spec(ResourceType::Volume, tags, &[]))
                .send()
                .await
                .map_err(|e| sdk_error("ec2:CreateVolume", e))?;
            out.volume_id()
                .map(str::to_string)
                .ok_or_else(|| missing("CreateVolume", "VolumeId"))?
        }
    };
    wait_state(c, &id, &["available", "in-use"], progress).await?;
    get(c, &id).await
}

/// Attaches the volume to the instance (nothing to do when it already is).
pub async fn attach(
    c: &AwsClients,
    id: &str,
    instance_id: &str,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let current = get(c, id).await?;
    if current.parts.get("attached_to").map(String::as_str) == Some(instance_id) {
        return Ok(current);
    }
    not_found_as(
        c.ec2
            .attach_volume()
            .volume_id(id)
            .instance_id(instance_id)
            .device(DEVICE)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:AttachVolume", e)),
        NOT_FOUND,
        ResourceKind::BlockStorage,
        id,
    )?;
    wait_state(c, id, &["in-use"], progress).await?;
    get(c, id).await
}

/// Detaches the volume from whatever instance it is attached to (nothing to do when it is not attached).
pub async fn detach(
    c: &AwsClients,
    id: &str,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let current = get(c, id).await?;
    let Some(instance) = current.parts.get("attached_to") else {
        return Ok(current);
    };
    let result = c
        .ec2
        .detach_volume()
        .volume_id(id)
        .instance_id(instance)
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DetachVolume", e));
    match not_found_as(result, NOT_FOUND, ResourceKind::BlockStorage, id) {
        Err(e) if code(&e) == Some("IncorrectState") => {}
        other => {
            other?;
        }
    }
    wait_state(c, id, &["available"], progress).await?;
    get(c, id).await
}

/// Grows the volume (EBS volumes cannot shrink). The file system inside must be grown on the instance.
pub async fn resize(
    c: &AwsClients,
    id: &str,
    size_gb: u32,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let current = get(c, id).await?;
    let now: u32 = current
        .size
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if size_gb < now {
        return Err(CloudError::Invalid(format!(
            "EBS volume {id} is {now} GB and volumes only grow; choose {now} GB or more"
        )));
    }
    if size_gb == now {
        return Ok(current);
    }
    c.ec2
        .modify_volume()
        .volume_id(id)
        .size(i32::try_from(size_gb).unwrap_or(i32::MAX))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:ModifyVolume", e))?;
    let wanted = size_gb.to_string();
    wait_for(
        &format!("volume {id} to be {size_gb} GB"),
        DEADLINE,
        progress,
        || async {
            let record = get(c, id).await?;
            Ok((record.size.as_deref() == Some(wanted.as_str())).then_some(record))
        },
    )
    .await
}

pub async fn get(c: &AwsClients, id: &str) -> Result<ResourceRecord, CloudError> {
    let out = not_found_as(
        c.ec2
            .describe_volumes()
            .volume_ids(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DescribeVolumes", e)),
        NOT_FOUND,
        ResourceKind::BlockStorage,
        id,
    )?;
    let volume = out
        .volumes()
        .first()
        .ok_or_else(|| not_found(ResourceKind::BlockStorage, id))?;
    Ok(volume_record(c, volume))
}

/// The volumes rift created for a project (instances' root volumes are parts of the instances, not listed).
pub async fn list(c: &AwsClients, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
    let out = c
        .ec2
        .describe_volumes()
        .set_filters(Some(ec2_listing(owner)))
        .send()
        .await
        .map_err(|e| sdk_error("ec2:DescribeVolumes", e))?;
    Ok(out
        .volumes()
        .iter()
        .filter(|v| !is_root_volume(v))
        .map(|v| volume_record(c, v))
        .collect())
}

/// Detaches the volume if needed and deletes it.
pub async fn delete(c: &AwsClients, id: &str, progress: &Progress) -> Result<(), CloudError> {
    detach(c, id, progress).await?;
    not_found_as(
        c.ec2
            .delete_volume()
            .volume_id(id)
            .send()
            .await
            .map_err(|e| sdk_error("ec2:DeleteVolume", e)),
        NOT_FOUND,
        ResourceKind::BlockStorage,
        id,
    )?;
    Ok(())
}

/// Root volumes are tagged as parts of their instance ("<instance>-root") and attached as the boot device.
fn is_root_volume(volume: &Volume) -> bool {
    volume
        .attachments()
        .iter()
        .any(|a| a.device().is_some_and(|d| d != DEVICE))
}

async fn wait_state(
    c: &AwsClients,
    id: &str,
    states: &[&str],
    progress: &Progress,
) -> Result<(), CloudError> {
    let what = format!("volume {id} to be {}", states.join(" or "));
    wait_for(&what, DEADLINE, progress, || async {
        let state = get(c, id).await?.state;
        Ok(states.contains(&state.as_str()).then_some(()))
    })
    .await
}

fn volume_record(c: &AwsClients, volume: &Volume) -> ResourceRecord {
    let mut record = record(
        ResourceKind::BlockStorage,
        volume.volume_id().unwrap_or_default(),
        &c.region,
        ec2_tags(volume.tags()),
    );
    record.size = volume.size().map(|s| s.to_string());
    record.state = volume
        .state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    if let Some(zone) = volume.availability_zone() {
        record
            .parts
            .insert("availability_zone".into(), zone.to_string());
    }
    if let Some(kind) = volume.volume_type() {
        record
            .parts
            .insert("volume_type".into(), kind.as_str().to_string());
    }
    let attached = volume.attachments().iter().find(|a| {
        a.state()
            .is_some_and(|s| s.as_str() == "attached" || s.as_str() == "attaching")
    });
    if let Some(instance) = attached.and_then(|a| a.instance_id()) {
        record
            .parts
            .insert("attached_to".into(), instance.to_string());
    }
    record
}
