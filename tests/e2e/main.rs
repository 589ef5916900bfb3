//! End-to-end tests over the real binaries: one test binary, a module per feature.

mod api_binary;
