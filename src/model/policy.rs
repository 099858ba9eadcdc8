//! A project's guardrails as data (what the config file's `[policy]` table and a project's `policy` hold). How
//! they are applied lives in `crate::policy`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Provider;

/// Guardrails of a project (or the operator's defaults in the config file's `[policy]` table).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Allowed; empty: all.
    #[serde(default)]
    pub providers: Vec<Provider>,
    /// Allowed, * wildcard (e.g. "us-*"); empty: all.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Allowed, * wildcard (e.g. "t3.*"); empty: all.
    #[serde(default)]
    pub sizes: Vec<String>,
    /// Unset: the operator's (25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_resources_per_plan: Option<u32>,
    /// Unset: the operator's (30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_creations_per_hour: Option<u32>,
    /// Allow deleting resources rift did not create.
    #[serde(default)]
    pub allow_unmanaged_deletes: bool,
}
