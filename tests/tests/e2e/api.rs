//! The REST API and sessions, over HTTP against the running application.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, ADMIN_PASSWORD};

async fn create(app: &TestApp, body: Value) -> reqwest::Response {
    app.client.post(app.url("/api/v1/devices")).json(&body).send().await.unwrap()
}

fn r15() -> Value {
    json!({"hostname": "R15", "address": "127.0.1.15", "port": 22, "platform": "cisco_ios", "site": "Lab",
           "group": "emea/lab/core", "tags": ["core", "lab"], "latitude": 48.85, "longitude": 2.35})
}

#[tokio::test]
async fn anonymous_requests_get_401_in_the_error_shape_and_pages_redirect_to_login() {
    let app = spawn_app().await;
    let anon = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = anon.get(app.url("/api/v1/devices")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    assert!(body["error"]["message"].is_string());

    let res = anon.get(app.url("/devices?q=r1")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=/devices%3Fq%3Dr1");
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_throttled() {
    let app = spawn_app().await;
    let anon = reqwest::Client::new();
    for _ in 0..5 {
        let res = anon
            .post(app.url("/api/v1/session"))
            .json(&json!({"username": "admin", "password": "nope"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account is throttled.
    let res = anon
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn session_cookie_is_http_only_and_strict() {
    let app = spawn_app().await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("nl_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&app.pool).await.unwrap();
    assert!(stored >= 2);
    let token = cookie.trim_start_matches("nl_session=").split(';').next().unwrap();
    let raw: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE encode(token_hash, 'hex') = $1")
        .bind(token)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(raw, 0, "only a hash of the token is stored");
}

#[tokio::test]
async fn device_lifecycle_over_the_api_is_recorded_with_actor_and_before_after() {
    let app = spawn_app().await;
    let res = create(&app, r15()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let device: Value = res.json().await.unwrap();
    let id = device["id"].as_str().unwrap().to_owned();
    assert_eq!(device["hostname"], "R15");
    assert_eq!(device["group"], "emea/lab/core");
    assert_eq!(device["tags"], json!(["core", "lab"]));
    assert_eq!(device["version"], 1);

    // Read your write: the list shows it immediately.
    let list: Value = app.client.get(app.url("/api/v1/devices?q=r15")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());

    let res = app
        .client
        .patch(app.url(&format!("/api/v1/devices/{id}")))
        .json(&json!({"port": 2222, "expected_version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["port"], 2222);
    assert_eq!(updated["version"], 2);

    let stale = app
        .client
        .patch(app.url(&format!("/api/v1/devices/{id}")))
        .json(&json!({"site": "Paris", "expected_version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::CONFLICT);

    let audit: Value =
        app.client.get(app.url(&format!("/api/v1/audit?device={id}"))).send().await.unwrap().json().await.unwrap();
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["event_type"], "DeviceUpdated");
    assert_eq!(items[0]["actor"], "admin");
    assert_eq!(items[0]["source"], "api");
    assert_eq!(items[0]["changes"], json!([{"field": "port", "before": 22, "after": 2222}]));
    assert_eq!(items[1]["event_type"], "DeviceRegistered");

    let res = app
        .client
        .post(app.url(&format!("/api/v1/devices/{id}/decommission")))
        .json(&json!({"reason": "RMA #42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["status"], "decommissioned");
    let again =
        app.client.patch(app.url(&format!("/api/v1/devices/{id}"))).json(&json!({"port": 22})).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rejected");
}

#[tokio::test]
async fn invalid_devices_get_every_field_error() {
    let app = spawn_app().await;
    let res =
        create(&app, json!({"hostname": "bad host", "address": "300.1.1.1", "port": 0, "platform": "nxos"})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid");
    let fields: Vec<&str> =
        body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["hostname", "address", "port", "platform"]);

    assert_eq!(create(&app, r15()).await.status(), StatusCode::CREATED);
    let dup = create(&app, json!({"hostname": "r15", "address": "10.0.0.1", "platform": "cisco_ios"})).await;
    assert_eq!(dup.status(), StatusCode::BAD_REQUEST);
    let body: Value = dup.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["field"], "hostname");

    let junk = app
        .client
        .post(app.url("/api/v1/devices"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(junk.status(), StatusCode::BAD_REQUEST);
    let nothing = app.client.get(app.url("/api/v1/devices/no-such-id")).send().await.unwrap();
    assert_eq!(nothing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn roles_are_enforced_on_the_server() {
    let app = spawn_app().await;
    let ctx = app::ssr::CommandContext {
        user: app::model::CurrentUser {
            username: "admin".into(),
            display_name: String::new(),
            role: domain::identity::Role::Admin,
            must_change_password: false,
        },
        source: domain::metadata::Source::Api,
        request_ip: None,
    };
    use app::ssr::Backend;
    let inv =
        app.state.invite_user(&ctx, "vera".into(), "Vera Viewer".into(), domain::identity::Role::Viewer).await.unwrap();
    let viewer = app.client_for("vera", &inv.initial_password).await;
    assert_eq!(viewer.get(app.url("/api/v1/devices")).send().await.unwrap().status(), StatusCode::OK);
    let res = viewer.post(app.url("/api/v1/devices")).json(&r15()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(viewer.get(app.url("/api/v1/events")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(
        viewer.get(app.url("/api/v1/audit/export?format=csv")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn events_endpoint_pages_through_the_log_with_metadata() {
    let app = spawn_app().await;
    for i in 0..5 {
        let mut d = r15();
        d["hostname"] = json!(format!("R{}", 20 + i));
        assert_eq!(create(&app, d).await.status(), StatusCode::CREATED);
    }
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let page: Vec<Value> = app
            .client
            .get(app.url(&format!("/api/v1/events?after={after}&limit=2")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last["position"].as_i64().unwrap();
        seen.extend(page);
    }
    let registered: Vec<&Value> = seen.iter().filter(|e| e["event_type"] == "DeviceRegistered").collect();
    assert_eq!(registered.len(), 5);
    assert_eq!(registered[0]["metadata"]["actor"], "admin");
    assert_eq!(registered[0]["metadata"]["source"], "api");
    assert_eq!(registered[0]["hash"].as_str().unwrap().len(), 64);
    let mut positions: Vec<i64> = seen.iter().map(|e| e["position"].as_i64().unwrap()).collect();
    positions.dedup();
    assert_eq!(positions.len(), seen.len(), "no event twice");
}

#[tokio::test]
async fn csv_import_keeps_valid_rows_and_reports_invalid_ones() {
    let app = spawn_app().await;
    assert_eq!(create(&app, r15()).await.status(), StatusCode::CREATED);
    let csv = "hostname,address,platform,site,tags\n\
               sw1,10.0.0.2,aruba_aoscx,Lab,access\n\
               R15,10.0.0.3,cisco_ios,Lab,\n\
               bad host,10.0.0.4,cisco_ios,Lab,\n\
               j1,10.0.0.5,juniper_junos,Lab,\n\
               sw1,10.0.0.6,aruba_aoscx,Lab,\n";
    let res = app.client.post(app.url("/api/v1/devices/import")).body(csv).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.unwrap();
    let mut imported: Vec<&str> = report["imported"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    imported.sort_unstable();
    assert_eq!(imported, ["j1", "sw1"]);
    let lines: Vec<i64> = report["errors"].as_array().unwrap().iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 6]);
    let list: Value = app.client.get(app.url("/api/v1/devices")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 3);
}

#[tokio::test]
async fn operational_endpoints_report_health_readiness_and_metrics() {
    let app = spawn_app().await;
    let anon = reqwest::Client::new();
    assert_eq!(anon.get(app.url("/healthz")).send().await.unwrap().text().await.unwrap(), "ok");
    assert_eq!(create(&app, r15()).await.status(), StatusCode::CREATED);
    let mut ready = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        ready = anon.get(app.url("/readyz")).send().await.unwrap().status();
        if ready == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready, StatusCode::OK);
    let metrics = anon.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("netledger_http_requests_total"), "{metrics}");
    assert!(metrics.contains("netledger_commands_total"), "{metrics}");
}

#[tokio::test]
async fn audit_export_is_csv_with_formula_cells_neutralised() {
    let app = spawn_app().await;
    let mut d = r15();
    d["hostname"] = json!("core1");
    assert_eq!(create(&app, d).await.status(), StatusCode::CREATED);
    let res =
        app.client.get(app.url("/api/v1/audit/export?format=csv&event_type=DeviceRegistered")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let text = res.text().await.unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("position,recorded_at,actor"));
    let row = lines.next().unwrap();
    assert!(row.contains(",admin,api,") && row.contains("DeviceRegistered") && row.contains("core1"), "{row}");
    assert_eq!(lines.next(), None);
    let json: Value =
        app.client.get(app.url("/api/v1/audit/export?format=json")).send().await.unwrap().json().await.unwrap();
    assert!(json.as_array().unwrap().len() >= 2);
    let bad = app.client.get(app.url("/api/v1/audit/export?format=csv&from=yesterday")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/devices"))
        .header("origin", "https://evil.example")
        .json(&r15())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
