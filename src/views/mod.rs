//! Views for people: the diagram of a plan or a project.

mod diagram;

pub use diagram::{Diagram, Node};
