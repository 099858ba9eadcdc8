//! Alert rules and the incidents they raise, as rift stores them: a rule is what the user asked for (one metric,
//! a comparison, a threshold held for a duration, on resources of a project) plus the cloud alarms made for it;
//! an incident is one rule firing on one resource, with its lifecycle and timeline.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Metric, Provider, ResourceKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Above,
    Below,
}

impl Comparison {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::Below => value < threshold,
        }
    }
}

/// A stored rule and the alarms its clouds hold for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertRule {
    /// The rule's name, unique in its project.
    pub name: String,
    pub project_id: String,
    pub metric: Metric,
    pub comparison: Comparison,
    pub threshold: f64,
    /// How long the metric must stay past the threshold.
    pub minutes: u32,
    /// The resources it watches, by name.
    pub resources: Vec<String>,
    /// Emails, and on AWS SNS topic ARNs, to notify.
    pub notify: Vec<String>,
    pub alarms: Vec<CloudAlarm>,
    pub created_at: String,
}

/// One alarm a cloud holds for a rule: a CloudWatch alarm per resource, a DigitalOcean policy per region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CloudAlarm {
    pub provider: Provider,
    pub region: String,
    /// The CloudWatch alarm name, or the DigitalOcean policy uuid.
    pub cloud_id: String,
    /// The resources it watches.
    pub resources: Vec<String>,
}

/// What a cloud is asked to alarm on: one rule over resources of one kind in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    /// `rift-<project>-<rule>`: CloudWatch alarm names add the resource; DigitalOcean's policy description is it.
    pub name: String,
    pub project_id: String,
    pub kind: ResourceKind,
    pub metric: Metric,
    pub comparison: Comparison,
    pub threshold: f64,
    pub minutes: u32,
    /// (resource name, cloud id) of each resource watched.
    pub targets: Vec<(String, String)>,
    pub notify: Vec<String>,
}

/// An alarm a cloud reports as firing.
#[derive(Debug, Clone, PartialEq)]
pub struct FiringAlarm {
    pub cloud_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    Open,
    Acknowledged,
    Resolved,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Open => "open",
            IncidentState::Acknowledged => "acknowledged",
            IncidentState::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<IncidentState> {
        [
            IncidentState::Open,
            IncidentState::Acknowledged,
            IncidentState::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One rule firing on one resource, from when it was first seen until its source clears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Incident {
    pub id: String,
    pub project_id: String,
    pub state: IncidentState,
    pub rule: String,
    pub resource: String,
    pub kind: ResourceKind,
    pub provider: Provider,
    pub region: String,
    pub metric: Metric,
    /// What fired: the CloudWatch alarm's reason, or the values rift evaluated.
    pub reason: String,
    /// Resources depending on this one, directly or through others (the project's dependency graph).
    pub affects: Vec<String>,
    pub opened_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// What happened to it, oldest first: opened, acknowledged, remediations, resolved.
    pub timeline: Vec<TimelineEntry>,
}

impl Incident {
    /// The key that makes one incident of many sightings: the rule and the resource.
    pub fn key(&self) -> String {
        format!("{}/{}", self.rule, self.resource)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimelineEntry {
    pub at: String,
    pub event: String,
}
