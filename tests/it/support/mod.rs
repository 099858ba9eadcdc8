//! Helpers shared by the test modules: a DigitalOcean-shaped server on loopback, and the rift binary over stdio.

pub mod digitalocean;
pub mod stdio;
