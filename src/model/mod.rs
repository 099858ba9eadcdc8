//! Provider-neutral domain types: what a user asks for and what rift plans.

mod plan;
mod provider;
mod quote;
mod requirements;

pub use plan::{
    AccessSource, Boot, FirewallRule, ListenerRule, Plan, PlannedResource, ResourceSpec, Subnet,
};
pub use provider::{Provider, ResourceKind};
pub use quote::quote;
pub use requirements::{Component, DeploymentRequest, Engine, Regions};
