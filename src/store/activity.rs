//! The append-only activity log: who asked what, the verdict, what was created or deleted. Triggers in the
//! schema refuse updates and deletes.

use schemars::JsonSchema;
use serde::Serialize;

use super::db::{Store, StoreError, now, rfc3339};
use super::sql::args;

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Activity {
    pub at: String,
    /// Who asked: the user of a per-user HTTP token and the MCP client's declared name, `alice (claude-ai)`.
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
                &args![now(), project_id, client, tool, action, outcome, detail],
            )
        })?;
        Ok(())
    }

    /// The project's most recent entries, newest first.
    pub fn activity(&self, project_id: &str, limit: u32) -> Result<Vec<Activity>, StoreError> {
        self.with(|c| {
            c.query(
                "SELECT at, client, tool, action, outcome, detail FROM activity WHERE project_id = ?1
                 ORDER BY id DESC LIMIT ?2",
                &args![project_id, limit],
            )?
            .iter()
            .map(|r| {
                Ok(Activity {
                    at: rfc3339(r.int(0)?),
                    client: r.opt_text(1)?,
                    tool: r.text(2)?,
                    action: r.text(3)?,
                    outcome: r.text(4)?,
                    detail: r.text(5)?,
                })
            })
            .collect()
        })
    }
}
