//! Metrics by one name across both clouds: what rift reads of a resource, whichever cloud serves it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ResourceKind;

/// A normalized metric. Each cloud adapter says which native series serves it (or why none does).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    CpuPercent,
    MemoryPercent,
    DiskUsedPercent,
    NetworkInBytes,
    NetworkOutBytes,
    Connections,
    FreeStorageBytes,
    Requests,
    #[serde(rename = "http_5xx")]
    Http5xx,
    LatencyMs,
    Evictions,
    HitRatio,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::CpuPercent => "cpu_percent",
            Metric::MemoryPercent => "memory_percent",
            Metric::DiskUsedPercent => "disk_used_percent",
            Metric::NetworkInBytes => "network_in_bytes",
            Metric::NetworkOutBytes => "network_out_bytes",
            Metric::Connections => "connections",
            Metric::FreeStorageBytes => "free_storage_bytes",
            Metric::Requests => "requests",
            Metric::Http5xx => "http_5xx",
            Metric::LatencyMs => "latency_ms",
            Metric::Evictions => "evictions",
            Metric::HitRatio => "hit_ratio",
        }
    }

    /// What one point measures: a level at that time, or a count over the step that ends there.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::CpuPercent
            | Metric::MemoryPercent
            | Metric::DiskUsedPercent
            | Metric::HitRatio => "percent",
            Metric::NetworkInBytes | Metric::NetworkOutBytes => "bytes per step",
            Metric::Connections => "connections",
            Metric::FreeStorageBytes => "bytes",
            Metric::Requests | Metric::Http5xx | Metric::Evictions => "count per step",
            Metric::LatencyMs => "milliseconds",
        }
    }

    /// The metrics rift reads for a kind, in the order answers list them; empty for kinds with none.
    pub fn of_kind(kind: ResourceKind) -> &'static [Metric] {
        match kind {
            ResourceKind::WebServer => &[
                Metric::CpuPercent,
                Metric::MemoryPercent,
                Metric::DiskUsedPercent,
                Metric::NetworkInBytes,
                Metric::NetworkOutBytes,
            ],
            ResourceKind::Database => &[
                Metric::CpuPercent,
                Metric::Connections,
                Metric::FreeStorageBytes,
            ],
            ResourceKind::LoadBalancer => &[Metric::Requests, Metric::Http5xx, Metric::LatencyMs],
            ResourceKind::Cache => &[Metric::CpuPercent, Metric::Evictions, Metric::HitRatio],
            ResourceKind::BlockStorage
            | ResourceKind::ObjectStorage
            | ResourceKind::Network
            | ResourceKind::Firewall => &[],
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One series to read: a resource's metric over a time range, at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricQuery {
    pub kind: ResourceKind,
    pub cloud_id: String,
    pub metric: Metric,
}

/// The window of a metrics read, in Unix seconds, and the step between points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: i64,
    pub end: i64,
    pub step_s: i64,
}

/// What a cloud answered for one query: where it read it, and the points or why there are none.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesAnswer {
    /// The native series, e.g. "CloudWatch AWS/EC2 CPUUtilization InstanceId=i-…" or
    /// "GET /v2/monitoring/metrics/droplet/cpu host_id=…".
    pub source: String,
    pub points: Result<Vec<(i64, f64)>, String>,
}

impl SeriesAnswer {
    pub fn unavailable(source: impl Into<String>, reason: impl Into<String>) -> SeriesAnswer {
        SeriesAnswer {
            source: source.into(),
            points: Err(reason.into()),
        }
    }
}
