//! The change workflow against the in-process cloud, without an MCP server: proposals, policy, approval,
//! execution in the background, and what the store records.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::cloud::memory::MemoryCloud;
use crate::model::{DeploymentRequest, Policy};
use crate::project::NewProject;
use crate::store::{ChangeState, ResourceState};

const WAIT: Duration = Duration::from_secs(30);

fn changes(name: &str, cloud: &Arc<MemoryCloud>) -> Changes {
    let settings = Settings {
        state_path: crate::store::testing::state("change", name),
        allow_writes: true,
        ..Settings::default()
    };
    let store = Store::new(settings.state_path.clone());
    Changes::new(
        store,
        cloud.clouds(),
        PriceBook::default(),
        Arc::new(settings),
    )
}

fn new_project(changes: &Changes, providers: Vec<Provider>, policy: Option<Policy>) {
    changes
        .projects()
        .create(
            NewProject {
                name: "shop".into(),
                cloud_providers: providers,
                aws_config: None,
                do_config: None,
                monthly_budget_usd: Some(200.0),
                policy,
            },
            None,
        )
        .unwrap();
}

fn plan(request: serde_json::Value) -> Plan {
    let request: DeploymentRequest = serde_json::from_value(request).unwrap();
    crate::planner::plan(&request).unwrap()
}

fn web(name: &str, provider: &str) -> Plan {
    plan(json!({"name": "shop", "provider": provider,
                "components": [{"name": name, "kind": "web_server", "size":
                    if provider == "aws" { "t3.micro" } else { "s-1vcpu-1gb" }}]}))
}

fn request(change: Change, token: Option<String>) -> Request {
    Request {
        tool: "apply_plan",
        project_id: "shop".into(),
        change,
        arguments: json!({"the": "arguments"}),
        approval_token: token,
        client: Some("tests".into()),
    }
}

/// Propose, take the token, propose again with it, execute: what the two tool calls do.
async fn approve_and_run(changes: &Changes, change: Change) -> Outcome {
    let preview = changes.propose(request(change.clone(), None)).unwrap();
    let token = changes.issue(&preview).unwrap().token;
    let proposal = changes
        .propose(request(change, Some(token.clone())))
        .unwrap();
    changes
        .execute(proposal, Approval::Token(token), None, WAIT)
        .await
        .unwrap()
}

fn cost(changes: &Changes) -> Micros {
    crate::project::monthly_cost(&changes.store.resources("shop").unwrap())
}

#[tokio::test]
async fn a_resource_goes_through_its_whole_life_under_approval() {
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let changes = changes("life", &cloud);
    new_project(&changes, vec![Provider::Aws], None);
    let create = Change::Create {
        plan: web("web", "aws"),
    };

    let preview = changes.propose(request(create.clone(), None)).unwrap();
    assert_eq!(cloud.lock().made, 0, "a proposal created something");
    assert!(preview.cost_delta.is_positive());
    assert!(
        preview
            .lines()
            .iter()
            .any(|l| l.starts_with("create shop-web (aws web_server, us-east-1, t3.micro) $")),
        "{:?}",
        preview.lines()
    );

    // A token approves exactly the previewed request: other arguments, or a second use, are refused.
    let token = changes.issue(&preview).unwrap().token;
    let mut other = request(create.clone(), Some(token.clone()));
    other.arguments = json!({"other": true});
    let proposal = changes.propose(other).unwrap();
    let refused = changes
        .execute(proposal, Approval::Token(token.clone()), None, WAIT)
        .await
        .unwrap_err();
    assert!(matches!(refused, ChangeError::Approval(_)), "{refused}");
    let proposal = changes
        .propose(request(create.clone(), Some(token.clone())))
        .unwrap();
    let done = changes
        .execute(proposal, Approval::Token(token.clone()), None, WAIT)
        .await
        .unwrap();
    assert_eq!(done.state, ChangeState::Succeeded, "{:?}", done.steps);
    assert_eq!(done.cost_delta, preview.cost_delta);
    let made = cloud.lock().made;
    assert_eq!(made as usize, preview.steps.len());
    assert_eq!(cost(&changes), preview.cost_now + preview.cost_delta);
    let recorded = changes.get(&done.change_id).unwrap();
    assert_eq!(recorded.state, ChangeState::Succeeded);
    assert_eq!(recorded.steps, done.steps);

    // The same request again: everything exists, nothing to add, nothing created.
    let again = approve_and_run(&changes, create).await;
    assert!(
        again.steps.iter().all(|s| s.starts_with("exists ")),
        "{:?}",
        again.steps
    );
    assert_eq!(again.cost_delta, Micros::ZERO);
    assert_eq!(cloud.lock().made, made);

    // Resize: recorded through the engine, priced at the new size.
    let before = cost(&changes);
    let resized = approve_and_run(
        &changes,
        Change::Resize {
            name: "shop-web".into(),
            to: Resize {
                size: Some("t3.small".into()),
                storage_gb: None,
            },
        },
    )
    .await;
    assert_eq!(resized.state, ChangeState::Succeeded, "{}", resized.message);
    assert!(resized.cost_delta.is_positive());
    assert_eq!(cost(&changes), before + resized.cost_delta);
    let web = changes.store.resource("shop", "shop-web").unwrap().unwrap();
    assert_eq!(web.size.as_deref(), Some("t3.small"));
    assert_eq!(web.pending, None);

    // The network cannot go while the server depends on it; the server can.
    let network = changes
        .store
        .resources("shop")
        .unwrap()
        .into_iter()
        .find(|r| r.kind == ResourceKind::Network)
        .unwrap();
    let refused = changes
        .propose(request(Change::Delete { name: network.name }, None))
        .unwrap_err();
    assert!(refused.to_string().contains("is needed by"), "{refused}");
    let delete = Change::Delete {
        name: "shop-web".into(),
    };
    let deleted = approve_and_run(&changes, delete.clone()).await;
    assert!(
        deleted.message.starts_with("deleted shop-web"),
        "{}",
        deleted.message
    );
    let web = changes.store.resource("shop", "shop-web").unwrap().unwrap();
    assert_eq!(web.state, ResourceState::Deleted);
    assert_eq!(
        web.monthly_cost,
        Some(0.0),
        "a deleted resource costs nothing"
    );

    // Deleting it again is a success with nothing to do, and needs no approval.
    let again = changes.propose(request(delete, None)).unwrap();
    assert!(again.is_noop());
    let outcome = changes
        .execute(again, Approval::User, None, WAIT)
        .await
        .unwrap();
    assert!(
        outcome.message.contains("already deleted"),
        "{}",
        outcome.message
    );
}

#[tokio::test]
async fn the_hourly_cap_stops_a_runaway_loop() {
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let changes = changes("runaway", &cloud);
    let policy = Policy {
        max_creations_per_hour: Some(3),
        ..Policy::default()
    };
    new_project(&changes, vec![Provider::Aws], Some(policy));
    approve_and_run(
        &changes,
        Change::Create {
            plan: web("web", "aws"),
        },
    )
    .await;
    let created = cloud.lock().made;
    let refused = changes
        .propose(request(
            Change::Create {
                plan: web("web2", "aws"),
            },
            None,
        ))
        .unwrap_err();
    let message = refused.to_string();
    assert!(matches!(refused, ChangeError::Refused(_)), "{message}");
    assert!(
        message.contains("policy max_creations_per_hour"),
        "{message}"
    );
    assert!(
        message.contains(&format!("{created} created in the last hour")),
        "{message}"
    );
}

#[tokio::test]
async fn the_same_name_on_the_other_cloud_is_a_clash_not_an_existing_resource() {
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let changes = changes("clash", &cloud);
    new_project(&changes, vec![Provider::Aws, Provider::Digitalocean], None);
    approve_and_run(
        &changes,
        Change::Create {
            plan: web("web", "digitalocean"),
        },
    )
    .await;
    let clash = changes
        .propose(request(
            Change::Create {
                plan: web("web", "aws"),
            },
            None,
        ))
        .unwrap_err();
    let message = clash.to_string();
    assert!(
        message.contains("shop-web is already a digitalocean web_server in nyc3")
            && message.contains("another name"),
        "{message}"
    );
}

#[tokio::test]
async fn an_apply_that_creates_nothing_is_a_failed_change() {
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    cloud.lock().fail.insert("shop-do-vpc".into());
    let changes = changes("failed", &cloud);
    new_project(&changes, vec![Provider::Digitalocean], None);
    let outcome = approve_and_run(
        &changes,
        Change::Create {
            plan: web("web", "digitalocean"),
        },
    )
    .await;
    assert_eq!(outcome.state, ChangeState::Failed, "{:?}", outcome.steps);
    assert!(
        outcome.message.starts_with("failed: nothing was created"),
        "{}",
        outcome.message
    );
    assert_eq!(
        outcome.cost_delta,
        Micros::ZERO,
        "nothing made costs nothing"
    );
    assert_eq!(cost(&changes), Micros::ZERO);
}

#[tokio::test]
async fn a_long_change_answers_at_once_and_runs_on_until_cancelled_or_done() {
    let cloud = MemoryCloud::with_delay(Duration::from_millis(400));
    let changes = changes("long", &cloud);
    new_project(&changes, vec![Provider::Aws], None);
    let create = Change::Create {
        plan: plan(json!({"name": "shop", "provider": "aws", "components": [
            {"name": "web", "kind": "web_server", "size": "t3.micro", "count": 3}]})),
    };
    let preview = changes.propose(request(create.clone(), None)).unwrap();
    let token = changes.issue(&preview).unwrap().token;
    let proposal = changes
        .propose(request(create, Some(token.clone())))
        .unwrap();
    let started = std::time::Instant::now();
    let outcome = changes
        .execute(
            proposal,
            Approval::Token(token),
            None,
            Duration::from_millis(50),
        )
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(outcome.state, ChangeState::Running, "{}", outcome.message);
    assert!(
        outcome.message.contains("get_change"),
        "{}",
        outcome.message
    );
    assert_eq!(
        changes.get(&outcome.change_id).unwrap().state,
        ChangeState::Running
    );
    // Cancelled while the network is being created: nothing more starts, what ran is recorded.
    changes.cancel(&outcome.change_id).unwrap();
    let mut record = changes.get(&outcome.change_id).unwrap();
    for _ in 0..100 {
        if record.state.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        record = changes.get(&outcome.change_id).unwrap();
    }
    assert_eq!(record.state, ChangeState::Cancelled, "{record:?}");
    assert!(
        record.steps.iter().any(|s| s.starts_with("skipped ")),
        "{:?}",
        record.steps
    );
    assert!(cloud.lock().made < 4, "a cancelled change went on creating");
    let again = changes.cancel(&outcome.change_id).unwrap_err();
    assert!(again.to_string().contains("already ended"), "{again}");
    let unknown = changes.get("change-nope").unwrap_err();
    assert!(
        unknown.to_string().starts_with("change_id: no change"),
        "{unknown}"
    );
}

#[tokio::test]
async fn a_change_whose_process_ended_is_marked_interrupted() {
    let cloud = MemoryCloud::with_delay(Duration::from_millis(1));
    let changes = changes("interrupted", &cloud);
    new_project(&changes, vec![Provider::Aws], None);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    // What a killed process leaves: a running change owned by a pid that no longer exists ...
    let gone = format!("{}:{}:00", host.trim(), u32::MAX);
    changes
        .store
        .insert_change("change-old", "shop", "apply_plan", &[], None, &gone)
        .unwrap();
    // ... while one of a live process (pid 1 always runs) is left alone.
    let alive = format!("{}:1:00", host.trim());
    changes
        .store
        .insert_change("change-live", "shop", "apply_plan", &[], None, &alive)
        .unwrap();
    let record = changes.get("change-old").unwrap();
    assert_eq!(record.state, ChangeState::Interrupted);
    assert!(
        record.message.contains("call the same tool again"),
        "{}",
        record.message
    );
    assert_eq!(
        changes.get("change-live").unwrap().state,
        ChangeState::Running
    );
    // Another machine's change is judged by its heartbeat only.
    let elsewhere = "another-host:42:00";
    changes
        .store
        .insert_change("change-far", "shop", "apply_plan", &[], None, elsewhere)
        .unwrap();
    assert_eq!(
        changes.get("change-far").unwrap().state,
        ChangeState::Running
    );
}
