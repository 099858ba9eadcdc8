//! AWS prices from the Price List Query API (`GetProducts`, us-east-1 endpoint) with pinned filters, one query
//! per catalog price: each answer must hold exactly one on-demand price, or it is skipped with a warning.

use std::collections::BTreeMap;

use aws_config::BehaviorVersion;
use aws_sdk_pricing::config::ProvideCredentials;
use aws_sdk_pricing::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_pricing::types::{Filter, FilterType};
use serde_json::Value;

use super::{LivePrice, RefreshError};
use crate::mapping;
use crate::model::Micros;
use crate::model::{Engine, Provider, ResourceKind};
use crate::pricing::catalog::Unit;

/// The Price List Query API is served from us-east-1 (and a few others); prices for every region come from it.
const ENDPOINT_REGION: &str = "us-east-1";
/// Queries in flight at once: the API allows a handful of requests per second.
const CONCURRENCY: usize = 4;
/// Pages read per query; pinned filters give one product, so more means the filters are not specific.
const MAX_PAGES: usize = 3;
const EBS_TYPES: [&str; 4] = ["gp3", "gp2", "st1", "sc1"];

/// One catalog price and the GetProducts request that finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceQuery {
    pub key: String,
    pub service_code: &'static str,
    pub filters: Vec<(&'static str, String)>,
    pub unit: Unit,
}

/// The queries for every AWS size and volume type the mapping offers in `region`.
pub fn queries(region: &str) -> Vec<PriceQuery> {
    let mut out = Vec::new();
    let region_filter = ("regionCode", region.to_string());
    for size in mapping::sizes(Provider::Aws, ResourceKind::WebServer) {
        out.push(PriceQuery {
            key: format!("aws/{region}/ec2/{}", size.slug),
            service_code: "AmazonEC2",
            filters: vec![
                ("productFamily", "Compute Instance".to_string()),
                ("instanceType", size.slug.to_string()),
                region_filter.clone(),
                ("operatingSystem", "Linux".to_string()),
                ("tenancy", "Shared".to_string()),
                ("preInstalledSw", "NA".to_string()),
                ("capacitystatus", "Used".to_string()),
                ("licenseModel", "No License required".to_string()),
            ],
            unit: Unit::Hour,
        });
    }
    for engine in engines(ResourceKind::Database) {
        for size in mapping::sizes(Provider::Aws, ResourceKind::Database) {
            out.push(PriceQuery {
                key: format!("aws/{region}/rds/{engine}/{}", size.slug),
                service_code: "AmazonRDS",
                filters: vec![
                    ("productFamily", "Database Instance".to_string()),
                    ("instanceType", size.slug.to_string()),
                    region_filter.clone(),
                    ("databaseEngine", engine_name(engine).to_string()),
                    ("deploymentOption", "Single-AZ".to_string()),
                ],
                unit: Unit::Hour,
            });
        }
    }
    for engine in engines(ResourceKind::Cache) {
        for size in mapping::sizes(Provider::Aws, ResourceKind::Cache) {
            out.push(PriceQuery {
                key: format!("aws/{region}/elasticache/{engine}/{}", size.slug),
                service_code: "AmazonElastiCache",
                filters: vec![
                    ("productFamily", "Cache Instance".to_string()),
                    ("instanceType", size.slug.to_string()),
                    region_filter.clone(),
                    ("cacheEngine", engine_name(engine).to_string()),
                ],
                unit: Unit::Hour,
            });
        }
    }
    for volume in EBS_TYPES {
        out.push(PriceQuery {
            key: format!("aws/{region}/ebs/{volume}"),
            service_code: "AmazonEC2",
            filters: vec![
                ("productFamily", "Storage".to_string()),
                ("volumeApiName", volume.to_string()),
                region_filter.clone(),
            ],
            unit: Unit::GbMonth,
        });
    }
    out
}

fn engines(kind: ResourceKind) -> Vec<Engine> {
    mapping::offering(Provider::Aws)
        .engines
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.engine)
        .collect()
}

/// The Price List's spelling of an engine (RDS `databaseEngine`, ElastiCache `cacheEngine`).
fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "PostgreSQL",
        Engine::Mysql => "MySQL",
        Engine::Valkey => "Valkey",
        Engine::Redis => "Redis",
    }
}

/// The Price List's unit for a catalog unit.
fn price_list_unit(unit: Unit) -> &'static str {
    match unit {
        Unit::GbMonth => "GB-Mo",
        _ => "Hrs",
    }
}

/// The one on-demand price in a GetProducts answer (each `PriceList` item is a JSON document; the price is at
/// `terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD`). Zero-priced dimensions (free tiers) are ignored;
/// more than one distinct price means the filters were not specific enough.
pub fn parse_price_list(documents: &[String], unit: Unit) -> Result<Micros, String> {
    let wanted_unit = price_list_unit(unit);
    let mut found: Vec<(Micros, String)> = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        let value: Value = serde_json::from_str(document)
            .map_err(|e| format!("PriceList[{i}] is not JSON: {e}"))?;
        let sku = value
            .pointer("/product/sku")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let Some(terms) = value.pointer("/terms/OnDemand").and_then(Value::as_object) else {
            continue;
        };
        for term in terms.values() {
            let Some(dimensions) = term.get("priceDimensions").and_then(Value::as_object) else {
                continue;
            };
            for dimension in dimensions.values() {
                let Some(usd) = dimension
                    .pointer("/pricePerUnit/USD")
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                let dimension_unit = dimension.get("unit").and_then(Value::as_str).unwrap_or("");
                let price = usd
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(Micros::from_dollars)
                    .ok_or_else(|| {
                        format!("PriceList[{i}] (sku {sku}): price \"{usd}\" is not a number")
                    })?;
                if !price.is_positive() {
                    continue;
                }
                if !dimension_unit.eq_ignore_ascii_case(wanted_unit) {
                    return Err(format!(
                        "PriceList[{i}] (sku {sku}): priced per \"{dimension_unit}\", expected \"{wanted_unit}\""
                    ));
                }
                if !found.iter().any(|(p, _)| *p == price) {
                    found.push((price, sku.clone()));
                }
            }
        }
    }
    match found.as_slice() {
        [] => Err("no on-demand price in the answer".to_string()),
        [(price, _)] => Ok(*price),
        many => Err(format!(
            "{} different prices ({}); the filters match more than one product",
            many.len(),
            many.iter()
                .map(|(p, sku)| format!("{} for sku {sku}", p.dollars()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub struct AwsPrices {
    pub prices: Vec<LivePrice>,
    pub warnings: Vec<String>,
}

const CREDENTIALS_HINT: &str = "AWS prices need AWS credentials (the Price List API is free but signed): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (SSO and instance roles work too)";

/// Fetches every query's price for `regions`.
pub async fn fetch(regions: &[String]) -> Result<AwsPrices, RefreshError> {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(ENDPOINT_REGION))
        .load()
        .await;
    let credentials = config
        .credentials_provider()
        .ok_or_else(|| RefreshError::NoCredentials(CREDENTIALS_HINT.to_string()))?;
    credentials
        .provide_credentials()
        .await
        .map_err(|e| RefreshError::NoCredentials(format!("{CREDENTIALS_HINT} ({e})")))?;
    let client = aws_sdk_pricing::Client::new(&config);

    let all: Vec<PriceQuery> = regions.iter().flat_map(|r| queries(r)).collect();
    let mut prices = Vec::new();
    let mut warnings = Vec::new();
    for chunk in all.chunks(CONCURRENCY) {
        let mut tasks = tokio::task::JoinSet::new();
        for query in chunk.iter().cloned() {
            let client = client.clone();
            tasks.spawn(async move {
                let result = run_query(&client, &query).await;
                (query, result)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (query, result) =
                joined.map_err(|e| RefreshError::Aws(format!("a query task failed: {e}")))?;
            match result {
                Ok(price) => prices.push(LivePrice {
                    key: query.key,
                    price,
                    unit: query.unit,
                    attributes: BTreeMap::new(),
                }),
                Err(QueryError::Fatal(message)) => return Err(RefreshError::Aws(message)),
                Err(QueryError::Skip(message)) => {
                    warnings.push(format!("{}: {message}; kept the previous price", query.key))
                }
            }
        }
    }
    if prices.is_empty() {
        return Err(RefreshError::Aws(format!(
            "no price could be read ({})",
            warnings.first().cloned().unwrap_or_default()
        )));
    }
    prices.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(AwsPrices { prices, warnings })
}

enum QueryError {
    /// Stop everything: credentials or permissions.
    Fatal(String),
    /// Skip this price.
    Skip(String),
}

async fn run_query(
    client: &aws_sdk_pricing::Client,
    query: &PriceQuery,
) -> Result<Micros, QueryError> {
    let mut filters = Vec::with_capacity(query.filters.len());
    for (field, value) in &query.filters {
        let filter = Filter::builder()
            .r#type(FilterType::TermMatch)
            .field(*field)
            .value(value)
            .build()
            .map_err(|e| QueryError::Skip(e.to_string()))?;
        filters.push(filter);
    }
    let mut documents = Vec::new();
    let mut next_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let output = client
            .get_products()
            .service_code(query.service_code)
            .format_version("aws_v1")
            .set_filters(Some(filters.clone()))
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(|e| {
                let code = e.code().unwrap_or("");
                let text = DisplayErrorContext(&e).to_string();
                if matches!(
                    code,
                    "AccessDeniedException"
                        | "UnrecognizedClientException"
                        | "ExpiredTokenException"
                        | "InvalidClientTokenId"
                        | "InvalidSignatureException"
                ) {
                    QueryError::Fatal(format!("{code}: {text}"))
                } else {
                    QueryError::Skip(text)
                }
            })?;
        documents.extend(output.price_list().iter().cloned());
        next_token = output.next_token().map(str::to_string);
        if next_token.is_none() {
            break;
        }
    }
    parse_price_list(&documents, query.unit).map_err(QueryError::Skip)
}
