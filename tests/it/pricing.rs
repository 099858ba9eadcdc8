//! Pricing through the public API and the binary: the live refresh against a local stand-in of DigitalOcean's
//! API (pagination, retries, errors) and against Prism serving the official spec (`RIFT_PRISM_URL`; skipped when
//! unset unless `RIFT_REQUIRE_EMULATORS=1`), AWS Price List parsing on recorded `GetProducts` answers, the
//! overlay that later estimates prefer, and the `estimate`, `compare` and `refresh-prices` commands.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode, Uri};
use chrono::NaiveDate;
use rift::cloud::digitalocean::{ClientConfig, RetryPolicy};
use rift::model::Provider;
use rift::pricing::refresh::aws::{parse_price_list, queries};
use rift::pricing::refresh::digitalocean::fetch_sizes;
use rift::pricing::refresh::{self, DigitalOceanSource, RefreshError, RefreshOptions};
use rift::pricing::{PriceBook, Prices, Unit, Usage, estimate};
use serde_json::Value;

const TOKEN: &str = "dop_v1_pricing-test-secret";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pricing")
        .join(name)
}

fn price_list(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(fixture(&format!("aws/{name}"))).unwrap();
    let answer: Value = serde_json::from_str(&text).unwrap();
    answer["PriceList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rift-it-pricing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn prism_url() -> Option<String> {
    match std::env::var("RIFT_PRISM_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            assert!(
                std::env::var("RIFT_REQUIRE_EMULATORS").as_deref() != Ok("1"),
                "RIFT_REQUIRE_EMULATORS=1 but RIFT_PRISM_URL is not set (tools/prism.sh start)"
            );
            eprintln!("skipping: RIFT_PRISM_URL is not set (tools/prism.sh start)");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// AWS Price List parsing
// ---------------------------------------------------------------------------------------------------------

#[test]
fn aws_answers_parse_to_their_on_demand_price() {
    let cases = [
        ("ec2-t3.medium.json", Unit::Hour, 0.0416),
        ("rds-postgres-db.t3.medium.json", Unit::Hour, 0.072),
        ("ebs-gp3.json", Unit::GbMonth, 0.08),
        // A zero-priced dimension next to the real one is ignored.
        ("elasticache-valkey-cache.t3.micro.json", Unit::Hour, 0.0136),
    ];
    for (file, unit, expected) in cases {
        let price =
            parse_price_list(&price_list(file), unit).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(price.dollars(), expected, "{file}");
    }
}

#[test]
fn aws_answers_that_are_not_one_price_are_refused() {
    let err = parse_price_list(
        &price_list("ec2-t3.medium-without-tenancy-filter.json"),
        Unit::Hour,
    )
    .unwrap_err();
    assert!(
        err.contains("2 different prices") && err.contains("0.0456"),
        "{err}"
    );
    let err = parse_price_list(&price_list("empty.json"), Unit::Hour).unwrap_err();
    assert!(err.contains("no on-demand price"), "{err}");
    let err = parse_price_list(&price_list("ebs-gp3.json"), Unit::Hour).unwrap_err();
    assert!(err.contains("GB-Mo"), "{err}");
    let err = parse_price_list(&["{not json".to_string()], Unit::Hour).unwrap_err();
    assert!(err.contains("not JSON"), "{err}");
}

#[test]
fn aws_queries_pin_the_documented_filters_for_every_catalog_price() {
    let all = queries("us-east-1");
    let prices = Prices::embedded().unwrap();
    for q in &all {
        assert!(
            prices.entry(&q.key).is_some(),
            "{} refreshes no catalog price",
            q.key
        );
        assert!(
            q.filters
                .iter()
                .any(|(f, v)| *f == "regionCode" && v == "us-east-1")
        );
    }
    let t3 = all
        .iter()
        .find(|q| q.key == "aws/us-east-1/ec2/t3.medium")
        .unwrap();
    for pinned in [
        ("instanceType", "t3.medium"),
        ("operatingSystem", "Linux"),
        ("tenancy", "Shared"),
        ("preInstalledSw", "NA"),
        ("capacitystatus", "Used"),
        ("licenseModel", "No License required"),
    ] {
        assert!(
            t3.filters.iter().any(|(f, v)| (*f, v.as_str()) == pinned),
            "{pinned:?} missing from {:?}",
            t3.filters
        );
    }
    let rds = all
        .iter()
        .find(|q| q.key == "aws/us-east-1/rds/mysql/db.t3.small")
        .unwrap();
    assert_eq!(rds.service_code, "AmazonRDS");
    assert!(
        rds.filters
            .contains(&("databaseEngine", "MySQL".to_string()))
    );
    assert!(
        rds.filters
            .contains(&("deploymentOption", "Single-AZ".to_string()))
    );
    let cache = all
        .iter()
        .find(|q| q.key == "aws/us-east-1/elasticache/valkey/cache.t3.micro")
        .unwrap();
    assert!(
        cache
            .filters
            .contains(&("cacheEngine", "Valkey".to_string()))
    );
    let ebs = all
        .iter()
        .find(|q| q.key == "aws/us-east-1/ebs/gp3")
        .unwrap();
    assert!(ebs.filters.contains(&("volumeApiName", "gp3".to_string())));
    assert_eq!(ebs.unit, Unit::GbMonth);
}

// ---------------------------------------------------------------------------------------------------------
// DigitalOcean /v2/sizes against a local stand-in
// ---------------------------------------------------------------------------------------------------------

type Handler = Arc<dyn Fn(&Uri, &HeaderMap, usize) -> Response<Body> + Send + Sync>;

/// A loopback HTTP server answering every request with `handler(uri, headers, request number)`.
struct StandIn {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn stand_in(handler: Handler) -> StandIn {
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&requests);
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let handler = Arc::clone(&handler);
        let seen = Arc::clone(&seen);
        async move {
            let n = {
                let mut seen = seen.lock().unwrap();
                seen.push(uri.to_string());
                seen.len()
            };
            if headers.get("authorization").and_then(|v| v.to_str().ok())
                != Some(&format!("Bearer {TOKEN}"))
            {
                return json(
                    StatusCode::UNAUTHORIZED,
                    r#"{"id":"unauthorized","message":"Unable to authenticate you"}"#,
                );
            }
            handler(&uri, &headers, n)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    StandIn {
        url,
        requests,
        task,
    }
}

fn json(status: StatusCode, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn sizes_page(slugs: &[(&str, f64)], next: Option<&str>, total: usize) -> String {
    let sizes: Vec<Value> = slugs
        .iter()
        .map(|(slug, price)| {
            serde_json::json!({"slug": slug, "memory": 1024, "vcpus": 1, "disk": 25, "transfer": 1.0,
                "price_monthly": price, "price_hourly": price / 672.0, "regions": ["nyc3"], "available": true,
                "description": "Basic"})
        })
        .collect();
    let mut page = serde_json::json!({"sizes": sizes, "meta": {"total": total}});
    if let Some(next) = next {
        page["links"] = serde_json::json!({"pages": {"next": next}});
    }
    page.to_string()
}

/// The source `DigitalOceanSource::from_env` builds, from these variables instead of the process environment.
fn source(url: &str, token: Option<&str>) -> DigitalOceanSource {
    DigitalOceanSource {
        config: ClientConfig::from_vars(|name| match name {
            "DIGITALOCEAN_API_URL" => Some(url.to_string()),
            "DIGITALOCEAN_TOKEN" => token.map(str::to_string),
            _ => None,
        }),
    }
}

#[tokio::test]
async fn pages_are_followed_on_the_same_api_and_a_repeated_page_stops_the_walk() {
    let base: Arc<Mutex<String>> = Arc::default();
    let base_for_handler = Arc::clone(&base);
    let api = stand_in(Arc::new(move |uri: &Uri, _: &HeaderMap, _| {
        let base = base_for_handler.lock().unwrap().clone();
        let page2 = format!("{base}/v2/sizes?page=2&per_page=200");
        let page1 = format!("{base}/v2/sizes?page=1&per_page=200");
        if uri
            .query()
            .unwrap_or("")
            .split('&')
            .any(|kv| kv == "page=2")
        {
            // The last page links back to the first: a loop that must not spin.
            json(
                StatusCode::OK,
                &sizes_page(&[("s-2vcpu-4gb", 24.0)], Some(&page1), 2),
            )
        } else {
            json(
                StatusCode::OK,
                &sizes_page(&[("s-1vcpu-1gb", 6.0)], Some(&page2), 2),
            )
        }
    }))
    .await;
    *base.lock().unwrap() = api.url.clone();
    let sizes = fetch_sizes(&source(&api.url, Some(TOKEN))).await.unwrap();
    let keys: Vec<&str> = sizes.prices.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "digitalocean/droplet/s-1vcpu-1gb",
            "digitalocean/droplet/s-2vcpu-4gb"
        ]
    );
    assert_eq!(sizes.pages, 2);
    assert_eq!(api.requests.lock().unwrap().len(), 2);
    assert!(
        sizes.warnings.iter().any(|w| w.contains("already read")),
        "{:?}",
        sizes.warnings
    );
    let first = &api.requests.lock().unwrap()[0];
    assert!(first.contains("per_page=200"), "{first}");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let api = stand_in(Arc::new(|_: &Uri, _: &HeaderMap, _| {
        json(
            StatusCode::OK,
            &sizes_page(
                &[("s-1vcpu-1gb", 6.0)],
                Some("https://api.digitalocean.com/v2/sizes?page=2&per_page=20"),
                64,
            ),
        )
    }))
    .await;
    let sizes = fetch_sizes(&source(&api.url, Some(TOKEN))).await.unwrap();
    assert_eq!(api.requests.lock().unwrap().len(), 1);
    assert_eq!(sizes.prices.len(), 1);
    assert!(
        sizes
            .warnings
            .iter()
            .any(|w| w.contains("off the configured API") && w.contains("api.digitalocean.com")),
        "{:?}",
        sizes.warnings
    );
    assert!(
        sizes
            .warnings
            .iter()
            .any(|w| w.contains("reported 64 sizes")),
        "{:?}",
        sizes.warnings
    );
}

#[tokio::test]
async fn a_rate_limited_request_is_retried_after_retry_after() {
    let api = stand_in(Arc::new(|_: &Uri, _: &HeaderMap, n| {
        if n == 1 {
            Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header("retry-after", "0")
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"id":"too_many_requests","message":"API Rate limit exceeded."}"#,
                ))
                .unwrap()
        } else {
            json(
                StatusCode::OK,
                &sizes_page(&[("s-1vcpu-1gb", 6.0)], None, 1),
            )
        }
    }))
    .await;
    let sizes = fetch_sizes(&source(&api.url, Some(TOKEN))).await.unwrap();
    assert_eq!(api.requests.lock().unwrap().len(), 2);
    assert_eq!(sizes.prices.len(), 1);
    assert!(sizes.warnings.is_empty(), "{:?}", sizes.warnings);
}

#[tokio::test]
async fn a_rejected_token_gives_a_clear_error_without_the_token() {
    let api = stand_in(Arc::new(|_: &Uri, _: &HeaderMap, _| {
        json(
            StatusCode::OK,
            &sizes_page(&[("s-1vcpu-1gb", 6.0)], None, 1),
        )
    }))
    .await;
    let wrong = "dop_v1_wrong-secret-value";
    let err = fetch_sizes(&source(&api.url, Some(wrong)))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RefreshError::DigitalOcean(_)), "{err:?}");
    assert!(
        text.contains("401") && text.contains("DIGITALOCEAN_TOKEN"),
        "{text}"
    );
    assert!(text.contains("Unable to authenticate you"), "{text}");
    assert!(
        !text.contains(wrong) && !format!("{err:?}").contains(wrong),
        "{text}"
    );
}

#[tokio::test]
async fn without_a_token_nothing_is_requested() {
    let err = fetch_sizes(&source("http://127.0.0.1:9", None))
        .await
        .unwrap_err();
    assert!(matches!(err, RefreshError::NoCredentials(_)), "{err:?}");
    assert!(err.to_string().contains("DIGITALOCEAN_TOKEN"), "{err}");
    let err = fetch_sizes(&source("not a url", Some(TOKEN)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("DIGITALOCEAN_API_URL"), "{err}");
}

#[tokio::test]
async fn an_unreachable_api_is_a_clear_error() {
    // Port 9 (discard) on loopback: nothing listens there.
    let mut unreachable = source("http://127.0.0.1:9", Some(TOKEN));
    // The client retries a failed connection with backoff (1 + 2 + 4 + 8 s by default); quick ones keep the
    // test short.
    unreachable.config.as_mut().unwrap().retry = RetryPolicy {
        base_delay: std::time::Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let err = fetch_sizes(&unreachable).await.unwrap_err();
    assert!(err.to_string().contains("could not connect"), "{err}");
}

// ---------------------------------------------------------------------------------------------------------
// The overlay: written by a refresh, preferred by later estimates
// ---------------------------------------------------------------------------------------------------------

fn brief_plan() -> rift::model::Plan {
    let text = std::fs::read_to_string(fixture("brief.json")).unwrap();
    let mut request: rift::model::DeploymentRequest = serde_json::from_str(&text).unwrap();
    request.provider = Some(Provider::Digitalocean);
    rift::planner::plan(&request).unwrap()
}

#[tokio::test]
async fn a_refresh_writes_an_overlay_that_estimates_prefer_and_label() {
    let api = stand_in(Arc::new(|_: &Uri, _: &HeaderMap, _| {
        json(
            StatusCode::OK,
            &sizes_page(&[("s-2vcpu-4gb", 26.0), ("s-1vcpu-1gb", 6.0)], None, 2),
        )
    }))
    .await;
    let dir = temp_dir("overlay");
    let today = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let options = RefreshOptions {
        providers: vec![Provider::Digitalocean],
        aws_regions: vec![],
        data_dir: dir.clone(),
        today,
        digitalocean: source(&api.url, Some(TOKEN)),
    };
    let report = refresh::refresh(&options).await.unwrap();
    assert_eq!(report.providers.len(), 1);
    let droplets = &report.providers[0];
    assert_eq!((droplets.prices, droplets.error.as_ref()), (2, None));
    let change = droplets
        .changes
        .iter()
        .find(|c| c.key == "digitalocean/droplet/s-2vcpu-4gb")
        .unwrap();
    assert_eq!((change.before, change.after), (24.0, 26.0));
    assert!(
        !std::fs::read_to_string(&report.overlay)
            .unwrap()
            .contains(TOKEN)
    );

    let book = PriceBook::new(Some(dir.clone()));
    let prices = book.current().unwrap();
    let est = estimate(&brief_plan(), &prices, &Usage::default(), today).unwrap();
    let web = est
        .lines
        .iter()
        .find(|l| l.catalog_key == "digitalocean/droplet/s-2vcpu-4gb")
        .unwrap();
    assert_eq!(web.monthly, 26.0);
    assert!(
        web.source.starts_with("live refresh 2026-11-02"),
        "{}",
        web.source
    );
    assert_eq!(est.catalog.refreshed.as_deref(), Some("2026-11-02"));
    // Prices the refresh did not cover still come from the embedded catalog.
    let db = est.lines.iter().find(|l| l.component == "db").unwrap();
    assert_eq!(db.monthly, 60.0);

    // A second refresh replaces the droplet prices (a size that disappeared is dropped).
    let api2 = stand_in(Arc::new(|_: &Uri, _: &HeaderMap, _| {
        json(
            StatusCode::OK,
            &sizes_page(&[("s-2vcpu-4gb", 25.0)], None, 1),
        )
    }))
    .await;
    let options = RefreshOptions {
        digitalocean: source(&api2.url, Some(TOKEN)),
        ..options
    };
    refresh::refresh(&options).await.unwrap();
    book.invalidate();
    let prices = book.current().unwrap();
    let overlay = prices.overlay.as_ref().unwrap();
    assert!(
        !overlay
            .entries
            .contains_key("digitalocean/droplet/s-1vcpu-1gb")
    );
    assert_eq!(
        prices
            .entry("digitalocean/droplet/s-2vcpu-4gb")
            .unwrap()
            .price
            .dollars(),
        25.0
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_refresh_without_any_credentials_names_what_to_set() {
    let dir = temp_dir("nocreds");
    let options = RefreshOptions {
        providers: vec![Provider::Digitalocean],
        aws_regions: vec![],
        data_dir: dir.clone(),
        today: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        digitalocean: source("http://127.0.0.1:9", None),
    };
    let err = refresh::refresh(&options).await.unwrap_err();
    assert!(err.to_string().contains("DIGITALOCEAN_TOKEN"), "{err}");
    assert!(
        !dir.join(rift::pricing::OVERLAY_FILE).exists(),
        "nothing may be written"
    );
    let bad_region = RefreshOptions {
        providers: vec![Provider::Aws],
        aws_regions: vec!["mars-1".to_string()],
        ..options
    };
    let err = refresh::refresh(&bad_region).await.unwrap_err();
    assert!(err.to_string().starts_with("aws_regions[0]:"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------------------
// Prism serving DigitalOcean's official spec
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn prism_sizes_parse_and_its_production_next_link_is_not_followed() {
    let Some(url) = prism_url() else {
        return;
    };
    let sizes = fetch_sizes(&source(&url, Some("prism-test-token")))
        .await
        .unwrap();
    assert!(!sizes.prices.is_empty());
    assert!(
        sizes
            .prices
            .iter()
            .all(|p| p.key.starts_with("digitalocean/droplet/"))
    );
    assert!(sizes.prices.iter().all(|p| p.price.dollars() > 0.0));
    assert_eq!(sizes.pages, 1, "{:?}", sizes.warnings);
    assert!(
        sizes
            .warnings
            .iter()
            .any(|w| w.contains("off the configured API") && w.contains("api.digitalocean.com")),
        "{:?}",
        sizes.warnings
    );
}

#[tokio::test]
async fn prism_refresh_writes_an_overlay() {
    let Some(url) = prism_url() else {
        return;
    };
    let dir = temp_dir("prism");
    let today = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
    let report = refresh::refresh(&RefreshOptions {
        providers: vec![Provider::Digitalocean],
        aws_regions: vec![],
        data_dir: dir.clone(),
        today,
        digitalocean: source(&url, Some("prism-test-token")),
    })
    .await
    .unwrap();
    assert!(report.providers[0].prices > 0);
    let prices = Prices::with_overlay_from(&dir).unwrap();
    let refreshed: Vec<&str> = prices
        .overlay
        .as_ref()
        .unwrap()
        .entries
        .keys()
        .map(String::as_str)
        .collect();
    assert!(!refreshed.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------------------------

/// The binary with a clean environment: no credentials, no metadata service, a private data directory.
fn rift(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rift"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data_dir)
        .env("RIFT_DATA_DIR", data_dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", data_dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            data_dir.join("no-aws-credentials"),
        );
    cmd
}

#[test]
fn cli_estimate_prints_a_table_and_json() {
    let dir = temp_dir("cli-estimate");
    let out = rift(&dir)
        .args(["estimate"])
        .arg(fixture("brief.json"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in ["t3.medium", "$30.37", "$52.56", "$2.30", "$3.65", "$90.88"] {
        assert!(
            table.contains(expected),
            "{expected} missing from:\n{table}"
        );
    }

    let out = rift(&dir)
        .args(["estimate", "--json", "--profile", "small"])
        .arg(fixture("brief.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let est: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(est["usage"]["profile"], "small");
    assert!(est["total_monthly"].as_f64().unwrap() >= 90.88);

    // A plan file (as `rift plan` prints it) is priced as it is.
    let plan = rift(&dir)
        .args(["plan"])
        .arg(fixture("brief.json"))
        .output()
        .unwrap();
    assert!(plan.status.success());
    let plan_file = dir.join("plan.json");
    std::fs::write(&plan_file, &plan.stdout).unwrap();
    let out = rift(&dir)
        .args(["estimate", "--json"])
        .arg(&plan_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let est: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(est["total_monthly"], 90.88);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_estimate_rejects_negative_usage_naming_the_flag() {
    let dir = temp_dir("cli-negative");
    let out = rift(&dir)
        .args(["estimate", "--lcu", "-2"])
        .arg(fixture("brief.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--lcu") && stderr.contains("negative"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_compare_prints_both_providers_and_the_mix() {
    let dir = temp_dir("cli-compare");
    let out = rift(&dir)
        .args(["compare", "--json"])
        .arg(fixture("brief.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let comparison: Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = |p: &str| {
        comparison["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["provider"] == p)
            .unwrap()["total_monthly"]
            .clone()
    };
    assert_eq!(total("digitalocean"), 84.0);
    assert_eq!(total("aws"), 90.88);
    assert!(comparison["cheapest_mix"]["latency_caveat"].is_string());

    let out = rift(&dir)
        .args(["compare"])
        .arg(fixture("brief.json"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("$84.00") && text.contains("Cheapest mix"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_compare_keeps_the_cache_with_the_web_server_and_reports_the_mix_warnings() {
    let dir = temp_dir("cli-compare-cache");
    let request = dir.join("request.json");
    std::fs::write(
        &request,
        serde_json::json!({
            "name": "shop",
            "components": [
                {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4},
                {"name": "db", "kind": "database", "engine": "postgres", "vcpus": 2, "memory_gb": 4},
                {"name": "cache", "kind": "cache", "engine": "valkey"}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let out = rift(&dir)
        .args(["compare", "--json"])
        .arg(&request)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let comparison: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mix = &comparison["cheapest_mix"];
    let provider_of = |name: &str| {
        mix["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["component"] == name)
            .unwrap()["provider"]
            .clone()
    };
    assert_eq!(provider_of("web"), "digitalocean");
    assert_eq!(provider_of("cache"), "digitalocean");
    assert_eq!(provider_of("db"), "aws");
    // The mix's warnings are its own, beside its assignments, not at the top level.
    let warnings: Vec<&str> = mix["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("db: clients in another cloud")),
        "{warnings:?}"
    );
    assert!(!warnings.iter().any(|w| w.contains("VPN")), "{warnings:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_refresh_without_credentials_fails_clearly() {
    let dir = temp_dir("cli-refresh");
    let out = rift(&dir).args(["refresh-prices"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DIGITALOCEAN_TOKEN"), "{stderr}");
    assert!(stderr.contains("AWS_ACCESS_KEY_ID"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.join(rift::pricing::OVERLAY_FILE).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// tools/bench_estimate times this plan; it must stay a valid plan as the planner's rules grow.
#[test]
fn the_benchmark_plan_is_a_valid_plan_of_a_thousand_resources() {
    let out = Command::new(env!("CARGO_BIN_EXE_rift"))
        .args(["bench-estimate", "--iterations", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["resources"], 1000, "{report}");
}
