//! Destinations: queries on the `destinations` read model and commands on `Destination`.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use app::error::AppError;
use app::model::{CurrentUser, ImportReport, ImportRowError, Page};
use app::monitoring::model::{DestinationQuery, DestinationRow};
use app::ssr::{require_role, CommandContext};
use cqrs_es::Aggregate;
use domain::identity::Permission;
use domain::monitoring::{
    Destination, DestinationCommand, DestinationDraft, DestinationError, DestinationEvent, DestinationSpec,
};
use futures::StreamExt;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::super::devices::like;
use super::super::{from_aggregate, internal, metadata, AppState};
use super::{field_error, paging};

const COLUMNS: &str = "id, name, address, site, city, country, tags, version, created_at, updated_at";

/// A name that does not answer within this is treated as unresolvable: the form should not hang.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

fn row(r: &PgRow) -> DestinationRow {
    DestinationRow {
        id: r.get("id"),
        name: r.get("name"),
        address: r.get("address"),
        site: r.get("site"),
        city: r.get("city"),
        country: r.get("country"),
        tags: r.get("tags"),
        version: r.get("version"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

fn push_filters<'a>(b: &mut QueryBuilder<'a, Postgres>, q: &'a DestinationQuery) {
    b.push(" WHERE NOT removed");
    let text = q.q.trim();
    if !text.is_empty() {
        let pattern = like(text);
        b.push(" AND (name ILIKE ").push_bind(pattern.clone());
        b.push(" OR address ILIKE ").push_bind(pattern.clone());
        b.push(" OR site ILIKE ").push_bind(pattern.clone());
        b.push(" OR city ILIKE ").push_bind(pattern.clone());
        b.push(" OR country ILIKE ").push_bind(pattern);
        b.push(" OR ").push_bind(text.to_lowercase()).push(" = ANY(tags))");
    }
    let tag = q.tag.trim();
    if !tag.is_empty() {
        b.push(" AND ").push_bind(tag.to_lowercase()).push(" = ANY(tags)");
    }
}

pub async fn list(state: &AppState, user: &CurrentUser, q: DestinationQuery) -> Result<Page<DestinationRow>, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let (page, per_page) = paging(q.page, q.per_page);
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM destinations"));
    push_filters(&mut b, &q);
    b.push(" ORDER BY lower(name), id LIMIT ").push_bind(i64::from(per_page));
    b.push(" OFFSET ").push_bind(i64::from(page - 1) * i64::from(per_page));
    let rows = b.build().fetch_all(&state.pool).await.map_err(internal)?;
    let mut c = QueryBuilder::new("SELECT count(*) FROM destinations");
    push_filters(&mut c, &q);
    let total = c.build_query_scalar::<i64>().fetch_one(&state.pool).await.map_err(internal)?;
    Ok(Page { items: rows.iter().map(row).collect(), total, page, per_page })
}

async fn find(state: &AppState, id: &str) -> Result<DestinationRow, AppError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM destinations WHERE id = $1 AND NOT removed"))
        .bind(id)
        .fetch_optional(&state.pool)
        .await
        .map_err(internal)?
        .as_ref()
        .map(row)
        .ok_or(AppError::NotFound)
}

pub async fn detail(state: &AppState, user: &CurrentUser, id: &str) -> Result<DestinationRow, AppError> {
    require_role(user, Permission::ReadInventory)?;
    find(state, id).await
}

/// Names are unique (case-insensitively) among destinations that are not removed.
async fn name_taken(state: &AppState, name: &str, except: Option<&str>) -> Result<bool, AppError> {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM destinations WHERE lower(name) = lower($1) AND NOT removed
                         AND ($2::text IS NULL OR id <> $2))",
    )
    .bind(name)
    .bind(except)
    .fetch_one(&state.pool)
    .await
    .map_err(internal)
}

fn taken_message(name: &str) -> String {
    format!("'{name}' is already used by another destination")
}

/// Whether a DNS name resolves now; an IP address needs no lookup. The name, not the address it
/// resolves to, is recorded: the engine resolves again whenever a job (re)starts.
async fn resolve(address: &str) -> Result<(), String> {
    if address.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    match tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((address, 0))).await {
        Ok(Ok(mut addrs)) => match addrs.next() {
            Some(_) => Ok(()),
            None => Err(format!("cannot resolve '{address}': the name has no address")),
        },
        Ok(Err(e)) => Err(format!("cannot resolve '{address}': {e}")),
        Err(_) => Err(format!("cannot resolve '{address}': no answer within {} s", RESOLVE_TIMEOUT.as_secs())),
    }
}

async fn execute(state: &AppState, ctx: &CommandContext, id: &str, cmd: DestinationCommand) -> Result<(), AppError> {
    state
        .store
        .destinations
        .execute_with_metadata(id, cmd, metadata(ctx).to_map())
        .await
        .map_err(|e| from_aggregate(e, |u| *u == DestinationError::NotFound))?;
    metrics::counter!("netledger_commands_total", "aggregate" => "destination").increment(1);
    Ok(())
}

async fn add_spec(state: &AppState, ctx: &CommandContext, spec: DestinationSpec) -> Result<String, AppError> {
    let id = uuid::Uuid::new_v4().to_string();
    execute(state, ctx, &id, DestinationCommand::Add { spec }).await?;
    Ok(id)
}

pub async fn add(state: &AppState, ctx: &CommandContext, draft: DestinationDraft) -> Result<DestinationRow, AppError> {
    ctx.require(Permission::ManageMonitoring)?;
    let spec = draft.parse()?;
    if name_taken(state, &spec.name, None).await? {
        return Err(field_error("name", taken_message(&spec.name)));
    }
    resolve(&spec.address).await.map_err(|m| field_error("address", m))?;
    let id = add_spec(state, ctx, spec).await?;
    state.settle(Destination::TYPE, &id).await;
    find(state, &id).await
}

pub async fn update(
    state: &AppState,
    ctx: &CommandContext,
    id: &str,
    draft: DestinationDraft,
    expected_version: Option<i64>,
) -> Result<DestinationRow, AppError> {
    ctx.require(Permission::ManageMonitoring)?;
    let current = find(state, id).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(AppError::Conflict);
    }
    let spec = draft.parse()?;
    if name_taken(state, &spec.name, Some(id)).await? {
        return Err(field_error("name", taken_message(&spec.name)));
    }
    // A name recorded earlier that no longer resolves must not block editing the labels.
    if spec.address != current.address {
        resolve(&spec.address).await.map_err(|m| field_error("address", m))?;
    }
    execute(state, ctx, id, DestinationCommand::Update { spec }).await?;
    state.settle(Destination::TYPE, id).await;
    find(state, id).await
}

pub async fn remove(state: &AppState, ctx: &CommandContext, id: &str) -> Result<(), AppError> {
    ctx.require(Permission::ManageMonitoring)?;
    execute(state, ctx, id, DestinationCommand::Remove).await?;
    state.settle(Destination::TYPE, id).await;
    Ok(())
}

/// The header a destination CSV has; `name` and `address` are required, the rest optional.
const HEADER: [&str; 6] = ["name", "address", "site", "city", "country", "tags"];

fn row_error(line: usize, name: &str, message: impl Into<String>) -> ImportRowError {
    ImportRowError { line, hostname: name.to_owned(), message: message.into() }
}

/// The 1-based line a record starts on, counted from its byte offset: the reader's own line
/// count skips blank lines, which would point people at the wrong line.
fn line_of(text: &str, p: &csv::Position) -> usize {
    let bytes = text.as_bytes();
    let mut end = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(bytes.len());
    // The offset can be that of blank lines the reader skipped before the record.
    while end < bytes.len() && (bytes[end] == b'\n' || bytes[end] == b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

type Parsed = (Vec<(usize, DestinationDraft)>, Vec<ImportRowError>);

/// Parses the file into drafts by line; a row that cannot be read is an error of its line.
fn parse_csv(text: &str) -> Result<Parsed, AppError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::Rejected(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let unknown: Vec<&String> = header.iter().filter(|h| !HEADER.contains(&h.as_str())).collect();
    if column("name").is_none() || column("address").is_none() || !unknown.is_empty() {
        return Err(AppError::Rejected(format!(
            "the header must be {} (name and address required); found: {}",
            HEADER.join(","),
            header.join(",")
        )));
    }
    let mut drafts = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i + 2, |p| line_of(text, p));
                errors.push(row_error(line, "", format!("unreadable row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(i + 2, |p| line_of(text, p));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |name: &str| column(name).and_then(|c| record.get(c)).unwrap_or("").to_owned();
        drafts.push((
            line,
            DestinationDraft {
                name: get("name"),
                address: get("address"),
                site: get("site"),
                city: get("city"),
                country: get("country"),
                tags: get("tags"),
            },
        ));
    }
    Ok((drafts, errors))
}

pub async fn import(state: &AppState, ctx: &CommandContext, csv: &str) -> Result<ImportReport, AppError> {
    ctx.require(Permission::ManageMonitoring)?;
    let (drafts, mut errors) = parse_csv(csv)?;
    let existing: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT lower(name) FROM destinations WHERE NOT removed")
            .fetch_all(&state.pool)
            .await
            .map_err(internal)?
            .into_iter()
            .collect();
    let mut seen = HashSet::new();
    let mut valid = Vec::new();
    for (line, draft) in drafts {
        match draft.parse() {
            Err(e) => errors.push(row_error(line, draft.name.trim(), e.summary())),
            Ok(spec) => {
                let key = spec.name.to_lowercase();
                if existing.contains(&key) {
                    errors.push(row_error(line, &spec.name, "name: already a destination"));
                } else if !seen.insert(key) {
                    errors.push(row_error(line, &spec.name, "name: appears twice in this file"));
                } else {
                    valid.push((line, spec));
                }
            }
        }
    }
    // Each row is resolved and recorded on its own: a row is either added or reported.
    let results: Vec<(usize, String, Result<String, AppError>)> = futures::stream::iter(valid)
        .map(|(line, spec)| async move {
            let name = spec.name.clone();
            let r = match resolve(&spec.address).await {
                Ok(()) => add_spec(state, ctx, spec).await,
                Err(m) => Err(AppError::Rejected(format!("address: {m}"))),
            };
            (line, name, r)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut imported = Vec::new();
    let mut last_id = None;
    for (line, name, r) in results {
        match r {
            Ok(id) => {
                imported.push(name);
                last_id = Some(id);
            }
            Err(e) => errors.push(row_error(line, &name, e.to_string())),
        }
    }
    errors.sort_by_key(|e| e.line);
    if let Some(id) = last_id {
        state.settle(Destination::TYPE, &id).await;
    }
    tracing::info!(imported = imported.len(), rejected = errors.len(), "destination import");
    Ok(ImportReport { imported, errors })
}

/// How a destination event reads in the audit trail.
pub fn describe_event(payload: &Value) -> Option<String> {
    Some(match serde_json::from_value::<DestinationEvent>(payload.clone()).ok()? {
        DestinationEvent::Added { spec } => format!("Destination {} added ({})", spec.name, spec.address),
        DestinationEvent::Updated { spec } => format!(
            "Destination updated: {} ({}){}",
            spec.name,
            spec.address,
            if spec.tags.is_empty() { String::new() } else { format!(", tags {}", spec.tags.join(", ")) }
        ),
        DestinationEvent::Removed => "Destination removed".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_read_by_header_with_their_line_numbers() {
        let text = "name,address,site,city,country,tags\nFRA,10.0.0.1,,Frankfurt,DE,eu\n\n\"Bad, row\",x..y,,,,\n";
        let (drafts, errors) = parse_csv(text).expect("header ok");
        assert!(errors.is_empty());
        assert_eq!(drafts.len(), 2);
        assert_eq!(drafts[0].0, 2);
        assert_eq!(drafts[0].1.city, "Frankfurt");
        assert_eq!(drafts[1].0, 4);
        assert_eq!(drafts[1].1.name, "Bad, row");
    }

    #[test]
    fn a_header_without_address_or_with_unknown_columns_is_refused() {
        assert!(parse_csv("name,site\nx,y\n").is_err());
        assert!(parse_csv("name,address,colour\nx,10.0.0.1,red\n").is_err());
        assert!(parse_csv("address,name\n10.0.0.1,x\n").is_ok());
    }

    #[tokio::test]
    async fn addresses_resolve_or_say_why_not() {
        assert_eq!(resolve("192.0.2.1").await, Ok(()));
        assert_eq!(resolve("localhost").await, Ok(()));
        let e = resolve("no-such-host.invalid").await.expect_err("the .invalid TLD never resolves");
        assert!(e.contains("cannot resolve 'no-such-host.invalid'"), "{e}");
    }
}
