//! Forwarding a change's progress to the client as MCP progress notifications while its request is open.

use std::sync::{Arc, Mutex};

use rmcp::model::{ProgressNotificationParam, RequestMetaObject};
use rmcp::{Peer, RoleServer};

use crate::change::Reporter;

type Sender = tokio::sync::mpsc::UnboundedSender<(u32, u32, String)>;

/// MCP progress notifications, in order, while the request is open (the client sent a progress token).
/// Progress only grows: several messages at the same count advance by a thousandth.
pub(super) struct ProgressForwarder {
    /// Taken (and so closed) when the request ends.
    sender: Arc<Mutex<Option<Sender>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ProgressForwarder {
    pub(super) fn start(
        meta: &RequestMetaObject,
        peer: &Peer<RoleServer>,
    ) -> Option<ProgressForwarder> {
        let token = meta.get_progress_token()?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, u32, String)>();
        let peer = peer.clone();
        let task = tokio::spawn(async move {
            let mut last = -1.0_f64;
            while let Some((done, total, message)) = rx.recv().await {
                let progress = f64::from(done).max(last + 0.001).min(f64::from(total));
                last = progress;
                let param = ProgressNotificationParam::new(token.clone(), progress)
                    .with_total(f64::from(total))
                    .with_message(message);
                if peer.notify_progress(param).await.is_err() {
                    break;
                }
            }
        });
        Some(ProgressForwarder {
            sender: Arc::new(Mutex::new(Some(tx))),
            task,
        })
    }

    /// Where a change reports progress; after [`ProgressForwarder::finish`] its reports go nowhere.
    pub(super) fn reporter(&self) -> Reporter {
        let sender = self.sender.clone();
        Arc::new(move |done, total, message| {
            if let Ok(guard) = sender.lock()
                && let Some(tx) = guard.as_ref()
            {
                // The receiver stops only when the client went away; nothing to report to then.
                let _ = tx.send((done, total, message));
            }
        })
    }

    /// Sends what is queued and stops: a change running on after the answer must not send progress for a
    /// request that has ended.
    pub(super) async fn finish(self) {
        if let Ok(mut guard) = self.sender.lock() {
            guard.take();
        }
        // A forwarder that panicked has nothing left to send.
        let _ = self.task.await;
    }
}
