//! Helpers of the integration tests: the one hermetic `pyaudit` command, the in-repository data
//! corpus, the loopback OSV/PyPI server, a project directory driven through the binary against
//! it, and the vendored report schemas as validators.
pub mod command;
pub mod corpus;
pub mod scenario;
pub mod schemas;
pub mod server;
