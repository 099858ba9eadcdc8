//! One DigitalOcean account in one region, and rift's conventions there: tags in DigitalOcean's syntax, the
//! record of a resource, and how a cloud call's outcome reads. The resource families build on this; the
//! [`Cloud`](crate::cloud::Cloud) implementation (provision.rs) dispatches to them.

use std::collections::BTreeMap;

use serde::Serialize;
use tokio::sync::OnceCell;

use super::client::{Client, DoError};
use super::spaces::Spaces;
use crate::cloud::{
    CloudError, DeleteOutcome, Progress, ResourceRecord, TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE,
    TAG_PROJECT,
};
use crate::model::{Provider, ResourceKind};

/// Image of new droplets that name none.
pub const DEFAULT_IMAGE: &str = crate::mapping::DIGITALOCEAN_DEFAULT_IMAGE.name;
/// SSH keys (ids or fingerprints, comma-separated) put on every droplet rift creates.
pub const SSH_KEYS_VARIABLE: &str = "RIFT_DIGITALOCEAN_SSH_KEYS";
/// The longest rift waits, in seconds, for an action or for a new resource to become ready.
pub const WAIT_VARIABLE: &str = "RIFT_DIGITALOCEAN_WAIT_S";

/// An SSH key as the API accepts it: its id or its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SshKey {
    Id(u64),
    Fingerprint(String),
}

impl SshKey {
    /// A number is a key id; anything else is a fingerprint.
    pub fn parse(text: &str) -> SshKey {
        text.trim()
            .parse()
            .map_or_else(|_| SshKey::Fingerprint(text.trim().to_string()), SshKey::Id)
    }
}

/// One DigitalOcean account in one region.
#[derive(Debug)]
pub struct DigitalOcean {
    pub(super) client: Client,
    pub(super) region: String,
    pub(super) ssh_keys: Vec<SshKey>,
    pub(super) spaces: OnceCell<Spaces>,
}

impl DigitalOcean {
    pub fn new(client: Client, region: impl Into<String>, ssh_keys: Vec<SshKey>) -> DigitalOcean {
        DigitalOcean {
            client,
            region: region.into(),
            ssh_keys,
            spaces: OnceCell::new(),
        }
    }

    /// With a Spaces client given rather than built from the environment on first use.
    pub fn with_spaces(self, spaces: Spaces) -> DigitalOcean {
        DigitalOcean {
            spaces: OnceCell::new_with(Some(spaces)),
            ..self
        }
    }

    pub(super) async fn spaces(&self) -> Result<&Spaces, CloudError> {
        self.spaces
            .get_or_try_init(|| async { Spaces::from_env(&self.region) })
            .await
    }
}

/// `key:value`, DigitalOcean's tag syntax; a tag holds letters, digits, colons, dashes and underscores only.
pub(super) fn tag(key: &str, value: &str) -> String {
    format!("{key}:{}", tag_value(value))
}

fn tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub(super) fn project_tag(project_id: &str) -> String {
    tag(TAG_PROJECT, project_id)
}

/// The tags of everything rift creates in `project_id`.
pub(super) fn base_tags(project_id: &str) -> Vec<String> {
    vec![
        tag(TAG_MANAGED_BY, TAG_MANAGED_BY_VALUE),
        project_tag(project_id),
    ]
}

/// How the tags that firewalls apply by begin.
pub(super) const FIREWALL_TAG_PREFIX: &str = "rift-firewall:";

/// The tag by which a firewall protects droplets: it exists before them, so they are guarded from first boot.
pub(super) fn firewall_tag(project_id: &str, firewall: &str) -> String {
    format!(
        "{FIREWALL_TAG_PREFIX}{}",
        tag_value(&format!("{project_id}:{firewall}"))
    )
}

/// Tags as key → value (a tag without a colon maps to "").
pub(super) fn tag_map(tags: &[String]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| match t.split_once(':') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect()
}

/// A record with the fields every kind has; the family fills in size, state, endpoints, tags and parts.
pub(super) fn record(
    kind: ResourceKind,
    cloud_id: impl Into<String>,
    name: impl Into<String>,
    region: impl Into<String>,
) -> ResourceRecord {
    ResourceRecord {
        kind,
        provider: Provider::Digitalocean,
        cloud_id: cloud_id.into(),
        name: name.into(),
        region: region.into(),
        size: None,
        state: String::new(),
        endpoints: Vec::new(),
        tags: BTreeMap::new(),
        parts: BTreeMap::new(),
        monthly_cost: None,
    }
}

/// Droplet ids are numbers; anything else cannot name one.
pub(super) fn droplet_id(cloud_id: &str) -> Result<u64, CloudError> {
    cloud_id
        .parse()
        .map_err(|_| CloudError::Invalid(format!("\"{cloud_id}\" is not a droplet id (a number)")))
}

/// A delete of something already gone is an outcome, not a failure.
pub(super) fn deleted(result: Result<(), DoError>) -> Result<DeleteOutcome, CloudError> {
    match result {
        Ok(()) => Ok(DeleteOutcome::Deleted),
        Err(e) if e.is_not_found() => Ok(DeleteOutcome::AlreadyGone),
        Err(e) => Err(e.into()),
    }
}

/// An action of a create that did not finish in time leaves the resource in progress, which the record shows;
/// any other failure stops the create.
pub(super) fn settled(result: Result<(), DoError>, progress: &Progress) -> Result<(), CloudError> {
    match result {
        Err(DoError::ActionDeadline { id, kind, after_s }) => {
            progress.report(&format!(
                "DigitalOcean action {id} ({kind}) still running after {after_s} s; continuing"
            ));
            Ok(())
        }
        other => other.map_err(CloudError::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_use_digitaloceans_syntax_and_map_back() {
        assert_eq!(base_tags("shop"), ["managed-by:rift", "rift-project:shop"]);
        assert_eq!(tag("rift-project", "a b.c"), "rift-project:a-b-c");
        let map = tag_map(&base_tags("shop"));
        assert_eq!(map.get(TAG_PROJECT).map(String::as_str), Some("shop"));
        assert_eq!(
            firewall_tag("shop", "shop-web-fw"),
            "rift-firewall:shop:shop-web-fw"
        );
    }
}
