//! Plans made in this process, by id, shared by every session of the server.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};

use crate::model::Plan;

/// Plans kept; the oldest is forgotten first, so a long-running server cannot grow without bound.
const CAPACITY: usize = 1_000;

#[derive(Debug, Clone, Default)]
pub struct PlanStore {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    plans: HashMap<String, Plan>,
    order: VecDeque<String>,
}

impl PlanStore {
    pub fn insert(&self, plan: Plan) {
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
        self.inner.read().ok()?.plans.get(id).cloned()
    }

    /// Ids of the stored plans, oldest first.
    pub fn ids(&self) -> Vec<String> {
        self.inner
            .read()
            .map(|inner| inner.order.iter().cloned().collect())
            .unwrap_or_default()
    }
}
