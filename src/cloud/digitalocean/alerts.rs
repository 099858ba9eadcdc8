//! Alert policies (`/v2/monitoring/alerts`) for rift's rules: one policy per rule and region over the watched
//! resources' ids, described `rift/<project>/<rule>` so a retry finds the policy it made instead of making a
//! second one. The API keeps no firing state: rift evaluates its rules against the metrics for incidents.

use serde::{Deserialize, Serialize};

use super::account::DigitalOcean;
use super::client::Client;
use crate::cloud::{CloudError, DeleteOutcome};
use crate::model::{AlarmSpec, CloudAlarm, Comparison, Metric, Provider, ResourceKind};

/// `POST /v2/monitoring/alerts` (the spec's `alert_policy_request`: every field is required).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyRequest {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: String,
    pub compare: &'static str,
    pub value: f64,
    pub window: &'static str,
    pub entities: Vec<String>,
    pub tags: Vec<String>,
    pub alerts: Notifications,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notifications {
    pub email: Vec<String>,
    pub slack: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Policy {
    uuid: String,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Deserialize)]
struct PolicyEnvelope {
    policy: Policy,
}

/// The policy type serving a normalized metric of a kind; `None` where DigitalOcean has none in rift's unit.
pub fn policy_type(kind: ResourceKind, metric: Metric) -> Option<&'static str> {
    Some(match (kind, metric) {
        (ResourceKind::WebServer, Metric::CpuPercent) => "v1/insights/droplet/cpu",
        (ResourceKind::WebServer, Metric::MemoryPercent) => {
            "v1/insights/droplet/memory_utilization_percent"
        }
        (ResourceKind::WebServer, Metric::DiskUsedPercent) => {
            "v1/insights/droplet/disk_utilization_percent"
        }
        (ResourceKind::Database, Metric::CpuPercent) => "v1/dbaas/alerts/cpu_alerts",
        (ResourceKind::LoadBalancer, Metric::Http5xx) => {
            "v1/insights/lbaas/increase_in_http_error_rate_count_5xx"
        }
        (ResourceKind::LoadBalancer, Metric::LatencyMs) => {
            "v1/insights/lbaas/high_http_request_response_time"
        }
        _ => return None,
    })
}

/// The policy window a rule's duration falls in: the shortest of DigitalOcean's four that covers it.
pub fn window(minutes: u32) -> &'static str {
    match minutes {
        0..=5 => "5m",
        6..=10 => "10m",
        11..=30 => "30m",
        _ => "1h",
    }
}

/// The request for a rule, or why DigitalOcean cannot alarm on it.
pub fn request(spec: &AlarmSpec) -> Result<PolicyRequest, CloudError> {
    let kind = policy_type(spec.kind, spec.metric).ok_or_else(|| {
        CloudError::Unsupported(format!(
            "a DigitalOcean alert policy on {} of a {}",
            spec.metric, spec.kind
        ))
    })?;
    Ok(PolicyRequest {
        kind,
        description: spec.name.clone(),
        compare: match spec.comparison {
            Comparison::Above => "GreaterThan",
            Comparison::Below => "LessThan",
        },
        value: spec.threshold,
        window: window(spec.minutes),
        entities: spec.targets.iter().map(|(_, id)| id.clone()).collect(),
        tags: vec![],
        alerts: Notifications {
            email: spec
                .notify
                .iter()
                .filter(|t| t.contains('@'))
                .cloned()
                .collect(),
            slack: vec![],
        },
        enabled: true,
    })
}

impl Client {
    async fn alert_policies(&self) -> Result<Vec<Policy>, CloudError> {
        Ok(self
            .list_all("/v2/monitoring/alerts", &[], "policies")
            .await?)
    }
}

impl DigitalOcean {
    /// Creates the rule's policy, or updates the one a previous try made (found by its description).
    pub(super) async fn put_alert_policy(
        &self,
        spec: &AlarmSpec,
    ) -> Result<Vec<CloudAlarm>, CloudError> {
        let body = request(spec)?;
        let existing = self
            .client
            .alert_policies()
            .await?
            .into_iter()
            .find(|p| p.description == spec.name);
        let uuid = match existing {
            Some(policy) => {
                self.client
                    .put_empty(&format!("/v2/monitoring/alerts/{}", policy.uuid), &body)
                    .await?;
                policy.uuid
            }
            None => {
                let made: PolicyEnvelope = self.client.post("/v2/monitoring/alerts", &body).await?;
                made.policy.uuid
            }
        };
        Ok(vec![CloudAlarm {
            provider: Provider::Digitalocean,
            region: self.region.clone(),
            cloud_id: uuid,
            resources: spec.targets.iter().map(|(name, _)| name.clone()).collect(),
        }])
    }

    pub(super) async fn delete_alert_policy(
        &self,
        uuid: &str,
    ) -> Result<DeleteOutcome, CloudError> {
        super::account::deleted(
            self.client
                .delete(&format!("/v2/monitoring/alerts/{uuid}"))
                .await,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_a_policy_window() {
        assert_eq!(
            [1, 5, 6, 10, 11, 30, 31, 600].map(window),
            ["5m", "5m", "10m", "10m", "30m", "30m", "1h", "1h"]
        );
    }

    #[test]
    fn only_metrics_digitalocean_alarms_on_have_a_policy_type() {
        assert_eq!(
            policy_type(ResourceKind::WebServer, Metric::CpuPercent),
            Some("v1/insights/droplet/cpu")
        );
        assert_eq!(
            policy_type(ResourceKind::WebServer, Metric::NetworkInBytes),
            None
        );
    }
}
