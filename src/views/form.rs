//! The provision form's logic, shared by the dashboard's JSON endpoint and the `provision_form` tool: the
//! requirements as plan_deployment takes them, plus the components whose provider rift chooses ("cheapest"); the
//! answer is the estimate of what would be planned, the DigitalOcean-vs-AWS-vs-mix comparison, and the plan.
//! Validation is the tools' own (the same argument parser, planner and pricing), so the form shows the same
//! messages an agent gets, each with the field it belongs to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{Component, DeploymentRequest, Plan, Provider, Regions};
use crate::pricing::{self, Comparison, Estimate, Prices, Usage};

/// The form's requirements: plan_deployment's fields, the components rift picks the provider of, and whether
/// to store the plan.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    /// Project or deployment name: lowercase letters, digits and hyphens. Prefixes every resource name.
    #[serde(default)]
    pub name: Option<String>,
    /// Default provider for components that do not name one.
    #[serde(default)]
    pub provider: Option<Provider>,
    /// Default region per provider, e.g. {"aws": "us-east-1", "digitalocean": "nyc3"}.
    #[serde(default)]
    pub regions: Regions,
    /// What to deploy: at least one component.
    #[serde(default)]
    pub components: Vec<Component>,
    /// Names of components to put on whichever provider is cheaper for them (their own provider is ignored).
    #[serde(default)]
    pub cheapest: Vec<String>,
    /// Store the plan (for generate_terraform, estimate_cost, apply_plan).
    #[serde(default)]
    pub save: bool,
}

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
            crate::model::Micros::from_dollars(v)
                .map_or_else(|| format!("${v:.2}"), |m| m.to_string())
        };
        let mut lines = vec![format!(
            "These requirements: {}/month",
            money(answer.estimate.total_monthly)
        )];
        for choice in &answer.chosen {
            lines.push(format!(
                "  {} → {} (cheapest)",
                choice.component, choice.provider
            ));
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
    pub fn from_message(message: String) -> FormError {
        let field = message
            .split_once(": ")
            .map(|(path, _)| path)
            .filter(|path| {
                let root = path.split(['.', '[']).next().unwrap_or_default();
                ["name", "provider", "regions", "components", "cheapest"].contains(&root)
                    && !path.contains(' ')
            })
            .map(str::to_string);
        FormError { field, message }
    }
}

/// The form's requirements evaluated: "cheapest" resolved per component from the comparison, then estimated.
pub fn evaluate(
    input: &FormInput,
    prices: &Prices,
    today: chrono::NaiveDate,
) -> Result<(FormAnswer, Plan), FormError> {
    for (i, name) in input.cheapest.iter().enumerate() {
        if !input.components.iter().any(|c| &c.name == name) {
            return Err(FormError {
                field: Some(format!("cheapest[{i}]")),
                message: format!(
                    "cheapest[{i}]: no component is named {}; name one of the components",
                    crate::model::quote(name)
                ),
            });
        }
    }
    let mut request = DeploymentRequest {
        name: input.name.clone(),
        provider: input.provider,
        regions: input.regions.clone(),
        components: input.components.clone(),
    };
    for component in &mut request.components {
        if input.cheapest.contains(&component.name) {
            component.provider = None;
        }
    }
    // Requirements whose every component is "cheapest" still need a default provider to plan; the comparison
    // overrides it on each side, and the choice overrides it per component.
    if !input.cheapest.is_empty() && request.provider.is_none() {
        request.provider = Some(Provider::Digitalocean);
    }
    let default = request.provider.unwrap_or(Provider::Digitalocean);
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
    let mut chosen = Vec::new();
    for (index, component) in request.components.iter_mut().enumerate() {
        if !input.cheapest.contains(&component.name) {
            continue;
        }
        let row = comparison
            .components
            .iter()
            .find(|row| row.component == component.name);
        let provider = row
            .and_then(|row| {
                row.cheaper.or(match (&row.digitalocean, &row.aws) {
                    (Some(_), None) => Some(Provider::Digitalocean),
                    (None, Some(_)) => Some(Provider::Aws),
                    // Equal prices: the request's default.
                    (Some(_), Some(_)) => Some(default),
                    (None, None) => None,
                })
            })
            .ok_or_else(|| FormError {
                field: Some(format!("components[{index}].provider")),
                message: format!(
                    "components[{index}].provider: neither provider can serve {} as asked, so there is no \
                     cheapest; choose digitalocean or aws to see why",
                    component.name
                ),
            })?;
        component.provider = Some(provider);
        chosen.push(Choice {
            component: component.name.clone(),
            provider,
        });
    }
    let plan =
        crate::planner::plan(&request).map_err(|e| FormError::from_message(e.to_string()))?;
    let estimate = pricing::estimate(&plan, prices, &usage, today)
        .map_err(|e| FormError::from_message(e.to_string()))?;
    Ok((
        FormAnswer {
            requirements: request,
            chosen,
            estimate,
            comparison,
        },
        plan,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn prices() -> std::sync::Arc<Prices> {
        crate::pricing::PriceBook::default().current().unwrap()
    }

    /// The brief's example: a Node.js web server and PostgreSQL, 2 vCPU / 4 GB each, 20 GB of database storage.
    fn brief(provider: Option<&str>) -> Value {
        let mut brief = json!({"name": "shop", "components": [
            {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4},
            {"name": "db", "kind": "database", "engine": "postgres", "vcpus": 2, "memory_gb": 4, "storage_gb": 20}]});
        match provider {
            Some(provider) => brief["provider"] = json!(provider),
            None => brief["cheapest"] = json!(["web", "db"]),
        }
        brief
    }

    /// Through the tools' argument parser, as the tool and the endpoint read it.
    fn run(input: Value) -> Result<(FormAnswer, Plan), FormError> {
        let crate::server::Args(input) =
            serde_json::from_value::<crate::server::Args<FormInput>>(input)
                .map_err(|e| FormError::from_message(e.to_string()))?;
        evaluate(&input, &prices(), today())
    }

    #[test]
    fn the_briefs_example_costs_84_dollars_on_digitalocean() {
        let (answer, plan) = run(brief(Some("digitalocean"))).unwrap();
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
        assert!(
            plan.resources
                .iter()
                .all(|r| r.provider == Provider::Digitalocean)
        );
        let summary = FormResult {
            answer,
            plan_id: Some(plan.plan_id.clone()),
        }
        .summary();
        assert!(
            summary.starts_with("These requirements: $84.00/month"),
            "{summary}"
        );
        assert!(summary.contains("All on aws: $"), "{summary}");
        assert!(summary.contains(&plan.plan_id), "{summary}");
    }

    #[test]
    fn cheapest_takes_each_components_cheaper_side() {
        let (answer, plan) = run(brief(None)).unwrap();
        assert_eq!(answer.chosen.len(), 2);
        for choice in &answer.chosen {
            let row = answer
                .comparison
                .components
                .iter()
                .find(|row| row.component == choice.component)
                .unwrap();
            assert_eq!(
                row.cheaper.unwrap_or(Provider::Digitalocean),
                choice.provider
            );
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
        let mut bad = brief(Some("digitalocean"));
        bad["components"][1]["vcpus"] = json!("two");
        let err = run(bad).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("components[1].vcpus"), "{err:?}");
        let mut bad = brief(Some("digitalocean"));
        bad["components"][1]["engine"] = json!("oracle");
        let err = run(bad).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("components[1].engine"),
            "{err:?}"
        );
        assert!(err.message.contains("postgres"), "{}", err.message);
        let mut bad = brief(Some("digitalocean"));
        bad["components"][0]["vcpus"] = json!(999);
        let err = run(bad).unwrap_err();
        assert!(
            err.field
                .as_deref()
                .is_some_and(|f| f.starts_with("components[0].")),
            "{err:?}"
        );
        assert!(err.message.contains("999 vCPU"), "{}", err.message);
        let err = run(json!({"components": []})).unwrap_err();
        assert!(err.message.contains("component"), "{}", err.message);
        let err = run(
            json!({"components": [{"name": "web", "kind": "web_server"}], "cheapest": ["wbe"]}),
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("cheapest[0]"), "{err:?}");
    }
}
