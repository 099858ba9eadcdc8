//! Live refresh: DigitalOcean droplet prices from `GET /v2/sizes`, AWS prices from the Price List Query API,
//! written to an overlay in the data directory that later estimates prefer (and label as refreshed).

pub mod aws;
pub mod digitalocean;
mod overlay;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::{EntryFile, Prices, Unit};
use crate::cloud::digitalocean::{ClientConfig, DoError};
use crate::model::Micros;
use crate::model::Provider;

pub use overlay::write_overlay;

/// How a refresh reaches DigitalOcean's API: the cloud client's settings, or why there are none. The reason is
/// kept rather than returned, so that a refresh of AWS alone needs no DigitalOcean token.
#[derive(Debug, Clone)]
pub struct DigitalOceanSource {
    pub config: Result<ClientConfig, DoError>,
}

impl DigitalOceanSource {
    /// The API URL and token the cloud client reads (`DIGITALOCEAN_API_URL`, `DIGITALOCEAN_TOKEN` /
    /// `DIGITALOCEAN_ACCESS_TOKEN`).
    pub fn from_env() -> DigitalOceanSource {
        DigitalOceanSource {
            config: ClientConfig::from_env(None),
        }
    }
}

/// What to refresh and where to write.
#[derive(Debug, Clone)]
pub struct RefreshOptions {
    pub providers: Vec<Provider>,
    /// AWS regions to fetch (us-east-1 when empty).
    pub aws_regions: Vec<String>,
    pub data_dir: PathBuf,
    pub today: NaiveDate,
    pub digitalocean: DigitalOceanSource,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RefreshError {
    #[error("no credentials: {0}")]
    NoCredentials(String),
    #[error("DigitalOcean API: {0}")]
    DigitalOcean(String),
    #[error("AWS Price List API: {0}")]
    Aws(String),
    #[error("could not write the price overlay {path}: {message}")]
    Write { path: String, message: String },
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },
    #[error("nothing was refreshed: {0}")]
    AllFailed(String),
}

/// A catalog price that the refresh changed.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PriceChange {
    pub key: String,
    pub before: f64,
    pub after: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProviderRefresh {
    pub provider: Provider,
    /// Prices written to the overlay.
    pub prices: usize,
    /// Catalog prices that differ from what estimates used before.
    pub changes: Vec<PriceChange>,
    /// Why this provider was not refreshed, if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RefreshReport {
    /// The overlay file later estimates read.
    pub overlay: String,
    pub refreshed: String,
    pub providers: Vec<ProviderRefresh>,
}

/// A price fetched live, before it becomes an overlay entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePrice {
    pub key: String,
    pub price: Micros,
    pub unit: Unit,
    pub attributes: BTreeMap<String, f64>,
}

struct Fetched {
    prices: Vec<LivePrice>,
    source: String,
    /// Overlay keys under these prefixes that this refresh did not return are dropped (retired sizes).
    replaces: Vec<String>,
    warnings: Vec<String>,
}

/// Refreshes each requested provider; fails only when none could be refreshed.
pub async fn refresh(options: &RefreshOptions) -> Result<RefreshReport, RefreshError> {
    let mut providers = options.providers.clone();
    if providers.is_empty() {
        providers = Provider::ALL.to_vec();
    }
    providers.sort();
    providers.dedup();
    let regions = if options.aws_regions.is_empty() {
        vec![super::AWS_HOME_REGION.to_string()]
    } else {
        options.aws_regions.clone()
    };
    for (i, region) in regions.iter().enumerate() {
        crate::mapping::region(Provider::Aws, region).map_err(|e| {
            RefreshError::InvalidArgument {
                field: format!("aws_regions[{i}]"),
                message: e.to_string(),
            }
        })?;
    }

    let mut results = Vec::new();
    for provider in providers {
        let fetched = match provider {
            Provider::Digitalocean => {
                fetch_digitalocean(&options.digitalocean, options.today).await
            }
            Provider::Aws => fetch_aws(&regions, options.today).await,
        };
        results.push((provider, fetched));
    }
    if results.iter().all(|(_, r)| r.is_err()) {
        let reasons: Vec<String> = results
            .iter()
            .filter_map(|(_, r)| r.as_ref().err().map(ToString::to_string))
            .collect();
        return Err(match results.as_slice() {
            [(_, Err(only))] => only.clone(),
            _ => RefreshError::AllFailed(reasons.join("; ")),
        });
    }

    let before = Prices::with_overlay_from(&options.data_dir).or_else(|_| Prices::embedded());
    let mut entries = BTreeMap::new();
    let mut replaces = Vec::new();
    let mut report = Vec::new();
    for (provider, result) in results {
        match result {
            Ok(fetched) => {
                let mut changes = Vec::new();
                for live in &fetched.prices {
                    if let Ok(before) = &before
                        && before.catalog.entries.contains_key(&live.key)
                        && let Some(old) = before.entry(&live.key)
                        && old.price != live.price
                    {
                        changes.push(PriceChange {
                            key: live.key.clone(),
                            before: old.price.dollars(),
                            after: live.price.dollars(),
                        });
                    }
                    entries.insert(
                        live.key.clone(),
                        EntryFile {
                            price: live.price.dollars(),
                            unit: live.unit,
                            source: fetched.source.clone(),
                            as_of: options.today.to_string(),
                            verified: true,
                            note: None,
                            attributes: live.attributes.clone(),
                        },
                    );
                }
                replaces.extend(fetched.replaces);
                report.push(ProviderRefresh {
                    provider,
                    prices: fetched.prices.len(),
                    changes,
                    error: None,
                    warnings: fetched.warnings,
                });
            }
            Err(e) => report.push(ProviderRefresh {
                provider,
                prices: 0,
                changes: vec![],
                error: Some(e.to_string()),
                warnings: vec![],
            }),
        }
    }
    let path = write_overlay(&options.data_dir, options.today, entries, &replaces)?;
    Ok(RefreshReport {
        overlay: path.display().to_string(),
        refreshed: options.today.to_string(),
        providers: report,
    })
}

async fn fetch_digitalocean(
    source: &DigitalOceanSource,
    today: NaiveDate,
) -> Result<Fetched, RefreshError> {
    let sizes = digitalocean::fetch_sizes(source).await?;
    let host = source
        .config
        .as_ref()
        .ok()
        .and_then(|c| reqwest::Url::parse(&c.base_url).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    Ok(Fetched {
        prices: sizes.prices,
        source: format!("live refresh {today}: DigitalOcean GET /v2/sizes ({host})"),
        replaces: vec![digitalocean::DROPLET_PREFIX.to_string()],
        warnings: sizes.warnings,
    })
}

async fn fetch_aws(regions: &[String], today: NaiveDate) -> Result<Fetched, RefreshError> {
    let fetched = aws::fetch(regions).await?;
    Ok(Fetched {
        prices: fetched.prices,
        source: format!("live refresh {today}: AWS Price List API GetProducts"),
        replaces: vec![],
        warnings: fetched.warnings,
    })
}
