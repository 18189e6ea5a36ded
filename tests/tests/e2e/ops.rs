//! Operations end to end: the real server, a real PostgreSQL and the device lab over real SSH.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::lab::{Fault, Lab, Topology};

use crate::helpers::{spawn_app, TestApp};

/// The app with the built-in lab on 127.0.0.1 ephemeral ports, registered in its inventory.
async fn app_with_lab() -> (TestApp, Lab) {
    let app = spawn_app().await;
    let lab = Lab::start(Topology::builtin().with_bind(Ipv4Addr::LOCALHOST, 0)).await.expect("lab starts");
    let n = server::backend::lab::register(&app.state, &lab).await.expect("lab registered");
    assert!(n >= 14, "built-in lab has R15-R25, two AOS-CX, one Junos: {n}");
    assert!(app.state.lab.set(lab.clone()).is_ok());
    (app, lab)
}

async fn device_id(app: &TestApp, hostname: &str) -> String {
    let page: Value = get_json(app, &format!("/api/v1/devices?q={hostname}&tag=lab")).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["hostname"] == hostname)
        .unwrap_or_else(|| panic!("{hostname} not in inventory: {page}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "GET {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
}

async fn request(app: &TestApp, body: Value) -> String {
    let res = app.client.post(app.url("/api/v1/operations")).json(&body).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 201, "request {body} refused: {text}");
    serde_json::from_str::<Value>(&text).unwrap()["id"].as_str().unwrap().to_owned()
}

async fn operation(app: &TestApp, id: &str) -> Value {
    get_json(app, &format!("/api/v1/operations/{id}")).await
}

/// Polls until the operation is finished (and its read model caught up).
async fn finished(app: &TestApp, id: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let op = operation(app, id).await;
        let status = op["operation"]["status"].as_str().unwrap_or_default().to_owned();
        if ["completed", "failed", "cancelled"].contains(&status.as_str()) {
            return op;
        }
        assert!(Instant::now() < deadline, "operation {id} still {status} after {within:?}: {op:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn target<'a>(op: &'a Value, hostname: &str) -> &'a Value {
    op["targets"].as_array().unwrap().iter().find(|t| t["hostname"] == hostname).unwrap()
}

async fn configs(app: &TestApp, device: &str) -> Value {
    get_json(app, &format!("/api/v1/devices/{device}/configs")).await
}

#[tokio::test]
async fn backup_push_diff_and_restore_round_trip_on_the_lab() {
    let (app, lab) = app_with_lab().await;
    // 1. Back up every lab device.
    let op = request(&app, json!({ "kind": "backup", "tag": "lab", "concurrency": 8 })).await;
    let op = finished(&app, &op, Duration::from_secs(60)).await;
    assert_eq!(op["operation"]["status"], "completed", "{op:#}");
    let total = op["operation"]["targets_total"].as_i64().unwrap();
    assert!(total >= 14);
    assert_eq!(op["operation"]["succeeded"].as_i64().unwrap(), total);
    for t in op["targets"].as_array().unwrap() {
        assert_eq!(t["details"]["version"], 1, "{t:#}");
        assert_eq!(t["details"]["changed"], true);
        // A freshly started lab device has saved its config: no running-vs-startup drift.
        assert_eq!(t["details"]["drift"], false, "{t:#}");
    }
    // Host keys were trusted on first use, one event per device.
    let trusted: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'DeviceHostKeyTrusted'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(trusted, total);

    // History export: CSV (one row per target) and JSON (operations with their targets), filtered.
    let csv = app
        .client
        .get(app.url("/api/v1/operations/export?format=csv&kind=backup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("operation_id,kind,operation_status,requested_by"), "{csv}");
    assert_eq!(lines.filter(|l| l.contains(",backup,completed,admin,")).count() as i64, total, "{csv}");
    let json: Value = get_json(&app, "/api/v1/operations/export?format=json&kind=push").await;
    assert_eq!(json.as_array().unwrap().len(), 0, "the kind filter applies: {json}");
    let json: Value = get_json(&app, "/api/v1/operations/export?format=json").await;
    assert_eq!(json[0]["targets"].as_array().unwrap().len() as i64, total);

    // 2. A second backup of an unchanged device records "unchanged", not a new version.
    let r15 = device_id(&app, "R15").await;
    let op = request(&app, json!({ "kind": "backup", "device_ids": [r15] })).await;
    let op = finished(&app, &op, Duration::from_secs(30)).await;
    assert_eq!(target(&op, "R15")["details"]["changed"], false, "{op:#}");
    assert!(target(&op, "R15")["summary"].as_str().unwrap().starts_with("unchanged (version 1)"));

    // 3. Push an interface description with a reason: checks pass, a new version is recorded.
    let push = request(
        &app,
        json!({
            "kind": "push",
            "device_ids": [r15],
            "config_lines": ["interface GigabitEthernet0/1", " description changed-by-e2e"],
            "reason": "CHG-1 describe uplink",
        }),
    )
    .await;
    let op = finished(&app, &push, Duration::from_secs(30)).await;
    let t = target(&op, "R15");
    assert_eq!(t["status"], "succeeded", "{t:#}");
    assert_eq!(t["details"]["report"]["checks"].as_array().unwrap().len(), 4);
    assert!(lab.running_config("R15").unwrap().contains("description changed-by-e2e"));
    assert!(lab.startup_config("R15").unwrap().contains("description changed-by-e2e"), "push saves");
    assert_eq!(t["details"]["post"]["cpu"], t["details"]["pre"]["cpu"], "steady CPU profile: {t:#}");
    let summary = configs(&app, &r15).await;
    assert_eq!(summary["versions"][0]["version"], 2, "{summary:#}");

    // 4. The diff between the versions shows the change, unified and side by side.
    let diff: Value = get_json(&app, &format!("/api/v1/devices/{r15}/configs/diff?from=1&to=2")).await;
    assert!(diff["unified"].as_str().unwrap().contains("+ description changed-by-e2e"), "{diff:#}");
    assert!(diff["rows"].as_array().unwrap().iter().any(|r| r["kind"] == "insert" || r["kind"] == "replace"));
    assert_eq!(diff["added"], 1);

    // 5. Restore version 1: the lab's running config loses the description again.
    let preview: Value = app
        .client
        .post(app.url(&format!("/api/v1/devices/{r15}/configs/preview")))
        .json(&json!({ "restore_version": 1 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        preview["commands"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().contains("no description")),
        "{preview:#}"
    );
    let restore =
        request(&app, json!({ "kind": "restore", "device_ids": [r15], "restore_version": 1, "reason": "undo CHG-1" }))
            .await;
    let op = finished(&app, &restore, Duration::from_secs(30)).await;
    assert_eq!(target(&op, "R15")["status"], "succeeded", "{op:#}");
    assert!(!lab.running_config("R15").unwrap().contains("changed-by-e2e"));
    let v1: Value = get_json(&app, &format!("/api/v1/devices/{r15}/configs/1?reveal=true")).await;
    let now = domain::config::normalize(domain::device::Platform::CiscoIos, &lab.running_config("R15").unwrap());
    assert_eq!(now, v1["text"].as_str().unwrap(), "restored running config equals version 1");

    // Secrets are masked by default.
    let masked: Value = get_json(&app, &format!("/api/v1/devices/{r15}/configs/1")).await;
    assert_eq!(masked["masked"], true);
    assert!(masked["text"].as_str().unwrap().contains(domain::config::SECRET_MASK), "{masked:#}");
}

#[tokio::test]
async fn a_push_whose_post_check_fails_is_rolled_back() {
    let (app, lab) = app_with_lab().await;
    let r16 = device_id(&app, "R16").await;
    // CPU spikes to 95% after any config change (fault injection through the API).
    let res = app
        .client
        .post(app.url("/api/v1/lab/devices/R16"))
        .json(&json!({ "cpu": { "kind": "spike", "base": 10, "peak": 95 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let before = lab.running_config("R16").unwrap();
    let push = request(
        &app,
        json!({
            "kind": "push",
            "device_ids": [r16],
            "config_lines": ["interface GigabitEthernet0/2", " description will-be-rolled-back"],
            "reason": "CHG-2",
        }),
    )
    .await;
    let op = finished(&app, &push, Duration::from_secs(30)).await;
    assert_eq!(op["operation"]["status"], "failed");
    let t = target(&op, "R16");
    assert_eq!(t["status"], "rolled_back", "{t:#}");
    assert!(t["summary"].as_str().unwrap().contains("cpu"), "{t:#}");
    let failed: Vec<&Value> =
        t["details"]["report"]["checks"].as_array().unwrap().iter().filter(|c| c["passed"] == false).collect();
    assert_eq!(failed.len(), 1, "only the CPU check fails: {failed:?}");
    assert!(!lab.running_config("R16").unwrap().contains("will-be-rolled-back"));
    let norm = |t: &str| domain::config::normalize(domain::device::Platform::CiscoIos, t);
    assert_eq!(norm(&lab.running_config("R16").unwrap()), norm(&before));
    // The whole run is in the log.
    let types: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE aggregate_type = 'operation' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(&push)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(types.iter().filter(|t| *t == "OperationTargetProgress").count() >= 4, "{types:?}");
    assert_eq!(types.last().map(String::as_str), Some("OperationFinished"));
}

#[tokio::test]
async fn a_hung_device_times_out_without_blocking_the_others() {
    let (app, lab) = app_with_lab().await;
    lab.set_fault("R17", Some(Fault::Hang)).unwrap();
    let ids = [device_id(&app, "R17").await, device_id(&app, "R18").await, device_id(&app, "R19").await];
    let started = Instant::now();
    let op = request(&app, json!({ "kind": "backup", "device_ids": ids, "concurrency": 3 })).await;
    let op = finished(&app, &op, Duration::from_secs(30)).await;
    let took = started.elapsed();
    assert_eq!(target(&op, "R17")["status"], "failed");
    assert!(target(&op, "R17")["summary"].as_str().unwrap().contains("timed out"), "{op:#}");
    for h in ["R18", "R19"] {
        let t = target(&op, h);
        assert_eq!(t["status"], "succeeded", "{t:#}");
        // The others finished before the hung one gave up (command timeout 3 s in tests): it held
        // no one up. Compared with the hung target's own time so a loaded CI machine does not flake.
        let hung_ms = target(&op, "R17")["duration_ms"].as_i64().unwrap();
        assert!(hung_ms >= 3_000, "the hung device gave up before its timeout: {hung_ms} ms");
        assert!(t["duration_ms"].as_i64().unwrap() < hung_ms, "{t:#}");
    }
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[tokio::test]
async fn cancel_stops_pending_targets_and_records_who_cancelled() {
    let (app, lab) = app_with_lab().await;
    for d in lab.devices() {
        lab.set_fault(&d.name, Some(Fault::Slow { delay_ms: 150 })).unwrap();
    }
    let op = request(&app, json!({ "kind": "backup", "tag": "lab", "concurrency": 1 })).await;
    // Wait for the first target to start, then cancel.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let o = operation(&app, &op).await;
        if o["targets"].as_array().unwrap().iter().any(|t| t["status"] != "pending") {
            break;
        }
        assert!(Instant::now() < deadline, "no target started: {o:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let res = app
        .client
        .post(app.url(&format!("/api/v1/operations/{op}/cancel")))
        .json(&json!({ "reason": "maintenance window closed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let o = finished(&app, &op, Duration::from_secs(30)).await;
    assert_eq!(o["operation"]["status"], "cancelled", "{o:#}");
    assert_eq!(o["operation"]["cancelled_by"], "admin");
    assert_eq!(o["operation"]["cancel_reason"], "maintenance window closed");
    let cancelled = o["targets"].as_array().unwrap().iter().filter(|t| t["status"] == "cancelled").count();
    assert!(cancelled >= 10, "most targets never started: {cancelled}");
    let actor: String = sqlx::query_scalar(
        "SELECT metadata->>'actor' FROM events WHERE aggregate_id = $1 AND event_type = 'OperationCancelled'",
    )
    .bind(&op)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, "admin");
}

#[tokio::test]
async fn engineers_cannot_run_free_commands_and_viewers_cannot_run_operations() {
    let (app, _lab) = app_with_lab().await;
    let r20 = device_id(&app, "R20").await;
    // Admin: free commands allowed, output is recorded and parsed.
    let op = request(
        &app,
        json!({ "kind": "show", "device_ids": [r20], "commands": ["show version", "show ip interface brief"] }),
    )
    .await;
    let op = finished(&app, &op, Duration::from_secs(30)).await;
    let t = target(&op, "R20");
    assert_eq!(t["status"], "succeeded", "{t:#}");
    assert_eq!(t["details"]["parsed"]["show version"]["data"]["hostname"], "R20", "{t:#}");
    // An invalid command is answered as the device does and fails the target.
    let op = request(&app, json!({ "kind": "show", "device_ids": [r20], "commands": ["show bogus thing"] })).await;
    let op = finished(&app, &op, Duration::from_secs(30)).await;
    assert!(
        target(&op, "R20")["output"].as_str().unwrap_or_default().contains("Invalid input")
            || target(&op, "R20")["summary"].as_str().unwrap_or_default().contains("Invalid input"),
        "{op:#}"
    );

    // Role checks on the server, whatever the client: a viewer token may not request operations.
    let state = &app.state;
    let viewer = app::model::CurrentUser {
        username: "vic".into(),
        display_name: "Vic".into(),
        role: domain::identity::Role::Viewer,
        must_change_password: false,
    };
    let engineer =
        app::model::CurrentUser { username: "eve".into(), role: domain::identity::Role::Engineer, ..viewer.clone() };
    use app::ssr::{Backend, CommandContext};
    let ctx = |u: &app::model::CurrentUser| CommandContext {
        user: u.clone(),
        source: domain::metadata::Source::Api,
        request_ip: None,
    };
    let req = |cmds: &[&str]| domain::operation::OperationRequest {
        kind: "show".into(),
        device_ids: vec![r20.clone()],
        commands: cmds.iter().map(|c| (*c).to_owned()).collect(),
        ..Default::default()
    };
    let err = state.request_operation(&ctx(&viewer), req(&["show version"])).await.unwrap_err();
    assert!(matches!(err, app::error::AppError::Forbidden(_)), "{err:?}");
    let err = state.request_operation(&ctx(&engineer), req(&["reload"])).await.unwrap_err();
    assert!(err.to_string().contains("highlighted") || matches!(err, app::error::AppError::Invalid(_)), "{err:?}");
    assert!(state.request_operation(&ctx(&engineer), req(&["show version"])).await.is_ok());
}

#[tokio::test]
async fn a_device_tagged_jump_is_reached_through_the_bastion() {
    let (app, _lab) = app_with_lab().await;
    let r21 = device_id(&app, "R21").await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/devices/{r21}")))
        .json(&json!({ "tags": ["lab", "jump:bastion"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let op = request(&app, json!({ "kind": "backup", "device_ids": [r21] })).await;
    let op = finished(&app, &op, Duration::from_secs(30)).await;
    assert_eq!(target(&op, "R21")["status"], "succeeded", "{op:#}");
    assert!(target(&op, "R21")["log"].as_str().unwrap().contains("logged in"), "{op:#}");

    // A jump host that does not exist is a clear failure, not a direct connection.
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/devices/{r21}")))
        .json(&json!({ "tags": ["lab", "jump:nowhere"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let op = request(&app, json!({ "kind": "backup", "device_ids": [r21] })).await;
    let op = finished(&app, &op, Duration::from_secs(30)).await;
    let t = target(&op, "R21");
    assert_eq!(t["status"], "failed");
    assert_eq!(t["summary"], "jump host nowhere is not in the inventory", "{t:#}");
}

#[tokio::test]
async fn scheduled_operations_run_at_their_time_and_can_be_cancelled_before() {
    let (app, _lab) = app_with_lab().await;
    let r22 = device_id(&app, "R22").await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let op = request(&app, json!({ "kind": "backup", "device_ids": [r22], "scheduled_at": later })).await;
    assert_eq!(operation(&app, &op).await["operation"]["status"], "scheduled");
    let res = app.client.post(app.url(&format!("/api/v1/operations/{op}/cancel"))).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let o = finished(&app, &op, Duration::from_secs(10)).await;
    assert_eq!(o["operation"]["status"], "cancelled", "{o:#}");
    assert_eq!(o["targets"][0]["status"], "cancelled");

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let started = Instant::now();
    let op = request(&app, json!({ "kind": "backup", "device_ids": [r22], "scheduled_at": soon })).await;
    assert_eq!(operation(&app, &op).await["operation"]["status"], "scheduled");
    let o = finished(&app, &op, Duration::from_secs(30)).await;
    assert_eq!(o["operation"]["status"], "completed", "{o:#}");
    assert!(started.elapsed() >= Duration::from_millis(1_500), "ran before its time: {:?}", started.elapsed());
}

#[tokio::test]
async fn credentials_are_stored_encrypted_and_used_by_operations() {
    let (app, lab) = app_with_lab().await;
    let r23 = device_id(&app, "R23").await;
    let info = lab.devices().into_iter().find(|d| d.name == "R23").unwrap();
    let res = app
        .client
        .put(app.url("/api/v1/credentials/ops-r23"))
        .json(&json!({ "username": info.username, "password": info.password, "enable_secret": info.enable_secret }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/devices/{r23}")))
        .json(&json!({ "credential_ref": "ops-r23" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let op = request(&app, json!({ "kind": "connectivity", "device_ids": [r23] })).await;
    let op = finished(&app, &op, Duration::from_secs(30)).await;
    let t = target(&op, "R23");
    assert!(t["details"]["ssh_login_ms"].is_number(), "{t:#}");
    // The secret is not stored in clear, nor anywhere in the event log.
    let raw: Vec<u8> = sqlx::query_scalar("SELECT ciphertext FROM vault_secrets WHERE id = 'ops-r23'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains(&info.password));
    let leaks: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'")
        .bind(&info.password)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(leaks, 0);
    let list: Value = get_json(&app, "/api/v1/credentials").await;
    assert!(list.as_array().unwrap().iter().any(|c| c["id"] == "ops-r23"));
    assert!(!list.to_string().contains(&info.password));
    // Bad input is a clear 400.
    let res = app
        .client
        .put(app.url("/api/v1/credentials/bad%20id"))
        .json(&json!({ "username": "", "password": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn secrets_in_pushed_lines_reach_the_device_but_not_the_event_log() {
    let (app, lab) = app_with_lab().await;
    let r24 = device_id(&app, "R24").await;
    let secret = "Sup3r-s3cret-Zq9";
    let push = request(
        &app,
        json!({
            "kind": "push",
            "device_ids": [r24],
            "config_lines": [format!("username auditor privilege 1 secret {secret}")],
            "reason": "CHG-3 read-only account",
        }),
    )
    .await;
    let op = finished(&app, &push, Duration::from_secs(30)).await;
    assert_eq!(target(&op, "R24")["status"], "succeeded", "{op:#}");
    // The device got the real line (the lab stores a hash of the secret, as IOS does)...
    assert!(lab.running_config("R24").unwrap().contains("username auditor"), "pushed");
    // ...while the log, the read models and the API only ever saw it masked.
    let leaks: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'")
        .bind(secret)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(leaks, 0, "secret found in the event log");
    let spec = op["spec"].to_string();
    assert!(!spec.contains(secret) && spec.contains("username auditor"), "{spec}");
    assert!(!op.to_string().contains(secret), "secret in the operation's API view");
}
