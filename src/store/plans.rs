//! Plans, by id. Plan ids are derived from the request, so storing the same plan twice keeps one row.
//!
//! [`PlanStore`] is what the planning and pricing tools use: plans of this process stay in memory as well, so
//! those offline tools keep working (with a warning in the log) when the state file cannot be written.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};

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
}

/// Plans kept in memory; the oldest is forgotten first, so a long-running server cannot grow without bound.
const CAPACITY: usize = 1_000;

/// Plans made by this process (in memory) written through to the store, and plans of earlier processes read
/// from it.
#[derive(Debug, Clone)]
pub struct PlanStore {
    store: Store,
    inner: Arc<RwLock<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    plans: HashMap<String, Plan>,
    order: VecDeque<String>,
}

impl PlanStore {
    pub fn new(store: Store) -> PlanStore {
        PlanStore {
            store,
            inner: Arc::default(),
        }
    }

    pub fn insert(&self, plan: Plan) {
        if let Err(e) = self.store.insert_plan(&plan) {
            tracing::warn!("plan {} kept in memory only: {e}", plan.plan_id);
        }
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        let id = plan.plan_id.clone();
        if inner.plans.insert(id.clone(), plan).is_none() {
            inner.order.push_back(id);
        }
        while inner.order.len() > CAPACITY {
            if let Some(oldest) = inner.order.pop_front() {
                inner.plans.remove(&oldest);
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<Plan> {
        if let Some(plan) = self
            .inner
            .read()
            .ok()
            .and_then(|i| i.plans.get(id).cloned())
        {
            return Some(plan);
        }
        match self.store.plan(id) {
            Ok(plan) => plan,
            Err(e) => {
                tracing::warn!("could not read plan {id} from the store: {e}");
                None
            }
        }
    }

    /// Ids of the plans made by this process, oldest first.
    pub fn ids(&self) -> Vec<String> {
        self.inner
            .read()
            .map(|inner| inner.order.iter().cloned().collect())
            .unwrap_or_default()
    }
}
