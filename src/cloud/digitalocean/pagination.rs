//! Listing every item of a paginated collection: `page` / `per_page` (at most 200) and `links.pages.next`,
//! which is followed only while it stays on the configured base URL (Prism's examples point at the production
//! host), and never past a repeated page or the page cap.

use std::collections::HashSet;

use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::client::{Client, DoError, decode};

/// The largest page the API serves.
pub const MAX_PER_PAGE: u32 = 200;

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    links: Option<Links>,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Links {
    #[serde(default)]
    pages: Option<PageLinks>,
}

#[derive(Deserialize)]
struct PageLinks {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    total: Option<u64>,
}

/// Why a listing stopped before the API said it was complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlyStop {
    /// `links.pages.next` pointed off the configured base URL, here: scheme, host and port.
    ForeignLink { origin: String },
    /// `links.pages.next` was not a URL.
    InvalidLink,
    /// `links.pages.next` pointed at a page already read.
    LinkedBack,
    /// A page held the same items as an earlier one (a server that ignores `page`).
    RepeatedPage,
    /// The configured page cap was reached.
    PageCap { pages: u32 },
}

impl std::fmt::Display for EarlyStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EarlyStop::ForeignLink { origin } => write!(
                f,
                "not following a pagination link off the configured API: {origin}"
            ),
            EarlyStop::InvalidLink => {
                f.write_str("the API sent an unparseable next-page link; stopped")
            }
            EarlyStop::LinkedBack => {
                f.write_str("the API linked back to a page already read; stopped")
            }
            EarlyStop::RepeatedPage => f.write_str("the API returned the same page twice; stopped"),
            EarlyStop::PageCap { pages } => write!(f, "stopped after {pages} pages (the page cap)"),
        }
    }
}

/// Every item of a collection as far as it could safely be followed.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Pages read.
    pub pages: u32,
    /// How many items the API said the collection has (`meta.total` of the first page), if it said.
    pub total: Option<u64>,
    /// Why the walk ended before the last page, if it did.
    pub stop: Option<EarlyStop>,
}

impl Client {
    /// Every item under `key` (e.g. "droplets") of the collection at `path` (e.g. "/v2/droplets"), following
    /// the pages; an early stop is logged.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        key: &str,
    ) -> Result<Vec<T>, DoError> {
        let listing = self.list_pages(path, query, key).await?;
        if let Some(reason) = &listing.stop {
            tracing::warn!(
                path,
                pages = listing.pages,
                items = listing.items.len(),
                %reason,
                "stopped following DigitalOcean pages early"
            );
        }
        Ok(listing.items)
    }

    /// As [`Client::list_all`], saying how the walk went, for callers that report an incomplete listing
    /// themselves (the price refresh).
    pub async fn list_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        key: &str,
    ) -> Result<Listing<T>, DoError> {
        let mut query = query.to_vec();
        // An explicit first page, so that a link back to it is recognised as a page already read.
        query.push(("page", "1".to_string()));
        query.push(("per_page", MAX_PER_PAGE.to_string()));
        let mut url = self.url(path, &query)?;
        let mut seen_urls: HashSet<(String, Vec<(String, String)>)> = HashSet::new();
        let mut seen_pages: HashSet<[u8; 32]> = HashSet::new();
        let mut items = Vec::new();
        let mut pages = 0;
        let mut total = None;
        let stop = loop {
            if pages >= self.config().max_pages {
                break Some(EarlyStop::PageCap { pages });
            }
            if !seen_urls.insert(page_identity(&url)) {
                break Some(EarlyStop::LinkedBack);
            }
            let answer = self.send(Method::GET, url.clone(), None).await?;
            pages += 1;
            let mut body: serde_json::Map<String, serde_json::Value> = decode(&answer, path)?;
            let page_items = body
                .remove(key)
                .unwrap_or(serde_json::Value::Array(Vec::new()));
            // A server that ignores `page` answers the same items again: stop without counting them twice.
            let digest: [u8; 32] = Sha256::digest(page_items.to_string().as_bytes()).into();
            if !seen_pages.insert(digest) {
                break Some(EarlyStop::RepeatedPage);
            }
            let decoded: Vec<T> =
                serde_path_to_error::deserialize(page_items).map_err(|e| DoError::Decode {
                    what: path.to_string(),
                    reason: format!("at {key}.{}: {}", e.path(), e.inner()),
                })?;
            items.extend(decoded);
            let page: Page =
                serde_json::from_value(serde_json::Value::Object(body)).map_err(|e| {
                    DoError::Decode {
                        what: path.to_string(),
                        reason: format!("links: {e}"),
                    }
                })?;
            total = total.or(page.meta.and_then(|m| m.total));
            let Some(next) = page.links.and_then(|l| l.pages).and_then(|p| p.next) else {
                break None;
            };
            match Url::parse(&next) {
                Ok(next) if self.is_own(&next) => url = next,
                Ok(next) => {
                    break Some(EarlyStop::ForeignLink {
                        origin: next.origin().ascii_serialization(),
                    });
                }
                Err(_) => break Some(EarlyStop::InvalidLink),
            }
        };
        Ok(Listing {
            items,
            pages,
            total,
            stop,
        })
    }
}

/// A page's URL reduced to what identifies the page: its path and its query pairs in any order.
fn page_identity(url: &Url) -> (String, Vec<(String, String)>) {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    (url.path().to_string(), pairs)
}
