//! Persistence: one SQLite file (rusqlite, bundled) with projects, plans, approvals, resources and the
//! append-only activity log. Opened lazily, migrated by version, written in transactions. Secrets are never
//! stored: projects hold references, approvals only token hashes.

mod activity;
mod approvals;
mod db;
mod plans;
mod projects;
mod resources;

pub use activity::Activity;
pub use approvals::ApprovalRow;
pub use db::{SCHEMA_VERSION, Store, StoreError, now, rfc3339};
pub use plans::PlanStore;
pub use projects::{AwsConfig, DoConfig, Project};
pub use resources::{ResourceState, StoredResource};
