//! Droplet prices from DigitalOcean's `GET /v2/sizes`, read through the cloud client (its token lookup, retries
//! and safe pagination); what is priced here is which sizes have a usable price and what to warn about.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{DigitalOceanSource, LivePrice, RefreshError};
use crate::cloud::digitalocean::{Client, DoError, TOKEN_VARIABLES};
use crate::model::Micros;
use crate::pricing::catalog::Unit;

/// Overlay keys of droplet prices.
pub const DROPLET_PREFIX: &str = "digitalocean/droplet/";
const GB_PER_TB: f64 = 1000.0;

#[derive(Debug, Deserialize)]
struct SizeDoc {
    slug: String,
    #[serde(default)]
    price_monthly: Option<f64>,
    /// Outbound transfer allowance in TB.
    #[serde(default)]
    transfer: Option<f64>,
}

/// What `/v2/sizes` said.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizes {
    pub prices: Vec<LivePrice>,
    pub pages: u32,
    pub warnings: Vec<String>,
}

/// Every droplet size and price, walking the pages.
pub async fn fetch_sizes(source: &DigitalOceanSource) -> Result<Sizes, RefreshError> {
    let config = source.config.clone().map_err(refresh_error)?;
    let client = Client::new(config).map_err(refresh_error)?;
    let listing = client
        .list_pages::<SizeDoc>("/v2/sizes", &[], "sizes")
        .await
        .map_err(refresh_error)?;
    let mut warnings: Vec<String> = listing.stop.iter().map(ToString::to_string).collect();
    let mut by_slug: BTreeMap<String, LivePrice> = BTreeMap::new();
    for size in listing.items {
        match live_price(&size) {
            Some(price) => {
                by_slug.insert(size.slug, price);
            }
            None => warnings.push(format!(
                "size {} has no usable price_monthly; skipped",
                size.slug
            )),
        }
    }
    if let Some(total) = listing.total
        && usize::try_from(total).ok() != Some(by_slug.len())
    {
        warnings.push(format!(
            "the API reported {total} sizes; {} were read",
            by_slug.len()
        ));
    }
    if by_slug.is_empty() {
        return Err(RefreshError::DigitalOcean(
            "GET /v2/sizes returned no priced sizes".to_string(),
        ));
    }
    Ok(Sizes {
        prices: by_slug.into_values().collect(),
        pages: listing.pages,
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

/// The client's error, with what it means for a price refresh: which variable to set or check, and which scope
/// the token needs.
fn refresh_error(error: DoError) -> RefreshError {
    let [token, alternative] = TOKEN_VARIABLES;
    match error {
        // Project token references do not apply to a refresh, so the hint names only the variables.
        DoError::Credentials(_) => RefreshError::NoCredentials(format!(
            "DigitalOcean prices need an API token with the sizes:read scope: set {token} (or {alternative})"
        )),
        DoError::Api { status: 401, .. } => RefreshError::DigitalOcean(format!(
            "GET /v2/sizes: {error}; the token was rejected: check {token} (or {alternative})"
        )),
        DoError::Api { status: 403, .. } => RefreshError::DigitalOcean(format!(
            "GET /v2/sizes: {error}; the token lacks the sizes:read scope"
        )),
        // Not a request failure (a bad DIGITALOCEAN_API_URL): no request to name.
        DoError::Config(_) => RefreshError::DigitalOcean(error.to_string()),
        other => RefreshError::DigitalOcean(format!("GET /v2/sizes: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_set_or_check() {
        let rejected = refresh_error(DoError::Api {
            status: 401,
            id: "unauthorized".into(),
            message: "Unable to authenticate you.".into(),
            request_id: Some("abc".into()),
        })
        .to_string();
        for expected in [
            "Unable to authenticate you.",
            "request id abc",
            "DIGITALOCEAN_TOKEN",
        ] {
            assert!(rejected.contains(expected), "{expected}: {rejected}");
        }
        let scope = refresh_error(DoError::Api {
            status: 403,
            id: "forbidden".into(),
            message: "You are not authorized to perform this operation".into(),
            request_id: None,
        });
        assert!(scope.to_string().contains("sizes:read"), "{scope}");
        let missing = refresh_error(DoError::Credentials("set something".into()));
        assert!(
            matches!(&missing, RefreshError::NoCredentials(m)
                if m.contains("DIGITALOCEAN_TOKEN") && m.contains("DIGITALOCEAN_ACCESS_TOKEN")),
            "{missing}"
        );
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
