//! `list_alerts`: a project's rules and the alarms its clouds hold for them, from the store (no cloud is asked,
//! so the answer stands when a cloud is unreachable).

use serde::Serialize;

use super::{Operations, OperationsError};
use crate::model::AlertRule;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AlertsReport {
    pub project_id: String,
    pub alerts: Vec<AlertRule>,
}

impl Operations {
    pub fn alerts(&self, project_id: &str) -> Result<AlertsReport, OperationsError> {
        let project = self.projects.get(project_id)?;
        Ok(AlertsReport {
            alerts: self.store.alert_rules(&project.id)?,
            project_id: project.id,
        })
    }
}
