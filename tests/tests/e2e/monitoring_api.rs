//! The monitoring REST API against the running application: destinations, job scheduling rules,
//! roles, alert acknowledgement and exports. Running jobs is covered by `monitoring_jobs`.

use std::io::Cursor;
use std::time::Duration;

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

fn admin_ctx() -> app::ssr::CommandContext {
    app::ssr::CommandContext {
        user: app::model::CurrentUser {
            username: "admin".into(),
            display_name: String::new(),
            role: domain::identity::Role::Admin,
            must_change_password: false,
        },
        source: domain::metadata::Source::Api,
        request_ip: None,
    }
}

/// A client signed in as a new user with `role`.
async fn user(app: &TestApp, name: &str, role: domain::identity::Role) -> reqwest::Client {
    use app::ssr::Backend;
    let inv = app.state.invite_user(&admin_ctx(), name.into(), name.into(), role).await.unwrap();
    app.client_for(name, &inv.initial_password).await
}

/// The message of `field` in a 400 `invalid` error body.
fn field(body: &Value, field: &str) -> Option<String> {
    assert_eq!(body["error"]["code"], "invalid", "{body}");
    body["error"]["details"]
        .as_array()?
        .iter()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str().map(str::to_owned))
}

async fn post(c: &reqwest::Client, app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let res = c.post(app.url(path)).json(&body).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, Value) {
    let res = c.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Rebuilding a projection from the log gives the tables the live projector built.
async fn assert_rebuild_matches(app: &TestApp, p: &dyn server::adapters::store::Projection) {
    async fn dump(app: &TestApp, table: &str) -> Vec<Value> {
        sqlx::query_scalar(&format!("SELECT to_jsonb(t) FROM {table} t ORDER BY 1")).fetch_all(&app.pool).await.unwrap()
    }
    let mut live = Vec::new();
    for t in p.tables() {
        live.push(dump(app, t).await);
    }
    assert!(live.iter().any(|rows| !rows.is_empty()), "nothing to compare");
    server::adapters::store::rebuild(&app.pool, p).await.unwrap();
    for (t, rows) in p.tables().iter().zip(live) {
        assert_eq!(dump(app, t).await, rows, "{t} after a rebuild");
    }
}

async fn destination(app: &TestApp, name: &str, address: &str) -> Value {
    let (status, body) =
        post(&app.client, app, "/api/v1/destinations", json!({"name": name, "address": address, "tags": ["eu"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// A job request starting in an hour, so nothing runs while the test looks at it.
fn later_job(name: &str, destination_ids: &[&str]) -> Value {
    json!({
        "name": name,
        "destination_ids": destination_ids,
        "starts_at": (Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        "ends_at": (Utc::now() + chrono::Duration::hours(2)).to_rfc3339(),
        "interval_ms": 1000, "packets": 1, "packet_size": 56, "timeout_ms": 1000,
        "metrics": ["rtt_min", "rtt_avg", "rtt_max", "jitter", "loss"]
    })
}

#[tokio::test]
async fn destinations_are_validated_versioned_and_removed() {
    let app = spawn_app().await;
    let fra = destination(&app, "Frankfurt DC", "192.0.2.10").await;
    assert_eq!(fra["address"], "192.0.2.10");
    assert_eq!(fra["tags"], json!(["eu"]));
    let id = fra["id"].as_str().unwrap().to_owned();

    // Every bad field at once.
    let (status, body) =
        post(&app.client, &app, "/api/v1/destinations", json!({"name": "", "address": "300.1.1.1"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field(&body, "name").as_deref(), Some("is required"));
    assert!(field(&body, "address").is_some());

    // Names are unique, case-insensitively.
    let (status, body) =
        post(&app.client, &app, "/api/v1/destinations", json!({"name": "frankfurt dc", "address": "192.0.2.11"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&body, "name").unwrap().contains("already used"), "{body}");

    // DNS names are resolved before anything is recorded.
    let (status, body) =
        post(&app.client, &app, "/api/v1/destinations", json!({"name": "Nowhere", "address": "no-such-host.invalid"}))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&body, "address").unwrap().contains("cannot resolve 'no-such-host.invalid'"), "{body}");
    let local = destination(&app, "Loopback", "localhost").await;
    assert_eq!(local["address"], "localhost");

    // Optimistic concurrency on update.
    let version = fra["version"].as_i64().unwrap();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/destinations/{id}")))
        .json(&json!({"name": "Frankfurt DC", "address": "192.0.2.10", "city": "Frankfurt", "expected_version": version + 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .client
        .put(app.url(&format!("/api/v1/destinations/{id}")))
        .json(&json!({"name": "Frankfurt DC", "address": "192.0.2.10", "city": "Frankfurt", "tags": "eu, dc",
                      "expected_version": version}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["city"], "Frankfurt");
    assert_eq!(updated["tags"], json!(["dc", "eu"]));
    assert_eq!(updated["version"].as_i64(), Some(version + 1));

    let (status, list) = get(&app.client, &app, "/api/v1/destinations?q=frank").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    let (_, list) = get(&app.client, &app, "/api/v1/destinations?tag=dc").await;
    assert_eq!(list["items"][0]["id"], id.as_str());

    let res = app.client.delete(app.url(&format!("/api/v1/destinations/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, _) = get(&app.client, &app, &format!("/api/v1/destinations/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The name is free again.
    destination(&app, "Frankfurt DC", "192.0.2.12").await;

    // The audit trail tells what happened in words.
    let (_, audit) = get(&app.client, &app, "/api/v1/audit?event_type=DestinationAdded").await;
    let summaries: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert!(summaries.contains(&"Destination Frankfurt DC added (192.0.2.10)"), "{summaries:?}");
}

#[tokio::test]
async fn a_destination_csv_keeps_good_rows_and_reports_bad_ones_by_line() {
    let app = spawn_app().await;
    destination(&app, "Existing", "192.0.2.1").await;
    let csv = "name,address,site,city,country,tags\n\
               Paris,192.0.2.20,PAR1,Paris,FR,eu\n\
               Broken,300.0.0.1,,,,\n\
               paris,192.0.2.21,,,,\n\
               Existing,192.0.2.22,,,,\n\
               Madrid,192.0.2.23,,Madrid,ES,eu south\n\
               Ghost,no-such-host.invalid,,,,\n";
    let res = app.client.post(app.url("/api/v1/destinations/import")).body(csv).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    let mut imported: Vec<&str> = report["imported"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    imported.sort_unstable();
    assert_eq!(imported, ["Madrid", "Paris"]);
    let lines: Vec<i64> = report["errors"].as_array().unwrap().iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5, 7], "{report}");
    let message = |line: i64| {
        report["errors"].as_array().unwrap().iter().find(|e| e["line"] == line).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message(3).starts_with("address:"), "{}", message(3));
    assert!(message(4).contains("twice"), "{}", message(4));
    assert!(message(5).contains("already"), "{}", message(5));
    assert!(message(7).contains("cannot resolve"), "{}", message(7));

    let (_, list) = get(&app.client, &app, "/api/v1/destinations?tag=south").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["city"], "Madrid");

    let res = app.client.post(app.url("/api/v1/destinations/import")).body("name,site\nx,y\n").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn scheduling_a_job_reports_every_invalid_field() {
    let app = spawn_app().await;
    let (status, body) = post(
        &app.client,
        &app,
        "/api/v1/monitor/jobs",
        json!({"name": "", "interval_ms": 10, "packets": 0, "packet_size": 56, "timeout_ms": 1000, "metrics": []}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for f in ["name", "targets", "interval_ms", "packets", "metrics"] {
        assert!(field(&body, f).is_some(), "{f}: {body}");
    }

    let mut req = later_job("Unknown targets", &["nope"]);
    req["tag"] = json!("nothing-has-this");
    let (status, body) = post(&app.client, &app, "/api/v1/monitor/jobs", req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field(&body, "destination_ids").as_deref(), Some("no destination with id nope"));
    assert!(field(&body, "tag").unwrap().contains("nothing-has-this"));

    let d = destination(&app, "Somewhere", "192.0.2.30").await;
    let mut req = later_job("Past", &[d["id"].as_str().unwrap()]);
    req["starts_at"] = Value::Null;
    req["ends_at"] = json!((Utc::now() - chrono::Duration::hours(1)).to_rfc3339());
    let (status, body) = post(&app.client, &app, "/api/v1/monitor/jobs", req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&body, "ends_at").is_some(), "{body}");

    let (status, body) = post(
        &app.client,
        &app,
        "/api/v1/monitor/jobs",
        json!({"name": "x", "cloned_from": "missing", "interval_ms": 1000,
             "packets": 1, "packet_size": 56, "timeout_ms": 1000, "metrics": ["loss"], "tag": "eu"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&body, "cloned_from").is_some(), "{body}");
}

#[tokio::test]
async fn viewers_read_and_engineers_manage_monitoring() {
    let app = spawn_app().await;
    let viewer = user(&app, "vera", domain::identity::Role::Viewer).await;
    let engineer = user(&app, "eve", domain::identity::Role::Engineer).await;

    let (status, _) = post(&viewer, &app, "/api/v1/destinations", json!({"name": "V", "address": "192.0.2.40"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, d) =
        post(&engineer, &app, "/api/v1/destinations", json!({"name": "E", "address": "192.0.2.41"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let did = d["id"].as_str().unwrap();
    let (status, _) = get(&viewer, &app, "/api/v1/destinations").await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = post(&viewer, &app, "/api/v1/monitor/jobs", later_job("V job", &[did])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) = post(&engineer, &app, "/api/v1/monitor/jobs", later_job("E job", &[did])).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let job = created["id"].as_str().unwrap().to_owned();

    let (status, detail) = get(&viewer, &app, &format!("/api/v1/monitor/jobs/{job}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["job"]["status"], "scheduled");
    assert_eq!(detail["job"]["created_by"], "eve");
    assert_eq!(detail["job"]["selection"], "E");
    assert_eq!(detail["targets"][0]["key"], format!("dst:{did}"));
    assert_eq!(detail["targets"][0]["address"], "192.0.2.41");
    let (_, list) = get(&viewer, &app, "/api/v1/monitor/jobs?status=scheduled").await;
    assert_eq!(list["total"], 1);
    // Before its start a job has an empty series, not an error.
    let (status, series) = get(&viewer, &app, &format!("/api/v1/monitor/jobs/{job}/series")).await;
    assert_eq!(status, StatusCode::OK, "{series}");
    assert_eq!(series["targets"], json!([]));

    let path = format!("/api/v1/monitor/jobs/{job}/cancel");
    let (status, _) = post(&viewer, &app, &path, json!({"reason": "mine now"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = post(&engineer, &app, &path, json!({"reason": "  "})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&body, "reason").is_some());
    let (status, _) = post(&engineer, &app, &path, json!({"reason": "wrong window"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, detail) = get(&viewer, &app, &format!("/api/v1/monitor/jobs/{job}")).await;
    assert_eq!(detail["job"]["status"], "cancelled");
    assert_eq!(detail["job"]["cancelled_by"], "eve");
    assert_eq!(detail["job"]["finish_reason"], "wrong window");
    // A finished job cannot be cancelled again.
    let (status, _) = post(&engineer, &app, &path, json!({"reason": "again"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A clone records where it came from.
    let mut clone = later_job("E job (copy)", &[did]);
    clone["cloned_from"] = json!(job);
    let (status, created) = post(&engineer, &app, "/api/v1/monitor/jobs", clone).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, detail) = get(&viewer, &app, &format!("/api/v1/monitor/jobs/{}", created["id"].as_str().unwrap())).await;
    assert_eq!(detail["spec"]["cloned_from"], job.as_str());

    assert_rebuild_matches(&app, &server::adapters::store::projections::MonitoringProjection).await;
}

/// Records an alert on a job target as the monitor engine would.
async fn raise(app: &TestApp, job: &str, target: &str, value: f64) -> String {
    use domain::monitoring::{AlertCommand, AlertMetric, AlertPolicy, AlertSubject};
    let subject = AlertSubject {
        metric: AlertMetric::Rtt,
        label: format!("{target} (job {job})"),
        job_id: Some(job.into()),
        device_id: None,
        target: Some(target.into()),
    };
    let id = subject.id();
    let meta = domain::metadata::EventMetadata::new(
        "system:monitor",
        domain::metadata::Source::Scheduler,
        uuid::Uuid::new_v4().to_string(),
        Utc::now(),
    );
    let cmd = AlertCommand::Observe {
        subject,
        value,
        at: Utc::now(),
        policy: AlertPolicy { threshold: 100.0, cooldown_s: 900 },
    };
    app.state.store.alerts.execute_with_metadata(&id, cmd, meta.to_map()).await.unwrap();
    id
}

async fn wait_for_alerts(app: &TestApp, n: i64) -> Value {
    for _ in 0..100 {
        let (_, counts) = get(&app.client, app, "/api/v1/alerts/counts").await;
        if counts["open"].as_i64() == Some(n) {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the alerts projection did not show {n} open alerts");
}

#[tokio::test]
async fn alerts_are_listed_counted_and_acknowledged() {
    let app = spawn_app().await;
    let subject = raise(&app, "job-1", "dst:a", 150.0).await;
    let counts = wait_for_alerts(&app, 1).await;
    assert_eq!(counts["unacknowledged"], 1);
    let alert = &counts["latest"][0];
    let id = format!("{subject}#1");
    assert_eq!(alert["id"], id.as_str());
    assert_eq!(alert["metric"], "rtt");
    assert_eq!(alert["job_id"], "job-1");
    assert_eq!(alert["value"], 150.0);
    assert_eq!(alert["threshold"], 100.0);

    let viewer = user(&app, "vera", domain::identity::Role::Viewer).await;
    let (status, list) = get(&viewer, &app, "/api/v1/alerts?job_id=job-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    let ack = format!("/api/v1/alerts/{}/ack", id.replace('#', "%23"));
    let (status, _) = post(&viewer, &app, &ack, json!({"note": "seen"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = post(&app.client, &app, &ack, json!({"note": "looking into it"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = get(&app.client, &app, "/api/v1/alerts?state=all").await;
    assert_eq!(list["items"][0]["acknowledged_by"], "admin");
    assert_eq!(list["items"][0]["ack_note"], "looking into it");
    let (_, counts) = get(&app.client, &app, "/api/v1/alerts/counts").await;
    assert_eq!((counts["open"].as_i64(), counts["unacknowledged"].as_i64()), (Some(1), Some(0)));
    let (_, unacked) = get(&app.client, &app, "/api/v1/alerts?state=unacknowledged").await;
    assert_eq!(unacked["total"], 0);

    let (status, body) = post(&app.client, &app, &ack, json!({"note": "twice"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = post(&app.client, &app, "/api/v1/alerts/job:x:dst:y:rtt%237/ack", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The value recovering below the clear level closes the episode.
    raise(&app, "job-1", "dst:a", 10.0).await;
    wait_for_alerts(&app, 0).await;
    let (_, all) = get(&app.client, &app, "/api/v1/alerts?state=all").await;
    assert!(all["items"][0]["cleared_at"].is_string());
    assert_eq!(all["items"][0]["last_value"], 10.0);

    assert_rebuild_matches(&app, &server::adapters::store::projections::AlertsProjection).await;
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// (seconds after t0, target, sent, received, min, avg, max, jitter) in microseconds.
type Row = (i64, String, i16, i16, Option<i32>, Option<i32>, Option<i32>, Option<i32>);

async fn insert_samples(app: &TestApp, job: &str, rows: &[Row]) {
    for (s, target, sent, received, min, avg, max, jitter) in rows {
        sqlx::query(
            "INSERT INTO monitor_samples (job_id, target, at, sent, received, rtt_min_us, rtt_avg_us, rtt_max_us, jitter_us)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(job)
        .bind(target)
        .bind(t0() + chrono::Duration::seconds(*s))
        .bind(sent)
        .bind(received)
        .bind(min)
        .bind(avg)
        .bind(max)
        .bind(jitter)
        .execute(&app.pool)
        .await
        .unwrap();
    }
}

fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

#[tokio::test]
async fn exports_give_every_sample_and_a_summary_that_adds_up() {
    let app = spawn_app().await;
    let a = destination(&app, "=HYPERLINK(\"x\")", "192.0.2.50").await;
    let b = destination(&app, "Berlin", "192.0.2.51").await;
    let (ka, kb) = (format!("dst:{}", a["id"].as_str().unwrap()), format!("dst:{}", b["id"].as_str().unwrap()));
    let (status, created) = post(
        &app.client,
        &app,
        "/api/v1/monitor/jobs",
        later_job("Export me", &[a["id"].as_str().unwrap(), b["id"].as_str().unwrap()]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let job = created["id"].as_str().unwrap().to_owned();

    // A: one packet per round, RTTs 1, 2, 3, 4 and 10 ms.
    // B: four packets per round, 4/4, 4/4, 2/4 and 0/4 replies.
    let mut rows: Vec<Row> = [1_000, 2_000, 3_000, 4_000, 10_000]
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64, ka.clone(), 1, 1, Some(v), Some(v), Some(v), (i > 0).then_some(500)))
        .collect();
    rows.extend([
        (0, kb.clone(), 4, 4, Some(1_500), Some(2_000), Some(2_600), Some(300)),
        (1, kb.clone(), 4, 4, Some(2_000), Some(2_500), Some(3_100), Some(400)),
        (2, kb.clone(), 4, 2, Some(2_900), Some(3_000), Some(3_100), Some(100)),
        (3, kb.clone(), 4, 0, None, None, None, None),
    ]);
    insert_samples(&app, &job, &rows).await;

    // Hand-computed figures. A: min 1, avg (1+2+3+4+10)/5 = 4, max 10, p95 = 5th of 5 = 10 ms,
    // jitter 0.5 ms, no loss. B: 10 of 16 replies (37.5 % loss), avg weighted by replies
    // (2*4 + 2.5*4 + 3*2) / 10 = 2.4 ms, min 1.5, max 3.1, p95 = 3rd of 3 averages = 3 ms,
    // jitter (0.3 + 0.4 + 0.1) / 3 = 0.267 ms.
    let expected = [
        ("=HYPERLINK(\"x\")", 5.0, 5.0, 5.0, 0.0, 1.0, 4.0, 10.0, 10.0, 0.5),
        ("Berlin", 4.0, 16.0, 10.0, 37.5, 1.5, 2.4, 3.1, 3.0, 0.267),
    ];

    // CSV: a header and one row per sample, in time order, formula-like cells neutralised.
    let res = app.client.get(app.url(&format!("/api/v1/monitor/jobs/{job}/export?format=csv"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"monitor-export-me-"));
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "time",
            "target",
            "name",
            "address",
            "sent",
            "received",
            "loss_pct",
            "rtt_min_ms",
            "rtt_avg_ms",
            "rtt_max_ms",
            "jitter_ms"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 9);
    let first_a = records.iter().find(|r| &r[1] == ka.as_str()).unwrap();
    assert_eq!(&first_a[0], "2026-03-01T12:00:00.000Z");
    assert_eq!(&first_a[2], "'=HYPERLINK(\"x\")");
    assert_eq!(&first_a[8], "1");
    let lost = records.iter().find(|r| &r[1] == kb.as_str() && &r[5] == "0").unwrap();
    assert_eq!((&lost[6], &lost[8]), ("100", ""));
    let half = records.iter().find(|r| &r[1] == kb.as_str() && &r[5] == "2").unwrap();
    assert_eq!((&half[6], &half[7], &half[8], &half[10]), ("50", "2.9", "3", "0.1"));

    // A range keeps only its rounds.
    let from = (t0() + chrono::Duration::seconds(3)).to_rfc3339();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/monitor/jobs/{job}/export")))
        .query(&[("format", "csv"), ("from", from.as_str())])
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert_eq!(text.lines().count(), 1 + 3, "{text}");
    let res = app.client.get(app.url(&format!("/api/v1/monitor/jobs/{job}/export?format=pdf"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // XLSX: the same rows as real numbers and dates, and a Summary sheet with the figures above.
    let res = app.client.get(app.url(&format!("/api/v1/monitor/jobs/{job}/export?format=xlsx"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().ends_with(".xlsx\""));
    let bytes = res.bytes().await.unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), ["Samples", "Summary"]);
    let samples = wb.worksheet_range("Samples").unwrap();
    assert_eq!(samples.height(), 1 + 9);
    assert_eq!(samples.get((0, 0)), Some(&Data::String("time".into())));
    // Rows of one round are ordered by target key; find A's first one.
    let r = (1..3).find(|&r| samples.get((r, 1)) == Some(&Data::String(ka.clone()))).unwrap();
    let at = samples.get((r, 0)).unwrap();
    let at = at.as_datetime().unwrap_or_else(|| panic!("a date cell: {at:?}"));
    assert_eq!(at.and_utc(), t0());
    assert_eq!(samples.get((r, 2)), Some(&Data::String("=HYPERLINK(\"x\")".into())));
    assert_eq!(num(samples.get((r, 8)).unwrap()), 1.0);
    let summary = wb.worksheet_range("Summary").unwrap();
    assert_eq!(summary.height(), 1 + 2);
    assert_eq!(summary.get((0, 9)), Some(&Data::String("rtt_p95_ms".into())));
    for (i, e) in expected.iter().enumerate() {
        let r = u32::try_from(i).unwrap() + 1;
        assert_eq!(summary.get((r as usize, 0)), Some(&Data::String(e.0.into())));
        let got: Vec<f64> = (2..=10).map(|c| num(summary.get((r as usize, c)).unwrap())).collect();
        let want = [e.1, e.2, e.3, e.4, e.5, e.6, e.7, e.8, e.9];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 0.001, "{}: got {got:?}, want {want:?}", e.0);
        }
    }

    // Beyond a sheet's rows the samples go on in "Samples 2", "Samples 3"...; the summary is whole.
    use server::backend::monitoring::export;
    let plan = export::plan(&app.state, &admin_ctx().user, &job, "", "").await.unwrap();
    let bytes = export::xlsx_with(app.pool.clone(), &plan, 4).await.unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["Samples", "Samples 2", "Samples 3", "Summary"]);
    let heights: Vec<usize> = ["Samples", "Samples 2", "Samples 3", "Summary"]
        .iter()
        .map(|n| wb.worksheet_range(n).unwrap().height())
        .collect();
    assert_eq!(heights, [5, 5, 2, 3]);
    assert_eq!(wb.worksheet_range("Samples 3").unwrap().get((0, 1)), Some(&Data::String("target".into())));

    // The job's detail shows the same figures and each target's latest round.
    let (_, detail) = get(&app.client, &app, &format!("/api/v1/monitor/jobs/{job}")).await;
    let ta = detail["targets"].as_array().unwrap().iter().find(|t| t["key"] == ka.as_str()).unwrap();
    assert_eq!(ta["summary"]["rtt_p95_ms"], 10.0);
    assert_eq!(ta["summary"]["rtt_avg_ms"], 4.0);
    assert_eq!(ta["last_rtt_ms"], 10.0);
    let tb = detail["targets"].as_array().unwrap().iter().find(|t| t["key"] == kb.as_str()).unwrap();
    assert_eq!(tb["summary"]["loss_pct"], 37.5);
    assert_eq!(tb["last_loss_pct"], 100.0);

    // The series over the same window is raw rounds, in ms.
    let to = (t0() + chrono::Duration::seconds(10)).to_rfc3339();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/monitor/jobs/{job}/series")))
        .query(&[("from", t0().to_rfc3339().as_str()), ("to", to.as_str()), ("targets", ka.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let series: Value = res.json().await.unwrap();
    assert_eq!(series["resolution"], "raw");
    assert_eq!(series["targets"].as_array().unwrap().len(), 1);
    let avgs: Vec<f64> =
        series["targets"][0]["points"].as_array().unwrap().iter().map(|p| p["rtt_avg_ms"].as_f64().unwrap()).collect();
    assert_eq!(avgs, [1.0, 2.0, 3.0, 4.0, 10.0]);
}

async fn device(app: &TestApp, hostname: &str, address: &str, group: &str, tags: &[&str]) -> String {
    let (status, body) = post(
        &app.client,
        app,
        "/api/v1/devices",
        json!({"hostname": hostname, "address": address, "platform": "cisco_ios", "group": group, "tags": tags}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn jobs_resolve_devices_groups_and_tags_and_edits_replace_the_targets() {
    let app = spawn_app().await;
    let r1 = device(&app, "R1", "127.0.1.1", "emea/lab", &["eu"]).await;
    let r2 = device(&app, "R2", "127.0.1.2", "emea/lab/core", &[]).await;
    let r3 = device(&app, "R3", "127.0.1.3", "emea/other", &["eu"]).await;
    let r4 = device(&app, "R4", "127.0.1.4", "emea/lab", &["eu"]).await;
    let (status, _) =
        post(&app.client, &app, &format!("/api/v1/devices/{r4}/decommission"), json!({"reason": "gone"})).await;
    assert_eq!(status, StatusCode::OK);
    let d1 = destination(&app, "D1", "192.0.2.60").await["id"].as_str().unwrap().to_owned();

    let mut req = later_job("Mixed", &[]);
    req["device_ids"] = json!([r1]);
    req["group"] = json!("emea/lab");
    req["tag"] = json!("EU");
    let (status, created) = post(&app.client, &app, "/api/v1/monitor/jobs", req.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let job = created["id"].as_str().unwrap().to_owned();
    let (_, detail) = get(&app.client, &app, &format!("/api/v1/monitor/jobs/{job}")).await;
    let keys: Vec<&str> = detail["targets"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    // Devices named first, then the group (subgroups included, decommissioned left out), then the
    // tag's destinations and devices; each target once.
    assert_eq!(keys, [format!("dev:{r1}"), format!("dev:{r2}"), format!("dst:{d1}"), format!("dev:{r3}")]);
    assert_eq!(detail["targets"][0]["address"], "127.0.1.1");
    assert_eq!(detail["targets"][0]["name"], "R1");
    assert_eq!(detail["targets"][0]["kind"], "device");
    assert_eq!(detail["job"]["selection"], "R1 + group emea/lab + tag eu");
    assert_eq!(detail["job"]["targets_total"], 4);
    let version = detail["job"]["version"].as_i64().unwrap();

    let mut bad = later_job("Decommissioned", &[]);
    bad["device_ids"] = json!([r4]);
    let (status, body) = post(&app.client, &app, "/api/v1/monitor/jobs", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field(&body, "device_ids").as_deref(), Some("R4 is decommissioned"));

    // An edit records a new spec with targets resolved again.
    let mut edit = later_job("Only D1", &[d1.as_str()]);
    edit["interval_ms"] = json!(2000);
    let res = app.client.put(app.url(&format!("/api/v1/monitor/jobs/{job}"))).json(&edit).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["job"]["name"], "Only D1");
    assert_eq!(detail["job"]["interval_ms"], 2000);
    assert_eq!(detail["job"]["targets_total"], 1);
    assert_eq!(detail["spec"]["targets"][0]["key"], format!("dst:{d1}"));
    assert!(detail["job"]["version"].as_i64().unwrap() > version);
    let (_, audit) = get(&app.client, &app, "/api/v1/audit?event_type=MonitorJobEdited").await;
    assert!(audit["items"][0]["summary"].as_str().unwrap().starts_with("Monitoring job 'Only D1' edited"), "{audit}");
}

#[tokio::test]
async fn long_series_come_from_rollups_with_device_changes_marked() {
    let app = spawn_app().await;
    let r1 = device(&app, "R1", "127.0.1.1", "lab", &[]).await;
    let mut req = later_job("Long", &[]);
    req["device_ids"] = json!([r1]);
    let (_, created) = post(&app.client, &app, "/api/v1/monitor/jobs", req).await;
    let job = created["id"].as_str().unwrap().to_owned();
    let key = format!("dev:{r1}");

    // Ten hours of 1-minute buckets of 1,000 rounds of one packet, 900 replies averaging 2 ms.
    sqlx::query(
        "INSERT INTO monitor_rollup_1m (job_id, target, bucket, rounds, sent, received, rtt_min_us, rtt_sum_us, rtt_n,
                                        rtt_max_us, jitter_sum_us, jitter_n)
         SELECT $1, $2, $3 + make_interval(mins => m), 1000, 1000, 900, 1000, 2000 * 900, 900, 5000, 300 * 50, 50
           FROM generate_series(0, 599) AS m",
    )
    .bind(&job)
    .bind(&key)
    .bind(t0())
    .execute(&app.pool)
    .await
    .unwrap();
    let to = (t0() + chrono::Duration::hours(10)).to_rfc3339();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/monitor/jobs/{job}/series")))
        .query(&[("from", t0().to_rfc3339().as_str()), ("to", to.as_str()), ("max_points", "100")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let series: Value = res.json().await.unwrap();
    // 600 minutes into at most 100 points: 7-minute buckets.
    assert_eq!(series["resolution"], "7m");
    let points = series["targets"][0]["points"].as_array().unwrap();
    assert!(points.len() <= 100 && points.len() >= 80, "{}", points.len());
    assert_eq!(points[0]["rtt_avg_ms"], 2.0);
    assert_eq!(points[0]["rtt_min_ms"], 1.0);
    assert_eq!(points[0]["rtt_max_ms"], 5.0);
    assert_eq!(points[0]["jitter_ms"], 0.3);
    assert_eq!(points[0]["loss_pct"], 10.0);

    // 600,000 rounds: the run's figures come from the rollups.
    let (_, detail) = get(&app.client, &app, &format!("/api/v1/monitor/jobs/{job}")).await;
    let summary = &detail["targets"][0]["summary"];
    assert_eq!(summary["rounds"], 600_000);
    assert_eq!((summary["sent"].as_i64(), summary["received"].as_i64()), (Some(600_000), Some(540_000)));
    assert_eq!(summary["loss_pct"], 10.0);
    assert_eq!(summary["rtt_avg_ms"], 2.0);
    assert_eq!(summary["rtt_p95_ms"], 2.0);
    assert_eq!((summary["rtt_min_ms"].as_f64(), summary["rtt_max_ms"].as_f64()), (Some(1.0), Some(5.0)));
    assert_eq!(summary["jitter_ms"], 0.3);

    // A change to the targeted device shows on the time axis.
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/devices/{r1}")))
        .json(&json!({"site": "Paris"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let from = (Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let to = (Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/monitor/jobs/{job}/series")))
        .query(&[("from", from.as_str()), ("to", to.as_str())])
        .send()
        .await
        .unwrap();
    let series: Value = res.json().await.unwrap();
    let changes = series["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{series}");
    assert_eq!(changes[0]["hostname"], "R1");
    assert_eq!(changes[0]["event_type"], "DeviceUpdated");
    assert_eq!(changes[0]["actor"], "admin");
    assert!(changes[0]["summary"].as_str().unwrap().contains("Paris"), "{}", changes[0]["summary"]);
}

/// Measures a large export (run with `--ignored`; NETLEDGER_EXPORT_ROWS sets the size).
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn measure_a_large_export() {
    let rows: i64 = std::env::var("NETLEDGER_EXPORT_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let app = spawn_app().await;
    let a = destination(&app, "A", "192.0.2.70").await["id"].as_str().unwrap().to_owned();
    let b = destination(&app, "B", "192.0.2.71").await["id"].as_str().unwrap().to_owned();
    let (_, created) =
        post(&app.client, &app, "/api/v1/monitor/jobs", later_job("Big", &[a.as_str(), b.as_str()])).await;
    let job = created["id"].as_str().unwrap().to_owned();
    sqlx::query(
        "INSERT INTO monitor_samples (job_id, target, at, sent, received, rtt_min_us, rtt_avg_us, rtt_max_us, jitter_us)
         SELECT $1, CASE WHEN i % 2 = 0 THEN $2 ELSE $3 END, $4 + make_interval(secs => i / 2), 1, 1,
                1000 + i % 997, 1000 + i % 997, 1000 + i % 997, i % 113
           FROM generate_series(0, $5 - 1) AS i",
    )
    .bind(&job)
    .bind(format!("dst:{a}"))
    .bind(format!("dst:{b}"))
    .bind(t0())
    .bind(rows)
    .execute(&app.pool)
    .await
    .unwrap();
    let hwm = || {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    eprintln!("inserted {rows} samples; {}", hwm());
    let started = std::time::Instant::now();
    let res = app.client.get(app.url(&format!("/api/v1/monitor/jobs/{job}/export?format=csv"))).send().await.unwrap();
    let mut res = res;
    let (mut bytes, mut lines) = (0_usize, 0_usize);
    while let Some(chunk) = res.chunk().await.unwrap() {
        bytes += chunk.len();
        lines += chunk.iter().filter(|&&c| c == b'\n').count();
    }
    assert_eq!(lines as i64, rows + 1);
    eprintln!("csv: {bytes} bytes in {:?}; {}", started.elapsed(), hwm());
    let started = std::time::Instant::now();
    let res = app.client.get(app.url(&format!("/api/v1/monitor/jobs/{job}/export?format=xlsx"))).send().await.unwrap();
    let xlsx = res.bytes().await.unwrap();
    eprintln!("xlsx: {} bytes in {:?}; {}", xlsx.len(), started.elapsed(), hwm());
    let wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx.to_vec())).unwrap();
    assert_eq!(wb.sheet_names().last().map(String::as_str), Some("Summary"));
}
