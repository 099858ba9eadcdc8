//! DigitalOcean through its API v2 (reqwest) and Spaces through the S3-compatible API (aws-sdk-s3).
//!
//! - client.rs: auth, base URL, timeouts, the error body, rate limits, bounded retries.
//! - pagination.rs, actions.rs: listing every page safely; polling async actions with a deadline.
//! - account.rs: one account in one region, rift's tags there, a resource's record.
//! - spaces.rs: the S3-compatible Spaces client.
//! - one file per resource family (droplets, databases, load_balancers, volumes, vpcs, firewalls, buckets) and
//!   metrics.rs: the typed requests and answers, and how rift provisions (or reads) that family; provision.rs
//!   implements the [`Cloud`] trait by dispatching to them.
//!
//! DigitalOcean has no idempotency keys: every create first looks for the resource by rift's tags and its name
//! (resources that cannot be tagged — VPCs, firewalls, load balancers — by name and a mark of the project).

mod account;
mod actions;
pub mod alerts;
mod buckets;
mod client;
mod databases;
mod droplets;
mod firewalls;
mod load_balancers;
mod metrics;
mod pagination;
mod provision;
mod spaces;
mod volumes;
mod vpcs;

pub use account::{DEFAULT_IMAGE, DigitalOcean, SSH_KEYS_VARIABLE, SshKey, WAIT_VARIABLE};
pub use actions::{Action, ActionStatus};
pub use client::{
    Client, ClientConfig, DEFAULT_API_URL, DoError, PollPolicy, ResponseInfo, ResponseObserver,
    RetryPolicy, TOKEN_VARIABLES, Token,
};
pub use databases::{Database, DatabaseCreate, DatabaseFirewallRule, DatabaseResize, Endpoint};
pub use droplets::{
    ActionLink, Address, CreateLinks, Droplet, DropletAction, DropletCreate, DropletCreated,
    Networks, RegionRef,
};
pub use firewalls::{Firewall, FirewallCreate, InboundRule, OutboundRule, Targets};
pub use load_balancers::{ForwardingRule, HealthCheck, LoadBalancer, LoadBalancerCreate};
pub use pagination::{EarlyStop, Listing, MAX_PER_PAGE};
pub use provision::DigitalOceanConnector;
pub use spaces::{BucketState, Spaces};
pub use volumes::{Volume, VolumeAction, VolumeCreate};
pub use vpcs::{Vpc, VpcCreate};

use serde::{Deserialize, Deserializer};

/// Lists the API sends as `null` when empty read as empty.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}
