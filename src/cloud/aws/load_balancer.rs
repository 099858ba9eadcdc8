//! Elastic load balancers — application (HTTP listeners) or network (TCP listeners, for TLS passed through) —
//! across two availability zones, one target group per target port, a
//! listener per entry port, and the instances registered as targets.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancer, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
    ProtocolEnum, Tag, TargetDescription, TargetTypeEnum,
};

use super::{
    AwsClients, Tags, code, missing, not_found, not_found_as, record, sdk_error, wait_for,
};
use crate::cloud::{CloudError, Owner, Pages, Progress, ResourceRecord};
use crate::model::{ListenerRule, ResourceKind};

const NOT_FOUND: &[&str] = &["LoadBalancerNotFound", "ValidationError"];
const DEADLINE: Duration = Duration::from_secs(600);
/// ALB and target group names: at most 32 characters.
pub const NAME_MAX: usize = crate::mapping::naming::LOAD_BALANCER_NAME_MAX;

#[derive(Debug, Clone, Copy)]
pub struct LoadBalancerSpec<'a> {
    pub vpc_id: &'a str,
    /// Public subnets in at least two availability zones.
    pub subnet_ids: &'a [String],
    pub security_group_ids: &'a [String],
    pub listeners: &'a [ListenerRule],
    /// EC2 instance ids to register in every target group.
    pub targets: &'a [String],
}

/// Creates the ALB, target groups, listeners and registrations that are missing (each is looked up first, so a
/// retry completes an interrupted create) and waits until the ALB is active.
pub async fn create(
    c: &AwsClients,
    tags: &Tags,
    spec: LoadBalancerSpec<'_>,
    progress: &Progress,
) -> Result<ResourceRecord, CloudError> {
    // TCP listeners (the planner's choice for 443: TLS passes through to the instances) need a network load
    // balancer; HTTP ones an application load balancer. HTTPS would need an ACM certificate rift does not manage.
    let network = ListenerRule::network_load_balancer(spec.listeners);
    let (lb_type, protocol, wanted) = if network {
        (LoadBalancerTypeEnum::Network, ProtocolEnum::Tcp, "tcp")
    } else {
        (
            LoadBalancerTypeEnum::Application,
            ProtocolEnum::Http,
            "http",
        )
    };
    if let Some(rule) = spec.listeners.iter().find(|l| l.protocol != wanted) {
        return Err(CloudError::Invalid(format!(
            "listener {} is {}, but this load balancer's listeners are {wanted}: give every listener one protocol",
            rule.port, rule.protocol
        )));
    }
    let name = tags.identifier(NAME_MAX);
    let arn = match find_by_name(c, &name).await? {
        Some(lb) => lb,
        None => {
            let out = c
                .elbv2
                .create_load_balancer()
                .name(&name)
                .r#type(lb_type)
                .scheme(LoadBalancerSchemeEnum::InternetFacing)
                .set_subnets(Some(spec.subnet_ids.to_vec()))
                .set_security_groups(Some(spec.security_group_ids.to_vec()))
                .set_tags(Some(elb_tags(tags)))
                .send()
                .await
                .map_err(|e| sdk_error("elbv2:CreateLoadBalancer", e))?;
            out.load_balancers()
                .first()
                .and_then(|lb| lb.load_balancer_arn())
                .map(str::to_string)
                .ok_or_else(|| missing("CreateLoadBalancer", "LoadBalancerArn"))?
        }
    };

    let mut groups: BTreeMap<u16, String> = BTreeMap::new();
    for rule in spec.listeners {
        if groups.contains_key(&rule.target_port) {
            continue;
        }
        let group =
            ensure_target_group(c, tags, spec.vpc_id, rule.target_port, protocol.clone()).await?;
        if !spec.targets.is_empty() {
            c.elbv2
                .register_targets()
                .target_group_arn(&group)
                .set_targets(Some(
                    spec.targets
                        .iter()
                        .map(|id| {
                            TargetDescription::builder()
                                .id(id)
                                .port(i32::from(rule.target_port))
                                .build()
                        })
                        .collect(),
                ))
                .send()
                .await
                .map_err(|e| sdk_error("elbv2:RegisterTargets", e))?;
        }
        groups.insert(rule.target_port, group);
    }

    let existing = listeners(c, &arn).await?;
    for rule in spec.listeners {
        if existing.contains_key(&rule.port) {
            continue;
        }
        let Some(group) = groups.get(&rule.target_port) else {
            continue;
        };
        let forward = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(group)
            .build();
        c.elbv2
            .create_listener()
            .load_balancer_arn(&arn)
            .port(i32::from(rule.port))
            .protocol(protocol.clone())
            .default_actions(forward)
            .set_tags(Some(elb_tags(
                &tags.part(&format!("listener-{}", rule.port)),
            )))
            .send()
            .await
            .map_err(|e| sdk_error("elbv2:CreateListener", e))?;
    }

    wait_for(
        &format!("load balancer {name} to be active"),
        DEADLINE,
        progress,
        || async {
            let record = get(c, &arn).await?;
            if record.state == "failed" {
                return Err(CloudError::Invalid(format!(
                    "load balancer {name} failed to provision"
                )));
            }
            Ok((record.state == "active").then_some(record))
        },
    )
    .await
}

pub async fn get(c: &AwsClients, arn: &str) -> Result<ResourceRecord, CloudError> {
    let out = not_found_as(
        c.elbv2
            .describe_load_balancers()
            .load_balancer_arns(arn)
            .send()
            .await
            .map_err(|e| sdk_error("elbv2:DescribeLoadBalancers", e)),
        NOT_FOUND,
        ResourceKind::LoadBalancer,
        arn,
    )?;
    let lb = out
        .load_balancers()
        .first()
        .ok_or_else(|| not_found(ResourceKind::LoadBalancer, arn))?;
    let tags = tags_of(c, &[arn.to_string()])
        .await?
        .remove(arn)
        .unwrap_or_default();
    let mut record = lb_record(c, lb, &tags);
    for (port, listener) in listeners(c, arn).await? {
        record.parts.insert(format!("listener:{port}"), listener);
    }
    for (port, group) in target_groups(c, arn).await? {
        let health = c
            .elbv2
            .describe_target_health()
            .target_group_arn(&group)
            .send()
            .await
            .map_err(|e| sdk_error("elbv2:DescribeTargetHealth", e))?;
        for target in health.target_health_descriptions() {
            if let Some(id) = target.target().and_then(|t| t.id()) {
                let state = target
                    .target_health()
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                record.parts.insert(format!("target:{port}:{id}"), state);
            }
        }
        record.parts.insert(format!("target_group:{port}"), group);
    }
    Ok(record)
}

/// The load balancers rift created for a project (ELBv2 cannot filter by tag, so tags are read in batches).
pub async fn list(c: &AwsClients, owner: Owner<'_>) -> Result<Vec<ResourceRecord>, CloudError> {
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = Pages::new("elbv2:DescribeLoadBalancers");
    loop {
        let out = c
            .elbv2
            .describe_load_balancers()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| sdk_error("elbv2:DescribeLoadBalancers", e))?;
        all.extend(out.load_balancers().iter().cloned());
        match pages.next(out.next_marker())? {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    let mut found = Vec::new();
    // DescribeTags takes at most 20 ARNs.
    for batch in all.chunks(20) {
        let arns: Vec<String> = batch
            .iter()
            .filter_map(|lb| lb.load_balancer_arn())
            .map(str::to_string)
            .collect();
        let tags = tags_of(c, &arns).await?;
        for lb in batch {
            let untagged = BTreeMap::new();
            let lb_tags = lb
                .load_balancer_arn()
                .and_then(|arn| tags.get(arn))
                .unwrap_or(&untagged);
            let record = lb_record(c, lb, lb_tags);
            if owner.owns(&record) {
                found.push(record);
            }
        }
    }
    Ok(found)
}

/// Deletes the listeners, the ALB, then its target groups (which AWS keeps in use until the ALB is gone).
pub async fn delete(c: &AwsClients, arn: &str, progress: &Progress) -> Result<(), CloudError> {
    get(c, arn).await?;
    let groups = target_groups(c, arn).await?;
    for listener in listeners(c, arn).await?.values() {
        let deleted = c
            .elbv2
            .delete_listener()
            .listener_arn(listener)
            .send()
            .await
            .map_err(|e| sdk_error("elbv2:DeleteListener", e));
        match deleted {
            Err(e) if code(&e) == Some("ListenerNotFound") => {}
            other => {
                other?;
            }
        }
    }
    not_found_as(
        c.elbv2
            .delete_load_balancer()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|e| sdk_error("elbv2:DeleteLoadBalancer", e)),
        NOT_FOUND,
        ResourceKind::LoadBalancer,
        arn,
    )?;
    for group in groups.values() {
        wait_for(
            "the target group to be released by the load balancer",
            DEADLINE,
            progress,
            || async {
                let deleted = c
                    .elbv2
                    .delete_target_group()
                    .target_group_arn(group)
                    .send()
                    .await
                    .map_err(|e| sdk_error("elbv2:DeleteTargetGroup", e));
                match deleted {
                    Ok(_) => Ok(Some(())),
                    Err(e) if code(&e) == Some("TargetGroupNotFound") => Ok(Some(())),
                    Err(e) if code(&e) == Some("ResourceInUse") => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
        .await?;
    }
    Ok(())
}

async fn find_by_name(c: &AwsClients, name: &str) -> Result<Option<String>, CloudError> {
    let out = c
        .elbv2
        .describe_load_balancers()
        .names(name)
        .send()
        .await
        .map_err(|e| sdk_error("elbv2:DescribeLoadBalancers", e));
    match out {
        Ok(out) => Ok(out
            .load_balancers()
            .first()
            .and_then(|lb| lb.load_balancer_arn())
            .map(str::to_string)),
        Err(e) if code(&e) == Some("LoadBalancerNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

async fn ensure_target_group(
    c: &AwsClients,
    tags: &Tags,
    vpc_id: &str,
    port: u16,
    protocol: ProtocolEnum,
) -> Result<String, CloudError> {
    let own = tags.part(&format!("tg-{port}"));
    let name = crate::mapping::naming::target_group_name(&tags.project, &tags.name, port);
    let found = c
        .elbv2
        .describe_target_groups()
        .names(&name)
        .send()
        .await
        .map_err(|e| sdk_error("elbv2:DescribeTargetGroups", e));
    match found {
        Ok(out) => {
            if let Some(arn) = out
                .target_groups()
                .first()
                .and_then(|g| g.target_group_arn())
            {
                return Ok(arn.to_string());
            }
        }
        Err(e) if code(&e) == Some("TargetGroupNotFound") => {}
        Err(e) => return Err(e),
    }
    let out = c
        .elbv2
        .create_target_group()
        .name(&name)
        .set_health_check_path((protocol == ProtocolEnum::Http).then(|| "/".to_string()))
        .protocol(protocol)
        .port(i32::from(port))
        .vpc_id(vpc_id)
        .target_type(TargetTypeEnum::Instance)
        .set_tags(Some(elb_tags(&own)))
        .send()
        .await
        .map_err(|e| sdk_error("elbv2:CreateTargetGroup", e))?;
    out.target_groups()
        .first()
        .and_then(|g| g.target_group_arn())
        .map(str::to_string)
        .ok_or_else(|| missing("CreateTargetGroup", "TargetGroupArn"))
}

/// Listener ARNs by port.
async fn listeners(c: &AwsClients, arn: &str) -> Result<BTreeMap<u16, String>, CloudError> {
    let out = not_found_as(
        c.elbv2
            .describe_listeners()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|e| sdk_error("elbv2:DescribeListeners", e)),
        NOT_FOUND,
        ResourceKind::LoadBalancer,
        arn,
    )?;
    Ok(out
        .listeners()
        .iter()
        .filter_map(|l| {
            let port = u16::try_from(l.port()?).ok()?;
            Some((port, l.listener_arn()?.to_string()))
        })
        .collect())
}

/// Target group ARNs by target port.
async fn target_groups(c: &AwsClients, arn: &str) -> Result<BTreeMap<u16, String>, CloudError> {
    let out = not_found_as(
        c.elbv2
            .describe_target_groups()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|e| sdk_error("elbv2:DescribeTargetGroups", e)),
        NOT_FOUND,
        ResourceKind::LoadBalancer,
        arn,
    )?;
    Ok(out
        .target_groups()
        .iter()
        .filter_map(|g| {
            let port = u16::try_from(g.port()?).ok()?;
            Some((port, g.target_group_arn()?.to_string()))
        })
        .collect())
}

async fn tags_of(
    c: &AwsClients,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, CloudError> {
    if arns.is_empty() {
        return Ok(BTreeMap::new());
    }
    let out = c
        .elbv2
        .describe_tags()
        .set_resource_arns(Some(arns.to_vec()))
        .send()
        .await
        .map_err(|e| sdk_error("elbv2:DescribeTags", e))?;
    Ok(out
        .tag_descriptions()
        .iter()
        .filter_map(|d| {
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect();
            Some((d.resource_arn()?.to_string(), tags))
        })
        .collect())
}

fn elb_tags(tags: &Tags) -> Vec<Tag> {
    tags.pairs()
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn lb_record(c: &AwsClients, lb: &LoadBalancer, tags: &BTreeMap<String, String>) -> ResourceRecord {
    let mut record = record(
        ResourceKind::LoadBalancer,
        lb.load_balancer_arn().unwrap_or_default(),
        &c.region,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    record.state = lb
        .state()
        .and_then(|s| s.code())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    record.endpoints = lb.dns_name().map(str::to_string).into_iter().collect();
    if let Some(vpc) = lb.vpc_id() {
        record.parts.insert("vpc".into(), vpc.to_string());
    }
    for group in lb.security_groups() {
        record
            .parts
            .insert(format!("security_group:{group}"), group.clone());
    }
    if let Some(name) = lb.load_balancer_name() {
        record.parts.insert("aws_name".into(), name.to_string());
    }
    record
}
