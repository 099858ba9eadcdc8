//! Secrets in the strings a client sends that are not tool arguments (a resource URI, its own name), and
//! secrets disguised inside arguments (glued, split by shell quoting, bare, upper-case, base64): none reaches a
//! reply, the log or the state file.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::stdio::{Rift, state_path};

const HEX: &str = "4f2c9a7e1b3d5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The state file with its WAL and shared memory, as one text.
fn stored(state: &Path) -> String {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut path = state.to_path_buf().into_os_string();
        path.push(suffix);
        if let Ok(content) = std::fs::read(PathBuf::from(path)) {
            bytes.extend(content);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn a_token_in_a_resource_uri_or_the_client_name_goes_nowhere() {
    let state = state_path("secrets-uri-client");
    let token = format!("dop_v1_{HEX}");
    let mut rift = Rift::start_as(&format!("agent {token}"), &state, &[], &[]);

    let reply = rift.request(
        "resources/read",
        json!({"uri": format!("rift://plans/{token}/terraform/main.tf")}),
    );
    let error = reply["error"]["message"].as_str().unwrap_or_default();
    assert!(
        error.contains("uri: looks like a raw DigitalOcean token")
            && error.contains("rift://plans/"),
        "{reply}"
    );

    rift.ok(
        "create_project",
        json!({"name": "named", "cloud_providers": ["digitalocean"]}),
    );
    let project = rift.ok("get_project", json!({"project_id": "named"}));
    assert_eq!(
        project["activity"][0]["client"],
        json!("<redacted secret>"),
        "{project}"
    );
    let stderr = rift.stop();
    let stored = stored(&state);
    for (what, text) in [
        ("reply", reply.to_string()),
        ("log", stderr),
        ("store", stored),
    ] {
        assert!(!text.contains(HEX), "the token reached the {what}: {text}");
    }
}

#[test]
fn disguised_secrets_in_arguments_are_refused_and_never_stored() {
    let state = state_path("secrets-disguised");
    let mut rift = Rift::start(&state, false);
    let base64_token = aws_smithy_types::base64::encode(format!("dop_v1_{HEX}"));
    let user_data = [
        format!("#!/bin/sh\necho x{AWS_SECRET} > /root/.key\n"),
        format!(
            "#!/bin/sh\ncurl -H \"Authorization: Bearer \"dop_v1\"\"_{HEX}\" https://api.example.com\n"
        ),
        format!("#!/bin/sh\nexport TOKEN={HEX}\n"),
        format!(
            "#!/bin/sh\nexport TOKEN=DOP_V1_{}\n",
            HEX.to_ascii_uppercase()
        ),
        format!("#!/bin/sh\necho {base64_token} | base64 -d > /etc/token\n"),
    ];
    let mut replies = String::new();
    for script in &user_data {
        let message = rift.refused(
            "plan_deployment",
            json!({"name": "shop", "provider": "digitalocean", "components": [
                {"name": "web", "kind": "web_server", "user_data": script}]}),
        );
        assert!(
            message.contains("components[0].user_data") && message.contains("never accepts"),
            "{script}: {message}"
        );
        replies.push_str(&message);
    }
    let stderr = rift.stop();
    let stored = stored(&state);
    for secret in [HEX, &HEX.to_ascii_uppercase(), AWS_SECRET, &base64_token] {
        for (what, text) in [("reply", &replies), ("log", &stderr), ("store", &stored)] {
            assert!(
                !text.contains(secret),
                "{secret} reached the {what}: {text}"
            );
        }
    }
}
