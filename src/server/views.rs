//! The views tool group for people: `show_project` (a project or plan drawn, as PNG image content with a text
//! summary) and `provision_form` (the form's estimate and comparison, and saving its plan); the diagrams as
//! resources `rift://plans/{plan_id}/diagram.{svg,png,mmd}` and `rift://projects/{project_id}/diagram.{...}`;
//! and the MCP App views (the MCP Apps extension, `io.modelcontextprotocol/ui`) that hosts supporting it render
//! in place of the text: `ui://rift/project.html` and `ui://rift/provision.html`.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, ErrorData, MetaObject, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate,
};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Args, RiftServer, ToolError};
use crate::views::{Diagram, form, pages};

/// The MIME type MCP Apps requires of a view.
pub(super) const APP_MIME_TYPE: &str = "text/html;profile=mcp-app";
pub(super) const PROJECT_APP_URI: &str = "ui://rift/project.html";
pub(super) const FORM_APP_URI: &str = "ui://rift/provision.html";
const PLAN_DIAGRAM_TEMPLATE: &str = "rift://plans/{plan_id}/diagram.{format}";
const PROJECT_DIAGRAM_TEMPLATE: &str = "rift://projects/{project_id}/diagram.{format}";

/// What to draw: a project or a plan (exactly one).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowProjectArgs {
    /// A project: its live resources with their state.
    pub project_id: Option<String>,
    /// Or a plan_id from plan_deployment.
    pub plan_id: Option<String>,
}

/// The form's requirements, and whether to save them as a plan.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionFormArgs {
    /// As plan_deployment takes them (name, provider, regions, components); a component's provider may also be
    /// "cheapest". Leave out to open an empty form.
    pub requirements: Option<Map<String, Value>>,
    /// Store the plan (for generate_terraform, estimate_cost, apply_plan).
    #[serde(default)]
    pub save: bool,
}

/// `_meta.ui.resourceUri`: the view a host supporting MCP Apps renders the tool's result with.
fn app_meta(uri: &str) -> MetaObject {
    let mut meta = Map::new();
    meta.insert("ui".to_string(), json!({ "resourceUri": uri }));
    MetaObject(meta)
}

#[tool_router(router = views_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "A project (project_id) or plan (plan_id) drawn: one column per cloud and region, tiers, dependencies, each resource's size, monthly cost and state. Returns a PNG and a text summary; also resources rift://projects/{project_id}/diagram.svg|png|mmd.",
        annotations(
            title = "Show a project",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        meta = app_meta(PROJECT_APP_URI)
    )]
    pub async fn show_project(
        &self,
        Parameters(Args(args)): Parameters<Args<ShowProjectArgs>>,
    ) -> Result<CallToolResult, ToolError> {
        let diagram = match (args.project_id, args.plan_id) {
            (Some(id), None) => self.project_diagram(&id)?,
            (None, Some(id)) => self.plan_diagram(&id)?,
            _ => {
                return Err(ToolError::new(
                    "give exactly one of project_id (from list_projects) and plan_id (from plan_deployment)",
                ));
            }
        };
        let png = diagram
            .png()
            .map_err(|e| ToolError::new(format!("the diagram could not be drawn: {e}")))?;
        let svg = diagram.svg();
        let mut result = CallToolResult::success(vec![
            ContentBlock::text(diagram.summary()),
            ContentBlock::image(aws_smithy_types::base64::encode(&png.bytes), "image/png"),
        ]);
        result.structured_content = Some(json!({
            "title": diagram.title,
            "summary": diagram.summary(),
            "svg": svg,
            "png": {"width": png.width, "height": png.height},
        }));
        Ok(result)
    }

    #[tool(
        description = "The provision form: requirements (as plan_deployment, provider per component digitalocean, aws or \"cheapest\") estimated, compared on DigitalOcean vs AWS vs the cheapest mix; save=true stores the plan. Errors name the field.",
        annotations(
            title = "Provision form",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        meta = app_meta(FORM_APP_URI)
    )]
    pub async fn provision_form(
        &self,
        Parameters(Args(args)): Parameters<Args<ProvisionFormArgs>>,
    ) -> Result<CallToolResult, ToolError> {
        let Some(requirements) = args.requirements else {
            return Ok(CallToolResult::success(vec![ContentBlock::text(
                "The provision form: give requirements (components with kind, sizing and provider digitalocean, \
                 aws or \"cheapest\") to see the estimate and the DigitalOcean/AWS/mix comparison; people can \
                 also use it on the dashboard of `rift serve --http` or `rift ui`.",
            )]));
        };
        match self.evaluate_form(&Value::Object(requirements), args.save) {
            Ok(answer) => {
                let mut result =
                    CallToolResult::success(vec![ContentBlock::text(answer.summary())]);
                result.structured_content = Some(
                    serde_json::to_value(&answer).map_err(|e| ToolError::new(e.to_string()))?,
                );
                Ok(result)
            }
            Err(e) => {
                let mut result = CallToolResult::error(vec![ContentBlock::text(e.message.clone())]);
                result.structured_content = Some(json!({"error": e}));
                Ok(result)
            }
        }
    }
}

impl RiftServer {
    fn evaluate_form(&self, input: &Value, save: bool) -> Result<form::FormResult, form::FormError> {
        self::evaluate_form(&self.state, input, save)
    }

    fn project_diagram(&self, id: &str) -> Result<Diagram, ToolError> {
        project_diagram(&self.state, id).map_err(ToolError::new)
    }

    fn plan_diagram(&self, id: &str) -> Result<Diagram, ToolError> {
        plan_diagram(&self.state, id).map_err(ToolError::new)
    }

    /// A diagram or MCP App resource, or None when `uri` is not one (another reader's, or unknown).
    pub(super) fn read_view(&self, uri: &str) -> Option<Result<ReadResourceResult, ErrorData>> {
        if let Some(html) = app_page(uri) {
            let mut meta = Map::new();
            // No network, no outside resources: the views draw from the tool results the host passes on.
            meta.insert("ui".to_string(), json!({"prefersBorder": true, "csp": {}}));
            return Some(Ok(ReadResourceResult::new(vec![
                ResourceContents::text(html, uri)
                    .with_mime_type(APP_MIME_TYPE)
                    .with_meta(MetaObject(meta)),
            ])));
        }
        let (source, format) = parse_diagram_uri(uri)?;
        let diagram = match source {
            DiagramSource::Plan(id) => plan_diagram(&self.state, id),
            DiagramSource::Project(id) => project_diagram(&self.state, id),
        };
        let diagram = match diagram {
            Ok(diagram) => diagram,
            Err(e) => return Some(Err(ErrorData::resource_not_found(e, None))),
        };
        let contents = match format {
            "svg" => ResourceContents::text(diagram.svg(), uri).with_mime_type("image/svg+xml"),
            "mmd" => ResourceContents::text(diagram.mermaid(), uri).with_mime_type("text/vnd.mermaid"),
            "png" => match diagram.png() {
                Ok(png) => ResourceContents::blob(aws_smithy_types::base64::encode(&png.bytes), uri)
                    .with_mime_type("image/png"),
                Err(e) => return Some(Err(ErrorData::internal_error(e.to_string(), None))),
            },
            other => {
                return Some(Err(ErrorData::resource_not_found(
                    format!("no diagram format \"{other}\"; rift draws diagram.svg, diagram.png and diagram.mmd"),
                    None,
                )));
            }
        };
        Some(Ok(ReadResourceResult::new(vec![contents])))
    }
}

/// The form's answer as the dashboard and the tool return it, with the plan stored when `save`.
pub(super) fn evaluate_form(
    state: &super::AppState,
    input: &Value,
    save: bool,
) -> Result<form::FormResult, form::FormError> {
    let prices = state.prices.current().map_err(|e| form::FormError {
        field: None,
        message: e.to_string(),
    })?;
    let (answer, plan) = form::evaluate(input, &prices, chrono::Utc::now().date_naive())?;
    let plan_id = save.then(|| {
        let id = plan.plan_id.clone();
        state.plans.insert(plan);
        id
    });
    Ok(form::FormResult { answer, plan_id })
}

pub(super) fn project_diagram(state: &super::AppState, id: &str) -> Result<Diagram, String> {
    let resources = state
        .changes
        .projects()
        .resources(id, None)
        .map_err(|e| format!("project_id: {e}"))?;
    Ok(Diagram::of_project(id, &resources))
}

pub(super) fn plan_diagram(state: &super::AppState, id: &str) -> Result<Diagram, String> {
    let plan = state.plans.get(id).ok_or_else(|| {
        format!("plan_id: unknown plan \"{}\"; call plan_deployment first", crate::config::redact(id))
    })?;
    let prices = state.prices.current().map_err(|e| e.to_string())?;
    let costs = crate::engine::monthly_costs(&plan, &prices).map_err(|e| e.to_string())?;
    Ok(Diagram::of_plan(&plan, &costs))
}

enum DiagramSource<'a> {
    Plan(&'a str),
    Project(&'a str),
}

/// `rift://plans/{id}/diagram.{format}` or `rift://projects/{id}/diagram.{format}`.
fn parse_diagram_uri(uri: &str) -> Option<(DiagramSource<'_>, &str)> {
    let rest = uri.strip_prefix("rift://")?;
    let (collection, rest) = rest.split_once('/')?;
    let (id, file) = rest.split_once('/')?;
    let format = file.strip_prefix("diagram.")?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    let source = match collection {
        "plans" => DiagramSource::Plan(id),
        "projects" => DiagramSource::Project(id),
        _ => return None,
    };
    Some((source, format))
}

fn app_page(uri: &str) -> Option<String> {
    match uri {
        PROJECT_APP_URI => Some(pages::project_app().to_string()),
        FORM_APP_URI => Some(pages::form_app().to_string()),
        _ => None,
    }
}

/// The MCP App views, for resources/list (hosts find them through the tools' metadata too).
pub(super) fn app_resources() -> Vec<Resource> {
    [
        (PROJECT_APP_URI, "project-view", "A project drawn, with its resources by cloud"),
        (FORM_APP_URI, "provision-form", "The provision form: requirements, estimate, comparison, save"),
    ]
    .into_iter()
    .map(|(uri, name, description)| {
        Resource::new(uri, name)
            .with_description(description)
            .with_mime_type(APP_MIME_TYPE)
    })
    .collect()
}

pub(super) fn diagram_templates() -> Vec<ResourceTemplate> {
    [
        (PLAN_DIAGRAM_TEMPLATE, "plan-diagram", "Diagram of a plan"),
        (PROJECT_DIAGRAM_TEMPLATE, "project-diagram", "Diagram of a project"),
    ]
    .into_iter()
    .map(|(template, name, title)| {
        ResourceTemplate::new(template, name)
            .with_title(title)
            .with_description("format: svg, png or mmd (Mermaid)")
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagram_uris() {
        let Some((DiagramSource::Plan(id), "png")) = parse_diagram_uri("rift://plans/plan-1/diagram.png")
        else {
            panic!("plan uri not parsed");
        };
        assert_eq!(id, "plan-1");
        assert!(matches!(
            parse_diagram_uri("rift://projects/shop/diagram.svg"),
            Some((DiagramSource::Project("shop"), "svg"))
        ));
        assert!(parse_diagram_uri("rift://plans/plan-1/terraform/aws.tf").is_none());
        assert!(parse_diagram_uri("rift://other/x/diagram.svg").is_none());
    }
}
