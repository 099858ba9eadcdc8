//! A cloud endpoint where nothing listens: the call fails at once (not after 15 s of retries per call), and
//! every failure is logged at WARN, through the real binary.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::stdio::{Rift, state_path};

/// A loopback port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_refused_connection_fails_at_once_and_is_logged() {
    let state = state_path("unreachable");
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let mut rift = Rift::start_with(
        &state,
        &[],
        &[
            ("DIGITALOCEAN_API_URL", endpoint.as_str()),
            ("DIGITALOCEAN_TOKEN", "test-token-not-secret"),
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("NO_PROXY", "127.0.0.1,localhost"),
            ("no_proxy", "127.0.0.1,localhost"),
        ],
    );
    rift.ok(
        "create_project",
        json!({"name": "offline", "cloud_providers": ["digitalocean", "aws"],
               "do_config": {"region": "nyc3", "token": "env:DIGITALOCEAN_TOKEN"},
               "aws_config": {"region": "us-east-1"}}),
    );
    let started = Instant::now();
    let (_, answer) = rift.call(
        "get_project",
        json!({"project_id": "offline", "refresh": true}),
    );
    let took = started.elapsed();
    let stderr = rift.stop();
    // Retried as before, each of the two listings would wait 1 + 2 + 4 + 8 s between attempts.
    assert!(
        took < Duration::from_secs(8),
        "took {took:?}: {answer}\n{stderr}"
    );
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("WARN")).collect();
    for provider in ["digitalocean", "aws"] {
        assert!(
            warnings.iter().any(
                |l| l.contains(&format!("{provider} listing of project offline"))
                    && l.contains("failed")
            ),
            "no WARN line for {provider}:\n{stderr}"
        );
    }
    assert!(
        warnings.iter().any(|l| l.contains("could not connect")),
        "{stderr}"
    );
    assert!(
        warnings
            .iter()
            .any(|l| l.contains("AWS request failed") && l.contains("not retried")),
        "{stderr}"
    );
}
