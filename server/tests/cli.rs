//! The `netledger` binary against a real PostgreSQL: `audit verify` and `user reset-password`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic loudly

use std::io::Write;
use std::process::{Command, Stdio};
use std::str::FromStr;

use domain::device::{DeviceCommand, DeviceDraft};
use domain::metadata::{EventMetadata, Source};
use server::adapters::store::EventStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor, PgPool};

async fn fresh_db() -> (PgPool, String) {
    let base = std::env::var("NETLEDGER_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .expect("set NETLEDGER_TEST_DATABASE_URL (./scripts/test starts a PostgreSQL for the tests)");
    let base = PgConnectOptions::from_str(&base).unwrap();
    let name = format!("nl_cli_{}", uuid::Uuid::new_v4().simple());
    base.connect().await.unwrap().execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await.unwrap();
    let opts = base.database(&name);
    let url = opts.to_url_lossy().to_string();
    let pool = PgPool::connect_with(opts).await.unwrap();
    server::adapters::store::migrate(&pool).await.unwrap();
    (pool, url)
}

fn netledger(url: &str, args: &[&str], stdin: Option<&str>) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netledger"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("NETLEDGER_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn audit_verify_passes_then_names_the_first_broken_link() {
    let (pool, url) = fresh_db().await;
    let es = EventStore::new(pool.clone());
    let meta = EventMetadata::new("alice", Source::Cli, "c", chrono::Utc::now()).to_map();
    let draft = |port: &str| DeviceDraft {
        hostname: "edge1".into(),
        address: "10.0.0.1".into(),
        platform: "juniper_junos".into(),
        port: Some(port.into()),
        ..DeviceDraft::default()
    };
    es.devices
        .execute_with_metadata("dev-1", DeviceCommand::Register { spec: draft("22").parse().unwrap() }, meta.clone())
        .await
        .unwrap();
    es.devices
        .execute_with_metadata("dev-1", DeviceCommand::Update { spec: draft("830").parse().unwrap() }, meta)
        .await
        .unwrap();

    let (code, out) = netledger(&url, &["audit", "verify"], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 events in 1 chains verified"), "{out}");

    let position: i64 =
        sqlx::query_scalar("SELECT global_position FROM events WHERE sequence = 1").fetch_one(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete").await.unwrap();
    conn.execute("UPDATE events SET payload = replace(payload::text, '22', '23')::json WHERE sequence = 1")
        .await
        .unwrap();
    conn.execute("ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete").await.unwrap();

    let (code, out) = netledger(&url, &["audit", "verify"], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("BROKEN: device/dev-1 event 1 (position {position}): hash mismatch")), "{out}");
    assert!(out.contains(&format!("first broken link at position {position}")), "{out}");
}

#[tokio::test]
async fn reset_password_from_stdin_sets_a_final_password() {
    let (pool, url) = fresh_db().await;
    let (code, out) =
        netledger(&url, &["user", "reset-password", "nobody", "--password-stdin"], Some("long-enough-secret\n"));
    assert_eq!(code, 2, "an unknown user is an error: {out}");
    assert!(out.contains("not found"), "{out}");

    let state =
        server::startup::build_state(pool.clone(), server::settings::Settings::from_env().unwrap()).await.unwrap();
    state.hub.spawn();
    server::backend::bootstrap_admin(&state).await.unwrap().expect("first run creates admin");

    let (code, out) = netledger(&url, &["user", "reset-password", "admin", "--password-stdin"], Some("short\n"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("at least 12 characters"), "{out}");

    let (code, out) =
        netledger(&url, &["user", "reset-password", "admin", "--password-stdin"], Some("long-enough-secret\n"));
    assert_eq!(code, 0, "{out}");
    let hash: String =
        sqlx::query_scalar("SELECT hash FROM user_passwords WHERE username = 'admin'").fetch_one(&pool).await.unwrap();
    assert!(server::identity::verify_password("long-enough-secret", &hash));
    let events: Vec<String> =
        sqlx::query_scalar("SELECT metadata->>'actor' FROM events WHERE event_type = 'UserPasswordChanged'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(events, ["system:cli"]);
}
