//! Helpers shared by integration tests: the loopback OSV/PyPI server, a project directory driven
//! through the `pyaudit` binary against it, and the vendored report schemas as validators.
pub mod corpus;
pub mod scenario;
pub mod schemas;
pub mod server;
