//! Cost tools: `estimate_cost` and `compare_providers` (read-only, offline) and `refresh_prices` (fetches live
//! prices into the local overlay).

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::error::ToolError;
use super::{Args, RiftServer};
use crate::model::{Component, DeploymentRequest, Plan, Provider, Regions};
use crate::planner;
use crate::pricing::refresh::{self, DigitalOceanSource, RefreshOptions, RefreshReport};
use crate::pricing::{self, Comparison, Estimate, Usage, UsageInput};

// The cost tools take the requirements exactly where and as plan_deployment does — at the top level, field for
// field (a test holds the schemas equal) — with plan_id and usage beside them, so an agent learns one shape.

/// A plan_id, or the requirements as plan_deployment takes them; plus optional usage.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateCostArgs {
    /// A plan_id from plan_deployment, instead of the requirements.
    #[serde(default)]
    pub plan_id: Option<String>,
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
    pub components: Option<Vec<Component>>,
    /// Usage for traffic-based charges; without it they are left out (and the estimate says so).
    #[serde(default)]
    pub usage: Option<UsageInput>,
}

/// The requirements as plan_deployment takes them (providers are overridden per side), plus optional usage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareProvidersArgs {
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
    pub components: Vec<Component>,
    /// Usage for traffic-based charges, as for estimate_cost.
    #[serde(default)]
    pub usage: Option<UsageInput>,
}

impl EstimateCostArgs {
    /// The requirements, when any field of them was given.
    fn request(&self) -> Option<DeploymentRequest> {
        let given = self.name.is_some()
            || self.provider.is_some()
            || self.regions != Regions::default()
            || self.components.is_some();
        given.then(|| DeploymentRequest {
            name: self.name.clone(),
            provider: self.provider,
            regions: self.regions.clone(),
            components: self.components.clone().unwrap_or_default(),
        })
    }
}

impl CompareProvidersArgs {
    fn request(&self) -> DeploymentRequest {
        DeploymentRequest {
            name: self.name.clone(),
            provider: self.provider,
            regions: self.regions.clone(),
            components: self.components.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshPricesArgs {
    /// Providers to refresh; default both.
    #[serde(default)]
    pub providers: Option<Vec<Provider>>,
    /// AWS regions to fetch; default ["us-east-1"].
    #[serde(default)]
    pub aws_regions: Option<Vec<String>>,
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[tool_router(router = cost_router, vis = "pub(super)")]
impl RiftServer {
    #[tool(
        description = "Monthly cost of a plan (plan_id) or of requirements (the same fields as plan_deployment), line by line with each price's catalog source and date, including hidden costs (public IPv4, NAT, storage, standbys, Multi-AZ); totals per provider. Traffic-based charges need usage: a profile (small, medium, large) or numbers.",
        annotations(
            title = "Estimate cost",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn estimate_cost(
        &self,
        Parameters(Args(args)): Parameters<Args<EstimateCostArgs>>,
    ) -> Result<Json<Estimate>, ToolError> {
        let plan = self.plan_for(args.plan_id.clone(), args.request())?;
        let usage = Usage::from_input(args.usage.as_ref(), "usage")?;
        let prices = self.state.prices.current()?;
        Ok(Json(pricing::estimate(&plan, &prices, &usage, today())?))
    }

    #[tool(
        description = "Requirements (the same fields as plan_deployment) planned and priced on DigitalOcean and on AWS side by side, per component and in total, line by line, plus the cheapest valid mix with its cross-cloud transfer cost and latency caveat. Stores each side's plan. Optional usage as for estimate_cost.",
        annotations(
            title = "Compare providers",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn compare_providers(
        &self,
        Parameters(Args(args)): Parameters<Args<CompareProvidersArgs>>,
    ) -> Result<Json<Comparison>, ToolError> {
        let usage = Usage::from_input(args.usage.as_ref(), "usage")?;
        let prices = self.state.prices.current()?;
        let (comparison, plans) = pricing::compare(&args.request(), &prices, &usage, today())?;
        for plan in plans {
            self.state.plans.insert(plan);
        }
        Ok(Json(comparison))
    }

    #[tool(
        description = "Fetch live prices into the local overlay that later estimates prefer: DigitalOcean droplets via GET /v2/sizes (needs DIGITALOCEAN_TOKEN), AWS EC2, RDS, ElastiCache and EBS via the Price List API (needs AWS credentials). Changes nothing in any cloud.",
        annotations(
            title = "Refresh prices",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn refresh_prices(
        &self,
        Parameters(Args(args)): Parameters<Args<RefreshPricesArgs>>,
    ) -> Result<Json<RefreshReport>, ToolError> {
        let data_dir = self
            .state
            .prices
            .dir()
            .ok_or_else(|| {
                ToolError::new("no data directory to write the price overlay to: set RIFT_DATA_DIR")
            })?
            .to_path_buf();
        let options = RefreshOptions {
            providers: args.providers.unwrap_or_default(),
            aws_regions: args.aws_regions.unwrap_or_default(),
            data_dir,
            today: today(),
            digitalocean: DigitalOceanSource::from_env(),
        };
        let report = refresh::refresh(&options).await?;
        self.state.prices.invalidate();
        Ok(Json(report))
    }
}

impl RiftServer {
    /// The plan to price: a stored one, or one made from the requirements (and stored, so its id works later).
    fn plan_for(
        &self,
        plan_id: Option<String>,
        request: Option<DeploymentRequest>,
    ) -> Result<Plan, ToolError> {
        check_one_of(plan_id.as_deref(), request.as_ref())?;
        match (plan_id, request) {
            (Some(id), _) => self.stored_plan(&id),
            (None, Some(request)) => {
                let plan = planner::plan(&request)?;
                self.state.plans.insert(plan.clone());
                Ok(plan)
            }
            (None, None) => Err(ToolError::new(NEITHER)),
        }
    }
}

const NEITHER: &str = "give plan_id (from plan_deployment) or the requirements (name, provider, regions, components), as plan_deployment takes them";

fn check_one_of(
    plan_id: Option<&str>,
    request: Option<&DeploymentRequest>,
) -> Result<(), ToolError> {
    match (plan_id, request) {
        (Some(_), Some(_)) => Err(ToolError::new(
            "give either plan_id or the requirements (name, provider, regions, components), not both",
        )),
        (None, None) => Err(ToolError::new(NEITHER)),
        _ => Ok(()),
    }
}
