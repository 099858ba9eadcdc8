//! The store and its two backends. The SQLite file is opened lazily (never before a tool needs it), created
//! owner-only, in WAL mode with a busy timeout, migrated to the current schema in one write transaction, with
//! clear errors for corrupt, locked, newer and foreign files; PostgreSQL is in [`super::postgres`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use super::postgres::{Postgres, ProjectLockGuard, is_postgres_url};
use super::sql::{Arg, Conn, Row, Value};

/// Each step takes the schema from version `i` to `i + 1`; a released step never changes (a store written by
/// an older rift replays only the steps it lacks).
const MIGRATIONS: &[&str] = &[
    // 1: projects and the plans the foundation kept in memory.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE projects (
         id TEXT PRIMARY KEY,
         body TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL);
     CREATE TABLE plans (
         id TEXT PRIMARY KEY,
         body TEXT NOT NULL,
         created_at INTEGER NOT NULL);",
    // 2: approvals, resources and the append-only activity log.
    "CREATE TABLE approvals (
         token_hash TEXT PRIMARY KEY,
         project_id TEXT NOT NULL,
         tool TEXT NOT NULL,
         request_hash TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         expires_at INTEGER NOT NULL,
         used_at INTEGER);
     CREATE TABLE resources (
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
         monthly_cost REAL,
         managed INTEGER NOT NULL DEFAULT 1,
         error TEXT,
         intended_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL,
         PRIMARY KEY (project_id, name));
     CREATE INDEX resources_by_intended_at ON resources(project_id, intended_at);
     CREATE TABLE activity (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         at INTEGER NOT NULL,
         project_id TEXT,
         client TEXT,
         tool TEXT NOT NULL,
         action TEXT NOT NULL,
         outcome TEXT NOT NULL,
         detail TEXT NOT NULL);
     CREATE TRIGGER activity_is_append_only_u BEFORE UPDATE ON activity
         BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
     CREATE TRIGGER activity_is_append_only_d BEFORE DELETE ON activity
         BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;",
    // 3: every creation started, for the hourly cap: a resources row is reused when a name is created again
    // (after a delete or a failure), so counting rows would let a create-delete loop run forever.
    "CREATE TABLE creations (
         project_id TEXT NOT NULL,
         name TEXT NOT NULL,
         at INTEGER NOT NULL);
     CREATE INDEX creations_by_time ON creations(project_id, at);",
    // 4: changes that run in the background (their state, steps and outcome), and the operation under way on a
    // resource (a resize or delete recorded before its cloud call, cleared after), so a restart can finish it.
    "ALTER TABLE resources ADD COLUMN pending TEXT;
     CREATE TABLE changes (
         id TEXT PRIMARY KEY,
         project_id TEXT NOT NULL,
         tool TEXT NOT NULL,
         state TEXT NOT NULL,
         steps TEXT NOT NULL,
         message TEXT NOT NULL,
         progress TEXT NOT NULL DEFAULT '',
         cost_delta_micros INTEGER NOT NULL DEFAULT 0,
         client TEXT,
         owner TEXT NOT NULL,
         started_at INTEGER NOT NULL,
         heartbeat_at INTEGER NOT NULL,
         finished_at INTEGER);
     CREATE INDEX changes_by_project ON changes(project_id, started_at);",
    // 5: who holds a project's change lock, for the "busy" answer another replica gives (the lock itself is
    // PostgreSQL's advisory lock; a SQLite file has one process, whose engine serializes its changes).
    "CREATE TABLE change_locks (
         project_id TEXT PRIMARY KEY,
         holder TEXT NOT NULL,
         since INTEGER NOT NULL);",
    // 6: who asked for each approval token and who spent it (team mode's "who did what").
    "ALTER TABLE approvals ADD COLUMN issued_to TEXT;
     ALTER TABLE approvals ADD COLUMN used_by TEXT;",
    // 7: alert rules by project and name with the cloud alarms made for them, known even when a cloud is
    // unreachable; incidents, at most one unresolved per rule and resource (the partial unique index makes
    // repeated sightings one incident).
    "CREATE TABLE alert_rules (
         project_id TEXT NOT NULL,
         name TEXT NOT NULL,
         body TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         PRIMARY KEY (project_id, name));
     CREATE TABLE incidents (
         id TEXT PRIMARY KEY,
         project_id TEXT NOT NULL,
         dedup_key TEXT NOT NULL,
         state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
         body TEXT NOT NULL,
         opened_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL);
     CREATE UNIQUE INDEX incidents_one_unresolved ON incidents(project_id, dedup_key) WHERE state <> 'resolved';
     CREATE INDEX incidents_by_project ON incidents(project_id, opened_at);",
];

/// How long a statement waits for another process's write (a first open waits out another's migration): long
/// enough for a loaded machine, short enough that a stuck process is reported.
pub(super) const BUSY_WAIT: Duration = Duration::from_secs(15);

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

// PostgreSQL's migrations are the same steps, numbered alike.
const _: () = assert!(super::postgres::MIGRATIONS.len() == MIGRATIONS.len());

pub use super::error::StoreError;

/// How a state file is named in errors.
fn state_file(path: &Path) -> String {
    format!("the state file {}", path.display())
}

impl StoreError {
    fn from_sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: e.to_string(),
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
                path: path.to_path_buf(),
            },
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
                StoreError::CannotOpen {
                    store: state_file(path),
                    detail: e.to_string(),
                }
            }
            _ => StoreError::Sqlite(e.to_string()),
        }
    }
}

/// The store: one SQLite file shared by every session of the process, or a PostgreSQL database shared by
/// several replicas. Cheap to clone. Opening happens on the first call that needs it; a failed open is retried
/// on the next call (a lock may have been released, the server may have started).
#[derive(Debug, Clone)]
pub struct Store {
    backend: Arc<Backend>,
}

#[derive(Debug)]
enum Backend {
    Sqlite {
        path: PathBuf,
        conn: Mutex<Option<Connection>>,
    },
    Postgres(Postgres),
}

/// Held while a change runs on a project (see [`Store::lock_project`]).
#[derive(Debug)]
pub struct ProjectLock {
    /// `None` on SQLite: one process per state file, whose engine serializes its own changes.
    _held: Option<ProjectLockGuard>,
}

impl Store {
    /// A store at `state`: a file path, or a `postgres://` URL. No I/O until it is used.
    pub fn new(state: impl Into<PathBuf>) -> Store {
        let state: PathBuf = state.into();
        let backend = match state.to_str().filter(|s| is_postgres_url(s)) {
            Some(url) => Backend::Postgres(Postgres::new(url.to_string())),
            None => Backend::Sqlite {
                path: state,
                conn: Mutex::default(),
            },
        };
        Store {
            backend: Arc::new(backend),
        }
    }

    /// Where the state lives, as it may be shown (a database URL without its password).
    pub fn location(&self) -> String {
        match &*self.backend {
            Backend::Sqlite { path, .. } => path.display().to_string(),
            Backend::Postgres(pg) => pg.location(),
        }
    }

    /// Whether other rift processes may share this store (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(&*self.backend, Backend::Postgres(_))
    }

    /// Runs `f` on a connection, each statement committed on its own. Calls are short (single-row reads and
    /// writes); on SQLite they serialize on one connection, which SQLite would do for writers anyway.
    pub(super) fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        match &*self.backend {
            Backend::Sqlite { path, conn } => sqlite(path, conn, |c| {
                f(&mut SqliteConn {
                    conn: c,
                    path: path.as_path(),
                })
            }),
            Backend::Postgres(pg) => pg.with(f),
        }
    }

    /// Runs `f` in one write transaction: committed when it returns `Ok`, rolled back otherwise.
    pub(super) fn transaction<T: Send>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        match &*self.backend {
            Backend::Sqlite { path, conn } => sqlite(path, conn, |c| {
                let err = |e| StoreError::from_sqlite(path, e);
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(err)?;
                let value = f(&mut SqliteConn {
                    conn: &tx,
                    path: path.as_path(),
                })?;
                tx.commit().map_err(err)?;
                Ok(value)
            }),
            Backend::Postgres(pg) => pg.transaction(f),
        }
    }

    /// One change per project at a time across every process sharing the store: held until the returned lock
    /// is dropped; a project another replica is changing is [`StoreError::Busy`] with who holds it.
    pub fn lock_project(&self, project_id: &str) -> Result<ProjectLock, StoreError> {
        match &*self.backend {
            Backend::Sqlite { .. } => Ok(ProjectLock { _held: None }),
            Backend::Postgres(pg) => Ok(ProjectLock {
                _held: Some(pg.lock_project(project_id, &process_holder())?),
            }),
        }
    }

    /// Opens (and migrates) now.
    #[cfg(test)]
    pub fn open_now(&self) -> Result<(), StoreError> {
        self.with(|_| Ok(()))
    }

    /// Raw access to the SQLite connection, for tests that look under the store's API.
    #[cfg(test)]
    pub(crate) fn with_sqlite<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        match &*self.backend {
            Backend::Sqlite { path, conn } => sqlite(path, conn, |c| {
                f(c).map_err(|e| StoreError::from_sqlite(path, e))
            }),
            Backend::Postgres(_) => Err(StoreError::Sqlite("not a SQLite store".to_string())),
        }
    }
}

/// Who holds a project's change lock, as another replica reports it.
fn process_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    format!("the rift process {} on {host}", std::process::id())
}

/// Runs `f` on the SQLite connection, opening it first when needed.
fn sqlite<T>(
    path: &Path,
    conn: &Mutex<Option<Connection>>,
    f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut guard = conn
        .lock()
        .map_err(|_| StoreError::Sqlite("the connection lock is poisoned".to_string()))?;
    if guard.is_none() {
        *guard = Some(open(path)?);
    }
    let Some(conn) = guard.as_mut() else {
        return Err(StoreError::Sqlite("the store is not open".to_string()));
    };
    f(conn)
}

/// The SQLite side of [`Conn`].
struct SqliteConn<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

impl Conn for SqliteConn<'_> {
    fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        let err = |e| StoreError::from_sqlite(self.path, e);
        let mut statement = self.conn.prepare_cached(sql).map_err(err)?;
        let changed = statement
            .execute(rusqlite::params_from_iter(args))
            .map_err(err)?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    fn query(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, StoreError> {
        let err = |e| StoreError::from_sqlite(self.path, e);
        let mut statement = self.conn.prepare_cached(sql).map_err(err)?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(args))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(err)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Real(x) => Value::Real(x),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Arg::Int(Some(n)) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*n)),
            Arg::Real(Some(x)) => ToSqlOutput::Owned(rusqlite::types::Value::Real(*x)),
            Arg::Bool(b) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(i64::from(*b))),
            Arg::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Arg::Text(None) | Arg::Int(None) | Arg::Real(None) => {
                ToSqlOutput::Owned(rusqlite::types::Value::Null)
            }
        })
    }
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let err = |e: rusqlite::Error| StoreError::from_sqlite(path, e);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|e| StoreError::CannotOpen {
            store: state_file(path),
            detail: format!("cannot create {}: {e}", dir.display()),
        })?;
    }
    create_private_file(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(err)?;
    conn.busy_timeout(BUSY_WAIT).map_err(err)?;
    // Processes opening a new file at once can deadlock on its locks while it leaves rollback mode for WAL;
    // SQLite then answers one of them "busy" at once, without waiting: that one starts over.
    let started = std::time::Instant::now();
    loop {
        match prepare(&mut conn, path) {
            Err(StoreError::Locked { .. }) if started.elapsed() < BUSY_WAIT => {
                let jitter = u64::from(std::process::id() % 50);
                std::thread::sleep(Duration::from_millis(20 + jitter));
            }
            prepared => return prepared.map(|()| conn),
        }
    }
}

/// The connection's settings and the schema brought up to date.
fn prepare(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = |e: rusqlite::Error| StoreError::from_sqlite(path, e);
    // The first statement that reads the file: a non-database fails here with NOTADB.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err)?;
    migrate(conn, path)
}

/// The store's directory, owner-only where rift creates it.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The store holds the approval signing key: only its owner may read it. A new file is created 0600 before
/// SQLite opens it (SQLite gives its -wal and -shm files the database file's mode), so it is never readable by
/// others, not even between creation and a chmod; an existing file (and its -wal and -shm) readable by others is
/// tightened.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            for file in [
                path.to_path_buf(),
                sidecar(path, "-wal"),
                sidecar(path, "-shm"),
            ] {
                tighten(&file);
            }
            Ok(())
        }
        Err(e) => Err(StoreError::CannotOpen {
            store: state_file(path),
            detail: e.to_string(),
        }),
    }
}

/// `state.db` → `state.db-wal`.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes group and other permissions from an existing file (a missing one is fine).
fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::metadata(path) else {
            return;
        };
        let mode = metadata.permissions().mode();
        if mode & 0o077 == 0 {
            return;
        }
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700)) {
            Ok(()) => tracing::warn!(
                "{} was readable by other users (mode {:o}); restricted it to its owner",
                path.display(),
                mode & 0o777
            ),
            Err(e) => tracing::warn!("could not restrict permissions of {}: {e}", path.display()),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Brings the schema to [`SCHEMA_VERSION`]. The version is read again inside a write transaction (`BEGIN
/// IMMEDIATE` takes the write lock first), so when several processes open a new file at once, one migrates and
/// the others wait for it, then find nothing left to do.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = |e: rusqlite::Error| StoreError::from_sqlite(path, e);
    // Without a lock first: an up-to-date store (every open but the first) takes no write lock.
    if schema_version(conn, path)? == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let found = schema_version(&tx, path)?;
    if found == 0 {
        refuse_foreign(&tx, path)?;
    }
    for step in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        tx.execute_batch(step).map_err(err)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(err)?;
    tx.commit().map_err(err)?;
    if found < SCHEMA_VERSION {
        tracing::info!(
            "state store {} migrated from schema {found} to {SCHEMA_VERSION}",
            path.display()
        );
    }
    Ok(())
}

/// The file's schema version; newer than this build knows is an error.
fn schema_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| StoreError::from_sqlite(path, e))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            store: state_file(path),
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// A file at schema 0 is new to rift and must be empty: rift writes its first tables and the version in one
/// transaction, so tables at version 0 belong to another program (whose data the migration would collide with).
fn refuse_foreign(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let err = |e: rusqlite::Error| StoreError::from_sqlite(path, e);
    let mut statement = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'
             ORDER BY type <> 'table', name LIMIT 5",
        )
        .map_err(err)?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    if names.is_empty() {
        return Ok(());
    }
    Err(StoreError::Foreign {
        store: state_file(path),
        tables: names.join(", "),
    })
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A stored timestamp as RFC 3339 for answers.
pub fn rfc3339(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rift-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("state.db")
    }

    #[test]
    fn a_store_at_an_older_schema_is_migrated_and_keeps_its_data() {
        let path = temp_path("migrate");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO plans (id, body, created_at) VALUES ('plan-old', '{}', 1)",
                [],
            )
            .unwrap();
        }
        let store = Store::new(&path);
        let (version, plans, has_resources): (i64, i64, i64) = store
            .with_sqlite(|c| {
                Ok((
                    c.pragma_query_value(None, "user_version", |r| r.get(0))?,
                    c.query_row("SELECT count(*) FROM plans", [], |r| r.get(0))?,
                    c.query_row(
                        "SELECT count(*) FROM sqlite_master WHERE name = 'resources'",
                        [],
                        |r| r.get(0),
                    )?,
                ))
            })
            .unwrap();
        assert_eq!((version, plans, has_resources), (SCHEMA_VERSION, 1, 1));
    }

    #[test]
    fn corrupt_newer_and_locked_files_give_clear_errors() {
        let path = temp_path("corrupt");
        std::fs::write(
            &path,
            b"this is not a database, it is a shopping list\n".repeat(100),
        )
        .unwrap();
        let err = Store::new(&path).open_now().unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("--state"), "{err}");

        let path = temp_path("newer");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = Store::new(&path).open_now().unwrap_err();
        assert!(err.to_string().contains("newer rift"), "{err}");

        let path = temp_path("locked");
        Store::new(&path).open_now().unwrap();
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let store = Store::new(&path);
        // A shorter wait than the real 5 s keeps the test fast; the mapping is the same.
        let err = store
            .with_sqlite(|c| {
                c.busy_timeout(Duration::from_millis(50))?;
                c.execute(
                    "INSERT INTO plans (id, body, created_at) VALUES ('p', '{}', 1)",
                    [],
                )
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    }

    #[test]
    fn a_foreign_database_is_not_taken_for_a_rift_store() {
        let path = temp_path("foreign");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TABLE projects (id INTEGER PRIMARY KEY, title TEXT);
                 INSERT INTO projects (title) VALUES ('thesis');",
            )
            .unwrap();
        let err = Store::new(&path).open_now().unwrap_err();
        assert!(matches!(err, StoreError::Foreign { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("not a rift store")
                && message.contains("projects")
                && message.contains("--state")
                && !message.contains("CREATE TABLE"),
            "{message}"
        );
        // Refused before anything was written: the other program's data is untouched.
        let conn = Connection::open(&path).unwrap();
        let (version, titles): (i64, i64) = (
            conn.pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap(),
            conn.query_row("SELECT count(*) FROM projects", [], |r| r.get(0))
                .unwrap(),
        );
        assert_eq!((version, titles), (0, 1));
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_private_from_the_start_and_an_open_one_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

        let path = temp_path("private").join("nested").join("state.db");
        let store = Store::new(&path);
        store.open_now().unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&sidecar(&path, "-wal")), 0o600);
        drop(store);

        // A file someone made world-readable, with its WAL and shared memory: all three are tightened.
        let path = temp_path("tighten");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
                .unwrap();
            let files = [path.clone(), sidecar(&path, "-wal"), sidecar(&path, "-shm")];
            for file in &files {
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
            // Opened while the other connection keeps the -wal and -shm in place.
            create_private_file(&path).unwrap();
            for file in &files {
                assert_eq!(mode(file), 0o600, "{}", file.display());
            }
        }
    }

    #[test]
    fn the_activity_log_is_append_only() {
        let store = Store::new(temp_path("append-only"));
        let err = store
            .with_sqlite(|c| {
                c.execute(
                    "INSERT INTO activity (at, tool, action, outcome, detail) VALUES (1, 't', 'a', 'o', 'd')",
                    [],
                )?;
                c.execute("UPDATE activity SET outcome = 'changed'", [])
            })
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
}
