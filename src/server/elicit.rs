//! Asking the user to approve a change directly (MCP elicitation), where the client can be asked.

use std::time::Duration;

use rmcp::{Peer, RoleServer};
use schemars::JsonSchema;
use serde::Deserialize;

use super::answer::ChangeAnswer;

/// The user's answer when rift asks directly (MCP elicitation).
#[derive(Debug, Deserialize, JsonSchema)]
struct Confirmation {
    /// Approve exactly this change?
    approve: bool,
}

rmcp::elicit_safe!(Confirmation);

pub(super) enum Asked {
    Accepted,
    /// "declined" or "cancelled".
    Declined(&'static str),
    /// No one could be asked (the client cannot elicit): the token path applies.
    NoOne,
}

/// Asks the user to approve the preview when the client declared form elicitation; any failure to ask falls back
/// to the approval token, which always works.
pub(super) async fn ask_user(
    peer: Option<&Peer<RoleServer>>,
    tool: &str,
    preview: &ChangeAnswer,
    ttl_s: u64,
) -> Asked {
    let Some(peer) = peer else {
        return Asked::NoOne;
    };
    if !peer
        .supported_elicitation_modes()
        .contains(&rmcp::service::ElicitationMode::Form)
    {
        return Asked::NoOne;
    }
    let mut message = format!("rift asks you to approve {tool}:\n");
    for line in &preview.changes {
        message.push_str(&format!("- {line}\n"));
    }
    message.push_str(&format!("Policy: {}\n", preview.policy));
    for warning in &preview.warnings {
        message.push_str(&format!("Note: {warning}\n"));
    }
    let wait = Duration::from_secs(ttl_s);
    match peer
        .elicit_with_timeout::<Confirmation>(message, Some(wait))
        .await
    {
        Ok(Some(Confirmation { approve: true })) => Asked::Accepted,
        Ok(_) => Asked::Declined("did not approve"),
        Err(rmcp::service::ElicitationError::UserDeclined) => Asked::Declined("declined"),
        Err(rmcp::service::ElicitationError::UserCancelled) => Asked::Declined("cancelled"),
        Err(e) => {
            tracing::info!("could not ask the user ({e}); returning an approval token instead");
            Asked::NoOne
        }
    }
}
