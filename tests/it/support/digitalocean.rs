//! A DigitalOcean-shaped HTTP server on loopback for the tests: `Fake` answers each request with a handler (or
//! never answers it), records every request, and `Account` + `account_reply` keep a tiny stateful account
//! (VPCs, tags, firewalls, droplets, databases, load balancers) that finds what it made by tag.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use rift::cloud::digitalocean::{Client, ClientConfig, PollPolicy, RetryPolicy, Token};

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub body: Value,
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

/// What the fake does with a request: answer now, or hold it open and never answer (a cloud that hangs).
pub enum Answer {
    Now(Reply),
    Never,
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Answer {
        Answer::Now(reply)
    }
}

/// The token `Fake::start` expects and `Fake::client` sends.
pub const TOKEN: &str = "dop_v1_stateful_test_token";

pub fn ok(body: Value) -> Reply {
    Reply {
        status: 200,
        headers: Vec::new(),
        body,
    }
}

type Handler = dyn Fn(&Hit, &str) -> Answer + Send + Sync;

/// A loopback server answering with `handler(hit, base_url)`; it records every request.
pub struct Fake {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    token: String,
}

impl Fake {
    /// A server that expects [`TOKEN`].
    pub async fn start<A: Into<Answer>>(
        handler: impl Fn(&Hit, &str) -> A + Send + Sync + 'static,
    ) -> Fake {
        Fake::start_for(TOKEN, handler).await
    }

    /// A server that expects `Bearer <token>` on every request (and fails the request otherwise).
    pub async fn start_for<A: Into<Answer>>(
        token: &str,
        handler: impl Fn(&Hit, &str) -> A + Send + Sync + 'static,
    ) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let handler: Arc<Handler> =
            Arc::new(move |hit: &Hit, base: &str| handler(hit, base).into());
        let (log, base, bearer) = (hits.clone(), url.clone(), format!("Bearer {token}"));
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let (log, handler, base, bearer) =
                (log.clone(), handler.clone(), base.clone(), bearer.clone());
            async move {
                let (parts, body) = request.into_parts();
                assert_eq!(
                    parts
                        .headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok()),
                    Some(bearer.as_str())
                );
                let bytes = to_bytes(body, 1 << 20).await.unwrap();
                let hit = Hit {
                    method: parts.method.clone(),
                    path: parts.uri.path().to_string(),
                    query: parts.uri.query().unwrap_or_default().to_string(),
                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                };
                log.lock().unwrap().push(hit.clone());
                let reply = match handler(&hit, &base) {
                    Answer::Now(reply) => reply,
                    Answer::Never => std::future::pending().await,
                };
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
        Fake {
            url,
            hits,
            token: token.to_string(),
        }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub fn count(&self, method: &Method, path: &str) -> usize {
        self.hits()
            .iter()
            .filter(|h| h.method == method && h.path == path)
            .count()
    }

    pub fn client(&self, adjust: impl FnOnce(&mut ClientConfig)) -> Client {
        let mut config = ClientConfig::new(&self.url, Token::new(self.token.as_str()));
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

pub fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
}

/// A tiny DigitalOcean account: VPCs, tags, firewalls, droplets and their create actions.
#[derive(Default)]
pub struct Account {
    pub vpcs: Vec<Value>,
    pub firewalls: Vec<Value>,
    pub droplets: Vec<Value>,
    pub databases: Vec<Value>,
    pub database_rules: BTreeMap<String, Value>,
    pub load_balancers: Vec<Value>,
    /// Answer this many cluster firewall updates with 500 (a create interrupted before its firewall was set).
    pub failing_firewall_updates: u32,
    pub next_id: u64,
    pub alert_policies: Vec<Value>,
    /// The share of memory each droplet uses (default 0.2), served by its monitoring metrics; a reboot sets it
    /// to 0.1 (what a leak looks like, and how a reboot clears it).
    pub memory_used: BTreeMap<u64, f64>,
}

/// The items carrying the query's `tag_name`; without one, every item (as the API lists a whole account).
fn tagged<'a>(items: &'a [Value], query: &str) -> Vec<&'a Value> {
    let Some(tag) = query_param(query, "tag_name").map(|t| t.replace("%3A", ":")) else {
        return items.iter().collect();
    };
    items
        .iter()
        .filter(|d| {
            d["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == &json!(tag)))
        })
        .collect()
}

pub fn account_reply(account: &Mutex<Account>, hit: &Hit) -> Reply {
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
        ("GET", "/v2/monitoring/alerts") => ok(
            json!({"policies": account.alert_policies, "links": {}, "meta": {"total": account.alert_policies.len()}}),
        ),
        ("POST", "/v2/monitoring/alerts") => {
            let mut policy = hit.body.clone();
            policy["uuid"] = json!(format!("policy-{id}"));
            account.alert_policies.push(policy.clone());
            ok(json!({"policy": policy}))
        }
        ("DELETE", path) if path.starts_with("/v2/monitoring/alerts/") => {
            let uuid = path.trim_start_matches("/v2/monitoring/alerts/");
            account.alert_policies.retain(|p| p["uuid"] != json!(uuid));
            Reply {
                status: 204,
                headers: Vec::new(),
                body: Value::Null,
            }
        }
        (
            "GET",
            path @ ("/v2/monitoring/metrics/droplet/memory_total"
            | "/v2/monitoring/metrics/droplet/memory_available"),
        ) => {
            let host = query_param(&hit.query, "host_id").unwrap_or_default();
            let start: i64 = query_param(&hit.query, "start")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let end: i64 = query_param(&hit.query, "end")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let used = host
                .parse()
                .ok()
                .and_then(|h| account.memory_used.get(&h).copied())
                .unwrap_or(0.2);
            let value = if path.ends_with("total") {
                1000.0
            } else {
                1000.0 * (1.0 - used)
            };
            let values: Vec<Value> = (start..=end)
                .step_by(60)
                .map(|t| json!([t, value.to_string()]))
                .collect();
            ok(json!({"status": "success",
                      "data": {"resultType": "matrix", "result": [{"metric": {"host_id": host}, "values": values}]}}))
        }
        ("POST", path) if path.starts_with("/v2/droplets/") && path.ends_with("/actions") => {
            let droplet: u64 = path
                .split('/')
                .nth(3)
                .and_then(|d| d.parse().ok())
                .unwrap_or_default();
            if hit.body["type"] == json!("reboot") {
                account.memory_used.insert(droplet, 0.1);
            }
            created(
                json!({"action": {"id": 5000 + id, "status": "completed", "type": hit.body["type"]}}),
            )
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
