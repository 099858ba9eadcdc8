//! The engine against the in-process cloud: order, overlap, failure, idempotency, cancellation, crash + reconcile.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::cloud::memory::MemoryCloud;
use crate::config::DEFAULT_APPLY_CONCURRENCY;
use crate::model::AwsConfig;
use crate::model::DeploymentRequest;
use crate::policy::Policy;
use crate::store::ResourceState;

fn store(name: &str) -> Store {
    Store::new(crate::store::testing::state("engine", name))
}

fn project(store: &Store) -> Project {
    let project = Project {
        id: "shop".into(),
        name: "shop".into(),
        cloud_providers: vec![Provider::Aws],
        aws_config: Some(AwsConfig {
            region: "us-east-1".into(),
            vpc_id: None,
            credentials: None,
        }),
        do_config: None,
        monthly_budget_usd: None,
        policy: Policy::default(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    store.insert_project(&project).unwrap();
    project
}

fn plan(request: serde_json::Value) -> Plan {
    let request: DeploymentRequest = serde_json::from_value(request).unwrap();
    crate::planner::plan(&request).unwrap()
}

fn web_and_db() -> Plan {
    plan(json!({"name": "shop", "provider": "aws", "components": [
        {"name": "web", "kind": "web_server", "count": 2, "vcpus": 2, "memory_gb": 4},
        {"name": "db", "kind": "database", "engine": "postgres"},
        {"name": "lb", "kind": "load_balancer"}]}))
}

fn buckets(n: usize) -> Plan {
    let components: Vec<_> = (0..n)
        .map(|i| json!({"name": format!("b{i}"), "kind": "object_storage"}))
        .collect();
    plan(json!({"name": "shop", "provider": "aws", "components": components}))
}

async fn apply(engine: &Engine, project: &Project, plan: &Plan) -> ApplyReport {
    let hold = engine.hold(&project.id).await.unwrap();
    engine
        .apply(
            project,
            plan,
            &BTreeMap::new(),
            &hold,
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn resources_are_created_after_their_dependencies_with_their_records() {
    let store = store("order");
    let project = project(&store);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(5));
    let engine = Engine::new(store.clone(), cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let plan = web_and_db();
    let report = apply(&engine, &project, &plan).await;
    assert!(report.complete(), "{report:?}");
    assert_eq!(report.created.len(), plan.resources.len());
    let started = cloud.lock().started.clone();
    for r in &plan.resources {
        let at = started.iter().position(|n| *n == r.name).unwrap();
        for dep in &r.depends_on {
            let dep_at = started.iter().position(|n| n == dep).unwrap();
            assert!(
                dep_at < at,
                "{} started before its dependency {dep}",
                r.name
            );
        }
    }
    for row in store.resources("shop").unwrap() {
        assert_eq!(row.state, ResourceState::Created, "{}", row.name);
        assert!(row.cloud_id.as_deref().unwrap().starts_with("mem-"));
    }
}

#[tokio::test]
async fn independent_resources_overlap_within_the_bound() {
    let store = store("overlap");
    let project = project(&store);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(60));
    let engine = Engine::new(store, cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let plan = buckets(8);
    let started = std::time::Instant::now();
    let report = apply(&engine, &project, &plan).await;
    assert_eq!(report.created.len(), 8);
    let max = cloud.lock().max_in_flight;
    assert_eq!(
        max as usize, DEFAULT_APPLY_CONCURRENCY,
        "creates in flight at once"
    );
    // Eight 60 ms creates four at a time take about two rounds, not eight.
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_bound_is_the_one_the_engine_was_given() {
    for bound in [1, 2] {
        let store = store(&format!("bound-{bound}"));
        let project = project(&store);
        let cloud = MemoryCloud::with_delay(Duration::from_millis(5));
        let engine = Engine::new(store, cloud.clouds(), bound);
        let report = apply(&engine, &project, &buckets(6)).await;
        assert_eq!(report.created.len(), 6, "{report:?}");
        assert_eq!(cloud.lock().max_in_flight as usize, bound);
    }
}

#[tokio::test]
async fn a_failure_stops_its_dependents_and_the_store_tells_the_truth() {
    let store = store("failure");
    let project = project(&store);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let plan = web_and_db();
    let network = plan
        .resources
        .iter()
        .find(|r| r.kind == crate::model::ResourceKind::Network)
        .unwrap()
        .name
        .clone();
    cloud.lock().fail.insert(network.clone());
    let engine = Engine::new(store.clone(), cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let report = apply(&engine, &project, &plan).await;
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].reason.contains("InsufficientCapacity"),
        "{report:?}"
    );
    assert!(report.failed[0].reason.contains("req-1"));
    // Everything needs the network, directly or through a firewall.
    assert_eq!(
        report.created.len() + report.skipped.len() + 1,
        plan.resources.len()
    );
    assert!(report.skipped.iter().any(|s| s.reason.contains(&network)));
    let rows = store.resources("shop").unwrap();
    let net = rows.iter().find(|r| r.name == network).unwrap();
    assert_eq!(net.state, ResourceState::Failed);
    assert!(net.error.as_deref().unwrap().contains("no capacity"));
    for s in &report.skipped {
        assert!(
            rows.iter().all(|r| r.name != s.name),
            "{} was recorded though skipped",
            s.name
        );
    }
    assert_eq!(cloud.lock().made as usize, report.created.len());
}

#[tokio::test]
async fn re_applying_creates_nothing_twice() {
    let store = store("idempotent");
    let project = project(&store);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let engine = Engine::new(store.clone(), cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let plan = web_and_db();
    apply(&engine, &project, &plan).await;
    let made = cloud.lock().made;
    let again = apply(&engine, &project, &plan).await;
    assert!(again.created.is_empty(), "{again:?}");
    assert_eq!(again.existing.len(), plan.resources.len());
    assert_eq!(cloud.lock().made, made);
}

#[tokio::test]
async fn cancellation_starts_nothing_new_and_says_so() {
    let store = store("cancel");
    let project = project(&store);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let engine = Engine::new(store.clone(), cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let hold = engine.hold(&project.id).await.unwrap();
    let report = engine
        .apply(&project, &buckets(3), &BTreeMap::new(), &hold, None, cancel)
        .await
        .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.skipped.len(), 3);
    assert_eq!(cloud.lock().made, 0);
    assert!(store.resources("shop").unwrap().is_empty());
}

#[tokio::test]
async fn progress_counts_up_to_the_total() {
    let store = store("progress");
    let project = project(&store);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let engine = Engine::new(store, cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let seen: Arc<Mutex<Vec<(u32, u32, String)>>> = Arc::default();
    let sink = seen.clone();
    let reporter: Reporter =
        Arc::new(move |done, total, m| sink.lock().unwrap().push((done, total, m)));
    let hold = engine.hold(&project.id).await.unwrap();
    engine
        .apply(
            &project,
            &buckets(2),
            &BTreeMap::new(),
            &hold,
            Some(reporter),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.iter().all(|(_, total, _)| *total == 2));
    assert_eq!(seen.last().unwrap().0, 2);
    assert!(
        seen.iter().any(|(_, _, m)| m.ends_with(": waiting")),
        "{seen:?}"
    );
}

/// The process dies after recording *intended* (once after the cloud made the resource, once before): a new
/// process on the same state file reconciles, and the next apply creates only what is missing.
#[tokio::test]
async fn a_crash_between_intended_and_created_is_reconciled() {
    let first = store("crash");
    let project = project(&first);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let plan = buckets(2);
    let (made_it, lost) = (&plan.resources[0], &plan.resources[1]);
    first
        .record_intended("shop", Some(&plan.plan_id), made_it, Some(0.5))
        .unwrap();
    first
        .record_intended("shop", Some(&plan.plan_id), lost, None)
        .unwrap();
    // The cloud finished the first create; the process died before recording it.
    let ctx = CreateContext {
        project_id: "shop".into(),
        plan_name: plan.name.clone(),
        dependencies: BTreeMap::new(),
        idempotency_key: idempotency_key("shop", &made_it.name),
        progress: Progress::none(),
    };
    crate::cloud::Cloud::create(cloud.as_ref(), &ctx, made_it)
        .await
        .unwrap();
    drop(first);

    let restarted = Store::new(crate::store::testing::state_reopened("engine", "crash"));
    let report = reconcile(&restarted, &cloud.clouds(), &project)
        .await
        .unwrap();
    assert_eq!(report.found, vec![made_it.name.clone()]);
    assert_eq!(report.interrupted, vec![lost.name.clone()]);
    let row = restarted.resource("shop", &made_it.name).unwrap().unwrap();
    assert_eq!(row.state, ResourceState::Created);
    assert_eq!(row.monthly_cost, Some(0.5));
    assert_eq!(
        restarted
            .resource("shop", &lost.name)
            .unwrap()
            .unwrap()
            .state,
        ResourceState::Failed
    );

    let engine = Engine::new(restarted, cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let again = apply(&engine, &project, &plan).await;
    assert_eq!(again.created.len(), 1);
    assert_eq!(again.existing.len(), 1);
    assert_eq!(cloud.lock().made, 2);
}

#[tokio::test]
async fn reconcile_marks_resources_deleted_behind_rifts_back_as_gone() {
    let store = store("gone");
    let project = project(&store);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let engine = Engine::new(store.clone(), cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let plan = buckets(1);
    apply(&engine, &project, &plan).await;
    cloud.lock().resources.clear();
    let report = reconcile(&store, &cloud.clouds(), &project).await.unwrap();
    assert_eq!(report.gone, vec![plan.resources[0].name.clone()]);
    assert_eq!(
        store
            .resource("shop", &plan.resources[0].name)
            .unwrap()
            .unwrap()
            .state,
        ResourceState::Gone
    );
}

#[tokio::test]
async fn concurrent_applies_to_one_project_never_create_twice() {
    let store = store("concurrent");
    let project = project(&store);
    let cloud = MemoryCloud::with_delay(Duration::from_millis(30));
    let engine = Engine::new(store, cloud.clouds(), DEFAULT_APPLY_CONCURRENCY);
    let plan = buckets(3);
    let (a, b) = tokio::join!(
        apply(&engine, &project, &plan),
        apply(&engine, &project, &plan)
    );
    assert_eq!(cloud.lock().made, 3);
    assert_eq!(a.created.len() + b.created.len(), 3);
    assert_eq!(a.existing.len() + b.existing.len(), 3);
}

/// The hourly cap counts every creation started, not the distinct names: a create, delete, create loop of one
/// name counts each time, so it cannot run forever under the cap.
#[test]
fn every_creation_counts_toward_the_hourly_cap() {
    let store = store("cap");
    project(&store);
    let plan = buckets(1);
    let bucket = &plan.resources[0];
    let since = crate::store::now() - 60;
    for round in 1..=3 {
        store
            .record_intended("shop", Some(&plan.plan_id), bucket, None)
            .unwrap();
        store.mark_deleted("shop", &bucket.name).unwrap();
        assert_eq!(store.creations_since("shop", since).unwrap(), round);
    }
}
