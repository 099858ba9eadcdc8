//! Alerts and incidents on DigitalOcean through the rift binary, against the stateful DigitalOcean-shaped server
//! in support/digitalocean.rs: an alert rule becomes one alert policy over the droplets; DigitalOcean keeps no
//! firing state, so rift evaluates the rule on the droplets' memory metrics, opens one incident per droplet
//! (again and again the same one), names the load balancer that depends on it, and resolves it once a reboot —
//! previewed, approved, executed and put on the incident's timeline — clears the metric.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::digitalocean::{Account, Fake, account_reply};
use crate::support::stdio::{Rift, state_path};

const TOKEN: &str = "test-token-not-secret";

fn start_rift(state: &std::path::Path, api_url: &str) -> Rift {
    Rift::start_with(
        state,
        &[
            "--allow-writes",
            "--tools",
            "plan,projects,provision,operate",
        ],
        &[
            ("DIGITALOCEAN_API_URL", api_url),
            ("DIGITALOCEAN_TOKEN", TOKEN),
            ("RIFT_DIGITALOCEAN_WAIT_S", "1"),
            ("NO_PROXY", "127.0.0.1,localhost"),
            ("no_proxy", "127.0.0.1,localhost"),
        ],
    )
}

/// Calls a mutating tool twice: the preview, then with its approval token. Returns (preview, executed).
fn approved(rift: &mut Rift, tool: &str, args: Value) -> (Value, Value) {
    let preview = rift.ok(tool, args.clone());
    assert_eq!(preview["status"], json!("preview"), "{preview}");
    let mut args = args;
    args["approval_token"] = preview["approval_token"].clone();
    let done = rift.ok(tool, args);
    assert_eq!(done["status"], json!("executed"), "{done}");
    (preview, done)
}

// Multi-threaded: the test thread blocks on rift's stdio while the fake cloud answers on another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digitalocean_rule_is_evaluated_into_one_incident_that_a_reboot_resolves() {
    let account = Arc::new(Mutex::new(Account::default()));
    let fake = {
        let account = account.clone();
        Fake::start_for(TOKEN, move |hit, _| account_reply(&account, hit)).await
    };
    let state = state_path("incidents-do");
    let mut rift = start_rift(&state, &fake.url);
    rift.ok(
        "create_project",
        json!({"name": "shop", "cloud_providers": ["digitalocean"],
               "do_config": {"region": "nyc3", "token": "env:DIGITALOCEAN_TOKEN"}}),
    );
    let plan = rift.ok(
        "plan_deployment",
        json!({"name": "shop", "provider": "digitalocean", "regions": {"digitalocean": "nyc3"},
               "components": [{"name": "web", "kind": "web_server", "vcpus": 1, "memory_gb": 1},
                              {"name": "lb", "kind": "load_balancer"}]}),
    );
    approved(
        &mut rift,
        "apply_plan",
        json!({"project_id": "shop", "plan_id": plan["plan_id"]}),
    );
    let web = plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == json!("web_server"))
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();

    // Bad input: each a clear error naming the field and what is valid.
    let rule = json!({"project_id": "shop", "name": "memory-high", "metric": "memory_percent",
                      "comparison": "above", "threshold": 80, "minutes": 5, "kind": "web_server",
                      "notify": ["ops@example.com"]});
    let mut unknown = rule.clone();
    unknown["metric"] = json!("ram");
    let err = rift.refused("create_alert", unknown);
    assert!(
        err.contains("ram") && err.contains("memory_percent"),
        "{err}"
    );
    let mut wrong_type = rule.clone();
    wrong_type["threshold"] = json!("eighty");
    let err = rift.refused("create_alert", wrong_type);
    assert!(err.contains("threshold"), "{err}");
    let mut elsewhere = rule.clone();
    elsewhere.as_object_mut().unwrap().remove("kind");
    elsewhere["resources"] = json!(["blog-web"]);
    let err = rift.refused("create_alert", elsewhere);
    assert!(
        err.contains("\"blog-web\" is not a live resource of project shop") && err.contains(&web),
        "{err}"
    );

    // One policy over the project's droplets, in the shape the spec asks for (digitalocean.rs checks it on
    // Prism); free, so no cost.
    let (preview, _) = approved(&mut rift, "create_alert", rule);
    assert_eq!(preview["monthly_cost_delta"], json!(0.0), "{preview}");
    assert!(
        preview["changes"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("alarm {web} (digitalocean web_server, nyc3)")),
        "{preview}"
    );
    let policies = account.lock().unwrap().alert_policies.clone();
    assert_eq!(policies.len(), 1, "{policies:?}");
    assert_eq!(
        policies[0]["type"],
        json!("v1/insights/droplet/memory_utilization_percent")
    );
    assert_eq!(policies[0]["description"], json!("rift/shop/memory-high"));
    let listed = rift.ok("list_alerts", json!({"project_id": "shop"}));
    assert_eq!(listed["alerts"][0]["resources"], json!([web]));

    // Memory at 20 %: nothing fires.
    let quiet = rift.ok("list_incidents", json!({"project_id": "shop"}));
    assert_eq!(quiet["incidents"], json!([]), "{quiet}");

    // A leak: 95 % for longer than the rule's 5 minutes. One incident, however often it is checked.
    let droplet: u64 = {
        let account = account.lock().unwrap();
        account.droplets[0]["id"].as_u64().unwrap()
    };
    account.lock().unwrap().memory_used.insert(droplet, 0.95);
    let firing = rift.ok("list_incidents", json!({"project_id": "shop"}));
    let again = rift.ok("list_incidents", json!({"project_id": "shop"}));
    assert_eq!(firing["incidents"].as_array().unwrap().len(), 1, "{firing}");
    assert_eq!(again["incidents"], firing["incidents"]);
    let incident = &firing["incidents"][0];
    let id = incident["id"].as_str().unwrap().to_string();
    assert_eq!(incident["state"], json!("open"));
    assert_eq!(incident["resource"], json!(web));
    assert!(
        incident["reason"]
            .as_str()
            .unwrap()
            .contains("rift evaluated memory_percent"),
        "{incident}"
    );
    // Correlated through the dependency graph: the load balancer in front depends on the droplet.
    let affects = incident["affects"].to_string();
    assert!(affects.contains("lb"), "{incident}");

    // The project's health: per cloud, what it holds and what is alerting; also a resource.
    let view = rift.ok("get_project", json!({"project_id": "shop"}));
    let health = &view["health"][0];
    assert_eq!(
        (
            &health["provider"],
            &health["open_incidents"],
            &health["resources"]["created"]
        ),
        (&json!("digitalocean"), &json!(1), &json!(4)),
        "{health}"
    );
    assert!(
        health["alerting"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("memory_percent on {web} (web_server): open since")),
        "{health}"
    );
    let templates = rift.request("resources/templates/list", json!({}));
    assert!(
        templates
            .to_string()
            .contains("rift://projects/{project_id}/health"),
        "{templates}"
    );
    let read = rift.request(
        "resources/read",
        json!({"uri": "rift://projects/shop/health"}),
    );
    let text = read["result"]["contents"][0]["text"].as_str().unwrap();
    let resource: Value = serde_json::from_str(text).unwrap();
    assert_eq!(resource["incidents"][0]["id"], json!(id), "{resource}");
    assert_eq!(resource["clouds"], view["health"]);

    let acked = rift.ok(
        "acknowledge_incident",
        json!({"project_id": "shop", "incident_id": id}),
    );
    assert_eq!(acked["incident"]["state"], json!("acknowledged"));
    assert!(acked["incident"]["acknowledged_at"].is_string(), "{acked}");
    let remedies: Vec<&str> = acked["remedies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["remedy"].as_str().unwrap())
        .collect();
    assert_eq!(remedies, ["reboot", "resize_up"], "{acked}");

    // The reboot: previewed with its cost and the policy's verdict, approved, executed, on the timeline.
    let (preview, done) = approved(
        &mut rift,
        "remediate",
        json!({"project_id": "shop", "incident_id": id, "remedy": "reboot"}),
    );
    assert_eq!(preview["monthly_cost_delta"], json!(0.0));
    assert!(
        preview["policy"].as_str().unwrap().starts_with("allowed"),
        "{preview}"
    );
    assert!(
        done["changes"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("rebooted {web}")),
        "{done}"
    );
    assert_eq!(
        fake.count(&Method::POST, &format!("/v2/droplets/{droplet}/actions")),
        1
    );
    let resized = rift.ok(
        "remediate",
        json!({"project_id": "shop", "incident_id": id, "remedy": "resize_up"}),
    );
    assert!(
        resized["changes"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("resize {web}")),
        "{resized}"
    );
    assert!(
        resized["monthly_cost_delta"].as_f64().unwrap() > 0.0,
        "{resized}"
    );

    // The metric cleared: the next check resolves the incident.
    let after = rift.ok(
        "list_incidents",
        json!({"project_id": "shop", "resolved": true}),
    );
    let resolved = &after["incidents"][0];
    assert_eq!(resolved["state"], json!("resolved"), "{after}");
    let timeline = resolved["timeline"].to_string();
    for event in [
        "opened",
        "acknowledged by",
        "remediate change-",
        "resolved: the source cleared",
    ] {
        assert!(timeline.contains(event), "{event}: {timeline}");
    }
    let err = rift.refused(
        "remediate",
        json!({"project_id": "shop", "incident_id": id, "remedy": "reboot"}),
    );
    assert!(err.contains("resolved"), "{err}");

    // Deleting the rule removes its policy.
    approved(
        &mut rift,
        "delete_alert",
        json!({"project_id": "shop", "name": "memory-high"}),
    );
    assert!(account.lock().unwrap().alert_policies.is_empty());
    assert_eq!(
        rift.ok("list_alerts", json!({"project_id": "shop"}))["alerts"],
        json!([])
    );
    rift.stop();
}
