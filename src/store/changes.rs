//! Changes as they run and after: one row per approved change with its state, the steps it takes, its progress
//! and outcome. The process running a change keeps its heartbeat fresh, so another process (or a restart) can
//! tell a running change from one whose process ended.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::db::{Store, StoreError, now, rfc3339};
use super::sql::{Row, args};
use crate::model::Micros;

/// Where a change is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeState {
    Running,
    /// Everything it set out to do is done.
    Succeeded,
    /// Some steps were done, others failed or were skipped: see `steps`.
    Partial,
    /// Nothing was done.
    Failed,
    Cancelled,
    /// The rift process running it ended first; re-running the same call finishes it (nothing is done twice).
    Interrupted,
}

impl ChangeState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Running => "running",
            ChangeState::Succeeded => "succeeded",
            ChangeState::Partial => "partial",
            ChangeState::Failed => "failed",
            ChangeState::Cancelled => "cancelled",
            ChangeState::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Option<ChangeState> {
        [
            ChangeState::Running,
            ChangeState::Succeeded,
            ChangeState::Partial,
            ChangeState::Failed,
            ChangeState::Cancelled,
            ChangeState::Interrupted,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        self != ChangeState::Running
    }
}

/// A change as stored and shown by `get_change`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChangeRecord {
    pub change_id: String,
    pub project_id: String,
    /// The tool that asked for it.
    pub tool: String,
    pub state: ChangeState,
    /// What it does, one line per resource; after it ran, what happened to each.
    pub steps: Vec<String>,
    pub message: String,
    /// The latest progress message while it runs.
    pub progress: String,
    /// USD per month the change added (negative when it removed cost), counting only what was done.
    pub monthly_cost_delta: f64,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// Internal: the process running it, and when that process last said it still does.
    #[serde(skip)]
    pub owner: String,
    #[serde(skip)]
    pub heartbeat_at: i64,
}

const COLUMNS: &str = "id, project_id, tool, state, steps, message, progress, cost_delta_micros, owner, \
                       started_at, heartbeat_at, finished_at";

impl Store {
    /// Records a change that starts now, owned by `owner` (the process running it).
    pub fn insert_change(
        &self,
        id: &str,
        project_id: &str,
        tool: &str,
        steps: &[String],
        client: Option<&str>,
        owner: &str,
    ) -> Result<(), StoreError> {
        let steps = encode_steps(steps)?;
        self.with(|c| {
            let at = now();
            c.execute(
                "INSERT INTO changes (id, project_id, tool, state, steps, message, client, owner, started_at,
                                      heartbeat_at)
                 VALUES (?1, ?2, ?3, 'running', ?4, 'started', ?5, ?6, ?7, ?7)",
                &args![id, project_id, tool, &steps, client, owner, at],
            )
        })?;
        Ok(())
    }

    /// The latest progress of a running change; also its heartbeat.
    pub fn change_progress(&self, id: &str, progress: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE changes SET progress = ?2, heartbeat_at = ?3 WHERE id = ?1 AND state = 'running'",
                &args![id, progress, now()],
            )
        })?;
        Ok(())
    }

    /// The process running the change is alive.
    pub fn change_heartbeat(&self, id: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE changes SET heartbeat_at = ?2 WHERE id = ?1 AND state = 'running'",
                &args![id, now()],
            )
        })?;
        Ok(())
    }

    /// The change ended: its state, what happened to each step, and the cost it added.
    pub fn finish_change(
        &self,
        id: &str,
        state: ChangeState,
        steps: &[String],
        message: &str,
        cost_delta_micros: i64,
    ) -> Result<(), StoreError> {
        let steps = encode_steps(steps)?;
        self.with(|c| {
            c.execute(
                "UPDATE changes SET state = ?2, steps = ?3, message = ?4, cost_delta_micros = ?5, finished_at = ?6,
                        heartbeat_at = ?6
                 WHERE id = ?1 AND state = 'running'",
                &args![id, state.as_str(), &steps, message, cost_delta_micros, now()],
            )
        })?;
        Ok(())
    }

    /// Every change recorded as running (by this process or another).
    pub fn running_changes(&self) -> Result<Vec<ChangeRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM changes WHERE state = 'running'");
        let rows = self.with(|c| c.query(&sql, &[]))?;
        rows.iter().map(decode).collect()
    }

    /// A running change whose process ended: marked interrupted (once; a finished change is left as it is).
    pub fn interrupt_change(&self, id: &str, message: &str) -> Result<bool, StoreError> {
        let changed = self.with(|c| {
            c.execute(
                "UPDATE changes SET state = 'interrupted', message = ?2, finished_at = ?3
                 WHERE id = ?1 AND state = 'running'",
                &args![id, message, now()],
            )
        })?;
        Ok(changed == 1)
    }

    pub fn change(&self, id: &str) -> Result<Option<ChangeRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM changes WHERE id = ?1");
        let row = self.with(|c| c.query_opt(&sql, &args![id]))?;
        row.as_ref().map(decode).transpose()
    }

    /// The project's latest changes, newest first.
    pub fn changes(&self, project_id: &str, limit: u32) -> Result<Vec<ChangeRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM changes WHERE project_id = ?1 ORDER BY started_at DESC, rowid DESC LIMIT ?2"
        );
        let rows = self.with(|c| c.query(&sql, &args![project_id, limit]))?;
        rows.iter().map(decode).collect()
    }
}

/// A row of [`COLUMNS`].
fn decode(row: &Row) -> Result<ChangeRecord, StoreError> {
    let (id, project_id, tool, state, steps, message, progress) = (
        row.text(0)?,
        row.text(1)?,
        row.text(2)?,
        row.text(3)?,
        row.text(4)?,
        row.text(5)?,
        row.text(6)?,
    );
    let (micros, owner, started, beat, finished) = (
        row.int(7)?,
        row.text(8)?,
        row.int(9)?,
        row.int(10)?,
        row.opt_int(11)?,
    );
    let bad = |what: &'static str, detail: String| StoreError::Decode { what, detail };
    Ok(ChangeRecord {
        state: ChangeState::parse(&state).ok_or_else(|| bad("change state", state.clone()))?,
        steps: serde_json::from_str(&steps).map_err(|e| bad("change steps", e.to_string()))?,
        change_id: id,
        project_id,
        tool,
        message,
        progress,
        monthly_cost_delta: Micros(micros).round_to_cents().dollars() + 0.0,
        started_at: rfc3339(started),
        finished_at: finished.map(rfc3339),
        owner,
        heartbeat_at: beat,
    })
}

fn encode_steps(steps: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(steps).map_err(|e| StoreError::Decode {
        what: "change steps",
        detail: e.to_string(),
    })
}
