//! `get_metrics`: a project's resources (or one, or one kind) over a time range at a step, each metric under its
//! normalized name with the native series it came from, a summary first and the points on request. Queries are
//! grouped per cloud and region so each cloud answers all of its share in one batch (one CloudWatch
//! `GetMetricData` per region); the clouds are asked at once.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Operations, OperationsError};
use crate::engine;
use crate::model::{Metric, MetricQuery, Provider, ResourceKind, SeriesAnswer, TimeRange};
use crate::store::{StoredResource, rfc3339};

/// The longest window rift reads: CloudWatch keeps 1-minute data for 15 days, and coarser steps would hide it.
pub const MAX_MINUTES: u32 = 14 * 24 * 60;
pub const DEFAULT_MINUTES: u32 = 60;
/// Points per series a step may produce; a finer step over a long window is refused with the finest valid one.
const MAX_POINTS: i64 = 1_440;
/// Points the default step aims at.
const DEFAULT_POINTS: i64 = 60;

#[derive(Debug, Clone, Default)]
pub struct MetricsRequest {
    pub project_id: String,
    /// One resource by name; default every live resource that has metrics.
    pub resource: Option<String>,
    pub kind: Option<ResourceKind>,
    pub provider: Option<Provider>,
    /// Default every metric of each resource's kind.
    pub metrics: Option<Vec<Metric>>,
    pub minutes: Option<u32>,
    pub step_s: Option<u32>,
    /// Include every point, not only the summary.
    pub series: bool,
    /// Unix seconds the window ends at.
    pub now: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MetricsReport {
    pub project_id: String,
    pub start: String,
    pub end: String,
    pub step_s: i64,
    pub resources: Vec<ResourceMetrics>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ResourceMetrics {
    pub name: String,
    pub kind: ResourceKind,
    pub provider: Provider,
    pub region: String,
    pub metrics: Vec<MetricReading>,
}

/// One metric of one resource: its summary over the window, or why the cloud has none — never a zero instead.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MetricReading {
    pub metric: Metric,
    pub unit: &'static str,
    /// The native series: CloudWatch namespace/metric/dimension, or the DigitalOcean monitoring path.
    pub source: String,
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average: Option<f64>,
    /// With `series: true`: [unix seconds, value] per step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<(i64, f64)>>,
}

/// A resource and the metrics asked of it.
type Member = (StoredResource, Vec<Metric>);

impl Operations {
    pub async fn metrics(&self, request: MetricsRequest) -> Result<MetricsReport, OperationsError> {
        let project = self.projects.get(&request.project_id)?;
        let range = time_range(&request)?;
        let resources = self.chosen(&request)?;
        let mut warnings = Vec::new();

        // Per cloud and region: the resources, and each one's metrics, in the answer's order.
        let mut groups: BTreeMap<(Provider, String), Vec<Member>> = BTreeMap::new();
        for resource in resources {
            let metrics: Vec<Metric> = Metric::of_kind(resource.kind)
                .iter()
                .copied()
                .filter(|m| {
                    request
                        .metrics
                        .as_ref()
                        .is_none_or(|wanted| wanted.contains(m))
                })
                .collect();
            if !metrics.is_empty() {
                groups
                    .entry((resource.provider, resource.region.clone()))
                    .or_default()
                    .push((resource, metrics));
            }
        }
        let reads = groups.into_iter().map(|((provider, region), members)| {
            let project = &project;
            async move {
                let queries: Vec<MetricQuery> = members
                    .iter()
                    .flat_map(|(r, metrics)| {
                        metrics.iter().map(|m| MetricQuery {
                            kind: r.kind,
                            cloud_id: r.cloud_id.clone().unwrap_or_default(),
                            metric: *m,
                        })
                    })
                    .collect();
                let answers = self
                    .read(project, provider, &region, &queries, &range)
                    .await;
                (provider, region, members, answers)
            }
        });
        let mut out = Vec::new();
        for (provider, region, members, answers) in futures::future::join_all(reads).await {
            let mut answers = match answers {
                Ok(answers) => answers.into_iter(),
                Err(why) => {
                    warnings.push(format!("{provider} {region}: {why}"));
                    Vec::new().into_iter()
                }
            };
            for (resource, metrics) in members {
                let readings = metrics
                    .into_iter()
                    .map(|metric| {
                        let answer = answers.next().unwrap_or_else(|| {
                            SeriesAnswer::unavailable(
                                format!("{provider} {region}"),
                                "the cloud could not be read (see warnings)",
                            )
                        });
                        reading(metric, answer, &range, request.series)
                    })
                    .collect();
                out.push(ResourceMetrics {
                    name: resource.name,
                    kind: resource.kind,
                    provider,
                    region: region.clone(),
                    metrics: readings,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(MetricsReport {
            project_id: project.id,
            start: rfc3339(range.start),
            end: rfc3339(range.end),
            step_s: range.step_s,
            resources: out,
            warnings,
        })
    }

    /// The live resources the request names, checked against the project.
    fn chosen(&self, request: &MetricsRequest) -> Result<Vec<StoredResource>, OperationsError> {
        let live: Vec<StoredResource> = self
            .projects
            .resources(&request.project_id, None)?
            .into_iter()
            .filter(|r| r.state.is_live() && r.cloud_id.is_some())
            .collect();
        if let Some(kind) = request.kind
            && Metric::of_kind(kind).is_empty()
        {
            return Err(OperationsError::invalid(
                "kind",
                format!(
                    "rift reads no metrics of a {kind}; kinds with metrics: {}",
                    kinds_with_metrics()
                ),
            ));
        }
        let chosen: Vec<StoredResource> = live
            .iter()
            .filter(|r| request.resource.as_ref().is_none_or(|n| *n == r.name))
            .filter(|r| request.kind.is_none_or(|k| k == r.kind))
            .filter(|r| request.provider.is_none_or(|p| p == r.provider))
            .cloned()
            .collect();
        if let Some(name) = &request.resource
            && chosen.is_empty()
        {
            let names: Vec<&str> = live.iter().map(|r| r.name.as_str()).collect();
            return Err(OperationsError::invalid(
                "resource",
                format!(
                    "{} is not a live resource of project {}; its resources: {}",
                    crate::model::quote(name),
                    request.project_id,
                    if names.is_empty() {
                        "none yet".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
        if let (Some(name), [only]) = (&request.resource, chosen.as_slice())
            && Metric::of_kind(only.kind).is_empty()
        {
            return Err(OperationsError::invalid(
                "resource",
                format!(
                    "{name} is a {}, of which rift reads no metrics; kinds with metrics: {}",
                    only.kind,
                    kinds_with_metrics()
                ),
            ));
        }
        if let Some(wanted) = &request.metrics {
            let offered: Vec<Metric> = chosen
                .iter()
                .flat_map(|r| Metric::of_kind(r.kind).iter().copied())
                .collect();
            if let Some(bad) = wanted.iter().find(|m| !offered.contains(m)) {
                let mut valid: Vec<&str> = offered.iter().map(|m| m.as_str()).collect();
                valid.sort_unstable();
                valid.dedup();
                return Err(OperationsError::invalid(
                    "metrics",
                    format!(
                        "{bad} is not a metric of the resources asked for; theirs: {}",
                        if valid.is_empty() {
                            "none".to_string()
                        } else {
                            valid.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(chosen)
    }

    pub(super) async fn read(
        &self,
        project: &crate::model::Project,
        provider: Provider,
        region: &str,
        queries: &[MetricQuery],
        range: &TimeRange,
    ) -> Result<Vec<SeriesAnswer>, String> {
        let access = engine::access(project, provider, region).map_err(|e| e.to_string())?;
        let cloud = self
            .clouds
            .client(&access)
            .await
            .map_err(|e| e.to_string())?;
        let answers = cloud.metrics(queries, range).await.map_err(|e| {
            tracing::warn!("metrics from {provider} {region}: {e}");
            e.to_string()
        })?;
        Ok(answers)
    }
}

fn kinds_with_metrics() -> String {
    ResourceKind::ALL
        .iter()
        .filter(|k| !Metric::of_kind(**k).is_empty())
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn time_range(request: &MetricsRequest) -> Result<TimeRange, OperationsError> {
    let minutes = request.minutes.unwrap_or(DEFAULT_MINUTES);
    if minutes == 0 || minutes > MAX_MINUTES {
        return Err(OperationsError::invalid(
            "minutes",
            format!(
                "{minutes} is outside 1–{MAX_MINUTES} (14 days, within CloudWatch's 15-day retention of 1-minute data)"
            ),
        ));
    }
    let span = i64::from(minutes) * 60;
    // The finest step that keeps a series within MAX_POINTS, in whole minutes.
    let whole_minutes = |seconds: i64| ((seconds + 59) / 60).max(1) * 60;
    let finest = whole_minutes((span + MAX_POINTS - 1) / MAX_POINTS);
    let step_s = match request.step_s {
        None => whole_minutes(span / DEFAULT_POINTS),
        Some(step) => {
            let step = i64::from(step);
            if step < 60 || step % 60 != 0 || step > 86_400 {
                return Err(OperationsError::invalid(
                    "step_s",
                    format!("{step} is not a whole number of minutes from 60 to 86400 seconds"),
                ));
            }
            if step < finest {
                return Err(OperationsError::invalid(
                    "step_s",
                    format!(
                        "{step} s over {minutes} minutes makes more than {MAX_POINTS} points; use at least {finest}"
                    ),
                ));
            }
            step
        }
    };
    let end = request.now - request.now % 60;
    Ok(TimeRange {
        start: end - span,
        end,
        step_s,
    })
}

/// The answer as a reading: points averaged into the window's steps, then summarized.
fn reading(metric: Metric, answer: SeriesAnswer, range: &TimeRange, series: bool) -> MetricReading {
    let base = MetricReading {
        metric,
        unit: metric.unit(),
        source: answer.source,
        available: false,
        reason: None,
        last: None,
        min: None,
        max: None,
        average: None,
        points: None,
    };
    let points = match answer.points {
        Err(reason) => {
            return MetricReading {
                reason: Some(reason),
                ..base
            };
        }
        Ok(points) => resample(&points, range),
    };
    if points.is_empty() {
        return MetricReading {
            reason: Some("no data points in this range".to_string()),
            ..base
        };
    }
    let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    MetricReading {
        available: true,
        last: values.last().copied().map(round),
        min: values.iter().copied().reduce(f64::min).map(round),
        max: values.iter().copied().reduce(f64::max).map(round),
        average: Some(round(values.iter().sum::<f64>() / values.len() as f64)),
        points: series.then(|| points.iter().map(|(t, v)| (*t, round(*v))).collect()),
        ..base
    }
}

/// Points inside the window, averaged per step (CloudWatch answers at the step already; DigitalOcean at its own
/// resolution).
fn resample(points: &[(i64, f64)], range: &TimeRange) -> Vec<(i64, f64)> {
    let mut buckets: BTreeMap<i64, (f64, u32)> = BTreeMap::new();
    for (at, value) in points {
        if *at < range.start || *at > range.end {
            continue;
        }
        let bucket = range.start + (at - range.start) / range.step_s * range.step_s;
        let entry = buckets.entry(bucket).or_insert((0.0, 0));
        entry.0 += value;
        entry.1 += 1;
    }
    buckets
        .into_iter()
        .map(|(at, (sum, n))| (at, sum / f64::from(n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(minutes: Option<u32>, step_s: Option<u32>) -> MetricsRequest {
        MetricsRequest {
            minutes,
            step_s,
            now: 1_700_000_030,
            ..MetricsRequest::default()
        }
    }

    #[test]
    fn the_window_ends_on_a_minute_and_the_default_step_gives_about_sixty_points() {
        let range = time_range(&request(None, None)).unwrap();
        assert_eq!(range.end % 60, 0);
        assert!(range.end <= 1_700_000_030 && range.end > 1_700_000_030 - 60);
        assert_eq!(range.end - range.start, 3600);
        assert_eq!(range.step_s, 60);
        let day = time_range(&request(Some(1440), None)).unwrap();
        assert_eq!(day.step_s, 1440);
    }

    #[test]
    fn windows_and_steps_out_of_range_say_what_is_valid() {
        let e = time_range(&request(Some(MAX_MINUTES + 1), None))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("minutes:") && e.contains("20160"), "{e}");
        let e = time_range(&request(None, Some(90)))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("step_s:") && e.contains("whole number of minutes"),
            "{e}"
        );
        let e = time_range(&request(Some(MAX_MINUTES), Some(60)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("use at least 840"), "{e}");
    }

    #[test]
    fn a_missing_series_is_unavailable_with_its_reason_never_zero() {
        let range = time_range(&request(None, None)).unwrap();
        let gone = reading(
            Metric::MemoryPercent,
            SeriesAnswer::unavailable("CloudWatch", "needs the agent"),
            &range,
            true,
        );
        assert!(!gone.available && gone.last.is_none() && gone.points.is_none());
        assert_eq!(gone.reason.as_deref(), Some("needs the agent"));
    }

    #[test]
    fn points_are_averaged_per_step_and_summarized() {
        let range = TimeRange {
            start: 0,
            end: 300,
            step_s: 120,
        };
        let answer = SeriesAnswer {
            source: "s".into(),
            points: Ok(vec![(0, 10.0), (60, 20.0), (120, 30.0), (400, 99.0)]),
        };
        let r = reading(Metric::CpuPercent, answer, &range, true);
        assert_eq!(r.points, Some(vec![(0, 15.0), (120, 30.0)]));
        assert_eq!(
            (r.last, r.min, r.max, r.average),
            (Some(30.0), Some(15.0), Some(30.0), Some(22.5))
        );
    }
}
