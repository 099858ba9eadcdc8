//! Writes the overlay: merged with what earlier refreshes wrote, replaced atomically so a reader never sees
//! half a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::RefreshError;
use crate::pricing::catalog::{EntryFile, OVERLAY_FILE, OverlayFile};

/// Adds `entries` to the overlay in `dir`, first dropping earlier entries under `replaces` prefixes. An
/// unreadable earlier overlay is replaced rather than merged: the refresh is what repairs it.
pub fn write_overlay(
    dir: &Path,
    today: NaiveDate,
    entries: BTreeMap<String, EntryFile>,
    replaces: &[String],
) -> Result<PathBuf, RefreshError> {
    let path = dir.join(OVERLAY_FILE);
    let failed = |message: String| RefreshError::Write {
        path: path.display().to_string(),
        message,
    };
    let mut overlay: OverlayFile = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    overlay.prices.retain(|key, _| {
        !replaces
            .iter()
            .any(|prefix| key.starts_with(prefix.as_str()))
    });
    overlay.prices.extend(entries);
    overlay.refreshed = today.to_string();
    let text = serde_json::to_string_pretty(&overlay).map_err(|e| failed(e.to_string()))?;
    std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
    let temporary = dir.join(format!("{OVERLAY_FILE}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, text + "\n").map_err(|e| failed(e.to_string()))?;
    std::fs::rename(&temporary, &path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        failed(e.to_string())
    })?;
    Ok(path)
}
