//! pyproject.toml: project roots, extras and dependency groups (PEP 621, PEP 735, Poetry).
