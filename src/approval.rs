//! Approve-then-apply: a mutating call without `approval_token` returns a preview and a token bound to exactly
//! that request; the same call with the token executes it, once, within the token's lifetime, in the project it
//! was issued for.
//!
//! A token is `rift-approval.<expires>.<nonce>.<mac>` where mac = HMAC-SHA256 (key generated per store and kept
//! in it) over the tool, the project id, the hash of the normalized request, the expiry and the nonce. The
//! store keeps only the token's hash, and marks it used in one conditional update.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::store::{ApprovalRow, Store, StoreError, rfc3339};

const PREFIX: &str = "rift-approval";

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error(
        "approval_token: not a token rift issued; call the tool without approval_token to get a preview and a token"
    )]
    Malformed,
    #[error(
        "approval_token: unknown token (issued by another rift state store, or never); call the tool without \
         approval_token to preview again"
    )]
    Unknown,
    #[error(
        "approval_token: issued for project \"{issued_for}\", not \"{requested}\"; a token approves one request in \
         one project"
    )]
    OtherProject {
        issued_for: String,
        requested: String,
    },
    #[error("approval_token: issued for {issued_for}, not {requested}")]
    OtherTool {
        issued_for: String,
        requested: String,
    },
    #[error(
        "approval_token: the arguments differ from the request that was previewed; the token approves exactly \
         that request: call without approval_token to preview the changed request"
    )]
    DifferentRequest,
    #[error("approval_token: the token was altered; call without approval_token to preview again")]
    Tampered,
    #[error(
        "approval_token: expired at {expired_at} (tokens are valid for {ttl_s} s); call without approval_token \
         to preview again"
    )]
    Expired { expired_at: String, ttl_s: u64 },
    #[error(
        "approval_token: already used at {used_at}{by}; a token approves one execution: call without \
         approval_token to preview again"
    )]
    Reused { used_at: String, by: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token handed out with a preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub token: String,
    /// Seconds since the Unix epoch (the token and the store keep milliseconds).
    pub expires_at: i64,
}

/// Issues and redeems approval tokens in one store.
#[derive(Debug, Clone)]
pub struct Approvals {
    store: Store,
    ttl_s: u64,
}

impl Approvals {
    pub fn new(store: Store, ttl_s: u64) -> Approvals {
        Approvals { store, ttl_s }
    }

    pub fn ttl_s(&self) -> u64 {
        self.ttl_s
    }

    /// A token for `tool` with these normalized arguments in this project, issued to `who` (the user and
    /// client asking, as the activity log names them).
    pub fn issue(
        &self,
        tool: &str,
        project_id: &str,
        request_hash: &str,
        now: i64,
        who: Option<&str>,
    ) -> Result<Issued, ApprovalError> {
        let key = self.store.approval_key()?;
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)
            .map_err(|e| StoreError::Sqlite(format!("no randomness for a token nonce: {e}")))?;
        let nonce = hex(&nonce);
        let ttl_ms = i64::try_from(self.ttl_s)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        let expires_at = millis_within(now).saturating_add(ttl_ms);
        let mac = sign(&key, tool, project_id, request_hash, expires_at, &nonce)?;
        let token = format!("{PREFIX}.{expires_at}.{nonce}.{}", hex(&mac));
        self.store.insert_approval(&ApprovalRow {
            token_hash: token_hash(&token),
            project_id: project_id.to_string(),
            tool: tool.to_string(),
            request_hash: request_hash.to_string(),
            created_at: now,
            expires_at,
            used_at: None,
            issued_to: who.map(str::to_string),
            used_by: None,
        })?;
        Ok(Issued {
            token,
            expires_at: expires_at.div_euclid(1000),
        })
    }

    /// Checks the token against this exact request and marks it used. Only `Ok` lets the caller execute.
    pub fn redeem(
        &self,
        token: &str,
        tool: &str,
        project_id: &str,
        request_hash: &str,
        now: i64,
        who: Option<&str>,
    ) -> Result<(), ApprovalError> {
        let (expires_at, nonce, mac) = parse(token).ok_or(ApprovalError::Malformed)?;
        let hash = token_hash(token);
        let row = self.store.approval(&hash)?.ok_or(ApprovalError::Unknown)?;
        if row.project_id != project_id {
            return Err(ApprovalError::OtherProject {
                issued_for: row.project_id,
                requested: project_id.to_string(),
            });
        }
        if row.tool != tool {
            return Err(ApprovalError::OtherTool {
                issued_for: row.tool,
                requested: tool.to_string(),
            });
        }
        // Before the binding: what a request resolves to changes once it has run (an applied plan's resources
        // exist), so a replayed identical call would otherwise read as a changed one.
        if let Some(used) = row.used_at {
            return Err(ApprovalError::Reused {
                used_at: rfc3339(used),
                by: row
                    .used_by
                    .map(|who| format!(" by {who}"))
                    .unwrap_or_default(),
            });
        }
        if row.request_hash != request_hash {
            return Err(ApprovalError::DifferentRequest);
        }
        let key = self.store.approval_key()?;
        let mac_bytes = unhex(mac).ok_or(ApprovalError::Tampered)?;
        if row.expires_at != expires_at {
            return Err(ApprovalError::Tampered);
        }
        mac_for(&key, tool, project_id, request_hash, expires_at, nonce)?
            .verify_slice(&mac_bytes)
            .map_err(|_| ApprovalError::Tampered)?;
        if millis_within(now) > expires_at {
            return Err(ApprovalError::Expired {
                expired_at: rfc3339(expires_at.div_euclid(1000)),
                ttl_s: self.ttl_s,
            });
        }
        if !self.store.use_approval(&hash, now, who)? {
            return Err(ApprovalError::Reused {
                used_at: rfc3339(now),
                by: " by a concurrent call".to_string(),
            });
        }
        Ok(())
    }
}

/// `now` (whole seconds, as callers and the store count time) in milliseconds, with the system clock's fraction
/// when the clock is still in that second. Expiry is kept to the millisecond: compared in whole seconds, a token
/// issued early in a second and redeemed late in the second it expires would live up to a second longer than
/// its lifetime (a 1 s token about 2 s). A `now` from another second (a test's fixed clock) is taken as given.
fn millis_within(now: i64) -> i64 {
    let clock = chrono::Utc::now().timestamp_millis();
    if clock.div_euclid(1000) == now {
        clock
    } else {
        now.saturating_mul(1000)
    }
}

/// The hash a token is bound to: SHA-256 of the canonical JSON (keys sorted, no whitespace) of the tool name
/// and its arguments without `approval_token`. Callers pass the arguments as parsed (defaults applied), so
/// spelling differences that mean the same request hash the same.
pub fn request_hash(tool: &str, arguments: &Value) -> String {
    let mut args = arguments.clone();
    if let Value::Object(map) = &mut args {
        map.remove("approval_token");
    }
    let canonical = canonical_json(&serde_json::json!({"tool": tool, "arguments": args}));
    hex(&Sha256::digest(canonical.as_bytes()))
}

fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::String(k.clone()),
                        map.get(k).map(canonical_json).unwrap_or_default()
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

fn mac_for(
    key: &[u8],
    tool: &str,
    project_id: &str,
    request_hash: &str,
    expires_at: i64,
    nonce: &str,
) -> Result<Hmac<Sha256>, ApprovalError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| StoreError::Sqlite(format!("unusable approval key: {e}")))?;
    // Length-prefixed fields: no two different requests give the same signed bytes.
    for field in [
        tool,
        project_id,
        request_hash,
        &expires_at.to_string(),
        nonce,
    ] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
    }
    Ok(mac)
}

fn sign(
    key: &[u8],
    tool: &str,
    project_id: &str,
    request_hash: &str,
    expires_at: i64,
    nonce: &str,
) -> Result<Vec<u8>, ApprovalError> {
    let mac = mac_for(key, tool, project_id, request_hash, expires_at, nonce)?;
    Ok(mac.finalize().into_bytes().to_vec())
}

fn parse(token: &str) -> Option<(i64, &str, &str)> {
    let mut parts = token.trim().split('.');
    let (prefix, expires, nonce, mac) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if prefix != PREFIX || parts.next().is_some() || nonce.len() != 32 || mac.len() != 64 {
        return None;
    }
    Some((expires.parse().ok()?, nonce, mac))
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn approvals(name: &str) -> Approvals {
        Approvals::new(
            Store::new(crate::store::testing::state("approval", name)),
            600,
        )
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn the_same_request_with_its_token_executes_once() {
        let a = approvals("once");
        let hash = request_hash(
            "apply_plan",
            &json!({"project_id": "shop", "plan_id": "plan-1"}),
        );
        let issued = a.issue("apply_plan", "shop", &hash, NOW, None).unwrap();
        assert_eq!(issued.expires_at, NOW + 600);
        a.redeem(&issued.token, "apply_plan", "shop", &hash, NOW + 5, None)
            .unwrap();
        let replay = a.redeem(&issued.token, "apply_plan", "shop", &hash, NOW + 6, None);
        assert!(
            matches!(replay, Err(ApprovalError::Reused { .. })),
            "{replay:?}"
        );
    }

    #[test]
    fn who_asked_and_who_spent_the_token_are_recorded() {
        let a = approvals("who");
        let hash = request_hash("apply_plan", &json!({"project_id": "shop"}));
        let issued = a
            .issue("apply_plan", "shop", &hash, NOW, Some("alice (inspector)"))
            .unwrap();
        a.redeem(
            &issued.token,
            "apply_plan",
            "shop",
            &hash,
            NOW + 1,
            Some("bob (claude-ai)"),
        )
        .unwrap();
        let row = a
            .store
            .approval(&token_hash(&issued.token))
            .unwrap()
            .unwrap();
        assert_eq!(row.issued_to.as_deref(), Some("alice (inspector)"));
        assert_eq!(row.used_by.as_deref(), Some("bob (claude-ai)"));
        let replay = a
            .redeem(
                &issued.token,
                "apply_plan",
                "shop",
                &hash,
                NOW + 2,
                Some("carol"),
            )
            .unwrap_err();
        assert!(
            replay.to_string().contains("by bob (claude-ai)"),
            "{replay}"
        );
    }

    #[test]
    fn the_token_binds_the_normalized_request() {
        // Key order and the token itself do not change the request; values do.
        let h1 = request_hash(
            "apply_plan",
            &json!({"project_id": "shop", "plan_id": "plan-1"}),
        );
        let h2 = request_hash(
            "apply_plan",
            &json!({"plan_id": "plan-1", "project_id": "shop", "approval_token": "x"}),
        );
        assert_eq!(h1, h2);
        let other = request_hash(
            "apply_plan",
            &json!({"project_id": "shop", "plan_id": "plan-2"}),
        );
        assert_ne!(h1, other);
        assert_ne!(
            h1,
            request_hash(
                "delete_resource",
                &json!({"project_id": "shop", "plan_id": "plan-1"})
            )
        );

        let a = approvals("binding");
        let issued = a.issue("apply_plan", "shop", &h1, NOW, None).unwrap();
        let err = a
            .redeem(&issued.token, "apply_plan", "shop", &other, NOW, None)
            .unwrap_err();
        assert!(matches!(err, ApprovalError::DifferentRequest), "{err:?}");
        let err = a
            .redeem(&issued.token, "apply_plan", "blog", &h1, NOW, None)
            .unwrap_err();
        assert!(
            err.to_string().contains("issued for project \"shop\""),
            "{err}"
        );
        let err = a
            .redeem(&issued.token, "delete_resource", "shop", &h1, NOW, None)
            .unwrap_err();
        assert!(matches!(err, ApprovalError::OtherTool { .. }), "{err:?}");
        // None of the refusals used the token up.
        a.redeem(&issued.token, "apply_plan", "shop", &h1, NOW, None)
            .unwrap();
        // Replayed, even with what the request resolves to changed since, it is refused as used.
        let err = a
            .redeem(&issued.token, "apply_plan", "shop", &other, NOW + 5, None)
            .unwrap_err();
        assert!(
            matches!(err, ApprovalError::Reused { .. })
                && err.to_string().contains("already used at"),
            "{err:?}"
        );
    }

    #[test]
    fn tampered_expired_and_foreign_tokens_are_refused() {
        let a = approvals("tamper");
        let hash = request_hash("create_instance", &json!({"name": "web"}));
        let issued = a
            .issue("create_instance", "shop", &hash, NOW, None)
            .unwrap();

        // A changed mac is not a token this store issued; a forged row with a changed expiry fails the mac.
        let mut forged = issued.token.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == '0' { '1' } else { '0' });
        let err = a
            .redeem(&forged, "create_instance", "shop", &hash, NOW, None)
            .unwrap_err();
        assert!(matches!(err, ApprovalError::Unknown), "{err:?}");
        let stretched = issued.token.replacen(
            &((NOW + 600) * 1000).to_string(),
            &((NOW + 60_000) * 1000).to_string(),
            1,
        );
        assert_ne!(stretched, issued.token);
        a.store
            .insert_approval(&ApprovalRow {
                token_hash: token_hash(&stretched),
                project_id: "shop".into(),
                tool: "create_instance".into(),
                request_hash: hash.clone(),
                created_at: NOW,
                expires_at: (NOW + 60_000) * 1000,
                used_at: None,
                issued_to: None,
                used_by: None,
            })
            .unwrap();
        let err = a
            .redeem(
                &stretched,
                "create_instance",
                "shop",
                &hash,
                NOW + 1000,
                None,
            )
            .unwrap_err();
        assert!(matches!(err, ApprovalError::Tampered), "{err:?}");

        let err = a
            .redeem("yes-approved", "create_instance", "shop", &hash, NOW, None)
            .unwrap_err();
        assert!(matches!(err, ApprovalError::Malformed), "{err:?}");

        let err = a
            .redeem(
                &issued.token,
                "create_instance",
                "shop",
                &hash,
                NOW + 601,
                None,
            )
            .unwrap_err();
        assert!(matches!(err, ApprovalError::Expired { .. }), "{err:?}");
        assert!(err.to_string().contains("preview again"));

        // A token from another store (another key) is unknown here.
        let b = approvals("tamper-other");
        let theirs = b
            .issue("create_instance", "shop", &hash, NOW, None)
            .unwrap();
        let err = a
            .redeem(&theirs.token, "create_instance", "shop", &hash, NOW, None)
            .unwrap_err();
        assert!(matches!(err, ApprovalError::Unknown), "{err:?}");
    }

    #[test]
    fn a_one_second_token_lives_one_second() {
        let a = Approvals::new(approvals("one-second").store, 1);
        let hash = request_hash("create_instance", &json!({"name": "web"}));
        // Issued early in a second: compared in whole seconds, it would still pass 1.3 s later.
        while chrono::Utc::now().timestamp_subsec_millis() > 500 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let issued = a
            .issue("create_instance", "shop", &hash, crate::store::now(), None)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1300));
        let err = a
            .redeem(
                &issued.token,
                "create_instance",
                "shop",
                &hash,
                crate::store::now(),
                None,
            )
            .unwrap_err();
        assert!(matches!(err, ApprovalError::Expired { .. }), "{err:?}");

        let issued = a
            .issue("create_instance", "shop", &hash, crate::store::now(), None)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        a.redeem(
            &issued.token,
            "create_instance",
            "shop",
            &hash,
            crate::store::now(),
            None,
        )
        .unwrap();
    }

    #[test]
    fn tokens_are_not_mistaken_for_secrets() {
        let a = approvals("not-secret");
        let issued = a.issue("apply_plan", "shop", "h", NOW, None).unwrap();
        assert_eq!(crate::config::secret_kind(&issued.token), None);
    }
}
