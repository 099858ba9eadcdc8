//! The one integration test binary: each module covers one area through the public API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod mcp_surface;
