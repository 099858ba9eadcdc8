//! What the store's queries are written against, so each is written once for both backends: a connection that
//! runs one statement with typed arguments and returns rows of plain values. Statements use SQLite's numbered
//! placeholders (`?1`); the PostgreSQL backend rewrites them to `$1`.

use super::error::StoreError;

/// An argument of a statement. Nulls carry their type: PostgreSQL checks each argument against the type it
/// inferred for the placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}

impl From<Option<&String>> for Arg {
    fn from(v: Option<&String>) -> Arg {
        Arg::Text(v.cloned())
    }
}

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::Text(v.clone())
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}

impl From<u32> for Arg {
    fn from(v: u32) -> Arg {
        Arg::Int(Some(i64::from(v)))
    }
}

impl From<Option<f64>> for Arg {
    fn from(v: Option<f64>) -> Arg {
        Arg::Real(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}

impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Arg {
        Arg::Bytes(v.to_vec())
    }
}

/// `args![a, b]` → `[Arg::from(a), Arg::from(b)]`.
macro_rules! args {
    ($($value:expr),* $(,)?) => { [$($crate::store::sql::Arg::from($value)),*] };
}
pub(super) use args;

/// A value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
}

/// One row of a result.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row(pub(super) Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| bad(i, "a column that is missing"))
    }

    pub(super) fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(bad(i, &format!("{other:?} where text belongs"))),
        }
    }

    pub(super) fn text(&self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?
            .ok_or_else(|| bad(i, "null where text belongs"))
    }

    pub(super) fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Int(n) => Ok(Some(*n)),
            other => Err(bad(i, &format!("{other:?} where an integer belongs"))),
        }
    }

    pub(super) fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.opt_int(i)?
            .ok_or_else(|| bad(i, "null where an integer belongs"))
    }

    pub(super) fn opt_real(&self, i: usize) -> Result<Option<f64>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Real(x) => Ok(Some(*x)),
            // SQLite keeps a REAL with no fraction as an integer only when asked to; accept it anyway.
            Value::Int(n) => Ok(Some(*n as f64)),
            other => Err(bad(i, &format!("{other:?} where a number belongs"))),
        }
    }

    /// SQLite has no boolean type: it stores 0 and 1.
    pub(super) fn bool(&self, i: usize) -> Result<bool, StoreError> {
        match self.at(i)? {
            Value::Bool(b) => Ok(*b),
            Value::Int(n) => Ok(*n != 0),
            other => Err(bad(i, &format!("{other:?} where a boolean belongs"))),
        }
    }

    pub(super) fn bytes(&self, i: usize) -> Result<Vec<u8>, StoreError> {
        match self.at(i)? {
            Value::Bytes(b) => Ok(b.clone()),
            other => Err(bad(i, &format!("{other:?} where bytes belong"))),
        }
    }
}

fn bad(column: usize, what: &str) -> StoreError {
    StoreError::Decode {
        what: "row",
        detail: format!("column {column}: {what}"),
    }
}

/// One open connection (or transaction) of either backend.
pub(super) trait Conn {
    /// Runs one statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64, StoreError>;

    /// Runs one query; all its rows.
    fn query(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, StoreError>;

    /// The first row of a query, if any.
    fn query_opt(&mut self, sql: &str, args: &[Arg]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The only row of a query (an aggregate, a row just written).
    fn query_one(&mut self, sql: &str, args: &[Arg]) -> Result<Row, StoreError> {
        self.query_opt(sql, args)?.ok_or_else(|| {
            StoreError::Sqlite(format!("the query returned no row: {}", first_words(sql)))
        })
    }
}

/// The start of a statement, for an error message (never its arguments).
fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ")
}
