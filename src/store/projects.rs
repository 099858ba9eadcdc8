//! Projects as stored: one JSON body per project id, timestamps in their own columns.

use super::db::{Store, StoreError, now, rfc3339};
use super::sql::{Row, args};
use crate::model::Project;

impl Store {
    /// Adds a new project; an existing id is a conflict.
    pub fn insert_project(&self, project: &Project) -> Result<(), StoreError> {
        let body = encode(project)?;
        let inserted = self.with(|c| {
            let at = now();
            c.execute(
                "INSERT INTO projects (id, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (id) DO NOTHING",
                &args![&project.id, &body, at],
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
                &args![&project.id, &body, now()],
            )
        })?;
        if updated == 0 {
            return Err(unknown_project(&project.id));
        }
        Ok(())
    }

    pub fn project(&self, id: &str) -> Result<Option<Project>, StoreError> {
        self.with(|c| {
            c.query_opt(
                "SELECT body, created_at, updated_at FROM projects WHERE id = ?1",
                &args![id],
            )
        })?
        .map(|r| decode(&r))
        .transpose()
    }

    /// The project, or an error that says how to find the valid ids.
    pub fn require_project(&self, id: &str) -> Result<Project, StoreError> {
        self.project(id)?.ok_or_else(|| unknown_project(id))
    }

    pub fn projects(&self) -> Result<Vec<Project>, StoreError> {
        self.with(|c| {
            c.query(
                "SELECT body, created_at, updated_at FROM projects ORDER BY id",
                &[],
            )
        })?
        .iter()
        .map(decode)
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

/// A `body, created_at, updated_at` row.
fn decode(row: &Row) -> Result<Project, StoreError> {
    let (body, created, updated) = (row.text(0)?, row.int(1)?, row.int(2)?);
    let mut project: Project = serde_json::from_str(&body).map_err(|e| StoreError::Decode {
        what: "project",
        detail: e.to_string(),
    })?;
    project.created_at = rfc3339(created);
    project.updated_at = rfc3339(updated);
    Ok(project)
}
