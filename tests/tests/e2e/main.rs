//! End-to-end tests: one binary, a fresh PostgreSQL database per test, the real server.

mod api;
mod helpers;
mod store;
