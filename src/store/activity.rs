//! The append-only activity log: who asked what, the verdict, what was created or deleted. Triggers in the
//! schema refuse updates and deletes.

use rusqlite::params;
use schemars::JsonSchema;
use serde::Serialize;

use super::db::{Store, StoreError, now, rfc3339};

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Activity {
    pub at: String,
    /// The MCP client that asked (its declared name).
    pub client: Option<String>,
    pub tool: String,
    /// preview, execute, create, delete, resize, reconcile, update.
    pub action: String,
    /// What happened: allowed, refused, created, failed, ...
    pub outcome: String,
    pub detail: String,
}

impl Store {
    pub fn log(
        &self,
        project_id: Option<&str>,
        client: Option<&str>,
        tool: &str,
        action: &str,
        outcome: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO activity (at, project_id, client, tool, action, outcome, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![now(), project_id, client, tool, action, outcome, detail],
            )
        })?;
        Ok(())
    }

    /// The project's most recent entries, newest first.
    pub fn activity(&self, project_id: &str, limit: u32) -> Result<Vec<Activity>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT at, client, tool, action, outcome, detail FROM activity WHERE project_id = ?1
                 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![project_id, limit], |r| {
                Ok(Activity {
                    at: rfc3339(r.get(0)?),
                    client: r.get(1)?,
                    tool: r.get(2)?,
                    action: r.get(3)?,
                    outcome: r.get(4)?,
                    detail: r.get(5)?,
                })
            })?;
            rows.collect()
        })
    }
}
