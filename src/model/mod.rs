//! Provider-neutral domain types: what a user asks for and what rift plans.

mod alert;
mod metric;
mod money;
mod plan;
mod policy;
mod project;
mod provider;
mod quote;
mod record;
mod requirements;

pub use alert::{
    AlarmSpec, AlertRule, CloudAlarm, Comparison, FiringAlarm, Incident, IncidentState,
    TimelineEntry,
};
pub use metric::{Metric, MetricQuery, SeriesAnswer, TimeRange};
pub use money::{Micros, Qty};
pub use plan::{
    AccessSource, Boot, FirewallRule, ListenerRule, Plan, PlannedResource, ResourceSpec, Subnet,
};
pub use policy::Policy;
pub use project::{AwsConfig, DoConfig, Project};
pub use provider::{Provider, ResourceKind};
pub use quote::quote;
pub use record::{ResourceRecord, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE, TAG_PROJECT};
pub use requirements::{Component, DeploymentRequest, Engine, Regions};
