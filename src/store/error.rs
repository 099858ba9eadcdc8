//! What can go wrong with the store, on either backend: errors that say what is wrong and what to do, never a
//! secret.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the state file {path} is not a rift store or is corrupt ({detail}); move it aside or start rift with \
         --state pointing elsewhere"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the state file {path} is locked by another process (waited {} s); stop the other rift or use another \
         --state", super::db::BUSY_WAIT.as_secs()
    )]
    Locked { path: PathBuf },
    #[error(
        "{store} is not a rift store: it holds tables rift did not create ({tables}); move them aside or start \
         rift with --state pointing elsewhere"
    )]
    Foreign { store: String, tables: String },
    #[error("cannot open {store}: {detail}")]
    CannotOpen { store: String, detail: String },
    #[error(
        "{store} was written by a newer rift (schema {found}, this rift knows {known}); upgrade rift"
    )]
    TooNew {
        store: String,
        found: i64,
        known: i64,
    },
    #[error(
        "cannot reach the PostgreSQL server of {target} ({detail}); check that it runs and that --state names \
         its host and port"
    )]
    Unreachable { target: String, detail: String },
    #[error(
        "PostgreSQL refused rift's login to {target} ({detail}); check the user and password in --state (or \
         PGPASSWORD)"
    )]
    AuthFailed { target: String, detail: String },
    #[error(
        "project {project} is being changed by {holder} (since {since}); one change runs per project at a \
         time: wait for it to finish (get_project lists its changes), then call again"
    )]
    Busy {
        project: String,
        holder: String,
        since: String,
    },
    #[error("state store: {0}")]
    Sqlite(String),
    #[error("state store: {0}")]
    Postgres(String),
    #[error("state store: a stored {what} is unreadable: {detail}")]
    Decode { what: &'static str, detail: String },
    #[error("{0}")]
    Conflict(String),
}
