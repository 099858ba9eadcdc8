//! The provision form's logic, shared by the dashboard's JSON endpoints and the `provision_form` tool: the
//! requirements as plan_deployment takes them, except that a component's provider may also be "cheapest"; the
//! answer is the estimate of what would be planned, the DigitalOcean-vs-AWS-vs-mix comparison, and the plan.
//! Validation is the tools' own (the same argument parser, planner and pricing), so the form shows the same
//! messages an agent gets, each with the field it belongs to.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::model::{DeploymentRequest, Plan, Provider};
use crate::pricing::{self, Comparison, Estimate, Prices, Usage};
use crate::server::Args;

/// The provider word that lets rift choose per component.
pub const CHEAPEST: &str = "cheapest";

/// What the form shows for the requirements it holds.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FormAnswer {
    /// The requirements as planned: every "cheapest" replaced by the provider chosen.
    pub requirements: DeploymentRequest,
    /// The components whose provider rift chose, and which it chose.
    pub chosen: Vec<Choice>,
    /// The estimate of those requirements.
    pub estimate: Estimate,
    /// Everything on DigitalOcean, everything on AWS, and the cheapest valid mix.
    pub comparison: Comparison,
}

/// The answer with the saved plan, when the form saved one.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FormResult {
    #[serde(flatten)]
    pub answer: FormAnswer,
    /// The stored plan (when saved): generate_terraform, estimate_cost and apply_plan take it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
}

impl FormResult {
    /// The totals in a few lines: this selection, each provider alone, the cheapest mix, the saved plan.
    pub fn summary(&self) -> String {
        let answer = &self.answer;
        let money = |v: f64| {
            crate::model::Micros::from_dollars(v).map_or_else(|| format!("${v:.2}"), |m| m.to_string())
        };
        let mut lines = vec![format!(
            "These requirements: {}/month",
            money(answer.estimate.total_monthly)
        )];
        for choice in &answer.chosen {
            lines.push(format!("  {} → {} (cheapest)", choice.component, choice.provider));
        }
        for side in &answer.comparison.providers {
            lines.push(match (side.total_monthly, &side.error) {
                (Some(total), _) => format!("All on {}: {}/month", side.provider, money(total)),
                (None, Some(error)) => format!("All on {}: not possible ({error})", side.provider),
                (None, None) => format!("All on {}: not priced", side.provider),
            });
        }
        if let Some(mix) = &answer.comparison.cheapest_mix {
            lines.push(format!("Cheapest mix: {}/month", money(mix.total_monthly)));
        }
        if let Some(id) = &self.plan_id {
            lines.push(format!("Saved as plan {id}"));
        }
        lines.join("\n")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Choice {
    pub component: String,
    pub provider: Provider,
}

/// A problem with the requirements, and the field it belongs to when it names one ("components[1].vcpus").
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FormError {
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl FormError {
    /// The field is the message's leading path, as the tools' errors spell it.
    fn from_message(message: String) -> FormError {
        let field = message
            .split_once(": ")
            .map(|(path, _)| path)
            .filter(|path| {
                let root = path.split(['.', '[']).next().unwrap_or_default();
                ["name", "provider", "regions", "components"].contains(&root)
                    && !path.contains(' ')
            })
            .map(str::to_string);
        FormError { field, message }
    }
}

/// The form's requirements evaluated: "cheapest" resolved per component from the comparison, then estimated.
pub fn evaluate(
    input: &Value,
    prices: &Prices,
    today: chrono::NaiveDate,
) -> Result<(FormAnswer, Plan), FormError> {
    let (request, cheapest) = parse(input)?;
    let usage = Usage::default();
    let (comparison, _) = match pricing::compare(&request, prices, &usage, today) {
        Ok(compared) => compared,
        // Neither side can serve it: the selection's own plan says why in one field's terms.
        Err(e) => {
            let planned = crate::planner::plan(&request);
            return Err(FormError::from_message(match planned {
                Err(plan_error) => plan_error.to_string(),
                Ok(_) => e.to_string(),
            }));
        }
    };
    let mut resolved = request;
    let mut chosen = Vec::new();
    for component in resolved
        .components
        .iter_mut()
        .filter(|c| cheapest.contains(&c.name))
    {
        let row = comparison
            .components
            .iter()
            .find(|row| row.component == component.name);
        let provider = row
            .and_then(|row| {
                row.cheaper.or(match (&row.digitalocean, &row.aws) {
                    (Some(_), None) => Some(Provider::Digitalocean),
                    (None, Some(_)) => Some(Provider::Aws),
                    // Equal prices: the request's default, else DigitalOcean (the first provider).
                    (Some(_), Some(_)) => Some(resolved_default(input)),
                    (None, None) => None,
                })
            })
            .ok_or_else(|| FormError {
                field: Some(format!(
                    "components[{}].provider",
                    cheapest_index(input, &component.name)
                )),
                message: format!(
                    "{}: neither provider can serve it as asked, so there is no cheapest; choose digitalocean or aws \
                     to see why",
                    component.name
                ),
            })?;
        component.provider = Some(provider);
        chosen.push(Choice {
            component: component.name.clone(),
            provider,
        });
    }
    let plan = crate::planner::plan(&resolved).map_err(|e| FormError::from_message(e.to_string()))?;
    let estimate = pricing::estimate(&plan, prices, &usage, today)
        .map_err(|e| FormError::from_message(e.to_string()))?;
    Ok((
        FormAnswer {
            requirements: resolved,
            chosen,
            estimate,
            comparison,
        },
        plan,
    ))
}

/// The requirements through the tools' own argument parser, with the "cheapest" components' names set aside
/// (their provider left to the request's default until chosen).
fn parse(input: &Value) -> Result<(DeploymentRequest, Vec<String>), FormError> {
    let mut input = input.clone();
    let mut cheapest = Vec::new();
    if let Some(components) = input.get_mut("components").and_then(Value::as_array_mut) {
        for component in components.iter_mut().filter_map(Value::as_object_mut) {
            if component.get("provider").and_then(Value::as_str) == Some(CHEAPEST) {
                component.remove("provider");
                if let Some(name) = component.get("name").and_then(Value::as_str) {
                    cheapest.push(name.to_string());
                }
            }
        }
    }
    // A request whose every component is "cheapest" still needs a default provider to be valid; the comparison
    // overrides it on each side, and the choice overrides it per component.
    if !cheapest.is_empty()
        && let Some(fields) = input.as_object_mut()
    {
        fields
            .entry("provider")
            .or_insert_with(|| Value::String(Provider::Digitalocean.to_string()));
    }
    let Args(request) = serde_json::from_value::<Args<DeploymentRequest>>(input)
        .map_err(|e| FormError::from_message(e.to_string()))?;
    Ok((request, cheapest))
}

fn resolved_default(input: &Value) -> Provider {
    match input.get("provider").and_then(Value::as_str) {
        Some("aws") => Provider::Aws,
        _ => Provider::Digitalocean,
    }
}

fn cheapest_index(input: &Value, name: &str) -> usize {
    input
        .get("components")
        .and_then(Value::as_array)
        .and_then(|all| all.iter().position(|c| c["name"] == name))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn prices() -> std::sync::Arc<Prices> {
        crate::pricing::PriceBook::default().current().unwrap()
    }

    /// The brief's example: a Node.js web server and PostgreSQL, 2 vCPU / 4 GB each, 20 GB of database storage.
    fn brief(provider: &str) -> Value {
        json!({"name": "shop", "components": [
            {"name": "web", "kind": "web_server", "provider": provider, "vcpus": 2, "memory_gb": 4},
            {"name": "db", "kind": "database", "engine": "postgres", "provider": provider,
             "vcpus": 2, "memory_gb": 4, "storage_gb": 20}]})
    }

    #[test]
    fn the_briefs_example_costs_84_dollars_on_digitalocean() {
        let (answer, plan) = evaluate(&brief("digitalocean"), &prices(), today()).unwrap();
        assert_eq!(answer.estimate.total_monthly, 84.0);
        assert!(answer.chosen.is_empty());
        let aws = answer
            .comparison
            .providers
            .iter()
            .find(|side| side.provider == Provider::Aws)
            .and_then(|side| side.total_monthly)
            .unwrap();
        assert!(aws > 84.0, "AWS total {aws}");
        assert!(plan.resources.iter().all(|r| r.provider == Provider::Digitalocean));
        let summary = FormResult {
            answer,
            plan_id: Some(plan.plan_id.clone()),
        }
        .summary();
        assert!(summary.starts_with("These requirements: $84.00/month"), "{summary}");
        assert!(summary.contains("All on aws: $"), "{summary}");
        assert!(summary.contains(&plan.plan_id), "{summary}");
    }

    #[test]
    fn cheapest_takes_each_components_cheaper_side() {
        let (answer, plan) = evaluate(&brief(CHEAPEST), &prices(), today()).unwrap();
        assert_eq!(answer.chosen.len(), 2);
        for choice in &answer.chosen {
            let row = answer
                .comparison
                .components
                .iter()
                .find(|row| row.component == choice.component)
                .unwrap();
            assert_eq!(row.cheaper.unwrap_or(Provider::Digitalocean), choice.provider);
            let planned = plan
                .resources
                .iter()
                .find(|r| r.component == choice.component)
                .unwrap();
            assert_eq!(planned.provider, choice.provider);
        }
    }

    #[test]
    fn errors_name_the_field_the_tools_name() {
        let mut bad = brief("digitalocean");
        bad["components"][1]["vcpus"] = json!("two");
        let err = evaluate(&bad, &prices(), today()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("components[1].vcpus"), "{err:?}");
        let mut bad = brief("digitalocean");
        bad["components"][1]["engine"] = json!("oracle");
        let err = evaluate(&bad, &prices(), today()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("components[1].engine"), "{err:?}");
        assert!(err.message.contains("postgres"), "{}", err.message);
        let mut bad = brief("digitalocean");
        bad["components"][0]["vcpus"] = json!(999);
        let err = evaluate(&bad, &prices(), today()).unwrap_err();
        assert!(
            err.field.as_deref().is_some_and(|f| f.starts_with("components[0].")),
            "{err:?}"
        );
        assert!(err.message.contains("999 vCPU"), "{}", err.message);
        let err = evaluate(&json!({"components": []}), &prices(), today()).unwrap_err();
        assert!(err.message.contains("component"), "{}", err.message);
    }
}
