//! Helpers shared by integration tests: the loopback OSV/PyPI server, and a project directory
//! driven through the `pyaudit` binary against it.
pub mod scenario;
pub mod server;
