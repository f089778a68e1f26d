//! Remediation: fixes that work. For every vulnerable package of a lock, one target (the
//! smallest version that fixes all its advisories), what keeps the lock from reaching it (the
//! project's own constraint, a dependent's requirement), and the steps in the words of the tool
//! that wrote the lock — verified before they are shown.
//!
//! - [`target`]: the target search over the advisories' ranges (pure).
//! - [`tool`]: which tool owns the lock (a requirements file's header).
//! - [`constraints`]: the project's declarations, with file and line.
//! - [`dependents`]: dependents' requirements from their core metadata, through a
//!   [`crate::review::resolve::Registry`].
//! - [`command`]: the steps per tool.
//! - [`plan`]: the plan of one lock and its verification.
//! - [`render`]: text, JSON and Markdown.
//! - [`apply`]: running a uv or Poetry plan and checking what it did.

pub mod apply;
pub mod command;
pub mod constraints;
pub mod dependents;
pub mod plan;
pub mod render;
pub mod target;
pub mod tool;

pub use plan::{FixPlan, PackageFix, Status, build};
