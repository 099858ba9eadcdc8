//! A plan's monthly cost, line by line: every figure is a catalog price times a quantity (times 730 hours for
//! AWS's hourly prices), rounded to the cent once per line, so the totals add up to exactly what the lines show.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use super::PricingError;
use super::catalog::{AWS_HOME_REGION, PriceEntry, Prices, Unit};
use super::usage::{Backups, Usage, UsageEcho};
use crate::mapping;
use crate::model::{
    Engine, ListenerRule, Micros, Plan, PlannedResource, Provider, Qty, ResourceKind, ResourceSpec,
};

/// AWS's (and Infracost's) hours in a month.
pub const AWS_HOURS_PER_MONTH: i64 = 730;
/// DigitalOcean's monthly cap: a resource billed hourly never costs more than its monthly price.
pub const DO_HOURS_PER_MONTH: i64 = 672;
/// A price not confirmed for this long gets a warning.
pub const STALE_AFTER_DAYS: i64 = 180;
/// The line items' resource and component for deployment-wide data transfer.
pub const TRANSFER: &str = "(data transfer)";

/// Why a line exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineCategory {
    /// The resource itself.
    Resource,
    /// A cost a console user easily misses: public IPv4, NAT, storage, standbys, Multi-AZ, backups.
    Hidden,
    /// Computed from the usage given.
    Usage,
}

/// One priced line: unit_price × quantity (× hours) = monthly.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct LineItem {
    pub resource: String,
    pub component: String,
    pub provider: Provider,
    pub region: String,
    pub category: LineCategory,
    pub description: String,
    /// What unit_price is per: hour, month, GB-month, GB, LCU-hour.
    pub unit: String,
    pub unit_price: f64,
    pub quantity: f64,
    /// Hours per month an hourly price is multiplied by (AWS: 730).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    pub monthly: f64,
    pub hourly: f64,
    /// The catalog entry the price comes from.
    pub catalog_key: String,
    pub source: String,
    pub as_of: String,
    pub verified: bool,
}

/// A resource that costs nothing, and why.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FreeItem {
    pub resource: String,
    pub component: String,
    pub provider: Provider,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ComponentTotal {
    pub component: String,
    pub provider: Provider,
    pub monthly: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ProviderTotal {
    pub provider: Provider,
    pub monthly: f64,
    pub hourly: f64,
}

/// Which prices were used.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CatalogInfo {
    /// Date of the embedded catalog.
    pub as_of: String,
    /// Date of the live refresh whose prices take precedence, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshed: Option<String>,
}

/// A plan's cost.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Estimate {
    pub plan_id: String,
    pub currency: String,
    pub catalog: CatalogInfo,
    pub lines: Vec<LineItem>,
    pub free: Vec<FreeItem>,
    /// Monthly cost per component ("(derived)" for networks and firewalls rift added).
    pub components: Vec<ComponentTotal>,
    pub totals: Vec<ProviderTotal>,
    pub total_monthly: f64,
    pub total_hourly: f64,
    pub usage: UsageEcho,
    pub assumptions: Vec<String>,
    pub warnings: Vec<String>,
}

impl Estimate {
    /// The monthly total of one provider's lines (0 when it has none).
    pub fn provider_monthly(&self, provider: Provider) -> f64 {
        self.totals
            .iter()
            .find(|t| t.provider == provider)
            .map_or(0.0, |t| t.monthly)
    }
}

/// A line before it is shaped for output; the amounts stay integers until then.
struct Line {
    item: LineItem,
    monthly: Micros,
    hourly: Micros,
}

struct Priced<'a> {
    key: String,
    entry: &'a PriceEntry,
}

/// Who pays a line.
#[derive(Clone)]
struct Owner {
    resource: String,
    component: String,
    provider: Provider,
    region: String,
}

impl Owner {
    fn of(r: &PlannedResource) -> Owner {
        Owner {
            resource: r.name.clone(),
            component: r.component.clone(),
            provider: r.provider,
            region: r.region.clone(),
        }
    }
}

struct Ctx<'a> {
    prices: &'a Prices,
    usage: &'a Usage,
    today: NaiveDate,
    lines: Vec<Line>,
    free: Vec<FreeItem>,
    assumptions: Vec<String>,
    unverified: BTreeSet<String>,
    stale: BTreeMap<String, NaiveDate>,
    stand_in_regions: BTreeSet<String>,
    /// Outbound GB per month charged against DigitalOcean's pooled droplet allowance, and that allowance.
    do_egress: Qty,
    do_allowance: Qty,
    /// Cross-cloud GB sent by DigitalOcean resources (after do_egress in the pool).
    do_cross: Vec<(Owner, Qty)>,
    spaces_buckets: u32,
    spaces_stored: Qty,
    spaces_egress: Qty,
    /// AWS internet egress per region, in plan order, and cross-cloud traffic sent from AWS.
    aws_egress: Vec<(String, Qty)>,
    aws_cross: Vec<(Owner, Qty)>,
}

/// Prices a plan. `today` decides which prices count as stale.
pub fn estimate(
    plan: &Plan,
    prices: &Prices,
    usage: &Usage,
    today: NaiveDate,
) -> Result<Estimate, PricingError> {
    let mut ctx = Ctx {
        prices,
        usage,
        today,
        lines: Vec::with_capacity(plan.resources.len() * 2),
        free: Vec::new(),
        assumptions: Vec::new(),
        unverified: BTreeSet::new(),
        stale: BTreeMap::new(),
        stand_in_regions: BTreeSet::new(),
        do_egress: Qty::ZERO,
        do_allowance: Qty::ZERO,
        do_cross: Vec::new(),
        spaces_buckets: 0,
        spaces_stored: Qty::ZERO,
        spaces_egress: Qty::ZERO,
        aws_egress: Vec::new(),
        aws_cross: Vec::new(),
    };
    let shares = Shares::of(plan, usage);
    for r in &plan.resources {
        mapping::region(r.provider, &r.region).map_err(|e| PricingError::UnpricedRegion {
            resource: r.name.clone(),
            message: e.to_string(),
        })?;
        match r.provider {
            Provider::Digitalocean => ctx.digitalocean(r, &shares)?,
            Provider::Aws => ctx.aws(r, &shares)?,
        }
    }
    ctx.transfer()?;
    Ok(ctx.finish(plan))
}

/// How the deployment-wide usage numbers are split among resources.
struct Shares {
    web_servers: u64,
    buckets: u64,
    no_storage_buckets: u64,
    /// Databases and caches serving web servers in another cloud.
    cross_cloud: HashMap<String, Provider>,
    transfer_out: Qty,
}

impl Shares {
    fn of(plan: &Plan, usage: &Usage) -> Shares {
        let provider_of: HashMap<&str, Provider> = plan
            .resources
            .iter()
            .map(|r| (r.name.as_str(), r.provider))
            .collect();
        let mut cross_cloud = HashMap::new();
        let mut web_servers = 0;
        let mut buckets = 0;
        let mut no_storage_buckets = 0;
        for r in &plan.resources {
            match &r.spec {
                ResourceSpec::WebServer { .. } => web_servers += 1,
                ResourceSpec::ObjectStorage {
                    expected_storage_gb,
                    ..
                } => {
                    buckets += 1;
                    if *expected_storage_gb == 0 {
                        no_storage_buckets += 1;
                    }
                }
                ResourceSpec::Database { allowed_from, .. }
                | ResourceSpec::Cache { allowed_from, .. } => {
                    let remote = allowed_from.iter().find_map(|client| {
                        provider_of
                            .get(client.as_str())
                            .copied()
                            .filter(|p| *p != r.provider)
                    });
                    if let Some(remote) = remote {
                        cross_cloud.insert(r.name.clone(), remote);
                    }
                }
                _ => {}
            }
        }
        Shares {
            web_servers,
            buckets,
            no_storage_buckets,
            cross_cloud,
            transfer_out: usage.transfer_out_gb,
        }
    }

    /// One web server's share of the internet egress (or one bucket's, when there are no web servers).
    fn egress_of(&self, kind: ResourceKind) -> Qty {
        match kind {
            ResourceKind::WebServer => self.transfer_out.share(1, self.web_servers),
            ResourceKind::ObjectStorage if self.web_servers == 0 => {
                self.transfer_out.share(1, self.buckets)
            }
            _ => Qty::ZERO,
        }
    }

    fn cross_cloud_of(&self, resource: &str, usage: &Usage) -> Option<(Provider, Qty)> {
        let remote = self.cross_cloud.get(resource)?;
        Some((
            *remote,
            usage.cross_cloud_gb.share(1, self.cross_cloud.len() as u64),
        ))
    }
}

fn hours_per_month(provider: Provider) -> i64 {
    match provider {
        Provider::Aws => AWS_HOURS_PER_MONTH,
        Provider::Digitalocean => DO_HOURS_PER_MONTH,
    }
}

fn gb(n: u32) -> Qty {
    Qty::whole(u64::from(n))
}

fn fmt_qty(q: Qty) -> String {
    let v = q.as_f64();
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn size_of(r: &PlannedResource) -> Result<&str, PricingError> {
    r.size.as_deref().ok_or_else(|| PricingError::Unpriced {
        resource: r.name.clone(),
        message: format!("a {} needs a size to be priced", r.kind),
    })
}

impl<'a> Ctx<'a> {
    fn price(&mut self, key: String) -> Result<Priced<'a>, PricingError> {
        let prices: &'a Prices = self.prices;
        match prices.entry(&key) {
            Some(entry) => Ok(Priced { key, entry }),
            None => Err(PricingError::Unpriced {
                resource: key.clone(),
                message: format!("the catalog has no price \"{key}\""),
            }),
        }
    }

    /// An AWS price in `region`, or us-east-1's as a stand-in (with a warning) when the region has none.
    fn aws_price(&mut self, region: &str, rest: &str) -> Result<Priced<'a>, PricingError> {
        let key = format!("aws/{region}/{rest}");
        let prices: &'a Prices = self.prices;
        if let Some(entry) = prices.entry(&key) {
            return Ok(Priced { key, entry });
        }
        let home = format!("aws/{AWS_HOME_REGION}/{rest}");
        match prices.entry(&home) {
            Some(entry) => {
                self.stand_in_regions.insert(region.to_string());
                Ok(Priced { key: home, entry })
            }
            None => Err(PricingError::Unpriced {
                resource: key.clone(),
                message: format!("the catalog has no price \"{key}\" (nor for {AWS_HOME_REGION})"),
            }),
        }
    }

    fn note_price(&mut self, priced: &Priced<'_>) {
        if !priced.entry.verified {
            self.unverified.insert(priced.key.clone());
        }
        if (self.today - priced.entry.as_of).num_days() > STALE_AFTER_DAYS {
            self.stale.insert(priced.key.clone(), priced.entry.as_of);
        }
    }

    /// Adds `quantity` of a price. Hourly prices are AWS's and are multiplied by AWS's 730-hour month;
    /// DigitalOcean is priced by its monthly list prices, so an hourly DigitalOcean price is an error rather
    /// than something to multiply by an AWS month.
    /// Adds a line priced by the AWS catalog entry `rest` in `region` (see [`Self::aws_price`]).
    fn add_aws(
        &mut self,
        owner: &Owner,
        region: &str,
        rest: &str,
        category: LineCategory,
        description: String,
        quantity: Qty,
    ) -> Result<(), PricingError> {
        let priced = self.aws_price(region, rest)?;
        self.add(owner, category, description, &priced, quantity)
    }

    fn add(
        &mut self,
        owner: &Owner,
        category: LineCategory,
        description: String,
        priced: &Priced<'_>,
        quantity: Qty,
    ) -> Result<(), PricingError> {
        let entry = priced.entry;
        let (monthly, hourly, hours) = match (entry.unit.is_hourly(), owner.provider) {
            (true, Provider::Aws) => (
                entry.price.times(quantity, AWS_HOURS_PER_MONTH, 1),
                entry.price.times(quantity, 1, 1),
                Some(AWS_HOURS_PER_MONTH as u32),
            ),
            (true, Provider::Digitalocean) => {
                return Err(PricingError::Unpriced {
                    resource: owner.resource.clone(),
                    message: format!(
                        "the price \"{}\" is per {}, but DigitalOcean is priced by its monthly list prices; give it a monthly price",
                        priced.key,
                        entry.unit.as_str()
                    ),
                });
            }
            (false, provider) => (
                entry.price.times(quantity, 1, 1),
                entry.price.times(quantity, 1, hours_per_month(provider)),
                None,
            ),
        };
        self.push(
            owner,
            category,
            description,
            priced,
            entry.price,
            entry.unit,
            quantity,
            hours,
            monthly,
            hourly,
        );
        Ok(())
    }

    /// Adds a line whose unit price is a percentage of another monthly price (droplet backups).
    fn add_percent_of(
        &mut self,
        owner: &Owner,
        description: String,
        priced: &Priced<'_>,
        base: Micros,
    ) {
        let unit_price = base.percent(priced.entry.price);
        let hourly = unit_price.times(Qty::whole(1), 1, hours_per_month(owner.provider));
        self.push(
            owner,
            LineCategory::Hidden,
            description,
            priced,
            unit_price,
            Unit::Month,
            Qty::whole(1),
            None,
            unit_price,
            hourly,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        owner: &Owner,
        category: LineCategory,
        description: String,
        priced: &Priced<'_>,
        unit_price: Micros,
        unit: Unit,
        quantity: Qty,
        hours: Option<u32>,
        monthly: Micros,
        hourly: Micros,
    ) {
        self.note_price(priced);
        let monthly = monthly.round_to_cents();
        self.lines.push(Line {
            item: LineItem {
                resource: owner.resource.clone(),
                component: owner.component.clone(),
                provider: owner.provider,
                region: owner.region.clone(),
                category,
                description,
                unit: unit.as_str().to_string(),
                unit_price: unit_price.dollars(),
                quantity: quantity.as_f64(),
                hours,
                monthly: monthly.dollars(),
                hourly: hourly.dollars(),
                catalog_key: priced.key.clone(),
                source: priced.entry.source.clone(),
                as_of: priced.entry.as_of.to_string(),
                verified: priced.entry.verified,
            },
            monthly,
            hourly,
        });
    }

    fn free(&mut self, r: &PlannedResource, note: &str) {
        self.free.push(FreeItem {
            resource: r.name.clone(),
            component: r.component.clone(),
            provider: r.provider,
            note: note.to_string(),
        });
    }

    fn digitalocean(&mut self, r: &PlannedResource, shares: &Shares) -> Result<(), PricingError> {
        let owner = Owner::of(r);
        match &r.spec {
            ResourceSpec::WebServer { .. } => {
                let size = size_of(r)?;
                let droplet = self.price(format!("digitalocean/droplet/{size}"))?;
                let allowance = droplet
                    .entry
                    .attribute("included_transfer_gb")
                    .unwrap_or(0.0);
                self.do_allowance += Qty::from_f64(allowance).unwrap_or(Qty::ZERO);
                self.add(
                    &owner,
                    LineCategory::Resource,
                    format!(
                        "Droplet {size} (public IPv4 and {allowance:.0} GB/month transfer included)"
                    ),
                    &droplet,
                    Qty::whole(1),
                )?;
                let base = droplet.entry.price;
                if let Some(plan) = backup_plan(self.usage.backups) {
                    let backup = self.price(format!("digitalocean/droplet-backup/{plan}"))?;
                    let pct = backup.entry.price.dollars();
                    self.add_percent_of(
                        &owner,
                        format!("{plan} droplet backups ({pct}% of the droplet price)"),
                        &backup,
                        base,
                    );
                }
                self.do_egress += shares.egress_of(ResourceKind::WebServer);
            }
            ResourceSpec::Database {
                engine,
                storage_gb,
                nodes,
                ..
            } => {
                let size = size_of(r)?;
                self.do_cluster(&owner, size, *engine, *nodes)?;
                let included = mapping::find_size(r.provider, r.kind, size)
                    .map(|s| s.disk_gb)
                    .unwrap_or(0);
                let extra = storage_gb.saturating_sub(included);
                if extra > 0 {
                    let storage = self.price("digitalocean/database-storage".to_string())?;
                    self.add(
                        &owner,
                        LineCategory::Hidden,
                        format!(
                            "storage above the {included} GB included: {extra} GB on each of {nodes} node(s)"
                        ),
                        &storage,
                        Qty::whole(u64::from(extra) * u64::from(*nodes)),
                    )?;
                }
                self.do_cross_cloud(r, &owner, shares);
            }
            ResourceSpec::Cache { engine, nodes, .. } => {
                let size = size_of(r)?;
                self.do_cluster(&owner, size, *engine, *nodes)?;
                self.do_cross_cloud(r, &owner, shares);
            }
            ResourceSpec::LoadBalancer { nodes, .. } => {
                let node = self.price("digitalocean/load-balancer/node".to_string())?;
                self.add(
                    &owner,
                    LineCategory::Resource,
                    format!("regional load balancer, {nodes} node(s)"),
                    &node,
                    Qty::whole(u64::from(*nodes)),
                )?;
            }
            ResourceSpec::BlockStorage { size_gb, .. } => {
                let volume = self.price("digitalocean/volume".to_string())?;
                self.add(
                    &owner,
                    LineCategory::Resource,
                    format!("block storage volume, {size_gb} GB"),
                    &volume,
                    gb(*size_gb),
                )?;
                if backup_plan(self.usage.backups).is_some() {
                    let snapshot = self.price("digitalocean/snapshot".to_string())?;
                    self.add(
                        &owner,
                        LineCategory::Hidden,
                        format!(
                            "volume snapshots for backups (one full copy of {size_gb} GB assumed)"
                        ),
                        &snapshot,
                        gb(*size_gb),
                    )?;
                }
            }
            ResourceSpec::ObjectStorage {
                expected_storage_gb,
                ..
            } => {
                self.spaces_buckets += 1;
                if self.spaces_buckets == 1 {
                    let sub = self.price("digitalocean/spaces/subscription".to_string())?;
                    self.add(
                        &owner,
                        LineCategory::Resource,
                        "Spaces subscription (one per account, covers every bucket: 250 GB stored and 1 TB outbound included)".to_string(),
                        &sub,
                        Qty::whole(1),
                    )?;
                } else {
                    self.free(r, "covered by the account's Spaces subscription");
                }
                self.spaces_stored += bucket_storage(*expected_storage_gb, shares, self.usage);
                self.spaces_egress += shares.egress_of(ResourceKind::ObjectStorage);
            }
            ResourceSpec::Network { .. } => self.free(r, "VPC networks are free on DigitalOcean"),
            ResourceSpec::Firewall { .. } => {
                self.free(r, "cloud firewalls are free on DigitalOcean")
            }
        }
        Ok(())
    }

    /// A managed database or caching cluster: the primary node, then each standby node.
    fn do_cluster(
        &mut self,
        owner: &Owner,
        size: &str,
        engine: Engine,
        nodes: u32,
    ) -> Result<(), PricingError> {
        let primary = self.price(format!("digitalocean/database/{size}"))?;
        self.add(
            owner,
            LineCategory::Resource,
            format!("managed {engine} {size}, primary node (daily backups included)"),
            &primary,
            Qty::whole(1),
        )?;
        if nodes > 1 {
            let standby = self.price(format!("digitalocean/database-standby/{size}"))?;
            self.add(
                owner,
                LineCategory::Hidden,
                format!("{} standby node(s) for high availability", nodes - 1),
                &standby,
                Qty::whole(u64::from(nodes - 1)),
            )?;
        }
        Ok(())
    }

    fn do_cross_cloud(&mut self, r: &PlannedResource, owner: &Owner, shares: &Shares) {
        if let Some((_, qty)) = shares.cross_cloud_of(&r.name, self.usage) {
            self.do_cross.push((owner.clone(), qty));
        }
    }

    fn aws(&mut self, r: &PlannedResource, shares: &Shares) -> Result<(), PricingError> {
        let owner = Owner::of(r);
        let region = r.region.as_str();
        match &r.spec {
            ResourceSpec::WebServer {
                disk_gb, public, ..
            } => {
                let size = size_of(r)?;
                self.add_aws(
                    &owner,
                    region,
                    &format!("ec2/{size}"),
                    LineCategory::Resource,
                    format!("EC2 {size} (Linux, on-demand)"),
                    Qty::whole(1),
                )?;
                self.add_aws(
                    &owner,
                    region,
                    "ebs/gp3",
                    LineCategory::Hidden,
                    format!("EBS gp3 root volume, {disk_gb} GB"),
                    gb(*disk_gb),
                )?;
                if *public {
                    self.add_aws(
                        &owner,
                        region,
                        "ipv4/hour",
                        LineCategory::Hidden,
                        "public IPv4 address (billed hourly since 2024-02-01, also while in use)"
                            .to_string(),
                        Qty::whole(1),
                    )?;
                }
                if backup_plan(self.usage.backups).is_some() {
                    self.add_aws(
                        &owner,
                        region,
                        "ebs/snapshot",
                        LineCategory::Hidden,
                        format!(
                            "EBS snapshots for backups (one full copy of {disk_gb} GB assumed)"
                        ),
                        gb(*disk_gb),
                    )?;
                }
                self.aws_egress(region, shares.egress_of(ResourceKind::WebServer));
            }
            ResourceSpec::Database {
                engine,
                storage_gb,
                nodes,
                public,
                ..
            } => {
                let size = size_of(r)?;
                self.add_aws(
                    &owner,
                    region,
                    &format!("rds/{engine}/{size}"),
                    LineCategory::Resource,
                    if *nodes >= 2 {
                        format!("RDS {engine} {size}, Multi-AZ primary instance")
                    } else {
                        format!("RDS {engine} {size}, Single-AZ instance")
                    },
                    Qty::whole(1),
                )?;
                self.add_aws(
                    &owner,
                    region,
                    "rds/storage/gp3",
                    LineCategory::Hidden,
                    format!("RDS gp3 storage, {storage_gb} GB"),
                    gb(*storage_gb),
                )?;
                // rift has RDS manage the master password, which lives in Secrets Manager.
                self.add_aws(
                    &owner,
                    region,
                    "secretsmanager/secret",
                    LineCategory::Hidden,
                    "master password kept by RDS in Secrets Manager (one secret)".to_string(),
                    Qty::whole(1),
                )?;
                if *nodes >= 2 {
                    self.add_aws(
                        &owner,
                        region,
                        &format!("rds/{engine}/{size}"),
                        LineCategory::Hidden,
                        "Multi-AZ standby instance (Multi-AZ bills the instance twice)".to_string(),
                        Qty::whole(1),
                    )?;
                    self.add_aws(
                        &owner,
                        region,
                        "rds/storage/gp3",
                        LineCategory::Hidden,
                        format!("Multi-AZ standby storage, {storage_gb} GB (billed twice)"),
                        gb(*storage_gb),
                    )?;
                }
                if *public {
                    self.add_aws(
                        &owner,
                        region,
                        "ipv4/hour",
                        LineCategory::Hidden,
                        "public IPv4 address (publicly accessible for the other cloud's servers)"
                            .to_string(),
                        Qty::whole(1),
                    )?;
                }
                self.aws_cross_cloud(r, &owner, shares);
            }
            ResourceSpec::Cache { engine, nodes, .. } => {
                let size = size_of(r)?;
                self.add_aws(
                    &owner,
                    region,
                    &format!("elasticache/{engine}/{size}"),
                    LineCategory::Resource,
                    format!("ElastiCache {engine} {size}, {nodes} node(s)"),
                    Qty::whole(u64::from(*nodes)),
                )?;
                self.aws_cross_cloud(r, &owner, shares);
            }
            ResourceSpec::LoadBalancer { listeners, .. } => {
                // TCP listeners make it a network load balancer (the planner's choice for 443), priced by NLCU.
                let (key, name, capacity, unit) = if ListenerRule::network_load_balancer(listeners)
                {
                    ("nlb", "Network Load Balancer", "nlb/nlcu", "NLCUs")
                } else {
                    ("alb", "Application Load Balancer", "alb/lcu", "LCUs")
                };
                self.add_aws(
                    &owner,
                    region,
                    &format!("{key}/hour"),
                    LineCategory::Resource,
                    name.to_string(),
                    Qty::whole(1),
                )?;
                self.add_aws(
                    &owner,
                    region,
                    "ipv4/hour",
                    LineCategory::Hidden,
                    "public IPv4 addresses, one per availability zone (2)".to_string(),
                    Qty::whole(2),
                )?;
                if self.usage.given {
                    let qty = self.usage.lcu;
                    self.add_aws(
                        &owner,
                        region,
                        capacity,
                        LineCategory::Usage,
                        format!("{} {unit} on average", fmt_qty(qty)),
                        qty,
                    )?;
                }
            }
            ResourceSpec::BlockStorage {
                size_gb,
                volume_type,
                ..
            } => {
                self.add_aws(
                    &owner,
                    region,
                    &format!("ebs/{volume_type}"),
                    LineCategory::Resource,
                    format!("EBS {volume_type} volume, {size_gb} GB"),
                    gb(*size_gb),
                )?;
                if backup_plan(self.usage.backups).is_some() {
                    self.add_aws(
                        &owner,
                        region,
                        "ebs/snapshot",
                        LineCategory::Hidden,
                        format!(
                            "EBS snapshots for backups (one full copy of {size_gb} GB assumed)"
                        ),
                        gb(*size_gb),
                    )?;
                }
            }
            ResourceSpec::ObjectStorage {
                expected_storage_gb,
                ..
            } => {
                let stored = bucket_storage(*expected_storage_gb, shares, self.usage);
                if stored.is_zero() {
                    self.free(r, "S3 bills per GB stored and per request; no storage expected (give storage_gb or usage.stored_gb)");
                } else {
                    let category = if *expected_storage_gb > 0 {
                        LineCategory::Resource
                    } else {
                        LineCategory::Usage
                    };
                    self.add_aws(
                        &owner,
                        region,
                        "s3/standard",
                        category,
                        format!(
                            "S3 Standard storage, {} GB (requests not included)",
                            fmt_qty(stored)
                        ),
                        stored,
                    )?;
                }
                self.aws_egress(region, shares.egress_of(ResourceKind::ObjectStorage));
            }
            ResourceSpec::Network { nat_gateway, .. } => {
                self.free(
                    r,
                    "VPC, subnets, internet gateway and route tables are free on AWS",
                );
                if *nat_gateway {
                    self.add_aws(
                        &owner,
                        region,
                        "nat/hour",
                        LineCategory::Hidden,
                        "NAT gateway (egress for private subnets)".to_string(),
                        Qty::whole(1),
                    )?;
                    self.add_aws(
                        &owner,
                        region,
                        "ipv4/hour",
                        LineCategory::Hidden,
                        "NAT gateway's public IPv4 address".to_string(),
                        Qty::whole(1),
                    )?;
                    if self.usage.given {
                        let qty = self.usage.nat_processed_gb;
                        self.add_aws(
                            &owner,
                            region,
                            "nat/gb",
                            LineCategory::Usage,
                            format!("NAT gateway data processed, {} GB", fmt_qty(qty)),
                            qty,
                        )?;
                    }
                }
            }
            ResourceSpec::Firewall { .. } => self.free(r, "security groups are free on AWS"),
        }
        Ok(())
    }

    fn aws_egress(&mut self, region: &str, qty: Qty) {
        match self.aws_egress.iter_mut().find(|(r, _)| r == region) {
            Some((_, total)) => *total += qty,
            None => self.aws_egress.push((region.to_string(), qty)),
        }
    }

    fn aws_cross_cloud(&mut self, r: &PlannedResource, owner: &Owner, shares: &Shares) {
        if let Some((_, qty)) = shares.cross_cloud_of(&r.name, self.usage) {
            self.aws_egress(&r.region, Qty::ZERO);
            self.aws_cross.push((owner.clone(), qty));
        }
    }

    /// Data transfer: pooled allowances and tiers apply to the deployment as a whole, so it is priced last.
    fn transfer(&mut self) -> Result<(), PricingError> {
        if !self.usage.given {
            return Ok(());
        }
        self.do_transfer()?;
        self.spaces_overage()?;
        self.aws_transfer()
    }

    fn deployment_owner(provider: Provider, region: &str) -> Owner {
        Owner {
            resource: TRANSFER.to_string(),
            component: TRANSFER.to_string(),
            provider,
            region: region.to_string(),
        }
    }

    fn do_transfer(&mut self) -> Result<(), PricingError> {
        let cross: Qty = self.do_cross.iter().fold(Qty::ZERO, |a, (_, q)| a + *q);
        if self.do_egress.is_zero() && cross.is_zero() {
            return Ok(());
        }
        let allowance = self.do_allowance;
        let over_web = self.do_egress.saturating_sub(allowance);
        let left = allowance.saturating_sub(self.do_egress);
        self.assumptions.push(format!(
            "DigitalOcean: {} GB/month out from droplets and {} GB cross-cloud against a pooled droplet allowance of {} GB",
            fmt_qty(self.do_egress),
            fmt_qty(cross),
            fmt_qty(allowance)
        ));
        if !over_web.is_zero() {
            let price = self.price("digitalocean/transfer".to_string())?;
            let owner = Self::deployment_owner(Provider::Digitalocean, "all");
            self.add(
                &owner,
                LineCategory::Usage,
                format!(
                    "outbound transfer beyond the pooled allowance ({} GB)",
                    fmt_qty(over_web)
                ),
                &price,
                over_web,
            )?;
        }
        let mut left = left;
        for (owner, qty) in std::mem::take(&mut self.do_cross) {
            let billed = qty.saturating_sub(left);
            left = left.saturating_sub(qty);
            if billed.is_zero() {
                continue;
            }
            let price = self.price("digitalocean/transfer".to_string())?;
            self.add(
                &owner,
                LineCategory::Usage,
                format!(
                    "cross-cloud traffic to the web servers in the other cloud: {} GB beyond the allowance",
                    fmt_qty(billed)
                ),
                &price,
                billed,
            )?;
        }
        Ok(())
    }

    fn spaces_overage(&mut self) -> Result<(), PricingError> {
        if self.spaces_buckets == 0 {
            return Ok(());
        }
        let sub = self.price("digitalocean/spaces/subscription".to_string())?;
        let included_storage =
            Qty::from_f64(sub.entry.attribute("included_storage_gb").unwrap_or(0.0))
                .unwrap_or(Qty::ZERO);
        let included_transfer =
            Qty::from_f64(sub.entry.attribute("included_transfer_gb").unwrap_or(0.0))
                .unwrap_or(Qty::ZERO);
        let owner = Self::deployment_owner(Provider::Digitalocean, "all");
        let stored = self.spaces_stored.saturating_sub(included_storage);
        if !stored.is_zero() {
            let price = self.price("digitalocean/spaces/storage".to_string())?;
            self.add(
                &owner,
                LineCategory::Usage,
                format!(
                    "Spaces storage beyond the {} GB included ({} GB)",
                    fmt_qty(included_storage),
                    fmt_qty(stored)
                ),
                &price,
                stored,
            )?;
        }
        let out = self.spaces_egress.saturating_sub(included_transfer);
        if !out.is_zero() {
            let price = self.price("digitalocean/spaces/transfer".to_string())?;
            self.add(
                &owner,
                LineCategory::Usage,
                format!(
                    "Spaces outbound beyond the {} GB included ({} GB)",
                    fmt_qty(included_transfer),
                    fmt_qty(out)
                ),
                &price,
                out,
            )?;
        }
        Ok(())
    }

    /// AWS internet egress: the account's free 100 GB once, then the tiers, internet traffic first and
    /// cross-cloud traffic after it.
    fn aws_transfer(&mut self) -> Result<(), PricingError> {
        let pools = std::mem::take(&mut self.aws_egress);
        let cross = std::mem::take(&mut self.aws_cross);
        let mut free_left: Option<Qty> = None;
        for (region, internet) in pools {
            let senders: Vec<(Owner, Qty)> = cross
                .iter()
                .filter(|(o, _)| o.region == region)
                .cloned()
                .collect();
            let cross_total = senders.iter().fold(Qty::ZERO, |a, (_, q)| a + *q);
            if internet.is_zero() && cross_total.is_zero() {
                continue;
            }
            let tiers = self.aws_tiers(&region)?;
            let free = *free_left.get_or_insert(tiers.free);
            let used_free = (internet + cross_total).min(free);
            free_left = Some(free.saturating_sub(used_free));
            self.assumptions.push(format!(
                "AWS {region}: {} GB/month to the internet and {} GB cross-cloud; the first {} GB/month are free account-wide",
                fmt_qty(internet),
                fmt_qty(cross_total),
                fmt_qty(tiers.free)
            ));
            let deployment = Self::deployment_owner(Provider::Aws, &region);
            // Tiers are filled in order: free allowance first, then internet traffic, then each cross-cloud sender.
            let mut position = Qty::ZERO;
            let mut free_remaining = free;
            let mut senders_and_internet = vec![(deployment, internet, false)];
            senders_and_internet.extend(senders.into_iter().map(|(o, q)| (o, q, true)));
            for (owner, qty, is_cross) in senders_and_internet {
                let free_here = qty.min(free_remaining);
                free_remaining = free_remaining.saturating_sub(free_here);
                let mut billed = qty.saturating_sub(free_here);
                for tier in &tiers.tiers {
                    if billed.is_zero() {
                        break;
                    }
                    let room = match tier.up_to {
                        Some(limit) => limit.saturating_sub(position),
                        None => billed,
                    };
                    let here = billed.min(room);
                    if here.is_zero() {
                        continue;
                    }
                    position += here;
                    billed = billed.saturating_sub(here);
                    let what = if is_cross {
                        "cross-cloud traffic to the web servers in the other cloud"
                    } else {
                        "data transfer out to the internet"
                    };
                    let priced = Priced {
                        key: tier.key.clone(),
                        entry: tier.entry,
                    };
                    self.add(
                        &owner,
                        LineCategory::Usage,
                        format!("{what}, {} GB at the {} rate", fmt_qty(here), tier.label),
                        &priced,
                        here,
                    )?;
                }
            }
        }
        Ok(())
    }

    fn aws_tiers(&mut self, region: &str) -> Result<Tiers<'a>, PricingError> {
        let mut tiers = Vec::new();
        let mut free = Qty::ZERO;
        for n in 1.. {
            let rest = format!("transfer-out/tier-{n}");
            let exists = self
                .prices
                .entry(&format!("aws/{region}/{rest}"))
                .or_else(|| self.prices.entry(&format!("aws/{AWS_HOME_REGION}/{rest}")))
                .is_some();
            if !exists {
                break;
            }
            let priced = self.aws_price(region, &rest)?;
            if n == 1 {
                free = Qty::from_f64(priced.entry.attribute("free_gb").unwrap_or(0.0))
                    .unwrap_or(Qty::ZERO);
            }
            let up_to = priced
                .entry
                .attribute("up_to_gb")
                .and_then(Qty::from_f64)
                .map(|limit| limit.saturating_sub(free));
            let label = match priced.entry.attribute("up_to_gb") {
                Some(limit) => format!("tier {n} (up to {limit:.0} GB/month)"),
                None => format!("tier {n}"),
            };
            tiers.push(Tier {
                key: priced.key,
                entry: priced.entry,
                up_to,
                label,
            });
        }
        if tiers.is_empty() {
            return Err(PricingError::Unpriced {
                resource: TRANSFER.to_string(),
                message: format!("the catalog has no AWS data transfer prices for {region}"),
            });
        }
        Ok(Tiers { free, tiers })
    }

    fn finish(mut self, plan: &Plan) -> Estimate {
        let mut warnings = Vec::new();
        if !self.stand_in_regions.is_empty() {
            warnings.push(format!(
                "AWS prices for {} are not in the catalog: {AWS_HOME_REGION} prices are used as a stand-in (regional prices are often 5-30% higher); refresh_prices with those regions gives real ones",
                self.stand_in_regions.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !self.unverified.is_empty() {
            warnings.push(format!(
                "unverified prices (not confirmed by a primary source; refresh_prices confirms what the provider APIs publish): {}",
                self.unverified.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !self.stale.is_empty() {
            warnings.push(format!(
                "prices last confirmed more than {STALE_AFTER_DAYS} days ago: {}; refresh_prices updates them",
                self.stale
                    .iter()
                    .map(|(k, d)| format!("{k} ({d})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut assumptions = vec![
            format!(
                "AWS: hourly prices x {AWS_HOURS_PER_MONTH} hours/month, on-demand, Linux; DigitalOcean: monthly list prices (hourly = monthly / {DO_HOURS_PER_MONTH}, DigitalOcean's monthly cap)"
            ),
            "each line's monthly amount is rounded to the cent; totals add the rounded lines"
                .to_string(),
        ];
        if self.usage.given {
            if let Some(profile) = self.usage.profile {
                assumptions.push(format!(
                    "usage profile \"{}\": explicit numbers override its values (see usage)",
                    serde_json::to_value(profile)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ));
            }
        } else {
            assumptions.push("no usage given: data transfer, load balancer capacity units, NAT processing and stored data without a storage_gb are not priced; pass usage {\"profile\": \"small\"} or numbers to include them".to_string());
        }
        assumptions.append(&mut self.assumptions);

        let mut components: Vec<ComponentTotal> = Vec::new();
        let mut component_sums: Vec<(String, Provider, Micros)> = Vec::new();
        let mut totals: BTreeMap<Provider, (Micros, Micros)> = BTreeMap::new();
        for line in &self.lines {
            let slot = match component_sums
                .iter_mut()
                .find(|(c, p, _)| *c == line.item.component && *p == line.item.provider)
            {
                Some(slot) => slot,
                None => {
                    component_sums.push((
                        line.item.component.clone(),
                        line.item.provider,
                        Micros::ZERO,
                    ));
                    let last = component_sums.len() - 1;
                    &mut component_sums[last]
                }
            };
            slot.2 += line.monthly;
            let total = totals.entry(line.item.provider).or_default();
            total.0 += line.monthly;
            total.1 += line.hourly;
        }
        for (component, provider, monthly) in component_sums {
            components.push(ComponentTotal {
                component,
                provider,
                monthly: monthly.dollars(),
            });
        }
        let total_monthly: Micros = totals.values().map(|t| t.0).sum();
        let total_hourly: Micros = totals.values().map(|t| t.1).sum();
        Estimate {
            plan_id: plan.plan_id.clone(),
            currency: self.prices.catalog.currency.clone(),
            catalog: CatalogInfo {
                as_of: self.prices.catalog.as_of.to_string(),
                refreshed: self
                    .prices
                    .overlay
                    .as_ref()
                    .map(|o| o.refreshed.to_string()),
            },
            lines: self.lines.into_iter().map(|l| l.item).collect(),
            free: self.free,
            components,
            totals: totals
                .into_iter()
                .map(|(provider, (monthly, hourly))| ProviderTotal {
                    provider,
                    monthly: monthly.dollars(),
                    hourly: hourly.dollars(),
                })
                .collect(),
            total_monthly: total_monthly.dollars(),
            total_hourly: total_hourly.dollars(),
            usage: self.usage.echo(),
            assumptions,
            warnings,
        }
    }
}

struct Tier<'a> {
    key: String,
    entry: &'a PriceEntry,
    /// Upper bound of the tier in billed GB (after the free allowance); None for the last.
    up_to: Option<Qty>,
    label: String,
}

struct Tiers<'a> {
    free: Qty,
    tiers: Vec<Tier<'a>>,
}

fn backup_plan(backups: Backups) -> Option<&'static str> {
    match backups {
        Backups::None => None,
        Backups::Weekly => Some("weekly"),
        Backups::Daily => Some("daily"),
    }
}

/// A bucket's stored GB: what its component states, else its share of the usage figure.
fn bucket_storage(expected_gb: u32, shares: &Shares, usage: &Usage) -> Qty {
    if expected_gb > 0 {
        gb(expected_gb)
    } else {
        usage.stored_gb.share(1, shares.no_storage_buckets)
    }
}
