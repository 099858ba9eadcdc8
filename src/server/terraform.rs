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

use super::{Args, RiftServer};
use crate::model::Plan;
use crate::terraform::{self, Configuration, Variable};

const URI_TEMPLATE: &str = "rift://plans/{plan_id}/terraform/{file}";
/// HCL has no registered media type; this is the one editors and GitHub's linguist use.
const MIME_TYPE: &str = "text/x-hcl";
/// Plans per page of resources/list (each contributes up to six files).
const PLANS_PER_PAGE: usize = 20;

/// Which plan to write as Terraform.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateTerraformArgs {
    /// A plan_id from plan_deployment (or compare_providers).
    pub plan_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TerraformFiles {
    pub plan_id: String,
    /// File name → HCL. Write them into one directory, then run `terraform init` and `terraform apply`.
    pub files: BTreeMap<String, String>,
    /// The same files as MCP resources.
    pub resources: Vec<String>,
    /// The input variables; each has a default, and credentials fall back to the providers' environment
    /// variables, so none must be set.
    pub variables: Vec<Variable>,
}

#[tool_router(router = terraform_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Terraform for a plan (plan_id), both clouds in one configuration: versions.tf, providers.tf, variables.tf, digitalocean.tf and/or aws.tf, outputs.tf. Credentials are sensitive variables, never values. Also resources rift://plans/{plan_id}/terraform/{file}.",
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
    ) -> Result<Json<TerraformFiles>, String> {
        let plan = self.plan_to_export(&args.plan_id)?;
        let Configuration { files, variables } =
            terraform::generate(&plan).map_err(|e| format!("plan_id: {e}"))?;
        let resources = files
            .keys()
            .map(|file| terraform::resource_uri(&plan.plan_id, file))
            .collect();
        Ok(Json(TerraformFiles {
            plan_id: plan.plan_id,
            files,
            resources,
            variables,
        }))
    }
}

impl RiftServer {
    fn plan_to_export(&self, id: &str) -> Result<Plan, String> {
        self.state.plans.get(id).ok_or_else(|| {
            let known = self.state.plans.ids();
            let listed = if known.is_empty() {
                "none yet".to_string()
            } else {
                known.iter().rev().take(5).cloned().collect::<Vec<_>>().join(", ")
            };
            format!(
                "plan_id: unknown plan \"{id}\" (plans made in this server session: {listed}); call plan_deployment first"
            )
        })
    }

    /// The generated files of the plans made in this process, a page of plans at a time.
    pub(super) fn terraform_resources(
        &self,
        request: Option<PaginatedRequestParams>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let start = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(cursor) => cursor.parse::<usize>().map_err(|_| {
                ErrorData::invalid_params(format!("invalid cursor \"{cursor}\""), None)
            })?,
        };
        let ids = self.state.plans.ids();
        let mut resources = Vec::new();
        for id in ids.iter().skip(start).take(PLANS_PER_PAGE) {
            // A stored plan that cannot be exported has no files to list; reading it says why.
            let Some(Ok(config)) = self.state.plans.get(id).map(|p| terraform::generate(&p)) else {
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
        let next = start + PLANS_PER_PAGE;
        if next < ids.len() {
            result.next_cursor = Some(next.to_string());
        }
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
            .plan_to_export(plan_id)
            .map_err(|e| ErrorData::resource_not_found(e, None))?;
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
