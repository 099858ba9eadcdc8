use chrono::NaiveDate;

use super::*;
use crate::mapping;
use crate::model::{Component, DeploymentRequest, Engine, Plan, Provider, ResourceKind};
use crate::planner;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
}

fn component(name: &str, kind: ResourceKind) -> Component {
    Component::new(name, kind)
}

/// The brief's example: a Node.js web app (2 vCPU / 4 GB) with managed PostgreSQL (2 vCPU / 4 GB).
fn brief(provider: Provider) -> DeploymentRequest {
    DeploymentRequest {
        name: Some("shop".into()),
        provider: Some(provider),
        regions: Default::default(),
        components: vec![
            Component {
                vcpus: Some(2),
                memory_gb: Some(4.0),
                ..component("web", ResourceKind::WebServer)
            },
            Component {
                engine: Some(Engine::Postgres),
                vcpus: Some(2),
                memory_gb: Some(4.0),
                ..component("db", ResourceKind::Database)
            },
        ],
    }
}

fn priced(request: &DeploymentRequest, usage: &Usage) -> (Plan, Estimate) {
    let plan = planner::plan(request).unwrap();
    let prices = Prices::embedded().unwrap();
    let est = estimate(&plan, &prices, usage, today()).unwrap();
    (plan, est)
}

fn line<'a>(est: &'a Estimate, key: &str) -> &'a LineItem {
    est.lines
        .iter()
        .find(|l| l.catalog_key == key)
        .unwrap_or_else(|| panic!("no line for {key}: {:#?}", est.lines))
}

fn lines_sum(est: &Estimate) -> i64 {
    est.lines
        .iter()
        .map(|l| Micros::from_dollars(l.monthly).unwrap().0)
        .sum()
}

#[test]
fn every_size_the_mapping_offers_has_a_price() {
    let prices = Prices::embedded().unwrap();
    let mut missing = Vec::new();
    for provider in Provider::ALL {
        let offer = mapping::offering(provider);
        for kind in [
            ResourceKind::WebServer,
            ResourceKind::Database,
            ResourceKind::Cache,
        ] {
            for size in mapping::sizes(provider, kind) {
                let keys: Vec<String> = match (provider, kind) {
                    (Provider::Digitalocean, ResourceKind::WebServer) => {
                        vec![format!("digitalocean/droplet/{}", size.slug)]
                    }
                    (Provider::Digitalocean, _) => vec![
                        format!("digitalocean/database/{}", size.slug),
                        format!("digitalocean/database-standby/{}", size.slug),
                    ],
                    (Provider::Aws, ResourceKind::WebServer) => {
                        vec![format!("aws/us-east-1/ec2/{}", size.slug)]
                    }
                    (Provider::Aws, _) => {
                        let service = if kind == ResourceKind::Database {
                            "rds"
                        } else {
                            "elasticache"
                        };
                        offer
                            .engines
                            .iter()
                            .filter(|e| e.kind == kind)
                            .map(|e| format!("aws/us-east-1/{service}/{}/{}", e.engine, size.slug))
                            .collect()
                    }
                };
                for key in keys {
                    if prices.entry(&key).is_none() {
                        missing.push(key);
                    }
                }
            }
        }
        let volume = offer.volume_type;
        let key = match provider {
            Provider::Aws => format!("aws/us-east-1/ebs/{volume}"),
            Provider::Digitalocean => "digitalocean/volume".to_string(),
        };
        if prices.entry(&key).is_none() {
            missing.push(key);
        }
    }
    assert!(missing.is_empty(), "sizes without a price: {missing:?}");
}

#[test]
fn every_price_in_the_catalog_is_above_zero() {
    let catalog = embedded().unwrap();
    for (key, entry) in &catalog.entries {
        assert!(entry.price.is_positive(), "{key} costs {:?}", entry.price);
    }
}

#[test]
fn brief_example_on_digitalocean_is_84_dollars() {
    let (_, est) = priced(&brief(Provider::Digitalocean), &Usage::default());
    let web = line(&est, "digitalocean/droplet/s-2vcpu-4gb");
    assert_eq!((web.monthly, web.component.as_str()), (24.0, "web"));
    let db = line(&est, "digitalocean/database/db-s-2vcpu-4gb");
    assert_eq!((db.monthly, db.component.as_str()), (60.0, "db"));
    assert_eq!(est.lines.len(), 2, "{:#?}", est.lines);
    assert_eq!(est.total_monthly, 84.0);
    assert_eq!(est.provider_monthly(Provider::Digitalocean), 84.0);
    // Hourly is the monthly price over DigitalOcean's 672-hour cap.
    assert_eq!(web.hourly, 0.035714);
    assert!(est.free.iter().any(|f| f.resource == "shop-do-vpc"));
}

#[test]
fn brief_example_on_aws_line_by_line() {
    let (_, est) = priced(&brief(Provider::Aws), &Usage::default());
    let ec2 = line(&est, "aws/us-east-1/ec2/t3.medium");
    assert_eq!(
        (ec2.unit_price, ec2.hours, ec2.monthly),
        (0.0416, Some(730), 30.37)
    );
    let rds = line(&est, "aws/us-east-1/rds/postgres/db.t3.medium");
    assert_eq!((rds.unit_price, rds.monthly), (0.072, 52.56));
    let storage = line(&est, "aws/us-east-1/rds/storage/gp3");
    assert_eq!((storage.quantity, storage.monthly), (20.0, 2.30));
    assert_eq!(storage.category, LineCategory::Hidden);
    let ipv4 = line(&est, "aws/us-east-1/ipv4/hour");
    assert_eq!((ipv4.quantity, ipv4.monthly), (1.0, 3.65));
    assert_eq!(ipv4.category, LineCategory::Hidden);
    // The instance's EBS root volume (20 GB gp3 by default) is billed too.
    let root = line(&est, "aws/us-east-1/ebs/gp3");
    assert_eq!((root.quantity, root.monthly), (20.0, 1.60));
    // RDS keeps the master password in Secrets Manager: one secret.
    let secret = line(&est, "aws/us-east-1/secretsmanager/secret");
    assert_eq!((secret.quantity, secret.monthly), (1.0, 0.40));
    assert_eq!(secret.category, LineCategory::Hidden);
    assert_eq!(est.lines.len(), 6, "{:#?}", est.lines);
    assert_eq!(est.total_monthly, 90.88);
    assert_eq!(
        Micros::from_dollars(est.total_monthly).unwrap().0,
        lines_sum(&est)
    );
}

#[test]
fn multi_az_doubles_the_instance_and_the_storage() {
    let mut request = brief(Provider::Aws);
    request.components[1].high_availability = Some(true);
    request.components[1].storage_gb = Some(100);
    let (_, est) = priced(&request, &Usage::default());
    let instance: Vec<&LineItem> = est
        .lines
        .iter()
        .filter(|l| l.catalog_key == "aws/us-east-1/rds/postgres/db.t3.medium")
        .collect();
    assert_eq!(instance.len(), 2);
    assert!(instance.iter().all(|l| l.monthly == 52.56));
    assert_eq!(
        instance[0].description,
        "RDS postgres db.t3.medium, Multi-AZ primary instance"
    );
    assert!(!instance.iter().any(|l| l.description.contains("Single-AZ")));
    let storage: Vec<&LineItem> = est
        .lines
        .iter()
        .filter(|l| l.catalog_key == "aws/us-east-1/rds/storage/gp3")
        .collect();
    assert_eq!(storage.len(), 2);
    assert!(storage.iter().all(|l| l.monthly == 11.50));
    let db_total = est
        .components
        .iter()
        .find(|c| c.component == "db")
        .unwrap()
        .monthly;
    assert_eq!(db_total, 128.52);
}

#[test]
fn digitalocean_standby_nodes_are_priced_like_the_primary_and_flagged() {
    let mut request = brief(Provider::Digitalocean);
    request.components[1].high_availability = Some(true);
    request.components[1].count = Some(3);
    let (_, est) = priced(&request, &Usage::default());
    let standby = line(&est, "digitalocean/database-standby/db-s-2vcpu-4gb");
    assert_eq!(
        (standby.quantity, standby.monthly, standby.verified),
        (2.0, 120.0, false)
    );
    assert!(
        est.warnings.iter().any(|w| w.contains("database-standby")),
        "{:?}",
        est.warnings
    );
}

#[test]
fn hidden_costs_of_a_load_balanced_aws_deployment() {
    let request = DeploymentRequest {
        components: vec![
            Component {
                count: Some(2),
                public: Some(false),
                ..component("web", ResourceKind::WebServer)
            },
            component("lb", ResourceKind::LoadBalancer),
        ],
        ..brief(Provider::Aws)
    };
    let usage = Usage::from_input(
        Some(&UsageInput {
            lcu: Some(2.0),
            nat_processed_gb: Some(100.0),
            ..Default::default()
        }),
        "usage",
    )
    .unwrap();
    let (_, est) = priced(&request, &usage);
    let lb_ipv4 = est
        .lines
        .iter()
        .find(|l| l.component == "lb" && l.catalog_key.ends_with("ipv4/hour"))
        .unwrap();
    assert_eq!((lb_ipv4.quantity, lb_ipv4.monthly), (2.0, 7.30));
    // The web servers serve 443, so the load balancer is an NLB (TCP listeners, TLS passed through): NLCUs.
    assert_eq!(line(&est, "aws/us-east-1/nlb/hour").monthly, 16.43);
    let nlcu = line(&est, "aws/us-east-1/nlb/nlcu");
    assert_eq!(
        (nlcu.quantity, nlcu.monthly, nlcu.category),
        (2.0, 8.76, LineCategory::Usage)
    );
    // Plain HTTP gets an ALB, priced by LCU.
    let http_only = DeploymentRequest {
        components: vec![
            Component {
                ports: Some(vec![80]),
                ..component("web", ResourceKind::WebServer)
            },
            component("lb", ResourceKind::LoadBalancer),
        ],
        ..brief(Provider::Aws)
    };
    let (_, alb) = priced(&http_only, &usage);
    assert_eq!(line(&alb, "aws/us-east-1/alb/hour").monthly, 16.43);
    let lcu = line(&alb, "aws/us-east-1/alb/lcu");
    assert_eq!((lcu.quantity, lcu.monthly), (2.0, 11.68));
    // Private web servers need a NAT gateway (and its address) to reach the internet.
    assert_eq!(line(&est, "aws/us-east-1/nat/hour").monthly, 32.85);
    assert_eq!(line(&est, "aws/us-east-1/nat/gb").monthly, 4.50);
    assert!(
        !est.lines
            .iter()
            .any(|l| l.component == "web" && l.catalog_key.ends_with("ipv4/hour")),
        "private servers have no public address"
    );
}

#[test]
fn usage_based_lines_echo_their_assumptions() {
    let usage = Usage::from_input(
        Some(&UsageInput {
            transfer_out_gb: Some(1100.0),
            ..Default::default()
        }),
        "usage",
    )
    .unwrap();
    let (_, est) = priced(&brief(Provider::Aws), &usage);
    let transfer = line(&est, "aws/us-east-1/transfer-out/tier-1");
    // The first 100 GB are free account-wide.
    assert_eq!((transfer.quantity, transfer.monthly), (1000.0, 90.0));
    assert_eq!(est.usage.transfer_out_gb, 1100.0);
    assert!(est.usage.given);
    assert!(
        est.assumptions.iter().any(|a| a.contains("first 100 GB")),
        "{:?}",
        est.assumptions
    );

    // On DigitalOcean the same traffic fits in the droplet's 4 TB allowance.
    let (_, est) = priced(&brief(Provider::Digitalocean), &usage);
    assert_eq!(est.total_monthly, 84.0);
    assert!(
        est.assumptions
            .iter()
            .any(|a| a.contains("pooled droplet allowance of 4000 GB"))
    );
}

#[test]
fn without_usage_the_estimate_says_what_it_left_out() {
    let (_, est) = priced(&brief(Provider::Aws), &Usage::default());
    assert!(!est.usage.given);
    assert!(
        est.assumptions
            .iter()
            .any(|a| a.starts_with("no usage given"))
    );
    assert!(est.lines.iter().all(|l| l.category != LineCategory::Usage));
}

#[test]
fn another_aws_region_uses_us_east_1_prices_with_a_warning() {
    let mut request = brief(Provider::Aws);
    request.regions.aws = Some("eu-west-1".into());
    let (_, est) = priced(&request, &Usage::default());
    assert_eq!(
        line(&est, "aws/us-east-1/ec2/t3.medium").region,
        "eu-west-1"
    );
    assert!(
        est.warnings
            .iter()
            .any(|w| w.contains("eu-west-1") && w.contains("stand-in")),
        "{:?}",
        est.warnings
    );
}

#[test]
fn an_unknown_region_in_a_plan_is_an_error_naming_the_valid_ones() {
    let mut plan = planner::plan(&brief(Provider::Aws)).unwrap();
    plan.resources[0].region = "mars-1".into();
    let prices = Prices::embedded().unwrap();
    let err = estimate(&plan, &prices, &Usage::default(), today())
        .unwrap_err()
        .to_string();
    assert!(err.contains("mars-1") && err.contains("us-east-1"), "{err}");
}

#[test]
fn an_unknown_size_in_a_plan_is_an_error() {
    let mut plan = planner::plan(&brief(Provider::Digitalocean)).unwrap();
    let web = plan
        .resources
        .iter_mut()
        .find(|r| r.component == "web")
        .unwrap();
    web.size = Some("s-64vcpu-1tb".into());
    let prices = Prices::embedded().unwrap();
    let err = estimate(&plan, &prices, &Usage::default(), today())
        .unwrap_err()
        .to_string();
    assert!(err.contains("digitalocean/droplet/s-64vcpu-1tb"), "{err}");
}

#[test]
fn prices_older_than_180_days_are_flagged() {
    let plan = planner::plan(&brief(Provider::Digitalocean)).unwrap();
    let prices = Prices::embedded().unwrap();
    let fresh = estimate(&plan, &prices, &Usage::default(), today()).unwrap();
    assert!(
        !fresh.warnings.iter().any(|w| w.contains("180 days")),
        "{:?}",
        fresh.warnings
    );
    let later = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
    let stale = estimate(&plan, &prices, &Usage::default(), later).unwrap();
    assert!(
        stale
            .warnings
            .iter()
            .any(|w| w.contains("180 days") && w.contains("digitalocean/droplet/s-2vcpu-4gb")),
        "{:?}",
        stale.warnings
    );
}

#[test]
fn unverified_prices_are_flagged() {
    let request = DeploymentRequest {
        components: vec![
            Component {
                count: Some(2),
                ..component("web", ResourceKind::WebServer)
            },
            component("lb", ResourceKind::LoadBalancer),
        ],
        ..brief(Provider::Digitalocean)
    };
    let (_, est) = priced(&request, &Usage::default());
    let lb = line(&est, "digitalocean/load-balancer/node");
    assert!(!lb.verified);
    assert!(
        est.warnings
            .iter()
            .any(|w| w.contains("unverified") && w.contains("load-balancer"))
    );
}

#[test]
fn backups_add_their_share_of_the_droplet_price() {
    let usage = Usage::from_input(
        Some(&UsageInput {
            backups: Some(Backups::Weekly),
            ..Default::default()
        }),
        "usage",
    )
    .unwrap();
    let (_, est) = priced(&brief(Provider::Digitalocean), &usage);
    let backup = line(&est, "digitalocean/droplet-backup/weekly");
    assert_eq!((backup.unit_price, backup.monthly), (4.80, 4.80));
    assert_eq!(est.total_monthly, 88.80);
}

#[test]
fn valkey_is_cheaper_than_redis_on_elasticache() {
    let prices = Prices::embedded().unwrap();
    for size in mapping::sizes(Provider::Aws, ResourceKind::Cache) {
        let valkey = prices
            .entry(&format!("aws/us-east-1/elasticache/valkey/{}", size.slug))
            .unwrap();
        let redis = prices
            .entry(&format!("aws/us-east-1/elasticache/redis/{}", size.slug))
            .unwrap();
        assert!(valkey.price < redis.price, "{}", size.slug);
    }
}

#[test]
fn compare_prices_the_brief_on_both_providers_and_finds_the_mix() {
    let mut request = brief(Provider::Aws);
    request.provider = None;
    request.components[0].provider = Some(Provider::Aws);
    let prices = Prices::embedded().unwrap();
    let (comparison, plans) = compare(&request, &prices, &Usage::default(), today()).unwrap();
    let side = |p: Provider| {
        comparison
            .providers
            .iter()
            .find(|s| s.provider == p)
            .unwrap()
    };
    assert_eq!(side(Provider::Digitalocean).total_monthly, Some(84.0));
    assert_eq!(side(Provider::Aws).total_monthly, Some(90.88));
    assert_eq!(comparison.cheapest_single, Some(Provider::Digitalocean));
    let web = comparison
        .components
        .iter()
        .find(|c| c.component == "web")
        .unwrap();
    assert_eq!(web.digitalocean.as_ref().unwrap().monthly, 24.0);
    assert_eq!(
        web.digitalocean.as_ref().unwrap().size.as_deref(),
        Some("s-2vcpu-4gb")
    );
    // t3.medium $30.37 + 20 GB gp3 root volume $1.60 + public IPv4 $3.65
    assert_eq!(web.aws.as_ref().unwrap().monthly, 35.62);
    assert_eq!(web.cheaper, Some(Provider::Digitalocean));
    let db = comparison
        .components
        .iter()
        .find(|c| c.component == "db")
        .unwrap();
    // db.t3.medium $52.56 + 20 GB storage $2.30
    assert_eq!(db.aws.as_ref().unwrap().monthly, 55.26);
    assert_eq!(db.cheaper, Some(Provider::Aws));
    // Web on DigitalOcean, database on AWS: RDS must then be reachable, which costs a public address.
    let mix = comparison.cheapest_mix.as_ref().unwrap();
    let provider_of = |c: &str| {
        mix.assignments
            .iter()
            .find(|a| a.component == c)
            .unwrap()
            .provider
    };
    assert_eq!(provider_of("web"), Provider::Digitalocean);
    assert_eq!(provider_of("db"), Provider::Aws);
    // $24 droplet + $52.56 RDS + $2.30 storage + $0.40 master password secret + $3.65 for the RDS public address
    assert_eq!(mix.total_monthly, 82.91);
    assert_eq!(mix.versus_cheapest_single, -1.09);
    assert!(
        mix.latency_caveat
            .as_deref()
            .unwrap_or("")
            .contains("round trip")
    );
    assert!(plans.iter().any(|p| p.plan_id == mix.plan_id));
    assert!(
        comparison.recommendation.contains("digitalocean"),
        "{}",
        comparison.recommendation
    );
}

#[test]
fn compare_prices_cross_cloud_traffic_from_usage() {
    let request = brief(Provider::Digitalocean);
    let usage = Usage::from_input(
        Some(&UsageInput {
            cross_cloud_gb: Some(300.0),
            ..Default::default()
        }),
        "usage",
    )
    .unwrap();
    let prices = Prices::embedded().unwrap();
    let (comparison, _) = compare(&request, &prices, &usage, today()).unwrap();
    let mix = comparison.cheapest_mix.unwrap();
    // The database on AWS sends 300 GB to the droplet: 100 GB free, 200 GB at $0.09.
    assert_eq!(mix.cross_cloud_monthly, 18.0);
    assert_eq!(mix.cross_cloud_lines.len(), 1);
    assert_eq!(mix.cross_cloud_lines[0].component, "db");
}

#[test]
fn compare_carries_sizes_and_node_counts_across_providers() {
    let request = DeploymentRequest {
        components: vec![
            Component {
                size: Some("s-4vcpu-8gb".into()),
                ..component("web", ResourceKind::WebServer)
            },
            Component {
                engine: Some(Engine::Mysql),
                version: Some("8".into()),
                count: Some(2),
                high_availability: Some(true),
                ..component("db", ResourceKind::Database)
            },
        ],
        ..brief(Provider::Digitalocean)
    };
    let prices = Prices::embedded().unwrap();
    let (comparison, _) = compare(&request, &prices, &Usage::default(), today()).unwrap();
    let web = comparison
        .components
        .iter()
        .find(|c| c.component == "web")
        .unwrap();
    assert_eq!(web.aws.as_ref().unwrap().size.as_deref(), Some("t3.xlarge"));
    let aws = comparison
        .providers
        .iter()
        .find(|s| s.provider == Provider::Aws)
        .unwrap();
    assert!(aws.error.is_none(), "{:?}", aws.error);
    assert!(
        aws.lines
            .iter()
            .any(|l| l.description.starts_with("Multi-AZ standby instance"))
    );
    assert!(
        comparison.notes.iter().any(|n| n.contains("Multi-AZ")),
        "{:?}",
        comparison.notes
    );
    assert!(
        comparison.notes.iter().any(|n| n.contains("mysql 8")),
        "{:?}",
        comparison.notes
    );
}

fn cache(name: &str) -> Component {
    Component {
        engine: Some(Engine::Valkey),
        ..component(name, ResourceKind::Cache)
    }
}

fn assigned_to(mix: &MixOption, component: &str) -> Provider {
    mix.assignments
        .iter()
        .find(|a| a.component == component)
        .unwrap_or_else(|| panic!("{component} is not in the mix: {:?}", mix.assignments))
        .provider
}

#[test]
fn the_planner_warns_that_a_cross_cloud_elasticache_needs_a_vpn() {
    // compare_providers rejects a mix by this warning; pin its wording.
    let mut request = brief(Provider::Digitalocean);
    request.components[1] = Component {
        provider: Some(Provider::Aws),
        ..cache("cache")
    };
    let plan = planner::plan(&request).unwrap();
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("cache:") && w.contains("VPN")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn the_mix_never_splits_a_cache_from_its_web_server() {
    let prices = Prices::embedded().unwrap();
    // ElastiCache is cheaper than a DigitalOcean caching cluster, the droplet cheaper than EC2.
    let mut request = brief(Provider::Digitalocean);
    request.components[1] = cache("cache");
    let (comparison, _) = compare(&request, &prices, &Usage::default(), today()).unwrap();
    let cache_row = comparison
        .components
        .iter()
        .find(|c| c.component == "cache")
        .unwrap();
    assert_eq!(cache_row.cheaper, Some(Provider::Aws));
    if let Some(mix) = &comparison.cheapest_mix {
        assert_eq!(
            assigned_to(mix, "web"),
            assigned_to(mix, "cache"),
            "{mix:?}"
        );
    }
    let all_warnings = |c: &Comparison| -> Vec<String> {
        c.providers
            .iter()
            .flat_map(|s| s.warnings.clone())
            .chain(c.cheapest_mix.iter().flat_map(|m| m.warnings.clone()))
            .collect()
    };
    assert!(
        !all_warnings(&comparison).iter().any(|w| w.contains("VPN")),
        "{:?}",
        all_warnings(&comparison)
    );

    // With a database as well, the database may move; the cache stays with the web server.
    let mut request = brief(Provider::Digitalocean);
    request.components.push(cache("cache"));
    let (comparison, plans) = compare(&request, &prices, &Usage::default(), today()).unwrap();
    let mix = comparison.cheapest_mix.as_ref().unwrap();
    assert_eq!(assigned_to(mix, "web"), Provider::Digitalocean);
    assert_eq!(assigned_to(mix, "cache"), Provider::Digitalocean);
    assert_eq!(assigned_to(mix, "db"), Provider::Aws);
    // The mix plan's warnings are the mix's, and only the mix's: a single-provider plan does not carry them.
    let mix_plan = plans.iter().find(|p| p.plan_id == mix.plan_id).unwrap();
    assert!(!mix_plan.warnings.is_empty());
    for warning in &mix_plan.warnings {
        assert!(
            mix.warnings.contains(warning),
            "{warning} missing from {:?}",
            mix.warnings
        );
    }
    let cross_cloud = |w: &String| w.starts_with("db: clients in another cloud");
    assert!(mix.warnings.iter().any(cross_cloud), "{:?}", mix.warnings);
    for side in &comparison.providers {
        assert!(
            !side.warnings.iter().any(cross_cloud),
            "{}: {:?}",
            side.provider,
            side.warnings
        );
        let side_plan = plans
            .iter()
            .find(|p| Some(&p.plan_id) == side.plan_id.as_ref())
            .unwrap();
        for warning in &side_plan.warnings {
            assert!(side.warnings.contains(warning), "{warning}");
        }
    }
    assert!(
        !all_warnings(&comparison).iter().any(|w| w.contains("VPN")),
        "{:?}",
        all_warnings(&comparison)
    );
}

#[test]
fn a_mix_whose_cache_would_need_a_vpn_gives_way_to_a_valid_one() {
    let prices = Prices::embedded().unwrap();
    // Two web servers whose cheaper providers differ: a tiny private EC2 instance beats any droplet that
    // has its two vCPUs, while an ordinary web server is cheaper as a droplet. Their cache then has clients in
    // both clouds; on ElastiCache (its cheaper provider) the droplet could not reach it without a VPN.
    let request = DeploymentRequest {
        name: Some("shop".into()),
        provider: None,
        regions: Default::default(),
        components: vec![
            Component {
                vcpus: Some(2),
                memory_gb: Some(4.0),
                ..component("web", ResourceKind::WebServer)
            },
            Component {
                size: Some("t3a.nano".into()),
                storage_gb: Some(8),
                public: Some(false),
                ..component("worker", ResourceKind::WebServer)
            },
            cache("cache"),
        ],
    };
    let (comparison, plans) = compare(&request, &prices, &Usage::default(), today()).unwrap();
    let row = |name: &str| {
        comparison
            .components
            .iter()
            .find(|c| c.component == name)
            .unwrap()
            .cheaper
    };
    assert_eq!(row("web"), Some(Provider::Digitalocean));
    assert_eq!(row("worker"), Some(Provider::Aws));
    assert_eq!(row("cache"), Some(Provider::Aws));
    let mix = comparison.cheapest_mix.as_ref().unwrap();
    assert_eq!(assigned_to(mix, "web"), Provider::Digitalocean);
    assert_eq!(assigned_to(mix, "worker"), Provider::Aws);
    assert_eq!(assigned_to(mix, "cache"), Provider::Digitalocean);
    let mix_plan = plans.iter().find(|p| p.plan_id == mix.plan_id).unwrap();
    assert!(!mix_plan.warnings.iter().any(|w| w.contains("VPN")));
    assert!(
        !mix.warnings.iter().any(|w| w.contains("VPN")),
        "{:?}",
        mix.warnings
    );
    assert!(
        comparison
            .notes
            .iter()
            .any(|n| n.contains("set aside") && n.contains("VPN")),
        "{:?}",
        comparison.notes
    );
    // The cache admits the EC2 instance through its firewall, and the comparison says so.
    assert!(
        mix.warnings
            .iter()
            .any(|w| w.starts_with("cache: clients in another cloud")),
        "{:?}",
        mix.warnings
    );
}

#[test]
fn without_usage_the_recommendation_does_not_claim_cross_cloud_costs_were_counted() {
    let prices = Prices::embedded().unwrap();
    let small_db = DeploymentRequest {
        components: vec![
            brief(Provider::Digitalocean).components[0].clone(),
            Component {
                engine: Some(Engine::Postgres),
                vcpus: Some(1),
                memory_gb: Some(2.0),
                ..component("db", ResourceKind::Database)
            },
        ],
        ..brief(Provider::Digitalocean)
    };
    // The brief's mix saves; with a 1 vCPU / 2 GB database ($28.58 on RDS, $30 on DigitalOcean), RDS's public
    // address costs more than the move saves.
    for (request, saves) in [(brief(Provider::Digitalocean), true), (small_db, false)] {
        let (comparison, _) = compare(&request, &prices, &Usage::default(), today()).unwrap();
        let text = &comparison.recommendation;
        let mix = comparison.cheapest_mix.as_ref().unwrap();
        assert_eq!(mix.versus_cheapest_single < 0.0, saves, "{text}");
        assert!(
            !text.contains("once cross-cloud costs are counted"),
            "{text}"
        );
        assert!(text.contains("cross-cloud traffic not priced"), "{text}");
        if !saves {
            assert!(text.contains("no less than digitalocean alone"), "{text}");
        }
    }
    // With usage, the cross-cloud traffic is priced and the recommendation may say so.
    let usage = Usage::from_input(
        Some(&UsageInput {
            cross_cloud_gb: Some(300.0),
            ..Default::default()
        }),
        "usage",
    )
    .unwrap();
    let (comparison, _) =
        compare(&brief(Provider::Digitalocean), &prices, &usage, today()).unwrap();
    let text = &comparison.recommendation;
    assert!(
        text.contains("once cross-cloud costs are counted"),
        "{text}"
    );
    assert!(!text.contains("not priced"), "{text}");
}

#[test]
fn an_hourly_digitalocean_price_is_an_error_not_a_730_hour_month() {
    let embedded = Prices::embedded().unwrap();
    let key = "digitalocean/droplet/s-2vcpu-4gb";
    let mut entry = embedded.entry(key).unwrap().clone();
    entry.unit = Unit::Hour;
    entry.price = Micros::from_dollars(0.03571).unwrap();
    let prices = Prices {
        catalog: embedded.catalog,
        overlay: Some(Overlay {
            path: "overlay.json".into(),
            refreshed: today(),
            entries: [(key.to_string(), entry)].into_iter().collect(),
        }),
    };
    let plan = planner::plan(&brief(Provider::Digitalocean)).unwrap();
    let err = estimate(&plan, &prices, &Usage::default(), today()).unwrap_err();
    assert!(err.to_string().contains("monthly list prices"), "{err}");
}

#[test]
fn a_thousand_resources_are_priced() {
    let mut plan = planner::plan(&brief(Provider::Aws)).unwrap();
    let template = plan.resources.clone();
    while plan.resources.len() < 1000 {
        for r in &template {
            let mut copy = r.clone();
            copy.name = format!("{}-{}", r.name, plan.resources.len());
            plan.resources.push(copy);
        }
    }
    let prices = Prices::embedded().unwrap();
    let est = estimate(&plan, &prices, &Usage::default(), today()).unwrap();
    assert!(est.lines.len() >= 1000);
    assert_eq!(
        Micros::from_dollars(est.total_monthly).unwrap().0,
        lines_sum(&est)
    );
}
