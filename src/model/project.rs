//! The brief's project model: providers, per-cloud settings with credential references only, a monthly budget
//! and a policy. The rules that keep a project valid live in `crate::project`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Policy, Provider};

/// A project as stored and shown. Its id is its name: rift tags every resource with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub cloud_providers: Vec<Provider>,
    pub aws_config: Option<AwsConfig>,
    pub do_config: Option<DoConfig>,
    /// USD per month; every change must keep the project's estimate within it.
    pub monthly_budget_usd: Option<f64>,
    pub policy: Policy,
    pub created_at: String,
    pub updated_at: String,
}

impl Project {
    /// The region a provider's resources default to in this project.
    pub fn region(&self, provider: Provider) -> Option<&str> {
        match provider {
            Provider::Aws => self.aws_config.as_ref().map(|c| c.region.as_str()),
            Provider::Digitalocean => self.do_config.as_ref().map(|c| c.region.as_str()),
        }
    }
}

/// AWS settings of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// AWS profile name, never keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
}

/// DigitalOcean settings of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoConfig {
    pub region: String,
    /// env:VAR naming where the token lives, never the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}
