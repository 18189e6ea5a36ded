//! `/operations/{id}`: one operation's header and per-target progress, refreshed live while it runs.

use std::collections::BTreeSet;
use std::time::Duration;

use domain::identity::Permission;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use crate::api::{cancel_operation, get_operation};
use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::badges::StatusBadge;
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::dialog::ReasonDialog;
use crate::components::live::use_live;
use crate::components::time::Time;
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::components::user::IfCan;
use crate::model::{OperationDetail, OperationRow, OperationTargetRow};
use crate::pages::ops_common::{fmt_duration, kind_label, op_active, DetailsView, OpProgress};

/// Safety net under the live stream while targets run: progress lines arrive often and a missed
/// server-sent event must not leave the page stale.
const POLL: Duration = Duration::from_secs(2);

const TARGET_FILTERS: [(&str, &str); 5] =
    [("", "All"), ("running", "Running"), ("failed", "Failed"), ("succeeded", "Succeeded"), ("pending", "Pending")];

#[component]
pub fn OperationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let live = use_live();
    let tick = RwSignal::new(0_u64);
    let toasts = use_toasts();
    let detail = Resource::new(move || (live.get(), tick.get(), id.get()), |(_, _, id)| get_operation(id));

    // Outside the data view so that refreshes keep them.
    let expanded = RwSignal::new(BTreeSet::<String>::new());
    let target_filter = RwSignal::new(String::new());
    let cancel_open = RwSignal::new(false);

    let poll = StoredValue::new(None::<IntervalHandle>);
    // An effect (not a memo) reads the resource: effects run only in the browser, after hydration.
    Effect::new(move |_| {
        let running =
            detail.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).is_some_and(|d| op_active(&d.operation.status)));
        if let Some(h) = poll.get_value() {
            h.clear();
            poll.set_value(None);
        }
        if running {
            poll.set_value(set_interval_with_handle(move || tick.update(|n| *n += 1), POLL).ok());
        }
    });
    on_cleanup(move || {
        if let Some(h) = poll.try_get_value().flatten() {
            h.clear();
        }
    });

    let cancel = Action::new(move |reason: &String| {
        let (reason, id) = (reason.clone(), id.get_untracked());
        async move {
            let result = cancel_operation(id, reason).await;
            match &result {
                Ok(()) => {
                    toasts.success("Cancellation requested: pending targets will not run");
                    cancel_open.set(false);
                    live.update(|n| *n += 1);
                }
                Err(e) => toasts.error(e.to_string()),
            }
            result
        }
    });
    let pending = cancel.pending();

    // The title lives at page level: a title created inside the data view could be read after a
    // live refresh disposed that view (a panic in the browser).
    let title = RwSignal::new("Operation".to_owned());

    view! {
        <PageTitle text=title/>
        <section class="page" data-testid="operation-page">
            <Transition fallback=|| view! { <Loading label="Loading operation…"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => {
                            title.set(format!("{} · {}", kind_label(&d.operation.kind), d.operation.selection));
                            view! { <OperationView d expanded target_filter cancel_open/> }.into_any()
                        }
                        Err(e) => {
                            title.set("Operation".to_owned());
                            view! {
                                <Breadcrumbs items=crumbs(&[("Operations", Some("/operations")), ("Operation", None)])/>
                                <h1>"Operation"</h1>
                                <ErrorBox error=e/>
                                <p>
                                    <a href="/operations">"Back to the operations"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <ReasonDialog
                open=cancel_open
                title="Cancel operation"
                message="Targets not yet started will not run. Targets already running finish their current step."
                confirm_label="Cancel operation"
                danger=true
                pending=pending
                on_confirm=Callback::new(move |reason: String| {
                    cancel.dispatch(reason);
                })
            />
        </section>
    }
}

#[component]
fn OperationView(
    d: OperationDetail,
    expanded: RwSignal<BTreeSet<String>>,
    target_filter: RwSignal<String>,
    cancel_open: RwSignal<bool>,
) -> impl IntoView {
    let OperationDetail { operation: op, targets, spec } = d;
    let title = format!("{} · {}", kind_label(&op.kind), op.selection);
    let active = op_active(&op.status);
    let is_config = matches!(op.kind.as_str(), "backup" | "push" | "restore");
    view! {
        <Breadcrumbs items=vec![("Operations".to_owned(), Some("/operations".to_owned())), (title.clone(), None)]/>
        <div class="page-head">
            <h1>
                {kind_label(&op.kind)}
                " "
                <span class="op-status" id="op-status" data-op-status=op.status.clone()>
                    <StatusBadge status=op.status.clone()/>
                </span>
                {active.then(|| view! { <span class="live-dot" title="Updating live" aria-label="Updating live"></span> })}
            </h1>
            <div class="actions">
                {active
                    .then(|| {
                        view! {
                            <IfCan perm=Permission::RunOperations>
                                <button type="button" class="btn btn-danger" id="cancel-operation" on:click=move |_| cancel_open.set(true)>
                                    "Cancel operation"
                                </button>
                            </IfCan>
                        }
                    })}
            </div>
        </div>
        <div class="grid-2 grid-wide-left">
            <OperationFacts op=op.clone()/>
            <SpecPanel spec changes_config=matches!(op.kind.as_str(), "push" | "restore")/>
        </div>
        <section class="panel">
            <div class="panel-head">
                <h2>{format!("Targets ({})", targets.len())}</h2>
                <div class="filter filter-inline">
                    <label for="target-filter">"Show"</label>
                    <select id="target-filter" on:change=move |ev| target_filter.set(event_target_value(&ev))>
                        {TARGET_FILTERS
                            .into_iter()
                            .map(|(v, l)| view! { <option value=v selected=move || target_filter.get() == v>{l}</option> })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <TargetsTable targets expanded target_filter is_config/>
        </section>
    }
}

#[component]
fn OperationFacts(op: OperationRow) -> impl IntoView {
    let dash = || view! { <span class="muted">"—"</span> };
    let duration = match (op.started_at, op.finished_at) {
        (Some(s), Some(f)) => Some(fmt_duration((f - s).num_milliseconds())),
        _ => None,
    };
    view! {
        <section class="panel">
            <h2>"Summary"</h2>
            <dl class="facts" id="operation-facts">
                <dt>"Progress"</dt>
                <dd data-field="progress">
                    <OpProgress total=op.targets_total succeeded=op.succeeded failed=op.failed cancelled=op.cancelled/>
                </dd>
                <dt>"Selection"</dt>
                <dd data-field="selection">{op.selection.clone()}</dd>
                <dt>"Requested by"</dt>
                <dd data-field="requested_by">
                    {op.requested_by.clone()} " · " <Time at=op.requested_at/>
                </dd>
                <dt>"Reason"</dt>
                <dd data-field="reason">
                    {if op.reason.is_empty() { dash().into_any() } else { op.reason.clone().into_any() }}
                </dd>
                <dt>"Scheduled"</dt>
                <dd data-field="scheduled_at">
                    {op.scheduled_at.map_or_else(|| view! { <span class="muted">"run at once"</span> }.into_any(), |t| view! { <Time at=t/> }.into_any())}
                </dd>
                <dt>"Started"</dt>
                <dd>{op.started_at.map_or_else(|| dash().into_any(), |t| view! { <Time at=t/> }.into_any())}</dd>
                <dt>"Finished"</dt>
                <dd>
                    {op.finished_at.map_or_else(|| dash().into_any(), |t| view! { <Time at=t/> }.into_any())}
                    {duration.map(|d| format!(" ({d})"))}
                </dd>
                <dt>"Concurrency"</dt>
                <dd class="mono">{op.concurrency}</dd>
                {op
                    .cancelled_by
                    .clone()
                    .map(|who| {
                        view! {
                            <dt>"Cancelled by"</dt>
                            <dd data-field="cancelled_by">
                                <strong>{who}</strong>
                                {op.cancel_reason.clone().filter(|r| !r.is_empty()).map(|r| format!(": {r}"))}
                            </dd>
                        }
                    })}
                <dt>"Id"</dt>
                <dd class="mono small">{op.id.clone()}</dd>
            </dl>
        </section>
    }
}

/// What was asked for: commands, config lines, restore version, rollback.
#[component]
fn SpecPanel(spec: Value, changes_config: bool) -> impl IntoView {
    let lines = |key: &str| -> Vec<String> {
        spec.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let commands = lines("commands");
    let config_lines = lines("config_lines");
    let restore = spec.get("restore_version").and_then(Value::as_i64);
    let candidate = spec.get("candidate_hash").and_then(Value::as_str).map(str::to_owned);
    let rollback = spec.get("rollback_on_failure").and_then(Value::as_bool).filter(|_| changes_config);
    let nothing = commands.is_empty() && config_lines.is_empty() && restore.is_none() && candidate.is_none();
    view! {
        <section class="panel" id="operation-spec">
            <h2>"Request"</h2>
            {nothing.then(|| view! { <p class="muted">"No commands or configuration: this operation only reads from the devices."</p> })}
            {(!commands.is_empty())
                .then(|| {
                    view! {
                        <h3>"Commands"</h3>
                        <pre class="code" data-testid="spec-commands">{commands.join("\n")}</pre>
                    }
                })}
            {(!config_lines.is_empty())
                .then(|| {
                    view! {
                        <h3>"Configuration lines"</h3>
                        <pre class="code" data-testid="spec-config-lines">{config_lines.join("\n")}</pre>
                    }
                })}
            {restore.map(|v| view! { <p>"Restore to configuration version " <strong class="mono">{v}</strong></p> })}
            {candidate.map(|h| view! { <p>"Full candidate configuration " <span class="mono small">{h}</span></p> })}
            {rollback.map(|r| view! { <p class="small muted">{if r { "Automatic rollback when a post-check fails." } else { "No automatic rollback." }}</p> })}
        </section>
    }
}

#[component]
fn TargetsTable(
    targets: Vec<OperationTargetRow>,
    expanded: RwSignal<BTreeSet<String>>,
    target_filter: RwSignal<String>,
    is_config: bool,
) -> impl IntoView {
    if targets.is_empty() {
        return view! { <EmptyState title="No targets" text="The selection matched no active device."/> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table table-compact" id="targets-table">
                <thead>
                    <tr>
                        <th scope="col">
                            <span class="sr-only">"Expand"</span>
                        </th>
                        <th scope="col">"Device"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Summary"</th>
                        <th scope="col">"Duration"</th>
                    </tr>
                </thead>
                {targets.into_iter().map(|t| view! { <TargetRows t expanded target_filter is_config/> }).collect_view()}
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn TargetRows(
    t: OperationTargetRow,
    expanded: RwSignal<BTreeSet<String>>,
    target_filter: RwSignal<String>,
    is_config: bool,
) -> impl IntoView {
    let key = t.device_id.clone();
    let is_open = {
        let key = key.clone();
        move || expanded.with(|e| e.contains(&key))
    };
    let toggle = {
        let key = key.clone();
        move |_| {
            expanded.update(|e| {
                if !e.remove(&key) {
                    e.insert(key.clone());
                }
            });
        }
    };
    let status = t.status.clone();
    let visible = move || {
        target_filter.with(|f| {
            f.is_empty() || *f == status || (f == "failed" && matches!(status.as_str(), "failed" | "rolled_back"))
        })
    };
    let panel_id = format!("target-{}", t.device_id);
    let duration = t.duration_ms.map(fmt_duration);
    let has_log = !t.log.is_empty();
    let has_output = !t.output.is_empty();
    let details = t.details.clone();
    let has_details = !matches!(&details, Value::Null) && details.as_object().is_none_or(|m| !m.is_empty());
    let open_for_aria = is_open.clone();
    let open_for_show = is_open.clone();
    let config_href = format!("/devices/{}/config", t.device_id);
    view! {
        <tbody class="target" data-device-id=t.device_id.clone() data-hostname=t.hostname.clone() data-status=t.status.clone() class:hidden=move || !visible()>
            <tr>
                <td>
                    <button
                        type="button"
                        class="icon-btn expand-btn"
                        aria-expanded=move || if open_for_aria() { "true" } else { "false" }
                        aria-controls=panel_id.clone()
                        aria-label=format!("Output of {}", t.hostname)
                        on:click=toggle
                    >
                        {move || if is_open() { "▾" } else { "▸" }}
                    </button>
                </td>
                <td>
                    <a href=format!("/devices/{}", t.device_id)>{t.hostname.clone()}</a>
                    {is_config.then(|| view! { " " <a href=config_href.clone() class="small muted" title="Configuration versions">"config"</a> })}
                </td>
                <td>
                    <StatusBadge status=t.status.clone()/>
                </td>
                <td class="summary">{t.summary.clone()}</td>
                <td class="nowrap mono small">{duration}</td>
            </tr>
            <Show when=open_for_show>
                <tr class="target-detail" id=panel_id.clone()>
                    <td></td>
                    <td colspan="4">
                        {(!has_log && !has_output && !has_details).then(|| view! { <p class="muted">"Nothing recorded yet."</p> })}
                        {has_log
                            .then(|| {
                                view! {
                                    <h3 class="small">"Progress"</h3>
                                    <pre class="code target-log">{t.log.clone()}</pre>
                                }
                            })}
                        {has_output
                            .then(|| {
                                view! {
                                    <h3 class="small">"Output"</h3>
                                    <pre class="code target-output">{t.output.clone()}</pre>
                                }
                            })}
                        {has_details
                            .then(|| {
                                let details = details.clone();
                                view! {
                                    <h3 class="small">"Details"</h3>
                                    <DetailsView value=details/>
                                }
                            })}
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}
