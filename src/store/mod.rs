//! Where rift keeps what it planned.

mod plans;

pub use plans::PlanStore;
