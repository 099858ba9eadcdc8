//! The one integration test binary: each module covers one area through the public API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod aws;
mod crash;
mod digitalocean;
mod digitalocean_spaces;
mod digitalocean_stateful;
mod incidents;
mod mcp_surface;
mod pricing;
mod projects;
mod secrets;
mod store;
mod support;
mod terraform;
mod unreachable;
