//! The one path of every mutation. A typed [`Change`] is *proposed* (the exact resources it touches, the cost
//! delta, the policy verdict, the binding an approval must match), *approved* once (a token, or the user asked
//! directly), *executed* by the engine in the background and *recorded* (the change's row, the resources' rows,
//! the activity log). The MCP layer only parses, asks, reports progress and shapes the answer.

mod adopt;
mod alerts;
mod error;
mod propose;
mod remediate;
mod run;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::approval::Approvals;
use crate::cloud::{Clouds, NewSize};
use crate::config::Settings;
use crate::engine::Engine;
use crate::model::{AlarmSpec, AlertRule, Plan, PlannedResource, Project, Provider, ResourceKind};
use crate::policy::Verdict;
use crate::pricing::{Micros, PriceBook};
use crate::project::Projects;
use crate::store::{Store, StoredResource};

pub use alerts::alarm_name;
pub use error::ChangeError;
pub use remediate::{Offer, offers};
pub use run::{Approval, Outcome, Reporter, random_hex};

/// What the agent asks to change in a project.
#[derive(Debug, Clone)]
pub enum Change {
    /// Create what a plan describes: a plan_deployment plan, or the one-resource plan of a `create_*` tool.
    /// Resources the project already has are left as they are.
    Create {
        plan: Plan,
    },
    /// A new size slug, or more storage, for a created resource.
    Resize {
        name: String,
        to: Resize,
    },
    Delete {
        name: String,
    },
    /// One alert rule: the cloud's own alarms over the resources, the rule stored.
    CreateAlert {
        rule: AlertRequest,
    },
    /// An alert rule and its cloud alarms.
    DeleteAlert {
        name: String,
    },
    /// A fix for an incident's resource (see [`Remedy`]), recorded on the incident's timeline.
    Remediate {
        incident_id: String,
        remedy: Remedy,
    },
    /// Resources no rift project manages, as the cloud listed them, recorded in the project as adopted.
    Adopt {
        found: Vec<crate::model::ResourceRecord>,
    },
}

/// What `create_alert` asks for. Resources by name, or every live resource of a kind.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRequest {
    pub name: String,
    pub metric: crate::model::Metric,
    pub comparison: crate::model::Comparison,
    pub threshold: f64,
    pub minutes: u32,
    pub resources: Vec<String>,
    pub kind: Option<ResourceKind>,
    pub notify: Vec<String>,
}

/// The fixes `remediate` offers: a reboot (EC2 RebootInstances, RDS RebootDBInstance, a droplet's reboot then
/// power_cycle if it does not come back), or the next size up through the resize path.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    Reboot,
    ResizeUp,
}

/// What a resize asks for: exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resize {
    pub size: Option<String>,
    pub storage_gb: Option<u32>,
}

/// A change as one tool call asks for it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The tool: an approval token approves one tool's request.
    pub tool: &'static str,
    pub project_id: String,
    pub change: Change,
    /// The call's arguments as parsed (defaults applied, without the approval token): part of what an approval
    /// binds, so a changed request invalidates the token.
    pub arguments: serde_json::Value,
    /// Present when the call comes back to execute; the policy is judged again then.
    pub approval_token: Option<String>,
    /// The client's declared name, for the activity log.
    pub client: Option<String>,
}

/// What a step does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    /// Created earlier: left as it is.
    Exists,
    Resize,
    Delete,
    /// A cloud alarm put on the resource, or taken off it.
    Alarm,
    RemoveAlarm,
    /// A reboot a remediation proposes.
    Reboot,
    /// A resource rift did not create, recorded in the project.
    Adopt,
    /// Nothing to do (deleting what is already deleted).
    Unchanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Exists => "exists",
            Action::Resize => "resize",
            Action::Delete => "delete",
            Action::Alarm => "alarm",
            Action::RemoveAlarm => "remove alarm",
            Action::Reboot => "reboot",
            Action::Adopt => "adopt",
            Action::Unchanged => "unchanged",
        }
    }
}

/// One resource a change touches.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: Action,
    pub name: String,
    pub kind: ResourceKind,
    pub provider: Provider,
    pub region: String,
    pub size: Option<String>,
    pub monthly_cost: Option<Micros>,
}

impl Step {
    /// "create shop-web (aws web_server, us-east-1, t3.small) $15.18/month": what a preview shows, and part
    /// of what an approval binds.
    pub fn line(&self) -> String {
        format!(
            "{} {} ({} {}, {}{}){}",
            self.action.as_str(),
            self.name,
            self.provider,
            self.kind,
            self.region,
            self.size
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            self.monthly_cost
                .map(|c| format!(" ${:.2}/month", crate::project::usd(c)))
                .unwrap_or_default()
        )
    }
}

/// What a change would do, checked against the policy: the preview, and what an approval binds.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub tool: &'static str,
    pub project: Project,
    pub steps: Vec<Step>,
    /// The project's monthly cost before the change.
    pub cost_now: Micros,
    /// What the change adds per month (negative when it removes cost).
    pub cost_delta: Micros,
    pub verdict: Verdict,
    /// The verdict with its numbers (cost now, budget, caps).
    pub policy: String,
    pub warnings: Vec<String>,
    /// The hash an approval must match: the request, every step, the project as it stands, the warnings.
    binding: String,
    client: Option<String>,
    approval_token: Option<String>,
    /// The incident a remediation is for: its timeline records the outcome.
    incident: Option<String>,
    work: Work,
}

impl Proposal {
    pub fn lines(&self) -> Vec<String> {
        self.steps.iter().map(Step::line).collect()
    }

    /// The resources the change would create (what a preview checks permissions for).
    pub fn creations(&self) -> Vec<&PlannedResource> {
        self.work.creations(&self.steps)
    }

    /// Nothing to do: no approval is needed, and nothing runs.
    pub fn is_noop(&self) -> bool {
        matches!(self.work, Work::Nothing { .. })
    }

    pub fn approval_token(&self) -> Option<&str> {
        self.approval_token.as_deref()
    }
}

/// What executing a proposal does.
#[derive(Debug, Clone)]
enum Work {
    Create {
        plan: Plan,
        costs: BTreeMap<String, f64>,
    },
    Resize {
        resource: Box<StoredResource>,
        planned: Box<PlannedResource>,
        to: NewSize,
        cost: Micros,
    },
    Delete {
        resource: Box<StoredResource>,
    },
    Alert {
        rule: Box<AlertRule>,
        specs: Vec<(Provider, String, AlarmSpec)>,
    },
    RemoveAlert {
        rule: Box<AlertRule>,
    },
    Reboot {
        resource: Box<StoredResource>,
    },
    Adopt {
        adoptions: Vec<adopt::Adoption>,
    },
    Nothing {
        message: String,
    },
}

impl Work {
    /// The plan's resources that the steps create.
    fn creations(&self, steps: &[Step]) -> Vec<&PlannedResource> {
        match self {
            Work::Create { plan, .. } => plan
                .resources
                .iter()
                .filter(|r| {
                    steps
                        .iter()
                        .any(|s| s.name == r.name && s.action == Action::Create)
                })
                .collect(),
            _ => vec![],
        }
    }
}

/// Proposes, approves and runs changes. Cheap to clone; clones share the running changes.
#[derive(Debug, Clone)]
pub struct Changes {
    store: Store,
    projects: Projects,
    prices: PriceBook,
    settings: Arc<Settings>,
    approvals: Approvals,
    engine: Engine,
    clouds: Clouds,
    /// Changes this process runs, by id, to cancel them.
    running: Arc<Mutex<HashMap<String, CancellationToken>>>,
    /// This process, in the changes it records: another process's running change is left to its heartbeat.
    owner: Arc<String>,
}

impl Changes {
    pub fn new(
        store: Store,
        clouds: Clouds,
        prices: PriceBook,
        settings: Arc<Settings>,
    ) -> Changes {
        Changes {
            projects: Projects::new(store.clone(), clouds.clone(), settings.clone()),
            approvals: Approvals::new(store.clone(), settings.approval_ttl_s),
            engine: Engine::new(store.clone(), clouds.clone(), settings.apply_concurrency),
            owner: Arc::new(run::process_owner()),
            running: Arc::default(),
            store,
            prices,
            settings,
            clouds,
        }
    }

    pub fn projects(&self) -> &Projects {
        &self.projects
    }

    pub fn approval_ttl_s(&self) -> u64 {
        self.approvals.ttl_s()
    }
}
