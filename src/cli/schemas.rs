//! `rift schemas`: writes (or checks) the committed JSON Schemas of every tool.

use std::path::Path;

use super::CliError;
use crate::schemas;
use crate::server::RiftServer;

pub fn run(out: &Path, check: bool) -> Result<(), CliError> {
    let files =
        schemas::files(&RiftServer::catalog()).map_err(|e| CliError::Failed(e.to_string()))?;
    if check {
        let stale = schemas::stale_files(out, &files);
        if stale.is_empty() {
            return Ok(());
        }
        return Err(CliError::Failed(format!(
            "{} differ from the code: {}; run `rift schemas --out {}`",
            out.display(),
            stale.join(", "),
            out.display()
        )));
    }
    schemas::write(out, &files).map_err(|e| CliError::Failed(e.to_string()))
}
