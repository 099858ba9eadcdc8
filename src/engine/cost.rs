//! Monthly cost per resource from rift's price catalog, for previews, budgets and records.

use std::collections::BTreeMap;

use crate::model::{Plan, PlannedResource};
use crate::pricing::{Prices, PricingError, Usage, estimate};

/// USD per month of each resource of the plan: the catalog lines of each resource summed. No usage is given, so
/// traffic-based charges are left out, as in an estimate without usage: budgets compare what is provisioned.
pub fn monthly_costs(plan: &Plan, prices: &Prices) -> Result<BTreeMap<String, f64>, PricingError> {
    let usage = Usage::from_input(None, "usage")?;
    let estimate = estimate(plan, prices, &usage, chrono::Utc::now().date_naive())?;
    let mut costs: BTreeMap<String, f64> = plan
        .resources
        .iter()
        .map(|r| (r.name.clone(), 0.0))
        .collect();
    for line in &estimate.lines {
        if let Some(cost) = costs.get_mut(&line.resource) {
            *cost += line.monthly;
        }
    }
    // Sums of cent amounts: round away the floating error.
    for cost in costs.values_mut() {
        *cost = (*cost * 100.0).round() / 100.0;
    }
    Ok(costs)
}

/// The monthly cost of one resource on its own (a resize prices the resource at its new size this way).
pub fn priced(resource: &PlannedResource, prices: &Prices) -> Result<f64, PricingError> {
    let plan = Plan {
        plan_id: "single".to_string(),
        name: resource.component.clone(),
        providers: vec![resource.provider],
        resources: vec![resource.clone()],
        warnings: vec![],
    };
    Ok(monthly_costs(&plan, prices)?
        .get(&resource.name)
        .copied()
        .unwrap_or(0.0))
}
