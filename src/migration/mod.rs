//! Moving resources between the clouds, one at a time (the brief's migration path). `plan_migration` says, for one
//! resource or one component's tier, what it becomes on the other cloud (the same or the next size up, the same
//! engine and major version), what the project costs before and after, and the ordered steps — data copy,
//! cut-over, rollback — with the downtime of each. The target is a stored plan, so its estimate, Terraform and
//! apply are the existing tools'. Nothing is changed here.

use serde::Serialize;

use crate::model::{
    Component, DeploymentRequest, Plan, Provider, Regions, ResourceKind, ResourceSpec,
};
use crate::planner::{self, PlanError};
use crate::pricing::{self, PriceBook, PricingError, Usage};
use crate::project::{ProjectError, Projects};
use crate::store::StoredResource;

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Pricing(#[from] PricingError),
}

#[derive(Debug, Clone)]
pub struct MigrationRequest {
    pub project_id: String,
    /// One resource by name, or every resource of one component (a tier).
    pub resource: Option<String>,
    pub component: Option<String>,
    pub to: Provider,
    /// Default: the project's region on the target cloud.
    pub region: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MigrationPlan {
    pub project_id: String,
    pub from: Provider,
    pub to: Provider,
    /// The target as a stored plan: estimate_cost, generate_terraform and apply_plan take it.
    pub plan_id: String,
    /// One line per resource moved: "shop-db (digitalocean db-s-2vcpu-4gb, $60.00/month) → shop-db-aws (aws
    /// db.t3.medium, us-east-1)".
    pub moves: Vec<String>,
    pub monthly_cost_before: f64,
    pub monthly_cost_after: f64,
    /// How the two halves talk while both run.
    pub link: String,
    /// In order: what each step does and the downtime it costs.
    pub steps: Vec<String>,
    pub cut_over: String,
    pub rollback: String,
    pub warnings: Vec<String>,
}

/// Plans the move of the resources the request names, judged against the project as stored.
pub fn plan_migration(
    projects: &Projects,
    prices: &PriceBook,
    request: &MigrationRequest,
) -> Result<(MigrationPlan, Plan), MigrationError> {
    let project = projects.get(&request.project_id)?;
    if !project.cloud_providers.contains(&request.to) {
        return Err(MigrationError::Invalid {
            field: "to",
            message: format!(
                "project {} does not use {}: add it with update_project (cloud_providers) first",
                project.id, request.to
            ),
        });
    }
    let resources = projects.resources(&project.id, None)?;
    let sources = chosen(&resources, request)?;
    let Some(first) = sources.first() else {
        return Err(MigrationError::Invalid {
            field: "resource",
            message: "nothing to move".into(),
        });
    };
    let (from, kind) = (first.provider, first.kind);
    if from == request.to {
        return Err(MigrationError::Invalid {
            field: "to",
            message: format!(
                "{} already runs on {from}: name the other cloud",
                first.name
            ),
        });
    }
    let mut warnings = Vec::new();
    let component = target_component(&sources, request.to, &mut warnings)?;
    let region = request.region.clone().or_else(|| match request.to {
        Provider::Aws => project.aws_config.as_ref().map(|c| c.region.clone()),
        Provider::Digitalocean => project.do_config.as_ref().map(|c| c.region.clone()),
    });
    let mut regions = Regions::default();
    match request.to {
        Provider::Aws => regions.aws = region,
        Provider::Digitalocean => regions.digitalocean = region,
    }
    let target = planner::plan(&DeploymentRequest {
        name: Some(project.id.clone()),
        provider: Some(request.to),
        regions,
        components: vec![component],
    })?;
    let prices = prices.current()?;
    let estimate = pricing::estimate(
        &target,
        &prices,
        &Usage::default(),
        chrono::Utc::now().date_naive(),
    )?;
    warnings.extend(target.warnings.iter().cloned());

    let live: Vec<&StoredResource> = resources.iter().filter(|r| r.state.is_live()).collect();
    let cost = |r: &&StoredResource| r.monthly_cost.unwrap_or(0.0);
    let before: f64 = live.iter().map(cost).sum();
    let moved: f64 = sources.iter().map(cost).sum();
    let targets: Vec<_> = target.resources.iter().filter(|r| r.kind == kind).collect();
    let moves = sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let target = targets
                .get(i)
                .or(targets.last())
                .map(|t| {
                    format!(
                        "{} ({} {}, {})",
                        t.name,
                        t.provider,
                        t.size.as_deref().unwrap_or("-"),
                        t.region
                    )
                })
                .unwrap_or_else(|| format!("plan {}", target.plan_id));
            format!(
                "{} ({from} {}, ${:.2}/month) → {target}",
                s.name,
                s.size.as_deref().unwrap_or("-"),
                cost(s),
            )
        })
        .collect();
    let clients: Vec<&str> = live
        .iter()
        .filter(|r| {
            r.provider == from
                && r.kind == ResourceKind::WebServer
                && !sources.iter().any(|s| s.name == r.name)
        })
        .map(|r| r.name.as_str())
        .collect();
    let link = link(kind, from, request.to, &clients);
    let (steps, cut_over, rollback) = steps(kind, from, request.to, &sources, &target.plan_id);
    Ok((
        MigrationPlan {
            project_id: project.id,
            from,
            to: request.to,
            plan_id: target.plan_id.clone(),
            moves,
            monthly_cost_before: round(before),
            monthly_cost_after: round(before - moved + estimate.total_monthly),
            link,
            steps,
            cut_over,
            rollback,
            warnings,
        },
        target,
    ))
}

fn round(dollars: f64) -> f64 {
    (dollars * 100.0).round() / 100.0
}

/// The live resources named: one by name, or a component's tier; all of one kind on one cloud.
fn chosen<'a>(
    resources: &'a [StoredResource],
    request: &MigrationRequest,
) -> Result<Vec<&'a StoredResource>, MigrationError> {
    let live: Vec<&StoredResource> = resources.iter().filter(|r| r.state.is_live()).collect();
    let names = || {
        live.iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chosen: Vec<&StoredResource> = match (&request.resource, &request.component) {
        (Some(name), None) => live.iter().copied().filter(|r| &r.name == name).collect(),
        (None, Some(component)) => live
            .iter()
            .copied()
            .filter(|r| {
                r.planned
                    .as_ref()
                    .is_some_and(|p| &p.component == component)
            })
            .collect(),
        _ => {
            return Err(MigrationError::Invalid {
                field: "resource",
                message: "give exactly one of resource (a resource's name) and component (a tier)"
                    .into(),
            });
        }
    };
    let Some(first) = chosen.first() else {
        return Err(MigrationError::Invalid {
            field: if request.resource.is_some() {
                "resource"
            } else {
                "component"
            },
            message: format!(
                "nothing live by that name in project {}; its resources: {}",
                request.project_id,
                names()
            ),
        });
    };
    if chosen.iter().any(|r| r.planned.is_none()) {
        return Err(MigrationError::Invalid {
            field: "resource",
            message: format!(
                "{} was found in the cloud, not planned by rift: its requirements are unknown",
                first.name
            ),
        });
    }
    if matches!(first.kind, ResourceKind::Network | ResourceKind::Firewall) {
        return Err(MigrationError::Invalid {
            field: "resource",
            message: format!(
                "{} is a {}: networks and firewalls are derived for what moves; name a server, database, cache, \
                 load balancer, volume or bucket",
                first.name, first.kind
            ),
        });
    }
    Ok(chosen)
}

/// What the sources need, as a component for the target cloud: the same vCPUs, memory and storage (so the
/// planner picks the same or the next size up), the same engine and major version.
fn target_component(
    sources: &[&StoredResource],
    to: Provider,
    warnings: &mut Vec<String>,
) -> Result<Component, MigrationError> {
    let Some(first) = sources.first() else {
        return Err(MigrationError::Invalid {
            field: "resource",
            message: "nothing to move".into(),
        });
    };
    let planned = first
        .planned
        .as_ref()
        .ok_or_else(|| MigrationError::Invalid {
            field: "resource",
            message: format!("{} has no planned requirements", first.name),
        })?;
    let mut c = Component::new(format!("{}-{}", planned.component, short(to)), first.kind);
    c.provider = Some(to);
    match &planned.spec {
        ResourceSpec::WebServer {
            vcpus,
            memory_gb,
            user_data,
            image,
            ..
        } => {
            c.vcpus = Some(*vcpus);
            c.memory_gb = Some(*memory_gb);
            c.count = Some(sources.len() as u32);
            c.user_data = user_data.clone();
            if let Some(image) = image {
                warnings.push(format!(
                    "image {image} exists only on {}: the target uses {to}'s default image; give the new servers \
                     an image of the same role",
                    first.provider
                ));
            }
        }
        ResourceSpec::Database {
            engine,
            version,
            vcpus,
            memory_gb,
            storage_gb,
            high_availability,
            ..
        } => {
            c.engine = Some(*engine);
            c.version = Some(version.clone());
            c.vcpus = Some(*vcpus);
            c.memory_gb = Some(*memory_gb);
            c.storage_gb = Some(*storage_gb);
            c.high_availability = Some(*high_availability);
        }
        ResourceSpec::Cache {
            engine,
            version,
            vcpus,
            memory_gb,
            ..
        } => {
            c.engine = Some(*engine);
            c.version = Some(version.clone());
            c.vcpus = Some(*vcpus);
            c.memory_gb = Some(*memory_gb);
        }
        ResourceSpec::BlockStorage { size_gb, .. } => c.storage_gb = Some(*size_gb),
        ResourceSpec::ObjectStorage {
            expected_storage_gb,
            ..
        } => c.storage_gb = Some(*expected_storage_gb),
        ResourceSpec::LoadBalancer {
            listeners, nodes, ..
        } => {
            c.ports = Some(listeners.iter().map(|l| l.port).collect());
            c.high_availability = Some(*nodes > 1);
        }
        ResourceSpec::Network { .. } | ResourceSpec::Firewall { .. } => {}
    }
    Ok(c)
}

fn short(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => "aws",
        Provider::Digitalocean => "do",
    }
}

fn link(kind: ResourceKind, from: Provider, to: Provider, clients: &[&str]) -> String {
    let stateful = matches!(kind, ResourceKind::Database | ResourceKind::Cache);
    if clients.is_empty() || !stateful {
        return format!("none needed: nothing left on {from} connects to it privately");
    }
    format!(
        "{} on {from} reach the new {kind} on {to} while both run: over a private cross-cloud link (VPN) once the \
         project has one, otherwise the target must admit them on its public endpoint with TLS",
        clients.join(", ")
    )
}

fn steps(
    kind: ResourceKind,
    from: Provider,
    to: Provider,
    sources: &[&StoredResource],
    plan_id: &str,
) -> (Vec<String>, String, String) {
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    let source = names.join(", ");
    let create = format!(
        "1. create the target on {to}: apply_plan with plan {plan_id} (previewed and approved) — no downtime"
    );
    let (copy, cut_over, rollback) = match kind {
        ResourceKind::Database => (
            vec![
                format!("2. copy the data: a dump of {source} restored into the target (pg_dump/pg_restore or mysqldump), then logical replication from the source until the lag is zero — no downtime"),
                "3. freeze writes, let replication drain, point the clients at the target's endpoint — downtime: the write freeze, typically 1–5 minutes".to_string(),
                format!("4. keep {source} read-only for a day, then delete it (a second, explicit approval) — no downtime"),
            ],
            "cut over when replication lag is zero: the clients' connection string changes to the target's endpoint".to_string(),
            format!("until the source is deleted: point the clients back at {source} (still read-only, so unfreeze it) and delete the target"),
        ),
        ResourceKind::Cache => (
            vec![
                "2. nothing to copy: a cache refills from its source of truth — no downtime".to_string(),
                "3. point the clients at the target — no downtime; hit ratio low until it warms".to_string(),
                format!("4. delete {source} — no downtime"),
            ],
            "cut over by changing the clients' cache endpoint".to_string(),
            format!("point the clients back at {source} until it is deleted"),
        ),
        ResourceKind::WebServer => (
            vec![
                "2. the new servers boot the same user data (the application role); check them on their own address — no downtime".to_string(),
                "3. add them behind the load balancer (or DNS) next to the old ones, then remove the old ones from it — no downtime".to_string(),
                format!("4. delete {source} once no traffic reaches them — no downtime"),
            ],
            "cut over by moving traffic: load balancer targets or DNS records".to_string(),
            format!("put {source} back in front until they are deleted"),
        ),
        ResourceKind::ObjectStorage => (
            vec![
                format!("2. copy every object from {source} to the target bucket ({from} → {to}, S3 API on both), verified by count and size — no downtime"),
                "3. switch the clients' bucket endpoint, then copy what was written during the switch — no downtime".to_string(),
                format!("4. delete {source} (a second, explicit approval) — no downtime"),
            ],
            "cut over by changing the clients' bucket endpoint and credentials".to_string(),
            format!("switch the clients back to {source}, which keeps every object until it is deleted"),
        ),
        ResourceKind::BlockStorage => (
            vec![
                "2. attach the target volume to a server on the target cloud and copy the data over the link (rsync) — no downtime".to_string(),
                "3. stop writes on the source, copy the last changes — downtime: the final sync, minutes".to_string(),
                format!("4. delete {source} — no downtime"),
            ],
            "cut over when the final sync ends: the application mounts the target volume".to_string(),
            format!("remount {source} until it is deleted"),
        ),
        ResourceKind::LoadBalancer | ResourceKind::Network | ResourceKind::Firewall => (
            vec![
                "2. register the target servers with the new load balancer and check its health checks — no downtime".to_string(),
                "3. move the DNS record to the new load balancer — no downtime; clients follow within the record's TTL".to_string(),
                format!("4. delete {source} once its traffic is gone — no downtime"),
            ],
            "cut over by the DNS record".to_string(),
            format!("move the DNS record back to {source}"),
        ),
    };
    let mut steps = vec![create];
    steps.extend(copy);
    (steps, cut_over, rollback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ResourceState;

    /// The stored resources of the brief's example as planned on `provider`.
    fn stored(provider: Provider) -> Vec<StoredResource> {
        let request: DeploymentRequest = serde_json::from_value(serde_json::json!({
            "name": "shop",
            "provider": provider,
            "components": [
                {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4, "count": 2,
                 "user_data": "#cloud-config\n", "image": "ubuntu-24-04-x64"},
                {"name": "db", "kind": "database", "engine": "postgres", "version": "16", "vcpus": 2, "memory_gb": 4, "storage_gb": 20}
            ]
        }))
        .unwrap();
        planner::plan(&request)
            .unwrap()
            .resources
            .into_iter()
            .map(|r| StoredResource {
                name: r.name.clone(),
                kind: r.kind,
                provider: r.provider,
                region: r.region.clone(),
                state: ResourceState::Created,
                cloud_id: Some(format!("id-{}", r.name)),
                size: r.size.clone(),
                monthly_cost: Some(10.0),
                endpoints: vec![],
                plan_id: None,
                managed: true,
                error: None,
                pending: None,
                updated_at: String::new(),
                planned: Some(r),
                record: None,
            })
            .collect()
    }

    fn plan_for(sources: &[&StoredResource], to: Provider) -> (Plan, Vec<String>) {
        let mut warnings = Vec::new();
        let component = target_component(sources, to, &mut warnings).unwrap();
        let plan = planner::plan(&DeploymentRequest {
            name: Some("shop".into()),
            provider: Some(to),
            regions: Regions::default(),
            components: vec![component],
        })
        .unwrap();
        (plan, warnings)
    }

    #[test]
    fn a_database_keeps_its_engine_version_and_size_on_the_other_cloud() {
        let resources = stored(Provider::Digitalocean);
        let db: Vec<&StoredResource> = resources
            .iter()
            .filter(|r| r.kind == ResourceKind::Database)
            .collect();
        let (plan, _) = plan_for(&db, Provider::Aws);
        let target = plan
            .resources
            .iter()
            .find(|r| r.kind == ResourceKind::Database)
            .unwrap();
        assert_eq!(target.name, "shop-db-aws");
        assert_eq!(target.size.as_deref(), Some("db.t3.medium"));
        let ResourceSpec::Database {
            engine,
            version,
            storage_gb,
            ..
        } = &target.spec
        else {
            panic!("a database");
        };
        assert_eq!((engine.as_str(), version.as_str()), ("postgres", "16"));
        assert!(*storage_gb >= 20);
    }

    #[test]
    fn a_web_tier_moves_whole_with_its_user_data_and_a_warning_about_its_image() {
        let resources = stored(Provider::Digitalocean);
        let web: Vec<&StoredResource> = resources
            .iter()
            .filter(|r| r.kind == ResourceKind::WebServer)
            .collect();
        let (plan, warnings) = plan_for(&web, Provider::Aws);
        let servers: Vec<_> = plan
            .resources
            .iter()
            .filter(|r| r.kind == ResourceKind::WebServer)
            .collect();
        assert_eq!(servers.len(), 2);
        assert!(
            servers
                .iter()
                .all(|s| s.size.as_deref() == Some("t3.medium")),
            "{servers:?}"
        );
        assert!(servers.iter().all(|s| matches!(&s.spec, ResourceSpec::WebServer { user_data: Some(u), .. } if u == "#cloud-config\n")));
        assert!(
            warnings.iter().any(|w| w.contains("ubuntu-24-04-x64")),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_link_names_the_clients_left_behind_and_every_step_says_its_downtime() {
        let text = link(
            ResourceKind::Database,
            Provider::Digitalocean,
            Provider::Aws,
            &["shop-web-1"],
        );
        assert!(
            text.contains("shop-web-1") && text.contains("VPN"),
            "{text}"
        );
        assert!(
            link(
                ResourceKind::Database,
                Provider::Digitalocean,
                Provider::Aws,
                &[]
            )
            .starts_with("none needed")
        );
        let resources = stored(Provider::Digitalocean);
        let db: Vec<&StoredResource> = resources
            .iter()
            .filter(|r| r.kind == ResourceKind::Database)
            .collect();
        for kind in [
            ResourceKind::Database,
            ResourceKind::WebServer,
            ResourceKind::Cache,
            ResourceKind::ObjectStorage,
            ResourceKind::BlockStorage,
            ResourceKind::LoadBalancer,
        ] {
            let (steps, cut_over, rollback) =
                steps(kind, Provider::Digitalocean, Provider::Aws, &db, "plan-1");
            assert_eq!(steps.len(), 4, "{kind}");
            assert!(
                steps.iter().all(|s| s.contains("downtime")),
                "{kind}: {steps:?}"
            );
            assert!(
                !cut_over.is_empty() && rollback.contains("shop-db"),
                "{kind}"
            );
        }
    }
}
