//! A real crash between *intended* and *created*: the rift binary applies a one-droplet request against a
//! DigitalOcean-shaped server on loopback that records the droplet and never answers its create; the process is
//! SIGKILLed right then. The store must say *intended*; a restarted rift reconciles it to *created* with the id
//! the cloud assigned, a second approved create makes no second droplet, and a droplet that disappears from the
//! cloud is marked gone.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::support::digitalocean::{Account, Answer, Fake, account_reply};
use crate::support::stdio::{Rift, state_path};

/// Not a DigitalOcean token's shape, so nothing mistakes it for a secret; the fake requires it.
const TOKEN: &str = "test-token-not-secret";
const PROJECT: &str = "crashy";
const DROPLET: &str = "crashy-web";

fn start_rift(state: &Path, api_url: &str) -> Rift {
    Rift::start_with(
        state,
        &["--allow-writes"],
        &[
            ("DIGITALOCEAN_API_URL", api_url),
            ("DIGITALOCEAN_TOKEN", TOKEN),
            ("RIFT_DIGITALOCEAN_WAIT_S", "1"),
            ("NO_PROXY", "127.0.0.1,localhost"),
            ("no_proxy", "127.0.0.1,localhost"),
        ],
    )
}

fn instance_args() -> Value {
    json!({"project_id": PROJECT, "provider": "digitalocean", "name": "web", "size": "s-1vcpu-1gb"})
}

/// Previews the create and returns the arguments with the approval token added.
fn approved_instance_args(rift: &mut Rift) -> (Value, Value) {
    let preview = rift.ok("create_instance", instance_args());
    assert_eq!(preview["status"], json!("preview"), "{preview}");
    let mut args = instance_args();
    args["approval_token"] = preview["approval_token"].clone();
    assert!(args["approval_token"].is_string(), "{preview}");
    (preview, args)
}

/// The project's resource `name` as get_project shows it.
fn resource(project: &Value, name: &str) -> Value {
    project["providers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["resources"].as_array().unwrap())
        .find(|r| r["name"] == json!(name))
        .unwrap_or_else(|| panic!("{name} not in {project}"))
        .clone()
}

/// (name, state, cloud_id) of every resource row, read straight from the state file.
fn stored_rows(state: &Path) -> Vec<(String, String, Option<String>)> {
    let db = Connection::open_with_flags(state, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = db
        .prepare("SELECT name, state, cloud_id FROM resources WHERE project_id = ?1 ORDER BY name")
        .unwrap();
    stmt.query_map([PROJECT], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn posts(fake: &Fake) -> [usize; 3] {
    ["/v2/vpcs", "/v2/firewalls", "/v2/droplets"].map(|p| fake.count(&Method::POST, p))
}

/// What a rift killed in the middle of creating its droplet leaves behind.
struct Crashed {
    fake: Fake,
    account: Arc<Mutex<Account>>,
    state: PathBuf,
    /// The id the cloud gave the droplet rift never heard back about.
    droplet_id: String,
    /// The network and firewall created before the droplet.
    others: Vec<String>,
}

/// Starts the fake cloud and rift, approves a one-droplet create_instance, and SIGKILLs rift as soon as the
/// droplet create reaches the cloud (which records it and never answers). Checks what the store says then.
async fn crash_while_creating_the_droplet(test: &str) -> Crashed {
    let account = Arc::new(Mutex::new(Account::default()));
    let droplet_posted = Arc::new(Notify::new());
    let hang_next_droplet = Arc::new(AtomicBool::new(true));
    let fake = {
        let (account, posted, hang) = (
            account.clone(),
            droplet_posted.clone(),
            hang_next_droplet.clone(),
        );
        Fake::start_for(TOKEN, move |hit, _| {
            // The account records the droplet (with the tags sent) as DigitalOcean would ...
            let reply = account_reply(&account, hit);
            if hit.method == Method::POST
                && hit.path == "/v2/droplets"
                && hang.swap(false, Ordering::SeqCst)
            {
                // ... but the answer never comes: rift is killed while waiting for it. Later creates (there
                // should be none) are answered, so a duplicate shows as a count, not as a hang.
                posted.notify_one();
                return Answer::Never;
            }
            reply.into()
        })
        .await
    };
    let state = state_path(test);

    // Project, preview, approval; the approved call is sent and left waiting on the droplet create.
    let mut rift = start_rift(&state, &fake.url);
    rift.ok(
        "create_project",
        json!({"name": PROJECT, "cloud_providers": ["digitalocean"],
               "do_config": {"region": "nyc3", "token": "env:DIGITALOCEAN_TOKEN"},
               "monthly_budget_usd": 100}),
    );
    let (preview, approved) = approved_instance_args(&mut rift);
    let changes = preview["changes"].to_string();
    assert!(changes.contains(&format!("create {DROPLET} ")), "{preview}");
    assert_eq!(posts(&fake), [0, 0, 0], "a preview created something");
    rift.send_request(
        "tools/call",
        json!({"name": "create_instance", "arguments": approved}),
    );
    tokio::time::timeout(Duration::from_secs(60), droplet_posted.notified())
        .await
        .expect("the droplet create never reached the cloud");
    let stderr = rift.kill();
    assert!(!stderr.contains(TOKEN), "the log shows the token");

    // The cloud has the droplet, tagged with the project ...
    let droplet_id = {
        let account = account.lock().unwrap();
        assert_eq!(account.droplets.len(), 1);
        let tags = account.droplets[0]["tags"].clone();
        for tag in ["managed-by:rift", &format!("rift-project:{PROJECT}")] {
            assert!(
                tags.as_array().unwrap().contains(&json!(tag)),
                "{tag} not in {tags}"
            );
        }
        account.droplets[0]["id"].as_u64().unwrap().to_string()
    };
    // ... and the killed process's store has it intended, with no cloud id; its network and firewall created.
    let rows = stored_rows(&state);
    let droplet_row = rows.iter().find(|(name, _, _)| name == DROPLET);
    assert_eq!(
        droplet_row,
        Some(&(DROPLET.to_string(), "intended".to_string(), None)),
        "{rows:?}"
    );
    let others: Vec<String> = rows
        .iter()
        .filter(|(name, _, _)| name != DROPLET)
        .map(|(name, _, _)| name.clone())
        .collect();
    assert_eq!(others.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .filter(|(name, _, _)| name != DROPLET)
            .all(|(_, state, id)| state == "created" && id.is_some()),
        "{rows:?}"
    );
    assert_eq!(posts(&fake), [1, 1, 1]);
    Crashed {
        fake,
        account,
        state,
        droplet_id,
        others,
    }
}

// The test bodies block on the rift process's pipes (bounded); the fake server runs on the runtime's worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_crash_between_intended_and_created_is_reconciled_after_restart_without_a_duplicate() {
    let Crashed {
        fake,
        account,
        state,
        droplet_id,
        others,
    } = crash_while_creating_the_droplet("crash-reconcile").await;

    // Restarted on the same state file: still intended until reconciled, and the change the killed process ran
    // is shown interrupted, with how to finish it.
    let mut rift = start_rift(&state, &fake.url);
    let project = rift.ok("get_project", json!({"project_id": PROJECT}));
    assert_eq!(
        resource(&project, DROPLET)["state"],
        json!("intended"),
        "{project}"
    );
    let change = &project["changes"][0];
    assert_eq!(change["state"], json!("interrupted"), "{project}");
    assert_eq!(change["tool"], json!("create_instance"), "{project}");
    assert!(
        change["message"]
            .as_str()
            .unwrap()
            .contains("call the same tool again"),
        "{change}"
    );

    // Reconcile finds the tagged droplet and records it created with the id the cloud gave it.
    let project = rift.ok(
        "get_project",
        json!({"project_id": PROJECT, "refresh": true}),
    );
    let droplet = resource(&project, DROPLET);
    assert_eq!(droplet["state"], json!("created"), "{project}");
    assert_eq!(droplet["cloud_id"], json!(droplet_id), "{project}");
    assert!(
        droplet["monthly_cost"].as_f64().unwrap() > 0.0,
        "reconcile keeps the planned cost: {project}"
    );
    assert_eq!(project["reconcile"]["found"], json!([DROPLET]), "{project}");
    assert_eq!(project["reconcile"]["unreachable"], json!([]), "{project}");
    let reconciled = project["activity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == json!("reconcile"))
        .unwrap_or_else(|| panic!("no reconcile in the activity log: {project}"));
    assert!(
        reconciled["detail"].as_str().unwrap().contains(DROPLET),
        "{reconciled}"
    );
    assert_eq!(stored_rows(&state).len(), 3, "reconcile added no row");

    // The same create, previewed and approved again: it exists, and no second droplet is made.
    let (preview, approved) = approved_instance_args(&mut rift);
    assert!(
        preview["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.as_str().unwrap().starts_with("exists ")),
        "{preview}"
    );
    assert_eq!(preview["monthly_cost_delta"], json!(0.0), "{preview}");
    let executed = rift.ok("create_instance", approved);
    assert_eq!(executed["status"], json!("executed"), "{executed}");
    assert!(
        executed["changes"]
            .as_array()
            .unwrap()
            .contains(&json!(format!("exists {DROPLET} {droplet_id}"))),
        "{executed}"
    );
    assert_eq!(posts(&fake), [1, 1, 1], "a second resource was created");
    assert_eq!(account.lock().unwrap().droplets.len(), 1);

    // The reverse: the droplet vanishes from the cloud; reconcile marks the created record gone.
    account.lock().unwrap().droplets.clear();
    let project = rift.ok(
        "get_project",
        json!({"project_id": PROJECT, "refresh": true}),
    );
    assert_eq!(
        resource(&project, DROPLET)["state"],
        json!("gone"),
        "{project}"
    );
    assert_eq!(project["reconcile"]["gone"], json!([DROPLET]), "{project}");
    for other in &others {
        assert_eq!(
            resource(&project, other)["state"],
            json!("created"),
            "{project}"
        );
    }
    let stderr = rift.stop();
    assert!(!stderr.contains(TOKEN), "the log shows the token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn retrying_after_a_crash_without_reconciling_finds_the_droplet_instead_of_making_another() {
    let Crashed {
        fake,
        state,
        droplet_id,
        ..
    } = crash_while_creating_the_droplet("crash-retry").await;

    // Restarted, and the same create approved again straight away: the store still says intended, so it goes
    // to the cloud, whose lookup by the project's tag finds the droplet the killed process created.
    let mut rift = start_rift(&state, &fake.url);
    let (preview, approved) = approved_instance_args(&mut rift);
    assert!(
        preview["changes"]
            .to_string()
            .contains(&format!("create {DROPLET} ")),
        "{preview}"
    );
    let executed = rift.ok("create_instance", approved);
    assert_eq!(executed["status"], json!("executed"), "{executed}");
    assert_eq!(posts(&fake), [1, 1, 1], "a second resource was created");
    let project = rift.ok("get_project", json!({"project_id": PROJECT}));
    let droplet = resource(&project, DROPLET);
    assert_eq!(droplet["state"], json!("created"), "{project}");
    assert_eq!(droplet["cloud_id"], json!(droplet_id), "{project}");
    rift.stop();
}
