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
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

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

/// What show_project returns as structured content (the MCP App view draws it; other hosts show the PNG).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ShownDiagram {
    pub title: String,
    /// The text summary: the total, then each cloud and region with its resources.
    pub summary: String,
    /// The diagram as SVG.
    pub svg: String,
    /// The PNG's size in pixels (the PNG itself is the image content).
    pub png: PngSize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PngSize {
    pub width: u32,
    pub height: u32,
}

/// provision_form's structured result named field by field, its parts only as objects: the estimate and the
/// comparison are estimate_cost's and compare_providers' own answers, whose full schemas those tools list
/// already (repeating them here would double what every tools/list costs).
fn form_output_schema() -> std::sync::Arc<rmcp::model::JsonObject> {
    let schema = json!({
        "type": "object",
        "properties": {
            "requirements": {"type": "object", "description": "The requirements as planned, each cheapest component on the provider chosen."},
            "chosen": {"type": "array", "items": {"type": "object"}, "description": "{component, provider} for each cheapest component."},
            "estimate": {"type": "object", "description": "As estimate_cost answers."},
            "comparison": {"type": "object", "description": "As compare_providers answers."},
            "plan_id": {"type": "string", "description": "The stored plan, when saved."}
        },
        "required": ["requirements", "chosen", "estimate", "comparison"]
    });
    std::sync::Arc::new(match schema {
        serde_json::Value::Object(fields) => fields,
        _ => Map::new(),
    })
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
        meta = app_meta(PROJECT_APP_URI),
        output_schema = rmcp::handler::server::common::schema_for_output::<ShownDiagram>()
    )]
    pub async fn show_project(
        &self,
        Parameters(Args(args)): Parameters<Args<ShowProjectArgs>>,
    ) -> Result<CallToolResult, ToolError> {
        let diagram = match (args.project_id, args.plan_id) {
            (Some(id), None) => project_diagram(&self.state, &id)?,
            (None, Some(id)) => plan_diagram(&self.state, &id)?,
            _ => {
                return Err(ToolError::new(
                    "give exactly one of project_id (from list_projects) and plan_id (from plan_deployment)",
                ));
            }
        };
        let png = diagram
            .png()
            .map_err(|e| ToolError::new(format!("the diagram could not be drawn: {e}")))?;
        let shown = ShownDiagram {
            summary: diagram.summary(),
            svg: diagram.svg(),
            png: PngSize {
                width: png.width,
                height: png.height,
            },
            title: diagram.title,
        };
        let mut result = CallToolResult::success(vec![
            ContentBlock::text(shown.summary.clone()),
            ContentBlock::image(aws_smithy_types::base64::encode(&png.bytes), "image/png"),
        ]);
        result.structured_content =
            Some(serde_json::to_value(&shown).map_err(|e| ToolError::new(e.to_string()))?);
        Ok(result)
    }

    #[tool(
        description = "The provision form: requirements as plan_deployment takes them, cheapest naming components to put on their cheaper provider; answers the estimate and DigitalOcean vs AWS vs cheapest mix. save=true stores the plan.",
        annotations(
            title = "Provision form",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        ),
        meta = app_meta(FORM_APP_URI),
        output_schema = form_output_schema()
    )]
    pub async fn provision_form(
        &self,
        Parameters(Args(input)): Parameters<Args<form::FormInput>>,
    ) -> Result<CallToolResult, ToolError> {
        if input.components.is_empty() {
            return Err(ToolError::new(
                "components: the form needs at least one component (kind, sizing, provider or a place in \
                 cheapest); people can also fill it on the dashboard of `rift serve --http` or `rift ui`",
            ));
        }
        match evaluate_form(&self.state, &input) {
            Ok(answer) => {
                let mut result =
                    CallToolResult::success(vec![ContentBlock::text(answer.summary())]);
                result.structured_content =
                    Some(serde_json::to_value(&answer).map_err(|e| ToolError::new(e.to_string()))?);
                Ok(result)
            }
            // The field as well as the message, so the form can show it beside the input.
            Err(e) => {
                let mut result = CallToolResult::error(vec![ContentBlock::text(e.message.clone())]);
                result.structured_content = Some(json!({ "error": e }));
                Ok(result)
            }
        }
    }
}

impl RiftServer {
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
            Err(e) => return Some(Err(ErrorData::resource_not_found(e.to_string(), None))),
        };
        let contents = match format {
            "svg" => ResourceContents::text(diagram.svg(), uri).with_mime_type("image/svg+xml"),
            "mmd" => {
                ResourceContents::text(diagram.mermaid(), uri).with_mime_type("text/vnd.mermaid")
            }
            "png" => match diagram.png() {
                Ok(png) => {
                    ResourceContents::blob(aws_smithy_types::base64::encode(&png.bytes), uri)
                        .with_mime_type("image/png")
                }
                Err(e) => return Some(Err(ErrorData::internal_error(e.to_string(), None))),
            },
            other => {
                return Some(Err(ErrorData::resource_not_found(
                    format!(
                        "no diagram format \"{other}\"; rift draws diagram.svg, diagram.png and diagram.mmd"
                    ),
                    None,
                )));
            }
        };
        Some(Ok(ReadResourceResult::new(vec![contents])))
    }
}

/// The form's answer as the dashboard and the tool return it, with the plan stored when asked to save.
pub(super) fn evaluate_form(
    state: &super::AppState,
    input: &form::FormInput,
) -> Result<form::FormResult, form::FormError> {
    let prices = state.prices.current().map_err(|e| form::FormError {
        field: None,
        message: e.to_string(),
    })?;
    let (answer, plan) = form::evaluate(input, &prices, chrono::Utc::now().date_naive())?;
    let plan_id = input.save.then(|| {
        let id = plan.plan_id.clone();
        state.plans.insert(plan);
        id
    });
    Ok(form::FormResult { answer, plan_id })
}

/// A project's diagram, its unresolved incidents drawn in red.
pub(super) fn project_diagram(state: &super::AppState, id: &str) -> Result<Diagram, ToolError> {
    let projects = state.changes.projects();
    let in_project = |e: crate::project::ProjectError| ToolError::new(format!("project_id: {e}"));
    let resources = projects.resources(id, None).map_err(in_project)?;
    let incidents = projects.open_incidents(id).map_err(in_project)?;
    Ok(Diagram::of_project(id, &resources, &incidents))
}

pub(super) fn plan_diagram(state: &super::AppState, id: &str) -> Result<Diagram, ToolError> {
    let plan = state.plans.get(id)?;
    let prices = state.prices.current()?;
    let costs = crate::engine::monthly_costs(&plan, &prices)
        .map_err(|e| ToolError::new(format!("plan_id: {e}")))?;
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
        (
            PROJECT_APP_URI,
            "project-view",
            "A project drawn, with its resources by cloud",
        ),
        (
            FORM_APP_URI,
            "provision-form",
            "The provision form: requirements, estimate, comparison, save",
        ),
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
        (
            PROJECT_DIAGRAM_TEMPLATE,
            "project-diagram",
            "Diagram of a project",
        ),
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
        let Some((DiagramSource::Plan(id), "png")) =
            parse_diagram_uri("rift://plans/plan-1/diagram.png")
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
