//! The state file shared by several rift processes: opening a new file from many processes at once migrates it
//! once and loses nothing.

use serde_json::json;

use crate::support::stdio::{Rift, state_path};

/// Processes racing to create the schema of one new file, and rounds of that race.
const PROCESSES: usize = 4;
const ROUNDS: usize = 10;

#[test]
fn processes_opening_a_new_state_file_at_once_all_keep_their_projects() {
    for round in 0..ROUNDS {
        let state = state_path(&format!("store-race-{round}"));
        let mut servers: Vec<Rift> = (0..PROCESSES).map(|_| Rift::start(&state, false)).collect();
        // The store opens (and migrates) on its first use: every process gets its first call at the same moment.
        let pending: Vec<u64> = servers
            .iter_mut()
            .enumerate()
            .map(|(i, server)| {
                server.send_request(
                    "tools/call",
                    json!({"name": "create_project", "arguments": {
                        "name": format!("race-{i}"), "cloud_providers": ["digitalocean"]}}),
                )
            })
            .collect();
        for (server, id) in servers.iter_mut().zip(pending) {
            let reply = server.answer(id, "tools/call");
            assert_ne!(
                reply["result"]["isError"],
                json!(true),
                "round {round}: {reply}"
            );
        }
        let listed = servers[0].ok("list_projects", json!({}));
        let mut names: Vec<&str> = listed["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        let expected: Vec<String> = (0..PROCESSES).map(|i| format!("race-{i}")).collect();
        assert_eq!(names, expected, "round {round}: {listed}");
        for server in servers {
            let stderr = server.stop();
            assert!(
                !stderr.contains("already exists"),
                "round {round}: {stderr}"
            );
        }
    }
}
