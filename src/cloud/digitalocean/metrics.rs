//! DigitalOcean's monitoring API (`/v2/monitoring/metrics/...`): Prometheus-shaped series per droplet or load
//! balancer, read a few requests at a time, turned into rift's normalized metrics (CPU utilisation from per-mode
//! counters, memory and disk use from totals and free space, bandwidth from Mbps).

use std::collections::BTreeMap;

use futures::StreamExt;
use serde::Deserialize;

use super::account::DigitalOcean;
use crate::cloud::CloudError;
use crate::model::{Metric, MetricQuery, ResourceKind, SeriesAnswer, TimeRange};

/// Requests in flight at once: the API's rate limit is per token, shared with everything else rift does.
const CONCURRENT_REQUESTS: usize = 4;

const AGENT_MISSING: &str = "no samples: the droplet's metrics agent is not installed or has not reported yet \
                             (rift creates droplets with monitoring on)";
const NO_SAMPLES: &str = "no samples in this range";
const NO_DATABASE_METRICS: &str = "DigitalOcean publishes managed PostgreSQL and Valkey metrics only on the \
                                   cluster's own Prometheus endpoint, not in its monitoring API";

#[derive(Debug, Deserialize)]
struct Answer {
    data: Data,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(default)]
    result: Vec<Series>,
}

#[derive(Debug, Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

impl Series {
    fn points(&self) -> Vec<(i64, f64)> {
        self.values
            .iter()
            .filter_map(|(at, v)| Some((*at as i64, v.parse::<f64>().ok()?)))
            .filter(|(_, v)| v.is_finite())
            .collect()
    }
}

/// How one normalized metric is computed from the API's series.
enum Recipe {
    /// 100 × (1 − Δidle / Δall modes) between consecutive samples.
    CpuFromModes,
    /// 100 × (1 − part / whole), each summed over its series.
    UsedPercent {
        part: &'static str,
        whole: &'static str,
    },
    /// A rate per second (bandwidth in Mbps × 1e6/8 → bytes) times the step.
    PerStep {
        path: &'static str,
        extra: &'static [(&'static str, &'static str)],
        scale: f64,
    },
    /// The series whose label `key` is `value`, a rate per second, times the step.
    LabelPerStep {
        path: &'static str,
        key: &'static str,
        value: &'static str,
    },
    /// As published, scaled (seconds → milliseconds).
    Level {
        path: &'static str,
        scale: f64,
    },
    Unavailable(&'static str),
}

fn recipe(kind: ResourceKind, metric: Metric) -> Recipe {
    use Metric::*;
    match (kind, metric) {
        (ResourceKind::WebServer, CpuPercent) => Recipe::CpuFromModes,
        (ResourceKind::WebServer, MemoryPercent) => Recipe::UsedPercent {
            part: "droplet/memory_available",
            whole: "droplet/memory_total",
        },
        (ResourceKind::WebServer, DiskUsedPercent) => Recipe::UsedPercent {
            part: "droplet/filesystem_free",
            whole: "droplet/filesystem_size",
        },
        (ResourceKind::WebServer, NetworkInBytes) => Recipe::PerStep {
            path: "droplet/bandwidth",
            extra: &[("interface", "public"), ("direction", "inbound")],
            scale: 1e6 / 8.0,
        },
        (ResourceKind::WebServer, NetworkOutBytes) => Recipe::PerStep {
            path: "droplet/bandwidth",
            extra: &[("interface", "public"), ("direction", "outbound")],
            scale: 1e6 / 8.0,
        },
        (ResourceKind::LoadBalancer, Requests) => Recipe::PerStep {
            path: "load_balancer/frontend_http_requests_per_second",
            extra: &[],
            scale: 1.0,
        },
        (ResourceKind::LoadBalancer, Http5xx) => Recipe::LabelPerStep {
            path: "load_balancer/frontend_http_responses",
            key: "code",
            value: "5xx",
        },
        (ResourceKind::LoadBalancer, LatencyMs) => Recipe::Level {
            path: "load_balancer/droplets_http_response_time_avg",
            scale: 1000.0,
        },
        (ResourceKind::Database, _) => Recipe::Unavailable(NO_DATABASE_METRICS),
        (ResourceKind::Cache, _) => Recipe::Unavailable(NO_DATABASE_METRICS),
        _ => Recipe::Unavailable("not a metric of this kind"),
    }
}

impl DigitalOcean {
    /// Each query's series, a few requests at a time, in the order asked.
    pub(super) async fn read_metrics(
        &self,
        queries: &[MetricQuery],
        range: &TimeRange,
    ) -> Result<Vec<SeriesAnswer>, CloudError> {
        // Boxed: a stream of borrowing futures is otherwise not provably Send across the trait's await.
        let reads: Vec<futures::future::BoxFuture<'_, Result<SeriesAnswer, CloudError>>> = queries
            .iter()
            .map(|q| Box::pin(self.read_one(q, range)) as futures::future::BoxFuture<'_, _>)
            .collect();
        let answers: Vec<Result<SeriesAnswer, CloudError>> = futures::stream::iter(reads)
            .buffered(CONCURRENT_REQUESTS)
            .collect()
            .await;
        answers.into_iter().collect()
    }

    async fn read_one(
        &self,
        q: &MetricQuery,
        range: &TimeRange,
    ) -> Result<SeriesAnswer, CloudError> {
        let id_key = match q.kind {
            ResourceKind::LoadBalancer => "lb_id",
            _ => "host_id",
        };
        let id = q.cloud_id.as_str();
        let source = |path: &str| format!("GET /v2/monitoring/metrics/{path} {id_key}={id}");
        let step = range.step_s as f64;
        let (source, points) = match recipe(q.kind, q.metric) {
            Recipe::Unavailable(reason) => {
                return Ok(SeriesAnswer::unavailable(
                    format!("DigitalOcean monitoring ({id})"),
                    reason,
                ));
            }
            Recipe::CpuFromModes => {
                let path = "droplet/cpu";
                let series = self.series(path, id_key, id, &[], range).await?;
                (source(path), cpu_percent(&series))
            }
            Recipe::UsedPercent { part, whole } => {
                let (free, total) = futures::try_join!(
                    self.series(part, id_key, id, &[], range),
                    self.series(whole, id_key, id, &[], range)
                )?;
                (
                    format!("{} and {whole}", source(part)),
                    used_percent(&free, &total),
                )
            }
            Recipe::PerStep { path, extra, scale } => {
                let series = self.series(path, id_key, id, extra, range).await?;
                (source(path), scaled(&sum(&series), scale * step))
            }
            Recipe::LabelPerStep { path, key, value } => {
                let series = self.series(path, id_key, id, &[], range).await?;
                let chosen: Vec<Series> = series
                    .into_iter()
                    .filter(|s| s.metric.get(key).is_some_and(|v| v == value))
                    .collect();
                (source(path), scaled(&sum(&chosen), step))
            }
            Recipe::Level { path, scale } => {
                let series = self.series(path, id_key, id, &[], range).await?;
                (source(path), scaled(&sum(&series), scale))
            }
        };
        let empty = match q.kind {
            ResourceKind::WebServer => AGENT_MISSING,
            _ => NO_SAMPLES,
        };
        Ok(answer(source, points, empty))
    }

    async fn series(
        &self,
        path: &str,
        id_key: &str,
        id: &str,
        extra: &[(&str, &str)],
        range: &TimeRange,
    ) -> Result<Vec<Series>, CloudError> {
        let mut query: Vec<(&str, String)> = vec![
            (id_key, id.to_string()),
            ("start", range.start.to_string()),
            ("end", range.end.to_string()),
        ];
        query.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        let answer: Answer = self
            .client
            .get(&format!("/v2/monitoring/metrics/{path}"), &query)
            .await?;
        Ok(answer.data.result)
    }
}

fn answer(source: String, points: Vec<(i64, f64)>, empty: &str) -> SeriesAnswer {
    if points.is_empty() {
        SeriesAnswer::unavailable(source, empty)
    } else {
        SeriesAnswer {
            source,
            points: Ok(points),
        }
    }
}

/// Point-wise sum of several series (e.g. one per filesystem or per interface).
fn sum<'a>(series: impl IntoIterator<Item = &'a Series>) -> Vec<(i64, f64)> {
    let mut total: BTreeMap<i64, f64> = BTreeMap::new();
    for s in series {
        for (at, v) in s.points() {
            *total.entry(at).or_default() += v;
        }
    }
    total.into_iter().collect()
}

fn scaled(points: &[(i64, f64)], factor: f64) -> Vec<(i64, f64)> {
    points.iter().map(|(at, v)| (*at, v * factor)).collect()
}

fn used_percent(part: &[Series], whole: &[Series]) -> Vec<(i64, f64)> {
    let whole: BTreeMap<i64, f64> = sum(whole).into_iter().collect();
    sum(part)
        .into_iter()
        .filter_map(|(at, free)| {
            let total = *whole.get(&at)?;
            (total > 0.0).then(|| (at, 100.0 * (1.0 - free / total)))
        })
        .collect()
}

/// CPU counters are cumulative seconds per mode: utilisation is the share of non-idle time between samples.
fn cpu_percent(series: &[Series]) -> Vec<(i64, f64)> {
    let all: Vec<(i64, f64)> = sum(series);
    let idle: Vec<&Series> = series
        .iter()
        .filter(|s| s.metric.get("mode").is_some_and(|m| m == "idle"))
        .collect();
    let idle: BTreeMap<i64, f64> = sum(idle).into_iter().collect();
    all.windows(2)
        .filter_map(|w| {
            let ((t0, all0), (t1, all1)) = (w[0], w[1]);
            let busy_share = 1.0 - (idle.get(&t1)? - idle.get(&t0)?) / (all1 - all0);
            (all1 > all0).then(|| (t1, (100.0 * busy_share).clamp(0.0, 100.0)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(labels: &[(&str, &str)], values: &[(f64, &str)]) -> Series {
        Series {
            metric: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values: values.iter().map(|(t, v)| (*t, v.to_string())).collect(),
        }
    }

    #[test]
    fn cpu_is_the_busy_share_between_two_samples() {
        let modes = [
            series(&[("mode", "idle")], &[(0.0, "100"), (60.0, "130")]),
            series(&[("mode", "user")], &[(0.0, "50"), (60.0, "80")]),
        ];
        // 60 s of counters: 30 idle, 30 user → 50 %.
        assert_eq!(cpu_percent(&modes), vec![(60, 50.0)]);
    }

    #[test]
    fn memory_use_is_what_is_not_available_of_the_total() {
        let available = [series(&[], &[(0.0, "1"), (60.0, "3")])];
        let total = [series(&[], &[(0.0, "4"), (60.0, "4")])];
        assert_eq!(
            used_percent(&available, &total),
            vec![(0, 75.0), (60, 25.0)]
        );
    }

    #[test]
    fn a_value_that_is_not_a_number_is_skipped_not_zero() {
        let s = series(&[], &[(0.0, "NaN"), (60.0, "x"), (120.0, "2")]);
        assert_eq!(s.points(), vec![(120, 2.0)]);
    }
}
