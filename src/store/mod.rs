//! Persistence: one SQLite file (rusqlite, bundled) with projects, plans, approvals, resources, changes and the
//! append-only activity log. Opened lazily, migrated by version, written in transactions. Secrets are never
//! stored: projects hold references, approvals only token hashes.

mod activity;
mod approvals;
mod changes;
mod db;
mod plans;
mod projects;
mod resources;

pub use activity::Activity;
pub use approvals::ApprovalRow;
pub use changes::{ChangeRecord, ChangeState};
pub use db::{SCHEMA_VERSION, Store, StoreError, now, rfc3339};
pub use plans::PlanKey;
pub use resources::{ResourceState, StoredResource};
