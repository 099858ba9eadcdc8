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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(id: &str) -> Plan {
        Plan {
            plan_id: id.to_string(),
            name: "shop".into(),
            providers: vec![],
            resources: vec![],
            warnings: vec![],
        }
    }

    /// On both backends: newest first (ties by id), a page at a time from a key, none repeated or skipped.
    #[test]
    fn plan_keys_page_newest_first_from_a_position() {
        let store = Store::new(crate::store::testing::state("plans", "keys"));
        // Inserted oldest first, so a second boundary between two inserts keeps the expected order.
        for id in ["plan-a", "plan-b", "plan-c"] {
            store.insert_plan(&plan(id)).unwrap();
        }
        let first = store.plan_keys(None, 2).unwrap();
        let ids: Vec<&str> = first.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["plan-c", "plan-b"]);
        let rest = store.plan_keys(first.last(), 2).unwrap();
        assert_eq!(
            rest.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            ["plan-a"]
        );
        assert!(store.plan_keys(rest.last(), 2).unwrap().is_empty());
    }
}
