//! Contract tests: every DigitalOcean request rift sends goes through rift's client to Prism serving
//! DigitalOcean's official OpenAPI spec (tests/fixtures/digitalocean-openapi). A request the spec rejects fails the
//! test (Prism answers 422/415, or reports the violation in its `sl-violations` header), and Prism's example
//! answers must parse into rift's types. `RIFT_PRISM_URL` says where Prism listens (`tools/prism.sh start`); when
//! it is unset the tests skip, unless `RIFT_REQUIRE_EMULATORS=1`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rift::cloud::digitalocean::{
    Client, ClientConfig, DatabaseCreate, DatabaseFirewallRule, DatabaseResize, DigitalOcean,
    DoError, DropletAction, DropletCreate, FirewallCreate, ForwardingRule, HealthCheck,
    InboundRule, LoadBalancerCreate, OutboundRule, PollPolicy, RetryPolicy, SshKey, Targets, Token,
    VolumeAction, VolumeCreate, VpcCreate,
};
use rift::cloud::{
    Cloud, CloudError, CreateContext, DeleteOutcome, NewSize, Owner, Progress, ResourceRecord,
};
use rift::model::{DeploymentRequest, ResourceKind};

/// Where Prism listens, or `None` (skip) when it is not running and not required.
pub fn prism_url() -> Option<String> {
    match std::env::var("RIFT_PRISM_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            assert!(
                std::env::var("RIFT_REQUIRE_EMULATORS").as_deref() != Ok("1"),
                "RIFT_REQUIRE_EMULATORS=1 but RIFT_PRISM_URL is not set (start Prism with tools/prism.sh start)"
            );
            eprintln!(
                "skipping: RIFT_PRISM_URL is not set (start Prism with tools/prism.sh start)"
            );
            None
        }
    }
}

/// Every response Prism gave, as seen by the client's observer.
#[derive(Clone, Default)]
struct Audit(Arc<Mutex<Vec<Seen>>>);

#[derive(Debug, Clone)]
struct Seen {
    request: String,
    status: u16,
    violations: Option<String>,
}

impl Audit {
    fn seen(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    /// Fails on any request the spec rejected.
    fn assert_valid(&self) {
        let seen = self.seen();
        assert!(!seen.is_empty(), "no request reached Prism");
        for s in &seen {
            assert!(
                !matches!(s.status, 415 | 422) && s.violations.is_none(),
                "{} violates DigitalOcean's spec: {} {:?}",
                s.request,
                s.status,
                s.violations
            );
        }
    }

    /// Fails on any request the spec rejected, allowing violations in Prism's own answers (some of the spec's
    /// examples break its schemas, e.g. alert policies' numeric `entities`).
    fn assert_requests_valid(&self) {
        let seen = self.seen();
        assert!(!seen.is_empty(), "no request reached Prism");
        for s in &seen {
            let in_request = s.violations.as_deref().is_some_and(|v| {
                serde_json::from_str::<Vec<serde_json::Value>>(v)
                    .map(|all| all.iter().any(|x| x["location"][0] != "response"))
                    .unwrap_or(true)
            });
            assert!(
                !matches!(s.status, 415 | 422) && !in_request,
                "{} violates DigitalOcean's spec: {} {:?}",
                s.request,
                s.status,
                s.violations
            );
        }
    }

    fn requests(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.request).collect()
    }
}

fn config(url: &str, audit: &Audit) -> ClientConfig {
    let mut config = ClientConfig::new(url, Token::new("dop_v1_contract_test_token"));
    config.retry = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_wait: Duration::from_secs(2),
    };
    // Prism's actions never complete: keep the deadline short.
    config.poll = PollPolicy {
        interval: Duration::from_millis(10),
        deadline: Duration::from_millis(60),
    };
    let log = audit.0.clone();
    config.observer = Some(Arc::new(move |info| {
        let violations = info
            .headers
            .get("sl-violations")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_string());
        let query = info
            .url
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        log.lock().unwrap().push(Seen {
            request: format!("{} {}{query}", info.method, info.url.path()),
            status: info.status.as_u16(),
            violations,
        });
    }));
    config
}

fn prism_client(url: &str) -> (Client, Audit) {
    let audit = Audit::default();
    (Client::new(config(url, &audit)).unwrap(), audit)
}

/// A client whose every request asks Prism for the documented answer with this status.
fn prism_client_answering(url: &str, code: u16) -> (Client, Audit) {
    let audit = Audit::default();
    let config = config(url, &audit)
        .header("prefer", &format!("code={code}"))
        .unwrap();
    (Client::new(config).unwrap(), audit)
}

#[tokio::test]
async fn droplet_operations_match_the_spec() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let request = DropletCreate {
        name: "shop-web-1".into(),
        region: "nyc3".into(),
        size: "s-2vcpu-4gb".into(),
        image: "ubuntu-24-04-x64".into(),
        ssh_keys: vec![
            SshKey::Id(289794),
            SshKey::parse("3b:16:e4:bf:8b:00:8b:b8:59:8c:a9:d3:f0:19:fa:45"),
        ],
        monitoring: true,
        tags: vec!["managed-by:rift".into(), "rift-project:p-1".into()],
        user_data: Some("#cloud-config\nruncmd:\n  - touch /ready\n".into()),
        vpc_uuid: Some("760e09ef-dc84-11e8-981e-3cfdfeaae000".into()),
    };
    let created = client.create_droplet(&request).await.unwrap();
    assert!(created.droplet.id > 0);
    assert!(created.links.actions.iter().any(|a| a.rel == "create"));
    let droplet = client.get_droplet(created.droplet.id).await.unwrap();
    assert!(!droplet.addresses().is_empty());
    let listed = client
        .list_droplets(Some("rift-project:p-1"))
        .await
        .unwrap();
    assert!(!listed.is_empty());
    for action in [
        DropletAction::PowerOff,
        DropletAction::PowerOn,
        DropletAction::Reboot,
        // What remediate sends when a reboot does not bring the droplet back.
        DropletAction::PowerCycle,
        DropletAction::Resize {
            size: "s-4vcpu-8gb".into(),
            disk: false,
        },
    ] {
        let started = client.droplet_action(droplet.id, &action).await.unwrap();
        assert!(started.id > 0);
    }
    client.get_action(7515).await.unwrap();
    client.delete_droplet(droplet.id).await.unwrap();
    audit.assert_valid();
    let requests = audit.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /v2/droplets?") && r.contains("per_page=200")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn database_operations_match_the_spec() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let request = DatabaseCreate {
        name: "shop-db".into(),
        engine: "pg".into(),
        version: "16".into(),
        region: "nyc3".into(),
        size: "db-s-2vcpu-4gb".into(),
        num_nodes: 1,
        storage_size_mib: Some(61440),
        tags: vec!["managed-by:rift".into(), "rift-project:p-1".into()],
        private_network_uuid: Some("d455e75d-4858-4eec-8c95-da2f0a5f93a7".into()),
    };
    let cluster = client.create_database(&request).await.unwrap();
    assert!(cluster.endpoints().iter().all(|e| !e.contains("doadmin")));
    client.get_database(&cluster.id).await.unwrap();
    assert!(
        !client
            .list_databases(Some("rift-project:p-1"))
            .await
            .unwrap()
            .is_empty()
    );
    let resize = DatabaseResize {
        size: "db-s-4vcpu-8gb".into(),
        num_nodes: 2,
        storage_size_mib: None,
    };
    client.resize_database(&cluster.id, &resize).await.unwrap();
    let rules = [DatabaseFirewallRule {
        kind: "droplet".into(),
        value: "3164444".into(),
    }];
    client
        .set_database_firewall(&cluster.id, &rules)
        .await
        .unwrap();
    assert!(
        !client
            .database_firewall(&cluster.id)
            .await
            .unwrap()
            .is_empty()
    );
    client.delete_database(&cluster.id).await.unwrap();
    audit.assert_valid();
}

#[tokio::test]
async fn load_balancer_operations_match_the_spec() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let request = LoadBalancerCreate {
        name: "shop-lb".into(),
        region: "nyc3".into(),
        size_unit: 1,
        forwarding_rules: vec![
            ForwardingRule {
                entry_protocol: "http".into(),
                entry_port: 80,
                target_protocol: "http".into(),
                target_port: 80,
                tls_passthrough: false,
            },
            ForwardingRule {
                entry_protocol: "https".into(),
                entry_port: 443,
                target_protocol: "https".into(),
                target_port: 443,
                tls_passthrough: true,
            },
        ],
        health_check: HealthCheck {
            protocol: "tcp".into(),
            port: 80,
            path: None,
            check_interval_seconds: 10,
            response_timeout_seconds: 5,
            healthy_threshold: 3,
            unhealthy_threshold: 3,
        },
        droplet_ids: vec![3164444, 3164445],
        vpc_uuid: Some("c33931f2-a26a-4e61-b85c-4e95a2ec431b".into()),
    };
    let lb = client.create_load_balancer(&request).await.unwrap();
    client.get_load_balancer(&lb.id).await.unwrap();
    assert!(!client.list_load_balancers().await.unwrap().is_empty());
    client
        .add_load_balancer_droplets(&lb.id, &[3164446])
        .await
        .unwrap();
    client.delete_load_balancer(&lb.id).await.unwrap();
    audit.assert_valid();
}

#[tokio::test]
async fn volume_operations_match_the_spec() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let request = VolumeCreate {
        name: "shop-data".into(),
        region: "nyc3".into(),
        size_gigabytes: 50,
        description: "shop-data for rift project p-1".into(),
        filesystem_type: "ext4".into(),
        tags: vec!["managed-by:rift".into(), "rift-project:p-1".into()],
    };
    let volume = client.create_volume(&request).await.unwrap();
    client.get_volume(&volume.id).await.unwrap();
    client
        .list_volumes("nyc3", Some("shop-data"))
        .await
        .unwrap();
    client.list_volumes("nyc3", None).await.unwrap();
    for action in [
        VolumeAction::Attach {
            droplet_id: 3164444,
            region: "nyc3".into(),
        },
        VolumeAction::Detach {
            droplet_id: 3164444,
            region: "nyc3".into(),
        },
        VolumeAction::Resize {
            size_gigabytes: 100,
            region: "nyc3".into(),
        },
    ] {
        client.volume_action(&volume.id, &action).await.unwrap();
    }
    client.delete_volume(&volume.id).await.unwrap();
    audit.assert_valid();
}

#[tokio::test]
async fn vpc_and_firewall_operations_match_the_spec() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let vpc = client
        .create_vpc(&VpcCreate {
            name: "shop-net".into(),
            region: "nyc3".into(),
            description: "managed-by:rift rift-project:p-1".into(),
            ip_range: Some("10.10.10.0/24".into()),
        })
        .await
        .unwrap();
    client.get_vpc(&vpc.id).await.unwrap();
    assert!(!client.list_vpcs().await.unwrap().is_empty());
    client.delete_vpc(&vpc.id).await.unwrap();

    client
        .create_tag("rift-firewall:p-1:shop-web-fw")
        .await
        .unwrap();
    let everywhere = Targets {
        addresses: vec!["0.0.0.0/0".into(), "::/0".into()],
        ..Targets::default()
    };
    let firewall = client
        .create_firewall(&FirewallCreate {
            name: "shop-web-fw".into(),
            inbound_rules: vec![
                InboundRule {
                    protocol: "tcp".into(),
                    ports: "80".into(),
                    sources: Targets {
                        load_balancer_uids: vec!["4de7ac8b-495b-4884-9a69-1050c6793cd6".into()],
                        ..Targets::default()
                    },
                },
                InboundRule {
                    protocol: "tcp".into(),
                    ports: "5432".into(),
                    sources: Targets {
                        droplet_ids: vec![3164444],
                        tags: vec!["rift-firewall:p-1:shop-web-fw".into()],
                        ..Targets::default()
                    },
                },
                InboundRule {
                    protocol: "tcp".into(),
                    ports: "443".into(),
                    sources: everywhere.clone(),
                },
            ],
            outbound_rules: vec![OutboundRule {
                protocol: "tcp".into(),
                ports: "all".into(),
                destinations: everywhere,
            }],
            droplet_ids: Vec::new(),
            tags: vec!["rift-firewall:p-1:shop-web-fw".into()],
        })
        .await
        .unwrap();
    client.get_firewall(&firewall.id).await.unwrap();
    assert!(!client.list_firewalls().await.unwrap().is_empty());
    client.delete_firewall(&firewall.id).await.unwrap();
    audit.assert_valid();
}

#[tokio::test]
async fn prisms_foreign_next_link_is_not_followed() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    // The example list of droplets links to further pages on api.digitalocean.com.
    client.list_droplets(Some("web")).await.unwrap();
    client.list_vpcs().await.unwrap();
    let requests = audit.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    audit.assert_valid();
}

#[tokio::test]
async fn an_action_that_never_settles_hits_the_deadline() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let action = client.get_action(36804636).await.unwrap();
    let started = std::time::Instant::now();
    let err = client
        .wait_for_action(action, &Progress::none())
        .await
        .unwrap_err();
    assert!(matches!(err, DoError::ActionDeadline { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    audit.assert_valid();
}

#[tokio::test]
async fn documented_errors_map_to_typed_errors() {
    let Some(url) = prism_url() else { return };

    let (client, audit) = prism_client_answering(&url, 404);
    let err = client.get_droplet(3164444).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(matches!(CloudError::from(err), CloudError::NotFound(_)));
    let cloud = DigitalOcean::new(client, "nyc3", Vec::new());
    let outcome = cloud
        .delete(ResourceKind::WebServer, "3164444", &Progress::none())
        .await
        .unwrap();
    assert_eq!(outcome, DeleteOutcome::AlreadyGone);
    assert_eq!(audit.seen().len(), 2, "a 404 is not retried");
    audit.assert_valid();

    let (client, audit) = prism_client_answering(&url, 429);
    let err = client.list_vpcs().await.unwrap_err();
    assert!(matches!(err, DoError::RateLimited { .. }), "{err}");
    assert!(CloudError::from(err).is_transient());
    assert_eq!(
        audit.seen().len(),
        3,
        "one attempt and two retries: {:?}",
        audit.requests()
    );

    let (client, audit) = prism_client_answering(&url, 500);
    let err = client
        .get_vpc("5a4981aa-9653-4bd1-bef5-d6bff52042e4")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DoError::Api { status: 500, id, .. } if id == "server_error"),
        "{err}"
    );
    assert_eq!(audit.seen().len(), 3, "a GET is retried on 5xx");
    let vpc = VpcCreate {
        name: "shop-net".into(),
        region: "nyc3".into(),
        description: String::new(),
        ip_range: Some("10.10.10.0/24".into()),
    };
    client.create_vpc(&vpc).await.unwrap_err();
    assert_eq!(
        audit.seen().len(),
        4,
        "a POST that may have been carried out is not resent"
    );
    for seen in audit.seen() {
        assert!(!seen.request.contains("dop_v1"), "{seen:?}");
    }
}

fn plan(request: serde_json::Value) -> rift::model::Plan {
    let request: DeploymentRequest = serde_json::from_value(request).unwrap();
    rift::planner::plan(&request).unwrap()
}

/// Creates every resource of a plan the way the engine does: in order, each with the records of what it needs.
async fn create_all(
    cloud: &DigitalOcean,
    plan: &rift::model::Plan,
) -> BTreeMap<String, ResourceRecord> {
    let mut records: BTreeMap<String, ResourceRecord> = BTreeMap::new();
    for resource in &plan.resources {
        let ctx = CreateContext {
            project_id: "p-1".into(),
            plan_name: plan.name.clone(),
            dependencies: resource
                .depends_on
                .iter()
                .map(|d| (d.clone(), records[d].clone()))
                .collect(),
            idempotency_key: format!("p-1-{}", resource.name),
            progress: Progress::none(),
        };
        let record = cloud
            .create(&ctx, resource)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", resource.name));
        assert_eq!(record.kind, resource.kind);
        assert_eq!(record.project(), Some("p-1"), "{}", resource.name);
        assert!(record.managed_by_rift(), "{}", resource.name);
        records.insert(resource.name.clone(), record);
    }
    records
}

#[tokio::test]
async fn every_kind_of_a_plan_is_provisioned_with_valid_requests() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let cloud = DigitalOcean::new(client, "nyc3", vec![SshKey::Id(289794)]);
    let plan = plan(serde_json::json!({
        "name": "shop",
        "provider": "digitalocean",
        "regions": {"digitalocean": "nyc3"},
        "components": [
            {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4, "count": 2, "ports": [80, 443]},
            {"name": "lb", "kind": "load_balancer"},
            {"name": "db", "kind": "database", "engine": "postgres", "version": "16", "storage_gb": 100},
            {"name": "cache", "kind": "cache"},
            {"name": "data", "kind": "block_storage", "storage_gb": 50}
        ]
    }));
    let records = create_all(&cloud, &plan).await;
    audit.assert_valid();
    let requests = audit.requests();
    for expected in [
        "POST /v2/vpcs",
        "POST /v2/tags",
        "POST /v2/firewalls",
        "POST /v2/droplets",
        "POST /v2/load_balancers",
        "POST /v2/databases",
        "PUT /v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/firewall",
        "POST /v2/volumes",
    ] {
        assert!(
            requests.iter().any(|r| r == expected),
            "{expected} not sent: {requests:?}"
        );
    }

    for record in records.values() {
        let got = cloud.get(record.kind, &record.cloud_id).await.unwrap();
        assert_eq!(got.kind, record.kind);
    }
    cloud.list(Owner::Project("p-1")).await.unwrap();
    let db = records
        .values()
        .find(|r| r.kind == ResourceKind::Database)
        .unwrap();
    cloud
        .resize(
            ResourceKind::Database,
            &db.cloud_id,
            &NewSize::Slug("db-s-4vcpu-8gb".into()),
            &Progress::none(),
        )
        .await
        .unwrap();
    let volume = records
        .values()
        .find(|r| r.kind == ResourceKind::BlockStorage)
        .unwrap();
    cloud
        .resize(
            ResourceKind::BlockStorage,
            &volume.cloud_id,
            &NewSize::StorageGb(100),
            &Progress::none(),
        )
        .await
        .unwrap();
    // Prism's droplet actions never finish: the resize stops at the deadline instead of waiting forever.
    let web = records
        .values()
        .find(|r| r.kind == ResourceKind::WebServer)
        .unwrap();
    let err = cloud
        .resize(
            ResourceKind::WebServer,
            &web.cloud_id,
            &NewSize::Slug("s-4vcpu-8gb".into()),
            &Progress::none(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CloudError::Timeout { .. }), "{err}");
    for record in records.values().rev() {
        if record.kind == ResourceKind::ObjectStorage {
            continue;
        }
        let outcome = cloud
            .delete(record.kind, &record.cloud_id, &Progress::none())
            .await
            .unwrap();
        assert_eq!(outcome, DeleteOutcome::Deleted);
    }
    audit.assert_valid();
}

#[tokio::test]
async fn the_harness_catches_a_request_the_spec_rejects() {
    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let mut request = DropletCreate {
        name: "not a valid name!".into(),
        region: "nyc3".into(),
        size: "s-1vcpu-1gb".into(),
        image: "ubuntu-24-04-x64".into(),
        ssh_keys: Vec::new(),
        monitoring: true,
        tags: Vec::new(),
        user_data: None,
        vpc_uuid: None,
    };
    let err = client.create_droplet(&request).await.unwrap_err();
    assert!(matches!(err, DoError::Api { status: 422, .. }), "{err}");
    let seen = audit.seen();
    assert!(
        seen[0]
            .violations
            .as_deref()
            .is_some_and(|v| v.contains("pattern")),
        "{seen:?}"
    );
    request.name = "web-1".into();
    client.create_droplet(&request).await.unwrap();
}

/// The monitoring requests rift sends are valid by DigitalOcean's spec, and the spec's example series become
/// rift's metrics: CPU utilisation from the per-mode counters, memory use from totals; managed databases have no
/// series in the API and say so.
#[tokio::test]
async fn monitoring_requests_match_the_spec_and_become_rifts_metrics() {
    use rift::model::{Metric, MetricQuery, TimeRange};

    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let cloud = DigitalOcean::new(client, "nyc3", Vec::new());
    let query = |kind, cloud_id: &str, metric| MetricQuery {
        kind,
        cloud_id: cloud_id.to_string(),
        metric,
    };
    let droplet = "222651441";
    let lb = "4de7ac8b-495b-4884-9a69-1050c6793cd6";
    let mut queries: Vec<MetricQuery> = Metric::of_kind(ResourceKind::WebServer)
        .iter()
        .map(|m| query(ResourceKind::WebServer, droplet, *m))
        .collect();
    queries.extend(
        Metric::of_kind(ResourceKind::LoadBalancer)
            .iter()
            .map(|m| query(ResourceKind::LoadBalancer, lb, *m)),
    );
    queries.push(query(
        ResourceKind::Database,
        "db-uuid",
        Metric::Connections,
    ));
    // The spec's examples are from October 2021.
    let range = TimeRange {
        start: 1_635_380_000,
        end: 1_635_400_000,
        step_s: 120,
    };
    let answers = cloud.metrics(&queries, &range).await.unwrap();
    audit.assert_valid();
    assert_eq!(answers.len(), queries.len());
    let requests = audit.requests();
    for path in [
        "droplet/cpu",
        "droplet/memory_total",
        "droplet/memory_available",
        "droplet/bandwidth",
    ] {
        assert!(
            requests
                .iter()
                .any(|r| r.contains(&format!("/v2/monitoring/metrics/{path}?host_id={droplet}"))),
            "{path}: {requests:?}"
        );
    }
    assert!(
        requests.iter().any(|r| r.contains("direction=outbound")),
        "{requests:?}"
    );
    assert!(
        requests.iter().any(|r| r.contains(&format!("lb_id={lb}"))),
        "{requests:?}"
    );
    let cpu = answers[0].points.as_ref().unwrap();
    assert!(
        !cpu.is_empty() && cpu.iter().all(|(_, v)| (0.0..=100.0).contains(v)),
        "{cpu:?}"
    );
    let memory = answers[1].points.as_ref().unwrap();
    assert!(
        memory.iter().all(|(_, v)| (0.0..=100.0).contains(v)),
        "{memory:?}"
    );
    let database = answers.last().unwrap().points.as_ref().unwrap_err();
    assert!(database.contains("Prometheus endpoint"), "{database}");
}

#[tokio::test]
async fn alert_policy_requests_match_the_spec() {
    use rift::model::{AlarmSpec, Comparison, Metric};

    let Some(url) = prism_url() else { return };
    let (client, audit) = prism_client(&url);
    let cloud = DigitalOcean::new(client, "nyc3", Vec::new());
    let spec = AlarmSpec {
        name: "rift/shop/cpu-high".into(),
        project_id: "shop".into(),
        kind: ResourceKind::WebServer,
        metric: Metric::CpuPercent,
        comparison: Comparison::Above,
        threshold: 80.0,
        minutes: 7,
        targets: vec![
            ("shop-web-1".into(), "222651441".into()),
            ("shop-web-2".into(), "222651442".into()),
        ],
        notify: vec![
            "ops@example.com".into(),
            "arn:aws:sns:us-east-1:123456789012:ops".into(),
        ],
    };
    let body = rift::cloud::digitalocean::alerts::request(&spec).unwrap();
    assert_eq!(
        (body.kind, body.compare, body.window),
        ("v1/insights/droplet/cpu", "GreaterThan", "10m")
    );
    assert_eq!(body.entities, ["222651441", "222651442"]);
    // Only emails go to DigitalOcean; SNS topics are CloudWatch's.
    assert_eq!(body.alerts.email, ["ops@example.com"]);

    let alarms = cloud.put_alarms(&spec).await.unwrap();
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0].resources, ["shop-web-1", "shop-web-2"]);
    assert!(!alarms[0].cloud_id.is_empty());
    let outcome = cloud.delete_alarm(&alarms[0].cloud_id).await.unwrap();
    assert_eq!(outcome, DeleteOutcome::Deleted);
    // DigitalOcean keeps no firing state: rift evaluates its rules itself.
    assert_eq!(cloud.firing_alarms("rift/shop/").await.unwrap(), None);
    audit.assert_requests_valid();
    let requests = audit.requests();
    for expected in [
        "GET /v2/monitoring/alerts",
        "POST /v2/monitoring/alerts",
        "DELETE /v2/monitoring/alerts/",
    ] {
        assert!(
            requests.iter().any(|r| r.starts_with(expected)),
            "{expected}: {requests:?}"
        );
    }

    // A metric DigitalOcean has no policy type for is refused before any request.
    let unsupported = AlarmSpec {
        metric: Metric::NetworkInBytes,
        ..spec
    };
    let err = cloud.put_alarms(&unsupported).await.unwrap_err();
    assert!(matches!(err, CloudError::Unsupported(_)), "{err}");
}
