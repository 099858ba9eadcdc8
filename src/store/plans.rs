//! Plans, by id. Plan ids are derived from the request, so storing the same plan twice keeps one row (and its
//! first creation time).

use super::db::{Store, StoreError, now};
use super::sql::args;
use crate::model::Plan;

impl Store {
    pub fn insert_plan(&self, plan: &Plan) -> Result<(), StoreError> {
        let body = serde_json::to_string(plan).map_err(|e| StoreError::Decode {
            what: "plan",
            detail: e.to_string(),
        })?;
        self.with(|c| {
            c.execute(
                "INSERT INTO plans (id, body, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                &args![&plan.plan_id, &body, now()],
            )
        })?;
        Ok(())
    }

    pub fn plan(&self, id: &str) -> Result<Option<Plan>, StoreError> {
        let body = self.with(|c| {
            c.query_opt("SELECT body FROM plans WHERE id = ?1", &args![id])?
                .map(|r| r.text(0))
                .transpose()
        })?;
        body.map(|b| {
            serde_json::from_str(&b).map_err(|e| StoreError::Decode {
                what: "plan",
                detail: e.to_string(),
            })
        })
        .transpose()
    }

    /// The keys of up to `limit` plans, newest first, starting after `after` when given.
    pub fn plan_keys(
        &self,
        after: Option<&PlanKey>,
        limit: usize,
    ) -> Result<Vec<PlanKey>, StoreError> {
        let (at, id) = after.map_or((i64::MAX, String::new()), |k| (k.created_at, k.id.clone()));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.with(|c| {
            c.query(
                "SELECT created_at, id FROM plans
                 WHERE created_at < ?1 OR (created_at = ?1 AND id < ?2)
                 ORDER BY created_at DESC, id DESC LIMIT ?3",
                &args![at, &id, limit],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(PlanKey {
                    created_at: r.int(0)?,
                    id: r.text(1)?,
                })
            })
            .collect()
    }
}

/// Where a plan sits in the newest-first listing: when it was first stored, then its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlanKey {
    pub created_at: i64,
    pub id: String,
}
