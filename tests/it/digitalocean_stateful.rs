//! Stateful behaviour of the DigitalOcean client that Prism (stateless, fixed examples) cannot show: lookup
//! before create, where pagination stops, action deadlines, and rate-limit waits. A small HTTP server in this
//! test binary answers in DigitalOcean's shapes; the request shapes themselves are checked against the
//! official spec in digitalocean.rs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::{Value, json};

use rift::cloud::digitalocean::{DigitalOcean, DoError};
use rift::cloud::{Cloud, CloudError, CreateContext, NewSize, Owner, Progress, ResourceRecord};
use rift::model::{DeploymentRequest, ResourceKind};

use crate::support::digitalocean::{Account, Fake, Reply, account_reply, ok, query_param};

fn vpc(id: u32) -> Value {
    json!({"id": format!("vpc-{id}"), "name": format!("net-{id}"), "region": "nyc3", "ip_range": "10.0.0.0/24",
           "description": ""})
}

// ---------------------------------------------------------------------------------------------------------------
// Pagination

#[tokio::test]
async fn pages_are_followed_until_the_last() {
    let fake = Fake::start(|hit, base| {
        let page: u32 = query_param(&hit.query, "page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let next = (page < 3).then(|| format!("{base}/v2/vpcs?page={}&per_page=2", page + 1));
        ok(json!({"vpcs": [vpc(page * 10), vpc(page * 10 + 1)],
                  "links": {"pages": {"next": next}}, "meta": {"total": 6}}))
    })
    .await;
    let vpcs = fake.client(|_| {}).list_vpcs().await.unwrap();
    assert_eq!(vpcs.len(), 6);
    assert_eq!(fake.hits().len(), 3);
    assert_eq!(
        query_param(&fake.hits()[0].query, "per_page").as_deref(),
        Some("200")
    );
}

#[tokio::test]
async fn a_next_link_off_the_base_url_is_not_followed() {
    let fake = Fake::start(|_, _| {
        ok(json!({"vpcs": [vpc(1)],
                  "links": {"pages": {"next": "https://api.digitalocean.com/v2/vpcs?page=2"}},
                  "meta": {"total": 64}}))
    })
    .await;
    let vpcs = fake.client(|_| {}).list_vpcs().await.unwrap();
    assert_eq!(vpcs.len(), 1);
    assert_eq!(fake.hits().len(), 1);
}

#[tokio::test]
async fn a_repeated_page_stops_the_listing_without_duplicates() {
    // A server that ignores `page` and always links to page 2.
    let fake = Fake::start(|_, base| {
        ok(json!({"vpcs": [vpc(1), vpc(2)],
                  "links": {"pages": {"next": format!("{base}/v2/vpcs?page=2")}}}))
    })
    .await;
    let vpcs = fake.client(|_| {}).list_vpcs().await.unwrap();
    assert_eq!(vpcs.len(), 2);
    assert_eq!(fake.hits().len(), 2, "the second, identical page ends it");
}

#[tokio::test]
async fn the_page_cap_bounds_an_endless_listing() {
    let fake = Fake::start(|hit, base| {
        let page: u32 = query_param(&hit.query, "page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        ok(json!({"vpcs": [vpc(page)],
                  "links": {"pages": {"next": format!("{base}/v2/vpcs?page={}", page + 1)}}}))
    })
    .await;
    let vpcs = fake.client(|c| c.max_pages = 4).list_vpcs().await.unwrap();
    assert_eq!(vpcs.len(), 4);
    assert_eq!(fake.hits().len(), 4);
}

// ---------------------------------------------------------------------------------------------------------------
// Rate limits and retries

#[tokio::test]
async fn retry_after_is_honoured() {
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let throttled = Fake::start(move |_, _| {
        let mut n = counter.lock().unwrap();
        *n += 1;
        if *n == 1 {
            Reply {
                status: 429,
                headers: vec![
                    ("retry-after", "1".into()),
                    ("x-request-id", "req-429".into()),
                ],
                body: json!({"id": "too_many_requests", "message": "API Rate limit exceeded."}),
            }
        } else {
            ok(json!({"vpc": vpc(1)}))
        }
    })
    .await;
    let started = Instant::now();
    throttled.client(|_| {}).get_vpc("vpc-1").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(throttled.hits().len(), 2);
}

#[tokio::test]
async fn throttling_retries_are_bounded() {
    let fake = Fake::start(|_, _| Reply {
        status: 429,
        headers: vec![("retry-after", "0".into())],
        body: json!({"id": "too_many_requests", "message": "API Rate limit exceeded.", "request_id": "r-1"}),
    })
    .await;
    let err = fake.client(|_| {}).get_vpc("vpc-1").await.unwrap_err();
    assert!(
        matches!(&err, DoError::RateLimited { request_id: Some(id), .. } if id == "r-1"),
        "{err}"
    );
    assert_eq!(fake.hits().len(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn a_wait_longer_than_allowed_fails_at_once_saying_when() {
    let fake = Fake::start(|_, _| Reply {
        status: 429,
        headers: vec![("retry-after", "3600".into())],
        body: json!({"id": "too_many_requests", "message": "API Rate limit exceeded."}),
    })
    .await;
    let started = Instant::now();
    let err = fake.client(|_| {}).get_vpc("vpc-1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(
            err,
            DoError::RateLimited {
                retry_after_s: Some(3600),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(fake.hits().len(), 1);
    let shown = CloudError::from(err).to_string();
    assert!(shown.contains("3600"), "{shown}");
}

#[tokio::test]
async fn an_exhausted_quota_holds_the_next_request_until_reset() {
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    let fake = Fake::start(move |_, _| Reply {
        status: 200,
        headers: vec![
            ("ratelimit-remaining", "0".into()),
            ("ratelimit-reset", reset.to_string()),
        ],
        body: json!({"vpc": vpc(1)}),
    })
    .await;
    let client = fake.client(|_| {});
    client.get_vpc("vpc-1").await.unwrap();
    let started = Instant::now();
    client.get_vpc("vpc-1").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_then_reported_with_the_request_id() {
    let fake = Fake::start(|_, _| Reply {
        status: 503,
        headers: vec![("x-request-id", "hdr-503".into())],
        body: json!({"id": "service_unavailable", "message": "try later"}),
    })
    .await;
    let err = fake.client(|_| {}).get_vpc("vpc-1").await.unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("hdr-503") && shown.contains("503"),
        "{shown}"
    );
    assert!(!shown.contains("dop_v1"), "{shown}");
    assert_eq!(fake.hits().len(), 3);
}

// ---------------------------------------------------------------------------------------------------------------
// Actions

#[tokio::test]
async fn an_action_is_polled_until_it_completes() {
    let polls = Arc::new(Mutex::new(0));
    let counter = polls.clone();
    let fake = Fake::start(move |_, _| {
        let mut n = counter.lock().unwrap();
        *n += 1;
        let status = if *n >= 3 { "completed" } else { "in-progress" };
        ok(json!({"action": {"id": 7, "status": status, "type": "power_off"}}))
    })
    .await;
    let client = fake.client(|_| {});
    let action = client.get_action(7).await.unwrap();
    let done = client
        .wait_for_action(action, &Progress::none())
        .await
        .unwrap();
    assert_eq!(done.kind, "power_off");
    assert_eq!(fake.hits().len(), 3);
}

#[tokio::test]
async fn polling_stops_at_the_deadline() {
    let fake = Fake::start(|_, _| {
        ok(json!({"action": {"id": 7, "status": "in-progress", "type": "resize"}}))
    })
    .await;
    let client = fake.client(|_| {});
    let action = client.get_action(7).await.unwrap();
    let started = Instant::now();
    let err = client
        .wait_for_action(action, &Progress::none())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DoError::ActionDeadline { id: 7, .. }),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(fake.hits().len() <= 32, "{} polls", fake.hits().len());
    assert!(matches!(CloudError::from(err), CloudError::Timeout { .. }));
}

#[tokio::test]
async fn an_errored_action_is_an_error() {
    let fake =
        Fake::start(|_, _| ok(json!({"action": {"id": 9, "status": "errored", "type": "resize"}})))
            .await;
    let client = fake.client(|_| {});
    let action = client.get_action(9).await.unwrap();
    let err = client
        .wait_for_action(action, &Progress::none())
        .await
        .unwrap_err();
    assert!(matches!(err, DoError::ActionErrored { id: 9, .. }), "{err}");
}

#[tokio::test]
async fn a_droplet_resize_powers_off_resizes_and_powers_on_in_order() {
    let fake = Fake::start(|hit, _| {
        if hit.method == Method::POST {
            let kind = hit.body["type"].as_str().unwrap_or_default().to_string();
            return Reply {
                status: 201,
                headers: Vec::new(),
                body: json!({"action": {"id": 1, "status": "completed", "type": kind}}),
            };
        }
        ok(json!({"droplet": {"id": 5, "name": "web-1", "status": "active", "size_slug": "s-1vcpu-1gb",
                              "region": {"slug": "nyc3"}, "networks": {"v4": [], "v6": []}, "tags": null}}))
    })
    .await;
    let cloud = DigitalOcean::new(fake.client(|_| {}), "nyc3", Vec::new());
    cloud
        .resize(
            ResourceKind::WebServer,
            "5",
            &NewSize::Slug("s-2vcpu-4gb".into()),
            &Progress::none(),
        )
        .await
        .unwrap();
    let actions: Vec<Value> = fake
        .hits()
        .into_iter()
        .filter(|h| h.method == Method::POST)
        .map(|h| h.body)
        .collect();
    assert_eq!(
        actions,
        [
            json!({"type": "power_off"}),
            json!({"type": "resize", "size": "s-2vcpu-4gb", "disk": false}),
            json!({"type": "power_on"}),
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Idempotent creates: a retried apply finds what the first one made

async fn apply(cloud: &DigitalOcean, plan: &rift::model::Plan) -> BTreeMap<String, ResourceRecord> {
    match try_apply(cloud, plan).await {
        Ok(records) => records,
        Err((name, e)) => panic!("{name}: {e}"),
    }
}

/// Creates the plan's resources in order, stopping at the first failure (as the engine stops dependents).
async fn try_apply(
    cloud: &DigitalOcean,
    plan: &rift::model::Plan,
) -> Result<BTreeMap<String, ResourceRecord>, (String, CloudError)> {
    let mut records: BTreeMap<String, ResourceRecord> = BTreeMap::new();
    for resource in &plan.resources {
        let ctx = CreateContext {
            project_id: "p-7".into(),
            plan_name: plan.name.clone(),
            dependencies: resource
                .depends_on
                .iter()
                .map(|d| (d.clone(), records[d].clone()))
                .collect(),
            idempotency_key: format!("p-7-{}", resource.name),
            progress: Progress::none(),
        };
        let record = cloud
            .create(&ctx, resource)
            .await
            .map_err(|e| (resource.name.clone(), e))?;
        records.insert(resource.name.clone(), record);
    }
    Ok(records)
}

#[tokio::test]
async fn applying_twice_creates_nothing_the_second_time() {
    let account = Arc::new(Mutex::new(Account::default()));
    let state = account.clone();
    let fake = Fake::start(move |hit, _| account_reply(&state, hit)).await;
    let state = account;
    let cloud = DigitalOcean::new(fake.client(|_| {}), "nyc3", Vec::new());
    let request: DeploymentRequest = serde_json::from_value(json!({
        "name": "shop", "provider": "digitalocean", "regions": {"digitalocean": "nyc3"},
        "components": [{"name": "web", "kind": "web_server", "vcpus": 1, "memory_gb": 1, "count": 2}]
    }))
    .unwrap();
    let plan = rift::planner::plan(&request).unwrap();
    let first = apply(&cloud, &plan).await;
    let creates = |fake: &Fake| {
        ["/v2/vpcs", "/v2/firewalls", "/v2/droplets"].map(|p| fake.count(&Method::POST, p))
    };
    assert_eq!(creates(&fake), [1, 1, 2]);
    let second = apply(&cloud, &plan).await;
    assert_eq!(
        creates(&fake),
        [1, 1, 2],
        "a second apply finds every resource"
    );
    for (name, record) in &first {
        assert_eq!(second[name].cloud_id, record.cloud_id, "{name}");
    }

    // Droplets carry the project's tags and the tag of the firewall that guards them from first boot.
    let droplet = first
        .values()
        .find(|r| r.kind == ResourceKind::WebServer)
        .unwrap();
    assert_eq!(droplet.project(), Some("p-7"));
    assert!(droplet.managed_by_rift());
    let firewall = first
        .values()
        .find(|r| r.kind == ResourceKind::Firewall)
        .unwrap();
    let guard = firewall.parts.values().next().unwrap();
    let posted = fake
        .hits()
        .into_iter()
        .find(|h| h.method == Method::POST && h.path == "/v2/droplets")
        .unwrap();
    assert!(
        posted.body["tags"]
            .as_array()
            .unwrap()
            .contains(&json!(guard)),
        "{posted:?}"
    );
    assert_eq!(posted.body["monitoring"], json!(true));
    assert_eq!(posted.body["image"], json!("ubuntu-24-04-x64"));
    let vpc = first
        .values()
        .find(|r| r.kind == ResourceKind::Network)
        .unwrap();
    assert_eq!(posted.body["vpc_uuid"], json!(vpc.cloud_id));

    // Everything is found again by the project's marks.
    let listed = cloud.list(Owner::Project("p-7")).await;
    let listed = match listed {
        Ok(listed) => listed,
        Err(e) => panic!("{e}"),
    };
    let kinds: Vec<ResourceKind> = listed.iter().map(|r| r.kind).collect();
    assert!(
        kinds.contains(&ResourceKind::Network) && kinds.contains(&ResourceKind::Firewall),
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ResourceKind::WebServer)
            .count(),
        2
    );

    // A droplet made outside rift: adoption's listing finds it (and the project's own), the project's does not.
    let outsider = {
        let mut account = state.lock().unwrap();
        let mut droplet = account.droplets[0].clone();
        droplet["id"] = json!(990_001);
        droplet["name"] = json!("made-by-hand");
        droplet["tags"] = json!([]);
        account.droplets.push(droplet);
        "990001".to_string()
    };
    let everything = cloud.list(Owner::Anyone).await.unwrap();
    let found = everything.iter().find(|r| r.cloud_id == outsider).unwrap();
    assert_eq!(
        (found.kind, found.project()),
        (ResourceKind::WebServer, None)
    );
    assert!(everything.len() > listed.len(), "{everything:?}");
    let own = cloud.list(Owner::Project("p-7")).await.unwrap();
    assert!(!own.iter().any(|r| r.cloud_id == outsider));
}

#[tokio::test]
async fn a_retry_finishes_what_an_interrupted_create_left_undone() {
    let account = Arc::new(Mutex::new(Account {
        failing_firewall_updates: 3,
        ..Account::default()
    }));
    let state = account.clone();
    let fake = Fake::start(move |hit, _| account_reply(&state, hit)).await;
    let cloud = DigitalOcean::new(fake.client(|_| {}), "nyc3", Vec::new());
    let request: DeploymentRequest = serde_json::from_value(json!({
        "name": "shop", "provider": "digitalocean", "regions": {"digitalocean": "nyc3"},
        "components": [
            {"name": "web", "kind": "web_server", "vcpus": 1, "memory_gb": 1, "count": 2},
            {"name": "lb", "kind": "load_balancer"},
            {"name": "db", "kind": "database", "engine": "postgres"}
        ]
    }))
    .unwrap();
    let plan = rift::planner::plan(&request).unwrap();

    // The cluster is created, but setting its firewall fails (once and on both retries).
    let (failed, err) = try_apply(&cloud, &plan).await.unwrap_err();
    assert_eq!(failed, "shop-db", "{err}");
    assert_eq!(fake.count(&Method::POST, "/v2/databases"), 1);
    let cluster = account.lock().unwrap().databases[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !account
            .lock()
            .unwrap()
            .database_rules
            .contains_key(&cluster)
    );

    // A load balancer target went missing meanwhile.
    let removed = {
        let mut account = account.lock().unwrap();
        let lb = account
            .load_balancers
            .first_mut()
            .expect("the load balancer comes before the cluster in the plan");
        let ids = lb["droplet_ids"].as_array().cloned().unwrap_or_default();
        lb["droplet_ids"] = json!(ids[..1]);
        ids[1].clone()
    };

    let records = try_apply(&cloud, &plan)
        .await
        .map_err(|(n, e)| format!("{n}: {e}"))
        .unwrap();
    assert_eq!(
        fake.count(&Method::POST, "/v2/databases"),
        1,
        "the cluster is found, not made again"
    );
    let rules = account.lock().unwrap().database_rules[&cluster].clone();
    let droplet_ids: Vec<Value> = records
        .values()
        .filter(|r| r.kind == ResourceKind::WebServer)
        .map(|r| json!({"type": "droplet", "value": r.cloud_id}))
        .collect();
    assert_eq!(
        rules,
        json!(droplet_ids),
        "the firewall admits exactly the web droplets"
    );
    let lb = account.lock().unwrap().load_balancers[0].clone();
    assert!(
        lb["droplet_ids"].as_array().unwrap().contains(&removed),
        "{lb}"
    );
    assert_eq!(fake.count(&Method::POST, "/v2/load_balancers"), 1);
    let db = records
        .values()
        .find(|r| r.kind == ResourceKind::Database)
        .unwrap();
    assert!(
        !serde_json::to_string(db)
            .unwrap()
            .contains("secret-password")
    );
}

#[tokio::test]
async fn a_droplet_that_does_not_come_back_from_a_reboot_is_power_cycled() {
    let account = Arc::new(Mutex::new(Account::default()));
    account.lock().unwrap().droplets.push(json!({
        "id": 42, "name": "shop-web", "status": "off", "size_slug": "s-1vcpu-1gb",
        "region": {"slug": "nyc3"}, "networks": {"v4": []}, "tags": []
    }));
    let state = account.clone();
    let fake = Fake::start(move |hit, _| account_reply(&state, hit)).await;
    let cloud = DigitalOcean::new(fake.client(|_| {}), "nyc3", Vec::new());
    cloud
        .reboot(ResourceKind::WebServer, "42", &Progress::none())
        .await
        .unwrap();
    let sent: Vec<Value> = fake
        .hits()
        .into_iter()
        .filter(|h| h.method == Method::POST && h.path == "/v2/droplets/42/actions")
        .map(|h| h.body["type"].clone())
        .collect();
    assert_eq!(sent, [json!("reboot"), json!("power_cycle")]);
}
