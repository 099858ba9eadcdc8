//! Adoption as a change: resources found in a cloud that no rift project manages are recorded in the project as
//! *adopted* — priced, monitored, drawn and exported like its own, never tagged or changed in the cloud. Deleting
//! or resizing one afterwards needs the policy's permission for unmanaged resources.

use serde_json::json;

use super::propose::Draft;
use super::{Action, ChangeError, Changes, Step, Work};
use crate::model::{PlannedResource, Project, ResourceRecord};
use crate::pricing::Micros;
use crate::project::monthly_cost;
use crate::store::ChangeState;

/// One resource to adopt: as the cloud listed it, as the planned resource it stands for, and its monthly cost.
#[derive(Debug, Clone)]
pub struct Adoption {
    pub record: ResourceRecord,
    pub planned: PlannedResource,
    pub cost: Micros,
}

impl Changes {
    pub(super) fn draft_adopt(
        &self,
        project: &Project,
        found: &[ResourceRecord],
    ) -> Result<(Draft, Work), ChangeError> {
        if found.is_empty() {
            return Err(ChangeError::invalid(
                "cloud_ids",
                "name at least one resource: discover_resources lists what can be adopted",
            ));
        }
        let rows = self.store.resources(&project.id)?;
        let prices = self.prices.current()?;
        let mut adoptions = Vec::new();
        for record in found {
            if let Some((owner, name)) = self.store.owner_of(&record.cloud_id)? {
                return Err(ChangeError::Conflict(format!(
                    "{} {} is already in project {owner} (as {name}); a resource belongs to one project",
                    record.kind, record.cloud_id
                )));
            }
            let planned = crate::mapping::planned_from_record(record);
            if rows.iter().any(|r| r.name == planned.name)
                || adoptions
                    .iter()
                    .any(|a: &Adoption| a.planned.name == planned.name)
            {
                return Err(ChangeError::Conflict(format!(
                    "project {} already has a resource named {}: adopt {} into another project, or rename one \
                     of them in its cloud first",
                    project.id, planned.name, record.cloud_id
                )));
            }
            let cost =
                Micros::from_dollars(crate::engine::priced(&planned, &prices)?).unwrap_or_default();
            adoptions.push(Adoption {
                record: record.clone(),
                planned,
                cost,
            });
        }
        let steps: Vec<Step> = adoptions
            .iter()
            .map(|a| Step {
                action: Action::Adopt,
                name: a.planned.name.clone(),
                kind: a.planned.kind,
                provider: a.planned.provider,
                region: a.planned.region.clone(),
                size: a.record.size.clone(),
                monthly_cost: Some(a.cost),
            })
            .collect();
        let draft = Draft {
            cost_delta: adoptions.iter().map(|a| a.cost).sum(),
            cost_now: monthly_cost(&rows),
            created_last_hour: 0,
            warnings: vec![
                "adopted resources are recorded, not changed: rift does not tag them, and deleting or resizing \
                 one needs the policy's permission for unmanaged resources"
                    .to_string(),
            ],
            resolved: json!(
                adoptions
                    .iter()
                    .map(|a| [a.record.kind.as_str(), a.record.cloud_id.as_str()])
                    .collect::<Vec<_>>()
            ),
            steps,
        };
        Ok((draft, Work::Adopt { adoptions }))
    }
}

impl Changes {
    /// Records each resource, once the cloud confirms it still exists and no project took it meanwhile:
    /// (state, a line per resource, message, cost added).
    pub(super) async fn run_adopt(
        &self,
        project: &Project,
        adoptions: &[Adoption],
    ) -> (ChangeState, Vec<String>, String, Micros) {
        let mut lines = Vec::new();
        let mut added = Micros::ZERO;
        let mut failed = 0;
        for adoption in adoptions {
            let (record, planned) = (&adoption.record, &adoption.planned);
            let outcome = async {
                let cloud = self.cloud(project, record.provider, &record.region).await?;
                let mut current = cloud
                    .get(record.kind, &record.cloud_id)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some((owner, name)) = self
                    .store
                    .owner_of(&record.cloud_id)
                    .map_err(|e| e.to_string())?
                {
                    return Err(format!("already in project {owner} (as {name})"));
                }
                current.monthly_cost = Some(adoption.cost.dollars());
                match self.store.adopt(&project.id, planned, &current) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(format!(
                        "project {} already has a resource named {}",
                        project.id, planned.name
                    )),
                    Err(e) => Err(e.to_string()),
                }
            }
            .await;
            match outcome {
                Ok(()) => {
                    added += adoption.cost;
                    lines.push(format!(
                        "adopted {} ({} {})",
                        planned.name, record.kind, record.cloud_id
                    ));
                }
                Err(e) => {
                    failed += 1;
                    lines.push(format!(
                        "failed {} ({}): {e}",
                        planned.name, record.cloud_id
                    ));
                }
            }
        }
        let state = if failed == 0 {
            ChangeState::Succeeded
        } else {
            ChangeState::Failed
        };
        let message = format!(
            "adopted {} of {} into {}",
            adoptions.len() - failed,
            adoptions.len(),
            project.id
        );
        (state, lines, message, added)
    }
}
