//! Permission checks for the preview step: EC2's `DryRun` asks AWS whether the caller may make a call without
//! making it, so a preview can say "not allowed" before anything is approved. RDS, ELBv2, ElastiCache and S3 offer
//! no dry run; their permissions show on the first real call.

use aws_sdk_ec2::types::{InstanceType, VolumeType};

use super::{AwsClients, code, compute, sdk_error};
use crate::cloud::CloudError;
use crate::model::{PlannedResource, ResourceSpec};

/// Codes with which AWS refuses the caller rather than the request's parameters.
const REFUSED: &[&str] = &[
    "UnauthorizedOperation",
    "AuthFailure",
    "Blocked",
    "OptInRequired",
];

/// Checks that the credentials may create the planned resource. A dry run answers `DryRunOperation` when the
/// call would be allowed; other parameter errors (ids that exist only after the apply, such as the VPC of a
/// security group) do not mean the permission is missing and pass.
pub async fn check(c: &AwsClients, resource: &PlannedResource) -> Result<(), CloudError> {
    let result = match &resource.spec {
        ResourceSpec::Network { cidr, .. } => c
            .ec2
            .create_vpc()
            .set_cidr_block(cidr.clone())
            .dry_run(true)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:CreateVpc", e)),
        ResourceSpec::Firewall { .. } => c
            .ec2
            .create_security_group()
            .group_name(&resource.name)
            .description("rift permission check")
            .dry_run(true)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:CreateSecurityGroup", e)),
        ResourceSpec::WebServer { .. } => {
            let (image, _) = compute::resolve_image(c, compute::DEFAULT_IMAGE).await?;
            c.ec2
                .run_instances()
                .image_id(image)
                .instance_type(InstanceType::from(
                    resource.size.as_deref().unwrap_or("t3.micro"),
                ))
                .min_count(1)
                .max_count(1)
                .dry_run(true)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error("ec2:RunInstances", e))
        }
        ResourceSpec::BlockStorage {
            size_gb,
            volume_type,
            ..
        } => c
            .ec2
            .create_volume()
            .availability_zone(format!("{}a", c.region))
            .size(i32::try_from(*size_gb).unwrap_or(i32::MAX))
            .volume_type(VolumeType::from(volume_type.as_str()))
            .dry_run(true)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ec2:CreateVolume", e)),
        ResourceSpec::Database { .. }
        | ResourceSpec::Cache { .. }
        | ResourceSpec::LoadBalancer { .. }
        | ResourceSpec::ObjectStorage { .. } => return Ok(()),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if code(&e) == Some("DryRunOperation") => Ok(()),
        Err(e) if code(&e).is_some_and(|c| REFUSED.contains(&c)) => Err(e),
        Err(CloudError::Api { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
