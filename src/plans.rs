//! The plans rift has made, by id: this process's kept in memory as well as in the store, so the offline tools
//! keep working (with a warning in the log) when the state file cannot be written, and every stored plan —
//! including those of earlier processes — readable and listed newest first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};

use crate::model::Plan;
use crate::store::{PlanKey, Store, StoreError, now};

/// Plans kept in memory; the oldest is forgotten first, so a long-running server cannot grow without bound.
const CAPACITY: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum PlansError {
    #[error("plan_id: unknown plan {id} (recent plans: {recent}); call plan_deployment first")]
    Unknown { id: String, recent: String },
    #[error("invalid cursor {0}: pass the next_cursor of the previous page")]
    Cursor(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One page of plan ids, newest first, and the cursor of the next page when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPage {
    pub ids: Vec<String>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Plans {
    store: Store,
    recent: Arc<RwLock<Recent>>,
}

/// This process's plans by id, and their keys oldest first (which one to forget when full).
#[derive(Debug, Default)]
struct Recent {
    plans: HashMap<String, (PlanKey, Plan)>,
    order: VecDeque<String>,
}

impl Plans {
    pub fn new(store: Store) -> Plans {
        Plans {
            store,
            recent: Arc::default(),
        }
    }

    pub fn insert(&self, plan: Plan) {
        if let Err(e) = self.store.insert_plan(&plan) {
            tracing::warn!("plan {} kept in memory only: {e}", plan.plan_id);
        }
        let Ok(mut recent) = self.recent.write() else {
            return;
        };
        if let Some(entry) = recent.plans.get_mut(&plan.plan_id) {
            entry.1 = plan;
            return;
        }
        let key = PlanKey {
            created_at: now(),
            id: plan.plan_id.clone(),
        };
        recent.order.push_back(key.id.clone());
        recent.plans.insert(key.id.clone(), (key, plan));
        while recent.order.len() > CAPACITY {
            if let Some(oldest) = recent.order.pop_front() {
                recent.plans.remove(&oldest);
            }
        }
    }

    /// A plan made earlier by `plan_deployment` (or another tool that plans), by id.
    pub fn get(&self, id: &str) -> Result<Plan, PlansError> {
        if let Some(plan) = self
            .recent
            .read()
            .ok()
            .and_then(|recent| recent.plans.get(id).map(|(_, p)| p.clone()))
        {
            return Ok(plan);
        }
        match self.store.plan(id) {
            Ok(Some(plan)) => Ok(plan),
            Ok(None) => Err(self.unknown(id)),
            Err(e) => {
                tracing::warn!("could not read plan {id} from the store: {e}");
                Err(self.unknown(id))
            }
        }
    }

    fn unknown(&self, id: &str) -> PlansError {
        let recent = match self.page(None, 5) {
            Ok(page) if !page.ids.is_empty() => page.ids.join(", "),
            _ => "none yet".to_string(),
        };
        // An id is the caller's text: shown short, and with any secret in it masked.
        PlansError::Unknown {
            id: crate::model::quote(&crate::config::redact(id)),
            recent,
        }
    }

    /// Plan ids newest first, `limit` at a time, from the store (every process's plans); from memory when the
    /// store cannot be read. The cursor is a position (`<created_at>.<id>`), so plans made while a client pages
    /// neither repeat nor shift what it has not read yet.
    pub fn page(&self, cursor: Option<&str>, limit: usize) -> Result<PlanPage, PlansError> {
        let after = cursor.map(parse_cursor).transpose()?;
        // One more than a page tells whether there is a next one.
        let keys = match self.store.plan_keys(after.as_ref(), limit + 1) {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!("listing this process's plans only: {e}");
                self.recent_keys(after.as_ref(), limit + 1)
            }
        };
        let next_cursor = (keys.len() > limit)
            .then(|| keys.get(limit - 1).map(format_cursor))
            .flatten();
        Ok(PlanPage {
            ids: keys.into_iter().take(limit).map(|k| k.id).collect(),
            next_cursor,
        })
    }

    fn recent_keys(&self, after: Option<&PlanKey>, limit: usize) -> Vec<PlanKey> {
        let Ok(recent) = self.recent.read() else {
            return Vec::new();
        };
        let mut keys: Vec<PlanKey> = recent
            .plans
            .values()
            .map(|(k, _)| k.clone())
            .filter(|k| after.is_none_or(|a| k < a))
            .collect();
        keys.sort_by(|a, b| b.cmp(a));
        keys.truncate(limit);
        keys
    }
}

fn format_cursor(key: &PlanKey) -> String {
    format!("{}.{}", key.created_at, key.id)
}

fn parse_cursor(cursor: &str) -> Result<PlanKey, PlansError> {
    cursor
        .split_once('.')
        .and_then(|(at, id)| {
            Some(PlanKey {
                created_at: at.parse().ok()?,
                id: id.to_string(),
            })
        })
        .filter(|key| !key.id.is_empty())
        .ok_or_else(|| PlansError::Cursor(crate::model::quote(cursor)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_named() {
        let key = PlanKey {
            created_at: 1_700_000_000,
            id: "shop-1a2b".to_string(),
        };
        assert_eq!(parse_cursor(&format_cursor(&key)).unwrap(), key);
        for bad in ["", "12", "x.y", "12.", ".id"] {
            let e = parse_cursor(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid cursor"), "{e}");
        }
    }
}
