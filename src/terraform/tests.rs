use super::*;
use crate::model::{AccessSource, Component, DeploymentRequest, Engine, FirewallRule};
use crate::planner;

fn component(name: &str, kind: ResourceKind) -> Component {
    Component::new(name, kind)
}

fn plan_of(provider: Provider, components: Vec<Component>) -> Plan {
    planner::plan(&DeploymentRequest {
        name: Some("shop".to_string()),
        provider: Some(provider),
        regions: Default::default(),
        components,
    })
    .unwrap()
}

fn brief(provider: Provider) -> Plan {
    plan_of(
        provider,
        vec![
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
    )
}

fn resource_mut<'a>(plan: &'a mut Plan, name: &str) -> &'a mut PlannedResource {
    plan.resources.iter_mut().find(|r| r.name == name).unwrap()
}

#[test]
fn only_the_providers_a_plan_uses_appear() {
    let config = generate(&brief(Provider::Aws)).unwrap();
    let names: Vec<&str> = config.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "aws.tf",
            "outputs.tf",
            "providers.tf",
            "variables.tf",
            "versions.tf"
        ]
    );
    assert!(!config.files["versions.tf"].contains("digitalocean"));
    assert!(!config.files["providers.tf"].contains("digitalocean"));
    assert!(config.variables.iter().all(|v| !v.name.starts_with("do_")));

    let config = generate(&brief(Provider::Digitalocean)).unwrap();
    assert!(config.files.contains_key("digitalocean.tf"));
    assert!(!config.files.contains_key("aws.tf"));
    assert!(!config.files["versions.tf"].contains("hashicorp/aws"));
}

#[test]
fn every_file_is_known_and_carries_the_header() {
    for provider in Provider::ALL {
        for (name, text) in generate(&brief(provider)).unwrap().files {
            assert!(FILE_NAMES.contains(&name.as_str()), "{name}");
            assert!(text.starts_with(HEADER_PREFIX), "{name}: {text}");
        }
    }
}

#[test]
fn the_same_plan_gives_the_same_bytes() {
    for provider in Provider::ALL {
        let plan = brief(provider);
        assert_eq!(generate(&plan).unwrap(), generate(&plan.clone()).unwrap());
    }
}

#[test]
fn credentials_are_sensitive_variables_that_default_to_the_environment() {
    let mut plan = brief(Provider::Digitalocean);
    plan.resources.extend(
        plan_of(
            Provider::Digitalocean,
            vec![component("files", ResourceKind::ObjectStorage)],
        )
        .resources,
    );
    let config = generate(&plan).unwrap();
    for secret in ["do_token", "spaces_access_id", "spaces_secret_key"] {
        let v = config.variables.iter().find(|v| v.name == secret).unwrap();
        assert!(v.sensitive, "{secret}");
    }
    let variables = &config.files["variables.tf"];
    assert!(variables.contains("sensitive   = true"));
    assert!(!variables.contains("password"));
    let providers = &config.files["providers.tf"];
    assert!(
        providers.contains("token             = var.do_token"),
        "{providers}"
    );
}

#[test]
fn rds_keeps_its_password_in_secrets_manager() {
    let aws = &generate(&brief(Provider::Aws)).unwrap().files["aws.tf"];
    assert!(aws.contains("manage_master_user_password = true"));
    assert!(!aws.lines().any(|l| l.trim_start().starts_with("password ")));
}

#[test]
fn the_database_admits_only_the_web_tier() {
    let aws = &generate(&brief(Provider::Aws)).unwrap().files["aws.tf"];
    assert!(aws.contains("referenced_security_group_id = aws_security_group.shop_aws_web_sg.id"));
    let digitalocean = &generate(&brief(Provider::Digitalocean)).unwrap().files["digitalocean.tf"];
    assert!(
        digitalocean.contains("type  = \"droplet\"\n    value = digitalocean_droplet.shop_web.id")
    );
}

#[test]
fn a_droplet_waits_for_the_firewall_that_guards_it() {
    let digitalocean = &generate(&brief(Provider::Digitalocean)).unwrap().files["digitalocean.tf"];
    assert!(digitalocean.contains("depends_on = [digitalocean_firewall.shop_do_web_fw]"));
    assert!(digitalocean.contains("digitalocean_tag.shop_do_web_fw.id]"));
}

#[test]
fn a_reference_to_a_missing_resource_is_refused() {
    let mut plan = brief(Provider::Aws);
    if let ResourceSpec::WebServer { firewalls, .. } = &mut resource_mut(&mut plan, "shop-web").spec
    {
        firewalls.push("shop-nope".to_string());
    }
    assert_eq!(
        generate(&plan),
        Err(TerraformError::UnknownResource {
            resource: "shop-web".to_string(),
            target: "shop-nope".to_string()
        })
    );
}

#[test]
fn a_reference_to_the_wrong_kind_is_refused() {
    let mut plan = brief(Provider::Aws);
    if let ResourceSpec::WebServer { network, .. } = &mut resource_mut(&mut plan, "shop-web").spec {
        *network = "shop-db".to_string();
    }
    let err = generate(&plan).unwrap_err().to_string();
    assert!(
        err.contains("shop-db") && err.contains("aws network"),
        "{err}"
    );
}

#[test]
fn a_type_that_disagrees_with_the_mapping_is_refused() {
    let mut plan = brief(Provider::Aws);
    resource_mut(&mut plan, "shop-web").terraform_type = "aws_lightsail_instance".to_string();
    let err = generate(&plan).unwrap_err().to_string();
    assert!(err.contains("aws_instance"), "{err}");

    let mut plan = brief(Provider::Aws);
    resource_mut(&mut plan, "shop-web").kind = ResourceKind::Cache;
    assert!(generate(&plan).is_err());
}

#[test]
fn a_private_droplet_cannot_be_admitted_from_another_cloud() {
    let mut plan = plan_of(
        Provider::Digitalocean,
        vec![Component {
            public: Some(false),
            ..component("web", ResourceKind::WebServer)
        }],
    );
    let mut aws = plan_of(Provider::Aws, vec![component("db", ResourceKind::Database)]);
    if let ResourceSpec::Firewall { inbound, .. } =
        &mut resource_mut(&mut aws, "shop-aws-db-sg").spec
    {
        inbound.push(FirewallRule {
            protocol: "tcp".to_string(),
            port: 5432,
            source: AccessSource::Resource("shop-web".to_string()),
        });
    }
    plan.resources.extend(aws.resources);
    let err = generate(&plan).unwrap_err().to_string();
    assert!(err.contains("no public address"), "{err}");
}

#[test]
fn a_load_balancer_on_aws_spans_two_zones_and_attaches_every_target() {
    let plan = plan_of(
        Provider::Aws,
        vec![
            Component {
                count: Some(2),
                ..component("web", ResourceKind::WebServer)
            },
            component("lb", ResourceKind::LoadBalancer),
        ],
    );
    let aws = &generate(&plan).unwrap().files["aws.tf"];
    assert!(aws.contains(
        "subnets            = [aws_subnet.shop_aws_vpc_public_a.id, aws_subnet.shop_aws_vpc_public_b.id]"
    ));
    assert!(aws.contains("resource \"aws_lb_target_group_attachment\" \"shop_lb_80_shop_web_1\""));
    assert!(aws.contains("resource \"aws_lb_target_group_attachment\" \"shop_lb_80_shop_web_2\""));
    // The two instances land in different zones.
    assert!(aws.contains("subnet_id                   = aws_subnet.shop_aws_vpc_public_a.id"));
    assert!(aws.contains("subnet_id                   = aws_subnet.shop_aws_vpc_public_b.id"));
}

#[test]
fn resource_uris_round_trip() {
    let uri = resource_uri("plan-1a2b", "aws.tf");
    assert_eq!(uri, "rift://plans/plan-1a2b/terraform/aws.tf");
    assert_eq!(parse_resource_uri(&uri), Some(("plan-1a2b", "aws.tf")));
    assert_eq!(parse_resource_uri("rift://plans//terraform/aws.tf"), None);
    assert_eq!(
        parse_resource_uri("rift://plans/a/b/terraform/aws.tf"),
        None
    );
    assert_eq!(parse_resource_uri("rift://plans/a/terraform/"), None);
    assert_eq!(parse_resource_uri("file:///etc/passwd"), None);
}

#[test]
fn boot_settings_reach_the_droplet_and_the_instance() {
    let web = |provider| Component {
        image: Some(match provider {
            Provider::Aws => "ami-0abcdef1234567890".to_string(),
            Provider::Digitalocean => "debian-12-x64".to_string(),
        }),
        user_data: Some("#cloud-config\nruncmd: [\"echo ${HOME}\"]\n".into()),
        ssh_keys: Some(vec!["deploy".into()]),
        ..component("web", ResourceKind::WebServer)
    };
    let files = generate(&plan_of(
        Provider::Digitalocean,
        vec![web(Provider::Digitalocean)],
    ))
    .unwrap()
    .files;
    let tf = &files["digitalocean.tf"];
    let droplet = tf
        .split("resource \"digitalocean_droplet\"")
        .nth(1)
        .unwrap();
    let attribute = |name: &str| {
        droplet
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .map(|l| l.split_once('=').unwrap().1.trim().to_string())
    };
    assert_eq!(attribute("image").as_deref(), Some("\"debian-12-x64\""));
    assert_eq!(attribute("ssh_keys").as_deref(), Some("[\"deploy\"]"));
    // A literal "${" must not start a Terraform template.
    assert_eq!(
        attribute("user_data").as_deref(),
        Some(r##""#cloud-config\nruncmd: [\"echo $${HOME}\"]\n""##)
    );
    let files = generate(&plan_of(Provider::Aws, vec![web(Provider::Aws)]))
        .unwrap()
        .files;
    let tf = &files["aws.tf"];
    assert!(tf.contains("= \"ami-0abcdef1234567890\""), "{tf}");
    assert!(
        tf.contains("key_name") && tf.contains("= \"deploy\""),
        "{tf}"
    );
    assert!(tf.contains("user_data"), "{tf}");
}
