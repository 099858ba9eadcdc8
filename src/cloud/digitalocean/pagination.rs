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

/// Why a listing stopped before the API said it was complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EarlyStop {
    ForeignLink,
    RepeatedPage,
    PageCap,
}

impl Client {
    /// Every item under `key` (e.g. "droplets") of the collection at `path` (e.g. "/v2/droplets"), following
    /// the pages.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        key: &str,
    ) -> Result<Vec<T>, DoError> {
        let mut query = query.to_vec();
        query.push(("per_page", MAX_PER_PAGE.to_string()));
        let mut url = self.url(path, &query)?;
        let mut seen_urls: HashSet<Url> = HashSet::new();
        let mut seen_pages: HashSet<[u8; 32]> = HashSet::new();
        let mut items = Vec::new();
        let mut pages = 0;
        let stop = loop {
            if pages >= self.config().max_pages {
                break Some(EarlyStop::PageCap);
            }
            if !seen_urls.insert(url.clone()) {
                break Some(EarlyStop::RepeatedPage);
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
            let Some(next) = page.links.and_then(|l| l.pages).and_then(|p| p.next) else {
                break None;
            };
            match Url::parse(&next) {
                Ok(next) if self.is_own(&next) => url = next,
                _ => break Some(EarlyStop::ForeignLink),
            }
        };
        if let Some(reason) = stop {
            tracing::warn!(
                path,
                pages,
                items = items.len(),
                ?reason,
                "stopped following DigitalOcean pages early"
            );
        }
        Ok(items)
    }
}
