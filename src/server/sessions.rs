//! A cap on live HTTP sessions. Every `initialize` opens a session that lives until the client deletes it or
//! it has been idle for rmcp's keep-alive (5 minutes), so a client that initializes in a loop would otherwise
//! grow the process without bound. At the cap, the session idle the longest is closed to make room; when every
//! session is busy (a request or an SSE stream open), a new one is refused with a message saying so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use futures::{Stream, StreamExt};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{EventStore, ServerSseMessage};
use rmcp::transport::streamable_http_server::{RestoreOutcome, SessionId, SessionManager};

/// When each live session was last used, and how many of its streams are open.
#[derive(Debug, Clone, Copy)]
struct Use {
    last: Instant,
    open: usize,
}

type Uses = Arc<Mutex<HashMap<SessionId, Use>>>;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(
        "rift already serves {max} HTTP sessions and every one is busy; close sessions you no longer use (HTTP \
         DELETE /mcp with their Mcp-Session-Id) or retry later; the operator can raise the limit with \
         --max-sessions or RIFT_HTTP_MAX_SESSIONS"
    )]
    Full { max: usize },
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

/// rmcp's in-memory sessions, at most `max` of them.
#[derive(Debug)]
pub struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    uses: Uses,
    /// Serializes making room, so two initializes cannot both take the last free place.
    making_room: tokio::sync::Mutex<()>,
}

impl CappedSessions {
    pub fn new(max: usize) -> CappedSessions {
        CappedSessions {
            inner: LocalSessionManager::default(),
            max,
            uses: Uses::default(),
            making_room: tokio::sync::Mutex::new(()),
        }
    }

    /// Ensures one more session fits: below the cap nothing happens; at the cap the session idle the longest
    /// is closed; when none is idle, [`SessionError::Full`].
    pub async fn make_room(&self) -> Result<(), SessionError> {
        let _one_at_a_time = self.making_room.lock().await;
        let live: Vec<SessionId> = self.inner.sessions.read().await.keys().cloned().collect();
        let victim = {
            let mut uses = lock(&self.uses);
            // Sessions rmcp ended itself (keep-alive) are gone from its map: forget them here too.
            uses.retain(|id, _| live.contains(id));
            if live.len() < self.max {
                return Ok(());
            }
            uses.iter()
                .filter(|(_, u)| u.open == 0)
                .min_by_key(|(_, u)| u.last)
                .map(|(id, u)| (id.clone(), u.last))
        };
        let Some((id, last)) = victim else {
            tracing::warn!(
                "refused a new HTTP session: all {} sessions are busy",
                self.max
            );
            return Err(SessionError::Full { max: self.max });
        };
        tracing::info!(
            "closing the HTTP session idle longest ({} s) to stay within {} sessions",
            last.elapsed().as_secs(),
            self.max
        );
        self.close_session(&id).await
    }

    fn touch(&self, id: &SessionId) {
        if let Some(u) = lock(&self.uses).get_mut(id) {
            u.last = Instant::now();
        }
    }

    /// `stream`, counted as open on session `id` until it ends or is dropped.
    fn tracked(
        &self,
        id: &SessionId,
        stream: impl Stream<Item = ServerSseMessage> + Send + Sync + 'static,
    ) -> impl Stream<Item = ServerSseMessage> + Send + Sync + 'static {
        if let Some(u) = lock(&self.uses).get_mut(id) {
            u.open += 1;
            u.last = Instant::now();
        }
        let open = OpenStream {
            uses: self.uses.clone(),
            id: id.clone(),
        };
        stream.map(move |message| {
            let _held_until_the_stream_is_dropped = &open;
            message
        })
    }
}

/// Marks a stream of a session open while it lives.
struct OpenStream {
    uses: Uses,
    id: SessionId,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        if let Some(u) = lock(&self.uses).get_mut(&self.id) {
            u.open = u.open.saturating_sub(1);
            u.last = Instant::now();
        }
    }
}

/// The map is only ever updated in whole steps, so a panic elsewhere cannot leave it half-written.
fn lock(uses: &Uses) -> MutexGuard<'_, HashMap<SessionId, Use>> {
    uses.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SessionManager for CappedSessions {
    type Error = SessionError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        self.make_room().await?;
        let (id, transport) = self.inner.create_session().await?;
        lock(&self.uses).insert(
            id.clone(),
            Use {
                last: Instant::now(),
                open: 0,
            },
        );
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.touch(id);
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        lock(&self.uses).remove(id);
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.create_stream(id, message).await?;
        Ok(self.tracked(id, stream))
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.touch(id);
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.create_standalone_stream(id).await?;
        Ok(self.tracked(id, stream))
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.resume(id, last_event_id).await?;
        Ok(self.tracked(id, stream))
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        self.make_room().await?;
        let outcome = self.inner.restore_session(id.clone()).await?;
        lock(&self.uses).entry(id).or_insert(Use {
            last: Instant::now(),
            open: 0,
        });
        Ok(outcome)
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.inner.event_store()
    }
}
