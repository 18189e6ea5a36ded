//! The write side: cqrs-es frameworks over postgres-es, plus readers of the global log.

use std::collections::HashMap;

use cqrs_es::AggregateError;
use domain::archive::ConfigArchive;
use domain::device::Device;
use domain::identity::User;
use domain::metadata::EventMetadata;
use domain::monitoring::{Alert, Destination, MonitorJob};
use domain::operation::Operation;
use postgres_es::{postgres_snapshot_cqrs, PostgresCqrs};
use sqlx::{PgPool, Postgres, Row};

/// Aggregates snapshot every this many events, so a command costs the same on a device with
/// 100 events as on one with 100,000.
pub const SNAPSHOT_EVERY: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// One event as read from the global log.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub tx_id: i64,
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// The stored JSON text; empty for events the reader was told to skip.
    pub payload: String,
    pub metadata: EventMetadata,
}

impl StoredEvent {
    /// The payload as a domain event (or any shape), parsed straight from the stored text.
    pub fn payload_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

pub struct EventStore {
    pub pool: PgPool,
    pub devices: PostgresCqrs<Device>,
    pub users: PostgresCqrs<User>,
    pub operations: PostgresCqrs<Operation>,
    pub archives: PostgresCqrs<ConfigArchive>,
    pub destinations: PostgresCqrs<Destination>,
    pub monitor_jobs: PostgresCqrs<MonitorJob>,
    pub alerts: PostgresCqrs<Alert>,
}

impl EventStore {
    #[must_use]
    pub fn new(pool: PgPool) -> Self {
        Self {
            devices: postgres_snapshot_cqrs(pool.clone(), vec![], SNAPSHOT_EVERY, ()),
            users: postgres_snapshot_cqrs(pool.clone(), vec![], SNAPSHOT_EVERY, ()),
            operations: postgres_snapshot_cqrs(pool.clone(), vec![], SNAPSHOT_EVERY, ()),
            archives: postgres_snapshot_cqrs(pool.clone(), vec![], SNAPSHOT_EVERY, ()),
            destinations: postgres_snapshot_cqrs(pool.clone(), vec![], SNAPSHOT_EVERY, ()),
            monitor_jobs: postgres_snapshot_cqrs(pool.clone(), vec![], SNAPSHOT_EVERY, ()),
            alerts: postgres_snapshot_cqrs(pool.clone(), vec![], SNAPSHOT_EVERY, ()),
            pool,
        }
    }

    /// The (tx_id, position) of the newest event of an aggregate, to wait for projections.
    pub async fn head_of(&self, aggregate_type: &str, aggregate_id: &str) -> Result<Option<(i64, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT tx_id::text::bigint AS tx, global_position FROM events
             WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence DESC LIMIT 1",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get("tx"), r.get("global_position"))))
    }
}

/// Human-readable cause of a failed command, for logs.
pub fn describe<E: std::error::Error>(e: &AggregateError<E>) -> String {
    match e {
        AggregateError::UserError(u) => u.to_string(),
        AggregateError::AggregateConflict => "concurrent modification".into(),
        AggregateError::DatabaseConnectionError(d) => format!("database connection: {d}"),
        AggregateError::DeserializationError(d) => format!("deserialization: {d}"),
        AggregateError::UnexpectedError(d) => format!("unexpected: {d}"),
    }
}

/// The metadata keys projections use, borrowed from the stored text where possible.
#[derive(serde::Deserialize)]
struct RawMetadata<'a> {
    #[serde(borrow, default)]
    actor: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    source: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    correlation_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    causation_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    recorded_at: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    request_ip: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    conversation_id: Option<std::borrow::Cow<'a, str>>,
}

/// Reads stored metadata leniently: a malformed row must not stall every projection behind it,
/// so unreadable values become empty (and `audit verify` still flags a tampered row).
fn parse_metadata(position: i64, text: Option<&str>) -> EventMetadata {
    let Some(text) = text else {
        // Left out by the reader for events the projection does not follow.
        return EventMetadata::from_map(&HashMap::new());
    };
    match serde_json::from_str::<RawMetadata<'_>>(text) {
        Ok(m) => {
            let mut map = HashMap::new();
            for (k, v) in [
                ("actor", m.actor),
                ("source", m.source),
                ("correlation_id", m.correlation_id),
                ("causation_id", m.causation_id),
                ("recorded_at", m.recorded_at),
                ("request_ip", m.request_ip),
                ("conversation_id", m.conversation_id),
            ] {
                if let Some(v) = v {
                    map.insert(k.to_owned(), v.into_owned());
                }
            }
            EventMetadata::from_map(&map)
        }
        Err(e) => {
            tracing::warn!(position, error = %e, "event metadata is unreadable");
            EventMetadata::from_map(&HashMap::new())
        }
    }
}

/// Events committed after `(tx_id, position)`, in global order, at most `limit`.
///
/// Only transactions older than every running one are read (`tx_id < xmin`), so an event
/// written by a slow transaction that commits later cannot be skipped: it will be read on a
/// later call because its `tx_id` is still above the checkpoint.
pub async fn read_committed_after<'e, E>(
    executor: E,
    after: (i64, i64),
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    read_committed_after_for(executor, after, limit, None).await
}

/// Like [`read_committed_after`], but payload and metadata come only for `aggregate_types`
/// (other events arrive as `Null` so the checkpoint still moves past them cheaply).
pub async fn read_committed_after_for<'e, E>(
    executor: E,
    after: (i64, i64),
    limit: i64,
    aggregate_types: Option<&[&str]>,
) -> Result<Vec<StoredEvent>, StoreError>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let rows = sqlx::query(
        "SELECT tx_id::text::bigint AS tx, global_position, aggregate_type, aggregate_id, sequence,
                event_type, event_version,
                CASE WHEN $4::text[] IS NULL OR aggregate_type = ANY($4) THEN payload::text END AS payload,
                CASE WHEN $4::text[] IS NULL OR aggregate_type = ANY($4) THEN metadata::text END AS metadata
           FROM events
          WHERE (tx_id, global_position) > ($1::text::xid8, $2)
            AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY tx_id, global_position
          LIMIT $3",
    )
    .bind(after.0.to_string())
    .bind(after.1)
    .bind(limit)
    .bind(aggregate_types)
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|r| {
            let position: i64 = r.get("global_position");
            Ok(StoredEvent {
                tx_id: r.get("tx"),
                position,
                aggregate_type: r.get("aggregate_type"),
                aggregate_id: r.get("aggregate_id"),
                sequence: r.get("sequence"),
                event_type: r.get("event_type"),
                event_version: r.get("event_version"),
                payload: r.get::<Option<String>, _>("payload").unwrap_or_default(),
                metadata: parse_metadata(position, r.get::<Option<&str>, _>("metadata")),
            })
        })
        .collect()
}
