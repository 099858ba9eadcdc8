//! Alert rules as changes: a rule is checked against the project (its resources, their kinds' metrics, what each
//! cloud can alarm on), previewed one step per watched resource with what the alarms cost, and run as the
//! clouds' own alarms — one CloudWatch alarm per resource, one DigitalOcean policy per region — then stored.

use std::collections::BTreeMap;

use serde_json::json;

use super::propose::Draft;
use super::{Action, AlertRequest, ChangeError, Changes, Step, Work};
use crate::cloud::{DeleteOutcome, alarm_support};
use crate::model::{AlarmSpec, AlertRule, CloudAlarm, Metric, Project, Provider, ResourceKind};
use crate::pricing::Micros;
use crate::project::monthly_cost;
use crate::store::{ChangeState, StoredResource, now, rfc3339};

/// A standard-resolution CloudWatch alarm: $0.10 per alarm-month (aws.amazon.com/cloudwatch/pricing, every
/// region rift maps). DigitalOcean's alert policies are free.
const CLOUDWATCH_ALARM_MONTHLY: Micros = Micros(100_000);
/// CloudWatch keeps at most a day of evaluation periods; DigitalOcean's longest window is an hour.
const MAX_MINUTES: u32 = 60;

/// `rift/<project>/<rule>`: CloudWatch alarm names add `/<resource>`; DigitalOcean's policy description is it.
pub fn alarm_name(project_id: &str, rule: &str) -> String {
    format!("rift/{project_id}/{rule}")
}

fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
}

fn cost_of(provider: Provider) -> Micros {
    match provider {
        Provider::Aws => CLOUDWATCH_ALARM_MONTHLY,
        Provider::Digitalocean => Micros::ZERO,
    }
}

impl Changes {
    pub(super) fn draft_alert(
        &self,
        project: &Project,
        request: &AlertRequest,
    ) -> Result<(Draft, Work), ChangeError> {
        if !valid_name(&request.name) {
            return Err(ChangeError::invalid(
                "name",
                format!(
                    "{} is not a rule name: 1–40 of a-z, 0-9 and -, not starting with -",
                    crate::model::quote(&request.name)
                ),
            ));
        }
        if !request.threshold.is_finite() {
            return Err(ChangeError::invalid("threshold", "give a finite number"));
        }
        if request.minutes == 0 || request.minutes > MAX_MINUTES {
            return Err(ChangeError::invalid(
                "minutes",
                format!(
                    "{} is outside 1–{MAX_MINUTES} (DigitalOcean's longest alert window is an hour)",
                    request.minutes
                ),
            ));
        }
        for target in &request.notify {
            if !(target.contains('@') || target.starts_with("arn:aws:sns:")) {
                return Err(ChangeError::invalid(
                    "notify",
                    format!(
                        "{} is neither an email nor an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)",
                        crate::model::quote(target)
                    ),
                ));
            }
        }
        let targets = self.alert_targets(project, request)?;
        let rows = self.store.resources(&project.id)?;
        let mut warnings = Vec::new();
        let name = alarm_name(&project.id, &request.name);
        let mut groups: BTreeMap<(Provider, String), AlarmSpec> = BTreeMap::new();
        for target in &targets {
            let spec = groups
                .entry((target.provider, target.region.clone()))
                .or_insert_with(|| AlarmSpec {
                    name: name.clone(),
                    project_id: project.id.clone(),
                    kind: target.kind,
                    metric: request.metric,
                    comparison: request.comparison,
                    threshold: request.threshold,
                    minutes: request.minutes,
                    targets: vec![],
                    notify: request.notify.clone(),
                });
            if spec.kind != target.kind {
                return Err(ChangeError::invalid(
                    "resources",
                    format!(
                        "{} is a {} and {} a {}: one rule watches one kind per cloud and region; make a rule each",
                        target.name,
                        target.kind,
                        spec.targets
                            .first()
                            .map(|(n, _)| n.as_str())
                            .unwrap_or_default(),
                        spec.kind
                    ),
                ));
            }
            spec.targets.push((
                target.name.clone(),
                target.cloud_id.clone().unwrap_or_default(),
            ));
        }
        let emails = request.notify.iter().any(|t| t.contains('@'));
        let topics = request.notify.iter().any(|t| t.starts_with("arn:aws:sns:"));
        if emails && !topics && targets.iter().any(|t| t.provider == Provider::Aws) {
            warnings.push(
                "CloudWatch notifies through SNS topics only: the emails are sent by DigitalOcean's policies; add \
                 an SNS topic ARN to notify from AWS"
                    .to_string(),
            );
        }
        // A rule made again replaces the earlier one: its alarms on resources no longer watched are removed.
        let previous = self
            .store
            .alert_rule(&project.id, &request.name)?
            .map(|r| r.alarms)
            .unwrap_or_default();
        if !previous.is_empty() {
            warnings.push(format!(
                "the rule {} exists: this replaces it and its alarms",
                request.name
            ));
        }
        let watched_before = |name: &str, provider: Provider| {
            previous
                .iter()
                .any(|a| a.provider == provider && a.resources.iter().any(|r| r == name))
        };
        let mut steps: Vec<Step> = targets
            .iter()
            .map(|t| Step {
                action: Action::Alarm,
                name: t.name.clone(),
                kind: t.kind,
                provider: t.provider,
                region: t.region.clone(),
                size: None,
                monthly_cost: Some(if watched_before(&t.name, t.provider) {
                    Micros::ZERO
                } else {
                    cost_of(t.provider)
                }),
            })
            .collect();
        for alarm in &previous {
            for name in &alarm.resources {
                if !targets
                    .iter()
                    .any(|t| t.name == *name && t.provider == alarm.provider)
                {
                    steps.push(Step {
                        action: Action::RemoveAlarm,
                        name: name.clone(),
                        kind: rows
                            .iter()
                            .find(|r| r.name == *name)
                            .map_or(request.kind.unwrap_or(ResourceKind::WebServer), |r| r.kind),
                        provider: alarm.provider,
                        region: alarm.region.clone(),
                        size: None,
                        monthly_cost: Some(Micros(-cost_of(alarm.provider).0)),
                    });
                }
            }
        }
        let cost_delta = steps.iter().filter_map(|s| s.monthly_cost).sum();
        let rule = AlertRule {
            name: request.name.clone(),
            project_id: project.id.clone(),
            metric: request.metric,
            comparison: request.comparison,
            threshold: request.threshold,
            minutes: request.minutes,
            resources: targets.iter().map(|t| t.name.clone()).collect(),
            notify: request.notify.clone(),
            alarms: previous,
            created_at: rfc3339(now()),
        };
        let draft = Draft {
            steps,
            cost_now: monthly_cost(&rows),
            cost_delta,
            created_last_hour: 0,
            warnings,
            resolved: json!(
                targets
                    .iter()
                    .map(|t| (&t.name, &t.cloud_id))
                    .collect::<Vec<_>>()
            ),
        };
        let specs = groups
            .into_iter()
            .map(|((provider, region), spec)| (provider, region, spec))
            .collect();
        Ok((
            draft,
            Work::Alert {
                rule: Box::new(rule),
                specs,
            },
        ))
    }

    /// The live resources a rule watches, each of a kind with the metric, on a cloud that can alarm on it.
    fn alert_targets(
        &self,
        project: &Project,
        request: &AlertRequest,
    ) -> Result<Vec<StoredResource>, ChangeError> {
        let live: Vec<StoredResource> = self
            .store
            .resources(&project.id)?
            .into_iter()
            .filter(|r| r.state.is_live() && r.cloud_id.is_some())
            .collect();
        let names = || {
            let names: Vec<&str> = live.iter().map(|r| r.name.as_str()).collect();
            if names.is_empty() {
                "none yet".to_string()
            } else {
                names.join(", ")
            }
        };
        let targets: Vec<StoredResource> =
            match (request.resources.is_empty(), request.kind) {
                (true, None) | (false, Some(_)) => {
                    return Err(ChangeError::invalid(
                        "resources",
                        "give either resources (names in the project) or kind",
                    ));
                }
                (false, None) => request
                    .resources
                    .iter()
                    .map(|name| {
                        live.iter().find(|r| r.name == *name).cloned().ok_or_else(|| {
                        ChangeError::invalid(
                            "resources",
                            format!(
                                "{} is not a live resource of project {}; its resources: {}",
                                crate::model::quote(name),
                                project.id,
                                names()
                            ),
                        )
                    })
                    })
                    .collect::<Result<_, _>>()?,
                (true, Some(kind)) => {
                    let of_kind: Vec<StoredResource> =
                        live.iter().filter(|r| r.kind == kind).cloned().collect();
                    if of_kind.is_empty() {
                        return Err(ChangeError::invalid(
                            "kind",
                            format!(
                                "project {} has no live {kind}; its resources: {}",
                                project.id,
                                names()
                            ),
                        ));
                    }
                    of_kind
                }
            };
        for target in &targets {
            let metrics = Metric::of_kind(target.kind);
            if !metrics.contains(&request.metric) {
                let valid: Vec<&str> = metrics.iter().map(|m| m.as_str()).collect();
                return Err(ChangeError::invalid(
                    "metric",
                    format!(
                        "{} is not a metric of {} (a {}); its metrics: {}",
                        request.metric,
                        target.name,
                        target.kind,
                        if valid.is_empty() {
                            "none".to_string()
                        } else {
                            valid.join(", ")
                        }
                    ),
                ));
            }
            alarm_support(target.provider, target.kind, request.metric).map_err(|why| {
                ChangeError::invalid(
                    "metric",
                    format!("{} cannot alarm on {}: {why}", target.name, request.metric),
                )
            })?;
        }
        Ok(targets)
    }

    pub(super) fn draft_remove_alert(
        &self,
        project: &Project,
        name: &str,
    ) -> Result<(Draft, Work), ChangeError> {
        let Some(rule) = self.store.alert_rule(&project.id, name)? else {
            let rules: Vec<String> = self
                .store
                .alert_rules(&project.id)?
                .into_iter()
                .map(|r| r.name)
                .collect();
            return Err(ChangeError::invalid(
                "name",
                format!(
                    "project {} has no alert rule {}; its rules: {}",
                    project.id,
                    crate::model::quote(name),
                    if rules.is_empty() {
                        "none".to_string()
                    } else {
                        rules.join(", ")
                    }
                ),
            ));
        };
        let rows = self.store.resources(&project.id)?;
        let steps: Vec<Step> = rule
            .alarms
            .iter()
            .flat_map(|alarm| {
                alarm.resources.iter().map(|name| {
                    let row = rows.iter().find(|r| r.name == *name);
                    Step {
                        action: Action::RemoveAlarm,
                        name: name.clone(),
                        kind: row.map_or(crate::model::ResourceKind::WebServer, |r| r.kind),
                        provider: alarm.provider,
                        region: alarm.region.clone(),
                        size: None,
                        monthly_cost: Some(Micros(-cost_of(alarm.provider).0)),
                    }
                })
            })
            .collect();
        let draft = Draft {
            cost_delta: steps.iter().filter_map(|s| s.monthly_cost).sum(),
            steps,
            cost_now: monthly_cost(&rows),
            created_last_hour: 0,
            warnings: vec![],
            resolved: json!(rule.alarms),
        };
        Ok((
            draft,
            Work::RemoveAlert {
                rule: Box::new(rule),
            },
        ))
    }

    /// Puts each cloud's alarms, then stores the rule with the alarms that exist. A cloud that fails leaves the
    /// others' alarms in place and recorded (delete_alert removes them); nothing made is a failure.
    pub(super) async fn run_alert(
        &self,
        project: &Project,
        rule: &AlertRule,
        specs: &[(Provider, String, AlarmSpec)],
    ) -> (ChangeState, Vec<String>, String, Micros) {
        let mut made: Vec<CloudAlarm> = Vec::new();
        let mut lines = Vec::new();
        let mut failed = 0;
        for (provider, region, spec) in specs {
            let put = match self.cloud(project, *provider, region).await {
                Ok(cloud) => cloud.put_alarms(spec).await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match put {
                Ok(alarms) => {
                    for alarm in &alarms {
                        lines.push(format!(
                            "alarm {} ({provider} {})",
                            alarm.resources.join(", "),
                            alarm.cloud_id
                        ));
                    }
                    made.extend(alarms);
                }
                Err(e) => {
                    failed += 1;
                    let names: Vec<&str> = spec.targets.iter().map(|(n, _)| n.as_str()).collect();
                    lines.push(format!("failed {}: {e}", names.join(", ")));
                }
            }
        }
        let known = |alarm: &CloudAlarm, among: &[CloudAlarm]| {
            among
                .iter()
                .any(|a| a.provider == alarm.provider && a.cloud_id == alarm.cloud_id)
        };
        let mut cost: Micros = made
            .iter()
            .filter(|a| !known(a, &rule.alarms))
            .map(|a| cost_of(a.provider))
            .sum();
        if made.is_empty() {
            return (
                ChangeState::Failed,
                lines,
                format!(
                    "no alarm was made for {}; the rule is not stored",
                    rule.name
                ),
                Micros::ZERO,
            );
        }
        // The earlier rule's alarms that this one did not make again watch what it no longer watches.
        let mut kept = made.clone();
        for stale in rule.alarms.iter().filter(|a| !known(a, &made)) {
            let deleted = match self.cloud(project, stale.provider, &stale.region).await {
                Ok(cloud) => cloud
                    .delete_alarm(&stale.cloud_id)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match deleted {
                Ok(_) => {
                    cost = Micros(cost.0 - cost_of(stale.provider).0);
                    lines.push(format!(
                        "removed alarm {} ({}), no longer watched",
                        stale.resources.join(", "),
                        stale.cloud_id
                    ));
                }
                Err(e) => {
                    failed += 1;
                    lines.push(format!("failed to remove {}: {e}", stale.cloud_id));
                    kept.push(stale.clone());
                }
            }
        }
        let stored = AlertRule {
            alarms: kept,
            ..rule.clone()
        };
        if let Err(e) = self.store.put_alert_rule(&stored) {
            return (
                ChangeState::Partial,
                lines,
                format!("the alarms exist but the rule could not be stored: {e}"),
                cost,
            );
        }
        let state = if failed == 0 {
            ChangeState::Succeeded
        } else {
            ChangeState::Partial
        };
        let message = format!(
            "alert rule {}: {} alarm(s){}",
            rule.name,
            stored.alarms.len(),
            if failed > 0 {
                "; some clouds failed, see the steps"
            } else {
                ""
            }
        );
        (state, lines, message, cost)
    }

    /// Deletes each alarm; the rule is forgotten once none is left (the ones that failed stay recorded).
    pub(super) async fn run_remove_alert(
        &self,
        project: &Project,
        rule: &AlertRule,
    ) -> (ChangeState, Vec<String>, String, Micros) {
        let mut left = Vec::new();
        let mut lines = Vec::new();
        let mut saved = Micros::ZERO;
        for alarm in &rule.alarms {
            let deleted = match self.cloud(project, alarm.provider, &alarm.region).await {
                Ok(cloud) => cloud
                    .delete_alarm(&alarm.cloud_id)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match deleted {
                Ok(outcome) => {
                    saved += cost_of(alarm.provider);
                    lines.push(format!(
                        "{} alarm {} ({})",
                        if outcome == DeleteOutcome::AlreadyGone {
                            "already gone:"
                        } else {
                            "removed"
                        },
                        alarm.resources.join(", "),
                        alarm.cloud_id
                    ));
                }
                Err(e) => {
                    lines.push(format!("failed {}: {e}", alarm.cloud_id));
                    left.push(alarm.clone());
                }
            }
        }
        let stored = if left.is_empty() {
            self.store.delete_alert_rule(&project.id, &rule.name)
        } else {
            self.store.put_alert_rule(&AlertRule {
                alarms: left.clone(),
                ..rule.clone()
            })
        };
        let delta = Micros(-saved.0);
        match (stored, left.is_empty()) {
            (Err(e), _) => (
                ChangeState::Partial,
                lines,
                format!("the alarms were removed but the store could not be updated: {e}"),
                delta,
            ),
            (Ok(()), true) => (
                ChangeState::Succeeded,
                lines,
                format!("alert rule {} deleted", rule.name),
                delta,
            ),
            (Ok(()), false) if left.len() == rule.alarms.len() => (
                ChangeState::Failed,
                lines,
                format!(
                    "no alarm of {} could be removed; the rule is kept",
                    rule.name
                ),
                Micros::ZERO,
            ),
            (Ok(()), false) => (
                ChangeState::Partial,
                lines,
                format!(
                    "{} alarm(s) of {} could not be removed and stay recorded; delete_alert again retries them",
                    left.len(),
                    rule.name
                ),
                delta,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_short_lowercase_words() {
        assert!(valid_name("cpu-high") && valid_name("db5"));
        assert!(!valid_name("") && !valid_name("CPU") && !valid_name("-x") && !valid_name("a/b"));
        assert!(!valid_name(&"a".repeat(41)));
    }
}
