//! `/monitoring/{id}`: one job's state, targets and charts, refreshed while it measures.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::identity::Permission;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::alert::{EmptyState, ErrorBox, Loading};
use crate::components::badges::StatusBadge;
use crate::components::breadcrumbs::{crumbs, Breadcrumbs};
use crate::components::chart::{Chart, ChartKind, Drag};
use crate::components::dialog::ReasonDialog;
use crate::components::live::use_live;
use crate::components::query::href_with;
use crate::components::time::{fmt_utc, Time};
use crate::components::title::PageTitle;
use crate::components::toast::use_toasts;
use crate::components::user::IfCan;
use crate::monitoring::api::{cancel_monitor_job, get_monitor_job, monitor_job_series};
use crate::monitoring::model::{AlertRow, JobDetail, Series, SeriesQuery, TargetStatus};
use crate::pages::alerts::{alert_value, subject_href};
use crate::pages::monitoring::{fmt_interval, fmt_ms, fmt_pct, fmt_span, job_active, now_utc, JobProgress};
use crate::pages::ops_common::parse_utc_local;

/// Never refresh faster than this, whatever the job's interval.
const MIN_POLL_MS: u64 = 2_000;
const MAX_POINTS: u32 = 600;
const PRESETS: [(&str, i64); 4] = [("15 min", 900), ("1 h", 3_600), ("6 h", 21_600), ("24 h", 86_400)];

/// The zoomed time range; `None` on both ends is the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Zoom {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

fn local_input(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()).unwrap_or_default()
}

fn export_href(id: &str, format: &str, zoom: Zoom) -> String {
    href_with(
        &format!("/api/v1/monitor/jobs/{id}/export"),
        &[
            ("format", format.to_owned()),
            ("from", zoom.from.map(|t| t.to_rfc3339()).unwrap_or_default()),
            ("to", zoom.to.map(|t| t.to_rfc3339()).unwrap_or_default()),
        ],
    )
}

#[component]
pub fn MonitorJobPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let live = use_live();
    let tick = RwSignal::new(0_u64);
    let toasts = use_toasts();
    let zoom = RwSignal::new(Zoom::default());
    let target = RwSignal::new(String::new());
    let cancel_open = RwSignal::new(false);

    let detail = Resource::new(move || (live.get(), tick.get(), id.get()), |(_, _, id)| get_monitor_job(id));
    let base = Resource::new(move || id.get(), get_monitor_job);
    let drag = RwSignal::new(None::<Drag>);
    let series = Resource::new(
        move || (live.get(), tick.get(), id.get(), zoom.get(), target.get()),
        |(_, _, job_id, z, key)| async move {
            // Until a target is picked, the first one is charted (one target's series, not all).
            let key = if key.is_empty() {
                get_monitor_job(job_id.clone()).await?.targets.into_iter().next().map(|t| t.key).unwrap_or_default()
            } else {
                key
            };
            monitor_job_series(SeriesQuery {
                job_id,
                from: z.from,
                to: z.to,
                targets: if key.is_empty() { Vec::new() } else { vec![key] },
                max_points: MAX_POINTS,
            })
            .await
        },
    );

    // Refetch every max(2 s, interval) while the job may still measure.
    let poll = StoredValue::new(None::<(IntervalHandle, u64)>);
    Effect::new(move |_| {
        let every = detail.with(|r| {
            r.as_ref()
                .and_then(|r| r.as_ref().ok())
                .filter(|d| job_active(&d.job.status))
                .map(|d| u64::from(d.spec.interval_ms).max(MIN_POLL_MS))
        });
        if poll.get_value().map(|(_, ms)| ms) == every {
            return;
        }
        if let Some((h, _)) = poll.get_value() {
            h.clear();
            poll.set_value(None);
        }
        if let Some(ms) = every {
            if let Ok(h) = set_interval_with_handle(move || tick.update(|n| *n += 1), Duration::from_millis(ms)) {
                poll.set_value(Some((h, ms)));
            }
        }
    });
    on_cleanup(move || {
        if let Some((h, _)) = poll.try_get_value().flatten() {
            h.clear();
        }
    });

    let cancel = Action::new(move |reason: &String| {
        let (reason, id) = (reason.clone(), id.get_untracked());
        async move {
            let result = cancel_monitor_job(id, reason).await;
            match &result {
                Ok(()) => {
                    toasts.success("Job cancelled");
                    cancel_open.set(false);
                    tick.update(|n| *n += 1);
                }
                Err(e) => toasts.error(e.to_string()),
            }
            result
        }
    });
    let pending = cancel.pending();
    let title = RwSignal::new("Monitoring job".to_owned());

    view! {
        <PageTitle text=title/>
        <section class="page" data-testid="monitor-job-page">
            <Transition fallback=|| view! { <Loading label="Loading job…"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => {
                            title.set(d.job.name.clone());
                            view! { <JobView d zoom target cancel_open/> }.into_any()
                        }
                        Err(e) => {
                            view! {
                                <Breadcrumbs items=crumbs(&[("Monitoring", Some("/monitoring")), ("Job", None)])/>
                                <h1>"Monitoring job"</h1>
                                <ErrorBox error=e/>
                                <p><a href="/monitoring">"Back to the jobs"</a></p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            // Loaded once, not on every refresh: the zoom inputs, the target picker and a drag in
            // progress must survive the refetches of the data below them.
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    base.await.ok().map(|d| view! { <ChartsPanel d zoom target series drag/> })
                })}
            </Transition>
            <ReasonDialog
                open=cancel_open
                title="Cancel monitoring job"
                message="Measuring stops within one interval. The samples recorded so far are kept."
                confirm_label="Cancel job"
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
fn JobView(d: JobDetail, zoom: RwSignal<Zoom>, target: RwSignal<String>, cancel_open: RwSignal<bool>) -> impl IntoView {
    let JobDetail { job, spec, targets, gaps, open_alerts } = d;
    let active = job_active(&job.status);
    let editable = active;
    let id = job.id.clone();
    let window = match spec.ends_at {
        Some(e) => {
            format!("{} → {} ({})", fmt_utc(&spec.starts_at), fmt_utc(&e), fmt_span((e - spec.starts_at).num_seconds()))
        }
        None => format!("{} → open-ended", fmt_utc(&spec.starts_at)),
    };
    let thresholds = spec.thresholds;
    let threshold_text = {
        let mut parts = Vec::new();
        if let Some(v) = thresholds.rtt_ms {
            parts.push(format!("RTT > {v} ms"));
        }
        if let Some(v) = thresholds.loss_pct {
            parts.push(format!("loss > {v} %"));
        }
        if let Some(v) = thresholds.jitter_ms {
            parts.push(format!("jitter > {v} ms"));
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            format!(
                "{} over {} rounds, cooldown {}",
                parts.join(", "),
                spec.alert_window,
                fmt_span(i64::from(spec.cooldown_s))
            )
        }
    };
    let csv_id = id.clone();
    let xlsx_id = id.clone();
    let edit_href = format!("/monitoring/{id}/edit");
    let clone_href = href_with("/monitoring/new", &[("clone", id.clone())]);
    view! {
        <Breadcrumbs items=vec![("Monitoring".to_owned(), Some("/monitoring".to_owned())), (job.name.clone(), None)]/>
        <div class="page-head">
            <h1>
                {job.name.clone()}
                " "
                <span class="job-status" id="job-status" data-job-status=job.status.clone()>
                    <StatusBadge status=job.status.clone()/>
                </span>
                {(job.status == "running").then(|| view! { <span class="live-dot" title="Updating live" aria-label="Updating live"></span> })}
            </h1>
            <div class="actions">
                <a href=move || export_href(&csv_id, "csv", zoom.get()) class="btn" rel="external" download id="job-export-csv">
                    "Export CSV"
                </a>
                <a href=move || export_href(&xlsx_id, "xlsx", zoom.get()) class="btn" rel="external" download id="job-export-xlsx">
                    "Export Excel"
                </a>
                <IfCan perm=Permission::ManageMonitoring>
                    <a href=clone_href.clone() class="btn" id="clone-job">"Clone"</a>
                    {editable.then(|| view! { <a href=edit_href.clone() class="btn" id="edit-job">"Edit"</a> })}
                    {active
                        .then(|| {
                            view! {
                                <button type="button" class="btn btn-danger" id="cancel-job" on:click=move |_| cancel_open.set(true)>
                                    "Cancel job"
                                </button>
                            }
                        })}
                </IfCan>
            </div>
        </div>
        <section class="panel">
            <dl class="facts facts-wide" id="job-facts">
                <dt>"Window (UTC)"</dt>
                <dd data-field="window">{window}</dd>
                {(job.status == "running")
                    .then(|| job.progress_pct.map(|p| view! { <dt>"Progress"</dt><dd><JobProgress pct=p/></dd> }))}
                <dt>"Targets"</dt>
                <dd data-field="selection">{format!("{} ({})", spec.selection, spec.targets.len())}</dd>
                <dt>"Rounds"</dt>
                <dd>
                    {format!(
                        "every {}, {} packet(s) of {} bytes, timeout {}",
                        fmt_interval(i64::from(spec.interval_ms)),
                        spec.packets,
                        spec.packet_size,
                        fmt_interval(i64::from(spec.timeout_ms)),
                    )}
                </dd>
                <dt>"Alerts"</dt>
                <dd data-field="thresholds">{threshold_text}</dd>
                <dt>"Created by"</dt>
                <dd>{job.created_by.clone()} " · " <Time at=job.created_at/></dd>
                {job
                    .cancelled_by
                    .clone()
                    .map(|who| view! { <dt>"Cancelled by"</dt><dd data-field="cancelled_by"><strong>{who}</strong></dd> })}
                {job.finish_reason.clone().filter(|r| !r.is_empty()).map(|r| view! { <dt>"Reason"</dt><dd data-field="finish_reason">{r}</dd> })}
                {spec
                    .cloned_from
                    .clone()
                    .map(|c| {
                        let href = format!("/monitoring/{c}");
                        view! { <dt>"Cloned from"</dt><dd><a href=href class="mono small">{c}</a></dd> }
                    })}
                {(!gaps.is_empty())
                    .then(|| {
                        let total: i64 = gaps.iter().map(|g| (g.to - g.from).num_seconds()).sum();
                        view! { <dt>"No data"</dt><dd class="warn-text">{format!("{} gap(s), {} in all (server down)", gaps.len(), fmt_span(total))}</dd> }
                    })}
            </dl>
        </section>
        {(!open_alerts.is_empty()).then(|| view! { <OpenAlerts alerts=open_alerts/> })}
        <TargetsTable targets=targets.clone() target/>
    }
}

#[component]
fn ChartsPanel(
    d: JobDetail,
    zoom: RwSignal<Zoom>,
    target: RwSignal<String>,
    series: Resource<Result<Series, crate::error::AppError>>,
    drag: RwSignal<Option<Drag>>,
) -> impl IntoView {
    let JobDetail { spec, targets, .. } = d;
    view! {
        <section class="panel" id="job-charts">
            <div class="panel-head">
                <h2>"Charts"</h2>
                <div class="filter filter-inline">
                    <label for="chart-target">"Target"</label>
                    <select id="chart-target" on:change=move |ev| target.set(event_target_value(&ev))>
                        {targets
                            .iter()
                            .map(|t| {
                                let key = t.key.clone();
                                let k2 = key.clone();
                                view! { <option value=key selected=move || target.get() == k2>{format!("{} ({})", t.name, t.address)}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
            </div>
            <ZoomBar zoom spec_start=spec.starts_at spec_end=spec.ends_at/>
            <Transition fallback=|| view! { <Loading label="Loading measurements…"/> }>
                {
                    move || {
                        let spec = spec.clone();
                        Suspend::new(async move {
                            match series.await {
                                Ok(s) => {
                                    let key = s.targets.first().map(|t| t.key.clone()).unwrap_or_default();
                                    let th = spec.thresholds_for(&key);
                                    view! { <Charts s zoom drag th_rtt=th.rtt_ms th_jitter=th.jitter_ms th_loss=th.loss_pct/> }.into_any()
                                }
                                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            }
                        })
                    }
                }
            </Transition>
        </section>
    }
}

#[component]
fn ZoomBar(zoom: RwSignal<Zoom>, spec_start: DateTime<Utc>, spec_end: Option<DateTime<Utc>>) -> impl IntoView {
    let from_text = RwSignal::new(local_input(zoom.get_untracked().from));
    let to_text = RwSignal::new(local_input(zoom.get_untracked().to));
    let error = RwSignal::new(None::<String>);
    // Inputs follow zooms made by presets or dragging.
    Effect::new(move |_| {
        let z = zoom.get();
        from_text.set(local_input(z.from));
        to_text.set(local_input(z.to));
    });
    let preset = move |secs: i64| {
        // "The last N": ending now, or at the end of a finished window.
        let end = spec_end.map_or_else(now_utc, |e| e.min(now_utc()));
        let start = (end - chrono::Duration::seconds(secs)).max(spec_start);
        error.set(None);
        zoom.set(Zoom { from: Some(start), to: Some(end) });
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parse = |s: String| if s.trim().is_empty() { Ok(None) } else { parse_utc_local(&s).map(Some).ok_or(()) };
        match (parse(from_text.get_untracked()), parse(to_text.get_untracked())) {
            (Ok(from), Ok(to)) => {
                if let (Some(f), Some(t)) = (from, to) {
                    if f >= t {
                        error.set(Some("“From” must be before “to”".into()));
                        return;
                    }
                }
                error.set(None);
                zoom.set(Zoom { from, to });
            }
            _ => error.set(Some("Enter dates as YYYY-MM-DDTHH:MM (UTC)".into())),
        }
    };
    view! {
        <form class="zoom-bar" id="zoom-bar" on:submit=apply novalidate>
            <div class="segmented" role="group" aria-label="Time range">
                {PRESETS
                    .into_iter()
                    .map(|(label, secs)| {
                        view! {
                            <button type="button" class="segment" data-preset=secs on:click=move |_| preset(secs)>
                                {label}
                            </button>
                        }
                    })
                    .collect_view()}
                <button
                    type="button"
                    class="segment"
                    id="zoom-whole"
                    class:active=move || zoom.get() == Zoom::default()
                    on:click=move |_| {
                        error.set(None);
                        zoom.set(Zoom::default());
                    }
                >
                    "Whole run"
                </button>
            </div>
            <div class="filter">
                <label for="zoom-from">"From (UTC)"</label>
                <input id="zoom-from" type="datetime-local" step="1" prop:value=move || from_text.get() on:input=move |ev| from_text.set(event_target_value(&ev))/>
            </div>
            <div class="filter">
                <label for="zoom-to">"To (UTC)"</label>
                <input id="zoom-to" type="datetime-local" step="1" prop:value=move || to_text.get() on:input=move |ev| to_text.set(event_target_value(&ev))/>
            </div>
            <button type="submit" class="btn btn-small" id="zoom-apply">"Apply"</button>
            <Show when=move || zoom.get() != Zoom::default()>
                <button type="button" class="btn btn-small btn-ghost" id="zoom-reset" on:click=move |_| zoom.set(Zoom::default())>
                    "Reset zoom"
                </button>
            </Show>
            {move || error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        </form>
    }
}

#[component]
fn Charts(
    s: Series,
    zoom: RwSignal<Zoom>,
    drag: RwSignal<Option<Drag>>,
    th_rtt: Option<f64>,
    th_jitter: Option<f64>,
    th_loss: Option<f64>,
) -> impl IntoView {
    let Series { resolution, from, to, targets, gaps, changes } = s;
    let Some(ts) = targets.into_iter().next() else {
        return view! { <EmptyState title="No target selected" text="Pick a target above."/> }.into_any();
    };
    if ts.points.is_empty() && gaps.is_empty() {
        return view! {
            <EmptyState
                title="No samples yet"
                text="The first rounds appear here as soon as they are measured; this page refreshes by itself."
            />
        }
        .into_any();
    }
    let on_zoom =
        Callback::new(move |(f, t): (DateTime<Utc>, DateTime<Utc>)| zoom.set(Zoom { from: Some(f), to: Some(t) }));
    let res_label = match resolution.as_str() {
        "raw" => "every round".to_owned(),
        "1m" => "1-minute buckets".to_owned(),
        "1h" => "1-hour buckets".to_owned(),
        other => other.to_owned(),
    };
    let n = ts.points.len();
    view! {
        <p class="small muted chart-meta" id="chart-meta" data-resolution=resolution.clone() data-points=n data-target=ts.key.clone()>
            {ts.name.clone()} " · " {format!("{n} point(s), {res_label}")} " · "
            {fmt_utc(&from)} " → " {fmt_utc(&to)}
            " · drag across a chart to zoom in"
        </p>
        <div class="charts">
            <Chart kind=ChartKind::Rtt points=ts.points.clone() from to gaps=gaps.clone() changes=changes.clone() threshold=th_rtt on_zoom drag/>
            <Chart kind=ChartKind::Jitter points=ts.points.clone() from to gaps=gaps.clone() changes=changes.clone() threshold=th_jitter on_zoom drag/>
            <Chart kind=ChartKind::Loss points=ts.points from to gaps changes threshold=th_loss on_zoom drag/>
        </div>
    }
    .into_any()
}

#[component]
fn TargetsTable(targets: Vec<TargetStatus>, target: RwSignal<String>) -> impl IntoView {
    if targets.is_empty() {
        return view! { <EmptyState title="No targets" text="The selection matched no destination or device."/> }
            .into_any();
    }
    view! {
        <section class="panel">
            <h2>{format!("Targets ({})", targets.len())}</h2>
            <div class="table-wrap">
                <table class="table table-compact" id="job-targets">
                    <thead>
                        <tr>
                            <th scope="col">"Target"</th>
                            <th scope="col">"Address"</th>
                            <th scope="col" class="num">"Last RTT"</th>
                            <th scope="col" class="num">"Last loss"</th>
                            <th scope="col" class="num">"Min"</th>
                            <th scope="col" class="num">"Avg"</th>
                            <th scope="col" class="num">"Max"</th>
                            <th scope="col" class="num">"p95"</th>
                            <th scope="col" class="num">"Jitter"</th>
                            <th scope="col" class="num">"Loss"</th>
                            <th scope="col" class="num">"Rounds"</th>
                            <th scope="col"><span class="sr-only">"Chart"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {targets
                            .into_iter()
                            .map(|t| {
                                let key = t.key.clone();
                                let key2 = key.clone();
                                let href = if t.kind == "device" {
                                    format!("/devices/{}", t.ref_id)
                                } else {
                                    href_with("/destinations", &[("q", t.name.clone())])
                                };
                                let s = t.summary.clone();
                                let has_data = s.rounds > 0;
                                view! {
                                    <tr data-key=t.key.clone() data-rounds=s.rounds class:selected=move || target.get() == key2>
                                        <td class="target-name">
                                            <a href=href>{t.name.clone()}</a>
                                            " "
                                            <span class="badge muted-badge">{t.kind.clone()}</span>
                                        </td>
                                        <td class="mono small">{t.address.clone()}</td>
                                        <td class="num mono" data-field="last_rtt">{fmt_ms(t.last_rtt_ms)}</td>
                                        <td class="num mono" data-field="last_loss">{fmt_pct(t.last_loss_pct)}</td>
                                        <td class="num mono">{fmt_ms(s.rtt_min_ms)}</td>
                                        <td class="num mono" data-field="avg">{fmt_ms(s.rtt_avg_ms)}</td>
                                        <td class="num mono">{fmt_ms(s.rtt_max_ms)}</td>
                                        <td class="num mono">{fmt_ms(s.rtt_p95_ms)}</td>
                                        <td class="num mono">{fmt_ms(s.jitter_ms)}</td>
                                        <td class="num mono" data-field="loss">{if has_data { fmt_pct(Some(s.loss_pct)) } else { "—".to_owned() }}</td>
                                        <td class="num mono">{s.rounds}</td>
                                        <td>
                                            <button type="button" class="btn btn-small btn-ghost" on:click=move |_| target.set(key.clone())>
                                                "Chart"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn OpenAlerts(alerts: Vec<AlertRow>) -> impl IntoView {
    view! {
        <section class="panel panel-alert" id="job-open-alerts">
            <h2>{format!("Open alerts ({})", alerts.len())}</h2>
            <ul class="alert-items">
                {alerts
                    .into_iter()
                    .map(|a| {
                        let href = subject_href(&a);
                        view! {
                            <li data-alert-id=a.id.clone()>
                                <span class="badge status status-failed">{a.metric.clone()}</span>
                                " "
                                <a href=href>{a.subject_label.clone()}</a>
                                " "
                                <span class="mono small">{alert_value(&a)}</span>
                                " · "
                                <Time at=a.raised_at short=true/>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <a href="/alerts" class="small">"All alerts"</a>
        </section>
    }
}
