//! Health subscriptions and the watcher. A client subscribes to `rift://projects/{project_id}/health`; when the
//! operator sets `watch_s`, a background task re-checks the incidents of every subscribed project at that interval
//! and sends `notifications/resources/updated` to the subscribers of a project whose incidents changed (opened,
//! acknowledged, resolved). Off unless asked: each check asks the clouds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::{Peer, RoleServer};

use super::AppState;
use crate::model::Incident;

#[derive(Clone)]
struct Subscriber {
    /// The session (one RiftServer per session) that subscribed.
    session: Arc<str>,
    uri: String,
    project_id: String,
    peer: Peer<RoleServer>,
}

/// Who subscribed to which project's health. Cheap to clone; shared by every session.
#[derive(Clone, Default)]
pub struct Subscriptions(Arc<Mutex<Vec<Subscriber>>>);

impl std::fmt::Debug for Subscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subscriptions")
    }
}

/// The project a health URI names.
pub(super) fn health_project(uri: &str) -> Option<&str> {
    uri.strip_prefix("rift://projects/")?
        .strip_suffix("/health")
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

impl Subscriptions {
    pub(super) fn add(
        &self,
        session: &Arc<str>,
        uri: &str,
        project_id: &str,
        peer: Peer<RoleServer>,
    ) {
        if let Ok(mut all) = self.0.lock() {
            all.retain(|s| !(s.session == *session && s.uri == uri));
            all.push(Subscriber {
                session: session.clone(),
                uri: uri.to_string(),
                project_id: project_id.to_string(),
                peer,
            });
        }
    }

    pub(super) fn remove(&self, session: &Arc<str>, uri: &str) {
        if let Ok(mut all) = self.0.lock() {
            all.retain(|s| !(s.session == *session && s.uri == uri));
        }
    }

    /// The live subscribers, forgetting those whose session has closed.
    fn live(&self) -> Vec<Subscriber> {
        match self.0.lock() {
            Ok(mut all) => {
                all.retain(|s| !s.peer.is_transport_closed());
                all.clone()
            }
            Err(_) => vec![],
        }
    }
}

/// What a subscriber is told changed: each unresolved incident's id and state.
fn fingerprint(incidents: &[Incident]) -> Vec<(String, &'static str)> {
    incidents
        .iter()
        .map(|i| (i.id.clone(), i.state.as_str()))
        .collect()
}

/// Re-checks every subscribed project each `every` and notifies its subscribers when its incidents changed.
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let subscribers = state.subscriptions.live();
            let mut projects: Vec<&str> =
                subscribers.iter().map(|s| s.project_id.as_str()).collect();
            projects.sort_unstable();
            projects.dedup();
            for project in projects {
                if let Err(e) = check(&state, project, &subscribers).await {
                    tracing::warn!("watching the health of {project}: {e}");
                }
            }
        }
    })
}

async fn check(
    state: &AppState,
    project: &str,
    subscribers: &[Subscriber],
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let before = state.changes.projects().health(project)?.1;
    let after = state
        .operations
        .incidents(
            project,
            false,
            chrono::Utc::now().timestamp(),
            Some("rift watcher"),
        )
        .await?
        .incidents;
    if fingerprint(&before) == fingerprint(&after) {
        return Ok(());
    }
    for subscriber in subscribers.iter().filter(|s| s.project_id == project) {
        if let Err(e) = subscriber
            .peer
            .notify_resource_updated(ResourceUpdatedNotificationParam::new(
                subscriber.uri.clone(),
            ))
            .await
        {
            tracing::warn!("could not notify a subscriber of {}: {e}", subscriber.uri);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_project_health_uri_names_a_project() {
        assert_eq!(health_project("rift://projects/shop/health"), Some("shop"));
        assert_eq!(health_project("rift://projects//health"), None);
        assert_eq!(health_project("rift://projects/a/b/health"), None);
        assert_eq!(health_project("rift://plans/p/health"), None);
    }
}
