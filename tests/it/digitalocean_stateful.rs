//! Stateful behaviour of the DigitalOcean client that Prism (stateless, fixed examples) cannot show: lookup
//! before create, where pagination stops, action deadlines, and rate-limit waits. A small HTTP server in this
//! test binary answers in DigitalOcean's shapes; the request shapes themselves are checked against the
//! official spec in digitalocean.rs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use rift::cloud::digitalocean::{
    Client, ClientConfig, DigitalOcean, DoError, PollPolicy, RetryPolicy, Token,
};
use rift::cloud::{Cloud, CloudError, CreateContext, NewSize, Progress, ResourceRecord};
use rift::model::{DeploymentRequest, ResourceKind};

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
struct Hit {
    method: Method,
    path: String,
    query: String,
    body: Value,
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

fn ok(body: Value) -> Reply {
    Reply {
        status: 200,
        headers: Vec::new(),
        body,
    }
}

type Handler = dyn Fn(&Hit, &str) -> Reply + Send + Sync;

/// A loopback server answering with `handler(hit, base_url)`; it records every request.
struct Fake {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Fake {
    async fn start(handler: impl Fn(&Hit, &str) -> Reply + Send + Sync + 'static) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let (log, base) = (hits.clone(), url.clone());
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let (log, handler, base) = (log.clone(), handler.clone(), base.clone());
            async move {
                let (parts, body) = request.into_parts();
                assert_eq!(
                    parts
                        .headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok()),
                    Some("Bearer dop_v1_stateful_test_token")
                );
                let bytes = to_bytes(body, 1 << 20).await.unwrap();
                let hit = Hit {
                    method: parts.method.clone(),
                    path: parts.uri.path().to_string(),
                    query: parts.uri.query().unwrap_or_default().to_string(),
                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                };
                log.lock().unwrap().push(hit.clone());
                let reply = handler(&hit, &base);
                let mut response =
                    Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
                for (name, value) in reply.headers {
                    response = response.header(name, value);
                }
                let body = if reply.body.is_null() {
                    Body::empty()
                } else {
                    response = response.header("content-type", "application/json");
                    Body::from(reply.body.to_string())
                };
                response.body(body).unwrap()
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fake { url, hits }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn count(&self, method: &Method, path: &str) -> usize {
        self.hits()
            .iter()
            .filter(|h| h.method == method && h.path == path)
            .count()
    }

    fn client(&self, adjust: impl FnOnce(&mut ClientConfig)) -> Client {
        let mut config = ClientConfig::new(&self.url, Token::new("dop_v1_stateful_test_token"));
        config.retry = RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_wait: Duration::from_secs(5),
        };
        config.poll = PollPolicy {
            interval: Duration::from_millis(10),
            deadline: Duration::from_millis(300),
        };
        adjust(&mut config);
        Client::new(config).unwrap()
    }
}

fn vpc(id: u32) -> Value {
    json!({"id": format!("vpc-{id}"), "name": format!("net-{id}"), "region": "nyc3", "ip_range": "10.0.0.0/24",
           "description": ""})
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
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

/// A tiny DigitalOcean account: VPCs, tags, firewalls, droplets and their create actions.
#[derive(Default)]
struct Account {
    vpcs: Vec<Value>,
    firewalls: Vec<Value>,
    droplets: Vec<Value>,
    databases: Vec<Value>,
    database_rules: BTreeMap<String, Value>,
    load_balancers: Vec<Value>,
    /// Answer this many cluster firewall updates with 500 (a create interrupted before its firewall was set).
    failing_firewall_updates: u32,
    next_id: u64,
}

fn tagged<'a>(items: &'a [Value], query: &str) -> Vec<&'a Value> {
    let tag = query_param(query, "tag_name")
        .unwrap_or_default()
        .replace("%3A", ":");
    items
        .iter()
        .filter(|d| {
            d["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == &json!(tag)))
        })
        .collect()
}

fn account_reply(account: &Mutex<Account>, hit: &Hit) -> Reply {
    let mut account = account.lock().unwrap();
    account.next_id += 1;
    let id = account.next_id;
    let created = |body: Value| Reply {
        status: 201,
        headers: Vec::new(),
        body,
    };
    match (hit.method.as_str(), hit.path.as_str()) {
        ("GET", "/v2/vpcs") => {
            ok(json!({"vpcs": account.vpcs, "links": {}, "meta": {"total": account.vpcs.len()}}))
        }
        ("POST", "/v2/vpcs") => {
            let mut vpc = hit.body.clone();
            vpc["id"] = json!(format!("vpc-{id}"));
            account.vpcs.push(vpc.clone());
            created(json!({"vpc": vpc}))
        }
        ("GET", "/v2/databases") => {
            let found = tagged(&account.databases, &hit.query);
            ok(json!({"databases": if found.is_empty() { Value::Null } else { json!(found) }}))
        }
        ("POST", "/v2/databases") => {
            let cluster = json!({"id": format!("db-{id}"), "name": hit.body["name"], "engine": hit.body["engine"],
                                 "version": hit.body["version"], "status": "online", "region": hit.body["region"],
                                 "size": hit.body["size"], "num_nodes": hit.body["num_nodes"],
                                 "tags": hit.body["tags"],
                                 "private_connection": {"host": "private-db.example", "port": 25060,
                                                        "user": "doadmin", "password": "secret-password"}});
            account.databases.push(cluster.clone());
            created(json!({"database": cluster}))
        }
        ("GET", path) if path.starts_with("/v2/databases/") && path.ends_with("/firewall") => {
            let cluster = path.split('/').nth(3).unwrap_or_default().to_string();
            let rules = account
                .database_rules
                .get(&cluster)
                .cloned()
                .unwrap_or(json!([]));
            ok(json!({"rules": rules}))
        }
        ("PUT", path) if path.starts_with("/v2/databases/") && path.ends_with("/firewall") => {
            if account.failing_firewall_updates > 0 {
                account.failing_firewall_updates -= 1;
                return Reply {
                    status: 500,
                    headers: Vec::new(),
                    body: json!({"id": "server_error", "message": "Unexpected server-side error"}),
                };
            }
            let cluster = path.split('/').nth(3).unwrap_or_default().to_string();
            account
                .database_rules
                .insert(cluster, hit.body["rules"].clone());
            Reply {
                status: 204,
                headers: Vec::new(),
                body: Value::Null,
            }
        }
        ("GET", path) if path.starts_with("/v2/databases/") => {
            let want = path.trim_start_matches("/v2/databases/");
            let found = account
                .databases
                .iter()
                .find(|d| d["id"] == json!(want))
                .cloned();
            ok(json!({"database": found}))
        }
        ("GET", "/v2/load_balancers") => {
            ok(json!({"load_balancers": account.load_balancers, "links": {}}))
        }
        ("POST", "/v2/load_balancers") => {
            let lb = json!({"id": format!("lb-{id}"), "name": hit.body["name"], "ip": "203.0.113.80",
                            "status": "active", "region": {"slug": hit.body["region"]},
                            "size_unit": hit.body["size_unit"], "forwarding_rules": hit.body["forwarding_rules"],
                            "droplet_ids": hit.body["droplet_ids"], "vpc_uuid": hit.body["vpc_uuid"]});
            account.load_balancers.push(lb.clone());
            Reply {
                status: 202,
                headers: Vec::new(),
                body: json!({"load_balancer": lb}),
            }
        }
        ("POST", path)
            if path.starts_with("/v2/load_balancers/") && path.ends_with("/droplets") =>
        {
            let lb_id = path.split('/').nth(3).unwrap_or_default();
            if let Some(lb) = account
                .load_balancers
                .iter_mut()
                .find(|lb| lb["id"] == json!(lb_id))
            {
                let mut ids = lb["droplet_ids"].as_array().cloned().unwrap_or_default();
                ids.extend(
                    hit.body["droplet_ids"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
                lb["droplet_ids"] = json!(ids);
            }
            Reply {
                status: 204,
                headers: Vec::new(),
                body: Value::Null,
            }
        }
        ("GET", "/v2/volumes") => ok(json!({"volumes": [], "links": {}})),
        ("POST", "/v2/tags") => created(json!({"tag": {"name": hit.body["name"]}})),
        ("GET", "/v2/firewalls") => ok(json!({"firewalls": account.firewalls, "links": {}})),
        ("POST", "/v2/firewalls") => {
            let mut firewall = hit.body.clone();
            firewall["id"] = json!(format!("fw-{id}"));
            firewall["status"] = json!("succeeded");
            account.firewalls.push(firewall.clone());
            created(json!({"firewall": firewall}))
        }
        ("GET", "/v2/droplets") => {
            ok(json!({"droplets": tagged(&account.droplets, &hit.query), "links": {}}))
        }
        ("POST", "/v2/droplets") => {
            let droplet = json!({"id": id, "name": hit.body["name"], "status": "active",
                                 "size_slug": hit.body["size"], "region": {"slug": hit.body["region"]},
                                 "networks": {"v4": [{"ip_address": "203.0.113.9", "type": "public"}]},
                                 "tags": hit.body["tags"], "vpc_uuid": hit.body["vpc_uuid"]});
            account.droplets.push(droplet.clone());
            Reply {
                status: 202,
                headers: Vec::new(),
                body: json!({"droplet": droplet, "links": {"actions": [{"id": 1000 + id, "rel": "create"}]}}),
            }
        }
        ("GET", path) if path.starts_with("/v2/actions/") => {
            ok(json!({"action": {"id": 1, "status": "completed", "type": "create"}}))
        }
        ("GET", path) if path.starts_with("/v2/droplets/") => {
            let want: u64 = path.trim_start_matches("/v2/droplets/").parse().unwrap();
            match account.droplets.iter().find(|d| d["id"] == json!(want)) {
                Some(d) => ok(json!({"droplet": d})),
                None => Reply {
                    status: 404,
                    headers: Vec::new(),
                    body: json!({"id": "not_found", "message": "The resource you requested could not be found."}),
                },
            }
        }
        _ => Reply {
            status: 404,
            headers: Vec::new(),
            body: json!({"id": "not_found", "message": format!("no route {} {}", hit.method, hit.path)}),
        },
    }
}

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
    let listed = cloud.list("p-7").await;
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
