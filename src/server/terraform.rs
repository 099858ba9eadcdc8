//! `generate_terraform` (read-only, offline) and the generated files as MCP resources,
//! `rift://plans/{plan_id}/terraform/{file}`.

use std::collections::BTreeMap;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    ErrorData, ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
};
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::ToolError;
use super::{Args, RiftServer};
use crate::model::Plan;
use crate::terraform::{self, Configuration, Variable};

pub(super) const URI_TEMPLATE: &str = "rift://plans/{plan_id}/terraform/{file}";
/// HCL has no registered media type; this is the one editors and GitHub's linguist use.
const MIME_TYPE: &str = "text/x-hcl";
/// Plans per page of resources/list (each contributes up to six files).
const PLANS_PER_PAGE: usize = 20;

/// What to write as Terraform: a plan, or what a project has (exactly one).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateTerraformArgs {
    /// A plan_id from plan_deployment (or compare_providers).
    pub plan_id: Option<String>,
    /// Or a project: the resources rift created (or is creating) in it.
    pub project_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TerraformFiles {
    /// The plan written, or "project-<id>" for a project.
    pub plan_id: String,
    /// File name → HCL. Write them into one directory, then run `terraform init` and `terraform apply`.
    pub files: BTreeMap<String, String>,
    /// The same files as MCP resources (plans only).
    pub resources: Vec<String>,
    /// What the files leave out, and why.
    pub warnings: Vec<String>,
    /// The input variables; each has a default, and credentials fall back to the providers' environment
    /// variables, so none must be set.
    pub variables: Vec<Variable>,
}

#[tool_router(router = terraform_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Terraform for a plan (plan_id) or a project's resources (project_id), both clouds in one configuration: versions.tf, providers.tf, variables.tf, digitalocean.tf and/or aws.tf, outputs.tf. Credentials are sensitive variables, never values. Also resources rift://plans/{plan_id}/terraform/{file}.",
        annotations(
            title = "Generate Terraform",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn generate_terraform(
        &self,
        Parameters(Args(args)): Parameters<Args<GenerateTerraformArgs>>,
    ) -> Result<Json<TerraformFiles>, ToolError> {
        let (plan, field, warnings) = match (args.plan_id, args.project_id) {
            (Some(id), None) => (self.stored_plan(&id)?, "plan_id", vec![]),
            (None, Some(id)) => {
                let (plan, warnings) = self.project_as_plan(&id)?;
                (plan, "project_id", warnings)
            }
            _ => {
                return Err(ToolError::new(
                    "give exactly one of plan_id (from plan_deployment) and project_id",
                ));
            }
        };
        let Configuration { files, variables } =
            terraform::generate(&plan).map_err(|e| ToolError::new(format!("{field}: {e}")))?;
        let resources = if field == "plan_id" {
            files
                .keys()
                .map(|file| terraform::resource_uri(&plan.plan_id, file))
                .collect()
        } else {
            vec![]
        };
        Ok(Json(TerraformFiles {
            plan_id: plan.plan_id,
            files,
            resources,
            warnings,
            variables,
        }))
    }
}

impl RiftServer {
    /// A project's live resources as a plan, each as it was planned; resources rift only found in a cloud (by
    /// reconcile) were never planned, so they are left out with a warning.
    fn project_as_plan(&self, id: &str) -> Result<(Plan, Vec<String>), ToolError> {
        Ok(self.state.changes.projects().as_plan(id)?)
    }

    /// The generated files of the stored plans, newest first, a page of plans at a time.
    pub(super) fn terraform_resources(
        &self,
        request: Option<PaginatedRequestParams>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let cursor = request.and_then(|r| r.cursor);
        let page = self
            .state
            .plans
            .page(cursor.as_deref(), PLANS_PER_PAGE)
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))?;
        let mut resources = Vec::new();
        for id in &page.ids {
            // A stored plan that cannot be exported has no files to list; reading it says why.
            let Ok(Ok(config)) = self.state.plans.get(id).map(|p| terraform::generate(&p)) else {
                continue;
            };
            for (file, text) in &config.files {
                resources.push(
                    Resource::new(terraform::resource_uri(id, file), format!("{id}/{file}"))
                        .with_description(format!("Terraform {file} for plan {id}"))
                        .with_mime_type(MIME_TYPE)
                        .with_size(text.len() as u64),
                );
            }
        }
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = page.next_cursor;
        Ok(result)
    }

    pub(super) fn read_terraform(&self, uri: &str) -> Result<ReadResourceResult, ErrorData> {
        let Some((plan_id, file)) = terraform::parse_resource_uri(uri) else {
            return Err(ErrorData::resource_not_found(
                format!("no resource \"{uri}\"; rift serves {URI_TEMPLATE}"),
                None,
            ));
        };
        let plan = self
            .stored_plan(plan_id)
            .map_err(|e| ErrorData::resource_not_found(e.to_string(), None))?;
        let Configuration { mut files, .. } = terraform::generate(&plan)
            .map_err(|e| ErrorData::invalid_params(format!("plan {plan_id}: {e}"), None))?;
        let Some(text) = files.remove(file) else {
            let valid: Vec<&str> = files.keys().map(String::as_str).collect();
            return Err(ErrorData::resource_not_found(
                format!(
                    "plan {plan_id} has no Terraform file \"{file}\"; its files: {}",
                    valid.join(", ")
                ),
                None,
            ));
        };
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, uri).with_mime_type(MIME_TYPE),
        ]))
    }
}

pub(super) fn terraform_templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new(URI_TEMPLATE, "terraform")
            .with_title("Terraform for a plan")
            .with_description(
                "One generated Terraform file of a plan: versions.tf, providers.tf, variables.tf, digitalocean.tf, aws.tf or outputs.tf (as generate_terraform lists them).",
            )
            .with_mime_type(MIME_TYPE),
    ])
}
