//! AWS provisioning against moto, the AWS emulator (`tools/moto.sh run cargo test aws`). Without `RIFT_MOTO_URL`
//! these tests skip with a note, unless `RIFT_REQUIRE_EMULATORS=1` makes that a failure.
//!
//! Tests run in parallel threads against one moto server, and other suites (DigitalOcean Spaces on moto's S3)
//! share it, so no test resets moto: each test works in a region of its own with a project id unique to the run,
//! which moto keeps apart (S3 bucket names carry a hash of the project id).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use rift::cloud::aws::{AwsClients, AwsCloud, Tags, compute, firewall, network, storage};
use rift::cloud::{
    Cloud, CloudError, CreateContext, DeleteOutcome, NewSize, Owner, Progress, ResourceRecord,
};
use rift::model::{DeploymentRequest, Plan, ResourceKind};

/// Clients for moto in `region`, or `None` (test skipped) when no moto is running.
async fn moto(region: &str) -> Option<AwsCloud> {
    let url = match std::env::var("RIFT_MOTO_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("RIFT_REQUIRE_EMULATORS").as_deref() != Ok("1"),
                "RIFT_REQUIRE_EMULATORS=1 but RIFT_MOTO_URL is not set; start moto with tools/moto.sh"
            );
            eprintln!(
                "skipped: RIFT_MOTO_URL is not set (run under `tools/moto.sh run cargo test`)"
            );
            return None;
        }
    };
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await;
    Some(AwsCloud::new(AwsClients::from_sdk_config(&sdk).unwrap()))
}

fn project(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("it-{test}-{nanos}")
}

fn plan(region: &str, components: serde_json::Value) -> Plan {
    let request: DeploymentRequest = serde_json::from_value(serde_json::json!({
        "name": "shop",
        "provider": "aws",
        "regions": {"aws": region},
        "components": components,
    }))
    .unwrap();
    rift::planner::plan(&request).unwrap()
}

fn context(
    project: &str,
    name: &str,
    records: &BTreeMap<String, ResourceRecord>,
    plan: &Plan,
) -> CreateContext {
    let resource = plan.resource(name).unwrap();
    CreateContext {
        project_id: project.to_string(),
        plan_name: plan.name.clone(),
        dependencies: resource
            .depends_on
            .iter()
            .map(|d| (d.clone(), records[d].clone()))
            .collect(),
        idempotency_key: format!("{project}/{name}").chars().rev().take(64).collect(),
        progress: Progress::none(),
    }
}

/// Creates every resource of the plan in its (dependency) order, as the engine would one at a time.
async fn apply(cloud: &AwsCloud, project: &str, plan: &Plan) -> BTreeMap<String, ResourceRecord> {
    let mut records = BTreeMap::new();
    for resource in &plan.resources {
        let ctx = context(project, &resource.name, &records, plan);
        let record = cloud
            .create(&ctx, resource)
            .await
            .unwrap_or_else(|e| panic!("creating {}: {e}", resource.name));
        records.insert(resource.name.clone(), record);
    }
    records
}

fn tagged(record: &ResourceRecord, project: &str, name: &str) {
    assert_eq!(
        record.tags.get("managed-by").map(String::as_str),
        Some("rift"),
        "{record:?}"
    );
    assert_eq!(
        record.tags.get("rift-project").map(String::as_str),
        Some(project),
        "{record:?}"
    );
    assert_eq!(record.name, name, "{record:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_is_created_inspected_listed_resized_and_deleted() {
    let region = "us-west-2";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let project = project("lifecycle");
    let plan = plan(
        region,
        serde_json::json!([
            {"name": "web", "kind": "web_server", "size": "t3.micro", "count": 2, "ports": [80]},
            {"name": "db", "kind": "database", "engine": "postgres", "version": "16", "size": "db.t3.micro",
             "storage_gb": 20},
            {"name": "lb", "kind": "load_balancer", "ports": [80]},
            {"name": "data", "kind": "block_storage", "storage_gb": 10},
            {"name": "assets", "kind": "object_storage"}
        ]),
    );
    let records = apply(&cloud, &project, &plan).await;
    for resource in &plan.resources {
        let record = &records[&resource.name];
        assert_eq!(record.kind, resource.kind);
        tagged(record, &project, &resource.name);
        // get returns what create returned.
        let fetched = cloud.get(resource.kind, &record.cloud_id).await.unwrap();
        assert_eq!(fetched.cloud_id, record.cloud_id);
        tagged(&fetched, &project, &resource.name);
    }
    let kinds: Vec<ResourceKind> = plan.resources.iter().map(|r| r.kind).collect();
    for kind in ResourceKind::ALL {
        // The cache has a test of its own: moto cannot finish deleting one, which this test's VPC delete needs.
        assert!(
            kind == ResourceKind::Cache || kinds.contains(&kind),
            "the plan covers {kind}"
        );
    }

    // What each kind must show.
    let of = |kind: ResourceKind| {
        plan.resources
            .iter()
            .filter(move |r| r.kind == kind)
            .map(|r| &records[&r.name])
    };
    for server in of(ResourceKind::WebServer) {
        assert_eq!(
            (server.state.as_str(), server.size.as_deref()),
            ("running", Some("t3.micro"))
        );
        assert!(!server.endpoints.is_empty(), "{server:?}");
    }
    let servers: Vec<&ResourceRecord> = of(ResourceKind::WebServer).collect();
    assert_ne!(
        servers[0].parts.get("availability_zone"),
        servers[1].parts.get("availability_zone"),
        "two web servers spread over two zones"
    );
    let db = of(ResourceKind::Database).next().unwrap();
    assert_eq!(db.state, "available");
    assert_eq!(db.parts.get("engine").map(String::as_str), Some("postgres"));
    assert!(
        db.parts.contains_key("master_user_secret"),
        "RDS keeps the password: {db:?}"
    );
    assert!(
        !format!("{db:?}").to_lowercase().contains("password\""),
        "{db:?}"
    );
    // remediate's reboot of a database: RebootDBInstance, back to available.
    cloud
        .reboot(ResourceKind::Database, &db.cloud_id, &Progress::none())
        .await
        .unwrap();
    let lb = of(ResourceKind::LoadBalancer).next().unwrap();
    assert_eq!(lb.state, "active");
    assert!(lb.parts.contains_key("listener:80"), "{lb:?}");
    let registered = lb
        .parts
        .keys()
        .filter(|k| k.starts_with("target:80:"))
        .count();
    assert_eq!(registered, 2, "both web servers are targets: {lb:?}");
    let volume = of(ResourceKind::BlockStorage).next().unwrap();
    assert_eq!(volume.size.as_deref(), Some("10"));
    assert!(volume.parts.contains_key("attached_to"), "{volume:?}");
    let bucket = of(ResourceKind::ObjectStorage).next().unwrap();
    assert_eq!(
        bucket
            .parts
            .get("public_access_blocked")
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(
        bucket.parts.get("encryption").map(String::as_str),
        Some("AES256")
    );
    let vpc = of(ResourceKind::Network).next().unwrap();
    assert_eq!(
        vpc.parts
            .keys()
            .filter(|k| k.starts_with("subnet:"))
            .count(),
        4,
        "{vpc:?}"
    );
    assert!(vpc.parts.contains_key("internet_gateway"), "{vpc:?}");

    // The database's group admits only the web tier's group.
    let db_sg = plan
        .resources
        .iter()
        .find(|r| r.name.ends_with("db-sg"))
        .unwrap();
    let web_sg = plan
        .resources
        .iter()
        .find(|r| r.name.ends_with("web-sg"))
        .unwrap();
    let db_rules: Vec<&String> = records[&db_sg.name]
        .parts
        .iter()
        .filter(|(k, _)| k.starts_with("inbound:"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(db_rules.len(), 1, "{db_rules:?}");
    assert!(
        db_rules[0].ends_with(&records[&web_sg.name].cloud_id),
        "{db_rules:?}"
    );

    // A retry of every create finds the first resource instead of making a second one.
    let again = apply(&cloud, &project, &plan).await;
    for (name, record) in &records {
        assert_eq!(again[name].cloud_id, record.cloud_id, "{name}");
    }
    let listed = cloud.list(Owner::Project(&project)).await.unwrap();
    let mut listed_ids: Vec<&str> = listed.iter().map(|r| r.cloud_id.as_str()).collect();
    listed_ids.sort();
    let mut created_ids: Vec<&str> = records.values().map(|r| r.cloud_id.as_str()).collect();
    created_ids.sort();
    assert_eq!(
        listed_ids, created_ids,
        "list by project shows exactly what was created, once"
    );
    assert!(
        cloud
            .list(Owner::Project("some-other-project"))
            .await
            .unwrap()
            .is_empty()
    );

    // Resize where it applies.
    let server = servers[0];
    let resized = cloud
        .resize(
            ResourceKind::WebServer,
            &server.cloud_id,
            &NewSize::Slug("t3.small".into()),
            &Progress::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        (resized.size.as_deref(), resized.state.as_str()),
        (Some("t3.small"), "running")
    );
    let resized = cloud
        .resize(
            ResourceKind::Database,
            &db.cloud_id,
            &NewSize::Slug("db.t3.small".into()),
            &Progress::none(),
        )
        .await
        .unwrap();
    assert_eq!(resized.size.as_deref(), Some("db.t3.small"));
    let resized = cloud
        .resize(
            ResourceKind::Database,
            &db.cloud_id,
            &NewSize::StorageGb(40),
            &Progress::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        resized.parts.get("storage_gb").map(String::as_str),
        Some("40")
    );
    let shrink = cloud
        .resize(
            ResourceKind::Database,
            &db.cloud_id,
            &NewSize::StorageGb(10),
            &Progress::none(),
        )
        .await;
    assert!(matches!(shrink, Err(CloudError::Invalid(_))), "{shrink:?}");
    let resized = cloud
        .resize(
            ResourceKind::BlockStorage,
            &volume.cloud_id,
            &NewSize::StorageGb(20),
            &Progress::none(),
        )
        .await
        .unwrap();
    assert_eq!(resized.size.as_deref(), Some("20"));
    let unsupported = cloud
        .resize(
            ResourceKind::LoadBalancer,
            &lb.cloud_id,
            &NewSize::Slug("large".into()),
            &Progress::none(),
        )
        .await;
    assert!(
        matches!(unsupported, Err(CloudError::Unsupported(_))),
        "{unsupported:?}"
    );

    // Delete in reverse dependency order; a second delete finds it already gone.
    for resource in plan.resources.iter().rev() {
        let id = &records[&resource.name].cloud_id;
        let outcome = cloud.delete(resource.kind, id, &Progress::none()).await;
        assert_eq!(
            outcome,
            Ok(DeleteOutcome::Deleted),
            "deleting {}",
            resource.name
        );
        let again = cloud.delete(resource.kind, id, &Progress::none()).await;
        assert_eq!(
            again,
            Ok(DeleteOutcome::AlreadyGone),
            "deleting {} again",
            resource.name
        );
    }
    let left = cloud.list(Owner::Project(&project)).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_vpc_cleans_up_what_rift_created_inside_it() {
    let region = "eu-west-1";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let project = project("vpc-cleanup");
    let plan = plan(
        region,
        serde_json::json!([
            {"name": "web", "kind": "web_server", "size": "t3.micro", "ports": [80]},
            {"name": "db", "kind": "database", "engine": "mysql", "size": "db.t3.micro", "storage_gb": 20}
        ]),
    );
    // Only the network and its firewalls (which reference each other): what deleting the VPC must remove.
    let mut records = BTreeMap::new();
    for resource in plan
        .resources
        .iter()
        .filter(|r| matches!(r.kind, ResourceKind::Network | ResourceKind::Firewall))
    {
        let ctx = context(&project, &resource.name, &records, &plan);
        records.insert(
            resource.name.clone(),
            cloud.create(&ctx, resource).await.unwrap(),
        );
    }
    let vpc = records
        .values()
        .find(|r| r.kind == ResourceKind::Network)
        .unwrap()
        .clone();
    let groups: Vec<&ResourceRecord> = records
        .values()
        .filter(|r| r.kind == ResourceKind::Firewall)
        .collect();
    assert!(groups.len() >= 2, "{groups:?}");

    assert_eq!(
        cloud
            .delete(ResourceKind::Network, &vpc.cloud_id, &Progress::none())
            .await,
        Ok(DeleteOutcome::Deleted)
    );
    for group in groups {
        assert!(matches!(
            cloud.get(ResourceKind::Firewall, &group.cloud_id).await,
            Err(CloudError::NotFound(_))
        ));
    }
    let c = cloud.clients();
    assert!(network::subnets(c, &vpc.cloud_id).await.unwrap().is_empty());
    assert!(matches!(
        cloud.get(ResourceKind::Network, &vpc.cloud_id).await,
        Err(CloudError::NotFound(_))
    ));
    assert!(
        cloud
            .list(Owner::Project(&project))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_power_cycle_and_volumes_detach_and_reattach() {
    let region = "eu-west-2";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let c = cloud.clients();
    let project = project("power");
    let tags = Tags::new(project.clone(), "net");
    let subnets = [rift::model::Subnet {
        name: "net-public-a".into(),
        availability_zone: format!("{region}a"),
        cidr: "10.1.1.0/24".into(),
        public: true,
    }];
    let spec = network::NetworkSpec {
        cidr: "10.1.0.0/16",
        subnets: &subnets,
        internet_gateway: true,
        nat_gateway: true,
    };
    let vpc = network::create(c, &tags, spec, &Progress::none())
        .await
        .unwrap();
    assert!(vpc.parts.contains_key("nat_gateway"), "{vpc:?}");
    let subnet = &network::subnets(c, &vpc.cloud_id).await.unwrap()[0];
    assert!(subnet.public);
    let sg = firewall::create(
        c,
        &Tags::new(project.clone(), "web-sg"),
        &vpc.cloud_id,
        &[firewall::Ingress {
            protocol: "tcp".into(),
            port: 22,
            source: firewall::Source::Cidr("198.51.100.0/24".into()),
        }],
    )
    .await
    .unwrap();
    let instance_spec = compute::InstanceSpec {
        instance_type: "t3.nano",
        image: compute::DEFAULT_IMAGE,
        subnet_id: &subnet.id,
        security_group_ids: std::slice::from_ref(&sg.cloud_id),
        root_volume_gb: 12,
        user_data: Some("#cloud-config\npackages: [nginx]\n"),
        key_name: None,
        client_token: "power-test-web",
    };
    let web = compute::create(
        c,
        &Tags::new(project.clone(), "web"),
        instance_spec,
        &Progress::none(),
    )
    .await
    .unwrap();
    assert_eq!(web.state, "running");

    let progress = Progress::none();
    let stopped = compute::power(c, &web.cloud_id, compute::Power::Stop, &progress)
        .await
        .unwrap();
    assert_eq!(stopped.state, "stopped");
    let resized = compute::resize(c, &web.cloud_id, "t3.micro", &progress)
        .await
        .unwrap();
    assert_eq!(
        (resized.state.as_str(), resized.size.as_deref()),
        ("stopped", Some("t3.micro"))
    );
    let started = compute::power(c, &web.cloud_id, compute::Power::Start, &progress)
        .await
        .unwrap();
    assert_eq!(started.state, "running");
    let rebooted = compute::power(c, &web.cloud_id, compute::Power::Reboot, &progress)
        .await
        .unwrap();
    assert_eq!(rebooted.state, "running");

    let zone = web.parts["availability_zone"].clone();
    let volume_spec = storage::VolumeSpec {
        availability_zone: &zone,
        size_gb: 5,
        volume_type: "gp3",
        client_token: "power-test-data",
    };
    let volume = storage::create(
        c,
        &Tags::new(project.clone(), "data"),
        volume_spec,
        &progress,
    )
    .await
    .unwrap();
    assert_eq!(volume.state, "available");
    let attached = storage::attach(c, &volume.cloud_id, &web.cloud_id, &progress)
        .await
        .unwrap();
    assert_eq!(attached.parts.get("attached_to"), Some(&web.cloud_id));
    let detached = storage::detach(c, &volume.cloud_id, &progress)
        .await
        .unwrap();
    assert_eq!(
        (detached.state.as_str(), detached.parts.get("attached_to")),
        ("available", None)
    );
    storage::attach(c, &volume.cloud_id, &web.cloud_id, &progress)
        .await
        .unwrap();
    // The root volume is part of the instance; only the data volume is listed.
    let volumes = storage::list(c, Owner::Project(&project)).await.unwrap();
    assert_eq!(
        volumes
            .iter()
            .map(|v| v.cloud_id.as_str())
            .collect::<Vec<_>>(),
        vec![volume.cloud_id.as_str()]
    );

    storage::delete(c, &volume.cloud_id, &progress)
        .await
        .unwrap();
    compute::delete(c, &web.cloud_id, &progress).await.unwrap();
    assert!(matches!(
        compute::delete(c, &web.cloud_id, &progress).await,
        Err(CloudError::NotFound(_))
    ));
    network::delete(c, &vpc.cloud_id, &progress).await.unwrap();
    assert!(matches!(
        network::get(c, &vpc.cloud_id).await,
        Err(CloudError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_errors_carry_the_aws_code_and_message() {
    let region = "sa-east-1";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let c = cloud.clients();
    let spec = compute::InstanceSpec {
        instance_type: "t3.nano",
        image: compute::Image::Id("ami-00000000000000000"),
        subnet_id: "subnet-00000000",
        security_group_ids: &[],
        root_volume_gb: 8,
        user_data: None,
        key_name: None,
        client_token: "errors-test",
    };
    let err = compute::create(
        c,
        &Tags::new(project("errors"), "web"),
        spec,
        &Progress::none(),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("InvalidAMIID"), "{text}");
    assert!(text.contains("ec2:DescribeImages"), "{text}");
    assert!(
        !text.contains("testing"),
        "no credential in an error: {text}"
    );
    let gone = cloud
        .get(ResourceKind::Firewall, "sg-0123456789abcdef0")
        .await;
    assert!(matches!(gone, Err(CloudError::NotFound(_))), "{gone:?}");
    let outcome = cloud
        .delete(
            ResourceKind::ObjectStorage,
            "rift-no-such-bucket-0000",
            &Progress::none(),
        )
        .await;
    assert_eq!(outcome, Ok(DeleteOutcome::AlreadyGone));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caches_are_created_inspected_listed_and_deleted() {
    let region = "ap-southeast-2";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let project = project("cache");
    let plan = plan(
        region,
        serde_json::json!([
            {"name": "web", "kind": "web_server", "size": "t3.nano", "ports": [80]},
            {"name": "cache", "kind": "cache", "engine": "valkey", "size": "cache.t3.micro"}
        ]),
    );
    let records = apply(&cloud, &project, &plan).await;
    let resource = plan
        .resources
        .iter()
        .find(|r| r.kind == ResourceKind::Cache)
        .unwrap();
    let cache = &records[&resource.name];
    tagged(cache, &project, &resource.name);
    assert_eq!(
        (cache.state.as_str(), cache.size.as_deref()),
        ("available", Some("cache.t3.micro"))
    );
    assert_eq!(
        cache.parts.get("engine").map(String::as_str),
        Some("valkey")
    );
    let fetched = cloud
        .get(ResourceKind::Cache, &cache.cloud_id)
        .await
        .unwrap();
    assert_eq!(fetched.cloud_id, cache.cloud_id);
    // The cache's group admits only the web tier's group.
    let cache_sg = plan
        .resources
        .iter()
        .find(|r| r.name.ends_with("cache-sg"))
        .unwrap();
    let web_sg = plan
        .resources
        .iter()
        .find(|r| r.name.ends_with("web-sg"))
        .unwrap();
    let rules: Vec<&String> = records[&cache_sg.name]
        .parts
        .iter()
        .filter(|(k, _)| k.starts_with("inbound:"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert!(
        rules[0].starts_with("tcp/6379") && rules[0].ends_with(&records[&web_sg.name].cloud_id),
        "{rules:?}"
    );

    let again = apply(&cloud, &project, &plan).await;
    assert_eq!(again[&resource.name].cloud_id, cache.cloud_id);
    let caches: Vec<ResourceRecord> = cloud
        .list(Owner::Project(&project))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == ResourceKind::Cache)
        .collect();
    assert_eq!(caches.len(), 1, "{caches:?}");

    // Resize (ModifyCacheCluster) is not exercised: moto 5.2.5 does not implement it (it answers 500).
    assert_eq!(
        cloud
            .delete(ResourceKind::Cache, &cache.cloud_id, &Progress::none())
            .await,
        Ok(DeleteOutcome::Deleted)
    );
    assert_eq!(
        cloud
            .delete(ResourceKind::Cache, &cache.cloud_id, &Progress::none())
            .await,
        Ok(DeleteOutcome::AlreadyGone)
    );
    let listed = cloud.list(Owner::Project(&project)).await.unwrap();
    assert!(
        !listed.iter().any(|r| r.kind == ResourceKind::Cache),
        "{listed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_checks_permissions_with_dry_runs_that_create_nothing() {
    let region = "ca-central-1";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let plan = plan(
        region,
        serde_json::json!([
            {"name": "web", "kind": "web_server", "size": "t3.micro"},
            {"name": "data", "kind": "block_storage", "storage_gb": 10},
            {"name": "db", "kind": "database", "engine": "postgres", "size": "db.t3.micro"}
        ]),
    );
    let c = cloud.clients();
    for resource in &plan.resources {
        cloud
            .check_permissions(resource)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", resource.name));
    }
    // Dry runs made nothing. (Not checked for the VPC: moto 5.2.5 ignores DryRun on CreateVpc and creates one.)
    for firewall in plan
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Firewall)
    {
        let named = c
            .ec2
            .describe_security_groups()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-name")
                    .values(&firewall.name)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert!(named.security_groups().is_empty(), "{named:?}");
    }
    let instances = c.ec2.describe_instances().send().await.unwrap();
    assert!(instances.reservations().is_empty(), "{instances:?}");
    assert!(
        c.ec2
            .describe_volumes()
            .send()
            .await
            .unwrap()
            .volumes()
            .is_empty()
    );
}

/// Metrics come from CloudWatch in one batched GetMetricData: seeded series read back under rift's names (the
/// ALB by its ARN suffix, seconds as milliseconds, the cache hit ratio by metric math), EC2 memory unavailable
/// with the reason, and a series with no data unavailable rather than zero.
#[tokio::test]
async fn metrics_are_read_from_cloudwatch_under_rifts_names() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    use rift::model::{Metric, MetricQuery, TimeRange};

    let region = "ap-south-1";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(std::env::var("RIFT_MOTO_URL").unwrap())
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    let instance = format!(
        "i-{:x}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % (1 << 60)
    );
    let alb_suffix = format!("app/shop-lb/{instance}");
    let alb_arn =
        format!("arn:aws:elasticloadbalancing:{region}:123456789012:loadbalancer/{alb_suffix}");
    let cache = format!("shop-cache-{instance}");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let end = now - now % 60 + 60;
    let seed = |namespace: &'static str,
                metric: &'static str,
                dimension: &'static str,
                id: &str,
                values: &[f64]| {
        let cloudwatch = cloudwatch.clone();
        let id = id.to_string();
        let values = values.to_vec();
        async move {
            let data: Vec<MetricDatum> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    MetricDatum::builder()
                        .metric_name(metric)
                        .dimensions(Dimension::builder().name(dimension).value(&id).build())
                        .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                            end - 60 * (values.len() as i64 - i as i64) - 30,
                        ))
                        .value(*v)
                        .build()
                })
                .collect();
            cloudwatch
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(data))
                .send()
                .await
                .unwrap();
        }
    };
    seed(
        "AWS/EC2",
        "CPUUtilization",
        "InstanceId",
        &instance,
        &[10.0, 30.0, 50.0],
    )
    .await;
    seed(
        "AWS/ApplicationELB",
        "TargetResponseTime",
        "LoadBalancer",
        &alb_suffix,
        &[0.25],
    )
    .await;
    seed(
        "AWS/ElastiCache",
        "CacheHits",
        "CacheClusterId",
        &cache,
        &[90.0],
    )
    .await;
    seed(
        "AWS/ElastiCache",
        "CacheMisses",
        "CacheClusterId",
        &cache,
        &[10.0],
    )
    .await;

    let query = |kind, cloud_id: &str, metric| MetricQuery {
        kind,
        cloud_id: cloud_id.to_string(),
        metric,
    };
    let queries = [
        query(ResourceKind::WebServer, &instance, Metric::CpuPercent),
        query(ResourceKind::WebServer, &instance, Metric::MemoryPercent),
        query(ResourceKind::WebServer, &instance, Metric::NetworkInBytes),
        query(ResourceKind::LoadBalancer, &alb_arn, Metric::LatencyMs),
        query(ResourceKind::Cache, &cache, Metric::HitRatio),
    ];
    let range = TimeRange {
        start: end - 3600,
        end,
        step_s: 60,
    };
    let answers = cloud.metrics(&queries, &range).await.unwrap();
    assert_eq!(answers.len(), queries.len());
    let values = |i: usize| -> Vec<f64> {
        let points = answers[i]
            .points
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", answers[i].source));
        points.iter().map(|(_, v)| *v).collect()
    };
    assert_eq!(values(0), vec![10.0, 30.0, 50.0]);
    assert!(
        answers[0]
            .source
            .contains("AWS/EC2 CPUUtilization InstanceId="),
        "{}",
        answers[0].source
    );
    let memory = answers[1].points.as_ref().unwrap_err();
    assert!(memory.contains("CloudWatch agent"), "{memory}");
    let network = answers[2].points.as_ref().unwrap_err();
    assert!(network.contains("no data points"), "{network}");
    assert_eq!(values(3), vec![250.0]);
    assert!(
        answers[3].source.contains(&alb_suffix),
        "{}",
        answers[3].source
    );
    assert_eq!(values(4), vec![90.0]);
}

/// Adoption's listing: what runs in a region whoever made it — an instance and a bucket made outside rift are
/// found with their kind and size, a project's listing leaves them out, and AWS's own default VPC and default
/// security group are no one's to adopt.
#[tokio::test]
async fn everything_in_a_region_is_listed_for_adoption() {
    let region = "ap-northeast-1";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let c = cloud.clients();
    let made = c
        .ec2
        .run_instances()
        .image_id("ami-00000000000000000")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Small)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let instance = made.instances()[0].instance_id().unwrap().to_string();
    let bucket = project("adopt-me");
    c.s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::ApNortheast1)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let everything = cloud.list(Owner::Anyone).await.unwrap();
    let server = everything
        .iter()
        .find(|r| r.cloud_id == instance)
        .unwrap_or_else(|| panic!("{instance} not listed: {everything:?}"));
    assert_eq!(
        (server.kind, server.size.as_deref()),
        (ResourceKind::WebServer, Some("t3.small"))
    );
    assert!(!server.managed_by_rift());
    assert!(
        everything
            .iter()
            .any(|r| r.kind == ResourceKind::ObjectStorage && r.cloud_id == bucket),
        "{bucket} not listed"
    );
    let defaults = c.ec2.describe_vpcs().send().await.unwrap();
    for vpc in defaults
        .vpcs()
        .iter()
        .filter(|v| v.is_default() == Some(true))
    {
        let id = vpc.vpc_id().unwrap();
        assert!(
            !everything.iter().any(|r| r.cloud_id == id),
            "default VPC {id} listed"
        );
    }
    let default_groups = c
        .ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        )
        .send()
        .await
        .unwrap();
    for group in default_groups.security_groups() {
        let id = group.group_id().unwrap();
        assert!(
            !everything.iter().any(|r| r.cloud_id == id),
            "default security group {id} listed"
        );
    }
    let own = cloud.list(Owner::Project(&project("adopt"))).await.unwrap();
    assert!(
        !own.iter()
            .any(|r| r.cloud_id == instance || r.cloud_id == bucket)
    );
}

#[tokio::test]
async fn alert_rules_become_tagged_cloudwatch_alarms_whose_alarm_state_is_read() {
    use aws_sdk_cloudwatch::types::StateValue;
    use rift::model::{AlarmSpec, Comparison, Metric};

    let region = "ap-southeast-1";
    let Some(cloud) = moto(region).await else {
        return;
    };
    let cloudwatch = cloud.clients().cloudwatch.clone();
    let project = project("alarms");
    let spec = AlarmSpec {
        name: format!("rift/{project}/cpu-high"),
        project_id: project.clone(),
        kind: ResourceKind::WebServer,
        metric: Metric::CpuPercent,
        comparison: Comparison::Above,
        threshold: 80.0,
        minutes: 3,
        targets: vec![
            ("shop-web-1".into(), "i-0aaa".into()),
            ("shop-web-2".into(), "i-0bbb".into()),
        ],
        notify: vec![format!("arn:aws:sns:{region}:123456789012:ops")],
    };
    let alarms = cloud.put_alarms(&spec).await.unwrap();
    let names: Vec<&str> = alarms.iter().map(|a| a.cloud_id.as_str()).collect();
    let first = format!("rift/{project}/cpu-high/shop-web-1");
    assert_eq!(
        names,
        [
            first.as_str(),
            &format!("rift/{project}/cpu-high/shop-web-2")
        ]
    );
    // Idempotent by name: a retry replaces, never duplicates.
    cloud.put_alarms(&spec).await.unwrap();
    let described = cloudwatch
        .describe_alarms()
        .alarm_name_prefix(format!("rift/{project}/"))
        .send()
        .await
        .unwrap();
    let alarm = &described.metric_alarms()[0];
    assert_eq!(described.metric_alarms().len(), 2);
    assert_eq!(
        (
            alarm.namespace(),
            alarm.metric_name(),
            alarm.threshold(),
            alarm.evaluation_periods(),
            alarm.period()
        ),
        (
            Some("AWS/EC2"),
            Some("CPUUtilization"),
            Some(80.0),
            Some(3),
            Some(60)
        )
    );
    assert_eq!(alarm.dimensions()[0].value(), Some("i-0aaa"));
    assert_eq!(
        alarm.alarm_actions(),
        [format!("arn:aws:sns:{region}:123456789012:ops")]
    );
    let tags = cloudwatch
        .list_tags_for_resource()
        .resource_arn(alarm.alarm_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("rift-project") && t.value() == Some(project.as_str())),
        "{:?}",
        tags.tags()
    );

    // Nothing fires until CloudWatch says so; SetAlarmState stands in for the metric crossing the line.
    let prefix = format!("rift/{project}/");
    assert_eq!(cloud.firing_alarms(&prefix).await.unwrap(), Some(vec![]));
    cloudwatch
        .set_alarm_state()
        .alarm_name(&first)
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: 3 datapoints were greater than the threshold (80.0)")
        .send()
        .await
        .unwrap();
    let firing = cloud.firing_alarms(&prefix).await.unwrap().unwrap();
    assert_eq!(firing.len(), 1);
    assert_eq!(firing[0].cloud_id, first);
    assert!(firing[0].reason.contains("Threshold Crossed"), "{firing:?}");

    assert_eq!(
        cloud.delete_alarm(&first).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        cloud.delete_alarm(&first).await.unwrap(),
        DeleteOutcome::AlreadyGone
    );
}
