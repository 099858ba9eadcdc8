//! Operations across both clouds on what a project holds: its metrics under one vocabulary (metrics.rs). Alerts,
//! incidents and remediation build on this and reach the clouds through the change workflow.

mod metrics;

pub use metrics::{MetricReading, MetricsReport, MetricsRequest, ResourceMetrics};

use crate::cloud::Clouds;
use crate::project::{ProjectError, Projects};

#[derive(Debug, thiserror::Error)]
pub enum OperationsError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Project(#[from] ProjectError),
}

impl OperationsError {
    fn invalid(field: impl Into<String>, message: impl Into<String>) -> OperationsError {
        OperationsError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Reads what runs, for every project. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Operations {
    projects: Projects,
    clouds: Clouds,
}

impl Operations {
    pub fn new(projects: Projects, clouds: Clouds) -> Operations {
        Operations { projects, clouds }
    }
}
