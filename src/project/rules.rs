//! The rules a project's settings must keep.

use crate::cloud::TokenRef;
use crate::mapping;
use crate::model::{AwsConfig, DoConfig, Policy, Project, Provider};
use crate::store::StoredResource;

use super::ProjectError;

/// Same rule as a deployment name: the project id names every resource rift creates for it.
const MAX_PROJECT_NAME: usize = 24;

/// A project's budget under the operator's: the agent may set a project's budget, but the configured one is a
/// ceiling it cannot raise (and the budget of projects that set none).
pub fn budget_under(own: Option<f64>, ceiling: Option<f64>) -> Option<f64> {
    match (own, ceiling) {
        (Some(own), Some(ceiling)) => Some(own.min(ceiling)),
        (own, ceiling) => own.or(ceiling),
    }
}

/// A provider stays while the project has live resources on it.
pub(super) fn keeps_live_providers(
    providers: &[Provider],
    resources: &[StoredResource],
) -> Result<(), ProjectError> {
    match resources
        .iter()
        .find(|r| r.state.is_live() && !providers.contains(&r.provider))
    {
        Some(kept) => Err(ProjectError::invalid(
            "cloud_providers",
            format!(
                "{} still has live resources in this project (e.g. {}); delete them before removing the provider",
                kept.provider, kept.name
            ),
        )),
        None => Ok(()),
    }
}

/// Sets the project's providers (deduplicated, each allowed by the operator) and fills in default configs.
pub(super) fn set_providers(
    project: &mut Project,
    mut providers: Vec<Provider>,
    ceiling: &Policy,
) -> Result<(), ProjectError> {
    providers.sort();
    providers.dedup();
    if providers.is_empty() {
        return Err(ProjectError::invalid(
            "cloud_providers",
            "name at least one of \"digitalocean\", \"aws\"",
        ));
    }
    if let Some(refused) = providers
        .iter()
        .find(|p| !ceiling.providers.is_empty() && !ceiling.providers.contains(p))
    {
        let allowed: Vec<&str> = ceiling.providers.iter().map(|p| p.as_str()).collect();
        return Err(ProjectError::invalid(
            "cloud_providers",
            format!(
                "the operator's policy does not allow {refused}; allowed: {}",
                allowed.join(", ")
            ),
        ));
    }
    for provider in &providers {
        let region = mapping::offering(*provider).default_region.to_string();
        match provider {
            Provider::Aws if project.aws_config.is_none() => {
                project.aws_config = Some(AwsConfig {
                    region,
                    vpc_id: None,
                    credentials: None,
                });
            }
            Provider::Digitalocean if project.do_config.is_none() => {
                project.do_config = Some(DoConfig {
                    region,
                    token: None,
                });
            }
            _ => {}
        }
    }
    project.cloud_providers = providers;
    Ok(())
}

pub(super) fn validate(project: &Project) -> Result<(), ProjectError> {
    if let Some(c) = &project.aws_config {
        if !project.cloud_providers.contains(&Provider::Aws) {
            return Err(ProjectError::invalid(
                "aws_config",
                "add \"aws\" to cloud_providers, or leave aws_config out",
            ));
        }
        mapping::region(Provider::Aws, &c.region)
            .map_err(|e| ProjectError::invalid("aws_config.region", e.to_string()))?;
        if let Some(vpc) = &c.vpc_id {
            let valid = vpc.strip_prefix("vpc-").is_some_and(|h| {
                !h.is_empty() && h.len() <= 17 && h.chars().all(|c| c.is_ascii_hexdigit())
            });
            if !valid {
                return Err(ProjectError::invalid(
                    "aws_config.vpc_id",
                    format!("\"{vpc}\" is not a VPC id like vpc-0a1b2c3d"),
                ));
            }
        }
        if let Some(profile) = &c.credentials {
            let valid = !profile.is_empty()
                && profile.len() <= 64
                && profile
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+'));
            if !valid {
                return Err(ProjectError::invalid(
                    "aws_config.credentials",
                    "give the name of an AWS profile (letters, digits, - _ . @ +), never keys",
                ));
            }
        }
    }
    if let Some(c) = &project.do_config {
        if !project.cloud_providers.contains(&Provider::Digitalocean) {
            return Err(ProjectError::invalid(
                "do_config",
                "add \"digitalocean\" to cloud_providers, or leave do_config out",
            ));
        }
        mapping::region(Provider::Digitalocean, &c.region)
            .map_err(|e| ProjectError::invalid("do_config.region", e.to_string()))?;
        if let Some(token) = &c.token {
            TokenRef::parse(token)
                .map_err(|e| ProjectError::invalid("do_config.token", e.to_string()))?;
        }
    }
    if let Some(budget) = project.monthly_budget_usd
        && !(budget.is_finite() && budget >= 0.0)
    {
        return Err(ProjectError::invalid(
            "monthly_budget_usd",
            format!("{budget} is not an amount of USD ≥ 0"),
        ));
    }
    Ok(())
}

pub(super) fn check_name(name: &str) -> Result<(), ProjectError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_PROJECT_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--");
    if valid {
        Ok(())
    } else {
        Err(ProjectError::invalid(
            "name",
            format!(
                "\"{}\" is not a valid project name: use 1-{MAX_PROJECT_NAME} lowercase letters, digits and single \
             hyphens, starting with a letter (e.g. \"shop\", \"blog-prod\")",
                crate::config::redact(name)
            ),
        ))
    }
}

/// What the activity log keeps about a project's settings: references only.
pub(super) fn describe(project: &Project) -> String {
    let providers: Vec<&str> = project.cloud_providers.iter().map(|p| p.as_str()).collect();
    format!(
        "providers [{}], budget {}",
        providers.join(", "),
        project
            .monthly_budget_usd
            .map_or_else(|| "none".to_string(), |b| format!("${b:.2}/month"))
    )
}
