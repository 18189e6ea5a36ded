//! End-to-end tests: one binary, a fresh PostgreSQL database per test, the real server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic loudly

mod api;
mod helpers;
mod monitoring_api;
mod monitoring_jobs;
mod ops;
mod store;
