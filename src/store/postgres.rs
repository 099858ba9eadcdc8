//! The PostgreSQL backend (team mode): tokio-postgres connections in a deadpool pool, the same queries and
//! migration numbering as SQLite, and what only a shared database needs — a migration lock, and a per-project
//! advisory lock so one change runs per project across every replica.
//!
//! The store's API is synchronous (the engine's progress callbacks and the policy checks call it from plain
//! functions), so each call runs its statements on a short-lived thread outside the tokio runtime, which blocks
//! on the async driver; the calling tokio worker is marked as blocking (`block_in_place`) so the runtime moves
//! its other tasks elsewhere meanwhile. The connections themselves live on one background runtime of their own.

use std::str::FromStr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use tokio::runtime::Handle;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::error::StoreError;
use super::sql::{Arg, Conn, Row, Value};

/// The schema in PostgreSQL's dialect, step for step the same as SQLite's [`super::db::MIGRATIONS`] (a test
/// checks the numbering). `rowid` is an ordinary column here: the queries order by it on both backends.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL);
     CREATE TABLE projects (
         id TEXT PRIMARY KEY,
         body TEXT NOT NULL,
         created_at BIGINT NOT NULL,
         updated_at BIGINT NOT NULL);
     CREATE TABLE plans (
         id TEXT PRIMARY KEY,
         body TEXT NOT NULL,
         created_at BIGINT NOT NULL);",
    // 2
    "CREATE TABLE approvals (
         token_hash TEXT PRIMARY KEY,
         project_id TEXT NOT NULL,
         tool TEXT NOT NULL,
         request_hash TEXT NOT NULL,
         created_at BIGINT NOT NULL,
         expires_at BIGINT NOT NULL,
         used_at BIGINT);
     CREATE TABLE resources (
         rowid BIGSERIAL,
         project_id TEXT NOT NULL REFERENCES projects(id),
         name TEXT NOT NULL,
         plan_id TEXT,
         kind TEXT NOT NULL,
         provider TEXT NOT NULL,
         region TEXT NOT NULL,
         state TEXT NOT NULL CHECK (state IN ('intended', 'created', 'failed', 'deleted', 'gone')),
         cloud_id TEXT,
         planned TEXT,
         record TEXT,
         monthly_cost DOUBLE PRECISION,
         managed BOOLEAN NOT NULL DEFAULT TRUE,
         error TEXT,
         intended_at BIGINT NOT NULL,
         updated_at BIGINT NOT NULL,
         PRIMARY KEY (project_id, name));
     CREATE INDEX resources_by_intended_at ON resources(project_id, intended_at);
     CREATE TABLE activity (
         id BIGSERIAL PRIMARY KEY,
         at BIGINT NOT NULL,
         project_id TEXT,
         client TEXT,
         tool TEXT NOT NULL,
         action TEXT NOT NULL,
         outcome TEXT NOT NULL,
         detail TEXT NOT NULL);
     CREATE FUNCTION activity_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'the activity log is append-only'; END $$;
     CREATE TRIGGER activity_is_append_only BEFORE UPDATE OR DELETE ON activity
         FOR EACH ROW EXECUTE FUNCTION activity_is_append_only();",
    // 3
    "CREATE TABLE creations (
         project_id TEXT NOT NULL,
         name TEXT NOT NULL,
         at BIGINT NOT NULL);
     CREATE INDEX creations_by_time ON creations(project_id, at);",
    // 4
    "ALTER TABLE resources ADD COLUMN pending TEXT;
     CREATE TABLE changes (
         rowid BIGSERIAL,
         id TEXT PRIMARY KEY,
         project_id TEXT NOT NULL,
         tool TEXT NOT NULL,
         state TEXT NOT NULL,
         steps TEXT NOT NULL,
         message TEXT NOT NULL,
         progress TEXT NOT NULL DEFAULT '',
         cost_delta_micros BIGINT NOT NULL DEFAULT 0,
         client TEXT,
         owner TEXT NOT NULL,
         started_at BIGINT NOT NULL,
         heartbeat_at BIGINT NOT NULL,
         finished_at BIGINT);
     CREATE INDEX changes_by_project ON changes(project_id, started_at);",
    // 5
    "CREATE TABLE change_locks (
         project_id TEXT PRIMARY KEY,
         holder TEXT NOT NULL,
         since BIGINT NOT NULL);",
    // 6
    "ALTER TABLE approvals ADD COLUMN issued_to TEXT;
     ALTER TABLE approvals ADD COLUMN used_by TEXT;",
    // 7 (alerts and incidents)
    "CREATE TABLE alert_rules (
         project_id TEXT NOT NULL,
         name TEXT NOT NULL,
         body TEXT NOT NULL,
         created_at BIGINT NOT NULL,
         PRIMARY KEY (project_id, name));
     CREATE TABLE incidents (
         id TEXT PRIMARY KEY,
         project_id TEXT NOT NULL,
         dedup_key TEXT NOT NULL,
         state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
         body TEXT NOT NULL,
         opened_at BIGINT NOT NULL,
         updated_at BIGINT NOT NULL);
     CREATE UNIQUE INDEX incidents_one_unresolved ON incidents(project_id, dedup_key) WHERE state <> 'resolved';
     CREATE INDEX incidents_by_project ON incidents(project_id, opened_at);",
];

/// The schema version this build writes (db.rs checks that SQLite has as many steps).
const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Where rift keeps the schema version (SQLite has `PRAGMA user_version`).
const VERSION_TABLE: &str = "rift_schema";

/// The advisory lock key every replica takes to migrate (an arbitrary constant: "rift" in ASCII).
const MIGRATION_LOCK: i64 = 0x7269_6674;

/// Connections per replica: enough for the sessions' short queries plus one held per running change.
const POOL_SIZE: usize = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The runtime the connections run on, for the whole process (never dropped: dropping a runtime from inside
/// another panics).
fn runtime() -> Result<&'static Handle, StoreError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("rift-postgres")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map(tokio::runtime::Runtime::handle)
        .map_err(|e| StoreError::Postgres(format!("cannot start the database runtime: {e}")))
}

/// Whether a `--state` value names a PostgreSQL database.
pub fn is_postgres_url(state: &str) -> bool {
    state.starts_with("postgres://") || state.starts_with("postgresql://")
}

/// Parses a `postgres://` URL; the error never quotes it (it may hold a password).
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, String> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
        format!(
            "the PostgreSQL URL is not valid ({e}); the form is postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE \
             (the password may also come from PGPASSWORD)"
        )
    })?;
    if config.get_password().is_none()
        && let Ok(password) = std::env::var("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("rift");
    }
    Ok(config)
}

/// The database as it may be shown: `postgres://user@host:port/database`, without the password.
pub fn describe(config: &tokio_postgres::Config) -> String {
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            tokio_postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
            tokio_postgres::config::Host::Unix(dir) => format!("{}:{port}", dir.display()),
        })
        .collect();
    let db = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{}/{db}", hosts.join(","))
}

/// A database shared by the replicas. No I/O until first used.
#[derive(Debug)]
pub(super) struct Postgres {
    url: String,
    /// The pool and the database as shown, once the URL parsed and the schema is current; retried on the next
    /// call after a failure.
    pool: Mutex<Option<(Pool, String)>>,
}

impl Postgres {
    pub(super) fn new(url: String) -> Postgres {
        Postgres {
            url,
            pool: Mutex::default(),
        }
    }

    /// The database, without its password.
    pub(super) fn location(&self) -> String {
        parse_url(&self.url)
            .map(|c| describe(&c))
            .unwrap_or_else(|_| "postgres://(an invalid URL)".to_string())
    }

    /// Runs `f` with one pooled connection, outside the tokio runtime (see the module comment).
    pub(super) fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        let (pool, target) = self.pool()?;
        off_runtime(move || {
            let handle = runtime()?;
            let client = handle
                .block_on(pool.get())
                .map_err(|e| connect_error(&target, e))?;
            f(&mut PgConn::Client(&client, handle))
        })
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    pub(super) fn transaction<T: Send>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        let (pool, target) = self.pool()?;
        off_runtime(move || {
            let handle = runtime()?;
            let mut client = handle
                .block_on(pool.get())
                .map_err(|e| connect_error(&target, e))?;
            let tx = handle.block_on(client.transaction()).map_err(db_error)?;
            let value = f(&mut PgConn::Transaction(&tx, handle))?;
            handle.block_on(tx.commit()).map_err(db_error)?;
            Ok(value)
        })
    }

    /// Takes the project's change lock for as long as the returned guard lives, or says who holds it. The lock
    /// is PostgreSQL's session-level advisory lock on a connection kept out of the pool: it is released when
    /// the guard is dropped, and by the server when the replica holding it dies.
    pub(super) fn lock_project(
        &self,
        project_id: &str,
        holder: &str,
    ) -> Result<ProjectLockGuard, StoreError> {
        let (pool, target) = self.pool()?;
        off_runtime(move || {
            let handle = runtime()?;
            let client = handle
                .block_on(pool.get())
                .map_err(|e| connect_error(&target, e))?;
            let mut conn = PgConn::Client(&client, handle);
            let key = lock_key(project_id);
            let taken = conn
                .query_one("SELECT pg_try_advisory_lock(?1)", &[Arg::Int(Some(key))])?
                .bool(0)?;
            if !taken {
                let held = conn.query_opt(
                    "SELECT holder, since FROM change_locks WHERE project_id = ?1",
                    &[Arg::from(project_id)],
                )?;
                let (holder, since) = match held {
                    Some(row) => (row.text(0)?, row.int(1)?),
                    None => ("another rift replica".to_string(), super::now()),
                };
                return Err(StoreError::Busy {
                    project: project_id.to_string(),
                    holder,
                    since: super::rfc3339(since),
                });
            }
            let noted = conn.execute(
                "INSERT INTO change_locks (project_id, holder, since) VALUES (?1, ?2, ?3)
                 ON CONFLICT (project_id) DO UPDATE SET holder = excluded.holder, since = excluded.since",
                &[
                    Arg::from(project_id),
                    Arg::from(holder),
                    Arg::from(super::now()),
                ],
            );
            let guard = ProjectLockGuard {
                client: Some(client),
                key,
            };
            noted?;
            Ok(guard)
        })
    }

    /// The pool, made (and the schema migrated) on first use.
    fn pool(&self) -> Result<(Pool, String), StoreError> {
        let mut guard = self
            .pool
            .lock()
            .map_err(|_| StoreError::Postgres("the pool lock is poisoned".to_string()))?;
        if let Some(ready) = guard.as_ref() {
            return Ok(ready.clone());
        }
        let config = parse_url(&self.url).map_err(StoreError::Postgres)?;
        let target = describe(&config);
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Postgres(format!("cannot set up the connection pool: {e}")))?;
        let migrating = pool.clone();
        let at = target.clone();
        off_runtime(move || {
            let handle = runtime()?;
            let mut client = handle
                .block_on(migrating.get())
                .map_err(|e| connect_error(&at, e))?;
            migrate(&mut client, handle, &at)
        })?;
        *guard = Some((pool.clone(), target.clone()));
        Ok((pool, target))
    }
}

/// Holds a project's change lock; dropping it releases the lock and returns the connection to the pool.
#[derive(Debug)]
pub struct ProjectLockGuard {
    client: Option<Object>,
    key: i64,
}

impl Drop for ProjectLockGuard {
    /// Released before the drop returns, so the next change this process runs on the project finds it free.
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let key = self.key;
        let released = off_runtime(move || {
            let unlocked = runtime()?
                .block_on(client.query_one("SELECT pg_advisory_unlock($1)", &[&key]))
                .ok()
                .and_then(|row| row.try_get::<_, bool>(0).ok());
            if unlocked != Some(true) {
                // Never hand a connection that may still hold the lock back to the pool: closing it releases it.
                drop(Object::take(client));
                return Err(StoreError::Postgres(
                    "could not release a project's change lock; closed its connection instead"
                        .to_string(),
                ));
            }
            Ok(())
        });
        if let Err(e) = released {
            tracing::warn!("{e}");
        }
    }
}

/// A project's advisory lock key, the same on every replica.
fn lock_key(project_id: &str) -> i64 {
    // FNV-1a: stable across builds and platforms (std's hasher is not).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in b"rift-project:".iter().chain(project_id.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Runs `f` where the synchronous driver calls may block: on a thread of its own when called from inside a
/// tokio runtime (blocking on a runtime from one of its threads panics), telling a multi-threaded runtime that
/// this worker is busy so its other tasks move on.
fn off_runtime<T: Send>(f: impl FnOnce() -> Result<T, StoreError> + Send) -> Result<T, StoreError> {
    let Ok(current) = Handle::try_current() else {
        return f();
    };
    let run = || {
        std::thread::scope(|s| s.spawn(f).join()).unwrap_or_else(|_| {
            Err(StoreError::Postgres(
                "a database call stopped unexpectedly".to_string(),
            ))
        })
    };
    match current.runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(run),
        _ => run(),
    }
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction holding the migration lock, so replicas starting
/// together migrate once; the others wait for it and find nothing left to do.
fn migrate(client: &mut Object, handle: &Handle, target: &str) -> Result<(), StoreError> {
    if schema_version(&mut PgConn::Client(client, handle), target)? == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = handle.block_on(client.transaction()).map_err(db_error)?;
    let mut conn = PgConn::Transaction(&tx, handle);
    conn.query(
        "SELECT pg_advisory_xact_lock(?1)",
        &[Arg::Int(Some(MIGRATION_LOCK))],
    )?;
    let found = schema_version(&mut conn, target)?;
    if found == 0 {
        refuse_foreign(&mut conn, target)?;
        handle
            .block_on(tx.batch_execute(&format!(
                "CREATE TABLE {VERSION_TABLE} (version BIGINT NOT NULL); INSERT INTO {VERSION_TABLE} VALUES (0);"
            )))
            .map_err(db_error)?;
    }
    for step in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        handle.block_on(tx.batch_execute(step)).map_err(db_error)?;
    }
    let mut conn = PgConn::Transaction(&tx, handle);
    conn.execute(
        &format!("UPDATE {VERSION_TABLE} SET version = ?1"),
        &[Arg::Int(Some(SCHEMA_VERSION))],
    )?;
    handle.block_on(tx.commit()).map_err(db_error)?;
    tracing::info!("state store {target} migrated from schema {found} to {SCHEMA_VERSION}");
    Ok(())
}

/// The database's schema version (0 for a database rift has not written); newer than this build is an error.
fn schema_version(conn: &mut dyn Conn, target: &str) -> Result<i64, StoreError> {
    // A scan of the catalog with the statement's snapshot, not to_regclass: that reads the catalog cache, which
    // taking an advisory lock does not refresh, so a replica that waited for another's migration would miss it.
    let exists = conn
        .query_one(
            "SELECT count(*) > 0 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?1",
            &[Arg::from(VERSION_TABLE)],
        )?
        .bool(0)?;
    if !exists {
        return Ok(0);
    }
    let found = conn
        .query_opt(&format!("SELECT version FROM {VERSION_TABLE}"), &[])?
        .map(|row| row.int(0))
        .transpose()?
        .unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            store: format!("the database {target}"),
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// A database without rift's version table must have no tables in rift's schema: they belong to another
/// program.
fn refuse_foreign(conn: &mut dyn Conn, target: &str) -> Result<(), StoreError> {
    let names: Vec<String> = conn
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()
             ORDER BY table_name LIMIT 5",
            &[],
        )?
        .iter()
        .map(|row| row.text(0))
        .collect::<Result<_, _>>()?;
    if names.is_empty() {
        return Ok(());
    }
    Err(StoreError::Foreign {
        store: format!("the database {target}"),
        tables: names.join(", "),
    })
}

/// A connection or a transaction on one, with the runtime to block on.
enum PgConn<'a, 'c> {
    Client(&'a Object, &'a Handle),
    Transaction(&'a deadpool_postgres::Transaction<'c>, &'a Handle),
}

impl Conn for PgConn<'_, '_> {
    fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        let sql = dialect(sql);
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
        match self {
            PgConn::Client(c, h) => h.block_on(async {
                let statement = c.prepare_cached(&sql).await?;
                c.execute(&statement, &params).await
            }),
            PgConn::Transaction(t, h) => h.block_on(async {
                let statement = t.prepare_cached(&sql).await?;
                t.execute(&statement, &params).await
            }),
        }
        .map_err(db_error)
    }

    fn query(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, StoreError> {
        let sql = dialect(sql);
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
        let rows = match self {
            PgConn::Client(c, h) => h.block_on(async {
                let statement = c.prepare_cached(&sql).await?;
                c.query(&statement, &params).await
            }),
            PgConn::Transaction(t, h) => h.block_on(async {
                let statement = t.prepare_cached(&sql).await?;
                t.query(&statement, &params).await
            }),
        }
        .map_err(db_error)?;
        rows.iter().map(row).collect()
    }
}

/// `?1` → `$1`: the queries are written with SQLite's placeholders.
fn dialect(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn row(r: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let get = |e: tokio_postgres::Error| StoreError::Decode {
        what: "row",
        detail: e.to_string(),
    };
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::VOID {
            // What a function called for its effect returns (pg_advisory_xact_lock).
            None
        } else if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i).map_err(get)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)
                .map_err(get)?
                .map(|n| Value::Int(n.into()))
        } else if *ty == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)
                .map_err(get)?
                .map(Value::Real)
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)
                .map_err(get)?
                .map(Value::Bool)
        } else if *ty == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)
                .map_err(get)?
                .map(Value::Bytes)
        } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
            r.try_get::<_, Option<String>>(i)
                .map_err(get)?
                .map(Value::Text)
        } else {
            return Err(StoreError::Decode {
                what: "row",
                detail: format!("column {} has the unexpected type {ty}", column.name()),
            });
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl ToSql for Arg {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Arg::Text(v) => v.to_sql_checked(ty, out),
            Arg::Int(v) => v.to_sql_checked(ty, out),
            Arg::Real(v) => v.to_sql_checked(ty, out),
            Arg::Bool(v) => v.to_sql_checked(ty, out),
            Arg::Bytes(v) => v.to_sql_checked(ty, out),
        }
    }

    /// Each variant checks its own type in `to_sql`.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A failed statement. The server's message names what failed (never an argument's value: statements are
/// sent with their arguments apart).
fn db_error(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Postgres(db.message().to_string()),
        None => StoreError::Postgres(e.to_string()),
    }
}

/// Why a connection could not be had: the server is unreachable, refused the login, or lacks the database.
fn connect_error(target: &str, e: PoolError) -> StoreError {
    let target = target.to_string();
    match e {
        PoolError::Backend(e) => match e.as_db_error() {
            Some(db)
                if *db.code() == SqlState::INVALID_PASSWORD
                    || *db.code() == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
            {
                StoreError::AuthFailed {
                    target,
                    detail: db.message().to_string(),
                }
            }
            Some(db) => StoreError::CannotOpen {
                store: format!("the database {target}"),
                detail: db.message().to_string(),
            },
            None => StoreError::Unreachable {
                target,
                detail: e.to_string(),
            },
        },
        PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => StoreError::Postgres(format!(
            "all {POOL_SIZE} connections to {target} stayed busy for 30 s; try again"
        )),
        PoolError::Timeout(_) => StoreError::Unreachable {
            target,
            detail: format!("no connection within {} s", CONNECT_TIMEOUT.as_secs()),
        },
        other => StoreError::Postgres(other.to_string()),
    }
}

/// Test databases: one fresh database per test on the cluster `RIFT_POSTGRES_URL` names (tools/postgres.sh).
#[cfg(test)]
pub(crate) mod testing {
    use std::path::PathBuf;

    use super::*;

    /// The cluster's URL; `None` skips a PostgreSQL test, unless `RIFT_REQUIRE_EMULATORS` makes that a failure.
    pub(crate) fn cluster() -> Option<String> {
        match std::env::var("RIFT_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                assert!(
                    std::env::var_os("RIFT_REQUIRE_EMULATORS").is_none(),
                    "RIFT_POSTGRES_URL is not set: start a cluster with tools/postgres.sh"
                );
                eprintln!("skipped: RIFT_POSTGRES_URL is not set (tools/postgres.sh start)");
                None
            }
        }
    }

    /// Runs statements on the cluster's own database, outside any store.
    pub(crate) fn admin(cluster: &str, sql: &str) {
        let sql = sql.to_string();
        let cluster = cluster.to_string();
        off_runtime(move || {
            runtime()?.block_on(async {
                let (client, connection) = tokio_postgres::connect(&cluster, tokio_postgres::NoTls)
                    .await
                    .map_err(db_error)?;
                tokio::spawn(connection);
                client.batch_execute(&sql).await.map_err(db_error)
            })
        })
        .unwrap();
    }

    /// `postgres://…/postgres` → `postgres://…/<database>`.
    pub(crate) fn with_database(cluster: &str, database: &str) -> String {
        let (base, query) = cluster.split_once('?').unwrap_or((cluster, ""));
        let at = base.find("://").map_or(0, |i| i + 3);
        let root = match base[at..].find('/') {
            Some(slash) => &base[..at + slash],
            None => base,
        };
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        format!("{root}/{database}{query}")
    }

    /// A database of its own for the test `scope`/`name`, created empty; the same name gives the same database
    /// (a test that reopens a store calls [`reopened`]).
    pub(crate) fn fresh(cluster: &str, scope: &str, name: &str) -> String {
        let database = database_name(scope, name);
        // One statement per call: neither may run in the transaction a multi-statement call is.
        admin(
            cluster,
            &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
        );
        admin(cluster, &format!("CREATE DATABASE {database}"));
        with_database(cluster, &database)
    }

    pub(crate) fn reopened(cluster: &str, scope: &str, name: &str) -> String {
        with_database(cluster, &database_name(scope, name))
    }

    fn database_name(scope: &str, name: &str) -> String {
        let raw = format!("rift_{scope}_{}_{name}", std::process::id());
        let mut clean: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        clean.truncate(63);
        clean
    }

    /// Where a test keeps its state: a fresh SQLite file, or with `RIFT_TEST_STATE=postgres` a fresh database,
    /// so the same store tests run against both backends.
    pub(crate) fn state(scope: &str, name: &str) -> PathBuf {
        locate(scope, name, true)
    }

    /// The state of an earlier [`state`] call, as it was left.
    pub(crate) fn state_reopened(scope: &str, name: &str) -> PathBuf {
        locate(scope, name, false)
    }

    fn locate(scope: &str, name: &str, fresh_one: bool) -> PathBuf {
        if std::env::var("RIFT_TEST_STATE").as_deref() == Ok("postgres") {
            let cluster = std::env::var("RIFT_POSTGRES_URL")
                .expect("RIFT_TEST_STATE=postgres needs RIFT_POSTGRES_URL (tools/postgres.sh)");
            return PathBuf::from(if fresh_one {
                fresh(&cluster, scope, name)
            } else {
                reopened(&cluster, scope, name)
            });
        }
        let dir = std::env::temp_dir().join(format!("rift-{scope}-{}-{name}", std::process::id()));
        if fresh_one {
            let _ = std::fs::remove_dir_all(&dir);
        }
        dir.join("state.db")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{admin, cluster, fresh, with_database};
    use super::*;
    use crate::store::Store;

    #[test]
    fn placeholders_become_postgres_ones_and_urls_lose_their_password() {
        assert_eq!(
            dialect("UPDATE t SET a = ?2 WHERE b = ?1 AND c = '?'"),
            "UPDATE t SET a = $2 WHERE b = $1 AND c = '?'"
        );
        let config =
            parse_url("postgresql://rift:s3cret@db.internal:6543/team?sslmode=disable").unwrap();
        assert_eq!(describe(&config), "postgres://rift@db.internal:6543/team");
        assert_eq!(
            with_database("postgres://u@h:1/postgres?x=y", "other"),
            "postgres://u@h:1/other?x=y"
        );
        assert_eq!(lock_key("shop"), lock_key("shop"));
        assert_ne!(lock_key("shop"), lock_key("shop2"));
    }

    #[test]
    fn an_unreachable_server_is_named_without_the_password() {
        // A port nothing listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = Store::new(format!(
            "postgres://rift:hunter2-secret@127.0.0.1:{port}/rift"
        ));
        let err = store.open_now().unwrap_err();
        assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("127.0.0.1:{port}"))
                && message.contains("--state")
                && !message.contains("hunter2"),
            "{message}"
        );
    }

    #[test]
    fn a_refused_login_is_named_without_the_password() {
        let Some(cluster) = cluster() else { return };
        admin(
            &cluster,
            "DROP ROLE IF EXISTS rift_auth_test; CREATE ROLE rift_auth_test LOGIN PASSWORD 'right-horse';",
        );
        let url = strip_first_user(&with_database(&cluster, "postgres").replacen(
            "://",
            "://rift_auth_test:wrong-battery-staple@",
            1,
        ));
        let err = Store::new(url).open_now().unwrap_err();
        assert!(matches!(err, StoreError::AuthFailed { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("rift_auth_test")
                && message.contains("password")
                && !message.contains("wrong-battery"),
            "{message}"
        );
    }

    /// `postgres://a:b@c@host/db` → `postgres://a:b@host/db` (the cluster URL names its own user).
    fn strip_first_user(url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let mut parts: Vec<&str> = rest.split('@').collect();
        if parts.len() > 2 {
            parts.remove(1);
        }
        format!("{scheme}://{}", parts.join("@"))
    }

    #[test]
    fn newer_and_foreign_databases_are_refused() {
        let Some(cluster) = cluster() else { return };
        let url = fresh(&cluster, "pg", "newer");
        Store::new(&url).open_now().unwrap();
        admin(
            &url,
            &format!("UPDATE rift_schema SET version = {}", SCHEMA_VERSION + 1),
        );
        let err = Store::new(&url).open_now().unwrap_err();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
        assert!(err.to_string().contains("newer rift"), "{err}");

        let url = fresh(&cluster, "pg", "foreign");
        admin(
            &url,
            "CREATE TABLE thesis (id INT); INSERT INTO thesis VALUES (1);",
        );
        let err = Store::new(&url).open_now().unwrap_err();
        assert!(matches!(err, StoreError::Foreign { .. }), "{err:?}");
        assert!(err.to_string().contains("thesis"), "{err}");
    }

    #[test]
    fn replicas_migrate_once_share_the_key_and_redeem_a_token_once() {
        let Some(cluster) = cluster() else { return };
        let url = fresh(&cluster, "pg", "replicas");
        // Each store has its own pool, as separate replicas do; they all open the new database at once.
        let replicas: Vec<Store> = (0..5).map(|_| Store::new(&url)).collect();
        let keys: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = replicas
                .iter()
                .map(|r| s.spawn(|| r.approval_key().unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| k == &keys[0] && k.len() == 32));

        replicas[0]
            .insert_approval(&crate::store::ApprovalRow {
                token_hash: "h".into(),
                project_id: "shop".into(),
                tool: "apply_plan".into(),
                request_hash: "r".into(),
                created_at: crate::store::now(),
                expires_at: (crate::store::now() + 600) * 1000,
                used_at: None,
                issued_to: None,
                used_by: None,
            })
            .unwrap();
        let used: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|i| {
                    let replica = &replicas[i % replicas.len()];
                    s.spawn(move || replica.use_approval("h", 1, Some("alice")).unwrap())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(used, 1);
    }

    #[test]
    fn one_replica_changes_a_project_at_a_time_and_the_other_hears_who() {
        let Some(cluster) = cluster() else { return };
        let url = fresh(&cluster, "pg", "lock");
        let (a, b) = (Store::new(&url), Store::new(&url));
        let held = a.lock_project("shop").unwrap();
        let err = b.lock_project("shop").unwrap_err();
        assert!(matches!(err, StoreError::Busy { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("project shop is being changed by the rift process")
                && message.contains(&std::process::id().to_string()),
            "{message}"
        );
        // Another project is free meanwhile.
        drop(b.lock_project("other").unwrap());
        drop(held);
        drop(b.lock_project("shop").unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_store_works_from_inside_a_tokio_runtime() {
        let Some(cluster) = cluster() else { return };
        let url = fresh(&cluster, "pg", "runtime");
        let store = Store::new(&url);
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .log(Some("shop"), None, "t", "a", "o", &format!("entry {i}"))
                        .unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(store.activity("shop", 100).unwrap().len(), 8);
    }
}
