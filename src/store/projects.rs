//! Projects: the brief's project model (providers, per-cloud settings with credential references only), a
//! monthly budget and a policy.

use rusqlite::{OptionalExtension, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::db::{Store, StoreError, now, rfc3339};
use crate::model::Provider;
use crate::policy::Policy;

/// A project as stored and shown. Its id is its name: rift tags every resource with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub cloud_providers: Vec<Provider>,
    pub aws_config: Option<AwsConfig>,
    pub do_config: Option<DoConfig>,
    /// USD per month; every change must keep the project's estimate within it.
    pub monthly_budget_usd: Option<f64>,
    pub policy: Policy,
    pub created_at: String,
    pub updated_at: String,
}

impl Project {
    /// The region a provider's resources default to in this project.
    pub fn region(&self, provider: Provider) -> Option<&str> {
        match provider {
            Provider::Aws => self.aws_config.as_ref().map(|c| c.region.as_str()),
            Provider::Digitalocean => self.do_config.as_ref().map(|c| c.region.as_str()),
        }
    }
}

/// AWS settings of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// AWS profile name, never keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
}

/// DigitalOcean settings of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoConfig {
    pub region: String,
    /// env:VAR naming where the token lives, never the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

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
