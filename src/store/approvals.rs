//! Issued approval tokens (only their hashes) and the signing key. Using a token is one conditional update, so
//! two concurrent calls with the same token cannot both succeed.

use super::db::{Store, StoreError};
use super::sql::args;

/// An issued approval, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub token_hash: String,
    pub project_id: String,
    pub tool: String,
    pub request_hash: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    /// Milliseconds since the Unix epoch (as in the token).
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Who asked for the token and who spent it: the user of a per-user HTTP token and the client's name.
    pub issued_to: Option<String>,
    pub used_by: Option<String>,
}

impl Store {
    /// The key approvals are signed with, generated on first use and kept in the store (so tokens survive a
    /// restart, are valid on every replica sharing the store, and are worthless against another store). The
    /// first replica to insert it wins; the others read the winner's.
    pub fn approval_key(&self) -> Result<Vec<u8>, StoreError> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh)
            .map_err(|e| StoreError::Sqlite(format!("no randomness for the approval key: {e}")))?;
        self.with(|c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('approval_key', ?1) ON CONFLICT (key) DO NOTHING",
                &args![&fresh[..]],
            )?;
            c.query_one("SELECT value FROM meta WHERE key = 'approval_key'", &[])?
                .bytes(0)
        })
    }

    /// Records an issued token, and forgets tokens that expired over a day ago (the activity log keeps the
    /// history; an expired token is refused as unknown either way).
    pub fn insert_approval(&self, row: &ApprovalRow) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM approvals WHERE expires_at < ?1",
                &args![(row.created_at - 86_400).saturating_mul(1000)],
            )?;
            c.execute(
                "INSERT INTO approvals (token_hash, project_id, tool, request_hash, created_at, expires_at,
                                        issued_to)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                &args![
                    &row.token_hash,
                    &row.project_id,
                    &row.tool,
                    &row.request_hash,
                    row.created_at,
                    row.expires_at,
                    row.issued_to.as_deref()
                ],
            )
        })?;
        Ok(())
    }

    pub fn approval(&self, token_hash: &str) -> Result<Option<ApprovalRow>, StoreError> {
        self.with(|c| {
            c.query_opt(
                "SELECT token_hash, project_id, tool, request_hash, created_at, expires_at, used_at,
                        issued_to, used_by
                 FROM approvals WHERE token_hash = ?1",
                &args![token_hash],
            )?
            .map(|r| {
                Ok(ApprovalRow {
                    token_hash: r.text(0)?,
                    project_id: r.text(1)?,
                    tool: r.text(2)?,
                    request_hash: r.text(3)?,
                    created_at: r.int(4)?,
                    expires_at: r.int(5)?,
                    used_at: r.opt_int(6)?,
                    issued_to: r.opt_text(7)?,
                    used_by: r.opt_text(8)?,
                })
            })
            .transpose()
        })
    }

    /// Marks the approval used; false when it was used already (by this or a concurrent call, in this process
    /// or another replica): one conditional update, never a read then a write.
    pub fn use_approval(
        &self,
        token_hash: &str,
        at: i64,
        by: Option<&str>,
    ) -> Result<bool, StoreError> {
        let changed = self.with(|c| {
            c.execute(
                "UPDATE approvals SET used_at = ?2, used_by = ?3 WHERE token_hash = ?1 AND used_at IS NULL",
                &args![token_hash, at, by],
            )
        })?;
        Ok(changed == 1)
    }
}
