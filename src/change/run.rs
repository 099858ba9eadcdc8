//! Approving and running a proposal. An approved change is recorded and started in the background; the caller
//! waits a few seconds for it and gets either its outcome or its id while it runs on (`get_change` reads it,
//! `cancel_change` stops it). A change whose process ended is found by its stale heartbeat and marked
//! interrupted; running the same call again finishes it without doing anything twice.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Action, ChangeError, Changes, Proposal, Work};
use crate::approval::Issued;
use crate::cloud::{DeleteOutcome, Progress};
use crate::engine::{self, ApplyReport, ProjectHold};
use crate::pricing::Micros;
use crate::store::{ChangeRecord, ChangeState, now};

/// Progress for the caller while it listens: `(done, total, message)`.
pub type Reporter = engine::Reporter;

/// How a proposal was approved.
#[derive(Debug, Clone)]
pub enum Approval {
    /// The token a preview handed out (checked against the proposal's binding, then spent).
    Token(String),
    /// The user approved this very proposal when asked directly (MCP elicitation).
    User,
}

/// What executing a change did, or, while it still runs, what it is doing.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub change_id: String,
    pub state: ChangeState,
    /// One line per resource: what happened ("created NAME CLOUD-ID", "failed NAME: why", ...), or, while it
    /// runs, what the change does.
    pub steps: Vec<String>,
    pub message: String,
    /// What the change added per month, counting only what was done.
    pub cost_delta: Micros,
}

impl From<&ChangeRecord> for Outcome {
    fn from(record: &ChangeRecord) -> Outcome {
        Outcome {
            change_id: record.change_id.clone(),
            state: record.state,
            steps: record.steps.clone(),
            message: record.message.clone(),
            cost_delta: Micros::from_dollars(record.monthly_cost_delta).unwrap_or_default(),
        }
    }
}

/// A heartbeat older than this means the process running the change has ended.
const STALE_AFTER_S: i64 = 60;
const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);

/// An id for this process in the changes it records: its machine, its pid, and a random part (pids repeat).
pub(super) fn process_owner() -> String {
    format!("{}:{}:{}", hostname(), std::process::id(), random_hex())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Whether the process that owns a change may still run: on another machine (or where processes cannot be seen)
/// only its heartbeat tells; on this one, its pid must exist.
fn owner_alive(owner: &str) -> bool {
    let mut parts = owner.splitn(3, ':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return true;
    };
    let proc_root = std::path::Path::new("/proc");
    if host != hostname() || host.is_empty() || !proc_root.join("self").exists() {
        return true;
    }
    if pid == std::process::id().to_string() {
        // Our pid, but not our owner id: an earlier process that had the same pid.
        return false;
    }
    proc_root.join(pid).exists()
}

impl Changes {
    /// Asks each cloud whether these credentials may create what the proposal adds, without creating anything.
    /// A cloud that cannot be reached yet is a warning, not a refusal: the credentials may be set before the
    /// approved call.
    pub async fn permission_warnings(&self, proposal: &Proposal) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut unreachable = Vec::new();
        for resource in proposal.creations() {
            if unreachable.contains(&resource.provider) {
                continue;
            }
            let cloud = match engine::access(&proposal.project, resource.provider, &resource.region)
            {
                Ok(access) => self.clouds.client(&access).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match cloud {
                Ok(cloud) => {
                    if let Err(e) = cloud.check_permissions(resource).await {
                        warnings.push(format!(
                            "{}: the permission check failed, so creating it would too: {e}",
                            resource.name
                        ));
                    }
                }
                Err(e) => {
                    unreachable.push(resource.provider);
                    warnings.push(format!(
                        "{} could not be reached to check permissions: {e}",
                        resource.provider
                    ));
                }
            }
        }
        warnings
    }

    /// A token approving exactly this proposal, valid once until it expires.
    pub fn issue(&self, proposal: &Proposal) -> Result<Issued, ChangeError> {
        let issued = self.approvals.issue(
            proposal.tool,
            &proposal.project.id,
            &proposal.binding,
            now(),
            proposal.client.as_deref(),
        )?;
        let detail = format!("{}; {}", names(proposal), proposal.policy);
        self.log(proposal, "preview", "allowed", &detail);
        Ok(issued)
    }

    /// The user declined (or cancelled) when asked directly: recorded, nothing changes.
    pub fn declined(&self, proposal: &Proposal) {
        self.log(proposal, "preview", "declined", &names(proposal));
    }

    /// Runs an approved proposal: spends the approval, records the change and starts it, then waits up to
    /// `wait` for it. A change still running after that goes on in the background.
    pub async fn execute(
        &self,
        proposal: Proposal,
        approval: Approval,
        reporter: Option<Reporter>,
        wait: Duration,
    ) -> Result<Outcome, ChangeError> {
        if let Work::Nothing { message } = &proposal.work {
            return Ok(Outcome {
                change_id: String::new(),
                state: ChangeState::Succeeded,
                steps: proposal.lines(),
                message: message.clone(),
                cost_delta: Micros::ZERO,
            });
        }
        let hold = match self.hold(&proposal, wait).await {
            Ok(hold) => hold,
            Err(e) => {
                self.log(&proposal, "execute", "refused", &e.to_string());
                return Err(e);
            }
        };
        let approved_by = match approval {
            Approval::Token(token) => {
                if let Err(e) = self.approvals.redeem(
                    &token,
                    proposal.tool,
                    &proposal.project.id,
                    &proposal.binding,
                    now(),
                    proposal.client.as_deref(),
                ) {
                    self.log(&proposal, "execute", "refused", &e.to_string());
                    return Err(e.into());
                }
                "approval token"
            }
            Approval::User => "the user, asked directly",
        };
        self.log(
            &proposal,
            "execute",
            "approved",
            &format!("{} (approved by {approved_by})", names(&proposal)),
        );
        let id = change_id();
        self.store.insert_change(
            &id,
            &proposal.project.id,
            proposal.tool,
            &proposal.lines(),
            proposal.client.as_deref(),
            &self.owner,
        )?;
        let cancel = CancellationToken::new();
        if let Ok(mut running) = self.running.lock() {
            running.insert(id.clone(), cancel.clone());
        }
        let task =
            tokio::spawn(
                self.clone()
                    .run(id.clone(), proposal.clone(), hold, reporter, cancel),
            );
        match tokio::time::timeout(wait, task).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(join)) => Err(ChangeError::Failed(format!(
                "the change {id} stopped unexpectedly: {join}"
            ))),
            Err(_) => Ok(Outcome {
                message: format!(
                    "started {id}; still running after {} s: get_change with change_id {id} shows its progress \
                     and outcome, cancel_change stops it",
                    wait.as_secs()
                ),
                change_id: id,
                state: ChangeState::Running,
                steps: proposal.lines(),
                cost_delta: Micros::ZERO,
            }),
        }
    }

    /// The project's change lock, waited for up to `wait` while this process runs another change on it.
    async fn hold(&self, proposal: &Proposal, wait: Duration) -> Result<ProjectHold, ChangeError> {
        let project_id = &proposal.project.id;
        match tokio::time::timeout(wait, self.engine.hold(project_id)).await {
            Ok(held) => Ok(held?),
            Err(_) => {
                let running: Vec<String> = self
                    .store
                    .running_changes()?
                    .into_iter()
                    .filter(|c| c.project_id == *project_id)
                    .map(|c| format!("{} ({})", c.change_id, c.tool))
                    .collect();
                Err(ChangeError::Conflict(format!(
                    "project {project_id} is being changed by {}; one change runs per project at a time: wait \
                     for it to finish (get_change), then call again (the approval token was not spent; if that \
                     change altered what this one would do, preview again for a new one)",
                    if running.is_empty() {
                        "another change of this rift process".to_string()
                    } else {
                        running.join(", ")
                    }
                )))
            }
        }
    }

    /// A change by id, as recorded. A running change whose process stopped answering is marked interrupted.
    pub fn get(&self, id: &str) -> Result<ChangeRecord, ChangeError> {
        self.interrupt_stale()?;
        self.store.change(id)?.ok_or_else(|| {
            ChangeError::invalid(
                "change_id",
                format!(
                    "no change \"{}\"; get_project lists a project's latest changes",
                    crate::config::redact(id)
                ),
            )
        })
    }

    /// Stops a running change: nothing new starts; what is under way finishes and is recorded.
    pub fn cancel(&self, id: &str) -> Result<ChangeRecord, ChangeError> {
        let record = self.get(id)?;
        if record.state.is_finished() {
            return Err(ChangeError::Conflict(format!(
                "{id} has already ended ({}); nothing to cancel",
                record.state.as_str()
            )));
        }
        let token = self
            .running
            .lock()
            .ok()
            .and_then(|running| running.get(id).cloned());
        match token {
            Some(token) => {
                token.cancel();
                Ok(record)
            }
            None => Err(ChangeError::Conflict(format!(
                "{id} runs in another rift process; cancel it there"
            ))),
        }
    }

    /// A project with its resources and latest changes (changes whose process ended shown as interrupted).
    pub async fn project_view(
        &self,
        project_id: &str,
        refresh: bool,
        client: Option<&str>,
    ) -> Result<crate::project::ProjectView, ChangeError> {
        self.interrupt_stale()?;
        Ok(self.projects.view(project_id, refresh, client).await?)
    }

    /// Marks changes whose process ended as interrupted (after a restart, or another process that died): a
    /// process on this machine that no longer exists, or one whose heartbeat stopped.
    pub(super) fn interrupt_stale(&self) -> Result<(), ChangeError> {
        let stale_before = now() - STALE_AFTER_S;
        for change in self.store.running_changes()? {
            if change.owner == *self.owner
                || (change.heartbeat_at >= stale_before && owner_alive(&change.owner))
            {
                continue;
            }
            let message = "interrupted: the rift process running it ended; call the same tool again to finish it \
                           (nothing is created twice), or get_project with refresh=true to reconcile";
            if self.store.interrupt_change(&change.change_id, message)? {
                tracing::warn!(
                    "change {} ({} in {}) was interrupted: its process ended",
                    change.change_id,
                    change.tool,
                    change.project_id
                );
            }
        }
        Ok(())
    }

    /// The background part of a change: runs it, records the outcome and the activity, keeps the heartbeat.
    async fn run(
        self,
        id: String,
        proposal: Proposal,
        hold: ProjectHold,
        reporter: Option<Reporter>,
        cancel: CancellationToken,
    ) -> Outcome {
        let store = self.store.clone();
        let progress_id = id.clone();
        let recording: Reporter = Arc::new(move |done, total, message: String| {
            if let Err(e) =
                store.change_progress(&progress_id, &format!("{done}/{total}: {message}"))
            {
                tracing::warn!("could not record the progress of {progress_id}: {e}");
            }
            if let Some(report) = &reporter {
                report(done, total, message);
            }
        });
        let heartbeat = {
            let store = self.store.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(HEARTBEAT_EVERY);
                loop {
                    every.tick().await;
                    if let Err(e) = store.change_heartbeat(&id) {
                        tracing::warn!("could not record the heartbeat of {id}: {e}");
                    }
                }
            })
        };
        let (state, steps, message, cost_delta) =
            self.work(&proposal, &hold, recording, cancel).await;
        drop(hold);
        heartbeat.abort();
        if let Ok(mut running) = self.running.lock() {
            running.remove(&id);
        }
        if let Err(e) = self
            .store
            .finish_change(&id, state, &steps, &message, cost_delta.0)
        {
            tracing::warn!("could not record the outcome of {id}: {e}");
        }
        let (action, outcome) = match (&proposal.work, state) {
            (Work::Create { .. }, ChangeState::Succeeded) => ("create", "created"),
            (Work::Create { .. }, _) => ("create", state.as_str()),
            (Work::Resize { .. }, ChangeState::Succeeded) => ("resize", "resized"),
            (Work::Resize { .. }, _) => ("resize", "failed"),
            (Work::Delete { .. }, ChangeState::Succeeded) => ("delete", "deleted"),
            (Work::Delete { .. }, _) => ("delete", "failed"),
            (Work::Alert { .. }, ChangeState::Succeeded) => ("alert", "created"),
            (Work::RemoveAlert { .. }, ChangeState::Succeeded) => ("alert", "deleted"),
            (Work::Alert { .. } | Work::RemoveAlert { .. }, _) => ("alert", state.as_str()),
            (Work::Reboot { .. }, ChangeState::Succeeded) => ("reboot", "rebooted"),
            (Work::Reboot { .. }, _) => ("reboot", "failed"),
            (Work::Adopt { .. }, ChangeState::Succeeded) => ("adopt", "adopted"),
            (Work::Adopt { .. }, _) => ("adopt", state.as_str()),
            (Work::Nothing { .. }, _) => ("none", "unchanged"),
        };
        if state != ChangeState::Succeeded {
            tracing::warn!(
                "change {id} ({} in {}): {message}",
                proposal.tool,
                proposal.project.id
            );
        }
        self.log(
            &proposal,
            action,
            outcome,
            &format!("{id}: {message}; {}", steps.join("; ")),
        );
        if let Some(incident) = &proposal.incident {
            self.on_timeline(
                &proposal.project,
                incident,
                &format!("{} {id} {}: {message}", proposal.tool, state.as_str()),
            );
        }
        Outcome {
            change_id: id,
            state,
            steps,
            message,
            cost_delta,
        }
    }

    /// Does the work: (state, what happened per resource, message, cost added).
    async fn work(
        &self,
        proposal: &Proposal,
        hold: &ProjectHold,
        reporter: Reporter,
        cancel: CancellationToken,
    ) -> (ChangeState, Vec<String>, String, Micros) {
        let project = &proposal.project;
        let progress = {
            let reporter = reporter.clone();
            Progress::new(move |m: &str| reporter(0, 1, m.to_string()))
        };
        match &proposal.work {
            Work::Create { plan, costs } => {
                match self
                    .engine
                    .apply(project, plan, costs, hold, Some(reporter), cancel)
                    .await
                {
                    Ok(report) => applied(&report),
                    Err(e) => (
                        ChangeState::Failed,
                        proposal.lines(),
                        format!("nothing was created: {e}"),
                        Micros::ZERO,
                    ),
                }
            }
            Work::Resize {
                resource,
                planned,
                to,
                cost,
            } => match self
                .engine
                .resize(
                    project,
                    resource,
                    engine::Resizing {
                        planned,
                        to,
                        monthly_cost: cost.dollars(),
                    },
                    hold,
                    &progress,
                )
                .await
            {
                Ok(record) => {
                    let old = resource
                        .monthly_cost
                        .and_then(Micros::from_dollars)
                        .unwrap_or_default();
                    let line = format!("resized {} ({})", resource.name, record.cloud_id);
                    (
                        ChangeState::Succeeded,
                        vec![line.clone()],
                        line,
                        Micros(cost.0 - old.0),
                    )
                }
                Err(e) => {
                    let line = format!("failed {}: {e}", resource.name);
                    (
                        ChangeState::Failed,
                        vec![line],
                        format!("resizing {} failed: {e}", resource.name),
                        Micros::ZERO,
                    )
                }
            },
            Work::Delete { resource } => {
                let cloud_id = resource.cloud_id.clone().unwrap_or_default();
                match self.engine.delete(project, resource, hold, &progress).await {
                    Ok(outcome) => {
                        let line = match outcome {
                            DeleteOutcome::Deleted => {
                                format!("deleted {} ({cloud_id})", resource.name)
                            }
                            DeleteOutcome::AlreadyGone => format!(
                                "{} ({cloud_id}) was already gone; recorded as deleted",
                                resource.name
                            ),
                        };
                        let cost = resource
                            .monthly_cost
                            .and_then(Micros::from_dollars)
                            .unwrap_or_default();
                        (
                            ChangeState::Succeeded,
                            vec![line.clone()],
                            line,
                            Micros(-cost.0),
                        )
                    }
                    Err(e) => {
                        let line = format!("failed {}: {e}", resource.name);
                        (
                            ChangeState::Failed,
                            vec![line],
                            format!("deleting {} failed: {e}", resource.name),
                            Micros::ZERO,
                        )
                    }
                }
            }
            Work::Alert { rule, specs } => self.run_alert(project, rule, specs).await,
            Work::RemoveAlert { rule } => self.run_remove_alert(project, rule).await,
            Work::Reboot { resource } => {
                let cloud_id = resource.cloud_id.clone().unwrap_or_default();
                let rebooted = match self
                    .cloud(project, resource.provider, &resource.region)
                    .await
                {
                    Ok(cloud) => cloud
                        .reboot(resource.kind, &cloud_id, &progress)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                match rebooted {
                    Ok(()) => {
                        let line = format!("rebooted {} ({cloud_id})", resource.name);
                        (
                            ChangeState::Succeeded,
                            vec![line.clone()],
                            line,
                            Micros::ZERO,
                        )
                    }
                    Err(e) => (
                        ChangeState::Failed,
                        vec![format!("failed {}: {e}", resource.name)],
                        format!("rebooting {} failed: {e}", resource.name),
                        Micros::ZERO,
                    ),
                }
            }
            Work::Adopt { adoptions } => self.run_adopt(project, adoptions).await,
            Work::Nothing { message } => (
                ChangeState::Succeeded,
                proposal.lines(),
                message.clone(),
                Micros::ZERO,
            ),
        }
    }

    /// The client for a provider and region of the project, or why there is none.
    pub(super) async fn cloud(
        &self,
        project: &crate::model::Project,
        provider: crate::model::Provider,
        region: &str,
    ) -> Result<Arc<dyn crate::cloud::Cloud>, String> {
        let access = engine::access(project, provider, region).map_err(|e| e.to_string())?;
        self.clouds.client(&access).await.map_err(|e| e.to_string())
    }

    /// Adds an event to an incident's timeline; a store that fails is logged, the change's outcome stands.
    fn on_timeline(&self, project: &crate::model::Project, incident_id: &str, event: &str) {
        let added = self
            .store
            .incident(incident_id)
            .and_then(|found| match found {
                Some(mut incident) if incident.project_id == project.id => {
                    incident.timeline.push(crate::model::TimelineEntry {
                        at: crate::store::rfc3339(now()),
                        event: event.to_string(),
                    });
                    self.store.update_incident(&incident)
                }
                _ => Ok(()),
            });
        if let Err(e) = added {
            tracing::warn!("could not record on the timeline of {incident_id}: {e}");
        }
    }

    fn log(&self, proposal: &Proposal, action: &str, outcome: &str, detail: &str) {
        self.projects.log(
            proposal.client.as_deref(),
            &proposal.project.id,
            proposal.tool,
            action,
            outcome,
            detail,
        );
    }
}

/// An apply's report as the change's outcome. Nothing made is a failure; some made, some not, is partial.
fn applied(report: &ApplyReport) -> (ChangeState, Vec<String>, String, Micros) {
    let line =
        |verb: &str, r: &engine::AppliedResource| format!("{verb} {} {}", r.name, r.cloud_id);
    let problem = |verb: &str, p: &engine::Problem| format!("{verb} {}: {}", p.name, p.reason);
    let steps: Vec<String> = report
        .created
        .iter()
        .map(|r| line("created", r))
        .chain(report.existing.iter().map(|r| line("exists", r)))
        .chain(report.failed.iter().map(|p| problem("failed", p)))
        .chain(report.skipped.iter().map(|p| problem("skipped", p)))
        .collect();
    let state = if report.complete() {
        ChangeState::Succeeded
    } else if report.cancelled {
        ChangeState::Cancelled
    } else if report.created.is_empty() && report.existing.is_empty() {
        ChangeState::Failed
    } else {
        ChangeState::Partial
    };
    let counts = format!(
        "created {}, already there {}, failed {}, skipped {}",
        report.created.len(),
        report.existing.len(),
        report.failed.len(),
        report.skipped.len()
    );
    let message = match state {
        ChangeState::Succeeded => counts,
        ChangeState::Cancelled => format!("cancelled: {counts}"),
        ChangeState::Failed => format!("failed: nothing was created ({counts})"),
        _ => format!("partial: {counts}; see the failed and skipped steps"),
    };
    let cost_delta = report
        .created
        .iter()
        .filter_map(|r| r.monthly_cost.and_then(Micros::from_dollars))
        .sum();
    (state, steps, message, cost_delta)
}

/// The names a proposal touches, for the activity log.
fn names(proposal: &Proposal) -> String {
    proposal
        .steps
        .iter()
        .filter(|s| s.action != Action::Unchanged)
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn change_id() -> String {
    format!("change-{}", random_hex())
}

/// 16 hex digits: random, or (without randomness) the clock's nanoseconds, unique enough within one store.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = (nanos as u64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
