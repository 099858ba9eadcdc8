//! Async actions: many calls answer with an action (`in-progress` → `completed` | `errored`) that rift polls at
//! `/v2/actions/{id}` until it settles or the deadline passes (Prism's examples never settle).

use serde::Deserialize;
use tokio::time::Instant;

use super::client::{Client, DoError};
use crate::cloud::Progress;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Action {
    pub id: u64,
    pub status: ActionStatus,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub resource_id: Option<u64>,
    #[serde(default)]
    pub resource_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    InProgress,
    Completed,
    Errored,
}

#[derive(Deserialize)]
pub(crate) struct ActionEnvelope {
    pub action: Action,
}

impl Client {
    pub async fn get_action(&self, id: u64) -> Result<Action, DoError> {
        let envelope: ActionEnvelope = self.get(&format!("/v2/actions/{id}"), &[]).await?;
        Ok(envelope.action)
    }

    /// Polls the action until it completes; an errored action or one still running at the deadline is an error.
    pub async fn wait_for_action(
        &self,
        action: Action,
        progress: &Progress,
    ) -> Result<Action, DoError> {
        let poll = self.config().poll;
        let deadline = Instant::now() + poll.deadline;
        let mut current = action;
        loop {
            match current.status {
                ActionStatus::Completed => return Ok(current),
                ActionStatus::Errored => {
                    return Err(DoError::ActionErrored {
                        id: current.id,
                        kind: current.kind,
                    });
                }
                ActionStatus::InProgress => {}
            }
            if Instant::now() + poll.interval > deadline {
                return Err(DoError::ActionDeadline {
                    id: current.id,
                    kind: current.kind,
                    after_s: poll.deadline.as_secs(),
                });
            }
            progress.report(&format!(
                "waiting for DigitalOcean action {} ({})",
                current.id, current.kind
            ));
            tokio::time::sleep(poll.interval).await;
            current = self.get_action(current.id).await?;
        }
    }
}
