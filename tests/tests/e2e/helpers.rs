//! Test harness: fresh database per test, the real application on a free port.

use std::str::FromStr;
use std::sync::Arc;

use server::backend::{reset_password, AppState};
use server::settings::Settings;
use server::startup::Application;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor, PgPool};

pub const ADMIN_PASSWORD: &str = "test-root-password-1";

fn base_url() -> String {
    std::env::var("NETLEDGER_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .expect("set NETLEDGER_TEST_DATABASE_URL (./scripts/test starts a PostgreSQL for the tests)")
}

/// A new empty database, migrated.
pub async fn fresh_db() -> (PgPool, String) {
    let base = PgConnectOptions::from_str(&base_url()).expect("database url");
    let name = format!("nl_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = base.connect().await.expect("PostgreSQL reachable");
    admin.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await.expect("create database");
    let opts = base.database(&name);
    let url = opts.to_url_lossy().to_string();
    let pool = PgPoolOptions::new().max_connections(20).connect_with(opts).await.expect("connect");
    server::adapters::store::migrate(&pool).await.expect("migrate");
    (pool, url)
}

pub fn settings(url: &str) -> Settings {
    Settings {
        database_url: Some(url.to_owned()),
        data_dir: std::env::temp_dir(),
        addr: "127.0.0.1:0".parse().expect("addr"),
        secure_cookies: false,
        session_hours: 1,
        json_logs: false,
        lab: server::settings::LabMode::Off,
        lab_bind: None,
        ssh_connect_timeout_ms: 5_000,
        ssh_command_timeout_ms: 3_000,
        ssh_max_sessions: 50,
        // Off: device polling would add SSH sessions to tests that count them.
        health_interval_ms: 0,
        health_cpu_threshold: 80.0,
        alert_cooldown_s: 900,
    }
}

pub struct TestApp {
    pub base: String,
    pub state: Arc<AppState>,
    pub pool: PgPool,
    /// Signed in as the admin.
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new client signed in as `username` with `password`.
    pub async fn client_for(&self, username: &str, password: &str) -> reqwest::Client {
        let c = reqwest::Client::builder().cookie_store(true).build().expect("client");
        let res = c
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("sign in");
        assert_eq!(res.status(), 200, "sign-in of {username} failed: {}", res.text().await.unwrap_or_default());
        c
    }
}

pub async fn spawn_app() -> TestApp {
    let (pool, url) = fresh_db().await;
    let app = Application::build(pool.clone(), settings(&url)).await.expect("application builds");
    assert!(app.bootstrap.is_some(), "first run creates the admin");
    let state = app.state.clone();
    reset_password(&state, "admin", Some(ADMIN_PASSWORD.into())).await.expect("set admin password");
    let addr = app.local_addr().expect("bound");
    tokio::spawn(app.run_until(std::future::pending()));
    let mut t = TestApp { base: format!("http://{addr}"), state, pool, client: reqwest::Client::new() };
    t.client = t.client_for("admin", ADMIN_PASSWORD).await;
    t
}
