//! Prices: the embedded, sourced catalog (plus the overlay a live refresh writes), the estimator that prices a
//! plan line by line, the side-by-side comparison of the providers, and the live refresh itself.

mod catalog;
mod compare;
mod estimate;
pub mod refresh;
mod usage;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

pub use crate::model::{Micros, Qty};
pub use catalog::{
    AWS_HOME_REGION, Catalog, EntryFile, OVERLAY_FILE, Overlay, OverlayFile, PriceEntry, Prices,
    Unit, embedded,
};
pub use compare::{
    Comparison, ComponentComparison, ComponentPrice, MixAssignment, MixOption, ProviderSide,
    compare,
};
pub use estimate::{
    AWS_HOURS_PER_MONTH, CatalogInfo, ComponentTotal, DO_HOURS_PER_MONTH, Estimate, FreeItem,
    LineCategory, LineItem, ProviderTotal, STALE_AFTER_DAYS, TRANSFER, estimate,
};
pub use usage::{Backups, Usage, UsageEcho, UsageInput, UsageProfile};

use crate::planner::PlanError;

/// Why something could not be priced; each message names what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    #[error("the embedded price catalog is invalid: {0}")]
    Catalog(String),
    #[error(
        "the price overlay {path} is unreadable: {message}; run refresh_prices again or delete the file"
    )]
    Overlay { path: String, message: String },
    #[error("{resource}: {message}")]
    UnpricedRegion { resource: String, message: String },
    #[error("{resource}: {message}")]
    Unpriced { resource: String, message: String },
    #[error("{field}: {message}")]
    InvalidUsage { field: String, message: String },
    #[error(transparent)]
    Plan(#[from] PlanError),
}

impl PricingError {
    pub(crate) fn overlay(path: &Path, message: impl Into<String>) -> Self {
        PricingError::Overlay {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

/// Where rift keeps its data: `RIFT_DATA_DIR`, else the platform's data directory (e.g. ~/.local/share/rift).
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("RIFT_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::data_dir().map(|d| d.join("rift")),
    }
}

/// The prices a long-running server uses: the embedded catalog plus the overlay in the data directory, read
/// again only when the overlay file changes (a refresh by this or another process). Nothing is read, not even
/// the environment, until the first estimate.
#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    dir: Arc<OnceLock<Option<PathBuf>>>,
    cached: Arc<Mutex<Option<Cached>>>,
}

#[derive(Debug)]
struct Cached {
    stamp: Option<SystemTime>,
    prices: Arc<Prices>,
}

impl PriceBook {
    /// Prices with the overlay from `dir` (None: the embedded catalog only). `PriceBook::default()` uses
    /// [`data_dir`].
    pub fn new(dir: Option<PathBuf>) -> PriceBook {
        PriceBook {
            dir: Arc::new(OnceLock::from(dir)),
            cached: Arc::default(),
        }
    }

    /// The directory holding the overlay.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.get_or_init(data_dir).as_deref()
    }

    /// Forgets the cached prices, so the next estimate reads the overlay again.
    pub fn invalidate(&self) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = None;
        }
    }

    pub fn current(&self) -> Result<Arc<Prices>, PricingError> {
        let dir = self.dir();
        let stamp = dir.and_then(|d| {
            std::fs::metadata(d.join(OVERLAY_FILE))
                .and_then(|m| m.modified())
                .ok()
        });
        let mut cached = self
            .cached
            .lock()
            .map_err(|_| PricingError::Catalog("the price cache lock is poisoned".to_string()))?;
        if let Some(c) = cached.as_ref()
            && c.stamp == stamp
        {
            return Ok(Arc::clone(&c.prices));
        }
        let prices = Arc::new(match dir {
            Some(dir) if stamp.is_some() => Prices::with_overlay_from(dir)?,
            _ => Prices::embedded()?,
        });
        *cached = Some(Cached {
            stamp,
            prices: Arc::clone(&prices),
        });
        Ok(prices)
    }
}

#[cfg(test)]
mod tests;
