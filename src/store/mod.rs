//! Persistence: one SQLite file (rusqlite, bundled) by default, or a PostgreSQL database shared by several
//! replicas (team mode), with projects, plans, approvals, resources, changes and the append-only activity log.
//! Opened lazily, migrated by version, written in transactions; every query is written once for both backends
//! (see [`sql`]). Secrets are never stored: projects hold references, approvals only token hashes.

mod activity;
mod alerts;
mod approvals;
mod changes;
mod db;
mod error;
mod incidents;
mod plans;
mod postgres;
mod projects;
mod resources;
mod sql;

pub use activity::Activity;
pub use approvals::ApprovalRow;
pub use changes::{ChangeRecord, ChangeState};
pub use db::{ProjectLock, SCHEMA_VERSION, Store, StoreError, now, rfc3339};
pub use plans::PlanKey;
#[cfg(test)]
pub(crate) use postgres::testing;
pub use postgres::{
    describe as describe_postgres, is_postgres_url, parse_url as parse_postgres_url,
};
pub use resources::{ResourceState, StoredResource};
