//! The event store and projections on a real PostgreSQL.

use std::collections::HashMap;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{AggregateError, EventStore as _};
use domain::device::{Device, DeviceCommand, DeviceDraft, DeviceEvent, DeviceSpec};
use domain::metadata::{EventMetadata, Source};
use postgres_es::PostgresEventRepository;
use server::adapters::store::projections::{AuditProjection, InventoryProjection};
use server::adapters::store::{read_committed_after, rebuild, verify_chains, EventStore, Projection};
use sqlx::{PgPool, Row};

use crate::helpers::fresh_db;

fn spec(host: &str, port: u16) -> DeviceSpec {
    DeviceDraft {
        hostname: host.into(),
        address: "10.1.1.1".into(),
        port: Some(port.to_string()),
        platform: "cisco_ios".into(),
        site: "Lab".into(),
        tags: "core".into(),
        ..DeviceDraft::default()
    }
    .parse()
    .expect("valid spec")
}

fn meta(actor: &str) -> HashMap<String, String> {
    EventMetadata::new(actor, Source::Api, uuid::Uuid::new_v4().to_string(), chrono::Utc::now()).to_map()
}

#[tokio::test]
async fn concurrent_commands_on_one_aggregate_conflict() {
    let (pool, _) = fresh_db().await;
    let store: PersistedEventStore<PostgresEventRepository, Device> =
        PersistedEventStore::new_event_store(PostgresEventRepository::new(pool.clone()));
    let es = EventStore::new(pool.clone());
    es.devices.execute_with_metadata("d1", DeviceCommand::Register { spec: spec("r1", 22) }, meta("a")).await.unwrap();

    // Two writers load the same version, then both commit.
    let first = store.load_aggregate("d1").await.unwrap();
    let second = store.load_aggregate("d1").await.unwrap();
    let update = |port| vec![DeviceEvent::Updated { changes: vec![], spec: spec("r1", port) }];
    store.commit(update(23), first, meta("a")).await.expect("first writer wins");
    let err = store.commit(update(24), second, meta("b")).await.expect_err("second writer must conflict");
    assert!(matches!(err, AggregateError::AggregateConflict), "{err:?}");
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_id = 'd1'").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 2, "the losing write left nothing behind");
}

async fn insert_probe(conn: &mut sqlx::PgConnection, id: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('probe', $1, 1, 'ProbeRecorded', '1.0', '{}', '{}') RETURNING global_position",
    )
    .bind(id)
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn readers_never_skip_an_event_committed_late_by_a_slow_writer() {
    let (pool, _) = fresh_db().await;
    // The slow writer takes a position first and commits last.
    let mut slow = pool.begin().await.unwrap();
    let slow_pos = insert_probe(&mut slow, "slow").await;
    let mut fast = pool.acquire().await.unwrap();
    let fast_pos = insert_probe(&mut fast, "fast").await;
    assert!(slow_pos < fast_pos, "the hazard: ordering by position alone would pass {slow_pos} before it exists");

    let seen = read_committed_after(&pool, (0, 0), 100).await.unwrap();
    assert!(seen.is_empty(), "nothing is readable while an older writer is running: {seen:?}");

    slow.commit().await.unwrap();
    // Transactions of other tests (xids are cluster-wide) may hold the horizon back briefly.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let seen = loop {
        let seen = read_committed_after(&pool, (0, 0), 100).await.unwrap();
        if seen.len() == 2 || std::time::Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let ids: Vec<_> = seen.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(ids, ["slow", "fast"]);
    let checkpoint = (seen[1].tx_id, seen[1].position);
    assert!(read_committed_after(&pool, checkpoint, 100).await.unwrap().is_empty());
}

#[tokio::test]
async fn events_are_append_only() {
    let (pool, _) = fresh_db().await;
    let es = EventStore::new(pool.clone());
    es.devices.execute_with_metadata("d1", DeviceCommand::Register { spec: spec("r1", 22) }, meta("a")).await.unwrap();
    for sql in ["UPDATE events SET event_type = 'X'", "DELETE FROM events", "TRUNCATE events"] {
        let err = sqlx::query(sql).execute(&pool).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn every_event_carries_metadata_and_a_chained_hash() {
    let (pool, _) = fresh_db().await;
    let es = EventStore::new(pool.clone());
    let m = EventMetadata::new("alice", Source::Ui, "corr-1", chrono::Utc::now()).with_ip(Some("192.0.2.7".into()));
    es.devices.execute_with_metadata("d1", DeviceCommand::Register { spec: spec("r1", 22) }, m.to_map()).await.unwrap();
    es.devices.execute_with_metadata("d1", DeviceCommand::Update { spec: spec("r1", 2222) }, m.to_map()).await.unwrap();
    let rows = sqlx::query("SELECT metadata, hash FROM events ORDER BY sequence").fetch_all(&pool).await.unwrap();
    assert_eq!(rows.len(), 2);
    let md: serde_json::Value = rows[0].get("metadata");
    assert_eq!(md["actor"], "alice");
    assert_eq!(md["source"], "ui");
    assert_eq!(md["request_ip"], "192.0.2.7");
    assert_eq!(md["correlation_id"], "corr-1");
    assert!(md["recorded_at"].as_str().unwrap().starts_with("20"));
    let h0: Vec<u8> = rows[0].get("hash");
    let h1: Vec<u8> = rows[1].get("hash");
    assert_eq!((h0.len(), h1.len()), (32, 32));
    assert_ne!(h0, h1);
    assert!(verify_chains(&pool, 10).await.unwrap().is_intact());
}

#[tokio::test]
async fn tampering_with_the_trigger_disabled_is_located_by_verify() {
    let (pool, _) = fresh_db().await;
    let es = EventStore::new(pool.clone());
    for (id, host) in [("d1", "r1"), ("d2", "r2")] {
        es.devices
            .execute_with_metadata(id, DeviceCommand::Register { spec: spec(host, 22) }, meta("a"))
            .await
            .unwrap();
        es.devices.execute_with_metadata(id, DeviceCommand::Update { spec: spec(host, 830) }, meta("a")).await.unwrap();
        es.devices
            .execute_with_metadata(id, DeviceCommand::Update { spec: spec(host, 2022) }, meta("a"))
            .await
            .unwrap();
    }
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE events SET metadata = '{\"actor\":\"mallory\"}' WHERE aggregate_id = 'd2' AND sequence = 2")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("DELETE FROM events WHERE aggregate_id = 'd1' AND sequence = 2").execute(&mut *conn).await.unwrap();
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete").execute(&mut *conn).await.unwrap();

    let report = verify_chains(&pool, 10).await.unwrap();
    let found: Vec<_> =
        report.breaks.iter().map(|b| (b.aggregate_id.as_str(), b.sequence, b.reason.as_str())).collect();
    assert_eq!(found, [("d1", 3, "sequence gap"), ("d2", 2, "hash mismatch")]);
}

/// Applies batches until the projection reaches the head of the log. Other tests' open
/// transactions (xids are cluster-wide) may hold events back for a while; that delays, never skips.
async fn catch_up_fully(pool: &PgPool, p: &dyn Projection) {
    let head = server::adapters::store::log_head(pool).await.unwrap().expect("events exist");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, at) = server::adapters::store::catch_up_once(pool, p, 500).await.unwrap();
        if at >= head {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{} did not reach the head of the log", p.name());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Every column of a read model, in a stable order, for comparison.
async fn dump(pool: &PgPool, table: &str, order: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar(&format!("SELECT to_jsonb(t) FROM {table} t ORDER BY {order}")).fetch_all(pool).await.unwrap()
}

#[tokio::test]
async fn a_projector_restarted_mid_stream_matches_a_rebuild() {
    let (pool, _) = fresh_db().await;
    let es = EventStore::new(pool.clone());
    for i in 0..60 {
        let id = format!("d{i}");
        let host = format!("r{i}");
        es.devices
            .execute_with_metadata(&id, DeviceCommand::Register { spec: spec(&host, 22) }, meta("a"))
            .await
            .unwrap();
        for port in [23, 24] {
            es.devices
                .execute_with_metadata(&id, DeviceCommand::Update { spec: spec(&host, port) }, meta("b"))
                .await
                .unwrap();
        }
        if i % 3 == 0 {
            es.devices
                .execute_with_metadata(&id, DeviceCommand::Decommission { reason: "rma".into() }, meta("c"))
                .await
                .unwrap();
        }
        if i % 6 == 0 {
            es.devices
                .execute_with_metadata(&id, DeviceCommand::Restore { reason: "back".into() }, meta("c"))
                .await
                .unwrap();
        }
    }
    let projections: [&dyn Projection; 2] = [&InventoryProjection, &AuditProjection];
    for p in projections {
        // A "crash" in the middle of a batch: the transaction is dropped, nothing is applied.
        {
            let mut tx = pool.begin().await.unwrap();
            let events = read_committed_after(&mut *tx, (0, 0), 7).await.unwrap();
            p.apply(&mut tx, &events).await.unwrap();
            drop(tx);
        }
        // Then a few small batches, then a restart that catches up the rest.
        for _ in 0..3 {
            server::adapters::store::catch_up_once(&pool, p, 13).await.unwrap();
        }
        catch_up_fully(&pool, p).await;
    }
    let live_devices = dump(&pool, "devices", "id").await;
    let live_audit = dump(&pool, "audit_log", "position").await;
    assert_eq!(live_devices.len(), 60);
    assert_eq!(live_audit.len(), 60 * 3 + 20 + 10);
    assert_eq!(live_devices.iter().filter(|d| d["status"] == "decommissioned").count(), 10);
    assert!(live_devices.iter().all(|d| d["port"] == 24 && d["version"].as_i64().unwrap() >= 3), "last spec wins");
    // Events without a spec are still about their device, by hostname.
    let decommissioned: Vec<&serde_json::Value> =
        live_audit.iter().filter(|a| a["event_type"] == "DeviceDecommissioned").collect();
    assert_eq!(decommissioned.len(), 20);
    for a in decommissioned {
        let id = a["aggregate_id"].as_str().unwrap();
        assert_eq!(a["subject"].as_str().unwrap(), format!("r{}", &id[1..]), "{a}");
    }

    assert_eq!(rebuild(&pool, &InventoryProjection).await.unwrap(), 210);
    rebuild(&pool, &AuditProjection).await.unwrap();
    assert_eq!(dump(&pool, "devices", "id").await, live_devices);
    assert_eq!(dump(&pool, "audit_log", "position").await, live_audit);
}

#[tokio::test]
async fn snapshots_keep_long_lived_aggregates_loadable() {
    let (pool, _) = fresh_db().await;
    let es = EventStore::new(pool.clone());
    es.devices.execute_with_metadata("d1", DeviceCommand::Register { spec: spec("r1", 22) }, meta("a")).await.unwrap();
    for i in 0..250u16 {
        es.devices
            .execute_with_metadata("d1", DeviceCommand::Update { spec: spec("r1", 1000 + i) }, meta("a"))
            .await
            .unwrap();
    }
    let snap: i64 = sqlx::query_scalar("SELECT last_sequence FROM snapshots WHERE aggregate_id = 'd1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(snap >= 200, "a snapshot was taken (last_sequence {snap})");
    // The state after the snapshot is still correct: an identical update records nothing.
    es.devices.execute_with_metadata("d1", DeviceCommand::Update { spec: spec("r1", 1249) }, meta("a")).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 251);
}
