//! RDS instances with their DB subnet group. The master password is generated and kept by RDS in Secrets Manager
//! (`ManageMasterUserPassword`): rift never sees, stores or shows it; records carry only the secret's ARN.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_rds::types::{DbInstance, Tag};

use super::{
    AwsClients, Tags, code, missing, not_found, not_found_as, record, sdk_error, wait_for,
};
use crate::cloud::{CloudError, Owner, Pages, Progress, ResourceRecord};
use crate::model::ResourceKind;

const NOT_FOUND: &[&str] = &["DBInstanceNotFound", "DBInstanceNotFoundFault"];
/// RDS takes minutes to create, modify and delete an instance.
const DEADLINE: Duration = Duration::from_secs(45 * 60);
/// RDS identifiers: at most 63 characters.
pub const IDENTIFIER_MAX: usize = crate::mapping::naming::RDS_IDENTIFIER_MAX;
/// The master user's name; its password lives only in the RDS-managed secret.
const MASTER_USER: &str = "riftadmin";

#[derive(Debug, Clone, Copy)]
pub struct DatabaseSpec<'a> {
    /// RDS's engine name ("postgres", "mysql"): the mapping's native name.
    pub engine: &'a str,
    pub version: &'a str,
    /// DB instance class, e.g. "db.t3.medium".
    pub class: &'a str,
    pub storage_gb: u32,
    /// A standby in a second availability zone.
    pub multi_az: bool,
    pub port: u16,
    /// Subnets in at least two availability zones (the private ones of the network).
    pub subnet_ids: &'a [String],
    pub security_group_ids: &'a [String],
    pub public: bool,
}

/// Creates the subnet group and the instance (or finds what a previous call created) and waits until the
/// instance is available.
pub async fn create(
    c: &AwsClients,
    tags: &Tags,
    spec: DatabaseSpec<'_>,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let id = tags.identifier(IDENTIFIER_MAX);
    let group = ensure_subnet_group(c, tags, &id, spec.subnet_ids).await?;
    let created = c
        .rds
        .create_db_instance()
        .db_instance_identifier(&id)
        .engine(spec.engine)
        .engine_version(spec.version)
        .db_instance_class(spec.class)
        .allocated_storage(i32::try_from(spec.storage_gb).unwrap_or(i32::MAX))
        .storage_type("gp3")
        .storage_encrypted(true)
        .multi_az(spec.multi_az)
        .port(i32::from(spec.port))
        .db_subnet_group_name(group)
        .set_vpc_security_group_ids(Some(spec.security_group_ids.to_vec()))
        .publicly_accessible(spec.public)
        .master_username(MASTER_USER)
        .manage_master_user_password(true)
        .copy_tags_to_snapshot(true)
        .set_tags(Some(rds_tags(tags)))
        .send()
        .await
        .map_err(|e| sdk_error("rds:CreateDBInstance", e));
    match created {
        // The identifier is derived from project and name, so "already exists" is a retry of this create.
        Err(e) if code(&e) == Some("DBInstanceAlreadyExists") => {}
        other => {
            other?;
        }
    }
    wait_available(c, &id, progress).await
}

pub async fn get(c: &AwsClients, id: &str) -> Result<ResourceRecord, CloudError> {
    let out = not_found_as(
        c.rds
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .map_err(|e| sdk_error("rds:DescribeDBInstances", e)),
        NOT_FOUND,
        ResourceKind::Database,
        id,
    )?;
    let instance = out
        .db_instances()
        .first()
        .ok_or_else(|| not_found(ResourceKind::Database, id))?;
    Ok(instance_record(c, instance))
}

/// The RDS instances rift created for a project (RDS cannot filter by tag, so the tags are compared here).
pub async fn list(c: &AwsClients, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = Pages::new("rds:DescribeDBInstances");
    loop {
        let out = c
            .rds
            .describe_db_instances()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| sdk_error("rds:DescribeDBInstances", e))?;
        found.extend(
            out.db_instances()
                .iter()
                .map(|i| instance_record(c, i))
                // An instance being deleted is gone as far as the project is concerned.
                .filter(|r| r.state != "deleting")
                .filter(|r| owner.owns(r)),
        );
        match pages.next(out.marker())? {
            Some(next) => marker = Some(next),
            None => return Ok(found),
        }
    }
}

/// Changes the instance class and/or grows the storage, applied now rather than in the maintenance window.
pub async fn resize(
    c: &AwsClients,
    id: &str,
    class: Option<&str>,
    storage_gb: Option<u32>,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    let current = get(c, id).await?;
    let storage_now: u32 = current
        .parts
        .get("storage_gb")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if let Some(gb) = storage_gb.filter(|gb| *gb < storage_now) {
        return Err(CloudError::Invalid(format!(
            "RDS storage only grows: {id} has {storage_now} GB, {gb} GB is less"
        )));
    }
    let class = class.filter(|c| current.size.as_deref() != Some(*c));
    let storage_gb = storage_gb.filter(|gb| *gb != storage_now);
    if class.is_none() && storage_gb.is_none() {
        return Ok(current);
    }
    not_found_as(
        c.rds
            .modify_db_instance()
            .db_instance_identifier(id)
            .set_db_instance_class(class.map(str::to_string))
            .set_allocated_storage(storage_gb.map(|gb| i32::try_from(gb).unwrap_or(i32::MAX)))
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| sdk_error("rds:ModifyDBInstance", e)),
        NOT_FOUND,
        ResourceKind::Database,
        id,
    )?;
    wait_available(c, id, progress).await
}

/// RebootDBInstance, failing over to the standby when the instance is Multi-AZ (the quicker way back), and waits
/// until it is available.
pub async fn reboot(c: &AwsClients, id: &str, progress: &Progress) -> Result<(), CloudError> {
    let current = get(c, id).await?;
    let multi_az = current.parts.get("multi_az").is_some_and(|m| m == "true");
    progress.report(&format!(
        "rebooting RDS instance {id}{}",
        if multi_az { " with failover" } else { "" }
    ));
    not_found_as(
        c.rds
            .reboot_db_instance()
            .db_instance_identifier(id)
            .set_force_failover(multi_az.then_some(true))
            .send()
            .await
            .map_err(|e| sdk_error("rds:RebootDBInstance", e)),
        NOT_FOUND,
        ResourceKind::Database,
        id,
    )?;
    wait_available(c, id, progress).await.map(|_| ())
}

/// Deletes the instance, keeping a final snapshot (a database's data is not thrown away by a delete), waits until
/// it is gone and deletes its subnet group.
pub async fn delete(c: &AwsClients, id: &str, progress: &Progress) -> Result<(), CloudError> {
    let current = get(c, id).await?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut snapshot = format!("{id}-final-{stamp}");
    snapshot.truncate(255);
    if current.state != "deleting" {
        not_found_as(
            c.rds
                .delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(false)
                .final_db_snapshot_identifier(snapshot)
                .send()
                .await
                .map_err(|e| sdk_error("rds:DeleteDBInstance", e)),
            NOT_FOUND,
            ResourceKind::Database,
            id,
        )?;
    }
    wait_for(
        &format!("RDS instance {id} to be deleted"),
        DEADLINE,
        progress,
        || async {
            match get(c, id).await {
                Err(CloudError::NotFound(_)) => Ok(Some(())),
                Err(e) => Err(e),
                Ok(_) => Ok(None),
            }
        },
    )
    .await?;
    if let Some(group) = current.parts.get("subnet_group") {
        let deleted = c
            .rds
            .delete_db_subnet_group()
            .db_subnet_group_name(group)
            .send()
            .await
            .map_err(|e| sdk_error("rds:DeleteDBSubnetGroup", e));
        match deleted {
            Err(e) if code(&e) == Some("DBSubnetGroupNotFoundFault") => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

async fn wait_available(
    c: &AwsClients,
    id: &str,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    wait_for(
        &format!("RDS instance {id} to be available"),
        DEADLINE,
        progress,
        || async {
            let record = get(c, id).await?;
            if record.state == "failed" || record.state.starts_with("incompatible") {
                return Err(CloudError::Invalid(format!(
                    "RDS instance {id} is {}; see its events in the RDS console",
                    record.state
                )));
            }
            Ok((record.state == "available").then_some(record))
        },
    )
    .await
}

async fn ensure_subnet_group(
    c: &AwsClients,
    tags: &Tags,
    name: &str,
    subnet_ids: &[String],
) -> Result<String, CloudError> {
    let existing = c
        .rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
        .map_err(|e| sdk_error("rds:DescribeDBSubnetGroups", e));
    match existing {
        Ok(out) if !out.db_subnet_groups().is_empty() => return Ok(name.to_string()),
        Ok(_) => {}
        Err(e) if code(&e) == Some("DBSubnetGroupNotFoundFault") => {}
        Err(e) => return Err(e),
    }
    let out = c
        .rds
        .create_db_subnet_group()
        .db_subnet_group_name(name)
        .db_subnet_group_description(format!("rift {} (project {})", tags.name, tags.project))
        .set_subnet_ids(Some(subnet_ids.to_vec()))
        .set_tags(Some(rds_tags(tags)))
        .send()
        .await
        .map_err(|e| sdk_error("rds:CreateDBSubnetGroup", e))?;
    out.db_subnet_group()
        .and_then(|g| g.db_subnet_group_name())
        .map(str::to_string)
        .ok_or_else(|| missing("CreateDBSubnetGroup", "DBSubnetGroupName"))
}

fn rds_tags(tags: &Tags) -> Vec<Tag> {
    tags.pairs()
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn instance_record(c: &AwsClients, instance: &DbInstance) -> ResourceRecord {
    let tags = instance
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())));
    let mut record = record(
        ResourceKind::Database,
        instance.db_instance_identifier().unwrap_or_default(),
        &c.region,
        tags,
    );
    record.size = instance.db_instance_class().map(str::to_string);
    record.state = instance
        .db_instance_status()
        .unwrap_or_default()
        .to_string();
    if let Some(endpoint) = instance.endpoint()
        && let Some(address) = endpoint.address()
    {
        record.endpoints.push(match endpoint.port() {
            Some(port) => format!("{address}:{port}"),
            None => address.to_string(),
        });
    }
    let parts = [
        ("engine", instance.engine().map(str::to_string)),
        (
            "engine_version",
            instance.engine_version().map(str::to_string),
        ),
        (
            "storage_gb",
            instance.allocated_storage().map(|s| s.to_string()),
        ),
        ("multi_az", instance.multi_az().map(|m| m.to_string())),
        ("arn", instance.db_instance_arn().map(str::to_string)),
        (
            "subnet_group",
            instance
                .db_subnet_group()
                .and_then(|g| g.db_subnet_group_name())
                .map(str::to_string),
        ),
        (
            "master_username",
            instance.master_username().map(str::to_string),
        ),
        // Where the password is (an ARN), never the password.
        (
            "master_user_secret",
            instance
                .master_user_secret()
                .and_then(|s| s.secret_arn())
                .map(str::to_string),
        ),
    ];
    for (key, value) in parts {
        if let Some(value) = value {
            record.parts.insert(key.into(), value);
        }
    }
    record
}
