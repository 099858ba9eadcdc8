//! Spaces buckets through the S3-compatible API, against moto's S3 (`RIFT_MOTO_URL`, from `tools/moto.sh start`).
//! Skipped when moto is not running, unless `RIFT_REQUIRE_EMULATORS=1`.

use aws_sdk_s3::config::Credentials;
use serde_json::json;

use rift::cloud::digitalocean::{Client, ClientConfig, DigitalOcean, Spaces, Token};
use rift::cloud::{Cloud, CloudError, CreateContext, DeleteOutcome, Progress};
use rift::model::{DeploymentRequest, ResourceKind};

fn moto_url() -> Option<String> {
    match std::env::var("RIFT_MOTO_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            assert!(
                std::env::var("RIFT_REQUIRE_EMULATORS").as_deref() != Ok("1"),
                "RIFT_REQUIRE_EMULATORS=1 but RIFT_MOTO_URL is not set (start moto with tools/moto.sh start)"
            );
            eprintln!("skipping: RIFT_MOTO_URL is not set (start moto with tools/moto.sh start)");
            None
        }
    }
}

#[tokio::test]
async fn a_bucket_is_created_once_private_found_and_deleted() {
    let Some(url) = moto_url() else { return };
    let spaces = Spaces::new(
        &url,
        Credentials::new("testing", "testing", None, None, "test"),
    );
    // Buckets never touch the API v2 client: point it at nothing.
    let api = Client::new(ClientConfig::new(
        "http://127.0.0.1:9",
        Token::new("unused"),
    ))
    .unwrap();
    let cloud = DigitalOcean::new(api, "nyc3", Vec::new()).with_spaces(spaces);

    let name = format!("spaces{}", std::process::id());
    let request: DeploymentRequest = serde_json::from_value(json!({
        "name": name, "provider": "digitalocean", "regions": {"digitalocean": "nyc3"},
        "components": [{"name": "assets", "kind": "object_storage", "storage_gb": 10}]
    }))
    .unwrap();
    let plan = rift::planner::plan(&request).unwrap();
    let bucket = plan
        .resources
        .iter()
        .find(|r| r.kind == ResourceKind::ObjectStorage)
        .unwrap();
    let ctx = CreateContext {
        project_id: "p-9".into(),
        plan_name: plan.name.clone(),
        dependencies: Default::default(),
        idempotency_key: "p-9-assets".into(),
        progress: Progress::none(),
    };
    let first = cloud.create(&ctx, bucket).await.unwrap();
    assert_eq!(first.cloud_id, bucket.name);
    assert_eq!(first.project(), Some("p-9"));
    let again = cloud.create(&ctx, bucket).await.unwrap();
    assert_eq!(again.cloud_id, first.cloud_id);

    // Private: only the owner has a grant.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&url)
            .force_path_style(true)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build(),
    );
    let acl = s3
        .get_bucket_acl()
        .bucket(&bucket.name)
        .send()
        .await
        .unwrap();
    assert!(
        acl.grants()
            .iter()
            .all(|g| g.grantee().and_then(|g| g.uri()).is_none()),
        "{acl:?}"
    );

    let got = cloud
        .get(ResourceKind::ObjectStorage, &bucket.name)
        .await
        .unwrap();
    assert!(got.endpoints[0].ends_with(&bucket.name));
    let progress = Progress::none();
    assert_eq!(
        cloud
            .delete(ResourceKind::ObjectStorage, &bucket.name, &progress)
            .await
            .unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        cloud
            .delete(ResourceKind::ObjectStorage, &bucket.name, &progress)
            .await
            .unwrap(),
        DeleteOutcome::AlreadyGone
    );
    let missing = cloud
        .get(ResourceKind::ObjectStorage, &bucket.name)
        .await
        .unwrap_err();
    assert!(matches!(missing, CloudError::NotFound(_)), "{missing}");
}
