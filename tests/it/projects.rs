//! Projects, policy and approve-then-apply through the real binary over stdio (newline-delimited JSON-RPC):
//! writes off hides the mutating tools, previews change nothing, tokens bind one request in one project and work
//! once, policy refusals name the rule and numbers, state survives a restart, and raw secrets are refused
//! without ever reaching an answer, the log or the state file.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::stdio::Rift as Server;

const DO_TOKEN: &str = "dop_v1_4f2c9a7e1b3d5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef";

fn state_path(name: &str) -> PathBuf {
    crate::support::stdio::state_path(&format!("projects-{name}"))
}

const MUTATING: [&str; 11] = [
    "apply_plan",
    "create_instance",
    "create_database",
    "create_load_balancer",
    "create_volume",
    "create_bucket",
    "create_network",
    "create_firewall",
    "create_cache",
    "resize_resource",
    "delete_resource",
];

fn two_cloud_project(server: &mut Server, name: &str) -> Value {
    server.ok(
        "create_project",
        json!({"name": name, "cloud_providers": ["digitalocean", "aws"],
               "aws_config": {"region": "us-east-1", "credentials": "default"},
               "do_config": {"region": "nyc3", "token": "env:DIGITALOCEAN_TOKEN"},
               "monthly_budget_usd": 500}),
    )
}

fn shop_plan(server: &mut Server) -> String {
    let plan = server.ok(
        "plan_deployment",
        json!({"name": "shop", "regions": {"aws": "us-east-1", "digitalocean": "nyc3"}, "components": [
            {"name": "web", "kind": "web_server", "provider": "digitalocean", "vcpus": 2, "memory_gb": 4},
            {"name": "db", "kind": "database", "provider": "aws", "engine": "postgres"}]}),
    );
    plan["plan_id"].as_str().unwrap().to_string()
}

#[test]
fn with_writes_off_the_mutating_tools_do_not_exist() {
    let state = state_path("writes-off");
    let mut server = Server::start(&state, false);
    let names = server.tool_names();
    for tool in [
        "create_project",
        "get_project",
        "list_projects",
        "update_project",
        "list_resources",
        "get_resource",
    ] {
        assert!(
            names.iter().any(|n| n == tool),
            "{tool} missing from {names:?}"
        );
    }
    for tool in MUTATING {
        assert!(
            !names.iter().any(|n| n == tool),
            "{tool} listed with writes off"
        );
    }
    two_cloud_project(&mut server, "shop");
    let message = server.refused(
        "apply_plan",
        json!({"project_id": "shop", "plan_id": "plan-x"}),
    );
    assert!(message.contains("--allow-writes"), "{message}");
    server.stop();
}

#[test]
fn a_preview_changes_nothing_and_its_token_works_once_for_exactly_that_request() {
    let state = state_path("approve");
    let mut server = Server::start(&state, true);
    let names = server.tool_names();
    for tool in MUTATING {
        assert!(
            names.iter().any(|n| n == tool),
            "{tool} not listed with writes on"
        );
    }
    let project = two_cloud_project(&mut server, "shop");
    assert_eq!(project["cloud_providers"], json!(["digitalocean", "aws"]));
    assert_eq!(
        project["do_config"]["token"],
        json!("env:DIGITALOCEAN_TOKEN")
    );
    two_cloud_project(&mut server, "blog");
    let plan_id = shop_plan(&mut server);

    let preview = server.ok(
        "apply_plan",
        json!({"project_id": "shop", "plan_id": plan_id}),
    );
    assert_eq!(preview["status"], json!("preview"));
    let token = preview["approval_token"].as_str().unwrap().to_string();
    assert!(
        preview["monthly_cost_delta"].as_f64().unwrap() > 0.0,
        "{preview}"
    );
    let policy = preview["policy"].as_str().unwrap();
    assert!(policy.contains("$0.00/month now"), "{policy}");
    assert!(preview["policy"].as_str().unwrap().starts_with("allowed"));
    let changes: Vec<&str> = preview["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        changes.iter().all(|c| c.starts_with("create shop-")),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.contains("(aws database, us-east-1, db.")),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.contains("(digitalocean web_server, nyc3, s-2vcpu-4gb) $")),
        "{changes:?}"
    );
    let project = server.ok("get_project", json!({"project_id": "shop"}));
    assert_eq!(project["monthly_cost"], json!(0.0));
    assert!(
        project["providers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["resources"] == json!([]))
    );

    // A different request, another project, a forged token: refused, and none of them uses the token up.
    let other_plan = server.ok(
        "plan_deployment",
        json!({"name": "shop", "provider": "aws", "components": [{"name": "files", "kind": "object_storage"}]}),
    )["plan_id"]
        .as_str()
        .unwrap()
        .to_string();
    let message = server.refused(
        "apply_plan",
        json!({"project_id": "shop", "plan_id": other_plan, "approval_token": token}),
    );
    assert!(message.contains("arguments differ"), "{message}");
    let message = server.refused(
        "apply_plan",
        json!({"project_id": "blog", "plan_id": plan_id, "approval_token": token}),
    );
    assert!(message.contains("issued for project \"shop\""), "{message}");
    let message = server.refused(
        "apply_plan",
        json!({"project_id": "shop", "plan_id": plan_id, "approval_token": "rift-approval.1.2.3"}),
    );
    assert!(message.contains("not a token rift issued"), "{message}");

    // The approved call executes. No DigitalOcean token is set, so the droplet side fails and says which
    // variable to set; nothing was created, so the answer is an error result; the store records the failure
    // truthfully.
    let failed = server.refused(
        "apply_plan",
        json!({"project_id": "shop", "plan_id": plan_id, "approval_token": token}),
    );
    assert!(
        failed.starts_with("failed: nothing was created"),
        "{failed}"
    );
    assert!(
        failed
            .lines()
            .any(|line| line.starts_with("- failed ") && line.contains("DIGITALOCEAN_TOKEN")),
        "{failed}"
    );

    let message = server.refused(
        "apply_plan",
        json!({"project_id": "shop", "plan_id": plan_id, "approval_token": token}),
    );
    assert!(message.contains("already used"), "{message}");

    let project = server.ok("get_project", json!({"project_id": "shop"}));
    let activity: Vec<&str> = project["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert!(
        project["activity"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["client"] == json!("it")),
        "the activity log names the client"
    );
    assert!(
        activity.contains(&"refused") && activity.contains(&"approved"),
        "{activity:?}"
    );
    server.stop();

    // Everything survives a restart: the project, its resources and the plan.
    let mut server = Server::start(&state, true);
    let listed = server.ok("list_projects", json!({}));
    assert_eq!(listed["projects"].as_array().unwrap().len(), 2);
    let again = server.ok(
        "apply_plan",
        json!({"project_id": "shop", "plan_id": plan_id}),
    );
    assert_eq!(again["status"], json!("preview"));
    server.stop();
}

#[test]
fn policy_refusals_name_the_rule_and_the_numbers() {
    let state = state_path("policy");
    let mut server = Server::start(&state, true);
    server.ok(
        "create_project",
        json!({"name": "tight", "cloud_providers": ["aws"], "monthly_budget_usd": 20,
               "policy": {"sizes": ["t3.micro", "t3.small"]}}),
    );
    let message = server.refused(
        "create_instance",
        json!({"project_id": "tight", "provider": "aws", "name": "web", "size": "t3.xlarge"}),
    );
    assert!(
        message.contains("policy sizes") && message.contains("t3.xlarge"),
        "{message}"
    );
    assert!(message.contains("t3.micro, t3.small"), "{message}");
    assert!(
        message.contains("policy monthly_budget") && message.contains("$20.00/month"),
        "{message}"
    );

    let message = server.refused(
        "create_instance",
        json!({"project_id": "tight", "provider": "digitalocean", "name": "web"}),
    );
    assert!(message.contains("update_project"), "{message}");

    // The mapping is checked before anything else.
    let message = server.refused(
        "create_database",
        json!({"project_id": "tight", "provider": "aws", "name": "db", "engine": "postgres", "version": "7"}),
    );
    assert!(
        message.contains("version") && message.contains("16"),
        "{message}"
    );

    let preview = server.ok(
        "create_instance",
        json!({"project_id": "tight", "provider": "aws", "name": "web", "size": "t3.micro"}),
    );
    assert_eq!(preview["status"], json!("preview"));
    server.stop();
}

#[test]
fn raw_secrets_are_refused_and_never_echoed_logged_or_stored() {
    let state = state_path("secrets");
    let mut server = Server::start(&state, true);
    let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let attempts = [
        (
            "create_project",
            json!({"name": "leak", "cloud_providers": ["digitalocean"],
                                   "do_config": {"region": "nyc3", "token": DO_TOKEN}}),
        ),
        (
            "create_project",
            json!({"name": "leak", "cloud_providers": ["aws"],
                                   "aws_config": {"region": "us-east-1", "credentials": aws_secret}}),
        ),
        (
            "create_project",
            json!({"name": "leak", "cloud_providers": ["aws"],
                                   "aws_config": {"region": "us-east-1", "credentials": "AKIAIOSFODNN7EXAMPLE"}}),
        ),
        (
            "plan_deployment",
            json!({"name": "x", "components": [{"name": DO_TOKEN, "kind": "web_server"}]}),
        ),
        // The common leak format: a line of an env file or a shell script pasted into an argument.
        (
            "create_instance",
            json!({"project_id": "ok", "provider": "aws", "name": "web", "size": "t3.micro",
                   "user_data": format!("#!/bin/sh\nexport AWS_SECRET_ACCESS_KEY={aws_secret}\n")}),
        ),
        (
            "plan_deployment",
            json!({"name": "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "components": []}),
        ),
    ];
    let mut seen = String::new();
    for (tool, args) in attempts {
        let message = server.refused(tool, args);
        assert!(
            message.contains("env:") || message.contains("profile"),
            "{message}"
        );
        seen.push_str(&message);
    }
    server.ok(
        "create_project",
        json!({"name": "ok", "cloud_providers": ["aws"]}),
    );
    seen.push_str(
        &server
            .ok("get_project", json!({"project_id": "ok"}))
            .to_string(),
    );
    let stderr = server.stop();
    let mut db = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut path = state.clone().into_os_string();
        path.push(suffix);
        if let Ok(bytes) = std::fs::read(PathBuf::from(path)) {
            db.extend(bytes);
        }
    }
    for secret in [DO_TOKEN, aws_secret, "AKIAIOSFODNN7EXAMPLE"] {
        assert!(!seen.contains(secret), "a tool answer echoed a secret");
        assert!(!stderr.contains(secret), "the log contains a secret");
        let found = db.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "the state file contains a secret");
    }
    assert!(
        stderr.contains("raw secret"),
        "the refusal should be logged (without the value): {stderr}"
    );
}

#[test]
fn a_token_reference_names_only_a_digitalocean_variable() {
    let state = state_path("token-ref");
    let mut server = Server::start(&state, false);
    for name in ["RIFT_HTTP_TOKEN", "AWS_SECRET_ACCESS_KEY", "HOME"] {
        let message = server.refused(
            "create_project",
            json!({"name": "other", "cloud_providers": ["digitalocean"],
                   "do_config": {"region": "nyc3", "token": format!("env:{name}")}}),
        );
        assert!(
            message.contains("DIGITALOCEAN_") && message.contains("RIFT_DO_TOKEN"),
            "{name}: {message}"
        );
    }
    let message = server.refused(
        "create_project",
        json!({"name": "other", "cloud_providers": ["digitalocean"],
               "do_config": {"region": "nyc3", "token": "hunter2-unrecognised"}}),
    );
    assert!(
        message.contains("env:DIGITALOCEAN_TOKEN") && !message.contains("hunter2"),
        "{message}"
    );
    for token in ["env:DIGITALOCEAN_TOKEN_SHOP", "env:RIFT_DO_TOKEN"] {
        let name = if token.ends_with("SHOP") {
            "shop"
        } else {
            "blog"
        };
        let project = server.ok(
            "create_project",
            json!({"name": name, "cloud_providers": ["digitalocean"],
                   "do_config": {"region": "nyc3", "token": token}}),
        );
        assert_eq!(project["do_config"]["token"], json!(token));
    }
    server.stop();
}

#[test]
fn a_corrupt_state_file_is_an_error_result_not_a_crash() {
    let state = state_path("corrupt");
    std::fs::write(&state, b"not a database".repeat(200)).unwrap();
    let mut server = Server::start(&state, false);
    let message = server.refused("list_projects", json!({}));
    assert!(
        message.contains("not a rift store or is corrupt") && message.contains("--state"),
        "{message}"
    );
    // Planning does not depend on the store.
    server.ok(
        "plan_deployment",
        json!({"provider": "aws", "components": [{"name": "web", "kind": "web_server"}]}),
    );
    server.stop();
}

#[test]
fn the_operators_config_file_and_environment_set_the_ceiling() {
    let state = state_path("config");
    let config = state.with_file_name("config.toml");
    std::fs::write(
        &config,
        "monthly_budget_usd = 15\n[policy]\nproviders = [\"aws\"]\nsizes = [\"t3.*\"]\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let mut server = Server::start_with(
        &state,
        &["--config", config],
        &[
            ("RIFT_ALLOW_WRITES", "1"),
            ("RIFT_MAX_CREATIONS_PER_HOUR", "2"),
        ],
    );
    assert!(
        server.tool_names().iter().any(|n| n == "apply_plan"),
        "RIFT_ALLOW_WRITES=1"
    );
    let message = server.refused(
        "create_project",
        json!({"name": "do", "cloud_providers": ["digitalocean"]}),
    );
    assert!(
        message.contains("operator's policy does not allow digitalocean"),
        "{message}"
    );
    // The project asks for more than the operator allows; the operator wins.
    let project = server.ok(
        "create_project",
        json!({"name": "web", "cloud_providers": ["aws"], "policy": {"sizes": ["*"]}}),
    );
    assert_eq!(
        project["monthly_budget_usd"],
        json!(15.0),
        "the config's default budget"
    );
    let message = server.refused(
        "create_instance",
        json!({"project_id": "web", "provider": "aws", "name": "app", "size": "m5.large"}),
    );
    assert!(
        message.contains("policy sizes") && message.contains("t3.*"),
        "{message}"
    );
    assert!(message.contains("max_creations_per_hour"), "{message}");
    server.stop();

    // A flag beats the environment: writes off again.
    let mut server = Server::start_with(
        &state,
        &["--config", config, "--allow-writes=0"],
        &[("RIFT_ALLOW_WRITES", "1")],
    );
    assert!(!server.tool_names().iter().any(|n| n == "apply_plan"));
    server.stop();
}
