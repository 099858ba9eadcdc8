//! `rift estimate <plan.json|requirements.json>`: the estimate as a table for people (or JSON), and the hidden
//! `rift bench-estimate` that times the estimator on a large plan.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{CliError, print_json, read_json};
use crate::model::{Component, DeploymentRequest, Engine, Plan, Provider, ResourceKind};
use crate::planner;
use crate::pricing::{
    self, Backups, Estimate, LineItem, Micros, PriceBook, Prices, Usage, UsageInput, UsageProfile,
};

#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// A plan (as plan_deployment or `rift plan` prints it) or requirements (as plan_deployment takes them);
    /// "-" reads standard input.
    pub file: PathBuf,
    #[command(flatten)]
    pub usage: UsageArgs,
    /// Print the estimate as JSON (what the estimate_cost tool returns).
    #[arg(long)]
    pub json: bool,
}

/// Usage for the usage-based charges; any of these turns them on.
#[derive(Debug, Clone, Default, Args)]
pub struct UsageArgs {
    /// Usage preset: small, medium or large (explicit numbers override it).
    #[arg(long, value_parser = parse_profile)]
    pub profile: Option<UsageProfile>,
    /// GB per month sent to the internet by the web servers.
    #[arg(long, allow_negative_numbers = true)]
    pub transfer_out_gb: Option<f64>,
    /// Average load balancer capacity units (AWS).
    #[arg(long, allow_negative_numbers = true)]
    pub lcu: Option<f64>,
    /// GB stored in object storage (buckets without storage_gb).
    #[arg(long, allow_negative_numbers = true)]
    pub stored_gb: Option<f64>,
    /// GB per month through each NAT gateway (AWS).
    #[arg(long, allow_negative_numbers = true)]
    pub nat_processed_gb: Option<f64>,
    /// GB per month sent between the clouds.
    #[arg(long, allow_negative_numbers = true)]
    pub cross_cloud_gb: Option<f64>,
    /// Backups: none, weekly or daily.
    #[arg(long, value_parser = parse_backups)]
    pub backups: Option<Backups>,
}

fn parse_profile(text: &str) -> Result<UsageProfile, String> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| format!("\"{text}\" is not a profile: use small, medium or large"))
}

fn parse_backups(text: &str) -> Result<Backups, String> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| format!("\"{text}\" is not a backup plan: use none, weekly or daily"))
}

impl UsageArgs {
    pub fn validated(&self) -> Result<Usage, CliError> {
        let input = UsageInput {
            profile: self.profile,
            transfer_out_gb: self.transfer_out_gb,
            lcu: self.lcu,
            stored_gb: self.stored_gb,
            nat_processed_gb: self.nat_processed_gb,
            cross_cloud_gb: self.cross_cloud_gb,
            backups: self.backups,
        };
        let given = input != UsageInput::default();
        Usage::from_input(given.then_some(&input), "--usage")
            .map_err(|e| CliError::Usage(e.to_string().replace("--usage.", "--").replace('_', "-")))
    }
}

pub(super) fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub(super) fn prices() -> Result<std::sync::Arc<Prices>, CliError> {
    PriceBook::default()
        .current()
        .map_err(|e| CliError::Failed(e.to_string()))
}

pub fn run(args: &EstimateArgs) -> Result<(), CliError> {
    let document: serde_json::Value = read_json(&args.file)?;
    let plan = plan_from(document, &args.file)?;
    let usage = args.usage.validated()?;
    let estimate = pricing::estimate(&plan, &*prices()?, &usage, today())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if args.json {
        return print_json(&estimate);
    }
    print!("{}", render_estimate(&estimate));
    Ok(())
}

/// A plan file is priced as it is; a requirements file is planned first.
fn plan_from(document: serde_json::Value, path: &std::path::Path) -> Result<Plan, CliError> {
    let is_plan = document.get("resources").is_some() && document.get("plan_id").is_some();
    let decode_error = |e: serde_path_to_error::Error<serde_json::Error>| {
        CliError::Usage(format!("{}: {}: {}", path.display(), e.path(), e.inner()))
    };
    if is_plan {
        return serde_path_to_error::deserialize(document).map_err(decode_error);
    }
    let request: DeploymentRequest =
        serde_path_to_error::deserialize(document).map_err(decode_error)?;
    planner::plan(&request).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
}

/// Columns of text, the numeric ones right-aligned.
pub(super) fn table(headers: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let width = widths.get(i).copied().unwrap_or(0);
            let pad = width.saturating_sub(cell.chars().count());
            if i > 0 {
                out.push_str("  ");
            }
            if right.contains(&i) {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                if i + 1 < cells.len() {
                    out.push_str(&" ".repeat(pad));
                }
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

pub(super) fn dollars(amount: f64) -> String {
    Micros::from_dollars(amount)
        .map(|m| m.to_string())
        .unwrap_or_else(|| format!("${amount}"))
}

fn quantity(q: f64) -> String {
    if q.fract() == 0.0 {
        format!("{q:.0}")
    } else {
        format!("{q}")
    }
}

/// The line items of one estimate as table rows.
pub(super) fn line_rows(lines: &[LineItem]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| {
            let hours = l.hours.map(|h| format!(" x {h} h")).unwrap_or_default();
            vec![
                l.resource.clone(),
                l.provider.to_string(),
                l.description.clone(),
                format!(
                    "${} /{}{}",
                    l.unit_price,
                    l.unit,
                    if l.verified { "" } else { " *" }
                ),
                format!("{}{hours}", quantity(l.quantity)),
                dollars(l.monthly),
            ]
        })
        .collect()
}

pub(super) const LINE_HEADERS: [&str; 6] = [
    "RESOURCE",
    "PROVIDER",
    "DESCRIPTION",
    "UNIT PRICE",
    "QUANTITY",
    "MONTHLY",
];

pub(super) fn render_estimate(estimate: &Estimate) -> String {
    let mut out = format!(
        "Estimate for {} (prices in {}, catalog of {}{})\n\n",
        estimate.plan_id,
        estimate.currency,
        estimate.catalog.as_of,
        estimate
            .catalog
            .refreshed
            .as_ref()
            .map(|d| format!(", live refresh of {d}"))
            .unwrap_or_default()
    );
    out.push_str(&table(&LINE_HEADERS, &line_rows(&estimate.lines), &[4, 5]));
    if estimate.lines.iter().any(|l| !l.verified) {
        out.push_str("* unverified price\n");
    }
    out.push('\n');
    for total in &estimate.totals {
        out.push_str(&format!(
            "{:<13} {:>12}/month  (${}/hour)\n",
            total.provider.to_string(),
            dollars(total.monthly),
            total.hourly
        ));
    }
    out.push_str(&format!(
        "{:<13} {:>12}/month\n",
        "TOTAL",
        dollars(estimate.total_monthly)
    ));
    if !estimate.free.is_empty() {
        out.push_str("\nFree:\n");
        for item in &estimate.free {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                item.resource, item.provider, item.note
            ));
        }
    }
    section(&mut out, "Assumptions", &estimate.assumptions);
    section(&mut out, "Warnings", &estimate.warnings);
    out
}

pub(super) fn section(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("\n{title}:\n"));
    for item in items {
        out.push_str(&format!("  - {item}\n"));
    }
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Resources in the plan to estimate.
    #[arg(long, default_value_t = 1000)]
    pub resources: usize,
    /// Timed runs.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
}

/// Times `estimate` on a large plan made by the planner (web servers, databases, caches, load balancers,
/// volumes and buckets on both providers, with usage so every code path runs). Prints JSON.
pub fn bench(args: &BenchArgs) -> Result<(), CliError> {
    let plan = large_plan(args.resources)?;
    let prices = prices()?;
    let usage = Usage::from_input(
        Some(&UsageInput {
            profile: Some(UsageProfile::Medium),
            backups: Some(Backups::Daily),
            ..Default::default()
        }),
        "usage",
    )
    .map_err(|e| CliError::Failed(e.to_string()))?;
    let today = today();
    let run = || {
        pricing::estimate(&plan, &prices, &usage, today)
            .map_err(|e| CliError::Failed(e.to_string()))
    };
    let first = run()?;
    for _ in 0..args.iterations.min(10) {
        run()?;
    }
    let mut times = Vec::with_capacity(args.iterations);
    for _ in 0..args.iterations.max(1) {
        let started = Instant::now();
        let estimate = run()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(estimate);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    print_json(&serde_json::json!({
        "resources": plan.resources.len(),
        "lines": first.lines.len(),
        "total_monthly": first.total_monthly,
        "iterations": times.len(),
        "ms": {"min": at(0.0), "median": at(0.5), "p95": at(0.95), "max": at(1.0)},
    }))
}

/// A plan with at least `resources` resources, built from requirements the planner accepts.
pub(super) fn large_plan(resources: usize) -> Result<Plan, CliError> {
    let mut components = Vec::new();
    let mut planned = 0;
    let mut i = 0;
    while planned < resources && components.len() + 6 <= 100 {
        let provider = Provider::ALL[i % 2];
        // Each round in a region of its own: rift plans one load balancer per provider and region.
        let regions: Vec<&str> = crate::mapping::offering(provider)
            .regions
            .iter()
            .filter(|r| r.object_storage)
            .map(|r| r.slug)
            .collect();
        let region = regions.get((i / 2) % regions.len().max(1)).copied();
        let component = |name: String, kind: ResourceKind, provider: Provider| Component {
            provider: Some(provider),
            region: region.map(str::to_string),
            ..Component::new(name, kind)
        };
        components.push(Component {
            count: Some(50),
            vcpus: Some(2),
            memory_gb: Some(4.0),
            // Some private AWS servers (behind NAT); droplets stay public, or the other cloud's databases could
            // not admit them.
            public: Some(provider == Provider::Digitalocean || i % 3 != 0),
            ..component(format!("web{i}"), ResourceKind::WebServer, provider)
        });
        components.push(Component {
            engine: Some(Engine::Postgres),
            vcpus: Some(2),
            memory_gb: Some(4.0),
            high_availability: Some(true),
            ..component(format!("db{i}"), ResourceKind::Database, provider)
        });
        components.push(Component {
            engine: Some(Engine::Valkey),
            ..component(format!("cache{i}"), ResourceKind::Cache, provider)
        });
        components.push(component(
            format!("lb{i}"),
            ResourceKind::LoadBalancer,
            provider,
        ));
        components.push(Component {
            storage_gb: Some(100),
            count: Some(10),
            ..component(format!("vol{i}"), ResourceKind::BlockStorage, provider)
        });
        components.push(component(
            format!("files{i}"),
            ResourceKind::ObjectStorage,
            provider,
        ));
        planned += 50 + 1 + 1 + 1 + 10 + 1;
        i += 1;
    }
    let request = DeploymentRequest {
        name: Some("bench".to_string()),
        provider: None,
        regions: Default::default(),
        components,
    };
    let mut plan = planner::plan(&request).map_err(|e| CliError::Failed(e.to_string()))?;
    plan.resources.truncate(resources.max(1));
    Ok(plan)
}
