//! Operations across both clouds on what a project holds: its metrics under one vocabulary (metrics.rs), its
//! alert rules as stored (alerts.rs), the incidents they raise (incidents.rs), and what runs that no project
//! manages (discover.rs). Creating and deleting alarms
//! and remediating reach the clouds through the change workflow (crate::change).

mod alerts;
mod discover;
mod incidents;
mod metrics;

pub use alerts::AlertsReport;
pub use discover::{DiscoverRequest, Discovery, FoundResource};
pub use incidents::{IncidentAnswer, IncidentsReport};
pub use metrics::{MetricReading, MetricsReport, MetricsRequest, ResourceMetrics};

use crate::cloud::Clouds;
use crate::project::{ProjectError, Projects};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OperationsError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Store(#[from] StoreError),
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
    store: Store,
    clouds: Clouds,
}

impl Operations {
    pub fn new(projects: Projects, store: Store, clouds: Clouds) -> Operations {
        Operations {
            projects,
            store,
            clouds,
        }
    }
}
