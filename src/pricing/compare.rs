//! The same requirements on DigitalOcean and on AWS, priced side by side, and the cheapest valid mix of the two.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use super::PricingError;
use super::catalog::Prices;
use super::estimate::{CatalogInfo, Estimate, LineItem, TRANSFER, estimate};
use super::usage::{Usage, UsageEcho};
use crate::mapping::{self, MappingError};
use crate::model::Micros;
use crate::model::{Component, DeploymentRequest, Plan, Provider, ResourceKind};
use crate::planner;

/// One component's monthly cost on one provider.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ComponentPrice {
    /// The size the mapping picked, for sized kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    pub monthly: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ComponentComparison {
    /// A component of the request, "(derived)" for added networks and firewalls, or "(data transfer)".
    pub component: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ResourceKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digitalocean: Option<ComponentPrice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws: Option<ComponentPrice>,
    /// The cheaper provider for this component (absent when equal or not comparable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cheaper: Option<Provider>,
}

/// Everything on one provider, line by line.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProviderSide {
    pub provider: Provider,
    /// Why the requirements cannot be served here, when they cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The stored plan (for estimate_cost and generate_terraform).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_monthly: Option<f64>,
    pub lines: Vec<LineItem>,
    /// This provider's plan and estimate warnings (each plan's own, never another's).
    pub warnings: Vec<String>,
}

/// One provider's outcome while comparing.
struct Side {
    provider: Provider,
    estimate: Option<Estimate>,
    error: Option<String>,
    warnings: Vec<String>,
}

/// A plan's warnings, then its estimate's, each once.
fn plan_warnings(plan: &Plan, est: &Estimate) -> Vec<String> {
    let mut warnings: Vec<String> = Vec::new();
    for item in plan.warnings.iter().chain(&est.warnings) {
        if !warnings.contains(item) {
            warnings.push(item.clone());
        }
    }
    warnings
}

impl Side {
    fn total(&self) -> Option<f64> {
        self.estimate.as_ref().map(|e| e.total_monthly)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MixAssignment {
    pub component: String,
    pub provider: Provider,
}

/// Each component on its cheaper provider, planned and priced as one deployment.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MixOption {
    pub assignments: Vec<MixAssignment>,
    pub plan_id: String,
    pub total_monthly: f64,
    /// Monthly cost of the traffic between the clouds (priced from usage.cross_cloud_gb).
    pub cross_cloud_monthly: f64,
    pub cross_cloud_lines: Vec<LineItem>,
    /// Mix total minus the cheapest single provider's total (negative: the mix saves).
    pub versus_cheapest_single: f64,
    /// Set when the mix spans both clouds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_caveat: Option<String>,
    /// The mix's own plan and estimate warnings.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Comparison {
    pub currency: String,
    pub catalog: CatalogInfo,
    pub providers: Vec<ProviderSide>,
    pub components: Vec<ComponentComparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cheapest_single: Option<Provider>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cheapest_mix: Option<MixOption>,
    pub recommendation: String,
    pub usage: UsageEcho,
    pub assumptions: Vec<String>,
    /// How the requirements were carried over to each provider (sizes, regions, node counts).
    pub notes: Vec<String>,
}

/// Compares the providers for `request`. Also returns every plan it made, so a caller can keep them.
pub fn compare(
    request: &DeploymentRequest,
    prices: &Prices,
    usage: &Usage,
    today: NaiveDate,
) -> Result<(Comparison, Vec<Plan>), PricingError> {
    let mut notes = Vec::new();
    let mut assumptions: Vec<String> = Vec::new();
    let mut sides = Vec::new();
    let mut plans = Vec::new();
    for provider in Provider::ALL {
        let assigned: Vec<Provider> = request.components.iter().map(|_| provider).collect();
        let (translated, mut side_notes) = translate(request, &assigned);
        notes.append(&mut side_notes);
        match planner::plan(&translated) {
            Ok(plan) => {
                let est = estimate(&plan, prices, usage, today)?;
                for item in &est.assumptions {
                    if !assumptions.contains(item) {
                        assumptions.push(item.clone());
                    }
                }
                sides.push(Side {
                    provider,
                    warnings: plan_warnings(&plan, &est),
                    estimate: Some(est),
                    error: None,
                });
                plans.push(plan);
            }
            Err(e) => sides.push(Side {
                provider,
                estimate: None,
                error: Some(e.to_string()),
                warnings: vec![],
            }),
        }
    }
    if sides.iter().all(|s| s.estimate.is_none()) {
        let reasons: Vec<String> = sides
            .iter()
            .filter_map(|s| s.error.as_ref().map(|e| format!("{}: {e}", s.provider)))
            .collect();
        return Err(PricingError::Plan(planner::PlanError {
            field: "components".to_string(),
            message: format!(
                "neither provider can serve these requirements ({})",
                reasons.join("; ")
            ),
        }));
    }

    let components = component_rows(request, &sides, &plans);
    let cheapest_single = sides
        .iter()
        .filter_map(|s| s.total().map(|t| (s.provider, cents(t))))
        .min_by_key(|(_, t)| *t)
        .map(|(p, _)| p);
    let single_total = |p: Provider| sides.iter().find(|s| s.provider == p).and_then(Side::total);

    let mix = match (
        cheapest_single,
        single_total(Provider::Aws),
        single_total(Provider::Digitalocean),
    ) {
        (Some(best), Some(_), Some(_)) => {
            let best_total = single_total(best).unwrap_or(0.0);
            match cheapest_valid_mix(request, &components, best, prices, usage, today)? {
                MixOutcome::Found {
                    assigned,
                    plan,
                    est,
                    set_aside,
                } => {
                    for reason in set_aside {
                        notes.push(format!(
                            "a mix was set aside because it would not work as planned ({reason})"
                        ));
                    }
                    let option = mix_option(request, &assigned, &plan, &est, best_total);
                    for item in &est.assumptions {
                        if !assumptions.contains(item) {
                            assumptions.push(item.clone());
                        }
                    }
                    plans.push(plan);
                    Some(option)
                }
                MixOutcome::SingleProvider => None,
                MixOutcome::Invalid(reasons) => {
                    notes.push(format!(
                        "the candidate mixes are not valid deployments ({}); staying on one provider",
                        reasons.join("; ")
                    ));
                    None
                }
            }
        }
        _ => None,
    };

    let recommendation = recommend(cheapest_single, &sides, mix.as_ref(), usage);
    let catalog = sides
        .iter()
        .find_map(|s| s.estimate.as_ref().map(|e| e.catalog.clone()))
        .unwrap_or(CatalogInfo {
            as_of: prices.catalog.as_of.to_string(),
            refreshed: None,
        });
    let providers = sides
        .into_iter()
        .map(|side| ProviderSide {
            provider: side.provider,
            total_monthly: side.total(),
            plan_id: side.estimate.as_ref().map(|e| e.plan_id.clone()),
            error: side.error,
            lines: side.estimate.map(|e| e.lines).unwrap_or_default(),
            warnings: side.warnings,
        })
        .collect();
    Ok((
        Comparison {
            currency: prices.catalog.currency.clone(),
            catalog,
            providers,
            components,
            cheapest_single,
            cheapest_mix: mix,
            recommendation,
            usage: usage.echo(),
            assumptions,
            notes,
        },
        plans,
    ))
}

fn cents(dollars: f64) -> i64 {
    Micros::from_dollars(dollars)
        .map(|m| m.round_to_cents().0)
        .unwrap_or(i64::MAX)
}

fn money(dollars: f64) -> String {
    Micros::from_dollars(dollars)
        .map(|m| m.to_string())
        .unwrap_or_default()
}

/// The request with component `i` on `assigned[i]`, adjusted so each provider's mapping accepts it.
fn translate(
    request: &DeploymentRequest,
    assigned: &[Provider],
) -> (DeploymentRequest, Vec<String>) {
    let mut notes = Vec::new();
    let components = request
        .components
        .iter()
        .zip(assigned)
        .map(|(c, p)| carry_over(c, *p, &mut notes))
        .collect();
    (
        DeploymentRequest {
            name: request.name.clone(),
            provider: assigned.first().copied().or(request.provider),
            regions: request.regions.clone(),
            components,
        },
        notes,
    )
}

/// One component moved to `provider`: a size, region or version the provider lacks becomes what it means
/// (vCPU and memory, the provider's default region, the default version), and node counts follow each
/// provider's rules.
fn carry_over(c: &Component, provider: Provider, notes: &mut Vec<String>) -> Component {
    let mut out = Component {
        provider: Some(provider),
        ..c.clone()
    };
    let name = &c.name;
    if let Some(region) = &c.region
        && mapping::region(provider, region).is_err()
    {
        notes.push(format!(
            "{name}: region {region} is not a {provider} region; using the request's {provider} region or the default"
        ));
        out.region = None;
    }
    if let Some(slug) = &c.size
        && mapping::find_size(provider, c.kind, slug).is_err()
        && let Some(size) = Provider::ALL
            .iter()
            .find_map(|p| mapping::find_size(*p, c.kind, slug).ok())
    {
        out.size = None;
        out.vcpus = Some(c.vcpus.unwrap_or(0).max(size.vcpus));
        out.memory_gb = Some(c.memory_gb.unwrap_or(0.0).max(size.memory_gb));
        notes.push(format!(
            "{name}: {slug} ({} vCPU, {} GB) is compared with the smallest {provider} size that has as much",
            size.vcpus, size.memory_gb
        ));
    }
    if let (Some(engine), Some(version)) = (c.engine, c.version.as_deref())
        && let Err(MappingError::UnknownVersion { .. }) =
            mapping::engine(provider, c.kind, engine, Some(version))
    {
        out.version = None;
        notes.push(format!(
            "{name}: {engine} {version} is not offered on {provider}; compared with its default version"
        ));
    }
    let count = c.count.unwrap_or(1);
    match (c.kind, provider) {
        (ResourceKind::Database, Provider::Aws) if count > 1 => {
            out.count = None;
            out.high_availability = Some(true);
            notes.push(format!(
                "{name}: {count} nodes become one RDS instance with a Multi-AZ standby on aws"
            ));
        }
        (ResourceKind::Cache | ResourceKind::LoadBalancer, Provider::Aws) if count > 1 => {
            out.count = None;
            notes.push(format!(
                "{name}: {count} nodes become one {} on aws",
                if c.kind == ResourceKind::Cache {
                    "ElastiCache node"
                } else {
                    "self-scaling ALB"
                }
            ));
        }
        _ => {}
    }
    out
}

fn component_rows(
    request: &DeploymentRequest,
    sides: &[Side],
    plans: &[Plan],
) -> Vec<ComponentComparison> {
    let price_of = |provider: Provider, component: &str| -> Option<ComponentPrice> {
        let side = sides.iter().find(|s| s.provider == provider)?;
        let est = side.estimate.as_ref()?;
        let plan = plans.iter().find(|p| p.plan_id == est.plan_id)?;
        let monthly = est
            .components
            .iter()
            .filter(|t| t.component == component)
            .map(|t| t.monthly)
            .sum::<f64>();
        let size = plan
            .resources
            .iter()
            .find(|r| r.component == component && r.size.is_some())
            .and_then(|r| r.size.clone());
        Some(ComponentPrice {
            size,
            monthly: cents(monthly) as f64 / 1e6,
        })
    };
    let mut names: Vec<(String, Option<ResourceKind>)> = request
        .components
        .iter()
        .map(|c| (c.name.clone(), Some(c.kind)))
        .collect();
    names.push(("(derived)".to_string(), None));
    names.push((TRANSFER.to_string(), None));
    names
        .into_iter()
        .filter_map(|(component, kind)| {
            let digitalocean = price_of(Provider::Digitalocean, &component);
            let aws = price_of(Provider::Aws, &component);
            if kind.is_none()
                && [&digitalocean, &aws]
                    .iter()
                    .all(|p| p.as_ref().is_none_or(|p| p.monthly == 0.0))
            {
                return None;
            }
            let cheaper = match (&digitalocean, &aws) {
                (Some(d), Some(a)) if cents(d.monthly) < cents(a.monthly) => {
                    Some(Provider::Digitalocean)
                }
                (Some(d), Some(a)) if cents(a.monthly) < cents(d.monthly) => Some(Provider::Aws),
                _ => None,
            };
            Some(ComponentComparison {
                component,
                kind,
                digitalocean,
                aws,
                cheaper,
            })
        })
        .collect()
}

/// Each component on its cheaper provider (ties stay on `best`). What must sit with the web servers (load
/// balancers, volumes, declared networks and firewalls) follows the first web server, and a cache goes with
/// a web server's provider (its own cheaper one when a web server is there): a cache is never split from its
/// clients across clouds when they all sit on one.
fn mix_assignment(
    request: &DeploymentRequest,
    rows: &[ComponentComparison],
    best: Provider,
) -> Vec<Provider> {
    let assigned: Vec<Provider> = request
        .components
        .iter()
        .map(|c| {
            rows.iter()
                .find(|r| r.component == c.name)
                .and_then(|r| r.cheaper)
                .unwrap_or(best)
        })
        .collect();
    follow_web_servers(request, assigned)
}

/// Puts what must sit with the web servers on their provider (see [`mix_assignment`]).
fn follow_web_servers(request: &DeploymentRequest, mut assigned: Vec<Provider>) -> Vec<Provider> {
    let web: Vec<Provider> = request
        .components
        .iter()
        .zip(&assigned)
        .filter(|(c, _)| c.kind == ResourceKind::WebServer)
        .map(|(_, p)| *p)
        .collect();
    let Some(first) = web.first().copied() else {
        return assigned;
    };
    for (c, p) in request.components.iter().zip(assigned.iter_mut()) {
        match c.kind {
            ResourceKind::LoadBalancer
            | ResourceKind::BlockStorage
            | ResourceKind::Network
            | ResourceKind::Firewall => *p = first,
            ResourceKind::Cache if !web.contains(p) => *p = first,
            _ => {}
        }
    }
    assigned
}

/// The assignments worth pricing as a mix, the per-component cheapest first. When the web servers span both
/// clouds, every cache has clients in the other cloud; the alternatives then put the caches with each web
/// server provider in turn, and all the web servers (with what follows them) on one provider.
fn mix_candidates(
    request: &DeploymentRequest,
    rows: &[ComponentComparison],
    best: Provider,
) -> Vec<Vec<Provider>> {
    let first = mix_assignment(request, rows, best);
    let mut candidates = vec![first.clone()];
    let web_providers: Vec<Provider> = Provider::ALL
        .into_iter()
        .filter(|p| {
            request
                .components
                .iter()
                .zip(&first)
                .any(|(c, q)| c.kind == ResourceKind::WebServer && q == p)
        })
        .collect();
    if web_providers.len() > 1 {
        for provider in &web_providers {
            let caches_moved = request
                .components
                .iter()
                .zip(&first)
                .map(|(c, p)| {
                    if c.kind == ResourceKind::Cache {
                        *provider
                    } else {
                        *p
                    }
                })
                .collect();
            candidates.push(caches_moved);
        }
        for provider in Provider::ALL {
            let web_moved = request
                .components
                .iter()
                .zip(&first)
                .map(|(c, p)| {
                    if c.kind == ResourceKind::WebServer {
                        provider
                    } else {
                        *p
                    }
                })
                .collect();
            candidates.push(follow_web_servers(request, web_moved));
        }
    }
    let mut unique: Vec<Vec<Provider>> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let mixed = candidate.iter().any(|p| Some(p) != candidate.first());
        if mixed && !unique.contains(&candidate) {
            unique.push(candidate);
        }
    }
    unique
}

/// A planner warning saying the plan needs a private link rift does not plan (a cache in one cloud that only
/// its own VPC can reach, with clients in the other): such a mix does not work as planned.
fn needs_private_link(warning: &str) -> bool {
    let warning = warning.to_ascii_lowercase();
    warning.contains("vpn") || warning.contains("tunnel")
}

enum MixOutcome {
    Found {
        assigned: Vec<Provider>,
        plan: Plan,
        est: Box<Estimate>,
        /// Why other candidates were rejected.
        set_aside: Vec<String>,
    },
    /// Every candidate keeps everything on one provider: the cheaper single provider is the answer.
    SingleProvider,
    /// Every candidate mix is invalid, for these reasons.
    Invalid(Vec<String>),
}

/// The cheapest candidate mix that plans and works as planned; ties go to the earlier candidate.
fn cheapest_valid_mix(
    request: &DeploymentRequest,
    rows: &[ComponentComparison],
    best: Provider,
    prices: &Prices,
    usage: &Usage,
    today: NaiveDate,
) -> Result<MixOutcome, PricingError> {
    let candidates = mix_candidates(request, rows, best);
    if candidates.is_empty() {
        return Ok(MixOutcome::SingleProvider);
    }
    let mut found: Option<(Vec<Provider>, Plan, Estimate)> = None;
    let mut reasons = Vec::new();
    for assigned in candidates {
        let (translated, _) = translate(request, &assigned);
        let plan = match planner::plan(&translated) {
            Ok(plan) => plan,
            Err(e) => {
                if !reasons.contains(&e.to_string()) {
                    reasons.push(e.to_string());
                }
                continue;
            }
        };
        if let Some(warning) = plan.warnings.iter().find(|w| needs_private_link(w)) {
            if !reasons.contains(warning) {
                reasons.push(warning.clone());
            }
            continue;
        }
        let est = estimate(&plan, prices, usage, today)?;
        let cheaper = found
            .as_ref()
            .is_none_or(|(_, _, e)| cents(est.total_monthly) < cents(e.total_monthly));
        if cheaper {
            found = Some((assigned, plan, est));
        }
    }
    Ok(match found {
        Some((assigned, plan, est)) => MixOutcome::Found {
            assigned,
            plan,
            est: Box::new(est),
            set_aside: reasons,
        },
        None => MixOutcome::Invalid(reasons),
    })
}

fn mix_option(
    request: &DeploymentRequest,
    assigned: &[Provider],
    plan: &Plan,
    est: &Estimate,
    best_total: f64,
) -> MixOption {
    let cross_cloud_lines: Vec<LineItem> = est
        .lines
        .iter()
        .filter(|l| l.description.starts_with("cross-cloud"))
        .cloned()
        .collect();
    let cross: i64 = cross_cloud_lines.iter().map(|l| cents(l.monthly)).sum();
    let regions: Vec<String> = Provider::ALL
        .iter()
        .filter_map(|p| {
            plan.resources
                .iter()
                .find(|r| r.provider == *p)
                .map(|r| format!("{p} {}", r.region))
        })
        .collect();
    MixOption {
        assignments: request
            .components
            .iter()
            .zip(assigned)
            .map(|(c, p)| MixAssignment {
                component: c.name.clone(),
                provider: *p,
            })
            .collect(),
        plan_id: plan.plan_id.clone(),
        total_monthly: est.total_monthly,
        cross_cloud_monthly: cross as f64 / 1e6,
        cross_cloud_lines,
        versus_cheapest_single: (cents(est.total_monthly) - cents(best_total)) as f64 / 1e6,
        warnings: plan_warnings(plan, est),
        latency_caveat: Some(format!(
            "the clouds talk over the public internet ({}): every database or cache query pays the round trip between them — about 1-2 ms within one metro area, tens of ms across regions — plus TLS setup, egress charges on both sides and two providers' failure modes",
            regions.join(" and ")
        )),
    }
}

fn recommend(
    best: Option<Provider>,
    sides: &[Side],
    mix: Option<&MixOption>,
    usage: &Usage,
) -> String {
    let Some(best) = best else {
        return "no provider can serve these requirements".to_string();
    };
    let total = |p: Provider| sides.iter().find(|s| s.provider == p).and_then(Side::total);
    let best_total = total(best).unwrap_or(0.0);
    let mut text = match Provider::ALL
        .iter()
        .find(|p| **p != best)
        .and_then(|p| total(*p).map(|t| (*p, t)))
    {
        Some((other, other_total)) => format!(
            "{best} is the cheaper single provider: {}/month against {}/month on {other}",
            money(best_total),
            money(other_total)
        ),
        None => format!(
            "only {best} can serve these requirements: {}/month",
            money(best_total)
        ),
    };
    if let Some(mix) = mix {
        if mix.versus_cheapest_single < 0.0 {
            text.push_str(&format!(
                "; the mix saves {}/month ({}/month) at the cost of cross-cloud latency",
                money(-mix.versus_cheapest_single),
                money(mix.total_monthly)
            ));
        } else if usage.given {
            text.push_str(&format!(
                "; the cheapest mix costs {}/month, no less once cross-cloud costs are counted",
                money(mix.total_monthly)
            ));
        } else {
            text.push_str(&format!(
                "; the cheapest mix costs {}/month, no less than {best} alone",
                money(mix.total_monthly)
            ));
        }
        if !usage.given {
            text.push_str(" (cross-cloud traffic not priced: pass usage to include it)");
        }
    }
    text
}
