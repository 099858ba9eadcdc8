//! The price catalog: `catalog.json`, embedded in the binary and parsed on first use (never at startup), plus the
//! overlay that `refresh_prices` writes in the data directory, which takes precedence entry by entry.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::PricingError;
use crate::model::Micros;

const EMBEDDED_JSON: &str = include_str!("catalog.json");
/// The region whose AWS prices the catalog carries in full.
pub const AWS_HOME_REGION: &str = "us-east-1";
/// The overlay's file name inside the data directory.
pub const OVERLAY_FILE: &str = "prices-overlay.json";

/// What a price is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "month")]
    Month,
    #[serde(rename = "hour")]
    Hour,
    #[serde(rename = "GB-month")]
    GbMonth,
    #[serde(rename = "GB")]
    Gb,
    #[serde(rename = "LCU-hour")]
    LcuHour,
    #[serde(rename = "NLCU-hour")]
    NlcuHour,
    /// A share of another price (droplet backups).
    #[serde(rename = "percent")]
    Percent,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Month => "month",
            Unit::Hour => "hour",
            Unit::GbMonth => "GB-month",
            Unit::Gb => "GB",
            Unit::LcuHour => "LCU-hour",
            Unit::NlcuHour => "NLCU-hour",
            Unit::Percent => "percent",
        }
    }

    /// Whether the price is multiplied by the hours in a month.
    pub fn is_hourly(self) -> bool {
        matches!(self, Unit::Hour | Unit::LcuHour | Unit::NlcuHour)
    }
}

/// One entry as stored in `catalog.json` and in the overlay.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryFile {
    pub price: f64,
    pub unit: Unit,
    pub source: String,
    pub as_of: String,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Quantities that come with the price, e.g. a droplet's `included_transfer_gb`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    currency: String,
    as_of: String,
    #[serde(rename = "about")]
    _about: String,
    prices: BTreeMap<String, EntryFile>,
}

/// The overlay file written by a live refresh.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayFile {
    /// Date of the latest refresh that wrote to it.
    pub refreshed: String,
    pub prices: BTreeMap<String, EntryFile>,
}

/// A validated price.
#[derive(Debug, Clone)]
pub struct PriceEntry {
    pub price: Micros,
    pub unit: Unit,
    pub source: String,
    pub as_of: NaiveDate,
    pub verified: bool,
    pub attributes: BTreeMap<String, f64>,
    /// Came from a live refresh rather than the embedded catalog.
    pub refreshed: bool,
}

impl PriceEntry {
    pub fn attribute(&self, name: &str) -> Option<f64> {
        self.attributes.get(name).copied()
    }
}

/// The embedded catalog.
#[derive(Debug)]
pub struct Catalog {
    pub currency: String,
    pub as_of: NaiveDate,
    pub entries: HashMap<String, PriceEntry>,
}

/// A live refresh's overlay, as read from the data directory.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub path: PathBuf,
    pub refreshed: NaiveDate,
    pub entries: HashMap<String, PriceEntry>,
}

pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| format!("{field}: \"{text}\" is not a YYYY-MM-DD date ({e})"))
}

fn validate(key: &str, entry: &EntryFile, refreshed: bool) -> Result<PriceEntry, String> {
    let price = Micros::from_dollars(entry.price)
        .filter(|p| p.is_positive())
        .ok_or_else(|| format!("{key}: price {} must be above zero", entry.price))?;
    if entry.source.trim().is_empty() {
        return Err(format!("{key}: source is empty"));
    }
    Ok(PriceEntry {
        price,
        unit: entry.unit,
        source: entry.source.clone(),
        as_of: parse_date(&format!("{key}.as_of"), &entry.as_of)?,
        verified: entry.verified,
        attributes: entry.attributes.clone(),
        refreshed,
    })
}

fn parse_entries(
    prices: &BTreeMap<String, EntryFile>,
    refreshed: bool,
) -> Result<HashMap<String, PriceEntry>, String> {
    prices
        .iter()
        .map(|(key, entry)| Ok((key.clone(), validate(key, entry, refreshed)?)))
        .collect()
}

fn parse_embedded() -> Result<Catalog, String> {
    let file: CatalogFile =
        serde_json::from_str(EMBEDDED_JSON).map_err(|e| format!("catalog.json: {e}"))?;
    Ok(Catalog {
        currency: file.currency,
        as_of: parse_date("as_of", &file.as_of)?,
        entries: parse_entries(&file.prices, false)?,
    })
}

/// The embedded catalog, parsed on first use.
pub fn embedded() -> Result<&'static Catalog, PricingError> {
    static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
    CATALOG
        .get_or_init(parse_embedded)
        .as_ref()
        .map_err(|e| PricingError::Catalog(e.clone()))
}

/// Reads the overlay in `dir`; Ok(None) when there is none.
pub fn read_overlay(dir: &Path) -> Result<Option<Overlay>, PricingError> {
    let path = dir.join(OVERLAY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(PricingError::overlay(&path, e.to_string())),
    };
    let file: OverlayFile =
        serde_json::from_str(&text).map_err(|e| PricingError::overlay(&path, e.to_string()))?;
    let refreshed =
        parse_date("refreshed", &file.refreshed).map_err(|e| PricingError::overlay(&path, e))?;
    let entries = parse_entries(&file.prices, true).map_err(|e| PricingError::overlay(&path, e))?;
    Ok(Some(Overlay {
        path,
        refreshed,
        entries,
    }))
}

/// The prices an estimate uses: the embedded catalog with the overlay (if any) on top.
#[derive(Debug, Clone)]
pub struct Prices {
    pub catalog: &'static Catalog,
    pub overlay: Option<Overlay>,
}

impl Prices {
    /// The embedded catalog alone.
    pub fn embedded() -> Result<Prices, PricingError> {
        Ok(Prices {
            catalog: embedded()?,
            overlay: None,
        })
    }

    /// The embedded catalog with the overlay from `dir`, when there is one.
    pub fn with_overlay_from(dir: &Path) -> Result<Prices, PricingError> {
        Ok(Prices {
            catalog: embedded()?,
            overlay: read_overlay(dir)?,
        })
    }

    /// The price for `key`: the overlay's when it has one, else the embedded catalog's.
    pub fn entry(&self, key: &str) -> Option<&PriceEntry> {
        self.overlay
            .as_ref()
            .and_then(|o| o.entries.get(key))
            .or_else(|| self.catalog.entries.get(key))
    }

    /// Every key with a price, embedded or refreshed.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        let overlay_only = self
            .overlay
            .iter()
            .flat_map(|o| o.entries.keys())
            .filter(|k| !self.catalog.entries.contains_key(*k));
        self.catalog
            .entries
            .keys()
            .chain(overlay_only)
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalog_parses_and_is_not_empty() {
        let catalog = embedded().unwrap();
        assert_eq!(catalog.currency, "USD");
        assert!(catalog.entries.len() > 100, "{}", catalog.entries.len());
    }

    #[test]
    fn every_price_is_above_zero_and_sourced() {
        let file: CatalogFile = serde_json::from_str(EMBEDDED_JSON).unwrap();
        for (key, entry) in &file.prices {
            assert!(
                entry.price > 0.0 && entry.price.is_finite(),
                "{key}: {}",
                entry.price
            );
            assert!(!entry.source.trim().is_empty(), "{key} has no source");
            parse_date(key, &entry.as_of).unwrap();
        }
    }

    #[test]
    fn a_zero_or_negative_price_is_rejected() {
        let mut entry = EntryFile {
            price: 0.0,
            unit: Unit::Hour,
            source: "test".into(),
            as_of: "2026-01-01".into(),
            verified: true,
            note: None,
            attributes: BTreeMap::new(),
        };
        assert!(
            validate("k", &entry, false)
                .unwrap_err()
                .contains("above zero")
        );
        entry.price = -1.0;
        assert!(validate("k", &entry, false).is_err());
    }

    #[test]
    fn an_overlay_entry_wins_over_the_embedded_one() {
        let dir = std::env::temp_dir().join(format!("rift-overlay-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut prices = BTreeMap::new();
        prices.insert(
            "digitalocean/droplet/s-1vcpu-1gb".to_string(),
            EntryFile {
                price: 5.0,
                unit: Unit::Month,
                source: "live refresh 2026-11-01".into(),
                as_of: "2026-11-01".into(),
                verified: true,
                note: None,
                attributes: BTreeMap::new(),
            },
        );
        let file = OverlayFile {
            refreshed: "2026-11-01".into(),
            prices,
        };
        std::fs::write(
            dir.join(OVERLAY_FILE),
            serde_json::to_string(&file).unwrap(),
        )
        .unwrap();
        let prices = Prices::with_overlay_from(&dir).unwrap();
        let found = prices.entry("digitalocean/droplet/s-1vcpu-1gb").unwrap();
        assert_eq!(found.price, Micros(5_000_000));
        assert!(found.refreshed);
        let untouched = prices.entry("digitalocean/droplet/s-2vcpu-4gb").unwrap();
        assert!(!untouched.refreshed);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
