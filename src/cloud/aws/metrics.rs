//! CloudWatch: every query of a project in this region in one batched `GetMetricData` (500 series a call, pages
//! followed), each normalized metric mapped to its native series (or two, combined here).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric as CwMetric, MetricDataQuery, MetricStat};

use super::{AwsClients, sdk_error};
use crate::cloud::CloudError;
use crate::model::{Metric, MetricQuery, ResourceKind, SeriesAnswer, TimeRange};

/// CloudWatch's limit of queries in one call.
const QUERIES_PER_CALL: usize = 500;

/// One native CloudWatch series.
pub(super) struct Native {
    pub(super) namespace: &'static str,
    pub(super) metric: &'static str,
    pub(super) dimension: &'static str,
    pub(super) stat: &'static str,
}

/// How CloudWatch serves a normalized metric of a kind.
pub(super) enum Source {
    One(Native, f64),
    /// `(a + b)` or `100 * a / (a + b)`, over two native series.
    Sum(Native, Native),
    Ratio(Native, Native),
    Unavailable(&'static str),
}

fn native(
    namespace: &'static str,
    metric: &'static str,
    dimension: &'static str,
    stat: &'static str,
) -> Native {
    Native {
        namespace,
        metric,
        dimension,
        stat,
    }
}

pub(super) fn source(kind: ResourceKind, metric: Metric) -> Source {
    use Metric::*;
    let ec2 = |m| native("AWS/EC2", m, "InstanceId", "Average");
    let rds = |m, stat| native("AWS/RDS", m, "DBInstanceIdentifier", stat);
    let alb = |m, stat| native("AWS/ApplicationELB", m, "LoadBalancer", stat);
    let cache = |m, stat| native("AWS/ElastiCache", m, "CacheClusterId", stat);
    match (kind, metric) {
        (ResourceKind::WebServer, CpuPercent) => Source::One(ec2("CPUUtilization"), 1.0),
        (ResourceKind::WebServer, NetworkInBytes) => {
            Source::One(native("AWS/EC2", "NetworkIn", "InstanceId", "Sum"), 1.0)
        }
        (ResourceKind::WebServer, NetworkOutBytes) => {
            Source::One(native("AWS/EC2", "NetworkOut", "InstanceId", "Sum"), 1.0)
        }
        (ResourceKind::WebServer, MemoryPercent | DiskUsedPercent) => Source::Unavailable(
            "EC2 publishes memory and disk use only through the CloudWatch agent (namespace CWAgent), which rift \
             does not install",
        ),
        (ResourceKind::Database, CpuPercent) => Source::One(rds("CPUUtilization", "Average"), 1.0),
        (ResourceKind::Database, Connections) => {
            Source::One(rds("DatabaseConnections", "Average"), 1.0)
        }
        (ResourceKind::Database, FreeStorageBytes) => {
            Source::One(rds("FreeStorageSpace", "Minimum"), 1.0)
        }
        (ResourceKind::LoadBalancer, Requests) => Source::One(alb("RequestCount", "Sum"), 1.0),
        (ResourceKind::LoadBalancer, Http5xx) => Source::Sum(
            alb("HTTPCode_Target_5XX_Count", "Sum"),
            alb("HTTPCode_ELB_5XX_Count", "Sum"),
        ),
        // TargetResponseTime is in seconds.
        (ResourceKind::LoadBalancer, LatencyMs) => {
            Source::One(alb("TargetResponseTime", "Average"), 1000.0)
        }
        (ResourceKind::Cache, CpuPercent) => Source::One(cache("CPUUtilization", "Average"), 1.0),
        (ResourceKind::Cache, Evictions) => Source::One(cache("Evictions", "Sum"), 1.0),
        (ResourceKind::Cache, HitRatio) => {
            Source::Ratio(cache("CacheHits", "Sum"), cache("CacheMisses", "Sum"))
        }
        _ => Source::Unavailable("not a metric of this kind"),
    }
}

/// The dimension value CloudWatch knows a resource by: an ALB by the end of its ARN (`app/NAME/ID`).
pub(super) fn dimension_value(kind: ResourceKind, cloud_id: &str) -> String {
    match kind {
        ResourceKind::LoadBalancer => cloud_id
            .split_once(":loadbalancer/")
            .map_or(cloud_id, |(_, suffix)| suffix)
            .to_string(),
        _ => cloud_id.to_string(),
    }
}

fn stat_query(id: String, n: &Native, value: &str, period: i32) -> MetricDataQuery {
    let metric = CwMetric::builder()
        .namespace(n.namespace)
        .metric_name(n.metric)
        .dimensions(Dimension::builder().name(n.dimension).value(value).build())
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat(n.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

fn describe(n: &Native, value: &str) -> String {
    format!(
        "CloudWatch {} {} {}={value}",
        n.namespace, n.metric, n.dimension
    )
}

/// How one answer is made of the returned series: scaled, or combined point by point from two.
enum Combine {
    Scaled(String, f64),
    Sum(String, String),
    Ratio(String, String),
}

/// Every query in as few `GetMetricData` calls as CloudWatch allows. Series that combine two native ones (5xx of
/// targets and of the balancer, hits and misses) are read as both and combined here.
pub async fn read(
    c: &AwsClients,
    queries: &[MetricQuery],
    range: &TimeRange,
) -> Result<Vec<SeriesAnswer>, CloudError> {
    let period = i32::try_from(range.step_s).unwrap_or(i32::MAX);
    let mut answers: Vec<SeriesAnswer> = Vec::with_capacity(queries.len());
    let mut data_queries: Vec<MetricDataQuery> = Vec::new();
    let mut combines: Vec<Option<Combine>> = Vec::with_capacity(queries.len());
    for (i, q) in queries.iter().enumerate() {
        let value = dimension_value(q.kind, &q.cloud_id);
        let (id_a, id_b) = (format!("q{i}a"), format!("q{i}b"));
        let (a, b, ratio) = match source(q.kind, q.metric) {
            Source::Unavailable(reason) => {
                answers.push(SeriesAnswer::unavailable(
                    format!("CloudWatch ({})", q.cloud_id),
                    reason,
                ));
                combines.push(None);
                continue;
            }
            Source::One(n, scale) => {
                answers.push(SeriesAnswer {
                    source: describe(&n, &value),
                    points: Ok(vec![]),
                });
                data_queries.push(stat_query(id_a.clone(), &n, &value, period));
                combines.push(Some(Combine::Scaled(id_a, scale)));
                continue;
            }
            Source::Sum(a, b) => (a, b, false),
            Source::Ratio(a, b) => (a, b, true),
        };
        answers.push(SeriesAnswer {
            source: format!(
                "CloudWatch {} {} {} {}, {} {}={value}",
                a.namespace,
                if ratio { "100*A/(A+B) of" } else { "A+B of" },
                a.metric,
                a.stat,
                b.metric,
                a.dimension
            ),
            points: Ok(vec![]),
        });
        data_queries.push(stat_query(id_a.clone(), &a, &value, period));
        data_queries.push(stat_query(id_b.clone(), &b, &value, period));
        combines.push(Some(if ratio {
            Combine::Ratio(id_a, id_b)
        } else {
            Combine::Sum(id_a, id_b)
        }));
    }
    let mut points: HashMap<String, BTreeMap<i64, f64>> = HashMap::new();
    for batch in data_queries.chunks(QUERIES_PER_CALL) {
        let mut pages = c
            .cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(batch.to_vec()))
            .start_time(DateTime::from_secs(range.start))
            .end_time(DateTime::from_secs(range.end))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_error("GetMetricData", e))?;
            for result in page.metric_data_results() {
                let Some(id) = result.id() else { continue };
                let series = points.entry(id.to_string()).or_default();
                for (at, value) in result.timestamps().iter().zip(result.values()) {
                    if value.is_finite() {
                        series.insert(at.secs(), *value);
                    }
                }
            }
        }
    }
    let mut take = |id: &str| points.remove(id).unwrap_or_default();
    for (answer, combine) in answers.iter_mut().zip(combines) {
        let series: Vec<(i64, f64)> = match combine {
            None => continue,
            Some(Combine::Scaled(id, scale)) => {
                take(&id).into_iter().map(|(t, v)| (t, v * scale)).collect()
            }
            // A point where only one side reported counts the other as zero events.
            Some(Combine::Sum(a, b)) => {
                let (a, b) = (take(&a), take(&b));
                let mut sum = a.clone();
                for (t, v) in b {
                    *sum.entry(t).or_default() += v;
                }
                sum.into_iter().collect()
            }
            Some(Combine::Ratio(a, b)) => {
                let (hits, misses) = (take(&a), take(&b));
                hits.into_iter()
                    .filter_map(|(t, h)| {
                        let total = h + misses.get(&t).copied().unwrap_or(0.0);
                        (total > 0.0).then(|| (t, 100.0 * h / total))
                    })
                    .collect()
            }
        };
        answer.points = if series.is_empty() {
            Err("CloudWatch has no data points for it in this range".to_string())
        } else {
            Ok(series)
        };
    }
    Ok(answers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alb_is_known_by_the_end_of_its_arn() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-lb/50dc6c495c0c9188";
        assert_eq!(
            dimension_value(ResourceKind::LoadBalancer, arn),
            "app/shop-lb/50dc6c495c0c9188"
        );
        assert_eq!(dimension_value(ResourceKind::WebServer, "i-1"), "i-1");
    }

    #[test]
    fn ec2_memory_is_unavailable_with_the_reason() {
        let Source::Unavailable(reason) = source(ResourceKind::WebServer, Metric::MemoryPercent)
        else {
            panic!("EC2 memory has no native series without the agent");
        };
        assert!(reason.contains("CloudWatch agent"));
    }
}
