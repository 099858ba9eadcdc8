//! Views for people: the diagram of a plan or a project (SVG, PNG, Mermaid), the provision form's logic, and
//! the pages (the dashboard and the MCP App views) that show them.

mod diagram;
pub mod form;
pub mod pages;
mod png;

pub use diagram::{Diagram, Node};
pub use png::{Png, PngError};
