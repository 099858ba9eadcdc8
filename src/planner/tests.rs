use super::*;
use crate::model::{Component, Engine, ResourceKind, ResourceSpec};

fn component(name: &str, kind: ResourceKind) -> Component {
    Component::new(name, kind)
}

fn brief_request(provider: Provider) -> DeploymentRequest {
    DeploymentRequest {
        name: Some("shop".into()),
        provider: Some(provider),
        regions: Default::default(),
        components: vec![
            Component {
                vcpus: Some(2),
                memory_gb: Some(4.0),
                ..component("web", ResourceKind::WebServer)
            },
            Component {
                engine: Some(Engine::Postgres),
                vcpus: Some(2),
                memory_gb: Some(4.0),
                ..component("db", ResourceKind::Database)
            },
        ],
    }
}

fn types(plan: &Plan) -> Vec<(&str, Option<&str>)> {
    plan.resources
        .iter()
        .map(|r| (r.terraform_type.as_str(), r.size.as_deref()))
        .collect()
}

#[test]
fn brief_example_on_digitalocean() {
    let plan = plan(&brief_request(Provider::Digitalocean)).unwrap();
    let types = types(&plan);
    assert!(types.contains(&("digitalocean_droplet", Some("s-2vcpu-4gb"))));
    assert!(types.contains(&("digitalocean_database_cluster", Some("db-s-2vcpu-4gb"))));
    assert!(types.contains(&("digitalocean_vpc", None)));
    assert!(types.contains(&("digitalocean_firewall", None)));
    let web = plan.resource("shop-web").unwrap();
    assert!(web.depends_on.contains(&"shop-do-vpc".to_string()));
    assert!(web.depends_on.contains(&"shop-do-web-fw".to_string()));
    let db = plan.resource("shop-db").unwrap();
    match &db.spec {
        ResourceSpec::Database { allowed_from, .. } => assert_eq!(allowed_from, &["shop-web"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn brief_example_on_aws() {
    let plan = plan(&brief_request(Provider::Aws)).unwrap();
    let types = types(&plan);
    assert!(types.contains(&("aws_instance", Some("t3.medium"))));
    assert!(types.contains(&("aws_db_instance", Some("db.t3.medium"))));
    let vpc = plan.resource("shop-aws-vpc").unwrap();
    match &vpc.spec {
        ResourceSpec::Network { subnets, .. } => {
            assert_eq!(subnets.len(), 4);
            let zones: std::collections::BTreeSet<_> = subnets
                .iter()
                .map(|s| s.availability_zone.as_str())
                .collect();
            assert_eq!(zones.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    let db_sg = plan.resource("shop-aws-db-sg").unwrap();
    match &db_sg.spec {
        ResourceSpec::Firewall { inbound, .. } => {
            assert_eq!(inbound.len(), 1);
            assert_eq!(inbound[0].port, 5432);
            assert_eq!(
                inbound[0].source,
                crate::model::AccessSource::Resource("shop-aws-web-sg".into())
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(plan.warnings.iter().any(|w| w.contains("burstable")));
}

#[test]
fn every_resource_comes_after_its_dependencies() {
    let mut request = brief_request(Provider::Aws);
    request
        .components
        .push(component("lb", ResourceKind::LoadBalancer));
    request.components.push(Component {
        provider: Some(Provider::Digitalocean),
        storage_gb: Some(100),
        ..component("data", ResourceKind::BlockStorage)
    });
    request.components.push(Component {
        provider: Some(Provider::Digitalocean),
        count: Some(2),
        ..component("worker", ResourceKind::WebServer)
    });
    request
        .components
        .push(component("cache", ResourceKind::Cache));
    request
        .components
        .push(component("assets", ResourceKind::ObjectStorage));
    let plan = plan(&request).unwrap();
    for (i, r) in plan.resources.iter().enumerate() {
        for dep in &r.depends_on {
            let j = plan.resources.iter().position(|o| &o.name == dep).unwrap();
            assert!(j < i, "{} before its dependency {dep}", r.name);
        }
    }
    assert_eq!(plan.providers, vec![Provider::Digitalocean, Provider::Aws]);
    assert!(plan.resource("shop-worker-2").is_some());
}

#[test]
fn same_request_same_id_different_request_different_id() {
    let a = plan(&brief_request(Provider::Aws)).unwrap();
    let b = plan(&brief_request(Provider::Aws)).unwrap();
    let c = plan(&brief_request(Provider::Digitalocean)).unwrap();
    assert_eq!(a.plan_id, b.plan_id);
    assert_ne!(a.plan_id, c.plan_id);
}

fn error_of(request: &DeploymentRequest) -> PlanError {
    plan(request).err().unwrap()
}

#[test]
fn bad_input_names_the_field_and_the_valid_choices() {
    let mut r = brief_request(Provider::Aws);
    r.regions.aws = Some("mars-1".into());
    let e = error_of(&r);
    assert_eq!(e.field, "regions.aws");
    assert!(e.message.contains("us-east-1"));

    let mut r = brief_request(Provider::Digitalocean);
    r.components[0].size = Some("huge".into());
    let e = error_of(&r);
    assert_eq!(e.field, "components[0].size");
    assert!(e.message.contains("s-1vcpu-1gb"));

    let mut r = brief_request(Provider::Aws);
    r.components[1].engine = Some(Engine::Valkey);
    let e = error_of(&r);
    assert_eq!(e.field, "components[1].engine");
    assert!(e.message.contains("postgres"));

    let mut r = brief_request(Provider::Aws);
    r.components.clear();
    assert_eq!(error_of(&r).field, "components");

    let mut r = brief_request(Provider::Aws);
    r.components[0].count = Some(0);
    assert_eq!(error_of(&r).field, "components[0].count");

    let mut r = brief_request(Provider::Aws);
    r.components[1].name = "web".into();
    assert_eq!(error_of(&r).field, "components[1].name");

    let mut r = brief_request(Provider::Aws);
    r.components[0].name = "Web_1".into();
    assert_eq!(error_of(&r).field, "components[0].name");

    let mut r = brief_request(Provider::Aws);
    r.provider = None;
    assert_eq!(error_of(&r).field, "components[0].provider");

    let mut r = brief_request(Provider::Aws);
    r.components
        .push(component("lb", ResourceKind::LoadBalancer));
    r.components[2].provider = Some(Provider::Digitalocean);
    let e = error_of(&r);
    assert_eq!(e.field, "components[2].kind");

    let mut r = brief_request(Provider::Aws);
    r.components[1].count = Some(2);
    assert!(error_of(&r).message.contains("Multi-AZ"));

    let mut r = brief_request(Provider::Aws);
    r.components[0].engine = Some(Engine::Postgres);
    assert_eq!(error_of(&r).field, "components[0].engine");
}

#[test]
fn digitalocean_high_availability_adds_a_standby() {
    let mut r = brief_request(Provider::Digitalocean);
    r.components[1].high_availability = Some(true);
    let plan = plan(&r).unwrap();
    match &plan.resource("shop-db").unwrap().spec {
        ResourceSpec::Database { nodes, .. } => assert_eq!(*nodes, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cross_cloud_database_admits_the_other_clouds_servers() {
    let mut r = brief_request(Provider::Digitalocean);
    r.components[1].provider = Some(Provider::Aws);
    let plan = plan(&r).unwrap();
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("over the internet"))
    );
    match &plan.resource("shop-db").unwrap().spec {
        ResourceSpec::Database { public, .. } => assert!(*public),
        other => panic!("{other:?}"),
    }
}

#[test]
fn boot_settings_are_checked_per_provider_and_kept_in_the_plan() {
    let mut r = brief_request(Provider::Aws);
    r.components[0].image = Some("ubuntu-24-04-x64".into());
    assert_eq!(error_of(&r).field, "components[0].image");

    let mut r = brief_request(Provider::Aws);
    r.components[0].ssh_keys = Some(vec!["one".into(), "two".into()]);
    assert_eq!(error_of(&r).field, "components[0].ssh_keys");

    let mut r = brief_request(Provider::Aws);
    r.components[1].user_data = Some("#cloud-config\n".into());
    assert_eq!(error_of(&r).field, "components[1].user_data");

    let mut r = brief_request(Provider::Digitalocean);
    r.components[0].user_data = Some("x".repeat(16 * 1024 + 1));
    assert_eq!(error_of(&r).field, "components[0].user_data");

    let mut r = brief_request(Provider::Aws);
    r.components[0].image = Some("ami-0abcdef1234567890".into());
    r.components[0].user_data = Some("#cloud-config\npackages: [nodejs]\n".into());
    r.components[0].ssh_keys = Some(vec!["deploy".into()]);
    let plan = plan(&r).unwrap();
    let boot = plan.resource("shop-web").unwrap().boot().unwrap();
    assert_eq!(boot.image, Some("ami-0abcdef1234567890"));
    assert_eq!(boot.user_data, Some("#cloud-config\npackages: [nodejs]\n"));
    assert_eq!(boot.ssh_keys, ["deploy".to_string()]);
}

#[test]
fn what_the_derived_rules_cannot_express_is_refused() {
    let mut r = brief_request(Provider::Digitalocean);
    r.components
        .push(component("lb", ResourceKind::LoadBalancer));
    r.components
        .push(component("lb2", ResourceKind::LoadBalancer));
    let e = error_of(&r);
    assert_eq!(e.field, "components[3].kind");
    assert!(e.message.contains("lb"), "{e}");

    let mut r = brief_request(Provider::Digitalocean);
    r.components[0].public = Some(false);
    r.components[1].provider = Some(Provider::Aws);
    assert_eq!(error_of(&r).field, "components[0].public");

    let mut r = brief_request(Provider::Digitalocean);
    r.components[1].vcpus = None;
    r.components[1].memory_gb = None;
    r.components[1].high_availability = Some(true);
    let e = error_of(&r);
    assert_eq!(e.field, "components[1].high_availability");
    assert!(e.message.contains("db-s-1vcpu-2gb"), "{e}");

    let mut r = brief_request(Provider::Aws);
    r.components.push(Component {
        high_availability: Some(true),
        ..component("cache", ResourceKind::Cache)
    });
    assert_eq!(error_of(&r).field, "components[2].high_availability");
}

#[test]
fn digitalocean_networks_leave_the_range_to_digitalocean() {
    let plan = plan(&brief_request(Provider::Digitalocean)).unwrap();
    match &plan.resource("shop-do-vpc").unwrap().spec {
        ResourceSpec::Network { cidr, .. } => assert_eq!(cidr, &None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_database_serves_the_web_servers_of_its_region_and_the_other_cloud() {
    let mut r = brief_request(Provider::Aws);
    r.components.push(Component {
        region: Some("us-west-2".into()),
        ..component("west", ResourceKind::WebServer)
    });
    r.components.push(Component {
        provider: Some(Provider::Digitalocean),
        ..component("edge", ResourceKind::WebServer)
    });
    let plan = plan(&r).unwrap();
    match &plan.resource("shop-db").unwrap().spec {
        ResourceSpec::Database { allowed_from, .. } => {
            assert_eq!(allowed_from, &["shop-web", "shop-edge"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        plan.warnings.iter().any(|w| w.contains("us-west-2")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn storage_gb_is_a_minimum_on_both_providers() {
    // The brief's database asks for 20 GB; DigitalOcean's db-s-2vcpu-4gb includes 38, which satisfies it.
    let mut r = brief_request(Provider::Digitalocean);
    r.components[1].storage_gb = Some(20);
    let plan = super::plan(&r).unwrap();
    match &plan.resource("shop-db").unwrap().spec {
        ResourceSpec::Database { storage_gb, .. } => assert_eq!(*storage_gb, 38),
        other => panic!("{other:?}"),
    }
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("includes 38 GB of storage, more than the 20 GB asked for")),
        "{:?}",
        plan.warnings
    );
    // RDS starts at 20 GB, which satisfies 10.
    let mut r = brief_request(Provider::Aws);
    r.components[1].storage_gb = Some(10);
    let plan = super::plan(&r).unwrap();
    match &plan.resource("shop-db").unwrap().spec {
        ResourceSpec::Database { storage_gb, .. } => assert_eq!(*storage_gb, 20),
        other => panic!("{other:?}"),
    }
}

#[test]
fn defaults_for_database_storage_and_engine_are_said() {
    let mut r = brief_request(Provider::Aws);
    r.components[1].engine = None;
    let plan = super::plan(&r).unwrap();
    for expected in [
        "db: no storage_gb given: using 20 GB of RDS gp3 storage",
        "db: no engine given: using postgres 16",
    ] {
        assert!(
            plan.warnings.iter().any(|w| w == expected),
            "{expected} in {:?}",
            plan.warnings
        );
    }
    let mut r = brief_request(Provider::Digitalocean);
    r.components[1].version = Some("16".into());
    let plan = super::plan(&r).unwrap();
    assert!(
        !plan.warnings.iter().any(|w| w.contains("no engine")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn images_are_capped_and_checked_against_the_providers_patterns() {
    for (provider, image) in [
        (Provider::Digitalocean, "a".repeat(10 * 1024 * 1024)),
        (Provider::Digitalocean, "Ubuntu 24.04".to_string()),
        (Provider::Aws, "ami-123".to_string()),
        (Provider::Aws, format!("ami-{}", "0".repeat(40))),
    ] {
        let mut r = brief_request(provider);
        r.components[0].image = Some(image.clone());
        let err = error_of(&r);
        assert_eq!(err.field, "components[0].image");
        assert!(err.message.len() < 400, "{}", err.message.len());
    }
    let mut r = brief_request(Provider::Aws);
    r.components[0].image = Some("ubuntu-24-04-x64".into());
    let message = error_of(&r).message;
    assert!(message.contains("is not an aws image"), "{message}");
    let mut r = brief_request(Provider::Digitalocean);
    r.components[0].image = Some("ubuntu-24-04-x64".into());
    assert!(super::plan(&r).is_ok());
}

#[test]
fn a_huge_bad_value_is_quoted_by_a_prefix_and_its_length() {
    let mut r = brief_request(Provider::Digitalocean);
    r.name = Some("X".repeat(10 * 1024 * 1024));
    let err = error_of(&r);
    assert_eq!(err.field, "name");
    assert!(err.message.len() < 400, "{}", err.message.len());
    assert!(
        err.message.contains("(10485760 characters)"),
        "{}",
        err.message
    );

    let mut r = brief_request(Provider::Aws);
    r.components[1].count = Some(3);
    let message = error_of(&r).message;
    assert!(message.contains("for an aws database"), "{message}");
}

fn listeners_of(plan: &Plan, name: &str) -> Vec<(u16, String)> {
    match &plan.resource(name).unwrap().spec {
        ResourceSpec::LoadBalancer { listeners, .. } => listeners
            .iter()
            .map(|l| (l.port, l.protocol.clone()))
            .collect(),
        other => panic!("{other:?}"),
    }
}

fn inbound_of(plan: &Plan, name: &str) -> Vec<(u16, crate::model::AccessSource)> {
    match &plan.resource(name).unwrap().spec {
        ResourceSpec::Firewall { inbound, .. } => {
            inbound.iter().map(|r| (r.port, r.source.clone())).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_web_port_gets_a_listener_and_ssh_comes_only_from_ssh_from() {
    use crate::model::AccessSource;
    let with_lb = |provider: Provider, ssh_from: Option<Vec<String>>| {
        let mut r = brief_request(provider);
        r.components[0].ports = Some(vec![22, 80, 443]);
        r.components[0].ssh_from = ssh_from;
        r.components
            .push(component("lb", ResourceKind::LoadBalancer));
        super::plan(&r).unwrap()
    };
    let plan = with_lb(Provider::Digitalocean, None);
    assert_eq!(
        listeners_of(&plan, "shop-lb"),
        [(80, "http".to_string()), (443, "https".to_string())]
    );
    let inbound = inbound_of(&plan, "shop-do-web-fw");
    assert!(!inbound.iter().any(|(port, _)| *port == 22), "{inbound:?}");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("port 22 is not opened")),
        "{:?}",
        plan.warnings
    );
    assert!(plan.warnings.iter().any(|w| w.contains("TLS passthrough")));

    let plan = with_lb(Provider::Aws, Some(vec!["203.0.113.0/24".into()]));
    assert_eq!(
        listeners_of(&plan, "shop-lb"),
        [(80, "tcp".to_string()), (443, "tcp".to_string())]
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("network load balancer with TCP listeners")),
        "{:?}",
        plan.warnings
    );
    let inbound = inbound_of(&plan, "shop-aws-web-sg");
    assert!(inbound.contains(&(22, AccessSource::Addresses("203.0.113.0/24".into()))));
    assert!(inbound.contains(&(443, AccessSource::Resource("shop-aws-lb-sg".into()))));
    assert!(
        !inbound
            .iter()
            .any(|(p, s)| *p == 22 && *s != AccessSource::Addresses("203.0.113.0/24".into())),
        "{inbound:?}"
    );
    assert_eq!(
        inbound_of(&plan, "shop-aws-lb-sg"),
        [(80, AccessSource::Anywhere), (443, AccessSource::Anywhere)]
    );

    let mut r = brief_request(Provider::Aws);
    r.components[0].ssh_from = Some(vec!["anywhere".into()]);
    assert_eq!(error_of(&r).field, "components[0].ssh_from[0]");
    let mut r = brief_request(Provider::Aws);
    r.components.push(Component {
        ports: Some(vec![22]),
        ..component("lb", ResourceKind::LoadBalancer)
    });
    assert_eq!(error_of(&r).field, "components[2].ports");
}

#[test]
fn a_database_serves_only_the_components_it_names() {
    // Disaster recovery: one stack per cloud. Each database serves its own web tier only.
    let r = DeploymentRequest {
        name: Some("dr".into()),
        provider: None,
        regions: Default::default(),
        components: vec![
            Component {
                provider: Some(Provider::Aws),
                ..component("web-aws", ResourceKind::WebServer)
            },
            Component {
                provider: Some(Provider::Digitalocean),
                ..component("web-do", ResourceKind::WebServer)
            },
            Component {
                provider: Some(Provider::Aws),
                serves: Some(vec!["web-aws".into()]),
                ..component("db-aws", ResourceKind::Database)
            },
            Component {
                provider: Some(Provider::Digitalocean),
                serves: Some(vec!["web-do".into()]),
                ..component("db-do", ResourceKind::Database)
            },
        ],
    };
    let plan = super::plan(&r).unwrap();
    match &plan.resource("dr-db-aws").unwrap().spec {
        ResourceSpec::Database {
            public,
            allowed_from,
            ..
        } => {
            assert!(!*public, "RDS must stay private");
            assert_eq!(allowed_from, &["dr-web-aws"]);
        }
        other => panic!("{other:?}"),
    }
    match &plan.resource("dr-db-do").unwrap().spec {
        ResourceSpec::Database { allowed_from, .. } => assert_eq!(allowed_from, &["dr-web-do"]),
        other => panic!("{other:?}"),
    }
    assert!(
        !plan.warnings.iter().any(|w| w.contains("another cloud")),
        "{:?}",
        plan.warnings
    );
    // Without serves, today's rule: every web server, so RDS is made public for the droplet.
    let mut default_rule = r.clone();
    for c in &mut default_rule.components {
        c.serves = None;
    }
    match &super::plan(&default_rule)
        .unwrap()
        .resource("dr-db-aws")
        .unwrap()
        .spec
    {
        ResourceSpec::Database { public, .. } => assert!(*public),
        other => panic!("{other:?}"),
    }
    let mut wrong = r.clone();
    wrong.components[2].serves = Some(vec!["db-do".into()]);
    let err = error_of(&wrong);
    assert_eq!(err.field, "components[2].serves[0]");
    assert!(err.message.contains("web-aws, web-do"), "{}", err.message);
}
