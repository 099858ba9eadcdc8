//! CloudWatch alarms for rift's alert rules: one `PutMetricAlarm` per watched resource (an alarm watches one
//! series), named `<rule name>/<resource>` and tagged like every resource rift makes; `DescribeAlarms` in state
//! `ALARM` for the incidents; `DeleteAlarms`.

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric as CwMetric, MetricDataQuery, MetricStat, StateValue,
    Statistic, Tag,
};

use super::metrics::{Native, Source, dimension_value, source};
use super::{AwsClients, Tags, sdk_error};
use crate::cloud::{CloudError, DeleteOutcome, Pages};
use crate::model::{
    AlarmSpec, CloudAlarm, Comparison, FiringAlarm, Metric, Provider, ResourceKind,
};

/// CloudWatch evaluates rift's alarms every minute; the rule's duration is that many periods in a row.
const PERIOD_S: i32 = 60;

fn metric(n: &Native, value: &str) -> CwMetric {
    CwMetric::builder()
        .namespace(n.namespace)
        .metric_name(n.metric)
        .dimensions(Dimension::builder().name(n.dimension).value(value).build())
        .build()
}

fn math_input(id: &str, n: &Native, value: &str) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric(n, value))
                .period(PERIOD_S)
                .stat(n.stat)
                .build(),
        )
        .return_data(false)
        .build()
}

/// Whether CloudWatch can alarm on this metric of this kind, or why not.
pub fn supported(kind: ResourceKind, metric: Metric) -> Result<(), String> {
    match source(kind, metric) {
        Source::Unavailable(reason) => Err(reason.to_string()),
        _ => Ok(()),
    }
}

/// One alarm per target, idempotent by name (PutMetricAlarm replaces an alarm of the same name).
pub async fn put(c: &AwsClients, spec: &AlarmSpec) -> Result<Vec<CloudAlarm>, CloudError> {
    let native = source(spec.kind, spec.metric);
    if let Source::Unavailable(reason) = &native {
        return Err(CloudError::Unsupported(format!(
            "a CloudWatch alarm on {} of a {}: {reason}",
            spec.metric, spec.kind
        )));
    }
    let operator = match spec.comparison {
        Comparison::Above => ComparisonOperator::GreaterThanThreshold,
        Comparison::Below => ComparisonOperator::LessThanThreshold,
    };
    let topics: Vec<String> = spec
        .notify
        .iter()
        .filter(|t| t.starts_with("arn:aws:sns:"))
        .cloned()
        .collect();
    let periods = i32::try_from(spec.minutes).unwrap_or(i32::MAX);
    let mut alarms = Vec::new();
    for (name, cloud_id) in &spec.targets {
        let value = dimension_value(spec.kind, cloud_id);
        let alarm_name = format!("{}/{name}", spec.name);
        let tags = Tags::new(spec.project_id.clone(), alarm_name.clone());
        let mut put = c
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(&alarm_name)
            .alarm_description(format!(
                "rift alert {}: {} {} {} for {} min on {name}",
                spec.name,
                spec.metric,
                match spec.comparison {
                    Comparison::Above => "above",
                    Comparison::Below => "below",
                },
                spec.threshold,
                spec.minutes
            ))
            .comparison_operator(operator.clone())
            .evaluation_periods(periods)
            .datapoints_to_alarm(periods)
            .treat_missing_data("missing")
            .set_alarm_actions(Some(topics.clone()))
            .set_tags(Some(
                tags.pairs()
                    .iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ));
        put = match &native {
            // rift's unit may be CloudWatch's scaled (latency in ms, TargetResponseTime in s).
            Source::One(n, scale) => put
                .namespace(n.namespace)
                .metric_name(n.metric)
                .dimensions(Dimension::builder().name(n.dimension).value(&value).build())
                .statistic(Statistic::from(n.stat))
                .period(PERIOD_S)
                .threshold(spec.threshold / scale),
            // Two series combined as get_metrics combines them, through metric math.
            Source::Sum(a, b) | Source::Ratio(a, b) => {
                let expression = if matches!(native, Source::Ratio(..)) {
                    "100*a/(a+b)"
                } else {
                    "a+b"
                };
                put.metrics(math_input("a", a, &value))
                    .metrics(math_input("b", b, &value))
                    .metrics(
                        MetricDataQuery::builder()
                            .id("e")
                            .expression(expression)
                            .return_data(true)
                            .build(),
                    )
                    .threshold(spec.threshold)
            }
            Source::Unavailable(_) => put,
        };
        put.send()
            .await
            .map_err(|e| sdk_error("cloudwatch:PutMetricAlarm", e))?;
        alarms.push(CloudAlarm {
            provider: Provider::Aws,
            region: c.region.clone(),
            cloud_id: alarm_name,
            resources: vec![name.clone()],
        });
    }
    Ok(alarms)
}

pub async fn delete(c: &AwsClients, name: &str) -> Result<DeleteOutcome, CloudError> {
    let found = c
        .cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| sdk_error("cloudwatch:DescribeAlarms", e))?;
    if found.metric_alarms().is_empty() {
        return Ok(DeleteOutcome::AlreadyGone);
    }
    c.cloudwatch
        .delete_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| sdk_error("cloudwatch:DeleteAlarms", e))?;
    Ok(DeleteOutcome::Deleted)
}

/// rift's alarms under `prefix` in state ALARM, every page.
pub async fn firing(c: &AwsClients, prefix: &str) -> Result<Vec<FiringAlarm>, CloudError> {
    let mut firing = Vec::new();
    let mut pages = Pages::new("cloudwatch:DescribeAlarms");
    let mut token: Option<String> = None;
    loop {
        let page = c
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(prefix)
            .state_value(StateValue::Alarm)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:DescribeAlarms", e))?;
        // Filtered here too: moto applies only one of DescribeAlarms' filters (the name prefix), and an alarm that
        // is not in ALARM must never open an incident.
        let alarming = page
            .metric_alarms()
            .iter()
            .filter(|a| a.state_value() == Some(&StateValue::Alarm));
        for alarm in alarming {
            if let Some(name) = alarm.alarm_name() {
                firing.push(FiringAlarm {
                    cloud_id: name.to_string(),
                    reason: alarm
                        .state_reason()
                        .unwrap_or("CloudWatch reports the alarm in ALARM")
                        .to_string(),
                });
            }
        }
        token = pages.next(page.next_token())?;
        if token.is_none() {
            return Ok(firing);
        }
    }
}
