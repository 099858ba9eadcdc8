//! What each project owns: one row per resource name, recorded *intended* before the cloud call and *created*
//! (with the cloud id and record) after it, so a crash between the two is visible and can be reconciled.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::db::{Store, StoreError, now, rfc3339};
use super::sql::{Row, args};
use crate::model::{PlannedResource, Provider, ResourceKind, ResourceRecord};

/// Where a resource is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceState {
    /// Recorded before the cloud call; not yet confirmed.
    Intended,
    Created,
    /// The cloud call failed; nothing is known to exist.
    Failed,
    Deleted,
    /// Recorded as created but no longer found in the cloud.
    Gone,
}

impl ResourceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceState::Intended => "intended",
            ResourceState::Created => "created",
            ResourceState::Failed => "failed",
            ResourceState::Deleted => "deleted",
            ResourceState::Gone => "gone",
        }
    }

    fn parse(text: &str) -> Option<ResourceState> {
        [
            ResourceState::Intended,
            ResourceState::Created,
            ResourceState::Failed,
            ResourceState::Deleted,
            ResourceState::Gone,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether the resource exists (or may exist) in the cloud and costs money.
    pub fn is_live(self) -> bool {
        matches!(self, ResourceState::Intended | ResourceState::Created)
    }
}

/// A resource as the store knows it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StoredResource {
    pub name: String,
    pub kind: ResourceKind,
    pub provider: Provider,
    pub region: String,
    pub state: ResourceState,
    pub cloud_id: Option<String>,
    pub size: Option<String>,
    /// USD per month from the price catalog.
    pub monthly_cost: Option<f64>,
    pub endpoints: Vec<String>,
    /// The plan that created it (null when reconcile found it).
    pub plan_id: Option<String>,
    /// Created by rift (tagged managed-by=rift).
    pub managed: bool,
    /// Why the last operation on it failed.
    pub error: Option<String>,
    /// The operation under way on it (a resize or a delete), recorded before the cloud call.
    pub pending: Option<String>,
    pub updated_at: String,
    /// What was planned (kept for re-applies and resizes; not shown).
    #[serde(skip)]
    pub planned: Option<PlannedResource>,
    /// The cloud's last record of it.
    #[serde(skip)]
    pub record: Option<ResourceRecord>,
}

const COLUMNS: &str = "name, kind, provider, region, state, cloud_id, planned, record, monthly_cost, plan_id, \
                       managed, error, updated_at, pending";

impl Store {
    /// Records that `planned` is about to be created. Returns the existing row instead when it is already
    /// created (the caller skips it: re-applying never creates twice).
    pub fn record_intended(
        &self,
        project_id: &str,
        plan_id: Option<&str>,
        planned: &PlannedResource,
        monthly_cost: Option<f64>,
    ) -> Result<Option<StoredResource>, StoreError> {
        let body = json(planned, "planned resource")?;
        // Check and record in one transaction: two applies of the same plan cannot both decide to create. On
        // PostgreSQL the row may not exist yet, so nothing to lock: a transaction-scoped advisory lock on the
        // name serializes the check instead (SQLite's write transaction already excludes other writers).
        let shared = self.is_shared();
        let existing = self.transaction(|tx| {
            if shared {
                tx.query(
                    "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
                    &args![format!("rift-resource:{project_id}/{}", planned.name)],
                )?;
            }
            let sql = format!("SELECT {COLUMNS} FROM resources WHERE project_id = ?1 AND name = ?2");
            let existing = tx.query_opt(&sql, &args![project_id, &planned.name])?;
            let blocks = match &existing {
                Some(row) => {
                    row.text(4)? == ResourceState::Created.as_str()
                        || row.text(1)? != planned.kind.as_str()
                        || row.text(2)? != planned.provider.as_str()
                }
                None => false,
            };
            if !blocks {
                tx.execute(
                    "INSERT INTO resources (project_id, name, plan_id, kind, provider, region, state, planned,
                                            monthly_cost, managed, intended_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'intended', ?7, ?8, TRUE, ?9, ?9)
                     ON CONFLICT (project_id, name) DO UPDATE SET
                         plan_id = excluded.plan_id, region = excluded.region, state = 'intended',
                         planned = excluded.planned, monthly_cost = excluded.monthly_cost, error = NULL,
                         intended_at = excluded.intended_at, updated_at = excluded.updated_at",
                    &args![
                        project_id,
                        &planned.name,
                        plan_id,
                        planned.kind.as_str(),
                        planned.provider.as_str(),
                        &planned.region,
                        &body,
                        monthly_cost,
                        now()
                    ],
                )?;
                tx.execute(
                    "INSERT INTO creations (project_id, name, at) VALUES (?1, ?2, ?3)",
                    &args![project_id, &planned.name, now()],
                )?;
            }
            Ok(existing.filter(|_| blocks))
        })?;
        let Some(existing) = existing.as_ref().map(decode).transpose()? else {
            return Ok(None);
        };
        if existing.state == ResourceState::Created
            && existing.provider == planned.provider
            && existing.kind == planned.kind
        {
            return Ok(Some(existing));
        }
        Err(StoreError::Conflict(format!(
            "project {project_id} already has a {} {} named {}; choose another name",
            existing.provider, existing.kind, planned.name
        )))
    }

    /// The cloud confirmed the resource.
    pub fn mark_created(
        &self,
        project_id: &str,
        name: &str,
        record: &ResourceRecord,
    ) -> Result<(), StoreError> {
        let body = json(record, "resource record")?;
        self.with(|c| {
            c.execute(
                "UPDATE resources SET state = 'created', cloud_id = ?3, record = ?4, error = NULL, pending = NULL,
                        monthly_cost = coalesce(?5, monthly_cost), updated_at = ?6
                 WHERE project_id = ?1 AND name = ?2",
                &args![
                    project_id,
                    name,
                    &record.cloud_id,
                    &body,
                    record.monthly_cost,
                    now()
                ],
            )
        })?;
        Ok(())
    }

    /// A fresh record from the cloud (after a resize or a refresh), with its cost.
    pub fn update_record(
        &self,
        project_id: &str,
        name: &str,
        record: &ResourceRecord,
    ) -> Result<(), StoreError> {
        self.mark_created(project_id, name, record)
    }

    /// What rift now intends the resource to be (after a resize), so the next change prices it right.
    pub fn set_planned(
        &self,
        project_id: &str,
        name: &str,
        planned: &PlannedResource,
    ) -> Result<(), StoreError> {
        let body = json(planned, "planned resource")?;
        self.with(|c| {
            c.execute(
                "UPDATE resources SET planned = ?3, updated_at = ?4 WHERE project_id = ?1 AND name = ?2",
                &args![project_id, name, &body, now()],
            )
        })?;
        Ok(())
    }

    pub fn mark_failed(&self, project_id: &str, name: &str, error: &str) -> Result<(), StoreError> {
        self.set_state(project_id, name, ResourceState::Failed, Some(error))
    }

    pub fn mark_deleted(&self, project_id: &str, name: &str) -> Result<(), StoreError> {
        self.set_state(project_id, name, ResourceState::Deleted, None)
    }

    pub fn mark_gone(&self, project_id: &str, name: &str) -> Result<(), StoreError> {
        self.set_state(project_id, name, ResourceState::Gone, None)
    }

    /// Records the operation about to run on a resource (before its cloud call), or clears it (after).
    pub fn set_pending(
        &self,
        project_id: &str,
        name: &str,
        pending: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE resources SET pending = ?3, updated_at = ?4 WHERE project_id = ?1 AND name = ?2",
                &args![project_id, name, pending, now()],
            )
        })?;
        Ok(())
    }

    fn set_state(
        &self,
        project_id: &str,
        name: &str,
        state: ResourceState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE resources SET state = ?3, error = ?4, updated_at = ?5, pending = NULL,
                        monthly_cost = CASE WHEN ?3 IN ('failed', 'deleted', 'gone') THEN 0 ELSE monthly_cost END
                 WHERE project_id = ?1 AND name = ?2",
                &args![project_id, name, state.as_str(), error, now()],
            )
        })?;
        Ok(())
    }

    /// A resource rift did not create, recorded in the project as adopted: created, unmanaged, with the planned
    /// resource it stands for. False when the project already has a resource of that name.
    pub fn adopt(
        &self,
        project_id: &str,
        planned: &PlannedResource,
        record: &ResourceRecord,
    ) -> Result<bool, StoreError> {
        let body = json(record, "resource record")?;
        let plan = json(planned, "planned resource")?;
        let inserted = self.with(|c| {
            let at = now();
            c.execute(
                "INSERT INTO resources (project_id, name, kind, provider, region, state, cloud_id, planned, record,
                                        monthly_cost, managed, intended_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'created', ?6, ?7, ?8, ?9, ?10, ?11, ?11)
                 ON CONFLICT (project_id, name) DO NOTHING",
                &args![
                    project_id,
                    &planned.name,
                    record.kind.as_str(),
                    record.provider.as_str(),
                    &record.region,
                    &record.cloud_id,
                    &plan,
                    &body,
                    record.monthly_cost,
                    false,
                    at
                ],
            )
        })?;
        Ok(inserted == 1)
    }

    /// Every cloud id any project records, whatever its state (what rift created, and what it adopted).
    pub fn recorded_cloud_ids(&self) -> Result<std::collections::BTreeSet<String>, StoreError> {
        self.with(|c| {
            c.query(
                "SELECT cloud_id FROM resources WHERE cloud_id IS NOT NULL",
                &[],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect()
        })
    }

    /// The project (and the name there) that holds a live resource with this cloud id, if any.
    pub fn owner_of(&self, cloud_id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.with(|c| {
            c.query_opt(
                "SELECT project_id, name FROM resources
                 WHERE cloud_id = ?1 AND state IN ('intended', 'created') LIMIT 1",
                &args![cloud_id],
            )?
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .transpose()
        })
    }

    /// A tagged resource found in the cloud that the store did not know (or knew only as intended).
    pub fn record_discovered(
        &self,
        project_id: &str,
        record: &ResourceRecord,
    ) -> Result<(), StoreError> {
        let body = json(record, "resource record")?;
        self.with(|c| {
            let at = now();
            c.execute(
                "INSERT INTO resources (project_id, name, kind, provider, region, state, cloud_id, record,
                                        monthly_cost, managed, intended_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'created', ?6, ?7, ?8, ?9, ?10, ?10)
                 ON CONFLICT (project_id, name) DO UPDATE SET
                     state = 'created', cloud_id = excluded.cloud_id, record = excluded.record, error = NULL,
                     monthly_cost = coalesce(excluded.monthly_cost, resources.monthly_cost),
                     updated_at = excluded.updated_at",
                &args![
                    project_id,
                    &record.name,
                    record.kind.as_str(),
                    record.provider.as_str(),
                    &record.region,
                    &record.cloud_id,
                    &body,
                    record.monthly_cost,
                    record.managed_by_rift(),
                    at
                ],
            )
        })?;
        Ok(())
    }

    pub fn resource(
        &self,
        project_id: &str,
        name: &str,
    ) -> Result<Option<StoredResource>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM resources WHERE project_id = ?1 AND name = ?2");
        let row = self.with(|c| c.query_opt(&sql, &args![project_id, name]))?;
        row.as_ref().map(decode).transpose()
    }

    /// Every resource of the project, in the order they were first recorded.
    pub fn resources(&self, project_id: &str) -> Result<Vec<StoredResource>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM resources WHERE project_id = ?1 ORDER BY intended_at, rowid"
        );
        let rows = self.with(|c| c.query(&sql, &args![project_id]))?;
        rows.iter().map(decode).collect()
    }

    /// Creations started in the project since `since` (Unix seconds), each retry and re-creation counted: what
    /// the hourly cap counts.
    pub fn creations_since(&self, project_id: &str, since: i64) -> Result<u32, StoreError> {
        let n = self.with(|c| {
            c.query_one(
                "SELECT count(*) FROM creations WHERE project_id = ?1 AND at >= ?2",
                &args![project_id, since],
            )?
            .int(0)
        })?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

/// A row of [`COLUMNS`].
fn decode(row: &Row) -> Result<StoredResource, StoreError> {
    let (name, kind, provider, region, state) = (
        row.text(0)?,
        row.text(1)?,
        row.text(2)?,
        row.text(3)?,
        row.text(4)?,
    );
    let (cloud_id, planned, record, cost, plan_id) = (
        row.opt_text(5)?,
        row.opt_text(6)?,
        row.opt_text(7)?,
        row.opt_real(8)?,
        row.opt_text(9)?,
    );
    let (managed, error, at, pending) = (
        row.bool(10)?,
        row.opt_text(11)?,
        row.int(12)?,
        row.opt_text(13)?,
    );
    let bad = |what: &'static str, detail: String| StoreError::Decode { what, detail };
    let planned: Option<PlannedResource> = planned
        .map(|p| serde_json::from_str(&p))
        .transpose()
        .map_err(|e| bad("planned resource", e.to_string()))?;
    let record: Option<ResourceRecord> = record
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| bad("resource record", e.to_string()))?;
    let quoted = |s: &str| serde_json::Value::String(s.to_string());
    Ok(StoredResource {
        kind: serde_json::from_value(quoted(&kind)).map_err(|e| bad("kind", e.to_string()))?,
        provider: serde_json::from_value(quoted(&provider))
            .map_err(|e| bad("provider", e.to_string()))?,
        state: ResourceState::parse(&state).ok_or_else(|| bad("state", state.clone()))?,
        size: record
            .as_ref()
            .and_then(|r| r.size.clone())
            .or_else(|| planned.as_ref().and_then(|p| p.size.clone())),
        endpoints: record
            .as_ref()
            .map(|r| r.endpoints.clone())
            .unwrap_or_default(),
        name,
        region,
        cloud_id,
        monthly_cost: cost,
        plan_id,
        managed,
        error,
        pending,
        updated_at: rfc3339(at),
        planned,
        record,
    })
}

fn json<T: Serialize>(value: &T, what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Decode {
        what,
        detail: e.to_string(),
    })
}
