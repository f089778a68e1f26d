//! Helpers shared by integration tests: the loopback OSV/PyPI server.
pub mod server;
