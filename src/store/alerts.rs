//! Alert rules by project and name, with the cloud alarms made for them: what a project knows of its alerts
//! without asking a cloud.

use super::db::{Store, StoreError, now};
use super::sql::args;
use crate::model::AlertRule;

fn decode(body: &str) -> Result<AlertRule, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Decode {
        what: "alert rule",
        detail: e.to_string(),
    })
}

impl Store {
    /// Records the rule, replacing one of the same name (a re-run of the same create records its alarms).
    pub fn put_alert_rule(&self, rule: &AlertRule) -> Result<(), StoreError> {
        let body = serde_json::to_string(rule).map_err(|e| StoreError::Decode {
            what: "alert rule",
            detail: e.to_string(),
        })?;
        self.with(|c| {
            c.execute(
                "INSERT INTO alert_rules (project_id, name, body, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (project_id, name) DO UPDATE SET body = excluded.body",
                &args![&rule.project_id, &rule.name, &body, now()],
            )
        })?;
        Ok(())
    }

    /// A project's rules by name.
    pub fn alert_rules(&self, project_id: &str) -> Result<Vec<AlertRule>, StoreError> {
        let bodies = self.with(|c| {
            c.query(
                "SELECT body FROM alert_rules WHERE project_id = ?1 ORDER BY name",
                &args![project_id],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<Vec<String>, StoreError>>()
        })?;
        bodies.iter().map(|b| decode(b)).collect()
    }

    pub fn alert_rule(
        &self,
        project_id: &str,
        name: &str,
    ) -> Result<Option<AlertRule>, StoreError> {
        let body = self.with(|c| {
            c.query_opt(
                "SELECT body FROM alert_rules WHERE project_id = ?1 AND name = ?2",
                &args![project_id, name],
            )?
            .map(|r| r.text(0))
            .transpose()
        })?;
        body.map(|b| decode(&b)).transpose()
    }

    pub fn delete_alert_rule(&self, project_id: &str, name: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM alert_rules WHERE project_id = ?1 AND name = ?2",
                &args![project_id, name],
            )
        })?;
        Ok(())
    }
}
