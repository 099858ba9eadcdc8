//! Droplet prices from DigitalOcean's `GET /v2/sizes`: bearer auth, timeouts, retries on 429/5xx, and a
//! paginator that stays on the configured API (a `links.pages.next` pointing elsewhere is not followed, a
//! repeated page ends the walk, and so does a page cap).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::{DigitalOceanSource, LivePrice, RefreshError};
use crate::pricing::catalog::Unit;
use crate::pricing::money::Micros;

/// Overlay keys of droplet prices.
pub const DROPLET_PREFIX: &str = "digitalocean/droplet/";
/// The most sizes per page the API allows.
const PER_PAGE: u32 = 200;
const MAX_PAGES: usize = 20;
const MAX_ATTEMPTS: u32 = 3;
/// Longest Retry-After honoured before giving up on a rate-limited request.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const GB_PER_TB: f64 = 1000.0;

#[derive(Debug, Deserialize)]
struct SizesPage {
    #[serde(default)]
    sizes: Vec<SizeDoc>,
    #[serde(default)]
    links: Option<Links>,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Debug, Deserialize)]
struct SizeDoc {
    slug: String,
    #[serde(default)]
    price_monthly: Option<f64>,
    /// Outbound transfer allowance in TB.
    #[serde(default)]
    transfer: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct Links {
    #[serde(default)]
    pages: Option<Pages>,
}

#[derive(Debug, Default, Deserialize)]
struct Pages {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(default)]
    total: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

/// What `/v2/sizes` said.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizes {
    pub prices: Vec<LivePrice>,
    pub pages: usize,
    pub warnings: Vec<String>,
}

fn api_error(message: impl Into<String>) -> RefreshError {
    RefreshError::DigitalOcean(message.into())
}

/// Every droplet size and price, walking the pages.
pub async fn fetch_sizes(source: &DigitalOceanSource) -> Result<Sizes, RefreshError> {
    let token = source.token.as_ref().ok_or_else(|| {
        RefreshError::NoCredentials(
            "DigitalOcean prices need an API token with the sizes:read scope: set DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN)".to_string(),
        )
    })?;
    let base = Url::parse(source.base_url.trim()).map_err(|e| RefreshError::InvalidArgument {
        field: "DIGITALOCEAN_API_URL".to_string(),
        message: format!(
            "\"{}\" is not a URL ({e}); e.g. {}",
            source.base_url,
            super::DEFAULT_DO_API_URL
        ),
    })?;
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("rift/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| api_error(format!("could not build the HTTP client: {e}")))?;

    let mut url = format!(
        "{}/v2/sizes?page=1&per_page={PER_PAGE}",
        base.as_str().trim_end_matches('/')
    );
    let mut seen_urls = HashSet::new();
    let mut previous_slugs: Option<Vec<String>> = None;
    let mut by_slug: BTreeMap<String, LivePrice> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut reported_total = None;
    let mut pages = 0;
    loop {
        if pages == MAX_PAGES {
            warnings.push(format!("stopped after {MAX_PAGES} pages"));
            break;
        }
        if !seen_urls.insert(url.clone()) {
            warnings.push("the API linked back to a page already read; stopped".to_string());
            break;
        }
        let page: SizesPage = get_json(&client, &url, token.expose()).await?;
        pages += 1;
        reported_total = reported_total.or(page.meta.as_ref().and_then(|m| m.total));
        let slugs: Vec<String> = page.sizes.iter().map(|s| s.slug.clone()).collect();
        if !slugs.is_empty() && previous_slugs.as_ref() == Some(&slugs) {
            warnings.push("the API returned the same page twice; stopped".to_string());
            break;
        }
        previous_slugs = Some(slugs);
        for size in page.sizes {
            match live_price(&size) {
                Some(price) => {
                    by_slug.insert(size.slug.clone(), price);
                }
                None => warnings.push(format!(
                    "size {} has no usable price_monthly; skipped",
                    size.slug
                )),
            }
        }
        let Some(next) = page.links.and_then(|l| l.pages).and_then(|p| p.next) else {
            break;
        };
        match Url::parse(&next) {
            Ok(next_url) if same_api(&base, &next_url) => url = next_url.to_string(),
            Ok(next_url) => {
                warnings.push(format!(
                    "not following a pagination link off the configured API ({}): {}",
                    base.as_str().trim_end_matches('/'),
                    origin(&next_url)
                ));
                break;
            }
            Err(_) => {
                warnings.push("the API sent an unparseable next-page link; stopped".to_string());
                break;
            }
        }
    }
    if let Some(total) = reported_total
        && total as usize != by_slug.len()
    {
        warnings.push(format!(
            "the API reported {total} sizes; {} were read",
            by_slug.len()
        ));
    }
    if by_slug.is_empty() {
        return Err(api_error("GET /v2/sizes returned no priced sizes"));
    }
    Ok(Sizes {
        prices: by_slug.into_values().collect(),
        pages,
        warnings,
    })
}

fn live_price(size: &SizeDoc) -> Option<LivePrice> {
    let price = Micros::from_dollars(size.price_monthly?).filter(|p| p.is_positive())?;
    let mut attributes = BTreeMap::new();
    if let Some(tb) = size.transfer.filter(|t| t.is_finite() && *t > 0.0) {
        attributes.insert("included_transfer_gb".to_string(), tb * GB_PER_TB);
    }
    Some(LivePrice {
        key: format!("{DROPLET_PREFIX}{}", size.slug),
        price,
        unit: Unit::Month,
        attributes,
    })
}

/// Same scheme, host and port as the configured API, under its path.
fn same_api(base: &Url, link: &Url) -> bool {
    base.scheme() == link.scheme()
        && base.host_str() == link.host_str()
        && base.port_or_known_default() == link.port_or_known_default()
        && link.path().starts_with(base.path().trim_end_matches('/'))
}

fn origin(url: &Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().unwrap_or("?"))
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<T, RefreshError> {
    let path = Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let response = client
            .get(url)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| api_error(describe_send_error(&e, &path)))?;
        let status = response.status();
        if status.is_success() {
            let body = response
                .bytes()
                .await
                .map_err(|e| api_error(format!("GET {path}: reading the response failed: {e}")))?;
            return serde_json::from_slice(&body)
                .map_err(|e| api_error(format!("GET {path}: unexpected response ({e})")));
        }
        let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        let wait = retry_after(&response).unwrap_or(Duration::from_secs(1 << (attempt - 1)));
        if retryable && attempt < MAX_ATTEMPTS && wait <= MAX_RETRY_AFTER {
            tracing::warn!(%status, path, attempt, "DigitalOcean API: retrying");
            tokio::time::sleep(wait).await;
            continue;
        }
        let body = response.bytes().await.unwrap_or_default();
        return Err(api_error(describe_status(status, &path, &body)));
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn describe_send_error(e: &reqwest::Error, path: &str) -> String {
    if e.is_timeout() {
        format!(
            "GET {path}: no answer within {} s",
            REQUEST_TIMEOUT.as_secs()
        )
    } else if e.is_connect() {
        format!("GET {path}: could not connect ({e}); check DIGITALOCEAN_API_URL and the network")
    } else {
        format!("GET {path}: {e}")
    }
}

fn describe_status(status: StatusCode, path: &str, body: &[u8]) -> String {
    let parsed: Option<ApiError> = serde_json::from_slice(body).ok();
    let mut text = format!("GET {path}: HTTP {status}");
    if let Some(err) = &parsed {
        if let Some(message) = &err.message {
            text.push_str(&format!(": {message}"));
        }
        if let Some(id) = &err.id {
            text.push_str(&format!(" ({id})"));
        }
        if let Some(request_id) = &err.request_id {
            text.push_str(&format!(", request id {request_id}"));
        }
    }
    match status {
        StatusCode::UNAUTHORIZED => text.push_str(
            "; the token was rejected: check DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN)",
        ),
        StatusCode::FORBIDDEN => text.push_str("; the token lacks the sizes:read scope"),
        StatusCode::TOO_MANY_REQUESTS => text.push_str(
            "; rate limited (5,000 requests/hour, 250/minute per token): try again later",
        ),
        _ => {}
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_off_the_configured_api_are_not_followed() {
        let base = Url::parse("http://127.0.0.1:4010").unwrap();
        let ok = Url::parse("http://127.0.0.1:4010/v2/sizes?page=2").unwrap();
        let prod = Url::parse("https://api.digitalocean.com/v2/sizes?page=2").unwrap();
        let other_port = Url::parse("http://127.0.0.1:4011/v2/sizes?page=2").unwrap();
        assert!(same_api(&base, &ok));
        assert!(!same_api(&base, &prod));
        assert!(!same_api(&base, &other_port));
        let prefixed = Url::parse("http://127.0.0.1:4010/do/").unwrap();
        assert!(same_api(
            &prefixed,
            &Url::parse("http://127.0.0.1:4010/do/v2/sizes").unwrap()
        ));
        assert!(!same_api(
            &prefixed,
            &Url::parse("http://127.0.0.1:4010/v2/sizes").unwrap()
        ));
    }

    #[test]
    fn error_bodies_are_described_with_their_request_id() {
        let text = describe_status(
            StatusCode::UNAUTHORIZED,
            "/v2/sizes",
            br#"{"id":"unauthorized","message":"Unable to authenticate you.","request_id":"abc"}"#,
        );
        assert!(text.contains("Unable to authenticate you."), "{text}");
        assert!(text.contains("request id abc"), "{text}");
        assert!(text.contains("DIGITALOCEAN_TOKEN"), "{text}");
    }

    #[test]
    fn a_token_is_redacted_in_debug_output() {
        let token = super::super::Token::new("dop_v1_secret").unwrap();
        assert_eq!(format!("{token:?}"), "Token(redacted)");
    }

    #[test]
    fn sizes_without_a_price_are_skipped() {
        let size = SizeDoc {
            slug: "s-1vcpu-1gb".into(),
            price_monthly: Some(0.0),
            transfer: Some(1.0),
        };
        assert!(live_price(&size).is_none());
        let size = SizeDoc {
            price_monthly: Some(6.0),
            ..size
        };
        let price = live_price(&size).unwrap();
        assert_eq!(price.key, "digitalocean/droplet/s-1vcpu-1gb");
        assert_eq!(price.attributes.get("included_transfer_gb"), Some(&1000.0));
    }
}
