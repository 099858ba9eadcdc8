//! Incidents across both clouds. What fires: CloudWatch alarms in ALARM (`DescribeAlarms`), and for a cloud that
//! keeps no firing state (DigitalOcean) rift's own evaluation of the stored rule against the metrics — every
//! sample over the rule's duration past its threshold. Each rule firing on a resource is one incident (the store
//! keeps one unresolved per rule and resource), opened when first seen, resolved once a check finds its source
//! clear, and named with the resources that depend on it through the project's dependency graph.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Operations, OperationsError};
use crate::change::{Offer, alarm_name, offers, random_hex};
use crate::model::{
    AlertRule, Comparison, Incident, IncidentState, MetricQuery, Project, Provider, ResourceSpec,
    TimeRange, TimelineEntry,
};
use crate::store::{StoredResource, rfc3339};

/// Incidents a listing shows at most.
const LIST_LIMIT: u32 = 100;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IncidentsReport {
    pub project_id: String,
    pub incidents: Vec<Incident>,
    /// Clouds that could not be checked (their incidents keep their last state).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IncidentAnswer {
    pub incident: Incident,
    /// The fixes remediate can propose for it, each with why.
    pub remedies: Vec<Offer>,
}

/// What one check found: (rule, resource) pairs checked, those firing with the reason, and the clouds that
/// could not be checked.
#[derive(Default)]
struct Sightings {
    checked: BTreeSet<(String, String)>,
    firing: BTreeMap<(String, String), String>,
    warnings: Vec<String>,
}

impl Operations {
    /// Checks what fires now, records it (new incidents open, cleared ones resolve) and lists the project's
    /// incidents, newest first: the unresolved ones, or with `resolved` every one.
    pub async fn incidents(
        &self,
        project_id: &str,
        resolved: bool,
        now: i64,
        client: Option<&str>,
    ) -> Result<IncidentsReport, OperationsError> {
        let project = self.projects.get(project_id)?;
        let rules = self.store.alert_rules(&project.id)?;
        let rows = self.projects.resources(&project.id, None)?;
        let sightings = self.check(&project, &rules, &rows, now).await;
        self.record(&project, &rules, &rows, &sightings, now, client)?;
        Ok(IncidentsReport {
            incidents: self.store.incidents(&project.id, resolved, LIST_LIMIT)?,
            project_id: project.id,
            warnings: sightings.warnings,
        })
    }

    /// One incident as stored, with the fixes that fit it.
    pub fn incident(&self, project_id: &str, id: &str) -> Result<IncidentAnswer, OperationsError> {
        let incident = self.projects.incident(project_id, id)?;
        let rule = self.store.alert_rule(project_id, &incident.rule)?;
        let resource = self.projects.resource(project_id, &incident.resource).ok();
        let remedies = match (&rule, &resource) {
            (Some(rule), Some(resource)) if incident.state != IncidentState::Resolved => {
                offers(&incident, rule.comparison, resource)
            }
            _ => vec![],
        };
        Ok(IncidentAnswer { incident, remedies })
    }

    /// Marks an open incident acknowledged, by whom and when (recorded in the activity log too).
    pub fn acknowledge(
        &self,
        project_id: &str,
        id: &str,
        now: i64,
        client: Option<&str>,
    ) -> Result<Incident, OperationsError> {
        let mut incident = self.projects.incident(project_id, id)?;
        match incident.state {
            IncidentState::Resolved => {
                return Err(OperationsError::Conflict(format!(
                    "{id} was resolved at {}; there is nothing to acknowledge",
                    incident
                        .resolved_at
                        .as_deref()
                        .unwrap_or("an earlier check")
                )));
            }
            IncidentState::Acknowledged => return Ok(incident),
            IncidentState::Open => {}
        }
        let by = client.unwrap_or("an unnamed client").to_string();
        incident.state = IncidentState::Acknowledged;
        incident.acknowledged_at = Some(rfc3339(now));
        incident.acknowledged_by = Some(by.clone());
        incident.timeline.push(TimelineEntry {
            at: rfc3339(now),
            event: format!("acknowledged by {by}"),
        });
        self.store.update_incident(&incident)?;
        self.projects.log(
            client,
            project_id,
            "acknowledge_incident",
            "acknowledge",
            "acknowledged",
            &format!("{id} ({} on {})", incident.rule, incident.resource),
        );
        Ok(incident)
    }

    /// Asks each cloud and region holding a rule's alarms what fires; where the cloud keeps no firing state,
    /// evaluates the rules against its metrics.
    async fn check(
        &self,
        project: &Project,
        rules: &[AlertRule],
        rows: &[StoredResource],
        now: i64,
    ) -> Sightings {
        let mut sightings = Sightings::default();
        let mut places: BTreeSet<(Provider, String)> = BTreeSet::new();
        for rule in rules {
            for alarm in &rule.alarms {
                places.insert((alarm.provider, alarm.region.clone()));
            }
        }
        // Every rule's alarm name starts with this.
        let prefix = alarm_name(&project.id, "");
        for (provider, region) in places {
            let cloud = match crate::engine::access(project, provider, &region) {
                Ok(access) => self.clouds.client(&access).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let firing = match cloud {
                Ok(cloud) => cloud
                    .firing_alarms(&prefix)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match firing {
                Err(e) => sightings.warnings.push(format!("{provider} {region}: {e}")),
                Ok(Some(firing)) => {
                    for rule in rules {
                        for alarm in rule
                            .alarms
                            .iter()
                            .filter(|a| a.provider == provider && a.region == region)
                        {
                            for resource in &alarm.resources {
                                let key = (rule.name.clone(), resource.clone());
                                if let Some(f) =
                                    firing.iter().find(|f| f.cloud_id == alarm.cloud_id)
                                {
                                    sightings.firing.insert(key.clone(), f.reason.clone());
                                }
                                sightings.checked.insert(key);
                            }
                        }
                    }
                }
                Ok(None) => {
                    self.evaluate(
                        project,
                        rules,
                        rows,
                        (provider, &region),
                        now,
                        &mut sightings,
                    )
                    .await;
                }
            }
        }
        sightings
    }

    /// rift's own evaluation: a rule fires on a resource when it has samples over the rule's duration and every
    /// one is past the threshold. A metric the cloud does not serve leaves the incident as it was.
    async fn evaluate(
        &self,
        project: &Project,
        rules: &[AlertRule],
        rows: &[StoredResource],
        (provider, region): (Provider, &str),
        now: i64,
        sightings: &mut Sightings,
    ) {
        let end = now - now % 60;
        for rule in rules {
            let watched: Vec<&StoredResource> = rule
                .alarms
                .iter()
                .filter(|a| a.provider == provider && a.region == region)
                .flat_map(|a| a.resources.iter())
                .filter_map(|name| {
                    rows.iter()
                        .find(|r| r.name == *name && r.cloud_id.is_some())
                })
                .collect();
            if watched.is_empty() {
                continue;
            }
            let queries: Vec<MetricQuery> = watched
                .iter()
                .map(|r| MetricQuery {
                    kind: r.kind,
                    cloud_id: r.cloud_id.clone().unwrap_or_default(),
                    metric: rule.metric,
                })
                .collect();
            let range = TimeRange {
                start: end - i64::from(rule.minutes) * 60,
                end,
                step_s: 60,
            };
            let answers = match self.read(project, provider, region, &queries, &range).await {
                Ok(answers) => answers,
                Err(e) => {
                    sightings.warnings.push(format!("{provider} {region}: {e}"));
                    continue;
                }
            };
            for (resource, answer) in watched.iter().zip(answers) {
                let Ok(points) = answer.points else { continue };
                let values: Vec<f64> = points
                    .iter()
                    .filter(|(at, _)| *at >= range.start && *at <= range.end)
                    .map(|(_, v)| *v)
                    .collect();
                let Some(last) = values.last() else { continue };
                let key = (rule.name.clone(), resource.name.clone());
                if fires(&values, rule.comparison, rule.threshold) {
                    sightings.firing.insert(
                        key.clone(),
                        format!(
                            "rift evaluated {}: {} samples over {} min all {} {} (last {:.2}; {})",
                            rule.metric,
                            values.len(),
                            rule.minutes,
                            match rule.comparison {
                                Comparison::Above => "above",
                                Comparison::Below => "below",
                            },
                            rule.threshold,
                            last,
                            answer.source
                        ),
                    );
                }
                sightings.checked.insert(key);
            }
        }
    }

    /// New sightings open incidents (one per rule and resource); unresolved incidents whose source was checked
    /// and found clear — or whose rule is gone — resolve.
    fn record(
        &self,
        project: &Project,
        rules: &[AlertRule],
        rows: &[StoredResource],
        sightings: &Sightings,
        now: i64,
        client: Option<&str>,
    ) -> Result<(), OperationsError> {
        let at = rfc3339(now);
        for ((rule_name, resource_name), reason) in &sightings.firing {
            let (Some(rule), Some(resource)) = (
                rules.iter().find(|r| r.name == *rule_name),
                rows.iter().find(|r| r.name == *resource_name),
            ) else {
                continue;
            };
            let incident = Incident {
                id: format!("inc-{}", random_hex()),
                project_id: project.id.clone(),
                state: IncidentState::Open,
                rule: rule.name.clone(),
                resource: resource.name.clone(),
                kind: resource.kind,
                provider: resource.provider,
                region: resource.region.clone(),
                metric: rule.metric,
                reason: reason.clone(),
                affects: dependents(rows, &resource.name),
                opened_at: at.clone(),
                acknowledged_at: None,
                acknowledged_by: None,
                resolved_at: None,
                timeline: vec![TimelineEntry {
                    at: at.clone(),
                    event: format!("opened: {reason}"),
                }],
            };
            if self.store.open_incident(&incident)? {
                self.projects.log(
                    client,
                    &project.id,
                    "list_incidents",
                    "incident",
                    "opened",
                    &format!(
                        "{} ({} on {}): {reason}",
                        incident.id, rule.name, resource.name
                    ),
                );
            }
        }
        for mut incident in self.store.incidents(&project.id, false, u32::MAX)? {
            let key = (incident.rule.clone(), incident.resource.clone());
            let rule_gone = !rules.iter().any(|r| r.name == incident.rule);
            let cleared = sightings.checked.contains(&key) && !sightings.firing.contains_key(&key);
            if !(cleared || rule_gone) {
                continue;
            }
            let why = if rule_gone {
                "its alert rule was deleted"
            } else {
                "the source cleared"
            };
            incident.state = IncidentState::Resolved;
            incident.resolved_at = Some(at.clone());
            incident.timeline.push(TimelineEntry {
                at: at.clone(),
                event: format!("resolved: {why}"),
            });
            self.store.update_incident(&incident)?;
            self.projects.log(
                client,
                &project.id,
                "list_incidents",
                "incident",
                "resolved",
                &format!("{}: {why}", incident.id),
            );
        }
        Ok(())
    }
}

/// Whether samples over a rule's duration make it fire: there are some, and every one is past the threshold
/// (one sample back within it clears the rule, as a CloudWatch alarm of that many datapoints would).
fn fires(values: &[f64], comparison: Comparison, threshold: f64) -> bool {
    !values.is_empty() && values.iter().all(|v| comparison.holds(*v, threshold))
}

/// The live resources that depend on `name`, directly or through others, by name: what lists it among its
/// dependencies, and the clients a database or cache admits (web servers reach their database without
/// depending on it in the plan: it is the database that names them).
fn dependents(rows: &[StoredResource], name: &str) -> Vec<String> {
    let mut found: BTreeSet<String> = BTreeSet::new();
    let mut frontier = vec![name.to_string()];
    while let Some(current) = frontier.pop() {
        let clients: Vec<String> = rows
            .iter()
            .find(|r| r.name == current)
            .and_then(|r| r.planned.as_ref())
            .map(|p| match &p.spec {
                ResourceSpec::Database { allowed_from, .. }
                | ResourceSpec::Cache { allowed_from, .. } => allowed_from.clone(),
                _ => Vec::new(),
            })
            .unwrap_or_default();
        for row in rows.iter().filter(|r| r.state.is_live()) {
            let depends = clients.contains(&row.name)
                || row
                    .planned
                    .as_ref()
                    .is_some_and(|p| p.depends_on.contains(&current));
            if depends && row.name != name && found.insert(row.name.clone()) {
                frontier.push(row.name.clone());
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ResourceState;

    #[test]
    fn a_rule_fires_only_when_every_sample_is_past_its_threshold() {
        assert!(fires(&[91.0, 95.0], Comparison::Above, 90.0));
        assert!(!fires(&[91.0, 89.0, 95.0], Comparison::Above, 90.0));
        assert!(
            !fires(&[], Comparison::Above, 90.0),
            "no samples is no verdict"
        );
        assert!(fires(&[5.0], Comparison::Below, 10.0));
        assert!(
            !fires(&[90.0], Comparison::Above, 90.0),
            "at the threshold is not past it"
        );
    }

    /// A plan's resources as stored rows (created), with `depends_on` set as given.
    fn rows(edges: &[(&str, &[&str])]) -> Vec<StoredResource> {
        let request: crate::model::DeploymentRequest = serde_json::from_value(serde_json::json!({
            "name": "shop", "provider": "aws",
            "components": [{"name": "web", "kind": "web_server"}, {"name": "db", "kind": "database"},
                           {"name": "lb", "kind": "load_balancer"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let plan = crate::planner::plan(&request).unwrap_or_else(|e| panic!("{e}"));
        edges
            .iter()
            .map(|(name, depends_on)| {
                let mut planned = plan.resources[0].clone();
                planned.name = name.to_string();
                planned.depends_on = depends_on.iter().map(|d| d.to_string()).collect();
                StoredResource {
                    name: name.to_string(),
                    kind: planned.kind,
                    provider: planned.provider,
                    region: planned.region.clone(),
                    state: if *name == "old" {
                        ResourceState::Deleted
                    } else {
                        ResourceState::Created
                    },
                    cloud_id: Some(format!("id-{name}")),
                    size: None,
                    monthly_cost: None,
                    endpoints: vec![],
                    plan_id: None,
                    managed: true,
                    error: None,
                    pending: None,
                    updated_at: String::new(),
                    planned: Some(planned),
                    record: None,
                }
            })
            .collect()
    }

    #[test]
    fn what_depends_on_a_resource_is_found_through_the_graph() {
        // A deleted resource depends on nothing any more.
        let rows = rows(&[
            ("db", &[]),
            ("web", &["db"]),
            ("lb", &["web"]),
            ("old", &["db"]),
        ]);
        assert_eq!(dependents(&rows, "db"), ["lb", "web"]);
        assert_eq!(dependents(&rows, "lb"), Vec::<String>::new());
    }

    #[test]
    fn the_clients_a_database_admits_depend_on_it() {
        let mut rows = rows(&[("db", &[]), ("web", &[]), ("lb", &["web"])]);
        let request: crate::model::DeploymentRequest = serde_json::from_value(serde_json::json!({
            "name": "shop", "provider": "aws", "components": [{"name": "db", "kind": "database"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let plan = crate::planner::plan(&request).unwrap_or_else(|e| panic!("{e}"));
        let mut database = plan
            .resources
            .iter()
            .find(|r| r.kind == crate::model::ResourceKind::Database)
            .cloned()
            .unwrap_or_else(|| panic!("no database planned"));
        if let ResourceSpec::Database { allowed_from, .. } = &mut database.spec {
            *allowed_from = vec!["web".to_string()];
        }
        database.name = "db".to_string();
        database.depends_on.clear();
        rows[0].planned = Some(database);
        assert_eq!(dependents(&rows, "db"), ["lb", "web"]);
    }
}
