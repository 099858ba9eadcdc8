//! `rift terraform <plan.json> --out DIR`: writes the Terraform configuration of a plan (or of requirements,
//! planned first) into a directory.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliError, read_json};
use crate::model::{DeploymentRequest, Plan};
use crate::planner;
use crate::terraform;

#[derive(Debug, Args)]
pub struct TerraformArgs {
    /// A plan (as plan_deployment or `rift plan` prints it) or requirements (as plan_deployment takes them);
    /// "-" reads standard input.
    pub file: PathBuf,
    /// Directory to write the .tf files into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &TerraformArgs) -> Result<(), CliError> {
    let document: serde_json::Value = read_json(&args.file)?;
    let plan = plan_from(document, &args.file)?;
    let config = terraform::generate(&plan)
        .map_err(|e| CliError::Usage(format!("{}: {e}", args.file.display())))?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::Failed(format!("could not create {}: {e}", args.out.display())))?;
    for (name, text) in &config.files {
        let path = args.out.join(name);
        std::fs::write(&path, text)
            .map_err(|e| CliError::Failed(format!("could not write {}: {e}", path.display())))?;
        println!("wrote {}", path.display());
    }
    remove_stale(&args.out, &config.files)?;
    Ok(())
}

/// A plan is exported as it is; requirements are planned first. Anything else is named for what it lacks.
pub(super) fn plan_from(document: serde_json::Value, path: &Path) -> Result<Plan, CliError> {
    let decode_error = |e: serde_path_to_error::Error<serde_json::Error>| {
        CliError::Usage(format!("{}: {}: {}", path.display(), e.path(), e.inner()))
    };
    let has = |key: &str| document.get(key).is_some();
    if has("plan_id") && has("resources") {
        return serde_path_to_error::deserialize(document).map_err(decode_error);
    }
    if has("components") {
        let request: DeploymentRequest =
            serde_path_to_error::deserialize(document).map_err(decode_error)?;
        return planner::plan(&request)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())));
    }
    Err(CliError::Usage(format!(
        "{}: neither a plan (an object with plan_id and resources, as plan_deployment returns it) nor requirements (an object with components, as plan_deployment takes them)",
        path.display()
    )))
}

/// Removes files an earlier run wrote that this plan no longer needs (say aws.tf after the plan moved to
/// DigitalOcean): Terraform reads every .tf file in the directory. Only files carrying rift's header go.
fn remove_stale(
    dir: &Path,
    written: &std::collections::BTreeMap<String, String>,
) -> Result<(), CliError> {
    for name in terraform::FILE_NAMES {
        if written.contains_key(name) {
            continue;
        }
        let path = dir.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if text.starts_with(terraform::HEADER_PREFIX) {
            std::fs::remove_file(&path).map_err(|e| {
                CliError::Failed(format!("could not remove {}: {e}", path.display()))
            })?;
            println!("removed {} (no longer part of the plan)", path.display());
        }
    }
    Ok(())
}
