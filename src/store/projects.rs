//! Projects as stored: one JSON body per project id, timestamps in their own columns.

use super::db::{Store, StoreError, now, rfc3339};
use crate::model::Project;
use rusqlite::{OptionalExtension, params};

impl Store {
    /// Adds a new project; an existing id is a conflict.
    pub fn insert_project(&self, project: &Project) -> Result<(), StoreError> {
        let body = encode(project)?;
        let inserted = self.with(|c| {
            let at = now();
            c.execute(
                "INSERT OR IGNORE INTO projects (id, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
                params![project.id, body, at],
            )
        })?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "a project named \"{}\" exists already; use get_project or update_project, or choose another name",
                project.id
            )));
        }
        Ok(())
    }

    /// Replaces a project's settings.
    pub fn update_project(&self, project: &Project) -> Result<(), StoreError> {
        let body = encode(project)?;
        let updated = self.with(|c| {
            c.execute(
                "UPDATE projects SET body = ?2, updated_at = ?3 WHERE id = ?1",
                params![project.id, body, now()],
            )
        })?;
        if updated == 0 {
            return Err(unknown_project(&project.id));
        }
        Ok(())
    }

    pub fn project(&self, id: &str) -> Result<Option<Project>, StoreError> {
        let row: Option<(String, i64, i64)> = self.with(|c| {
            c.query_row(
                "SELECT body, created_at, updated_at FROM projects WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })?;
        row.map(|(body, created, updated)| decode(&body, created, updated))
            .transpose()
    }

    /// The project, or an error that says how to find the valid ids.
    pub fn require_project(&self, id: &str) -> Result<Project, StoreError> {
        self.project(id)?.ok_or_else(|| unknown_project(id))
    }

    pub fn projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows: Vec<(String, i64, i64)> = self.with(|c| {
            let mut stmt =
                c.prepare("SELECT body, created_at, updated_at FROM projects ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })?;
        rows.into_iter()
            .map(|(body, created, updated)| decode(&body, created, updated))
            .collect()
    }
}

fn unknown_project(id: &str) -> StoreError {
    StoreError::Conflict(format!(
        "no project \"{id}\"; list_projects shows the existing ones, create_project makes one"
    ))
}

/// Timestamps live in their own columns; the body holds the settings.
fn encode(project: &Project) -> Result<String, StoreError> {
    serde_json::to_string(project).map_err(|e| StoreError::Decode {
        what: "project",
        detail: e.to_string(),
    })
}

fn decode(body: &str, created: i64, updated: i64) -> Result<Project, StoreError> {
    let mut project: Project = serde_json::from_str(body).map_err(|e| StoreError::Decode {
        what: "project",
        detail: e.to_string(),
    })?;
    project.created_at = rfc3339(created);
    project.updated_at = rfc3339(updated);
    Ok(project)
}
