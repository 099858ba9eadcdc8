//! Who is calling over HTTP: per-user bearer tokens from a token file (`--tokens-file`, RIFT_HTTP_TOKENS_FILE), kept
//! only as SHA-256 hashes, each mapped to a user name. The HTTP layer resolves the bearer token to its user; the
//! tool call runs with that user as its caller, and the activity log records it with the client's name.
//!
//! The file has one user a line, `NAME SHA256-HEX` (the hash of that user's token, e.g. from
//! `printf %s "$TOKEN" | sha256sum`); blank lines and `#` comments are skipped.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

/// The user an HTTP request authenticated as (set by the bearer-token check, read by the tool call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUser(pub Arc<str>);

tokio::task_local! {
    static CALLER: Option<Arc<str>>;
}

/// Runs a tool call with `user` as its caller.
pub(super) async fn as_caller<F: Future>(user: Option<Arc<str>>, call: F) -> F::Output {
    CALLER.scope(user, call).await
}

/// The user the current tool call runs for, if it came with a per-user token.
pub(super) fn caller() -> Option<Arc<str>> {
    CALLER.try_with(Clone::clone).ok().flatten()
}

#[derive(Debug, thiserror::Error)]
pub enum TokensFileError {
    #[error("tokens file {path}: {detail}")]
    Read { path: String, detail: String },
    #[error(
        "tokens file {path}, line {line}: expected `NAME SHA256-HEX` (a user name of letters, digits, '.', '_', \
         '-' or '@', then the 64 hex digits of the SHA-256 of that user's token, never the token itself)"
    )]
    Line { path: String, line: usize },
    #[error("tokens file {path}, line {line}: the user {name} is listed twice")]
    Duplicate {
        path: String,
        line: usize,
        name: String,
    },
    #[error("tokens file {path} lists no user")]
    Empty { path: String },
}

/// The users and their token hashes.
#[derive(Clone)]
pub struct UserTokens {
    users: Vec<(Arc<str>, [u8; 32])>,
}

impl std::fmt::Debug for UserTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.users.iter().map(|(n, _)| &**n).collect();
        f.debug_struct("UserTokens").field("users", &names).finish()
    }
}

impl UserTokens {
    pub fn load(path: &Path) -> Result<UserTokens, TokensFileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| TokensFileError::Read {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        UserTokens::parse(&text, &shown)
    }

    /// Parses the file's text; errors name the line, never its content (it might hold a raw token by mistake).
    pub(super) fn parse(text: &str, path: &str) -> Result<UserTokens, TokensFileError> {
        let mut users: Vec<(Arc<str>, [u8; 32])> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || TokensFileError::Line {
                path: path.to_string(),
                line: i + 1,
            };
            let mut fields = line.split_whitespace();
            let (Some(name), Some(hash), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad());
            };
            let valid_name = name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
            let hash = unhex32(hash).filter(|_| valid_name).ok_or_else(bad)?;
            if users.iter().any(|(n, _)| &**n == name) {
                return Err(TokensFileError::Duplicate {
                    path: path.to_string(),
                    line: i + 1,
                    name: name.to_string(),
                });
            }
            users.push((Arc::from(name), hash));
        }
        if users.is_empty() {
            return Err(TokensFileError::Empty {
                path: path.to_string(),
            });
        }
        Ok(UserTokens { users })
    }

    /// The user whose token this is. Every entry is compared, in constant time, whatever matches.
    pub fn user_for(&self, token: &str) -> Option<Arc<str>> {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for (name, hash) in &self.users {
            let differs = hash
                .iter()
                .zip(&presented)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if differs == 0 {
                found = Some(name.clone());
            }
        }
        found
    }
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Compares without stopping at the first difference, so timing does not reveal how much of a guess was right.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(token: &str) -> String {
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn tokens_map_to_their_users_and_bad_lines_are_named_without_their_content() {
        let text = format!(
            "# the team\n\nalice {}\nbob@example.com {}\n",
            hash("alice-token-0123456789abcdef0123456789"),
            hash("bob-token-0123456789abcdef0123456789ab")
        );
        let users = UserTokens::parse(&text, "tokens").unwrap();
        assert_eq!(
            users
                .user_for("alice-token-0123456789abcdef0123456789")
                .as_deref(),
            Some("alice")
        );
        assert_eq!(
            users
                .user_for("bob-token-0123456789abcdef0123456789ab")
                .as_deref(),
            Some("bob@example.com")
        );
        assert_eq!(users.user_for("someone-else"), None);
        assert!(!format!("{users:?}").contains(&hash("alice-token-0123456789abcdef0123456789")));

        let err = UserTokens::parse("carol raw-token-instead-of-a-hash\n", "tokens")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 1") && err.contains("SHA256") && !err.contains("raw-token"),
            "{err}"
        );
        let twice = format!("dave {}\ndave {}\n", hash("a"), hash("b"));
        let err = UserTokens::parse(&twice, "tokens").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("dave"), "{err}");
        assert!(UserTokens::parse("# nobody\n", "tokens").is_err());
    }

    #[tokio::test]
    async fn a_tool_call_sees_its_caller_and_nothing_leaks_outside() {
        assert_eq!(caller(), None);
        let seen = as_caller(Some(Arc::from("alice")), async { caller() }).await;
        assert_eq!(seen.as_deref(), Some("alice"));
        assert_eq!(caller(), None);
    }
}
