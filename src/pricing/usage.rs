//! Usage for the charges that depend on traffic and data rather than on what is provisioned. Never guessed: the
//! caller names a preset or gives numbers, and the estimate echoes what it used.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PricingError;
use crate::model::Qty;

/// Usage presets, in the spirit of Infracost's: roughly a small site, a busy one and a popular one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UsageProfile {
    Small,
    Medium,
    Large,
}

/// Droplet/instance backups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backups {
    #[default]
    None,
    Weekly,
    Daily,
}

/// Usage per month: a profile, numbers, or both (numbers override the profile's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageInput {
    /// Preset: small, medium or large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<UsageProfile>,
    /// GB/month from the web servers to the internet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_out_gb: Option<f64>,
    /// Average LCUs per AWS load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lcu: Option<f64>,
    /// GB in buckets that state no storage_gb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_gb: Option<f64>,
    /// GB/month through each NAT gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_processed_gb: Option<f64>,
    /// GB/month between the clouds (data tier to web tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_cloud_gb: Option<f64>,
    /// Server and volume backups (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups: Option<Backups>,
}

/// The usage an estimate used, echoed back.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct UsageEcho {
    /// Whether any usage was given; without it usage-based charges are left out.
    pub given: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<UsageProfile>,
    pub transfer_out_gb: f64,
    pub lcu: f64,
    pub stored_gb: f64,
    pub nat_processed_gb: f64,
    pub cross_cloud_gb: f64,
    pub backups: Backups,
}

/// Validated usage.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub given: bool,
    pub profile: Option<UsageProfile>,
    pub transfer_out_gb: Qty,
    pub lcu: Qty,
    pub stored_gb: Qty,
    pub nat_processed_gb: Qty,
    pub cross_cloud_gb: Qty,
    pub backups: Backups,
}

struct Preset {
    transfer_out_gb: f64,
    lcu: f64,
    stored_gb: f64,
    nat_processed_gb: f64,
    cross_cloud_gb: f64,
}

impl UsageProfile {
    fn preset(self) -> Preset {
        match self {
            UsageProfile::Small => Preset {
                transfer_out_gb: 100.0,
                lcu: 1.0,
                stored_gb: 50.0,
                nat_processed_gb: 50.0,
                cross_cloud_gb: 20.0,
            },
            UsageProfile::Medium => Preset {
                transfer_out_gb: 500.0,
                lcu: 2.0,
                stored_gb: 500.0,
                nat_processed_gb: 200.0,
                cross_cloud_gb: 100.0,
            },
            UsageProfile::Large => Preset {
                transfer_out_gb: 2000.0,
                lcu: 5.0,
                stored_gb: 2000.0,
                nat_processed_gb: 1000.0,
                cross_cloud_gb: 500.0,
            },
        }
    }
}

impl Usage {
    /// Validates usage; `field` prefixes the names in errors (e.g. "usage").
    pub fn from_input(input: Option<&UsageInput>, field: &str) -> Result<Usage, PricingError> {
        let Some(input) = input else {
            return Ok(Usage::default());
        };
        let preset = input.profile.map(UsageProfile::preset);
        let number = |name: &str, given: Option<f64>, from_preset: fn(&Preset) -> f64| {
            let value = given
                .or_else(|| preset.as_ref().map(from_preset))
                .unwrap_or(0.0);
            Qty::from_f64(value).ok_or_else(|| PricingError::InvalidUsage {
                field: format!("{field}.{name}"),
                message: format!(
                    "{value} is not a valid amount: give a number from 0 to 1000000000 (negative usage is meaningless)"
                ),
            })
        };
        Ok(Usage {
            given: true,
            profile: input.profile,
            transfer_out_gb: number("transfer_out_gb", input.transfer_out_gb, |p| {
                p.transfer_out_gb
            })?,
            lcu: number("lcu", input.lcu, |p| p.lcu)?,
            stored_gb: number("stored_gb", input.stored_gb, |p| p.stored_gb)?,
            nat_processed_gb: number("nat_processed_gb", input.nat_processed_gb, |p| {
                p.nat_processed_gb
            })?,
            cross_cloud_gb: number("cross_cloud_gb", input.cross_cloud_gb, |p| p.cross_cloud_gb)?,
            backups: input.backups.unwrap_or_default(),
        })
    }

    pub fn echo(&self) -> UsageEcho {
        UsageEcho {
            given: self.given,
            profile: self.profile,
            transfer_out_gb: self.transfer_out_gb.as_f64(),
            lcu: self.lcu.as_f64(),
            stored_gb: self.stored_gb.as_f64(),
            nat_processed_gb: self.nat_processed_gb.as_f64(),
            cross_cloud_gb: self.cross_cloud_gb.as_f64(),
            backups: self.backups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_usage_prices_no_usage() {
        let usage = Usage::from_input(None, "usage").unwrap();
        assert!(!usage.given);
        assert!(usage.transfer_out_gb.is_zero() && usage.lcu.is_zero());
    }

    #[test]
    fn explicit_numbers_override_the_profile() {
        let input = UsageInput {
            profile: Some(UsageProfile::Medium),
            lcu: Some(1.5),
            ..Default::default()
        };
        let usage = Usage::from_input(Some(&input), "usage").unwrap();
        assert_eq!(usage.lcu, Qty(1_500));
        assert_eq!(usage.transfer_out_gb, Qty::whole(500));
        assert_eq!(usage.echo().lcu, 1.5);
    }

    #[test]
    fn negative_usage_names_the_field() {
        let input = UsageInput {
            stored_gb: Some(-3.0),
            ..Default::default()
        };
        let err = Usage::from_input(Some(&input), "usage")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("usage.stored_gb:"), "{err}");
        assert!(err.contains("-3"), "{err}");
    }
}
