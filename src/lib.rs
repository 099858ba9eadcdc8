//! rift: an MCP server through which an agent plans, prices and provisions infrastructure on DigitalOcean and
//! AWS. The binary's `main` only parses arguments and maps errors to exit codes; everything else lives here.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod approval;
pub mod change;
pub mod cli;
pub mod cloud;
pub mod config;
pub mod engine;
pub mod logging;
pub mod mapping;
pub mod migration;
pub mod model;
pub mod operations;
pub mod planner;
pub mod plans;
pub mod policy;
pub mod pricing;
pub mod project;
pub mod schemas;
pub mod server;
pub mod store;
pub mod terraform;
pub mod views;
