//! Incidents: at most one unresolved per rule and resource (a unique partial index), their state mirrored in a
//! column for the listing, the whole incident (times, timeline, what depends on it) in the body.

use super::db::{Store, StoreError, now};
use super::sql::args;
use crate::model::{Incident, IncidentState};

fn decode(body: &str) -> Result<Incident, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Decode {
        what: "incident",
        detail: e.to_string(),
    })
}

fn encode(incident: &Incident) -> Result<String, StoreError> {
    serde_json::to_string(incident).map_err(|e| StoreError::Decode {
        what: "incident",
        detail: e.to_string(),
    })
}

impl Store {
    /// Records a new incident unless one for the same rule and resource is unresolved; `false` when it was.
    pub fn open_incident(&self, incident: &Incident) -> Result<bool, StoreError> {
        let body = encode(incident)?;
        let at = now();
        let inserted = self.with(|c| {
            c.execute(
                "INSERT INTO incidents (id, project_id, dedup_key, state, body, opened_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT DO NOTHING",
                &args![
                    &incident.id,
                    &incident.project_id,
                    &incident.key(),
                    incident.state.as_str(),
                    &body,
                    at
                ],
            )
        })?;
        Ok(inserted == 1)
    }

    /// Writes the incident's new state, times and timeline.
    pub fn update_incident(&self, incident: &Incident) -> Result<(), StoreError> {
        let body = encode(incident)?;
        self.with(|c| {
            c.execute(
                "UPDATE incidents SET state = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
                &args![&incident.id, incident.state.as_str(), &body, now()],
            )
        })?;
        Ok(())
    }

    /// A project's incidents, newest first: the unresolved ones, or with `resolved` every one, up to `limit`.
    pub fn incidents(
        &self,
        project_id: &str,
        resolved: bool,
        limit: u32,
    ) -> Result<Vec<Incident>, StoreError> {
        let bodies = self.with(|c| {
            c.query(
                "SELECT body FROM incidents WHERE project_id = ?1 AND (?2 OR state <> ?3)
                 ORDER BY opened_at DESC, id DESC LIMIT ?4",
                &args![
                    project_id,
                    resolved,
                    IncidentState::Resolved.as_str(),
                    limit
                ],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<Vec<String>, StoreError>>()
        })?;
        bodies.iter().map(|b| decode(b)).collect()
    }

    pub fn incident(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        let body = self.with(|c| {
            c.query_opt("SELECT body FROM incidents WHERE id = ?1", &args![id])?
                .map(|r| r.text(0))
                .transpose()
        })?;
        body.map(|b| decode(&b)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Metric, Provider, ResourceKind};

    fn incident(id: &str) -> Incident {
        Incident {
            id: id.to_string(),
            project_id: "shop".into(),
            state: IncidentState::Open,
            rule: "cpu-high".into(),
            resource: "shop-web".into(),
            kind: ResourceKind::WebServer,
            provider: Provider::Aws,
            region: "us-east-1".into(),
            metric: Metric::CpuPercent,
            reason: "cpu_percent 97 above 80".into(),
            affects: vec!["shop-lb".into()],
            opened_at: "2026-12-03T16:00:00Z".into(),
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            timeline: vec![],
        }
    }

    /// On both backends: a second sighting of an unresolved incident is the same incident; once resolved, the
    /// rule firing again on the resource is a new one.
    #[test]
    fn one_unresolved_incident_per_rule_and_resource() {
        let store = Store::new(crate::store::testing::state("incidents", "dedup"));
        assert!(store.open_incident(&incident("inc-1")).unwrap());
        assert!(!store.open_incident(&incident("inc-2")).unwrap());
        let mut first = store.incident("inc-1").unwrap().unwrap();
        assert_eq!(store.incidents("shop", false, 10).unwrap().len(), 1);
        first.state = IncidentState::Resolved;
        store.update_incident(&first).unwrap();
        assert!(store.incidents("shop", false, 10).unwrap().is_empty());
        assert!(store.open_incident(&incident("inc-3")).unwrap());
        let all = store.incidents("shop", true, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert!(store.incident("inc-2").unwrap().is_none());
    }
}
