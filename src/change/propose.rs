//! Proposing a change: what it would do to each resource, what that costs, and the policy's verdict. Nothing is
//! changed here; the refusal of a policy is logged.

use serde_json::json;

use super::{Action, Change, ChangeError, Changes, Proposal, Request, Resize, Step, Work};
use crate::approval::request_hash;
use crate::cloud::NewSize;
use crate::engine;
use crate::mapping;
use crate::model::{PlannedResource, Project, ResourceSpec};
use crate::policy::{self, Deletion, EffectivePolicy, Impact};
use crate::pricing::Micros;
use crate::project::monthly_cost;
use crate::store::{ResourceState, StoredResource, now};

/// What a proposal is built from before the policy judges it.
pub(super) struct Draft {
    pub(super) steps: Vec<Step>,
    pub(super) cost_now: Micros,
    pub(super) cost_delta: Micros,
    pub(super) created_last_hour: u32,
    pub(super) warnings: Vec<String>,
    /// What the request resolved to, bound by the approval with the arguments.
    pub(super) resolved: serde_json::Value,
}

impl Changes {
    /// What the request would do, judged by the policy. A refusal is an error (and logged); an allowed proposal
    /// still needs an approval before [`Changes::execute`] runs it.
    pub fn propose(&self, request: Request) -> Result<Proposal, ChangeError> {
        self.interrupt_stale()?;
        let project = self.projects.get(&request.project_id)?;
        let (draft, work) = match &request.change {
            Change::Create { plan } => self.draft_create(&project, plan)?,
            Change::Resize { name, to } => self.draft_resize(&project, name, to)?,
            Change::Delete { name } => self.draft_delete(&project, name)?,
            Change::CreateAlert { rule } => self.draft_alert(&project, rule)?,
            Change::DeleteAlert { name } => self.draft_remove_alert(&project, name)?,
            Change::Remediate {
                incident_id,
                remedy,
            } => self.draft_remedy(&project, incident_id, *remedy)?,
            Change::Adopt { found } => self.draft_adopt(&project, found)?,
        };
        let incident = match &request.change {
            Change::Remediate { incident_id, .. } => Some(incident_id.clone()),
            _ => None,
        };
        let budget = self
            .projects
            .budget(&project)
            .and_then(Micros::from_dollars);
        let impact = Impact {
            project_providers: &project.cloud_providers,
            creations: work.creations(&draft.steps),
            resizes: match &work {
                Work::Resize { planned, .. } => vec![planned.as_ref()],
                _ => vec![],
            },
            deletions: match &work {
                Work::Delete { resource } => vec![Deletion {
                    name: &resource.name,
                    managed: resource.managed
                        && resource.record.as_ref().is_none_or(|r| r.managed_by_rift()),
                }],
                _ => vec![],
            },
            current_monthly: draft.cost_now,
            delta_monthly: draft.cost_delta,
            budget,
            created_last_hour: draft.created_last_hour,
        };
        let effective = project.policy.within(&self.settings.policy);
        let verdict = policy::check(&effective, &impact);
        let summary = summary(&effective, &impact);
        drop(impact);
        let lines: Vec<String> = draft.steps.iter().map(Step::line).collect();
        // The token approves exactly what the preview showed: the request, each resource with its action, size
        // and cost, and the project as it stood (its accounts, budget and policy). If any of them changes before
        // the token comes back, it no longer matches.
        let binding = request_hash(
            request.tool,
            &json!({
                "request": request_hash(request.tool, &json!({
                    "arguments": request.arguments,
                    "resolved": draft.resolved,
                })),
                "changes": lines,
                "project": project,
                "warnings": draft.warnings,
            }),
        );
        if let Some(refusal) = verdict.refusal() {
            let stage = if request.approval_token.is_some() {
                "execute"
            } else {
                "preview"
            };
            self.projects.log(
                request.client.as_deref(),
                &project.id,
                request.tool,
                stage,
                "refused",
                &refusal,
            );
            return Err(ChangeError::Refused(refusal));
        }
        Ok(Proposal {
            tool: request.tool,
            steps: draft.steps,
            cost_now: draft.cost_now,
            cost_delta: draft.cost_delta,
            verdict,
            policy: summary,
            warnings: draft.warnings,
            binding,
            client: request.client,
            approval_token: request.approval_token,
            incident,
            work,
            project,
        })
    }

    fn draft_create(
        &self,
        project: &Project,
        plan: &crate::model::Plan,
    ) -> Result<(Draft, Work), ChangeError> {
        let prices = self.prices.current()?;
        let costs = engine::monthly_costs(plan, &prices)?;
        let rows = self.store.resources(&project.id)?;
        let mut steps = Vec::new();
        let mut creations: Vec<&PlannedResource> = Vec::new();
        let mut warnings = plan.warnings.clone();
        for r in &plan.resources {
            let existing = rows.iter().find(|row| row.name == r.name);
            if let Some(row) = existing.filter(|row| row.state.is_live())
                && (row.provider != r.provider || row.kind != r.kind || row.region != r.region)
            {
                // A resource's identity is its name, provider, kind and region: the same name elsewhere is
                // another resource, which the project cannot hold under one name.
                return Err(ChangeError::Conflict(format!(
                    "{} is already a {} {} in {} in project {}; give this {} another name",
                    r.name, row.provider, row.kind, row.region, project.id, r.kind
                )));
            }
            let exists = existing.is_some_and(|row| row.state == ResourceState::Created);
            if let Some(row) = existing.filter(|_| exists)
                && row
                    .planned
                    .as_ref()
                    .is_some_and(|p| p.spec != r.spec || p.size != r.size)
            {
                warnings.push(format!(
                    "{} exists already with other settings; it is kept as it is (resize_resource changes its size)",
                    r.name
                ));
            }
            if !exists {
                creations.push(r);
            }
            steps.push(Step {
                action: if exists {
                    Action::Exists
                } else {
                    Action::Create
                },
                name: r.name.clone(),
                kind: r.kind,
                provider: r.provider,
                region: r.region.clone(),
                size: r.size.clone(),
                monthly_cost: costs.get(&r.name).copied().and_then(Micros::from_dollars),
            });
        }
        // Rows this change will (re)create do not count as current cost: they are in the delta.
        let others: Vec<StoredResource> = rows
            .into_iter()
            .filter(|row| !creations.iter().any(|c| c.name == row.name))
            .collect();
        let cost_delta: Micros = creations
            .iter()
            .filter_map(|c| costs.get(&c.name).copied().and_then(Micros::from_dollars))
            .sum();
        let draft = Draft {
            steps,
            cost_now: monthly_cost(&others),
            cost_delta,
            created_last_hour: self.store.creations_since(&project.id, now() - 3600)?,
            warnings,
            resolved: json!(plan.plan_id),
        };
        let work = Work::Create {
            plan: plan.clone(),
            costs,
        };
        Ok((draft, work))
    }

    pub(super) fn draft_resize(
        &self,
        project: &Project,
        name: &str,
        to: &Resize,
    ) -> Result<(Draft, Work), ChangeError> {
        let resource = self.projects.resource(&project.id, name)?;
        if resource.state != ResourceState::Created || resource.cloud_id.is_none() {
            return Err(ChangeError::Conflict(format!(
                "{} is {}; only created resources can be resized",
                resource.name,
                state_word(resource.state)
            )));
        }
        let Some(mut planned) = resource.planned.clone() else {
            return Err(ChangeError::Conflict(format!(
                "{} was found by reconcile, not planned by rift: its cost cannot be priced, so it cannot be resized here",
                resource.name
            )));
        };
        let new_size = match (&to.size, to.storage_gb) {
            (Some(slug), None) => {
                let size = mapping::find_size(resource.provider, resource.kind, slug)
                    .map_err(|e| ChangeError::invalid("size", e.to_string()))?;
                planned.size = Some(size.slug.to_string());
                match &mut planned.spec {
                    ResourceSpec::WebServer {
                        vcpus, memory_gb, ..
                    }
                    | ResourceSpec::Database {
                        vcpus, memory_gb, ..
                    }
                    | ResourceSpec::Cache {
                        vcpus, memory_gb, ..
                    } => {
                        *vcpus = size.vcpus;
                        *memory_gb = size.memory_gb;
                    }
                    _ => {}
                }
                NewSize::Slug(size.slug.to_string())
            }
            (None, Some(gb)) => {
                let current = match &mut planned.spec {
                    ResourceSpec::BlockStorage { size_gb, .. } => size_gb,
                    ResourceSpec::Database { storage_gb, .. } => storage_gb,
                    _ => {
                        return Err(ChangeError::invalid(
                            "storage_gb",
                            format!(
                                "{} is a {}; only volumes and databases have storage to grow",
                                resource.name, resource.kind
                            ),
                        ));
                    }
                };
                if gb <= *current {
                    return Err(ChangeError::invalid(
                        "storage_gb",
                        format!(
                            "{gb} GB is not more than the current {current} GB; storage only grows"
                        ),
                    ));
                }
                *current = gb;
                NewSize::StorageGb(gb)
            }
            _ => {
                return Err(ChangeError::invalid(
                    "size",
                    "give exactly one of size or storage_gb",
                ));
            }
        };
        let prices = self.prices.current()?;
        let cost = Micros::from_dollars(engine::priced(&planned, &prices)?).unwrap_or_default();
        let old = resource
            .monthly_cost
            .and_then(Micros::from_dollars)
            .unwrap_or_default();
        let rows = self.store.resources(&project.id)?;
        let step = Step {
            action: Action::Resize,
            name: resource.name.clone(),
            kind: resource.kind,
            provider: resource.provider,
            region: resource.region.clone(),
            size: planned.size.clone().or_else(|| match new_size {
                NewSize::StorageGb(gb) => Some(format!("{gb} GB")),
                NewSize::Slug(_) => None,
            }),
            monthly_cost: Some(cost),
        };
        let planned = Box::new(planned);
        let draft = Draft {
            steps: vec![step],
            cost_now: monthly_cost(&rows),
            cost_delta: Micros(cost.0 - old.0),
            created_last_hour: 0,
            warnings: vec![format!(
                "resizing may restart {} (servers are powered off first)",
                resource.name
            )],
            resolved: json!(resource.cloud_id),
        };
        let work = Work::Resize {
            resource: Box::new(resource),
            planned,
            to: new_size,
            cost,
        };
        Ok((draft, work))
    }

    fn draft_delete(&self, project: &Project, name: &str) -> Result<(Draft, Work), ChangeError> {
        let resource = self.projects.resource(&project.id, name)?;
        let rows = self.store.resources(&project.id)?;
        let step = |action: Action, cost: Option<Micros>| Step {
            action,
            name: resource.name.clone(),
            kind: resource.kind,
            provider: resource.provider,
            region: resource.region.clone(),
            size: resource.size.clone(),
            monthly_cost: cost,
        };
        match resource.state {
            ResourceState::Created => {}
            ResourceState::Intended => {
                return Err(ChangeError::Conflict(format!(
                    "{} is still being created or was interrupted; call get_project with refresh=true first",
                    resource.name
                )));
            }
            // Deleting is idempotent: what is gone needs nothing more.
            done @ (ResourceState::Deleted | ResourceState::Gone) => {
                let draft = Draft {
                    steps: vec![step(Action::Unchanged, Some(Micros::ZERO))],
                    cost_now: monthly_cost(&rows),
                    cost_delta: Micros::ZERO,
                    created_last_hour: 0,
                    warnings: vec![],
                    resolved: json!(resource.cloud_id),
                };
                let message = format!(
                    "{} is already {} (since {}); nothing to delete",
                    resource.name,
                    state_word(done),
                    resource.updated_at
                );
                return Ok((draft, Work::Nothing { message }));
            }
            ResourceState::Failed => {
                return Err(ChangeError::Conflict(format!(
                    "{} is {}; there is nothing to delete",
                    resource.name,
                    state_word(resource.state)
                )));
            }
        }
        let dependents: Vec<&str> = rows
            .iter()
            .filter(|r| r.state.is_live())
            .filter(|r| {
                r.planned
                    .as_ref()
                    .is_some_and(|p| p.depends_on.contains(&resource.name))
            })
            .map(|r| r.name.as_str())
            .collect();
        if !dependents.is_empty() {
            return Err(ChangeError::Conflict(format!(
                "{} is needed by {}; delete those first",
                resource.name,
                dependents.join(", ")
            )));
        }
        let cost = resource
            .monthly_cost
            .and_then(Micros::from_dollars)
            .unwrap_or_default();
        let draft = Draft {
            steps: vec![step(Action::Delete, Some(cost))],
            cost_now: monthly_cost(&rows),
            cost_delta: Micros(-cost.0),
            created_last_hour: 0,
            warnings: vec![format!("deleting {} destroys its data", resource.name)],
            resolved: json!(resource.cloud_id),
        };
        let work = Work::Delete {
            resource: Box::new(resource),
        };
        Ok((draft, work))
    }
}

/// The verdict with its numbers, for the preview.
fn summary(policy: &EffectivePolicy, impact: &Impact<'_>) -> String {
    let n = impact.creations.len();
    let mut parts = vec![format!(
        "allowed: {n} to create (cap {} per plan); {} + {n} created in the last hour (cap {})",
        policy.max_resources_per_plan(),
        impact.created_last_hour,
        policy.max_creations_per_hour()
    )];
    let (now, delta) = (impact.current_monthly, impact.delta_monthly);
    let after = now + delta;
    let cost = format!(
        "${:.2}/month now {} ${:.2} = ${:.2}/month",
        now.dollars(),
        if delta.0 < 0 { "-" } else { "+" },
        delta.dollars().abs(),
        after.dollars()
    );
    parts.push(match impact.budget {
        Some(budget) => format!("{cost}, budget ${:.2}/month", budget.dollars()),
        None => format!("{cost}, no budget set"),
    });
    parts.join("; ")
}

pub(super) fn state_word(state: ResourceState) -> &'static str {
    match state {
        ResourceState::Intended => "being created",
        ResourceState::Created => "created",
        ResourceState::Failed => "failed (never created)",
        ResourceState::Deleted => "deleted",
        ResourceState::Gone => "gone from its cloud",
    }
}
